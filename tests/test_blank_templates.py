"""Blank templates (`epireport templates`): read back with openpyxl and checked against the
input contract, loaded here from kinds/ on its own (never through transforms/contract.py);
then filled in, as a village would, and read by our own reader and `check`."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
import unicodedata
from pathlib import Path

import openpyxl
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from personal_data import valid_id

from epireport.cli import main
from epireport.config import ConfigError, TownshipConfig, load_config
from epireport.settings import PROJECT_ROOT
from transforms.blank_templates import (
    TemplatesNotWritten,
    resolve_kinds,
    write_templates,
)
from transforms.ingest import read_file
from transforms.instant_check import check_files, describe, given_files
from transforms.normalize import NormalizeContext
from transforms.township_vocabulary import township_vocabulary
from transforms.villages import VillageIndex

DEMO_CONFIG = PROJECT_ROOT / "config" / "demo-township.yaml"
KINDS_DIR = PROJECT_ROOT / "kinds"
KINDS = (
    "roster", "vaccination", "publicity", "verification", "grid", "key_place", "meeting",
    "demonstration", "reserve",
)  # fmt: skip
RUN_DATE = dt.date(2022, 12, 20)
VILLAGE = "石门村"
# Rows of a template: title, 填报单位, 填报日期, header (row 4); data from row 5 on.
HEADER_ROW, FIRST_DATA_ROW = 4, 5
# Excel's serial of 2020-12-15, the first vaccination day (1899-12-30 is serial 0).
VACCINATION_START_SERIAL = (dt.date(2020, 12, 15) - dt.date(1899, 12, 30)).days
NAMES = ("王小明", "李秀英", "张建国", "刘桂兰", "陈志强")
# Spellings this township's clerks use, added in its config.
TOWNSHIP_SPELLINGS = {"status": {"在屋头": "在家"}, "verification_result": {"落实完毕": "已落实"}}


def _yaml(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


CONTRACT = {kind: _yaml(KINDS_DIR / f"{kind}.yaml") for kind in KINDS}
ENUMERATIONS = _yaml(KINDS_DIR / "enumerations.yaml")


def fields_of(kind: str) -> list[tuple[str, dict]]:
    """The contract's fields whose values are read, in template order."""
    return [(n, f) for n, f in CONTRACT[kind]["fields"].items() if f.get("read", True)]


def enumeration(field_type: str) -> str | None:
    if field_type.startswith("enum:"):
        return field_type.removeprefix("enum:")
    return field_type if field_type in ENUMERATIONS else None


def fold(text: str) -> str:
    """Spellings compare folded (case, width, punctuation and spaces aside)."""
    return re.sub(r"[^\w]|_", "", unicodedata.normalize("NFKC", str(text)).casefold())


@pytest.fixture(scope="module")
def config() -> TownshipConfig:
    return load_config(DEMO_CONFIG)


@pytest.fixture(scope="module")
def own_config(tmp_path_factory) -> TownshipConfig:
    """The demo township with spellings of its own."""
    raw = _yaml(DEMO_CONFIG)
    raw["vocabulary"] = {"spellings": TOWNSHIP_SPELLINGS}
    path = tmp_path_factory.mktemp("config") / "township.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return load_config(path)


@pytest.fixture(scope="module")
def blank(tmp_path_factory, own_config) -> dict[str, Path]:
    """The township's templates, one per kind, without a village."""
    out = tmp_path_factory.mktemp("templates")
    paths = write_templates(out, own_config, list(KINDS), [])
    return {kind: path for kind, path in zip(KINDS, paths, strict=True)}


@pytest.fixture(scope="module")
def village_templates(tmp_path_factory, config) -> dict[str, Path]:
    """石门村's templates of every kind."""
    out = tmp_path_factory.mktemp("village")
    paths = write_templates(out, config, list(KINDS), [VILLAGE])
    return {kind: path for kind, path in zip(KINDS, paths, strict=True)}


