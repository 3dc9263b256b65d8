"""The bench's naive script (bench/naive.py) computes the same headline figures as the report,
so that the bench's ratio pipeline / naive compares equal work (issue 16)."""

from __future__ import annotations

import ast
import datetime as dt
import json
import sys
from pathlib import Path

import pytest
import xlsxwriter
import xlwt
from hypothesis import given
from hypothesis import strategies as st
from pipeline import GOLDEN, golden_inbox
from spreadsheets import write_csv, write_xlsx

from bench.naive import _day, _person, naive_county, naive_township, spellings
from epireport.config import load_config
from transforms.ids import check_digit, upgrade_15_to_18

HEADLINE = ("base", "p60", "v60_dose1", "v60_dose2", "p18", "booster")
RATES = ("v60_dose1_pct", "v60_dose2_pct", "booster_pct")
R = dt.date(2022, 12, 20)
VILLAGES = ["东岭村", "东岭", "西溪社区", "西溪"]
FULLWIDTH = str.maketrans("0123456789X-", "０１２３４５６７８９Ｘ－")


def pid(birth: str, seq: str = "011") -> str:
    first17 = "430521" + birth + seq
    return first17 + check_digit(first17)


def pid_x(birth: str) -> str:
    """An ID of ``birth`` whose check character is X."""
    return next(
        first17 + "X"
        for seq in range(100, 1000)
        if check_digit(first17 := f"430521{birth}{seq}") == "X"
    )


def test_small_township_figures_are_the_hand_counted_ones(tmp_path) -> None:
    case = GOLDEN / "small_township"
    expected = json.loads((case / "expected.json").read_text(encoding="utf-8"))
    vaccination = expected["metrics"]["vaccination"]
    config = load_config(case / "township.yaml")
    inbox = golden_inbox("small_township", tmp_path / "inbox")
    figures = naive_township(inbox, config.cutoff(dt.date(2026, 11, 29)), spellings(config))
    assert {k: figures[k] for k in HEADLINE} == {k: vaccination[k] for k in HEADLINE}
    assert {k: f"{figures[k]:.2f}" for k in RATES} == {k: vaccination[k] for k in RATES}
    # Two rosters and the clinic export counted; the other eight files are other kinds.
    assert figures["files"] == {"roster": 2, "vaccination": 1, "other kind": 8}
    assert figures["rows_skipped"] == {}


