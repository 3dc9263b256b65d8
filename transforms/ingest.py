"""Stage 2: from inbox files to typed rows of each kind, accounting for every row.

Every non-blank row of every sheet is counted where it is read, and each ends up in one
place: loaded, refused, retired (a repeated or replaced file), layout (title, header and
footer rows) or skipped (a sheet without a usable table, or a file refused as a whole).
A workbook may hold several kinds, one per sheet: it gets one line per kind. A file whose
content was already seen is skipped; a village's later submission of the same kind
replaces its earlier one.
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
from transforms.layout import (
    HeaderProblem,
    SheetTable,
    count_nonblank,
    locate_table,
    skip_reason,
)
from transforms.normalize import REFUSED_SCHEMA, NormalizeContext, normalize_kind
from transforms.read import FileRefused, ShapeLimits, read_sheets
from transforms.unknown_values import UNKNOWN_SCHEMA, spelling_indexes, unknown_values
from transforms.vocabulary import REASON_TEXTS, UNIT_MARKERS

# Kinds that carry no village column: the file belongs to one village, named around the table.
VILLAGE_FILE_KINDS: frozenset[str] = frozenset({"roster", "publicity"})
# A file whose rows are read but not loaded: repeated content, or replaced by a later version.
# A file whose rows are read but not loaded: repeated content, replaced by a later version,
# or held because it would have replaced a fuller earlier version.
RETIRED_STATUSES: frozenset[str] = frozenset({"duplicate", "superseded", "held"})
# Kinds a village sends once per period; a later file replaces the earlier one.
ONE_PER_VILLAGE_KINDS: frozenset[str] = frozenset({"roster", "publicity", "grid"})
# A later file with fewer data rows than this share of an earlier one does not replace it.
REPLACEMENT_MIN_SHARE = 0.5
# Header problems that say a sheet holds nothing, rather than a table we could not use.
NOTHING_TO_READ: frozenset[str] = frozenset({"empty_sheet", "instruction_sheet"})

_REPORTED_ON = re.compile(r"填报日期[:：]?\s*(.+)")


@dataclass(frozen=True)
class SheetEntry:
    """One sheet of a file: its non-blank rows, and why it was skipped when it was."""

    sheet: str
    rows: int
    kind: FileKind | None = None
    rows_layout: int = 0
    skip_code: str | None = None
    skip_reason: str | None = None


@dataclass(frozen=True)
class FileRead:
    """One file and kind: its tables, or why it was refused, and the sheets it accounts for.

    ``read_file`` returns the line of the file's first kind, with the lines of its other
    kinds in ``more``; ``lines()`` lists them all. A file's skipped sheets are accounted on
    its first line.
    """

    file: InboxFile
    tables: tuple[SheetTable, ...] = ()
    kind: FileKind | None = None
    village_code: str | None = None
    reported_on: str | None = None
    status: str = "loaded"
    refusal_code: str | None = None
    refusal: str | None = None
    sheets: tuple[SheetEntry, ...] = field(default=())
    several_kinds: bool = False
    more: tuple[FileRead, ...] = field(default=())

    @property
    def file_id(self) -> str:
        """Stable per path and content (and kind, in a file of several kinds), so two copies
        of one file stay distinguishable."""
        key = f"{self.file.relative_path}\0{self.file.sha256}"
        if self.several_kinds:
            key += f"\0{self.kind}"
        return hashlib.sha256(key.encode()).hexdigest()[:16]

    @property
    def rows_read(self) -> int:
        """Data rows: those that end up loaded, refused or retired."""
        return sum(t.rows.height for t in self.tables)

    @property
    def rows_in_file(self) -> int:
        """Every non-blank row of the sheets this line accounts for."""
        return sum(e.rows for e in self.sheets)

    @property
    def rows_layout(self) -> int:
        if self.status == "refused":
            return 0
        return sum(e.rows_layout for e in self.sheets if e.skip_code is None)

    @property
    def rows_skipped(self) -> int:
        """Rows of skipped sheets, and every row of a refused line."""
        if self.status == "refused":
            return self.rows_in_file
        return sum(e.rows for e in self.sheets if e.skip_code is not None)

    def lines(self) -> tuple[FileRead, ...]:
        return (replace(self, more=()), *self.more)


def lines_of(reads: Iterable[FileRead]) -> list[FileRead]:
    """One line per file and kind, in file order."""
    return [line for r in reads for line in r.lines()]


@dataclass(frozen=True)
class Limits:
    """Limits from the township config: a file, a workbook unzipped, a table's shape, and the
    memory a reader worker may add."""

    max_file_bytes: int
    max_expanded_bytes: int
    shape: ShapeLimits = field(default_factory=ShapeLimits)
    reader_memory_bytes: int = int(TownshipConfig.model_fields["reader_memory_mb"].default) * 2**20

    @classmethod
    def of(cls, config: TownshipConfig) -> Limits:
        return cls(
            int(config.max_file_mb * 2**20),
            int(config.max_uncompressed_mb * 2**20),
            ShapeLimits.of(config),
            config.reader_memory_mb * 2**20,
        )


def refuse_file(
    file: InboxFile,
    code: str,
    message: str | None = None,
    sheets: tuple[SheetEntry, ...] = (),
) -> FileRead:
    return FileRead(
        file=file,
        status="refused",
        refusal_code=code,
        refusal=message or REASON_TEXTS[code],
        sheets=sheets,
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


def _file_refusal(problems: list[HeaderProblem]) -> tuple[str, str | None]:
    """Why a file without any table is refused: the first sheet's real problem, if any."""
    for problem in problems:
        if problem.code not in NOTHING_TO_READ:
            return problem.code, problem.message
    if any(p.code == "instruction_sheet" for p in problems):
        return "no_table", None
    return "empty_file", None