def data_sheet(path: Path) -> tuple[openpyxl.Workbook, Worksheet]:
    workbook = openpyxl.load_workbook(path)
    return workbook, workbook.worksheets[0]


def validations(sheet: Worksheet) -> dict[str, object]:
    """Each data validation by the range it covers."""
    return {str(dv.sqref): dv for dv in sheet.data_validations.dataValidation}


def list_values(workbook: openpyxl.Workbook, formula: str) -> list[str]:
    """The values a list validation's range holds: '<sheet>'!$A$2:$A$9."""
    sheet, cells = re.fullmatch(r"'?([^'!]+)'?!(.+)", formula).groups()
    return [row[0].value for row in workbook[sheet][cells.replace("$", "")]]


def operator(dv) -> str:
    """A validation's comparison; "between" is the default the file leaves unwritten."""
    return dv.operator or "between"


def dimension(sheet: Worksheet, letter: str):
    """The column's width and format (a file may describe neighbouring columns at once)."""
    index = column_index_from_string(letter)
    return next(d for d in sheet.column_dimensions.values() if d.min <= index <= d.max)


def column_of(sheet: Worksheet, header: str) -> str:
    headers = [c.value for c in sheet[HEADER_ROW]]
    return get_column_letter(headers.index(header) + 1)


# --- The templates, read back ----------------------------------------------------------


def test_one_template_per_kind_named_in_chinese(blank) -> None:
    names = {path.name for path in blank.values()}
    assert names == {f"{CONTRACT[kind]['label']}（模板）.xlsx" for kind in KINDS}
    assert "人口花名册（模板）.xlsx" in names


@pytest.mark.parametrize("kind", KINDS)
def test_header_is_the_contracts_template_header_frozen_below(blank, kind: str) -> None:
    workbook, sheet = data_sheet(blank[kind])
    header = [c.value for c in sheet[HEADER_ROW]]
    assert header == [f["headers"][0] for _, f in fields_of(kind)]
    assert sheet.title == CONTRACT[kind]["label"]
    assert sheet.freeze_panes == f"A{FIRST_DATA_ROW}"
    for (_, field), cell in zip(fields_of(kind), sheet[HEADER_ROW], strict=True):
        color = cell.font.color.rgb if cell.font.color is not None else None
        red = isinstance(color, str) and color.endswith("C00000")
        assert red == bool(field.get("required")), cell.value
    assert workbook.sheetnames[1] == "填表说明"


def test_fields_never_read_are_not_asked_for(blank) -> None:
    """The roster's 性别, 出生日期, 联系电话 and 与户主关系 are recognised, never read."""
    _, sheet = data_sheet(blank["roster"])
    header = [c.value for c in sheet[HEADER_ROW]]
    assert header == ["组别", "姓名", "身份证号码", "居住状态"]


