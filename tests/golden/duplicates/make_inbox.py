"""双河镇's duplicate-heavy inbox; its raw rows are module constants that independent.py
recounts with plain Python.

What is planted (R = 2022-12-20):
- the clinic export twice, byte for byte, under two names (卫生院/接种记录_再次发送.xlsx);
- 北湖村's roster and publicity log each in an earlier and a later version (填报日期 and file
  time both later for the later one; the earlier roster also holds B4, who left the list,
  B3 still 在家 where the later one says 死亡, and a row with a bad ID);
- D on two villages' rosters: 在家 in 南山村, 迁出 in 东坡社区;
- doses in the clinic export and in 南山村's own list: A1's first (the list's date is
  earlier), A2's second (the list's 2022-12-15 is on or before R, the clinic's
  2022-12-25 is after it); C4's first only in the list, which names 南山 though C4 lives in
  东坡社区;
- repeated rows within one sheet: A2 twice on 南山村's roster, A1's second dose and D's
  booster (上门) twice in the clinic export;
- one row refused: C2's dose dated after the run date.
"""

from __future__ import annotations

import os
import shutil
from datetime import datetime
from pathlib import Path

from spreadsheets import write_csv, write_xlsx

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def pid(birth: str, seq: str) -> str:
    """A valid 18-digit ID (GB 11643 check digit computed here, not by the project)."""
    first17 = "430621" + birth + seq
    total = sum(int(c) * w for c, w in zip(first17, _WEIGHTS, strict=True))
    return first17 + "10X98765432"[total % 11]


# Ages at R = 2022-12-20.
A1 = pid("19500505", "101")  # 南山村, 72
A2 = pid("19621220", "102")  # 南山村, 60 on R exactly
A3 = pid("19621221", "103")  # 南山村, 59: turns 60 the day after R
A4 = pid("20111220", "104")  # 南山村, 11 on R exactly
A5 = pid("20191221", "105")  # 南山村, 2: turns 3 the day after R
A6 = pid("19400101", "106")  # 南山村, 死亡
D = pid("19450303", "107")  # 在家 in 南山村, 迁出 in 东坡社区; 77
B1 = pid("19550606", "201")  # 北湖村, 67
B2 = pid("19900101", "202")  # 北湖村, 32
B3 = pid("19480808", "203")  # 北湖村: 在家 in the earlier roster, 死亡 in the later one
B4 = pid("19580909", "204")  # 北湖村's earlier roster only
B5 = pid("20140404", "205")  # 北湖村, 8; vaccinated after R
B6 = pid("19621219", "206")  # 北湖村, 60 (the day before R); not vaccinated
B7_BAD = "43062119700707207" + "0"  # bad check digit (the right one is 1), earlier roster only
C1 = pid("19560707", "301")  # 东坡社区, 66
C2 = pid("20001010", "302")  # 东坡社区, 22
C3 = pid("20161221", "303")  # 东坡社区, 5
C4 = pid("19610101", "304")  # 东坡社区, 61
X = pid("19800808", "901")  # vaccinated here, on no roster

ROSTER_HEADER = ["组别", "姓名", "身份证号码", "居住状态"]
# Data rows of each roster: village name -> sheet -> rows.
NANSHAN_ROSTER = {
    "一组": [
        ["一组", "甲", A1, "在家"],
        ["一组", "乙", A2, "在家"],
        ["一组", "乙", A2, "在家"],  # pasted twice
        ["一组", "丁", D, "在家"],
    ],
    "二组": [
        ["二组", "丙", A3, "外出务工"],
        ["二组", "戊", A4, "在家"],
        ["二组", "己", A5, "在家"],
        ["二组", "庚", A6, "死亡"],
    ],
}
BEIHU_ROSTER_EARLY = [
    ["一组", "子", B1, "在家"],
    ["一组", "丑", B2, "在家"],
    ["一组", "寅", B3, "在家"],
    ["一组", "卯", B4, "在家"],
    ["一组", "辰", B7_BAD, "在家"],
]
BEIHU_ROSTER_LATE = [
    ["一组", "子", B1, "在家"],
    ["一组", "丑", B2, "在家"],
    ["一组", "寅", B3, "死亡"],
    ["一组", "巳", B5, "在家"],
    ["一组", "午", B6, "外出"],
]
DONGPO_ROSTER = [
    ["一组", "天", C1, "在家"],
    ["一组", "地", C2, "外出就学"],
    ["一组", "玄", C3, "在家"],
    ["一组", "丁", D, "迁出"],
    ["一组", "黄", C4, "在家"],
]
# 填报日期 of the two versions (each file's time is set to the same day).
BEIHU_ROSTER_EARLY_ON, BEIHU_ROSTER_LATE_ON = "2022-11-01", "2022-12-01"

