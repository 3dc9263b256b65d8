"""Stage 2b: find the table inside a raw sheet, and count every row of it.

A sheet's kind is recognised from its header row, which may sit beneath one
to three title rows and carry aliases, full-width characters and notes.
Below it, blank rows, repeated header rows and footers (合计, 制表人,
填报日期) are not data; everything else is a data row that must end up
loaded or refused. Every non-blank row of the sheet is counted: title rows,
the header, repeated headers and footers as layout, the rest as data.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from epireport.config import FileKind
from transforms.read import RawSheet
from transforms.township_vocabulary import SHIPPED_VOCABULARY, HeaderIndex
from transforms.vocabulary import (
    FOOTER_MARKERS,
    FOOTER_TOTALS,
    INSTRUCTION_SHEETS,
    KIND_LABELS,
    QUANTITY_PREFIXES,
    QUANTITY_SUFFIXES,
    QUANTITY_UNITS,
    REASON_TEXTS,
    REQUIRED_FIELDS,
    field_label,
    fold,
    fold_header,
)

HEADER_SEARCH_ROWS = 8

SHIPPED_HEADERS: HeaderIndex = SHIPPED_VOCABULARY.headers

_MARKER_START = "^(" + "|".join(re.escape(m) for m in FOOTER_MARKERS) + ")"
_WORDS = "|".join(re.escape(w) for w in sorted({*QUANTITY_UNITS, *QUANTITY_SUFFIXES}, key=len))
# A figure in a total row: 35, 1,200, 12.5%, 35人, 共120份 (at most ten digits: not an ID).
_FIGURE = re.compile(
    "(" + "|".join(re.escape(w) for w in QUANTITY_PREFIXES) + ")?"
    r"[+-]?(\d{1,3}(,\d{3})+|\d{1,10})(\.\d+)?%?"
    "(" + _WORDS + ")*"
)
# A label in a total row: short text without digits (石门村, 户数).
LABEL_MAX_CHARS = 12


@dataclass(frozen=True)
class SheetTable:
    """The data block of one sheet: ``rows`` has ``row_number`` and one text column per field.

    ``rows_in_sheet`` counts the sheet's non-blank rows; ``rows_layout`` those that are
    title, header, repeated header or footer rows; the others are ``rows``.
    """

    kind: FileKind
    sheet: str
    header_row: int
    rows: pl.DataFrame
    preamble: tuple[str, ...]
    footer: tuple[str, ...]
    rows_in_sheet: int
    rows_layout: int


@dataclass(frozen=True)
class HeaderProblem:
    """Why a sheet has no usable table; ``code`` is stable, ``message`` is for people."""

    code: str
    message: str


def _cleaned(columns: Sequence[str]) -> list[pl.Expr]:
    return [pl.col(c).fill_null("").str.replace_all(r"\s", "") for c in columns]


def count_nonblank(grid: pl.DataFrame) -> int:
    """Rows with at least one cell that holds more than white space."""
    if grid.height == 0 or grid.width == 0:
        return 0
    filled = pl.any_horizontal([t != "" for t in _cleaned(grid.columns)])
    return int(grid.select(filled.sum()).item())


def is_footer(cells: Sequence[str | None]) -> bool:
    """A footer row: its first non-empty cell starts with a footer word, and after a total word
    (合计, 总计, 小计) every other non-empty cell is a figure, a footer word or a short label
    without digits; after a signature word (制表人, 填报日期 …) anything may follow.

    So a remark 已合计到上月 or a person named 张合计 in a data row never makes it a footer.
    """
    texts = [fold(c) for c in cells if c is not None and fold(c)]
    if not texts or not re.match(_MARKER_START, texts[0]):
        return False
    if not texts[0].startswith(FOOTER_TOTALS):
        return True
    return all(
        _FIGURE.fullmatch(t)
        or re.match(_MARKER_START, t)
        or (len(t) <= LABEL_MAX_CHARS and not any(ch.isdigit() for ch in t))
        for t in texts[1:]
    )


def skip_reason(sheet: RawSheet, problem: HeaderProblem) -> HeaderProblem:
    """Why a sheet without a usable header is skipped: an instruction page when it is named
    like one (the name only words the reason; it never decides), else the header problem."""
    if problem.code == "unknown_header" and fold(sheet.name) in map(fold, INSTRUCTION_SHEETS):
        return HeaderProblem("instruction_sheet", REASON_TEXTS["instruction_sheet"])
    return problem


def _header_fields(cells: list[str | None], headers: HeaderIndex) -> dict[FileKind, dict[str, int]]:
    """For each kind, the fields this row's cells name (first column wins)."""
    found: dict[FileKind, dict[str, int]] = {}
    for index, cell in enumerate(cells):
        if cell is None:
            continue
        for key in dict.fromkeys((fold(cell), fold_header(cell))):
            for kind, field in headers.get(key, ()):
                found.setdefault(kind, {}).setdefault(field, index)
    return found