@pytest.mark.parametrize("kind", KINDS)
def test_each_column_is_typed_and_validated_as_the_contract_says(
    blank, own_config, kind: str
) -> None:
    workbook, sheet = data_sheet(blank[kind])
    checks = validations(sheet)
    villages = [v.name for v in own_config.villages]
    for _, field in fields_of(kind):
        header, field_type = field["headers"][0], field["type"]
        letter = column_of(sheet, header)
        dv = checks[f"{letter}{FIRST_DATA_ROW}:{letter}1048576"]
        number_format = dimension(sheet, letter).number_format
        name = enumeration(field_type)
        if name is not None:
            values = list_values(workbook, dv.formula1)
            codes = ENUMERATIONS[name]["codes"]
            shipped = [s for code in codes.values() for s in code["spellings"]]
            own = list(TOWNSHIP_SPELLINGS.get(name, {}))
            assert dv.type == "list" and number_format == "@", header
            assert {fold(v) for v in values} == {fold(s) for s in shipped + own}, header
            labels = [code["spellings"][0] for code in codes.values()]
            assert values[: len(labels)] == labels, header  # each code's label first
            assert len({fold(v) for v in values}) == len(values), header
            assert dv.errorStyle == ("warning" if field_type == "mode" else None), header
        elif field_type == "village":
            assert dv.type == "list" and list_values(workbook, dv.formula1) == villages
            assert dv.errorStyle is None  # stop: a village nobody knows is refused
        elif field_type == "id":
            assert number_format == "@"
            assert (dv.type, operator(dv), dv.formula1, dv.formula2) == (
                "textLength", "between", "15", "18",
            )  # fmt: skip
        elif field_type == "date":
            assert number_format == "yyyy-mm-dd"
            assert (dv.type, operator(dv), dv.formula1) == ("date", "lessThanOrEqual", "TODAY()")
        elif field_type == "vaccination_date":
            assert number_format == "yyyy-mm-dd"
            assert (dv.type, operator(dv)) == ("date", "between")
            assert (dv.formula1, dv.formula2) == (str(VACCINATION_START_SERIAL), "TODAY()")
        elif field_type == "count":
            assert number_format == "0"
            assert (dv.type, operator(dv)) == ("whole", "between")
            assert (dv.formula1, dv.formula2) == ("0", str(field["upper_bound"]))
        else:
            assert number_format == "@", header
            assert dv.type is None and dv.prompt  # a note, nothing refused
        need = "必填" if field.get("required") else "选填"
        assert dv.promptTitle == f"{header}（{need}）"
        assert dimension(sheet, letter).width >= 8


@pytest.mark.parametrize("kind", KINDS)
def test_the_lists_sit_on_a_hidden_sheet(blank, kind: str) -> None:
    workbook, sheet = data_sheet(blank[kind])
    lists = [dv for dv in validations(sheet).values() if dv.type == "list"]
    for dv in lists:
        assert dv.formula1.startswith("'下拉选项'!")
    if lists:
        assert workbook["下拉选项"].sheet_state == "hidden"
    assert [s.sheet_state for s in workbook.worksheets[:2]] == ["visible", "visible"]


def test_a_list_beyond_an_inline_lists_255_characters_is_offered_in_full(tmp_path) -> None:
    """Why the hidden sheet: a list written inline in a validation stops at 255 characters,
    and a township of 80 villages has a longer one."""
    raw = _yaml(DEMO_CONFIG)
    names = [f"{a}{b}村" for a in "东南西北中上下前后左" for b in "山水田林湖溪岭塘"]
    raw["villages"] = [{"code": f"v{i}", "name": n} for i, n in enumerate(names)]
    raw["clinics"], raw["reserve_quotas"] = [], {}
    path = tmp_path / "township.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    [template] = write_templates(tmp_path / "out", load_config(path), ["grid"], [])
    workbook, sheet = data_sheet(template)
    offered = list_values(workbook, validations(sheet)[f"B{FIRST_DATA_ROW}:B1048576"].formula1)
    assert offered == names and len(",".join(names)) > 255


@pytest.mark.parametrize("kind", KINDS)
def test_the_guide_says_what_the_contract_says(blank, own_config, kind: str) -> None:
    workbook, _ = data_sheet(blank[kind])
    guide = workbook["填表说明"]
    rows = [[c.value or "" for c in row] for row in guide.iter_rows()]
    top = next(
        i for i, row in enumerate(rows) if row[:4] == ["栏目", "是否必填", "填写要求", "可填写的值"]
    )
    lines = {row[0]: row for row in rows[top + 1 :]}
    assert rows[0][0] == f"{CONTRACT[kind]['label']}填表说明"
    assert list(lines) == [f["headers"][0] for _, f in fields_of(kind)]
    for _, field in fields_of(kind):
        _, need, rule, values = lines[field["headers"][0]][:4]
        assert need == ("必填" if field.get("required") else "选填")
        name = enumeration(field["type"])
        if name is not None:
            for code in ENUMERATIONS[name]["codes"].values():
                assert code["spellings"][0] in values
                assert all(fold(s) in fold(values) for s in code["spellings"])
        if field["type"] == "village":
            assert values == "、".join(v.name for v in own_config.villages)
        if field["type"] == "count":
            assert f"0 至 {field['upper_bound']} 的整数" == rule
        if field["type"] == "vaccination_date":
            assert "2020-12-15" in rule
    if kind in ("roster", "publicity"):
        assert any("填报单位" in row[0] for row in rows[:top])


