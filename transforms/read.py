"""Stage 2a: read a spreadsheet file into raw text grids, one per sheet.

Every cell is read as text so that an 18-digit ID number never passes through
a float on our side. Excel files go through fastexcel (calamine); CSV files
are decoded by us because clerks save them in UTF-8, UTF-8 with BOM, GBK or
GB18030, comma- or tab-separated.

What a file may cost is checked before it is parsed: a few KB of xlsx can name a
cell at XFD1048576, and calamine then allocates the whole rectangle up to it; one
CSV line of tens of MB becomes as many columns. Library error texts never reach a
refusal: they may quote the file's raw lines.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

import fastexcel
import polars as pl

from epireport.config import TownshipConfig
from transforms.discover import InboxFile
from transforms.vocabulary import REASON_TEXTS

CSV_ENCODINGS: tuple[str, ...] = ("utf-8-sig", "gb18030")
# An encrypted workbook is an OLE compound file holding an "EncryptedPackage" stream.
OLE_MAGIC = bytes.fromhex("d0cf11e0a1b11ae1")
ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")
# A cell reference in sheet XML (<c r="XFD1048576" ...>, with or without a namespace prefix).
_CELL_REF = re.compile(rb'<(?:\w+:)?c\s[^>]*?\br="([A-Z]{1,3})([0-9]{1,7})"')
# The last cell of a sheet's claimed range: <dimension ref="A1:I66053"/> or ref="A1".
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="(?:[A-Z]+[0-9]+:)?([A-Z]{1,3})([0-9]{1,7})"')
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_DIGITS = "0123456789"
# Sheet XML is scanned in pieces of this size; a reference never spans more than the overlap.
_SCAN_CHUNK = 1 << 22
_SCAN_OVERLAP = 256
# Parts of an xlsx that hold no cells and may be large: not scanned.
_CELL_FREE_PARTS = ("sharedstrings.xml", "styles.xml")


def _default(name: str) -> int:
    return int(TownshipConfig.model_fields[name].default)


@dataclass(frozen=True)
class ShapeLimits:
    """How large a file's table may be, checked before parsing (township config)."""

    max_cells: int = _default("max_cells")
    max_csv_line_bytes: int = int(_default("max_csv_line_kb") * 1024)

    @classmethod
    def of(cls, config: TownshipConfig) -> ShapeLimits:
        return cls(config.max_cells, int(config.max_csv_line_kb * 1024))


@dataclass(frozen=True)
class RawSheet:
    """A sheet as a grid of text; grid row ``i`` is the sheet's row ``i + 1``."""

    name: str
    cells: pl.DataFrame


class FileRefused(Exception):
    """A whole file that cannot be used; ``code`` is stable, the message is for people."""

    def __init__(self, code: str, message: str | None = None) -> None:
        self.code = code
        self.message = message or REASON_TEXTS[code]
        super().__init__(self.message)


def _column_names(width: int) -> list[str]:
    return [f"c{i}" for i in range(width)]


def _too_many_cells(cells: int, limit: int) -> FileRefused:
    return FileRefused(
        "too_many_cells",
        f"表格范围（行数×列数）共 {cells:,} 个单元格，超过上限 {limit:,} 个（max_cells）；"
        "可能有内容写在远离数据区的单元格，请删除多余的行和列后重新保存",
    )


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def decode_csv(data: bytes) -> str:
    """Decode CSV bytes in the first encoding that fits (GB18030 is a superset of GBK)."""
    for encoding in CSV_ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise FileRefused("csv_encoding", "CSV 文件编码无法识别（支持 UTF-8、GBK、GB18030）")


def detect_separator(text: str) -> str:
    """Tab when the first lines carry more tabs than commas, else comma."""
    head = text.splitlines()[:30]
    tabs = sum(line.count("\t") for line in head)
    commas = sum(line.count(",") for line in head)
    return "\t" if tabs > commas else ","


def check_csv_lines(data: bytes, max_line_bytes: int) -> None:
    """Refuse a CSV with a line longer than the limit, before decoding it."""
    longest = max(len(line) for line in data.split(b"\n"))
    if longest > max_line_bytes:
        raise FileRefused(
            "csv_line_too_long",
            f"CSV 文件中有一行长 {longest // 1024:,} KB，超过上限 {max_line_bytes // 1024:,} KB"
            "（max_csv_line_kb）；请检查文件是否损坏，或另存为 xlsx 后重新提交",
        )


def read_csv_grid(data: bytes, limits: ShapeLimits) -> RawSheet:
    check_csv_lines(data, limits.max_csv_line_bytes)
    text = decode_csv(data)
    if not text.strip():
        raise FileRefused("empty_file")
    separator = detect_separator(text)
    lines = text.splitlines()
    width = max(line.count(separator) + 1 for line in lines)
    if width * len(lines) > limits.max_cells:
        raise _too_many_cells(width * len(lines), limits.max_cells)
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
        raise FileRefused("csv_unreadable") from e
    return RawSheet(name="csv", cells=grid)


def _greater(text: str, alphabet: str) -> str:
    """A pattern for the strings over ``alphabet`` as long as ``text`` that sort after it."""
    parts = []
    for i, char in enumerate(text):
        higher = alphabet[alphabet.index(char) + 1 :]
        if higher:
            rest = len(text) - i - 1
            tail = f"[{alphabet[0]}-{alphabet[-1]}]{{{rest}}}" if rest else ""
            parts.append(f"{text[:i]}[{higher[0]}-{higher[-1]}]{tail}")
    return "|".join(parts) or "(?!)"


