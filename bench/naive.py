"""The naive script a county IT clerk would write in an afternoon: what a user compares us with.

One process, the standard library's csv, openpyxl (read-only) and xlrd; no Polars, DuckDB or
fastexcel, nothing from transforms/ or flows/. It walks the inbox, finds each table's header
row by keyword, keeps a roster only when a village name or alias is in its path or in the
lines above its header, dedupes roster persons by ID and counts doses by dose keyword, then
computes the report's headline figures (population base, P60 with first and second dose,
P18 with a booster). A file it cannot open is skipped and counted; a row whose ID, dose or
date it cannot read is skipped and counted. No aliases beyond the keywords, no quality
checks, no report: the cost of the headline figures done plainly (issue 16).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import itertools
import json
import re
import time
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import openpyxl
import xlrd

if TYPE_CHECKING:
    from epireport.config import TownshipConfig

HEADER_SEARCH = 10  # a header lies within a table's first rows (title, 填报单位, blank line)
KEYWORDS = {
    "id": ("身份", "证件号码"),
    "status": ("状态", "在家情况"),
    "dose": ("剂次", "针次", "第几针"),
    "date": ("接种日期", "接种时间"),
}
OUT_OF_BASE = ("死亡", "已故", "去世", "迁出")
DOSES = {
    **dict.fromkeys(("1", "第1剂", "第一剂", "第1针", "第一针", "一针"), 1),
    **dict.fromkeys(("2", "第2剂", "第二剂", "第2针", "第二针", "二针"), 2),
    **dict.fromkeys(
        ("3", "第3剂", "第三剂", "第3针", "第三针", "加强针", "加强", "加强免疫", "序贯加强",
         "序贯加强免疫"),
        3,
    ),
}  # fmt: skip
COUNTS = ("base", "p60", "v60_dose1", "v60_dose2", "p18", "booster")
FIRST_VACCINATION = dt.date(2020, 12, 15)
EXCEL_EPOCH = dt.date(1899, 12, 30)
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
DATE_TEXT = re.compile(r"(\d{4})\D+(\d{1,2})\D+(\d{1,2})")

Row = Sequence[object]


def _check_digit(first17: str) -> str:
    return "10X98765432"[sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True)) % 11]


def _person(cell: object) -> tuple[str, dt.date] | None:
    """The ID as 18 characters and its birth date, or None for an ID that is no ID."""
    text = unicodedata.normalize("NFKC", str(cell)).upper()
    text = "".join(text.split()).replace("-", "")
    if len(text) == 15 and text.isdigit():  # legacy ID: century 19, then a check digit
        text = text[:6] + "19" + text[6:]
        text += _check_digit(text)
    if len(text) != 18 or not text[:17].isdigit() or _check_digit(text[:17]) != text[17]:
        return None
    try:
        return text, dt.date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError:
        return None


def _dose(cell: object) -> int | None:
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    return DOSES.get("".join(unicodedata.normalize("NFKC", str(cell)).split()))


def _day(cell: object) -> dt.date | None:
    """A date cell, an Excel serial number, or 2022-03-05 / 2022/3/5 / 2022.3.5 /
    2022年3月5日 / 20220305 as text."""
    if isinstance(cell, dt.datetime):
        return cell.date()
    if isinstance(cell, dt.date):
        return cell
    text = unicodedata.normalize("NFKC", str(cell)).strip()
    if isinstance(cell, float) and cell.is_integer():
        text = str(int(cell))
    try:
        if text.isdigit() and len(text) == 8:
            return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
        if text.isdigit() and len(text) <= 5:
            return EXCEL_EPOCH + dt.timedelta(days=int(text))
        if found := DATE_TEXT.match(text):
            return dt.date(*(int(part) for part in found.groups()))
    except ValueError:
        return None
    return None


def _age(birth: dt.date, on: dt.date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def _csv_rows(path: Path) -> Iterator[Row]:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("gb18030")
    delimiter = "\t" if text[:2000].count("\t") > text[:2000].count(",") else ","
    return csv.reader(io.StringIO(text), delimiter=delimiter)


def _xls_rows(book: xlrd.book.Book, sheet: xlrd.sheet.Sheet) -> Iterator[Row]:
    for r in range(sheet.nrows):
        values = sheet.row_values(r)
        for c, kind in enumerate(sheet.row_types(r)):
            if kind == xlrd.XL_CELL_DATE:
                values[c] = xlrd.xldate_as_datetime(values[c], book.datemode)
            elif kind == xlrd.XL_CELL_EMPTY:
                values[c] = None
        yield values


def _sheets(path: Path) -> Iterator[Iterator[Row]]:
    """Each sheet's rows: a CSV is one sheet."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        yield _csv_rows(path)
    elif suffix == ".xlsx":
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            for sheet in book.worksheets:
                yield sheet.iter_rows(values_only=True)
        finally:
            book.close()
    elif suffix == ".xls":
        book = xlrd.open_workbook(path, on_demand=True)
        try:
            for index in range(book.nsheets):
                yield _xls_rows(book, book.sheet_by_index(index))
        finally:
            book.release_resources()


