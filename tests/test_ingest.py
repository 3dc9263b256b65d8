"""Reading whole files: encodings, refusals, versions, and row accounting."""

from __future__ import annotations

from pathlib import Path

import pytest
from spreadsheets import write_csv, write_xlsx

from transforms.discover import discover_files
from transforms.ids import check_digit
from transforms.ingest import normalize_reads, read_file, settle_versions

LIMIT = 50 * 2**20


def valid_id(first17: str) -> str:
    return first17 + check_digit(first17)


PUBLICITY = [
    ["青山村宣传工作台账"],
    ["日期", "宣传形式", "数量", "地点"],
    ["2022/3/5", "横幅", "约300", "村部"],
    ["2022.3.6", "宣传单", "1200张", ""],
    ["合计", "", "1500", ""],
]


def read_inbox(inbox: Path, ctx):
    files = discover_files(inbox)
    return normalize_reads(
        settle_versions([read_file(f, ctx, LIMIT, 4 * LIMIT) for f in files]), ctx
    )


@pytest.mark.parametrize(
    ("encoding", "sep"),
    [("utf-8", ","), ("utf-8-sig", ","), ("gbk", ","), ("gb18030", "\t"), ("utf-8", "\t")],
)
def test_csv_in_any_encoding_and_separator(tmp_path, ctx, encoding: str, sep: str) -> None:
    write_csv(tmp_path / "宣传台账.csv", PUBLICITY, encoding=encoding, sep=sep)
    result = read_inbox(tmp_path, ctx)
    table = result.tables["publicity"]
    assert table["quantity"].to_list() == [300, 1200]
    assert table["kind"].to_list() == ["banner", "leaflet"]
    assert table["village_code"].unique().to_list() == ["02"]
    assert result.files["rows_read"].to_list() == [2]


def test_refused_files_are_listed_and_the_rest_loads(tmp_path, ctx) -> None:
    write_csv(tmp_path / "good/青山村宣传.csv", PUBLICITY)
    (tmp_path / "empty.xlsx").write_bytes(b"")
    good_xlsx = write_xlsx(tmp_path / "tmp.xlsx", {"s": [["日期", "宣传形式", "数量"]]})
    (tmp_path / "truncated.xlsx").write_bytes(good_xlsx.read_bytes()[:300])
    good_xlsx.unlink()
    write_xlsx(tmp_path / "食堂.xlsx", {"s": [["食堂采购清单"], ["品名", "单价", "数量(斤)"]]})
    write_csv(
        tmp_path / "无村名宣传台账.csv", [["日期", "宣传形式", "数量"], ["2022-1-1", "横幅", "1"]]
    )
    (tmp_path / "notes.docx").write_bytes(b"PK\x03\x04not really")

    files = read_inbox(tmp_path, ctx).files
    reasons = dict(zip(files["path"], files["refusal_code"], strict=True))
    assert reasons == {
        "empty.xlsx": "empty_file",
        "good/青山村宣传.csv": None,
        "notes.docx": "unsupported_format",
        "truncated.xlsx": "workbook_unreadable",
        "无村名宣传台账.csv": "village_not_named",
        "食堂.xlsx": "unknown_header",
    }
    assert files.filter(files["path"] == "good/青山村宣传.csv")["rows_loaded"].item() == 2


def test_rows_read_equal_loaded_plus_refused(tmp_path, ctx) -> None:
    rows = [
        ["石门村常住人口花名册"],
        ["姓名", "身份证号码（必填）", "居住状态"],
        ["甲", valid_id("43012119500101001").lower(), "在家"],
        ["乙", "4.30102195E+17", "在家"],
        ["丙", valid_id("43012119700101002"), "不知道"],
        ["丁", "", "在家"],
        ["戊", "430121195002300012", "在家"],
        ["合计", "5人", ""],
    ]
    write_xlsx(tmp_path / "石门/花名册.xlsx", {"一组": rows, "填表说明": [["请按模板填写"]]})
    result = read_inbox(tmp_path, ctx)
    f = result.files.row(0, named=True)
    assert (f["rows_read"], f["rows_loaded"], f["rows_refused"]) == (5, 1, 4)
    refused = {r["row_number"]: r["reason_code"] for r in result.refused_rows.iter_rows(named=True)}
    assert refused == {
        4: "id_excel_float",
        5: "status_unknown",
        6: "id_missing",
        7: "id_bad_birth_date",
    }
    assert "name" not in result.tables["roster"].columns


def test_same_content_twice_loads_once_and_later_resubmission_replaces(tmp_path, ctx) -> None:
    first = [*PUBLICITY[:3], ["填报日期:2022年12月1日"]]
    corrected = [*PUBLICITY[:2], ["2022/3/5", "横幅", "400", "村部"], ["填报日期:2022年12月10日"]]
    write_csv(tmp_path / "青山村宣传.csv", first)
    write_csv(tmp_path / "copy/青山村宣传(1).csv", first)
    write_csv(tmp_path / "青山村宣传(更正).csv", corrected)
    result = read_inbox(tmp_path, ctx)
    status = dict(zip(result.files["path"], result.files["status"], strict=True))
    assert status["青山村宣传(更正).csv"] == "loaded"
    assert {status["青山村宣传.csv"], status["copy/青山村宣传(1).csv"]} == {
        "duplicate",
        "superseded",
    }
    assert result.tables["publicity"]["quantity"].to_list() == [400]
    retired = result.retired_rows.row(0, named=True)
    assert result.retired_rows.height == 1
    assert (retired["kind"], retired["row_number"]) == ("publicity", 3)
    assert '"quantity":300' in retired["row_json"]