def test_the_townships_own_spellings_are_offered_under_their_code(blank) -> None:
    workbook, sheet = data_sheet(blank["roster"])
    status = validations(sheet)[f"D{FIRST_DATA_ROW}:D1048576"]
    assert "在屋头" in list_values(workbook, status.formula1)
    guide = [[c.value or "" for c in row] for row in workbook["填表说明"].iter_rows()]
    values = next(row[3] for row in guide if row[0] == "居住状态")
    home = next(part for part in values.split("）、") if part.startswith("在家（"))
    assert "在屋头" in home  # listed with 在家, the code it names
    workbook, sheet = data_sheet(blank["verification"])
    result = validations(sheet)[f"G{FIRST_DATA_ROW}:G1048576"]
    assert "落实完毕" in list_values(workbook, result.formula1)


# --- Read by our own reader ------------------------------------------------------------


def reading_context(config: TownshipConfig) -> NormalizeContext:
    return NormalizeContext(
        run_date=RUN_DATE,
        villages=VillageIndex.from_config(config),
        person_key=b"test-key",
        vocabulary=township_vocabulary(config),
    )


@pytest.mark.parametrize("kind", KINDS)
def test_our_reader_recognises_a_village_template(village_templates, config, kind: str) -> None:
    [entry] = given_files([village_templates[kind]])
    read = read_file(entry, reading_context(config), 10**8, 10**9)
    assert read.status == "loaded" and read.kind == kind and read.rows_read == 0
    [table] = read.tables
    assert table.header_row == HEADER_ROW
    assert list(table.rows.columns) == ["row_number", *[n for n, _ in fields_of(kind)]]
    skipped = {e.sheet: e.skip_code for e in read.sheets if e.skip_code}
    assert skipped.get("填表说明") == "instruction_sheet"
    assert set(skipped) <= {"填表说明", "下拉选项"}
    if kind in ("roster", "publicity"):
        assert read.village_code == "01"  # 石门村, from the title and 填报单位


def test_a_village_template_is_filled_in_with_its_name(village_templates) -> None:
    path = village_templates["roster"]
    assert path.parent.name == VILLAGE and path.name == f"{VILLAGE}人口花名册（模板）.xlsx"
    workbook, sheet = data_sheet(path)
    assert sheet["A1"].value == f"{VILLAGE}人口花名册"
    assert (sheet["A2"].value, sheet["B2"].value) == ("填报单位：", VILLAGE)
    assert list_values(workbook, validations(sheet)["B2"].formula1)[:2] == [VILLAGE, "青山村"]


def test_a_blank_roster_names_its_village_by_the_unit_picked(blank, own_config, tmp_path) -> None:
    """Without --village the roster names no village until the clerk picks one in 填报单位."""
    [entry] = given_files([blank["roster"]])
    ctx = reading_context(own_config)
    assert read_file(entry, ctx, 10**8, 10**9).refusal_code == "village_not_named"
    workbook, sheet = data_sheet(blank["roster"])
    unit = validations(sheet)["B2"]
    assert list_values(workbook, unit.formula1) == [v.name for v in own_config.villages]
    sheet["B2"] = "青山村"
    workbook.save(tmp_path / "花名册.xlsx")
    [entry] = given_files([tmp_path / "花名册.xlsx"])
    assert read_file(entry, ctx, 10**8, 10**9).village_code == "02"


# --- Round trip: filled in, then checked ----------------------------------------------