def _kind_line(
    file: InboxFile,
    kind: FileKind,
    tables: list[SheetTable],
    sheets: tuple[SheetEntry, ...],
    ctx: NormalizeContext,
    several: bool,
) -> FileRead:
    """The line of one kind of a file: its village (for village-level kinds) and 填报日期."""
    village_code = None
    if kind in VILLAGE_FILE_KINDS:
        village_code = ctx.villages.find_in(_village_texts(file, tables))
        if village_code is None:
            return replace(
                refuse_file(file, "village_not_named", sheets=sheets),
                kind=kind,
                several_kinds=several,
            )
    texts = [line for t in tables for line in (*t.preamble, *t.footer)]
    return FileRead(
        file=file,
        tables=tuple(tables),
        kind=kind,
        village_code=village_code,
        reported_on=find_reported_on(texts),
        sheets=sheets,
        several_kinds=several,
    )


def read_file(
    file: InboxFile,
    ctx: NormalizeContext,
    max_bytes: int,
    max_expanded: int,
    shape: ShapeLimits | None = None,
) -> FileRead:
    """Read, locate and attribute one file, each sheet on its own; any failure refuses this
    file (or this kind of it) only."""
    try:
        sheets = read_sheets(file, max_bytes, max_expanded, shape)
    except FileRefused as e:
        return refuse_file(file, e.code, e.message)

    tables: list[SheetTable] = []
    entries: list[SheetEntry] = []
    problems: list[HeaderProblem] = []
    for sheet in sheets:
        located = locate_table(sheet, ctx.vocabulary.headers)
        if isinstance(located, HeaderProblem):
            problem = skip_reason(sheet, located)
            problems.append(problem)
            entries.append(
                SheetEntry(
                    sheet.name,
                    count_nonblank(sheet.cells),
                    skip_code=problem.code,
                    skip_reason=problem.message,
                )
            )
        else:
            tables.append(located)
            entries.append(
                SheetEntry(located.sheet, located.rows_in_sheet, located.kind, located.rows_layout)
            )
    if not tables:
        code, message = _file_refusal(problems)
        return refuse_file(file, code, message, tuple(entries))

    kinds = list(dict.fromkeys(t.kind for t in tables))
    skipped = tuple(e for e in entries if e.skip_code is not None)
    lines = []
    for i, kind in enumerate(kinds):
        own = [t for t in tables if t.kind == kind]
        accounted = tuple(e for e in entries if e.kind == kind) + (skipped if i == 0 else ())
        lines.append(_kind_line(file, kind, own, accounted, ctx, len(kinds) > 1))
    return replace(lines[0], more=tuple(lines[1:]))


