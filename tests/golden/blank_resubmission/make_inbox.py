"""青石乡's inbox (tests/golden/small_township) and two rosters sent again after it:

- 东岭村's empty template (title, header, 填报日期 2022-12-15, no person): before the fix it
  replaced the real roster, and 东岭村's five residents left every figure;
- 西溪社区's partial list (one person of four, 填报日期 2022-12-16): fewer than half the rows
  of the list it would replace.

Both are held; the real rosters stay loaded and every figure is small_township's.
"""

from __future__ import annotations

from pathlib import Path

from pipeline import golden_inbox
from spreadsheets import write_csv, write_xlsx

from transforms.ids import check_digit

ROSTER = ["组别", "姓名", "身份证号码", "居住状态"]


def write_inbox(inbox: Path) -> None:
    golden_inbox("small_township", inbox)
    write_xlsx(
        inbox / "东岭村花名册（重报）.xlsx",
        {"一组": [["东岭村常住人口花名册"], ROSTER, ["填报日期：2022年12月15日"]]},
    )
    first17 = "430521" + "19501010" + "021"
    write_csv(
        inbox / "西溪社区/西溪社区花名册（补报）.csv",
        [["西溪社区常住人口花名册"], ROSTER, ["一组", "庚", first17 + check_digit(first17), "在家"],
         ["填报日期：2022年12月16日"]],
    )  # fmt: skip