def _missing_required(kind: FileKind, fields: dict[str, int]) -> list[str]:
    return [f for f in REQUIRED_FIELDS[kind] if f not in fields]


def find_header(
    grid: pl.DataFrame, headers: HeaderIndex = SHIPPED_HEADERS
) -> tuple[int, FileKind, dict[str, int]] | HeaderProblem:
    """The header row, its kind and the column of each field, or why there is none;
    ``headers`` are the township's (shipped aliases and its own)."""
    best: tuple[int, int, FileKind, dict[str, int]] | None = None
    partial: tuple[int, FileKind, dict[str, int]] | None = None
    for row_index, cells in enumerate(grid.head(HEADER_SEARCH_ROWS).iter_rows()):
        for kind, fields in _header_fields(list(cells), headers).items():
            if not _missing_required(kind, fields):
                if best is None or len(fields) > best[0]:
                    best = (len(fields), row_index, kind, fields)
            elif len(fields) >= 2 and (partial is None or len(fields) > partial[0]):
                partial = (len(fields), kind, fields)
    if best is not None:
        return best[1], best[2], best[3]
    if partial is not None:
        _, kind, fields = partial
        missing = "、".join(field_label(kind, f) for f in _missing_required(kind, fields))
        return HeaderProblem(
            "missing_required_column", f"像是{KIND_LABELS[kind]}，但缺少必填列：{missing}"
        )
    return HeaderProblem("unknown_header", "表头与任何已知台账类型都不匹配")


def _row_texts(grid: pl.DataFrame) -> list[str]:
    return ["".join(c.strip() for c in row if c) for row in grid.iter_rows()]


def locate_table(
    sheet: RawSheet, headers: HeaderIndex = SHIPPED_HEADERS
) -> SheetTable | HeaderProblem:
    """Split a sheet into preamble, header, data rows and footer, counting each."""
    grid = sheet.cells
    rows_in_sheet = count_nonblank(grid)
    if rows_in_sheet == 0:
        return HeaderProblem("empty_sheet", REASON_TEXTS["empty_sheet"])
    located = find_header(grid, headers)
    if isinstance(located, HeaderProblem):
        return located
    header_index, kind, fields = located
    columns = grid.columns
    header_cells = [fold(c) if c else "" for c in grid.row(header_index)]

    body = grid.slice(header_index + 1).with_row_index("row_number", offset=header_index + 2)
    text = _cleaned(columns)
    first_filled = pl.coalesce([pl.when(t != "").then(t) for t in text])
    flagged = body.with_columns(
        first_filled.is_null().alias("_blank"),
        first_filled.str.contains(_MARKER_START).fill_null(False).alias("_candidate"),
        pl.all_horizontal([text[i] == header_cells[i] for i in fields.values()]).alias("_header"),
    )
    footer_numbers = [
        number
        for number, *cells in flagged.filter(pl.col("_candidate"))
        .select("row_number", *columns)
        .iter_rows()
        if is_footer(cells)
    ]
    flagged = flagged.with_columns(pl.col("row_number").is_in(footer_numbers).alias("_footer"))
    data = flagged.filter(~pl.col("_blank") & ~pl.col("_footer") & ~pl.col("_header"))
    rows = data.select(
        pl.col("row_number").cast(pl.Int64),
        *[pl.col(columns[i]).str.strip_chars().alias(field) for field, i in fields.items()],
    )
    footer_rows = flagged.filter(pl.col("_footer")).select(columns)
    preamble = tuple(t for t in _row_texts(grid.head(header_index)) if t)
    return SheetTable(
        kind=kind,
        sheet=sheet.name,
        header_row=header_index + 1,
        rows=rows,
        preamble=preamble,
        footer=tuple(t for t in _row_texts(footer_rows) if t),
        rows_in_sheet=rows_in_sheet,
        rows_layout=rows_in_sheet - rows.height,
    )