def _version_order(r: FileRead) -> tuple[str, float, str]:
    return (r.reported_on or "", r.file.modified_at, r.file.relative_path)


def _held(r: FileRead, kept: FileRead) -> FileRead:
    """A later file that would wipe most of what ``kept`` says: read, counted, not loaded."""
    code = "resubmission_empty" if r.rows_read == 0 else "resubmission_shrank"
    reason = REASON_TEXTS[code].format(
        rows=r.rows_read, earlier=kept.file.relative_path, earlier_rows=kept.rows_read
    )
    return replace(r, status="held", refusal_code=code, refusal=reason)


def settle_versions(reads: list[FileRead]) -> list[FileRead]:
    """Skip repeated content; keep one file per village of a once-per-period kind.

    The latest file replaces the earlier ones, unless it holds fewer than half the data rows
    of an earlier one (a blank template sent again, a partial list): then it is held, with
    a reason naming the file it would have replaced, and the next latest is weighed the
    same way. Both are settled per kind: a workbook of two kinds is two lines.
    """
    seen: set[tuple[str, str | None]] = set()
    settled: list[FileRead] = []
    for r in lines_of(reads):
        if r.status == "loaded" and (r.file.sha256, r.kind) in seen:
            settled.append(replace(r, status="duplicate"))
            continue
        seen.add((r.file.sha256, r.kind))
        settled.append(r)

    versions: dict[tuple[str, str], list[FileRead]] = {}
    for r in settled:
        if r.status == "loaded" and r.kind in ONE_PER_VILLAGE_KINDS and r.village_code:
            versions.setdefault((r.kind, r.village_code), []).append(r)
    outcome: dict[int, FileRead] = {}
    for files in versions.values():
        files.sort(key=_version_order)
        for i, r in enumerate(files):
            fuller = max(files[:i], key=lambda e: e.rows_read, default=None)
            if fuller is not None and r.rows_read < REPLACEMENT_MIN_SHARE * fuller.rows_read:
                outcome[id(r)] = _held(r, fuller)
        winner = next(r for r in reversed(files) if id(r) not in outcome)
        for r in files:
            if id(r) not in outcome and r is not winner:
                outcome[id(r)] = replace(r, status="superseded")
    return [outcome.get(id(r), r) for r in settled]


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
    "rows_in_file": pl.Int64(),
    "rows_layout": pl.Int64(),
    "rows_skipped": pl.Int64(),
    "rows_read": pl.Int64(),
    "rows_refused": pl.Int64(),
    "refused_by_reason": pl.String(),
}

# One line per sheet of every file line: what the sheet was taken for, and its rows.
SHEETS_SCHEMA: dict[str, pl.DataType] = {
    "file_id": pl.String(),
    "path": pl.String(),
    "sheet": pl.String(),
    "kind": pl.String(),
    "status": pl.String(),
    "reason_code": pl.String(),
    "reason": pl.String(),
    "rows": pl.Int64(),
    "rows_layout": pl.Int64(),
    "rows_data": pl.Int64(),
}


@dataclass(frozen=True)
class IngestLedger:
    """Where every file and every refused row went, and the values no spelling names: what
    the listings and the UI show."""

    files: pl.DataFrame
    refused_rows: pl.DataFrame
    sheets: pl.DataFrame
    unknown_values: pl.DataFrame = field(
        default_factory=lambda: pl.DataFrame(schema=UNKNOWN_SCHEMA)
    )


