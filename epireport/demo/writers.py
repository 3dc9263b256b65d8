"""Workbook and CSV writers for the demo inbox, deterministic to the byte.

A file is built as sheets of cells first (``SheetBuilder``), then written as
.xlsx (xlsxwriter), .xls (xlwt) or .csv. Cell types carry the quirks real
files have: real date cells, Excel serial numbers typed as plain numbers,
formula cells with a cached value, and ID numbers that Excel turned into floats.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import xlsxwriter
import xlwt

# Fixed workbook metadata: no wall clock may leak into a generated file.
WORKBOOK_CREATED = dt.datetime(2022, 12, 18, 9, 0, 0)
EXCEL_EPOCH = dt.date(1899, 12, 30)
XLS_MAX_ROWS = 65535
XLSX_MAX_ROWS = 1_048_575
STREAMING_ROWS = 200_000


@dataclass(frozen=True)
class Serial:
    """A date typed as a bare Excel serial number (no date format)."""

    day: dt.date

    @property
    def number(self) -> int:
        return (self.day - EXCEL_EPOCH).days


@dataclass(frozen=True)
class Formula:
    """A formula cell; readers see its cached ``value``."""

    expr: str
    value: int


@dataclass(frozen=True)
class FloatId:
    """An 18-digit ID that Excel stored as a float (precision lost)."""

    text: str

    @property
    def number(self) -> float:
        return float(self.text)


@dataclass(frozen=True)
class DateCell:
    """A real date cell shown with ``pattern`` (an Excel number format)."""

    day: dt.date
    pattern: str = "yyyy-mm-dd"


Cell = str | int | float | Serial | Formula | FloatId | DateCell | None


@dataclass
class SheetBuilder:
    """Rows of one sheet, with the bookkeeping the inbox manifest needs."""

    name: str
    rows: list[list[Cell]] = field(default_factory=list)
    merges: list[tuple[int, int, int]] = field(default_factory=list)
    data_rows: int = 0
    refused: list[tuple[int, str]] = field(default_factory=list)

    def title(self, text: str, width: int) -> None:
        """A title line, merged across the table's width."""
        self.merges.append((len(self.rows), 0, max(width - 1, 0)))
        self.rows.append([text] + [None] * (width - 1))

    def line(self, cells: list[Cell]) -> None:
        """A non-data line: header, blank, or footer."""
        self.rows.append(cells)

    def data(self, cells: list[Cell], refused: str | None = None) -> None:
        """A data row; ``refused`` names the reason the pipeline must refuse it."""
        self.data_rows += 1
        if refused:
            self.refused.append((len(self.rows) + 1, refused))
        self.rows.append(cells)


def _text(cell: Cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, DateCell):
        return cell.day.isoformat()
    if isinstance(cell, Serial):
        return str(cell.number)
    if isinstance(cell, Formula):
        return str(cell.value)
    if isinstance(cell, FloatId):
        return f"{cell.number:.5E}"
    return str(cell)


def write_csv(path: Path, sheet: SheetBuilder, encoding: str, delimiter: str = ",") -> None:
    """One sheet as delimited text; rows padded to the widest, as Excel exports them."""
    width = max((len(r) for r in sheet.rows), default=0)
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter, lineterminator="\r\n")
        for row in sheet.rows:
            cells = [_text(c) for c in row]
            writer.writerow(cells + [""] * (width - len(cells)))


def write_xlsx(path: Path, sheets: list[SheetBuilder]) -> None:
    """Sheets as an .xlsx workbook with fixed metadata."""
    # Streaming rows costs ~1.8x the time; only county-size files need its small footprint.
    streaming = sum(len(s.rows) for s in sheets) > STREAMING_ROWS
    workbook = xlsxwriter.Workbook(
        str(path), {"constant_memory": streaming, "strings_to_numbers": False}
    )
    workbook.set_properties({"created": WORKBOOK_CREATED, "author": "", "company": ""})
    formats: dict[str, xlsxwriter.format.Format] = {}

    def fmt(pattern: str) -> xlsxwriter.format.Format:
        if pattern not in formats:
            formats[pattern] = workbook.add_format({"num_format": pattern})
        return formats[pattern]

    title_fmt = workbook.add_format({"bold": True, "align": "center", "font_size": 14})
    for sheet in sheets:
        ws = workbook.add_worksheet(sheet.name)
        ws.set_column(0, 12, 14)
        merged = {r: (c1, c2) for r, c1, c2 in sheet.merges}
        for r, row in enumerate(sheet.rows):
            if r in merged and merged[r][1] > merged[r][0]:
                ws.merge_range(r, merged[r][0], r, merged[r][1], row[0] or "", title_fmt)
                continue
            for c, cell in enumerate(row):
                if cell is None:
                    continue
                if isinstance(cell, str):
                    ws.write_string(r, c, cell)
                elif isinstance(cell, DateCell):
                    ws.write_datetime(r, c, cell.day, fmt(cell.pattern))
                elif isinstance(cell, Serial):
                    ws.write_number(r, c, cell.number)
                elif isinstance(cell, Formula):
                    ws.write_formula(r, c, cell.expr, None, cell.value)
                elif isinstance(cell, FloatId):
                    ws.write_number(r, c, cell.number, fmt("0.00000E+00"))
                else:
                    ws.write_number(r, c, cell)
    workbook.close()


def write_xls(path: Path, sheets: list[SheetBuilder]) -> None:
    """Sheets as a legacy .xls workbook (formulas are written as their values)."""
    workbook = xlwt.Workbook(encoding="utf-8")
    styles: dict[str, xlwt.XFStyle] = {}

    def style(pattern: str) -> xlwt.XFStyle:
        if pattern not in styles:
            styles[pattern] = xlwt.easyxf(num_format_str=pattern)
        return styles[pattern]

    for sheet in sheets:
        if len(sheet.rows) > XLS_MAX_ROWS:
            raise ValueError(f"sheet {sheet.name} has more rows than .xls allows")
        ws = workbook.add_sheet(sheet.name)
        merged = {r: (c1, c2) for r, c1, c2 in sheet.merges}
        for r, row in enumerate(sheet.rows):
            if r in merged and merged[r][1] > merged[r][0]:
                ws.write_merge(r, r, merged[r][0], merged[r][1], row[0] or "")
                continue
            for c, cell in enumerate(row):
                if cell is None:
                    continue
                if isinstance(cell, DateCell):
                    ws.write(r, c, cell.day, style(cell.pattern.replace("yyyy", "YYYY")))
                elif isinstance(cell, Serial | FloatId):
                    ws.write(r, c, cell.number)
                elif isinstance(cell, Formula):
                    ws.write(r, c, cell.value)
                else:
                    ws.write(r, c, cell)
    workbook.save(str(path))
