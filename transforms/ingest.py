"""Stage 2: from inbox files to typed rows of each kind, accounting for every row.

For every file: rows read = rows loaded + rows refused, or the whole file is
refused with a reason. A file whose content was already seen is skipped; a
village's later submission of the same kind replaces its earlier one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

import polars as pl

from epireport.config import FileKind, TownshipConfig
from transforms.dates import parse_date
from transforms.discover import InboxFile
from transforms.layout import HeaderProblem, SheetTable, is_instruction_sheet, locate_table
from transforms.normalize import REFUSED_SCHEMA, NormalizeContext, normalize_kind
from transforms.read import FileRefused, read_sheets
from transforms.vocabulary import REASON_TEXTS, UNIT_MARKERS

# Kinds that carry no village column: the file belongs to one village, named around the table.
VILLAGE_FILE_KINDS: frozenset[str] = frozenset({"roster", "publicity"})
# A file whose rows are read but not loaded: repeated content, or replaced by a later version.
RETIRED_STATUSES: frozenset[str] = frozenset({"duplicate", "superseded"})
# Kinds a village sends once per period; a later file replaces the earlier one.
ONE_PER_VILLAGE_KINDS: frozenset[str] = frozenset({"roster", "publicity", "grid"})

_REPORTED_ON = re.compile(r"填报日期[::]?\s*(.+)")


@dataclass(frozen=True)
class FileRead:
    """What one file yielded: its tables, or why it was refused."""

    file: InboxFile
    tables: tuple[SheetTable, ...] = ()
    kind: FileKind | None = None
    village_code: str | None = None
    reported_on: str | None = None
    status: str = "loaded"
    refusal_code: str | None = None
    refusal: str | None = None
    sheets_skipped: tuple[str, ...] = field(default=())

    @property
    def file_id(self) -> str:
        """Stable per path and content, so two copies of one file stay distinguishable."""
        return hashlib.sha256(
            f"{self.file.relative_path}\0{self.file.sha256}".encode()
        ).hexdigest()[:16]

    @property
    def rows_read(self) -> int:
        return sum(t.rows.height for t in self.tables)


@dataclass(frozen=True)
class Limits:
    """Size limits from the township config: a file, and a workbook once unzipped."""

    max_file_bytes: int
    max_expanded_bytes: int

    @classmethod
    def of(cls, config: TownshipConfig) -> Limits:
        return cls(int(config.max_file_mb * 2**20), int(config.max_uncompressed_mb * 2**20))


def refuse_file(file: InboxFile, code: str, message: str | None = None) -> FileRead:
    return FileRead(
        file=file, status="refused", refusal_code=code, refusal=message or REASON_TEXTS[code]
    )


def find_reported_on(texts: Iterable[str]) -> str | None:
    """The 填报日期 written in a title or footer row, as ISO date text."""
    for text in texts:
        match = _REPORTED_ON.search(text)
        if match:
            parsed = parse_date(match.group(1))
            if parsed is not None:
                return parsed.isoformat()
    return None


def _village_texts(file: InboxFile, tables: Iterable[SheetTable]) -> list[str]:
    """Where a village-level file names its village, most trusted first."""
    preambles = [line for t in tables for line in t.preamble]
    units = [line for line in preambles if any(m in line for m in UNIT_MARKERS)]
    titles = [line for line in preambles if line not in units]
    parts = file.relative_path.split("/")
    return [*titles, *units, parts[-1], *reversed(parts[:-1])]


def read_file(
    file: InboxFile, ctx: NormalizeContext, max_bytes: int, max_expanded: int
) -> FileRead:
    """Read, locate and attribute one file; any failure refuses this file only."""
    try:
        sheets = read_sheets(file, max_bytes, max_expanded)
    except FileRefused as e:
        return refuse_file(file, e.code, e.message)

    tables: list[SheetTable] = []
    skipped: list[str] = []
    problems: list[HeaderProblem] = []
    for sheet in sheets:
        if is_instruction_sheet(sheet.name):
            skipped.append(sheet.name)
            continue
        located = locate_table(sheet)
        if isinstance(located, HeaderProblem):
            skipped.append(sheet.name)
            if located.code != "empty_sheet":
                problems.append(located)
        else:
            tables.append(located)
    if not tables:
        if problems:
            return refuse_file(file, problems[0].code, problems[0].message)
        return refuse_file(file, "empty_file")

    kind = max({t.kind for t in tables}, key=lambda k: sum(t.kind == k for t in tables))
    tables = [t for t in tables if t.kind == kind]
    village_code = None
    if kind in VILLAGE_FILE_KINDS:
        village_code = ctx.villages.find_in(_village_texts(file, tables))
        if village_code is None:
            return refuse_file(file, "village_not_named")
    texts = [line for t in tables for line in (*t.preamble, *t.footer)]
    return FileRead(
        file=file,
        tables=tuple(tables),
        kind=kind,
        village_code=village_code,
        reported_on=find_reported_on(texts),
        sheets_skipped=tuple(skipped),
    )


def settle_versions(reads: list[FileRead]) -> list[FileRead]:
    """Skip repeated content; keep only a village's latest file of a once-per-period kind."""
    seen: set[str] = set()
    settled: list[FileRead] = []
    for r in reads:
        if r.status == "loaded" and r.file.sha256 in seen:
            settled.append(replace(r, status="duplicate"))
            continue
        seen.add(r.file.sha256)
        settled.append(r)

    latest: dict[tuple[str, str], FileRead] = {}
    for r in settled:
        if r.status == "loaded" and r.kind in ONE_PER_VILLAGE_KINDS and r.village_code:
            key = (r.kind, r.village_code)
            order = (r.reported_on or "", r.file.modified_at, r.file.relative_path)
            current = latest.get(key)
            if current is None or order > (
                current.reported_on or "",
                current.file.modified_at,
                current.file.relative_path,
            ):
                latest[key] = r
    winners = {id(r) for r in latest.values()}
    return [
        replace(r, status="superseded")
        if r.status == "loaded"
        and r.kind in ONE_PER_VILLAGE_KINDS
        and r.village_code
        and id(r) not in winners
        else r
        for r in settled
    ]


