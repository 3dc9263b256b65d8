"""Stage 3: store the normalized rows in a DuckDB file, all or nothing.

Every table is replaced inside one transaction, then the core models
(``sql/models``) are rebuilt from the staging tables in the same transaction:
a failure anywhere leaves the file exactly as it was.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl

from epireport.config import FileKind
from epireport.faults import fault_point
from transforms.ingest import IngestResult
from transforms.ingest_cache import FINGERPRINT_TABLE, fingerprint_frame
from transforms.masking import mask_listing, township_lexicon
from transforms.normalize import FIELD_TYPES, SOURCE_COLUMNS, NormalizeContext, normalize_kind

# Model files run in this order after the staging tables are in place.
MODEL_FILES: tuple[str, ...] = (
    "macros.sql",
    "persons.sql",
    "roster_conflicts.sql",
    "doses.sql",
    "dose_conflicts.sql",
)


def staging_table(kind: str) -> str:
    return f"stg_{kind}"


def empty_kind_frame(kind: FileKind, ctx: NormalizeContext) -> pl.DataFrame:
    """The stored shape of a kind with no rows, so that SQL sees every table on every run."""
    schema = {c: pl.String for c in (*SOURCE_COLUMNS, "village_code", *FIELD_TYPES[kind])}
    rows = pl.DataFrame(schema=schema).with_columns(pl.col("row_number").cast(pl.Int64))
    return normalize_kind(kind, rows, ctx).loaded


def run_sql_file(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    con.execute(path.read_text(encoding="utf-8"))


def load_into_duckdb(
    result: IngestResult,
    db_path: Path,
    models_dir: Path,
    ctx: NormalizeContext,
    fingerprint: str,
) -> dict[str, int]:
    """Replace every stored table with this ingest's rows, and record the inputs' fingerprint
    (``transforms/ingest_cache.py``) with them; returns rows per table. Every text column
    but keys is masked first (``transforms/masking.py``), so the file holds no ID, phone or
    name in a file name, sheet name, reason or refused value."""
    db_path.parent.mkdir(parents=True, exist_ok=True)
    frames: dict[str, pl.DataFrame] = {
        staging_table(kind): result.tables[kind]
        if kind in result.tables
        else empty_kind_frame(kind, ctx)
        for kind in FIELD_TYPES
    }
    frames["ingested_files"] = result.files
    frames["ingested_sheets"] = result.sheets
    frames["refused_rows"] = result.refused_rows
    frames["refused_files"] = result.refused_files
    frames["retired_rows"] = result.retired_rows
    frames["unknown_values"] = result.unknown_values
    lexicon = township_lexicon(ctx.villages)
    frames = {name: mask_listing(frame, lexicon) for name, frame in frames.items()}
    frames[FINGERPRINT_TABLE] = fingerprint_frame(fingerprint)
    with duckdb.connect(str(db_path)) as con:
        con.execute("begin transaction")
        try:
            for name, frame in frames.items():
                con.register("incoming", frame)
                con.execute(f'create or replace table "{name}" as select * from incoming')
                con.unregister("incoming")
            fault_point("load")
            for model in MODEL_FILES:
                run_sql_file(con, models_dir / model)
            counts = {
                name: con.execute(f'select count(*) from "{name}"').fetchone()[0]
                for name in (*frames, "persons", "roster_conflicts", "doses")
            }
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise
    return counts