def _quirky_inbox(inbox: Path) -> dict[str, str]:
    """An inbox of the quirks the demo plants, one of each, and the files a naive script
    cannot read. Ages at R = 2022-12-20 in the comments."""
    ids = {
        "A": pid("19400303"),  # 82, on the .xls roster as a 15-digit legacy ID
        "B": pid("19550701"),  # 67, typed with full-width digits
        "C": pid("19621221"),  # 59: 60 the day after R
        "D": pid("19500101"),  # 已故: out of the base
        "E": pid("19480505"),  # 74: 户口迁出 on one roster, 在家 on the other
        "G": pid_x("19580202"),  # 64, typed with a lower-case x
        "H": pid("20000101"),  # 22
        "I": pid("19300101"),  # on a roster of no known village
    }
    a15 = ids["A"][:6] + ids["A"][8:17]
    fullwidth = ids["B"].translate(FULLWIDTH)
    hyphens = f"{ids['E'][:6]}-{ids['E'][6:14]}-{ids['E'][14:]}"
    bad_check = ids["H"][:17] + ("0" if ids["H"][17] != "0" else "1")

    book = xlwt.Workbook(encoding="utf-8")
    notes = book.add_sheet("填表说明")
    notes.write(0, 0, "1. 身份证号码请填写18位")
    notes.write(1, 0, "2. 居住状态填写:在家/外出务工/死亡/迁出")
    group = book.add_sheet("一组")
    rows = [
        ["东岭村常住人口花名册"],
        ["序号", "姓 名", "身份证号码（必填）", "居住状态*"],
        [1, "甲", a15, "在家"],
        [2, "乙", fullwidth, " 外出务工 "],
        [3, "丙", ids["C"], "在家"],
        [4, "丁", ids["D"], "已故"],
        [5, "戊", hyphens, "户口迁出"],
        [6, "某", bad_check, "在家"],
        ["合计", "6人"],
    ]
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            group.write(r, c, value)
    (inbox / "东岭").mkdir(parents=True)
    book.save(str(inbox / "东岭" / "花名册.xls"))
    write_csv(
        inbox / "各村上报" / "常住人口花名册(1).csv",
        [["填报单位:西溪村委会"], ["姓名", "公民身份号码", "在家情况"],
         ["戊", ids["E"], "在家"], ["庚", ids["G"].lower(), "在家"], ["辛", ids["H"], "外出"]],
        encoding="gb18030", sep="\t",
    )  # fmt: skip
    write_xlsx(
        inbox / "新建文件夹" / "花名册.xlsx",
        {"Sheet1": [["红星村常住人口花名册"], ["姓名", "身份证号码", "居住状态"],
                    ["壬", ids["I"], "在家"]]},
    )  # fmt: skip
    write_csv(
        inbox / "卫生院" / "接种.csv",
        [["受种者身份证号", "接种剂次", "接种日期"],
         [ids["A"], "第1剂", "2021/4/1"], [ids["A"], "第二针", "2021年5月1日"],
         [ids["A"], "序贯加强", "20220110"], [ids["B"], "1", "2021.4.2"],
         [ids["C"], "1", "2021-04-03"], [ids["E"], "第一针", "2021-04-04"],
         [ids["E"], "2", "2022-12-21"],  # after R: counts in no figure
         [ids["G"], "加强针", "2020-11-03"],  # before the first vaccination day: skipped
         [ids["D"], "1", "2021-04-01"],  # out of the base
         [ids["A"], "第四针", "2022-06-01"], [ids["A"], "1", "2022-02-30"]],  # both skipped
        encoding="utf-8-sig",
    )  # fmt: skip
    export = xlsxwriter.Workbook(str(inbox / "卫生院" / "接种.xlsx"))
    sheet = export.add_worksheet("导出")
    day = export.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write_row(0, 0, ["白沙镇卫生院接种明细"])
    sheet.write_row(1, 0, ["序号", "受种者身份证号", "接种剂次", "接种日期"])
    sheet.write_row(2, 0, [1, ids["B"], 2, 44401])  # a bare serial number: 2021-07-24
    sheet.write_row(3, 0, [2, ids["H"], "加强免疫"])
    sheet.write_datetime(3, 3, dt.datetime(2022, 6, 1), day)
    sheet.write_row(4, 0, [3, ids["G"], 2])
    sheet.write_datetime(4, 3, dt.datetime(2023, 1, 2), day)  # after R
    sheet.write_row(5, 0, ["总计", None, "3条"])
    export.close()
    (inbox / "卫生院" / "备份.xlsx").write_bytes(b"PK\x03\x04" + b"\x00" * 200)  # truncated
    (inbox / "卫生院" / "旧表.xls").write_bytes((inbox / "卫生院" / "接种.xlsx").read_bytes())
    (inbox / "新建 XLSX 工作表.xlsx").write_bytes(b"")
    (inbox / "说明.txt").write_text("各村请于月底前上报。", encoding="utf-8")
    return ids


def test_quirks_are_read_and_unreadable_files_skipped_and_counted(tmp_path) -> None:
    _quirky_inbox(tmp_path)
    figures = naive_township(tmp_path, R, VILLAGES)
    # Base A B C E G H (D 已故; I on no known village's roster; the bad ID not read);
    # P60 A B E G; dose 1 by R: A B E of them; dose 2: A, B (the serial) — E's and G's are
    # after R; boosters among the six adults: A (序贯加强), H (a date cell).
    assert {k: figures[k] for k in HEADLINE} == {
        "base": 6, "p60": 4, "v60_dose1": 3, "v60_dose2": 2, "p18": 6, "booster": 2,
    }  # fmt: skip
    assert {k: figures[k] for k in RATES} == {
        "v60_dose1_pct": 75.0, "v60_dose2_pct": 50.0, "booster_pct": 33.33,
    }  # fmt: skip
    assert figures["files"] == {
        "roster": 2, "vaccination": 2, "skipped: roster of no known village": 1,
        "skipped: unreadable (BadZipFile)": 1, "skipped: unreadable (XLRDError)": 1,
        "skipped: empty": 1, "other format": 1,
    }  # fmt: skip
    assert figures["rows_skipped"] == {
        "roster: bad ID": 1, "vaccination: bad ID, dose or date": 3,
    }  # fmt: skip


def test_a_county_adds_its_townships_counts(tmp_path) -> None:
    _quirky_inbox(tmp_path / "a")
    golden_inbox("small_township", tmp_path / "b")
    one, other = (naive_township(tmp_path / name, R, VILLAGES) for name in "ab")
    county = naive_county([(tmp_path / "a", R, VILLAGES), (tmp_path / "b", R, VILLAGES)])
    assert {k: county[k] for k in HEADLINE} == {k: one[k] + other[k] for k in HEADLINE}
    # (3 + 3) / (4 + 4), (2 + 2) / 8, (2 + 2) / (6 + 7): rates of the sums.
    assert {k: county[k] for k in RATES} == {
        "v60_dose1_pct": 75.0, "v60_dose2_pct": 50.0, "booster_pct": 30.77,
    }  # fmt: skip
    assert county["files"]["roster"] == 4