CLINIC_HEADER = ["接种单位", "身份证号", "剂次", "接种日期", "接种方式"]
S = "双河镇卫生院"
CLINIC_EXPORT = [  # sheet 导出, header on row 1: data rows 2..30
    [S, A1, "第一针", "2021-04-01", "门诊"],
    [S, A1, "第二针", "2021-05-01", "门诊"],
    [S, A1, "第二针", "2021-05-01", "门诊"],  # repeated row
    [S, A1, "加强针", "2022-03-01", "上门"],
    [S, A2, "第一针", "2021-06-01", "上门"],
    [S, A2, "第二针", "2022-12-25", "门诊"],
    [S, D, "1", "2021-04-10", "上门"],
    [S, D, "2", "2021-05-10", "上门"],
    [S, D, "3", "2022-01-10", "上门"],
    [S, D, "3", "2022-01-10", "上门"],  # repeated row
    [S, A3, "1", "2021-07-01", "门诊"],
    [S, A3, "加强针", "2022-02-02", "门诊"],
    [S, A4, "1", "2022-01-15", "上门"],
    [S, A5, "1", "2022-02-02", "门诊"],
    [S, A6, "1", "2021-04-01", "上门"],
    [S, B1, "1", "2021-04-20", "门诊"],
    [S, B1, "2", "2021-05-20", "门诊"],
    [S, B3, "1", "2021-04-21", "上门"],
    [S, B4, "1", "2021-04-22", "门诊"],
    [S, B5, "1", "2022-12-28", "上门"],
    [S, C1, "第一针", "2021-04-03", "门诊"],
    [S, C1, "第二针", "2021-05-03", "门诊"],
    [S, C1, "加强针", "2022-12-21", "门诊"],
    [S, C2, "1", "2021-09-09", "门诊"],
    [S, C2, "序贯加强", "2022-04-04", "门诊"],
    [S, C3, "1", "2022-06-06", "上门"],
    [S, X, "1", "2021-05-05", "门诊"],
    [S, C2, "2", "2027-03-01", "门诊"],  # row 29: after the run date, refused
    [S, B2, "1", "2021-06-06", "门诊"],
]
VILLAGE_LIST_HEADER = ["所属村", "姓名", "身份证号码", "接种剂次", "接种时间"]
VILLAGE_LIST = [  # 南山村's own list: no 接种方式 column
    ["南山", "甲", A1, "第一剂", "2021-03-28"],
    ["南山", "乙", A2, "第二剂", "2022-12-15"],
    ["南山", "黄", C4, "1", "2021-10-10"],
]

PUBLICITY_HEADER = ["日期", "宣传形式", "数量"]
NANSHAN_PUBLICITY = [
    ["2022-03-01", "宣传单", "1000"],
    ["2022-04-01", "入户宣讲", "50"],
    ["2021-12-30", "宣传单", "70"],  # before the period
]
BEIHU_PUBLICITY_EARLY = [["2022-03-05", "宣传单", "500"], ["2022-04-05", "横幅", "3"]]
BEIHU_PUBLICITY_LATE = [
    ["2022-03-05", "宣传单", "600"],
    ["2022-04-05", "横幅", "4"],
    ["2022-05-05", "广播", "100"],
]
BEIHU_PUBLICITY_EARLY_ON, BEIHU_PUBLICITY_LATE_ON = "2022-10-01", "2022-12-05"


def _dated(path: Path, day: str) -> None:
    stamp = datetime.fromisoformat(day + "T12:00:00").timestamp()
    os.utime(path, (stamp, stamp))


def write_inbox(inbox: Path) -> None:
    write_xlsx(
        inbox / "南山村花名册.xlsx",
        {sheet: [["南山村常住人口花名册"], ROSTER_HEADER, *rows]
         for sheet, rows in NANSHAN_ROSTER.items()},
    )  # fmt: skip
    for name, rows, day in (
        ("北湖村花名册.xlsx", BEIHU_ROSTER_EARLY, BEIHU_ROSTER_EARLY_ON),
        ("北湖村花名册(更正).xlsx", BEIHU_ROSTER_LATE, BEIHU_ROSTER_LATE_ON),
    ):
        path = write_xlsx(
            inbox / "北湖村" / name,
            {"一组": [["北湖村常住人口花名册"], ROSTER_HEADER, *rows, [f"填报日期:{day}"]]},
        )
        _dated(path, day)
    write_csv(
        inbox / "东坡社区花名册.csv", [["东坡社区常住人口花名册"], ROSTER_HEADER, *DONGPO_ROSTER]
    )
    export = write_xlsx(inbox / "卫生院/接种记录.xlsx", {"导出": [CLINIC_HEADER, *CLINIC_EXPORT]})
    shutil.copyfile(export, inbox / "卫生院/接种记录_再次发送.xlsx")
    write_csv(inbox / "南山村/村自报接种名单.csv", [VILLAGE_LIST_HEADER, *VILLAGE_LIST])
    write_xlsx(
        inbox / "南山村/宣传台账.xlsx",
        {"台账": [["南山村宣传工作台账"], PUBLICITY_HEADER, *NANSHAN_PUBLICITY]},
    )
    for name, rows, day in (
        ("宣传台账(旧).xlsx", BEIHU_PUBLICITY_EARLY, BEIHU_PUBLICITY_EARLY_ON),
        ("宣传台账.xlsx", BEIHU_PUBLICITY_LATE, BEIHU_PUBLICITY_LATE_ON),
    ):
        path = write_xlsx(
            inbox / "北湖村" / name,
            {"台账": [["北湖村宣传工作台账"], PUBLICITY_HEADER, *rows, [f"填报日期:{day}"]]},
        )
        _dated(path, day)
