"""Count at the source: every non-blank row of every sheet is counted where it is read, and
ends up loaded, refused, retired, layout (title, header, footer) or skipped (a sheet without
a usable table, a file refused as a whole). Nothing vanishes uncounted.

Expected counts come from the rows each test writes, counted here with plain Python.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from spreadsheets import write_xlsx

from transforms.discover import discover_files
from transforms.ingest import normalize_reads, read_file, settle_versions

LIMIT = 2**24
ROSTER_HEADER = ["组别", "姓名", "身份证号码", "联系电话", "居住状态"]
VACCINATION_HEADER = ["受种者姓名", "受种者身份证号", "针次", "接种时间", "备注"]
HEADERS = {"roster": ROSTER_HEADER, "vaccination": VACCINATION_HEADER}
PARTS = ("rows_loaded", "rows_refused", "rows_retired", "rows_layout", "rows_skipped")


def ingest(folder: Path, ctx):
    reads = [read_file(f, ctx, LIMIT, 4 * LIMIT) for f in discover_files(folder)]
    return normalize_reads(settle_versions(reads), ctx)


def nonblank(rows: list[list[object | None]]) -> int:
    """Rows with a cell that holds more than white space, counted independently."""
    return sum(any(c is not None and str(c).strip() for c in row) for row in rows)


def assert_identity(files: pl.DataFrame) -> None:
    for f in files.iter_rows(named=True):
        assert f["rows_in_file"] == sum(f[p] for p in PARTS), f
        assert f["rows_read"] == f["rows_loaded"] + f["rows_refused"] + f["rows_retired"], f


# --- the property: any workbook, every row counted -------------------------------------------

blank_row = st.lists(st.sampled_from([None, "", " ", "\u3000"]), min_size=1, max_size=5)
stray_text = st.text(alphabet="xyz0123456789 ", min_size=1, max_size=8).filter(str.strip)
# A data value: noise, names, remarks with a footer word inside it, never at the row's start.
value = st.one_of(
    st.none(),
    st.sampled_from(["张合计", "已合计到上月", "制表人员已核", "在家", "第一针", "2022-03-05"]),
    st.text(alphabet="甲乙丙0123456789X", min_size=1, max_size=18),
)


@st.composite
def data_sheet(draw, kind: str) -> tuple[list[list[object | None]], int]:
    """A sheet of one kind and how many of its rows are data rows."""
    rows: list[list[object | None]] = [
        [draw(st.sampled_from(["石门村台账", "填报单位：石门村委会"]))]
        for _ in range(draw(st.integers(0, 2)))
    ]
    rows += [draw(blank_row) for _ in range(draw(st.integers(0, 2)))]
    rows.append(list(HEADERS[kind]))
    data = 0
    for _ in range(draw(st.integers(0, 12))):
        shape = draw(st.sampled_from(["data", "data", "data", "blank", "header", "footer"]))
        if shape == "data":
            rows.append(["一组", *draw(st.lists(value, min_size=4, max_size=4))])
            data += 1
        elif shape == "blank":
            rows.append(draw(blank_row))
        elif shape == "header":
            rows.append(list(HEADERS[kind]))
        else:
            rows.append(
                draw(
                    st.sampled_from(
                        [["合计", None, "35人"], ["合 计：", "1,200", "12.5%"], ["制表人：某某"]]
                    )
                )
            )
    return rows, data


@st.composite
def workbook(draw) -> tuple[dict[str, list[list[object | None]]], int]:
    """Sheets of known kinds, stray text and empty sheets; and the data rows among them."""
    sheets: dict[str, list[list[object | None]]] = {}
    data = 0
    for i in range(draw(st.integers(1, 4))):
        what = draw(st.sampled_from(["roster", "vaccination", "stray", "empty"]))
        if what in HEADERS:
            rows, n = draw(data_sheet(what))
            data += n
        elif what == "stray":
            rows = [[draw(stray_text)] for _ in range(draw(st.integers(1, 5)))]
        else:
            rows = [draw(blank_row) for _ in range(draw(st.integers(0, 2)))]
        sheets[f"表{i}"] = rows
    return sheets, data


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(case=workbook())
def test_every_nonblank_row_of_any_workbook_is_counted(tmp_path: Path, ctx, case) -> None:
    sheets, data_rows = case
    folder = Path(tempfile.mkdtemp(dir=tmp_path))
    write_xlsx(folder / "石门村台账.xlsx", sheets)
    result = ingest(folder, ctx)
    files = result.files
    written = sum(nonblank(rows) for rows in sheets.values())
    assert files["rows_in_file"].sum() == written
    assert result.sheets["rows"].sum() == written
    assert_identity(files)
    if files["status"].to_list() != ["refused"]:
        assert files["rows_read"].sum() == data_rows


# --- each class of the issue, on one generated input -----------------------------------------


def roster_rows(n: int, first: int = 0) -> list[list[object]]:
    return [["一组", f"人{i}", f"11010519491231{i:04d}", None, "在家"] for i in range(first, n)]


def test_a_workbook_of_two_kinds_yields_both(tmp_path: Path, ctx) -> None:
    vaccination = [["某某", "11010519491231002X", "第一针", "2022-03-05", None]] * 3
    write_xlsx(
        tmp_path / "石门村台账.xlsx",
        {
            "花名册": [ROSTER_HEADER, *roster_rows(4)],
            "接种": [VACCINATION_HEADER, *vaccination],
            "花名册二": [ROSTER_HEADER, *roster_rows(6, 4)],
        },
    )
    result = ingest(tmp_path, ctx)
    by_kind = {f["kind"]: f for f in result.files.iter_rows(named=True)}
    assert set(by_kind) == {"roster", "vaccination"}
    assert by_kind["roster"]["rows_read"] == 6
    assert by_kind["vaccination"]["rows_read"] == 3
    assert result.files["status"].to_list() == ["loaded", "loaded"]
    assert result.files["rows_in_file"].sum() == 1 + 4 + 1 + 3 + 1 + 2
    assert result.files["file_id"].n_unique() == 2
    assert_identity(result.files)


def test_the_order_of_the_sheets_never_changes_what_is_kept(tmp_path: Path, ctx) -> None:
    vaccination = [["某某", "11010519491231002X", "第一针", "2022-03-05", None]]
    sheets = {"甲": [ROSTER_HEADER, *roster_rows(2)], "乙": [VACCINATION_HEADER, *vaccination]}
    write_xlsx(tmp_path / "a/石门村台账.xlsx", sheets)
    write_xlsx(tmp_path / "b/石门村台账.xlsx", dict(reversed(sheets.items())))
    first, second = ingest(tmp_path / "a", ctx), ingest(tmp_path / "b", ctx)
    kinds = [
        sorted(zip(r.files["kind"], r.files["rows_read"], strict=True)) for r in (first, second)
    ]
    assert kinds[0] == kinds[1] == [("roster", 2), ("vaccination", 1)]


def test_a_sheet_named_like_instructions_but_holding_a_roster_is_data(tmp_path: Path, ctx) -> None:
    write_xlsx(
        tmp_path / "石门村花名册.xlsx",
        {
            "花名册（说明后填写）": [ROSTER_HEADER, *roster_rows(3)],
            "填表说明": [["请按模板填写"], ["身份证号码填18位"]],
        },
    )
    result = ingest(tmp_path, ctx)
    (line,) = result.files.iter_rows(named=True)
    assert (line["status"], line["rows_read"]) == ("loaded", 3)
    skipped = result.sheets.filter(pl.col("status") == "skipped")
    assert skipped.select("sheet", "reason_code", "rows").rows() == [
        ("填表说明", "instruction_sheet", 2)
    ]
    assert line["rows_skipped"] == 2
    assert_identity(result.files)


def test_a_later_sheet_with_an_unknown_header_is_listed_with_its_rows(tmp_path: Path, ctx) -> None:
    write_xlsx(
        tmp_path / "石门村花名册.xlsx",
        {
            "一组": [ROSTER_HEADER, *roster_rows(2)],
            "二组": [["品名", "单价", "产地"], ["大米", "2", "本地"], [None], ["面粉", "3", None]],
        },
    )
    result = ingest(tmp_path, ctx)
    skipped = result.sheets.filter(pl.col("status") == "skipped").row(0, named=True)
    assert (skipped["sheet"], skipped["reason_code"], skipped["rows"]) == (
        "二组",
        "unknown_header",
        3,
    )
    assert skipped["reason"]
    assert result.files["rows_skipped"].to_list() == [3]
    assert result.files["rows_in_file"].to_list() == [3 + 3]


@pytest.mark.parametrize(
    "row",
    [
        ["一组", "张合计", "110105194912310003", None, "在家"],
        ["一组", "某", "110105194912310003", "已合计到上月", "在家"],
        [None, "合计明", "110105194912310003", None, "在家"],
        ["总计划组", "某", "110105194912310003", None, "在家"],
    ],
)
def test_a_footer_word_inside_a_data_row_leaves_it_data(tmp_path: Path, ctx, row) -> None:
    rows = [["石门村花名册"], ROSTER_HEADER, row, ["合计", None, "1人"], ["制表人：某某"]]
    write_xlsx(tmp_path / "石门村花名册.xlsx", {"一组": rows})
    result = ingest(tmp_path, ctx)
    (line,) = result.files.iter_rows(named=True)
    assert line["rows_read"] == 1
    assert line["rows_layout"] == 4  # title, header and the two real footer rows
    assert_identity(result.files)


def test_a_total_row_that_holds_an_id_is_not_a_footer(tmp_path: Path, ctx) -> None:
    rows = [ROSTER_HEADER, ["合计", "某", "110105194912310003", None, "在家"]]
    write_xlsx(tmp_path / "石门村花名册.xlsx", {"一组": rows})
    (line,) = ingest(tmp_path, ctx).files.iter_rows(named=True)
    assert (line["rows_read"], line["rows_layout"]) == (1, 1)


def test_the_rows_of_a_refused_file_are_counted_as_skipped(tmp_path: Path, ctx) -> None:
    rows = [ROSTER_HEADER, *roster_rows(5)]
    write_xlsx(tmp_path / "新建文件夹/花名册.xlsx", {"Sheet1": rows})
    (line,) = ingest(tmp_path, ctx).files.iter_rows(named=True)
    assert (line["status"], line["refusal_code"]) == ("refused", "village_not_named")
    assert (line["rows_in_file"], line["rows_skipped"], line["rows_read"]) == (6, 6, 0)


def test_a_file_gone_or_unreadable_when_read_is_refused_and_the_rest_loads(
    tmp_path: Path, ctx
) -> None:
    for village in ("石门村", "青山村", "桃源村"):
        write_xlsx(tmp_path / f"{village}花名册.xlsx", {"一组": [ROSTER_HEADER, *roster_rows(2)]})
    files = discover_files(tmp_path)
    (tmp_path / "石门村花名册.xlsx").unlink()
    (tmp_path / "桃源村花名册.xlsx").unlink()
    (tmp_path / "桃源村花名册.xlsx").mkdir()  # no longer a file: unreadable, even for root
    result = normalize_reads(settle_versions([read_file(f, ctx, LIMIT, LIMIT) for f in files]), ctx)
    lines = {f["path"]: f for f in result.files.iter_rows(named=True)}
    assert lines["石门村花名册.xlsx"]["refusal_code"] == "file_vanished"
    assert lines["桃源村花名册.xlsx"]["refusal_code"] == "file_unreadable"
    assert (lines["青山村花名册.xlsx"]["status"], lines["青山村花名册.xlsx"]["rows_read"]) == (
        "loaded",
        2,
    )
    assert all(
        "\n" not in f["refusal"] and "Error" not in f["refusal"]
        for f in lines.values()
        if f["refusal"]
    )


def test_a_csv_parse_error_never_quotes_the_file(tmp_path: Path, ctx) -> None:
    """polars' own message quotes the offending line, here a phone number."""
    secret = "13812345678"
    body = "组别,姓名,身份证号码,居住状态\n" + f'一组,"{secret},1,在家\n' * 3
    (tmp_path / "石门村花名册.csv").write_text(body, encoding="utf-8")
    (line,) = ingest(tmp_path, ctx).files.iter_rows(named=True)
    texts = " ".join(str(v) for v in line.values() if v is not None)
    assert secret not in texts
    assert (line["status"], line["refusal_code"]) == ("refused", "csv_unreadable")