BIRTHS = st.dates(dt.date(1900, 1, 1), dt.date(2022, 12, 20))


@given(birth=BIRTHS, seq=st.integers(0, 999), how=st.sampled_from(
    ["plain", "lower", "fullwidth", "spaces", "hyphens", "legacy"]))  # fmt: skip
def test_any_typing_of_an_id_reads_as_the_id(birth: dt.date, seq: int, how: str) -> None:
    id18 = pid(f"{birth:%Y%m%d}", f"{seq:03d}")
    typed = {
        "plain": id18,
        "lower": id18.lower(),
        "fullwidth": id18.translate(FULLWIDTH),
        "spaces": f" {id18[:6]} {id18[6:14]}\u3000{id18[14:]} ",
        "hyphens": f"{id18[:6]}-{id18[6:14]}-{id18[14:]}",
        "legacy": id18[:6] + id18[8:17],
    }[how]
    if how == "legacy" and birth.year // 100 != 19:
        typed = id18  # a 15-digit ID is of the 1900s
    expected = upgrade_15_to_18(typed) if len(typed) == 15 else id18
    assert _person(typed) == (expected, birth)


@given(id18=st.builds(lambda b, s: pid(f"{b:%Y%m%d}", f"{s:03d}"), BIRTHS, st.integers(0, 999)),
       position=st.integers(0, 17))  # fmt: skip
def test_an_id_with_one_character_changed_is_no_id(id18: str, position: int) -> None:
    wrong = "0" if id18[position] != "0" else "1"
    assert _person(id18[:position] + wrong + id18[position + 1 :]) is None


@given(day=st.dates(dt.date(2000, 1, 1), dt.date(2030, 12, 31)), how=st.sampled_from(
    ["iso", "slash", "dot", "cn", "compact", "date", "datetime", "serial", "serial float",
     "fullwidth"]))  # fmt: skip
def test_any_spelling_of_a_date_reads_as_the_date(day: dt.date, how: str) -> None:
    serial = (day - dt.date(1899, 12, 30)).days  # Excel's count since 1900-03-01
    typed = {
        "iso": day.isoformat(),
        "slash": f"{day.year}/{day.month}/{day.day}",
        "dot": f"{day.year}.{day.month}.{day.day}",
        "cn": f"{day.year}年{day.month}月{day.day}日",
        "compact": f"{day:%Y%m%d}",
        "date": day,
        "datetime": dt.datetime(day.year, day.month, day.day, 8, 30),
        "serial": serial,
        "serial float": float(serial),
        "fullwidth": day.isoformat().translate(FULLWIDTH),
    }[how]
    assert _day(typed) == day


def test_it_imports_nothing_of_the_pipeline() -> None:
    """Only the standard library, openpyxl and xlrd at module level; the township file is
    read by the command line only (main), never by the counting."""
    tree = ast.parse(Path("bench/naive.py").read_text(encoding="utf-8"))
    allowed = set(sys.stdlib_module_names) | {"openpyxl", "xlrd", "__future__"}
    top: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Import):
            top |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            top.add(node.module.split(".")[0])
    assert top <= allowed, top - allowed
    everywhere = {
        (node.module if isinstance(node, ast.ImportFrom) else alias.name).split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert not everywhere & {"polars", "duckdb", "fastexcel", "transforms", "flows", "pyarrow"}


@pytest.mark.slow
def test_demo_township_figures_are_the_golden_ones(demo_inbox, demo_config) -> None:
    """The demo township's headline figures (../shared/spec/report.md's golden table)."""
    inbox, demo = demo_inbox
    figures = naive_township(inbox, demo_config.cutoff(dt.date(2026, 11, 29)),
                             spellings(demo_config))  # fmt: skip
    assert (figures["p60"], figures["v60_dose1"], figures["v60_dose1_pct"]) == (8391, 7663, 91.32)
    assert (figures["v60_dose2"], figures["v60_dose2_pct"]) == (7275, 86.70)
    assert (figures["p18"], figures["booster"], figures["booster_pct"]) == (22489, 18416, 81.89)
    assert figures["base"] == demo.truth["population"]["base"]
    # Of the four files the pipeline refuses whole (empty_file, unreadable_workbook,
    # village_unknown, unknown_header), the last is simply no roster or vaccination here.
    assert sorted(f["reason"] for f in demo.truth["refused_files"]) == [
        "empty_file", "unknown_header", "unreadable_workbook", "village_unknown",
    ]  # fmt: skip
    skipped = {what: n for what, n in figures["files"].items() if what.startswith("skipped")}
    assert skipped == {
        "skipped: empty": 1, "skipped: roster of no known village": 1,
        "skipped: unreadable (BadZipFile)": 1,
    }  # fmt: skip
