"""河西乡's inbox: 东岭村 sends one workbook holding its roster and its publicity log, with
an instruction sheet first, a roster sheet whose name mentions 说明, a footer word inside a
data row (a resident named 张合计), real footers, and a sheet of something else.

Before issue 13 the workbook kept one kind only, dropped the sheet named like instructions
and the row with 合计 in it; expected.json counts every row by hand.
"""

from __future__ import annotations

from pathlib import Path

from spreadsheets import write_csv, write_xlsx

from transforms.ids import check_digit


def pid(birth: str, seq: str) -> str:
    first17 = "430521" + birth + seq
    return first17 + check_digit(first17)


P1 = pid("19400303", "011")  # 东岭村, 82 at the cut-off 2022-12-20
P2 = pid("19900505", "012")  # 东岭村, 32
P3 = pid("19550701", "013")  # 东岭村, 67, 外出务工 (still in the base)
Q1 = pid("19501010", "021")  # 西溪社区, 72
Q2 = pid("20150202", "022")  # 西溪社区, 7


def write_inbox(inbox: Path) -> None:
    write_xlsx(
        inbox / "东岭村台账.xlsx",
        {
            "填表说明": [["填表说明"], ["身份证号码请填写18位"]],  # 2 rows, no table
            "花名册（说明后填写）": [
                ["东岭村常住人口花名册"],  # title
                ["组别", "姓名", "身份证号码", "居住状态"],  # header
                ["一组", "张合计", P1, "在家"],  # data, though 合计 stands in it
                ["一组", "乙", P2, "在家"],
                [],  # blank: not a row
                ["一组", "丙", P3, "外出务工"],
                ["合计", "3"],  # footer
                ["制表人：李四"],  # footer
            ],
            "宣传台账": [
                ["日期", "宣传形式", "数量"],  # header
                ["2022-03-01", "宣传单", "100"],
                ["2022-04-01", "横幅", "5"],
                ["合计", "", "105"],  # footer
            ],
            "物资": [["物品", "数量"], ["口罩", "100"]],  # 2 rows, a header of no kind
        },
    )
    write_csv(
        inbox / "西溪社区花名册.csv",
        [["西溪社区常住人口花名册"], ["组别", "姓名", "身份证号码", "居住状态"],
         ["一组", "丁", Q1, "在家"], ["一组", "戊", Q2, "在家"]],
    )  # fmt: skip