def _outside(letters: str, row: int) -> re.Pattern[bytes]:
    """A cell reference beyond column ``letters`` or row ``row``: rare, so quick to rule out."""
    digits = str(row)
    longer = [f"[A-Z]{{{len(letters) + 1},3}}"] if len(letters) < 3 else []
    columns = "|".join([*longer, _greater(letters, _LETTERS)])
    rows = f"[0-9]{{{len(digits) + 1},}}|{_greater(digits, _DIGITS)}"
    return re.compile(f' r="(?:(?:{columns})[0-9]+|[A-Z]{{1,3}}(?:{rows}))"'.encode())


def _chunks(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Iterator[bytes]:
    """The part's bytes in pieces that overlap, so that no reference is cut in two."""
    tail = b""
    with archive.open(info) as stream:
        while chunk := stream.read(_SCAN_CHUNK):
            yield tail + chunk
            tail = chunk[-_SCAN_OVERLAP:]


def _scanned_extent(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> int:
    max_row = max_col = 0
    for text in _chunks(archive, info):
        refs = _CELL_REF.findall(text)
        if refs:
            max_row = max(max_row, *(int(r) for r in {r for _, r in refs}))
            max_col = max(max_col, *(_column_number(c) for c in {c for c, _ in refs}))
    return max_row * max_col


def _part_extent(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: int) -> int:
    """Rows x columns from A1 to the farthest cell of one xlsx part. The sheet's <dimension>
    is taken when no cell lies beyond it (a quick scan); otherwise every reference is read."""
    with archive.open(info) as stream:
        head = stream.read(_SCAN_OVERLAP * 8)
    claimed = _DIMENSION.search(head)
    if claimed is not None:
        letters, row = claimed.group(1).decode(), int(claimed.group(2))
        extent = row * _column_number(claimed.group(1))
        if extent <= budget:
            outside = _outside(letters, row)
            if not any(outside.search(t) for t in _chunks(archive, info)):
                return extent
    return _scanned_extent(archive, info)


def check_xlsx(data: bytes, max_expanded_bytes: int, max_cells: int) -> None:
    """Refuse an xlsx that would expand past the limits, from its zip directory and cell
    references, before calamine parses it (a sheet's <dimension> may lie: not trusted)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            expanded = sum(info.file_size for info in infos)
            if expanded > max_expanded_bytes:
                raise FileRefused(
                    "workbook_too_large_expanded",
                    f"工作簿解压后 {expanded // 2**20:,} MB，超过上限 "
                    f"{max_expanded_bytes // 2**20:,} MB（max_uncompressed_mb）",
                )
            cells = 0
            for info in infos:
                name = info.filename.lower()
                if name.endswith(".xml") and not name.endswith(_CELL_FREE_PARTS):
                    cells += _part_extent(archive, info, max_cells - cells)
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        zlib.error,
        EOFError,
        OSError,
        NotImplementedError,
    ) as e:
        raise FileRefused("workbook_unreadable") from e
    if cells > max_cells:
        raise _too_many_cells(cells, max_cells)


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
            raise FileRefused("workbook_protected") from e
        raise FileRefused("workbook_unreadable") from e
    except MemoryError as e:
        raise FileRefused("reader_out_of_memory") from e
    except BaseException as e:
        # calamine panics on some malformed workbooks; pyo3 raises that as a PanicException,
        # which derives from BaseException. Anything else (Ctrl-C, exit) passes through.
        if type(e).__name__ != "PanicException":
            raise
        raise FileRefused("workbook_unreadable") from e
    return sheets


def _read_bytes(file: InboxFile) -> bytes:
    """The file's bytes; a file gone or locked since discovery refuses only itself."""
    try:
        return file.path.read_bytes()
    except FileNotFoundError as e:
        raise FileRefused("file_vanished") from e
    except OSError as e:
        raise FileRefused("file_unreadable") from e


def read_sheets(
    file: InboxFile,
    max_file_bytes: int,
    max_expanded_bytes: int,
    shape: ShapeLimits | None = None,
) -> list[RawSheet]:
    """Read a file into raw sheets, or refuse the whole file with a reason."""
    shape = shape or ShapeLimits()
    if file.refusal_code is not None:
        raise FileRefused(file.refusal_code)
    if file.format is None:
        raise FileRefused("unsupported_format")
    if file.size_bytes == 0:
        raise FileRefused("empty_file")
    if file.size_bytes > max_file_bytes:
        raise FileRefused(
            "file_too_large",
            f"文件 {file.size_bytes // 2**20:,} MB，超过上限 {max_file_bytes // 2**20:,} MB"
            "（max_file_mb）",
        )
    data = _read_bytes(file)
    if len(data) > max_file_bytes:
        raise FileRefused("file_too_large")
    try:
        if file.format == "csv":
            return [read_csv_grid(data, shape)]
        if data.startswith(OLE_MAGIC) and ENCRYPTED_STREAM in data:
            raise FileRefused("workbook_protected")
        if file.format == "xlsx" and not data.startswith(OLE_MAGIC):
            check_xlsx(data, max_expanded_bytes, shape.max_cells)
        return read_excel_grids(data)
    except MemoryError as e:
        raise FileRefused("reader_out_of_memory") from e