def _header(rows: Iterator[Row]) -> tuple[str, dict[str, int], str] | None:
    """Find the header row by keyword: (kind, column of each keyword, the text above it).
    The rows after the header stay in ``rows``."""
    above: list[str] = []
    for row in itertools.islice(rows, HEADER_SEARCH):
        cells = ["".join(str(c).split()) if c is not None else "" for c in row]
        columns: dict[str, int] = {}
        for key, words in KEYWORDS.items():
            for position, cell in enumerate(cells):
                if any(word in cell for word in words):
                    columns.setdefault(key, position)
        if "id" in columns and "dose" in columns and "date" in columns:
            return "vaccination", columns, " ".join(above)
        if "id" in columns and "status" in columns:
            return "roster", columns, " ".join(above)
        above.extend(cells)
    return None


def _cell(row: Row, column: int) -> object:
    value = row[column] if column < len(row) else None
    return None if value == "" else value


class Tally:
    """What the walk over one inbox found."""

    def __init__(self, cutoff: dt.date, villages: Sequence[str]) -> None:
        self.cutoff, self.villages = cutoff, villages
        self.persons: dict[str, tuple[dt.date, bool]] = {}  # ID -> (birth, in the base)
        self.doses: dict[int, set[str]] = {1: set(), 2: set(), 3: set()}  # dated ≤ cut-off
        self.files: Counter[str] = Counter()
        self.rows_skipped: Counter[str] = Counter()

    def roster(self, rows: Iterator[Row], columns: dict[str, int]) -> None:
        for row in rows:
            cell = _cell(row, columns["id"])
            if cell is None:  # a blank, 合计 or 制表人 line
                continue
            person = _person(cell)
            if person is None:
                self.rows_skipped["roster: bad ID"] += 1
                continue
            status = str(_cell(row, columns["status"]) or "")
            in_base = not any(word in status for word in OUT_OF_BASE)
            known = self.persons.get(person[0])
            self.persons[person[0]] = (person[1], in_base or (known is not None and known[1]))

    def vaccination(self, rows: Iterator[Row], columns: dict[str, int]) -> None:
        for row in rows:
            cell = _cell(row, columns["id"])
            if cell is None:
                continue
            person = _person(cell)
            dose = _dose(_cell(row, columns["dose"]))
            day = _day(_cell(row, columns["date"]))
            if person is None or dose is None or day is None or day < FIRST_VACCINATION:
                self.rows_skipped["vaccination: bad ID, dose or date"] += 1
            elif day <= self.cutoff:
                self.doses[dose].add(person[0])

    def read(self, inbox: Path, path: Path) -> None:
        """One file: every sheet with a roster or vaccination header is counted."""
        if path.stat().st_size == 0:
            self.files["skipped: empty"] += 1
            return
        if path.suffix.lower() not in (".csv", ".xlsx", ".xls"):
            self.files["other format"] += 1
            return
        kinds: set[str] = set()
        where = str(path.relative_to(inbox))
        try:
            for rows in _sheets(path):
                found = _header(rows)
                if found is None:
                    continue
                kind, columns, above = found
                if kind == "vaccination":
                    self.vaccination(rows, columns)
                elif any(name in where or name in above for name in self.villages):
                    self.roster(rows, columns)
                else:
                    kind = "skipped: roster of no known village"
                kinds.add(kind)
        except Exception as error:  # whatever stops openpyxl or xlrd: skipped, counted
            self.files[f"skipped: unreadable ({type(error).__name__})"] += 1
            return
        self.files[" + ".join(sorted(kinds)) or "other kind"] += 1

    def figures(self) -> dict[str, int]:
        on = self.cutoff
        base = {pid: _age(birth, on) for pid, (birth, in_base) in self.persons.items() if in_base}
        p60 = {pid for pid, age in base.items() if age >= 60}
        p18 = {pid for pid, age in base.items() if age >= 18}
        return {
            "base": len(base),
            "p60": len(p60),
            "v60_dose1": len(p60 & self.doses[1]),
            "v60_dose2": len(p60 & self.doses[2]),
            "p18": len(p18),
            "booster": len(p18 & self.doses[3]),
        }