FILES_SCHEMA: dict[str, pl.DataType] = {
    "file_id": pl.String(),
    "path": pl.String(),
    "format": pl.String(),
    "sha256": pl.String(),
    "size_bytes": pl.Int64(),
    "modified_at": pl.Datetime("us"),
    "kind": pl.String(),
    "village_code": pl.String(),
    "reported_on": pl.String(),
    "status": pl.String(),
    "refusal_code": pl.String(),
    "refusal": pl.String(),
    "sheets": pl.String(),
    "rows_read": pl.Int64(),
    "rows_refused": pl.Int64(),
    "refused_by_reason": pl.String(),
}


@dataclass(frozen=True)
class IngestLedger:
    """Where every file and every refused row went: what the listings and the UI show."""

    files: pl.DataFrame
    refused_rows: pl.DataFrame


@dataclass(frozen=True)
class IngestResult:
    """Typed rows per kind, refused and retired rows, and one line per file."""

    tables: dict[str, pl.DataFrame]
    refused_rows: pl.DataFrame
    retired_rows: pl.DataFrame
    files: pl.DataFrame

    @property
    def refused_files(self) -> pl.DataFrame:
        return self.files.filter(pl.col("status") == "refused").select(
            "path", "refusal_code", "refusal"
        )

    @property
    def ledger(self) -> IngestLedger:
        return IngestLedger(files=self.files, refused_rows=self.refused_rows)