def valid_value(field: dict, i: int, choices: list[str]) -> object:
    """The i-th valid value of a column: each dropdown value in turn, else by type."""
    if choices:
        return choices[i % len(choices)]
    field_type = field["type"]
    if field_type == "id":
        return valid_id("430521", dt.date(1940 + i % 60, 1 + i % 12, 1 + i % 28), i % 1000)
    if field_type in ("date", "vaccination_date"):
        return dt.date(2022, 1 + i % 11, 1 + i % 28)  # before RUN_DATE
    if field_type == "count":
        return (0, field["upper_bound"], 7 + i)[i % 3]
    if field_type == "quota_note":
        return "制氧机台数:5；退烧药库存(盒):300"
    if field_type == "personal":
        return NAMES[i % len(NAMES)]
    return f"第{i + 1}项"


def invalid_value(field: dict) -> tuple[object, str] | None:
    """A value the reader refuses in this column, and the reason code; None when the column
    refuses nothing (接种方式 reads an unknown value as other; free text is free)."""
    field_type = field["type"]
    person = valid_id("430521", dt.date(1960, 5, 5), 17)
    cases: dict[str, tuple[object, str]] = {
        "id": (person[:-1] + ("0" if person[-1] != "0" else "1"), "id_bad_check_digit"),
        "date": ("2022-02-30", "date_impossible"),
        "vaccination_date": (dt.date(2020, 12, 1), "date_before_vaccine_start"),
        "count": (field.get("upper_bound", 0) + 1, "quantity_too_large"),
        "village": ("火星村", "village_unknown"),
        "quota_note": ("随便写写", "quota_note_unreadable"),
        "status": ("火星", "status_unknown"),
        "dose": ("火星", "dose_unknown"),
        "publicity_kind": ("火星", "publicity_kind_unknown"),
    }
    if field_type.startswith("enum:"):
        return "火星", "value_not_in_vocabulary"
    if field_type in cases:
        return cases[field_type]
    return (None, "value_missing") if field.get("required") else None


def dropdowns(workbook: openpyxl.Workbook, sheet: Worksheet) -> dict[str, list[str]]:
    """Column letter -> the values of its dropdown."""
    return {
        str(dv.sqref).split(":")[0].rstrip("0123456789"): list_values(workbook, dv.formula1)
        for dv in sheet.data_validations.dataValidation
        if dv.type == "list" and str(dv.sqref) != "B2"
    }


def fill(template: Path, out: Path, rows: list[dict[str, object]]) -> Path:
    """Rows (header -> value) typed into a template, below its header, saved as ``out``."""
    workbook, sheet = data_sheet(template)
    headers = [c.value for c in sheet[HEADER_ROW]]
    for r, row in enumerate(rows, start=FIRST_DATA_ROW):
        for header, value in row.items():
            if value is not None:
                sheet.cell(row=r, column=headers.index(header) + 1, value=value)
    out.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(out)
    return out


def valid_rows(template: Path, kind: str, count: int) -> list[dict[str, object]]:
    workbook, sheet = data_sheet(template)
    lists = dropdowns(workbook, sheet)
    return [
        {
            f["headers"][0]: valid_value(f, i, lists.get(column_of(sheet, f["headers"][0]), []))
            for _, f in fields_of(kind)
        }
        for i in range(count)
    ]


def returned(path: Path) -> Path:
    return path.parent / "returned" / path.name.replace("（模板）", "")


@pytest.mark.parametrize("kind", KINDS)
def test_a_template_filled_with_valid_rows_loads_in_full(
    village_templates, config, kind: str
) -> None:
    template = village_templates[kind]
    workbook, sheet = data_sheet(template)
    longest = max((len(v) for v in dropdowns(workbook, sheet).values()), default=0)
    count = max(longest, 3)  # every dropdown value once at least
    path = fill(template, returned(template), valid_rows(template, kind, count))
    result = check_files(given_files([path]), config, RUN_DATE)
    assert result.refused_rows.is_empty(), result.refused_rows.to_dicts()
    [line] = result.files.to_dicts()
    assert (line["status"], line["kind"], line["rows_loaded"]) == ("loaded", kind, count)
    outcome = describe(result, config)
    assert outcome.all_load and outcome.lines[-1] == "结论：1 个文件全部可入库"