@dataclass(frozen=True)
class IngestResult:
    """Typed rows per kind, refused and retired rows, one line per file and kind, and one
    line per sheet."""

    tables: dict[str, pl.DataFrame]
    refused_rows: pl.DataFrame
    retired_rows: pl.DataFrame
    files: pl.DataFrame
    sheets: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=SHEETS_SCHEMA))
    unknown_values: pl.DataFrame = field(
        default_factory=lambda: pl.DataFrame(schema=UNKNOWN_SCHEMA)
    )

    @property
    def refused_files(self) -> pl.DataFrame:
        return self.files.filter(pl.col("status") == "refused").select(
            "path", "refusal_code", "refusal"
        )

    @property
    def ledger(self) -> IngestLedger:
        return IngestLedger(
            files=self.files,
            refused_rows=self.refused_rows,
            sheets=self.sheets,
            unknown_values=self.unknown_values,
        )


def _rows_of(reads: list[FileRead], kind: str, *statuses: str) -> pl.DataFrame | None:
    frames = [
        t.rows.with_columns(
            pl.lit(r.file_id).alias("file_id"),
            pl.lit(t.sheet).alias("sheet"),
            pl.lit(r.village_code, dtype=pl.String).alias("village_code"),
        )
        for r in reads
        if r.status in statuses and r.kind == kind
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

    Rows of a file replaced by a later version, or held back from replacing a fuller one,
    are normalized too and kept as retired rows; a byte-identical copy of another file adds
    nothing and is only counted.
    """
    reads = lines_of(reads)
    tables: dict[str, pl.DataFrame] = {}
    refused: list[pl.DataFrame] = []
    unread: list[pl.DataFrame] = []
    retired: list[pl.DataFrame] = []
    for kind in sorted({r.kind for r in reads if r.kind}):
        rows = _rows_of(reads, kind, "loaded")
        if rows is not None:
            result = normalize_kind(kind, rows, ctx)
            tables[kind] = result.loaded
            refused.append(result.refused)
            unread.append(result.unread)
        replaced = _rows_of(reads, kind, "superseded", "held")
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
                "rows_in_file": r.rows_in_file,
                "rows_layout": r.rows_layout,
                "rows_skipped": r.rows_skipped,
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
    unread_rows = pl.concat(unread) if unread else pl.DataFrame(schema=REFUSED_SCHEMA)
    return IngestResult(
        tables=tables,
        refused_rows=refused_rows,
        retired_rows=retired_rows,
        files=files,
        sheets=sheet_ledger(reads),
        unknown_values=unknown_values(refused_rows, unread_rows, files, spelling_indexes(ctx)),
    )


def _sheet_status(line: FileRead, entry: SheetEntry) -> tuple[str, str | None, str | None]:
    if entry.skip_code is not None:
        return "skipped", entry.skip_code, entry.skip_reason
    return line.status, line.refusal_code, line.refusal


def sheet_ledger(lines: list[FileRead]) -> pl.DataFrame:
    """Every sheet of every file line: kind, what became of it and why, and its rows (non-blank,
    of which layout and data); a skipped sheet is listed with all its rows."""
    records = []
    for line in lines:
        for entry in line.sheets:
            status, code, reason = _sheet_status(line, entry)
            layout = entry.rows_layout if status not in ("skipped", "refused") else 0
            records.append(
                {
                    "file_id": line.file_id,
                    "path": line.file.relative_path,
                    "sheet": entry.sheet,
                    "kind": entry.kind,
                    "status": status,
                    "reason_code": code,
                    "reason": reason,
                    "rows": entry.rows,
                    "rows_layout": layout,
                    "rows_data": entry.rows - layout if status not in ("skipped", "refused") else 0,
                }
            )
    return pl.DataFrame(records, schema=SHEETS_SCHEMA)
