"""Stage 2b: find the table inside a raw sheet.

A file's kind is recognised from its header row, which may sit beneath one
to three title rows and carry aliases, full-width characters and notes.
Below it, blank rows, repeated header rows and footers (合计, 制表人,
填报日期) are not data; everything else is a data row that must end up
loaded or refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import polars as pl

from epireport.config import FileKind
from transforms.read import RawSheet
from transforms.vocabulary import (
    FOOTER_MARKERS,
    HEADER_ALIASES,
    INSTRUCTION_SHEETS,
    KIND_LABELS,
    REQUIRED_FIELDS,
    fold,
    fold_header,
)

HEADER_SEARCH_ROWS = 8

_ALIAS_INDEX: dict[str, list[tuple[FileKind, str]]] = {}
for _kind, _fields in HEADER_ALIASES.items():
    for _field, _aliases in _fields.items():
        for _alias in _aliases:
            _ALIAS_INDEX.setdefault(fold(_alias), []).append((_kind, _field))

_FOOTER_PATTERN = "(" + "|".join(re.escape(m) for m in FOOTER_MARKERS) + ")"


@dataclass(frozen=True)
class SheetTable:
    """The data block of one sheet: ``rows`` has ``row_number`` and one text column per field."""

    kind: FileKind
    sheet: str
    header_row: int
    rows: pl.DataFrame
    preamble: tuple[str, ...]
    footer: tuple[str, ...]


@dataclass(frozen=True)
class HeaderProblem:
    """Why a sheet has no usable table; ``code`` is stable, ``message`` is for people."""

    code: str
    message: str


def is_instruction_sheet(name: str) -> bool:
    folded = fold(name)
    return any(marker in folded for marker in INSTRUCTION_SHEETS)


def _header_fields(cells: list[str | None]) -> dict[FileKind, dict[str, int]]:
    """For each kind, the fields this row's cells name (first column wins)."""
    found: dict[FileKind, dict[str, int]] = {}
    for index, cell in enumerate(cells):
        if cell is None:
            continue
        for key in dict.fromkeys((fold(cell), fold_header(cell))):
            for kind, field in _ALIAS_INDEX.get(key, ()):
                found.setdefault(kind, {}).setdefault(field, index)
    return found


def _missing_required(kind: FileKind, fields: dict[str, int]) -> list[str]:
    return [f for f in REQUIRED_FIELDS[kind] if f not in fields]


def find_header(
    grid: pl.DataFrame,
) -> tuple[int, FileKind, dict[str, int]] | HeaderProblem:
    """The header row, its kind and the column of each field, or why there is none."""
    best: tuple[int, int, FileKind, dict[str, int]] | None = None
    partial: tuple[int, FileKind, dict[str, int]] | None = None
    for row_index, cells in enumerate(grid.head(HEADER_SEARCH_ROWS).iter_rows()):
        for kind, fields in _header_fields(list(cells)).items():
            if not _missing_required(kind, fields):
                if best is None or len(fields) > best[0]:
                    best = (len(fields), row_index, kind, fields)
            elif len(fields) >= 2 and (partial is None or len(fields) > partial[0]):
                partial = (len(fields), kind, fields)
    if best is not None:
        return best[1], best[2], best[3]
    if partial is not None:
        _, kind, fields = partial
        missing = "、".join(HEADER_ALIASES[kind][f][0] for f in _missing_required(kind, fields))
        return HeaderProblem(
            "missing_required_column", f"像是{KIND_LABELS[kind]},但缺少必填列:{missing}"
        )
    return HeaderProblem("unknown_header", "表头与任何已知台账类型都不匹配")


def _row_texts(grid: pl.DataFrame) -> list[str]:
    return ["".join(c.strip() for c in row if c) for row in grid.iter_rows()]


def locate_table(sheet: RawSheet) -> SheetTable | HeaderProblem:
    """Split a sheet into preamble, header, data rows and footer."""
    grid = sheet.cells
    if grid.height == 0 or grid.width == 0:
        return HeaderProblem("empty_sheet", "工作表为空")
    located = find_header(grid)
    if isinstance(located, HeaderProblem):
        return located
    header_index, kind, fields = located
    columns = grid.columns
    header_cells = [fold(c) if c else "" for c in grid.row(header_index)]

    body = grid.slice(header_index + 1).with_row_index("row_number", offset=header_index + 2)
    text = [pl.col(c).str.replace_all(r"\s", "") for c in columns]
    is_blank = pl.all_horizontal([t.fill_null("") == "" for t in text])
    is_footer = pl.any_horizontal([t.str.contains(_FOOTER_PATTERN).fill_null(False) for t in text])
    is_repeated_header = pl.all_horizontal(
        [
            pl.col(columns[i]).fill_null("").str.replace_all(r"\s", "") == header_cells[i]
            for i in fields.values()
        ]
    )
    flagged = body.with_columns(
        is_blank.alias("_blank"), is_footer.alias("_footer"), is_repeated_header.alias("_header")
    )
    data = flagged.filter(~pl.col("_blank") & ~pl.col("_footer") & ~pl.col("_header"))
    rows = data.select(
        pl.col("row_number").cast(pl.Int64),
        *[pl.col(columns[i]).str.strip_chars().alias(field) for field, i in fields.items()],
    )
    footer_rows = flagged.filter(pl.col("_footer")).drop(
        "row_number", "_blank", "_footer", "_header"
    )
    return SheetTable(
        kind=kind,
        sheet=sheet.name,
        header_row=header_index + 1,
        rows=rows,
        preamble=tuple(t for t in _row_texts(grid.head(header_index)) if t),
        footer=tuple(t for t in _row_texts(footer_rows) if t),
    )