@pytest.mark.parametrize("kind", KINDS)
def test_one_invalid_value_per_column_refuses_one_row_per_column(
    village_templates, config, kind: str
) -> None:
    template = village_templates[kind]
    wrong = [(n, f, invalid_value(f)) for n, f in fields_of(kind) if invalid_value(f) is not None]
    rows = valid_rows(template, kind, len(wrong))
    planted: dict[int, tuple[str, str]] = {}
    for i, (name, field, (value, code)) in enumerate(wrong):
        rows[i][field["headers"][0]] = value
        planted[FIRST_DATA_ROW + i] = (name, code)
    path = fill(template, returned(template), rows)
    result = check_files(given_files([path]), config, RUN_DATE)
    refused = {
        r["row_number"]: (r["field"], r["reason_code"]) for r in result.refused_rows.to_dicts()
    }
    assert refused == planted
    assert result.files["rows_loaded"].to_list() == [0]
    lines = "\n".join(describe(result, config).lines)
    for i, (_, field, _) in enumerate(wrong):
        assert f"第 {FIRST_DATA_ROW + i} 行，{field['headers'][0]}：" in lines


def test_every_column_of_every_kind_can_be_got_wrong_but_free_text() -> None:
    """Which columns the round trip above cannot plant an error in, and why: said here."""
    unrefused = {
        (kind, name)
        for kind in KINDS
        for name, field in fields_of(kind)
        if invalid_value(field) is None
    }
    expected = {
        (kind, name)
        for kind in KINDS
        for name, field in fields_of(kind)
        if not field.get("required") and field["type"] in ("text", "personal", "unused", "mode")
    }
    assert unrefused == expected and ("vaccination", "mode") in unrefused


# --- Hypothesis: classes of values -----------------------------------------------------

AREAS = ("430521", "110101", "440305", "510104")
WORDS = st.text(
    alphabet="一二三四五六七八九十村组号网格甲乙丙ABC0123456789-", min_size=1, max_size=10
)
# Nothing a clerk writes in Latin letters is a spelling of any code, a village or a date.
GIBBERISH = st.text(alphabet="qxzj", min_size=2, max_size=8)


def valid_strategy(field: dict, choices: list[str]) -> st.SearchStrategy[object]:
    field_type = field["type"]
    if choices:
        return st.sampled_from(choices)
    if field_type == "id":
        births = st.dates(dt.date(1925, 1, 1), dt.date(2020, 12, 31))
        return st.builds(valid_id, st.sampled_from(AREAS), births, st.integers(0, 999))
    if field_type == "date":
        return st.dates(dt.date(2000, 1, 1), RUN_DATE)
    if field_type == "vaccination_date":
        return st.dates(dt.date(2020, 12, 15), RUN_DATE)
    if field_type == "count":
        return st.integers(0, field["upper_bound"])
    if field_type == "quota_note":
        items = st.sampled_from(["床位数", "制氧机台数", "退烧药库存(盒)", "抗原检测试剂(份)"])
        pair = st.builds(lambda item, n: f"{item}:{n}", items, st.integers(0, 10_000))
        return st.lists(pair, min_size=1, max_size=3).map("；".join)
    if field_type == "personal":
        return st.sampled_from(NAMES)
    return WORDS


def invalid_strategy(field: dict) -> st.SearchStrategy[object] | None:
    field_type = field["type"]
    if field_type == "id":

        def wrong_digit(area: str, born: dt.date, n: int, shift: int) -> str:
            good = valid_id(area, born, n)
            digits = "0123456789X"
            return good[:-1] + digits[(digits.index(good[-1]) + shift) % 11]

        births = st.dates(dt.date(1925, 1, 1), dt.date(2020, 12, 31))
        broken = st.builds(wrong_digit, st.sampled_from(AREAS), births, st.integers(0, 999),
                           st.integers(1, 10))  # fmt: skip
        short = st.text(alphabet="0123456789", min_size=1, max_size=14)
        return broken | short
    if field_type in ("date", "vaccination_date"):
        future = st.dates(RUN_DATE + dt.timedelta(days=1), dt.date(2100, 1, 1))
        impossible = st.sampled_from(["2022-02-30", "2022-13-01", "2021-04-31", "2022/00/10"])
        early = st.dates(dt.date(1990, 1, 1), dt.date(2020, 12, 14))
        return future | impossible | (early if field_type == "vaccination_date" else GIBBERISH)
    if field_type == "count":
        bound = field["upper_bound"]
        return st.integers(-(10**6), -1) | st.integers(bound + 1, bound * 100) | GIBBERISH
    if field_type == "mode":
        return None
    if field_type == "village" or enumeration(field_type) or field_type == "quota_note":
        return GIBBERISH
    return st.none() if field.get("required") else None