def _rows_of(reads: list[FileRead], kind: str, status: str) -> pl.DataFrame | None:
    frames = [
        t.rows.with_columns(
            pl.lit(r.file_id).alias("file_id"),
            pl.lit(t.sheet).alias("sheet"),
            pl.lit(r.village_code, dtype=pl.String).alias("village_code"),
        )
        for r in reads
        if r.status == status and r.kind == kind
        for t in r.tables
    ]
    return pl.concat(frames, how="diagonal") if frames else None


RETIRED_SCHEMA: dict[str, pl.DataType] = {
    "kind": pl.String(),
    "file_id": pl.String(),
    "sheet": pl.String(),
    "row_number": pl.Int64(),
    "row_json": pl.String(),
}


def _retire(kind: str, rows: pl.DataFrame) -> pl.DataFrame:
    """Rows of a replaced file, kept (as JSON of their normalized fields) but out of all figures."""
    return rows.select(
        pl.lit(kind).alias("kind"),
        "file_id",
        "sheet",
        "row_number",
        pl.struct(pl.exclude("file_id", "sheet", "row_number"))
        .struct.json_encode()
        .alias("row_json"),
    ).cast(RETIRED_SCHEMA)


def normalize_reads(reads: list[FileRead], ctx: NormalizeContext) -> IngestResult:
    """Normalize every loaded file's rows, kind by kind, and count them per file.

    Rows of a file replaced by a later version are normalized too and kept as retired rows;
    a byte-identical copy of another file adds nothing and is only counted.
    """
    tables: dict[str, pl.DataFrame] = {}
    refused: list[pl.DataFrame] = []
    retired: list[pl.DataFrame] = []
    for kind in sorted({r.kind for r in reads if r.kind}):
        rows = _rows_of(reads, kind, "loaded")
        if rows is not None:
            result = normalize_kind(kind, rows, ctx)
            tables[kind] = result.loaded
            refused.append(result.refused)
        replaced = _rows_of(reads, kind, "superseded")
        if replaced is not None:
            retired.append(_retire(kind, normalize_kind(kind, replaced, ctx).loaded))
    refused_rows = pl.concat(refused) if refused else pl.DataFrame(schema=REFUSED_SCHEMA)
    retired_rows = pl.concat(retired) if retired else pl.DataFrame(schema=RETIRED_SCHEMA)
    refused_counts = dict(refused_rows.group_by("file_id").len().iter_rows())
    by_reason = dict(
        refused_rows.group_by("file_id", "reason_code")
        .len()
        .sort("file_id", "len", "reason_code", descending=[False, True, False])
        .group_by("file_id", maintain_order=True)
        .agg(pl.format("{} {}", "reason_code", "len").str.join("; ").alias("reasons"))
        .iter_rows()
    )
    files = pl.DataFrame(
        [
            {
                "file_id": r.file_id,
                "path": r.file.relative_path,
                "format": r.file.format,
                "sha256": r.file.sha256,
                "size_bytes": r.file.size_bytes,
                "modified_at": dt.datetime.fromtimestamp(r.file.modified_at),
                "kind": r.kind,
                "village_code": r.village_code,
                "reported_on": r.reported_on,
                "status": r.status,
                "refusal_code": r.refusal_code,
                "refusal": r.refusal,
                "sheets": "、".join(t.sheet for t in r.tables),
                "rows_read": r.rows_read,
                "rows_refused": refused_counts.get(r.file_id, 0) if r.status == "loaded" else 0,
                "refused_by_reason": by_reason.get(r.file_id),
            }
            for r in reads
        ],
        schema=FILES_SCHEMA,
    ).with_columns(
        pl.when(pl.col("status") == "loaded")
        .then(pl.col("rows_read") - pl.col("rows_refused"))
        .otherwise(0)
        .alias("rows_loaded"),
        pl.when(pl.col("status").is_in(list(RETIRED_STATUSES)))
        .then(pl.col("rows_read"))
        .otherwise(0)
        .alias("rows_retired"),
    )
    return IngestResult(
        tables=tables, refused_rows=refused_rows, retired_rows=retired_rows, files=files
    )
