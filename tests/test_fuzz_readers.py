"""Hostile and broken files: every case ends as a refused file or as loaded rows, never a crash."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

import pytest
import xlsxwriter
import xlwt
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from transforms.discover import discover_files
from transforms.ingest import normalize_reads, read_file
from transforms.isolation import IsolatedReader

HEADER = ["日期", "宣传形式", "数量", "地点"]
ROWS = [["2022-03-05", "横幅", "12", "村部"], ["2022/3/6", "宣传单", "约300", ""]]


def xlsx_bytes() -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet("台账")
    sheet.write(0, 0, "青山村宣传工作台账")
    for r, row in enumerate([HEADER, *ROWS], start=1):
        sheet.write_row(r, 0, row)
    book.close()
    return buffer.getvalue()


def xls_bytes() -> bytes:
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("台账")
    sheet.write(0, 0, "青山村宣传工作台账")
    for r, row in enumerate([HEADER, *ROWS], start=1):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def csv_bytes() -> bytes:
    lines = ["青山村宣传工作台账", *(",".join(r) for r in [HEADER, *ROWS])]
    return "\n".join(lines).encode("gbk")


SEEDS = {"xlsx": xlsx_bytes(), "xls": xls_bytes(), "csv": csv_bytes()}


@st.composite
def mutated_file(draw) -> tuple[str, bytes]:
    suffix = draw(st.sampled_from(sorted(SEEDS)))
    data = bytearray(SEEDS[suffix])
    how = draw(st.sampled_from(["truncate", "flip", "splice", "random"]))
    if how == "truncate":
        data = data[: draw(st.integers(0, len(data)))]
    elif how == "flip":
        for _ in range(draw(st.integers(1, 20))):
            i = draw(st.integers(0, len(data) - 1))
            data[i] = draw(st.integers(0, 255))
    elif how == "splice":
        i = draw(st.integers(0, len(data)))
        data[i:i] = draw(st.binary(min_size=1, max_size=200))
    else:
        data = bytearray(draw(st.binary(max_size=2000)))
    return suffix, bytes(data)


@pytest.fixture(scope="module")
def reader():
    """Readers run in worker processes, as in the flow: some broken workbooks abort them."""
    with IsolatedReader(workers=2) as isolated:
        yield isolated


@pytest.mark.slow  # 300 files through reader worker processes
@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=mutated_file())
def test_a_broken_file_is_refused_or_loaded_never_a_crash(
    tmp_path: Path, ctx, reader: IsolatedReader, case
) -> None:
    suffix, data = case
    folder = Path(tempfile.mkdtemp(dir=tmp_path))
    (folder / f"青山村宣传台账.{suffix}").write_bytes(data)
    (file,) = discover_files(folder)
    read = reader.read(file, ctx, 2**20, 2**22)
    assert read.status in ("loaded", "refused")
    if read.status == "refused":
        assert read.refusal_code and read.refusal
    result = normalize_reads([read], ctx)
    summary = result.files.row(0, named=True)
    assert summary["rows_read"] == summary["rows_loaded"] + summary["rows_refused"]


@pytest.mark.parametrize("suffix", sorted(SEEDS))
def test_unmutated_seed_files_load(tmp_path: Path, ctx, suffix: str) -> None:
    (tmp_path / f"青山村宣传台账.{suffix}").write_bytes(SEEDS[suffix])
    (file,) = discover_files(tmp_path)
    result = normalize_reads([read_file(file, ctx, 2**20, 2**22)], ctx)
    assert result.tables["publicity"]["quantity"].to_list() == [12, 300]
