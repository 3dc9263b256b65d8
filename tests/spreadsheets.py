"""Small spreadsheets written by the tests themselves, in the shapes clerks send."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import xlsxwriter


def write_xlsx(path: Path, sheets: dict[str, Sequence[Sequence[object]]]) -> Path:
    """A workbook with one sheet per entry; ``None`` leaves a cell empty."""
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook = xlsxwriter.Workbook(str(path))
    for name, rows in sheets.items():
        sheet = workbook.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is not None:
                    sheet.write(r, c, value)
    workbook.close()
    return path


def write_csv(
    path: Path, rows: Sequence[Sequence[str]], encoding: str = "utf-8", sep: str = ","
) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes("\n".join(sep.join(r) for r in rows).encode(encoding) + b"\n")
    return path
