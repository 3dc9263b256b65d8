"""清河镇: each first dose is recorded in the clinic export and in one of 东村's own lists, on
the same date, and the 接种方式 is stated on one copy only (or, for P4, differently).

What is planted (R = 2022-12-20; ages at R):
- P1 (82): the clinic export says 上门; 东村's register has the column, its cell blank;
- P2 (77): the clinic export's cell blank; the register says 上门;
- P3 (72): the clinic export says 上门; 东村's supplementary CSV has no 接种方式 column;
- P4 (42): the clinic export says 门诊, the register 上门: the clinic's word is kept.
Before the fix the copy that won the date tie (the smaller file hash) gave the mode: P1 or P2
lost its 上门 whichever file won, so the door-to-door figures were short.
"""

from __future__ import annotations

from pathlib import Path

from spreadsheets import write_csv, write_xlsx

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def pid(birth: str, seq: str) -> str:
    """A valid 18-digit ID (GB 11643 check digit computed here, not by the project)."""
    first17 = "430702" + birth + seq
    total = sum(int(c) * w for c, w in zip(first17, _WEIGHTS, strict=True))
    return first17 + "10X98765432"[total % 11]


P1 = pid("19400505", "101")
P2 = pid("19450606", "102")
P3 = pid("19500707", "103")
P4 = pid("19800808", "104")
S = "清河镇卫生院"


def write_inbox(inbox: Path) -> None:
    write_xlsx(
        inbox / "东村花名册.xlsx",
        {
            "一组": [
                ["东村常住人口花名册"],
                ["组别", "姓名", "身份证号码", "居住状态"],
                ["一组", "甲", P1, "在家"],
                ["一组", "乙", P2, "在家"],
                ["一组", "丙", P3, "在家"],
                ["一组", "丁", P4, "在家"],
            ]
        },
    )
    write_xlsx(
        inbox / "卫生院/接种记录.xlsx",
        {
            "导出": [
                ["接种单位", "身份证号", "剂次", "接种日期", "接种方式"],
                [S, P1, "第一针", "2022-03-01", "上门"],
                [S, P2, "第一针", "2022-03-02", None],
                [S, P3, "第一针", "2022-03-03", "上门"],
                [S, P4, "第一针", "2022-03-04", "门诊"],
            ]
        },
    )
    write_xlsx(
        inbox / "东村/东村老人接种登记表.xlsx",
        {
            "登记表": [
                ["所属村", "姓名", "身份证号码", "接种剂次", "接种时间", "接种方式"],
                ["东村", "甲", P1, "第一剂", "2022-03-01", None],
                ["东村", "乙", P2, "第一剂", "2022-03-02", "上门"],
                ["东村", "丁", P4, "第一剂", "2022-03-04", "上门"],
            ]
        },
    )
    write_csv(
        inbox / "东村/补充名单.csv",
        [["所属村", "身份证号码", "剂次", "接种日期"], ["东村", P3, "1", "2022-03-03"]],
    )
