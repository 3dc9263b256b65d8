"""青石乡's two rosters name the same persons, with different 居住状态 (R = 2022-12-20; every
person born 1950-05-05, so 72 at R and in P60):

- A: 东岭村 外出务工, 西溪社区 在家 -> 西溪社区 (an entry saying 在家 wins over one saying away);
- B: 东岭村 死亡, 西溪社区 外出务工 -> 西溪社区, in the base (an entry keeping the person in the
  base wins over one taking them out);
- C: 在家 in both -> 东岭村 (the smaller village code, 01);
- D: 东岭村 在家 only -> 东岭村;
- E: 东岭村 迁出, 西溪社区 死亡 -> out of the base.

So each village has two residents in the base, whichever roster is read first.
"""

from __future__ import annotations

from pathlib import Path

from spreadsheets import write_csv, write_xlsx

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def pid(seq: str) -> str:
    """A valid 18-digit ID (GB 11643 check digit computed here, not by the project)."""
    first17 = "430521" + "19500505" + seq
    total = sum(int(c) * w for c, w in zip(first17, _WEIGHTS, strict=True))
    return first17 + "10X98765432"[total % 11]


A, B, C, D, E = (pid(s) for s in ("101", "102", "103", "104", "105"))
ROSTER = ["组别", "姓名", "身份证号码", "居住状态"]


def write_inbox(inbox: Path) -> None:
    write_xlsx(
        inbox / "东岭村花名册.xlsx",
        {"一组": [["东岭村常住人口花名册"], ROSTER,
                  ["一组", "甲", A, "外出务工"], ["一组", "乙", B, "死亡"],
                  ["一组", "丙", C, "在家"], ["一组", "丁", D, "在家"],
                  ["一组", "戊", E, "迁出"]]},
    )  # fmt: skip
    write_csv(
        inbox / "西溪社区花名册.csv",
        [["西溪社区常住人口花名册"], ROSTER, ["一组", "甲", A, "在家"],
         ["一组", "乙", B, "外出务工"], ["一组", "丙", C, "在家"], ["一组", "戊", E, "死亡"]],
    )  # fmt: skip
