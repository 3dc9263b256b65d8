"""One small file per quirk and per whole-file refusal, written by the test itself."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

import xlsxwriter
import xlwt
from msoffcrypto.format.ooxml import OOXMLFile

from transforms.discover import discover_files
from transforms.ids import check_digit
from transforms.ingest import normalize_reads, read_file, settle_versions

MB = 2**20


def ingest(inbox: Path, ctx, max_bytes: int = 50 * MB, max_expanded: int = 200 * MB):
    reads = [read_file(f, ctx, max_bytes, max_expanded) for f in discover_files(inbox)]
    return normalize_reads(settle_versions(reads), ctx)


def valid_id(first17: str) -> str:
    return first17 + check_digit(first17)


def test_legacy_xls_with_title_and_date_cells(tmp_path, ctx) -> None:
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("宣传")
    sheet.write_merge(0, 0, 0, 3, "青山村疫情防控宣传工作台账")
    for c, h in enumerate(["日期", "宣传形式", "数量", "地点"]):
        sheet.write(1, c, h)
    date_style = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    sheet.write(2, 0, dt.date(2022, 3, 5), date_style)
    sheet.write(2, 1, "横幅")
    sheet.write(2, 2, 12)
    sheet.write(3, 0, 44630)  # an Excel serial number typed as a number: 2022-03-10
    sheet.write(3, 1, "宣传单")
    sheet.write(3, 2, "约300")
    book.save(str(tmp_path / "青山村宣传台账.xls"))
    table = ingest(tmp_path, ctx).tables["publicity"]
    assert table["activity_on"].to_list() == [dt.date(2022, 3, 5), dt.date(2022, 3, 10)]
    assert table["quantity"].to_list() == [12, 300]
    assert table["row_number"].to_list() == [3, 4]


def test_formula_cells_count_by_their_value(tmp_path, ctx) -> None:
    book = xlsxwriter.Workbook(str(tmp_path / "石门村宣传台账.xlsx"))
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ["日期", "宣传形式", "数量"])
    sheet.write_row(1, 0, ["2022-4-1", "横幅"])
    sheet.write_formula(1, 2, "=10*3", None, 30)
    book.close()
    assert ingest(tmp_path, ctx).tables["publicity"]["quantity"].to_list() == [30]


def test_id_noise_is_cleaned_and_15_digits_upgraded(tmp_path, ctx) -> None:
    full = valid_id("43012119500101003")
    legacy = "430121500101004"
    noisy = [
        full,
        full.replace("4", "４"),  # full-width digit
        f"{full[:6]} {full[6:14]}-{full[14:]}",
        legacy,
    ]
    book = xlsxwriter.Workbook(str(tmp_path / "石门村花名册.xlsx"))
    sheet = book.add_worksheet("一组")
    sheet.write_row(0, 0, ["姓名", "身份证号码", "居住状态"])
    for r, id_text in enumerate(noisy, start=1):
        sheet.write_row(r, 0, ["某", id_text, "在家"])
    book.close()
    result = ingest(tmp_path, ctx)
    assert result.refused_rows.height == 0
    keys = result.tables["roster"]["person_key"].to_list()
    assert len(set(keys[:3])) == 1  # the same person, however typed
    assert result.tables["roster"]["birth_date"].to_list()[-1] == dt.date(1950, 1, 1)


def test_password_protected_workbook_is_refused(tmp_path, ctx) -> None:
    plain = io.BytesIO()
    book = xlsxwriter.Workbook(plain, {"in_memory": True})
    book.add_worksheet().write_row(0, 0, ["日期", "宣传形式", "数量"])
    book.close()
    encrypted = io.BytesIO()
    OOXMLFile(io.BytesIO(plain.getvalue())).encrypt("123456", encrypted)
    (tmp_path / "青山村宣传台账(加密).xlsx").write_bytes(encrypted.getvalue())
    files = ingest(tmp_path, ctx).files
    assert files["refusal_code"].to_list() == ["workbook_protected"]


def test_zip_bomb_is_refused_before_parsing(tmp_path, ctx) -> None:
    with zipfile.ZipFile(tmp_path / "bomb.xlsx", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (3 * MB))
    assert (tmp_path / "bomb.xlsx").stat().st_size < MB
    files = ingest(tmp_path, ctx, max_expanded=2 * MB).files
    assert files["refusal_code"].to_list() == ["workbook_too_large_expanded"]


def test_file_over_the_size_limit_is_refused(tmp_path, ctx) -> None:
    (tmp_path / "big.csv").write_bytes(b"a,b\n" * (MB // 2))
    files = ingest(tmp_path, ctx, max_bytes=MB).files
    assert files["refusal_code"].to_list() == ["file_too_large"]
