"""Stage 2a: read a spreadsheet file into raw text grids, one per sheet.

Every cell is read as text so that an 18-digit ID number never passes through
a float on our side. Excel files go through fastexcel (calamine); CSV files
are decoded by us because clerks save them in UTF-8, UTF-8 with BOM, GBK or
GB18030, comma- or tab-separated.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

import fastexcel
import polars as pl

from transforms.discover import InboxFile

CSV_ENCODINGS: tuple[str, ...] = ("utf-8-sig", "gb18030")
# An encrypted workbook is an OLE compound file holding an "EncryptedPackage" stream.
OLE_MAGIC = bytes.fromhex("d0cf11e0a1b11ae1")
ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")


@dataclass(frozen=True)
class RawSheet:
    """A sheet as a grid of text; grid row ``i`` is the sheet's row ``i + 1``."""

    name: str
    cells: pl.DataFrame


class FileRefused(Exception):
    """A whole file that cannot be used; ``code`` is stable, the message is for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _column_names(width: int) -> list[str]:
    return [f"c{i}" for i in range(width)]


def decode_csv(data: bytes) -> str:
    """Decode CSV bytes in the first encoding that fits (GB18030 is a superset of GBK)."""
    for encoding in CSV_ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise FileRefused("csv_encoding", "CSV 文件编码无法识别(支持 UTF-8、GBK、GB18030)")


def detect_separator(text: str) -> str:
    """Tab when the first lines carry more tabs than commas, else comma."""
    head = text.splitlines()[:30]
    tabs = sum(line.count("\t") for line in head)
    commas = sum(line.count(",") for line in head)
    return "\t" if tabs > commas else ","


def read_csv_grid(data: bytes) -> RawSheet:
    text = decode_csv(data)
    if not text.strip():
        raise FileRefused("empty_file", "文件为空")
    separator = detect_separator(text)
    width = max(line.count(separator) + 1 for line in text.splitlines())
    schema = {name: pl.String for name in _column_names(width)}
    try:
        grid = pl.read_csv(
            io.BytesIO(text.encode("utf-8")),
            has_header=False,
            separator=separator,
            schema=schema,
            missing_columns="insert",
            truncate_ragged_lines=True,
        )
    except pl.exceptions.PolarsError as e:
        raise FileRefused("csv_unreadable", f"CSV 文件无法解析:{e}") from e
    return RawSheet(name="csv", cells=grid)


def _check_expanded_size(data: bytes, limit_bytes: int) -> None:
    """Refuse an xlsx whose parts would expand past the limit before parsing it."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            expanded = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile as e:
        raise FileRefused("workbook_unreadable", "工作簿已损坏或不完整,无法打开") from e
    if expanded > limit_bytes:
        raise FileRefused(
            "workbook_too_large_expanded",
            f"工作簿解压后 {expanded // 2**20} MB,超过上限 {limit_bytes // 2**20} MB",
        )


def read_excel_grids(data: bytes) -> list[RawSheet]:
    try:
        reader = fastexcel.read_excel(data)
        sheets = []
        for index, name in enumerate(reader.sheet_names):
            sheet = reader.load_sheet(index, header_row=None, skip_rows=0, dtypes="string")
            grid = sheet.to_polars()
            grid.columns = _column_names(grid.width)
            sheets.append(RawSheet(name=name, cells=grid))
    except fastexcel.FastExcelError as e:
        text = str(e).lower()
        if "password" in text or "encrypt" in text:
            raise FileRefused("workbook_protected", "工作簿设有密码保护,无法读取") from e
        raise FileRefused("workbook_unreadable", "工作簿已损坏或不完整,无法打开") from e
    except BaseException as e:
        # calamine panics on some malformed workbooks; pyo3 raises that as a PanicException,
        # which derives from BaseException. Anything else (Ctrl-C, exit) passes through.
        if type(e).__name__ != "PanicException":
            raise
        raise FileRefused("workbook_unreadable", "工作簿已损坏或不完整,无法打开") from e
    return sheets


def read_sheets(file: InboxFile, max_file_bytes: int, max_expanded_bytes: int) -> list[RawSheet]:
    """Read a file into raw sheets, or refuse the whole file with a reason."""
    if file.format is None:
        raise FileRefused("unsupported_format", "不是可识别的表格文件(支持 xlsx、xls、csv)")
    if file.size_bytes == 0:
        raise FileRefused("empty_file", "文件为空")
    if file.size_bytes > max_file_bytes:
        raise FileRefused(
            "file_too_large",
            f"文件 {file.size_bytes // 2**20} MB,超过上限 {max_file_bytes // 2**20} MB",
        )
    data = file.path.read_bytes()
    if file.format == "csv":
        return [read_csv_grid(data)]
    if data.startswith(OLE_MAGIC) and ENCRYPTED_STREAM in data:
        raise FileRefused("workbook_protected", "工作簿设有密码保护(已加密),无法读取")
    if file.format == "xlsx" and not data.startswith(OLE_MAGIC):
        _check_expanded_size(data, max_expanded_bytes)
    return read_excel_grids(data)