@st.composite
def filled_rows(draw, lists_of: dict[str, dict[str, list[str]]], bad: bool):
    kind = draw(st.sampled_from(KINDS))
    fields = fields_of(kind)
    lists = lists_of[kind]
    count = draw(st.integers(1, 4))
    rows = [
        {
            f["headers"][0]: draw(valid_strategy(f, lists.get(f["headers"][0], [])))
            for _, f in fields
        }
        for _ in range(count)
    ]
    planted = None
    if bad:
        wrong = [(n, f) for n, f in fields if invalid_strategy(f) is not None]
        name, field = draw(st.sampled_from(wrong))
        row = draw(st.integers(0, count - 1))
        rows[row][field["headers"][0]] = draw(invalid_strategy(field))
        planted = (FIRST_DATA_ROW + row, name)
    return kind, rows, planted


@pytest.fixture(scope="module")
def lists_of(village_templates) -> dict[str, dict[str, list[str]]]:
    """Per kind, header -> the values of its dropdown, as the template offers them."""
    found = {}
    for kind, path in village_templates.items():
        workbook, sheet = data_sheet(path)
        by_letter = dropdowns(workbook, sheet)
        headers = [c.value for c in sheet[HEADER_ROW]]
        found[kind] = {
            h: by_letter[get_column_letter(i + 1)]
            for i, h in enumerate(headers)
            if get_column_letter(i + 1) in by_letter
        }
    return found


HYPOTHESIS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.mark.slow
@HYPOTHESIS
@given(data=st.data())
def test_any_valid_rows_load(data, village_templates, lists_of, config, tmp_path) -> None:
    kind, rows, _ = data.draw(filled_rows(lists_of, bad=False))
    path = fill(village_templates[kind], tmp_path / "returned" / f"{kind}.xlsx", rows)
    result = check_files(given_files([path]), config, RUN_DATE)
    assert result.refused_rows.is_empty(), result.refused_rows.to_dicts()
    assert result.files["rows_loaded"].to_list() == [len(rows)]


@pytest.mark.slow
@HYPOTHESIS
@given(data=st.data())
def test_any_one_wrong_value_refuses_its_row_for_its_column(
    data, village_templates, lists_of, config, tmp_path
) -> None:
    kind, rows, (number, field) = data.draw(filled_rows(lists_of, bad=True))
    path = fill(village_templates[kind], tmp_path / "returned" / f"{kind}.xlsx", rows)
    result = check_files(given_files([path]), config, RUN_DATE)
    refused = [(r["row_number"], r["field"]) for r in result.refused_rows.to_dicts()]
    assert refused == [(number, field)]
    assert result.files["rows_loaded"].to_list() == [len(rows) - 1]


# --- Choosing kinds, and where templates go ---------------------------------------------


def test_kinds_by_name_or_label_and_the_defaults(config) -> None:
    assert resolve_kinds([], config, for_village=False) == list(KINDS)
    assert resolve_kinds([], config, for_village=True) == list(config.required_kinds)
    assert resolve_kinds(["人口花名册", "grid", "roster"], config, False) == ["roster", "grid"]
    with pytest.raises(ConfigError) as e:
        resolve_kinds(["花名册"], config, False)
    assert "“花名册”不是台账类型" in str(e.value) and "\n" not in str(e.value)