def _pct(part: int, whole: int) -> float:
    """100 × part / whole to two decimals, half up, as the report rounds."""
    if not whole:
        return 0.0
    return float((Decimal(100 * part) / whole).quantize(Decimal("0.01"), ROUND_HALF_UP))


def _with_rates(counts: dict[str, int]) -> dict[str, int | float]:
    return {
        **counts,
        "v60_dose1_pct": _pct(counts["v60_dose1"], counts["p60"]),
        "v60_dose2_pct": _pct(counts["v60_dose2"], counts["p60"]),
        "booster_pct": _pct(counts["booster"], counts["p18"]),
    }


def spellings(config: TownshipConfig) -> list[str]:
    """Every name and alias of the township's villages, as a clerk would list them."""
    return [name for village in config.villages for name in (village.name, *village.aliases)]


def naive_township(inbox: Path, cutoff: dt.date, villages: Iterable[str]) -> dict:
    """The headline figures of one township's inbox at the cut-off date, with what was
    skipped: files by what they were, rows by why."""
    tally = Tally(cutoff, tuple(villages))
    for path in sorted(p for p in inbox.rglob("*") if p.is_file()):
        tally.read(inbox, path)
    return {
        **_with_rates(tally.figures()),
        "files": dict(sorted(tally.files.items())),
        "rows_skipped": dict(sorted(tally.rows_skipped.items())),
    }


def naive_county(townships: Iterable[tuple[Path, dt.date, Iterable[str]]]) -> dict:
    """A county: each township's inbox on its own, counts added (a person counts in the
    township whose roster has them), rates from the sums."""
    each = [naive_township(inbox, cutoff, villages) for inbox, cutoff, villages in townships]
    counts = {key: sum(t[key] for t in each) for key in COUNTS}
    files: Counter[str] = Counter()
    rows: Counter[str] = Counter()
    for township in each:
        files.update(township["files"])
        rows.update(township["rows_skipped"])
    return {
        **_with_rates(counts),
        "files": dict(sorted(files.items())),
        "rows_skipped": dict(sorted(rows.items())),
    }


def main() -> None:
    """`python -m bench.naive INBOX --config TOWNSHIP.yaml`: the figures as JSON, the seconds
    the walk took. The config gives only the cut-off date and the village names, the two
    things a clerk would type at the top of such a script."""
    from epireport.config import load_config

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("inbox", type=Path)
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--run-date", type=dt.date.fromisoformat, default=dt.date.today())
    args = parser.parse_args()
    config = load_config(args.config)
    started = time.perf_counter()
    figures = naive_township(args.inbox, config.cutoff(args.run_date), spellings(config))
    figures["wall_s"] = round(time.perf_counter() - started, 2)
    print(json.dumps(figures, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