def test_an_existing_file_is_never_overwritten(tmp_path, config) -> None:
    existing = tmp_path / "人口花名册（模板）.xlsx"
    existing.write_bytes(b"half filled in")
    with pytest.raises(TemplatesNotWritten) as e:
        write_templates(tmp_path, config, ["grid", "roster"], [])
    assert str(e.value).startswith(f"{existing}：文件已存在（共 1 个）")
    assert existing.read_bytes() == b"half filled in"
    assert sorted(p.name for p in tmp_path.iterdir()) == [existing.name]  # nothing written


def test_the_command_writes_each_villages_set(tmp_path, capsys) -> None:
    out = tmp_path / "out"
    code = main(["templates", str(out), "--config", str(DEMO_CONFIG), "--village", "石门",
                 "--village", "青山村"])  # fmt: skip
    printed = capsys.readouterr().out.splitlines()
    assert code == 0
    expected = [
        out / village / f"{village}{CONTRACT[kind]['label']}（模板）.xlsx"
        for village in ("石门村", "青山村")
        for kind in ("roster", "publicity", "grid")
    ]
    assert printed == [f"已写出：{p}" for p in expected]
    assert all(p.is_file() for p in expected)


def test_every_village_gets_its_own_set(tmp_path, capsys, config) -> None:
    out = tmp_path / "out"
    code = main(["templates", str(out), "--config", str(DEMO_CONFIG), "--all-villages",
                 "--kind", "网格化管理台账"])  # fmt: skip
    assert code == 0 and len(capsys.readouterr().out.splitlines()) == len(config.villages)
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.xlsx")) == sorted(
        f"{v.name}/{v.name}网格化管理台账（模板）.xlsx" for v in config.villages
    )


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--village", "火星村"], "--village：“火星村”不是白沙镇的村（社区）"),
        (["--kind", "花名册"], "--kind：“花名册”不是台账类型"),
    ],
)
def test_a_wrong_village_or_kind_is_one_chinese_line_and_exit_2(
    tmp_path, capsys, args: list[str], said: str
) -> None:
    code = main(["templates", str(tmp_path / "out"), "--config", str(DEMO_CONFIG), *args])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and said in err
    assert not (tmp_path / "out").exists()


def test_an_outdir_that_is_a_file_is_one_line_and_exit_2(tmp_path, capsys) -> None:
    target = tmp_path / "a-file"
    target.write_text("x")
    code = main(["templates", str(target / "sub"), "--config", str(DEMO_CONFIG)])
    err = capsys.readouterr().err
    assert code == 2 and f"{target}：这是文件，不是文件夹" in err and err.count("\n") == 1


@pytest.mark.slow
def test_the_readme_way_on_the_demo_township(tmp_path) -> None:
    """epireport templates, a village fills its roster in, epireport check: all in seconds."""
    command = [sys.executable, "-m", "epireport.cli"]
    made = subprocess.run(
        [*command, "templates", "out", "--config", str(DEMO_CONFIG), "--village", VILLAGE],
        cwd=tmp_path, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    template = tmp_path / "out" / VILLAGE / f"{VILLAGE}人口花名册（模板）.xlsx"
    statuses = ("在家", "外出务工", "死亡", "在村", "迁出")
    rows = [
        {"组别": "一组", "姓名": name, "居住状态": status,
         "身份证号码": valid_id("430521", dt.date(1950 + i, 3, 3), i)}
        for i, (name, status) in enumerate(zip(NAMES, statuses, strict=True))
    ]  # fmt: skip
    path = fill(template, tmp_path / "inbox" / f"{VILLAGE}花名册.xlsx", rows)
    checked = subprocess.run(
        [*command, "check", str(path), "--config", str(DEMO_CONFIG), "--run-date", "2022-12-20"],
        cwd=tmp_path, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "读取 5 行，可入库 5 行，将被拒绝 0 行" in checked.stdout
    assert checked.stdout.rstrip().endswith("结论：1 个文件全部可入库")
