"""Re-running an unchanged inbox reuses what the last load stored, instead of reading it again.

The stored tables are a pure function of the inbox files, the township config, the run date
(future dates and ID ages are judged against it), the person key and our own ingest code.
Their fingerprint is written in the load's own transaction, so the tables and their
fingerprint always agree; when the next run's fingerprint is the same, reading, normalizing
and loading would only rebuild the same tables, and the run goes on from the stored ones.

The same holds for the checks: their verdicts are cached by Prefect under a key made of
the fingerprint and what else they are computed from (``result_key``), so an unchanged
night does not run them again. One fingerprint covers all our code, SQL and suites, so
that it alone stands for everything a check depends on besides its parameters.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

import transforms
from epireport.config import TownshipConfig
from epireport.settings import Resources
from transforms.contract import KINDS_DIR
from transforms.discover import InboxFile
from transforms.ingest import IngestLedger

FINGERPRINT_TABLE = "ingest_fingerprint"
# Beside a published report: the fingerprint of everything it was made from (hidden, so that
# no listing of the run's files shows it).
PUBLISHED_FINGERPRINT = ".fingerprint"
TRANSFORMS_DIR = Path(transforms.__file__).parent
# Bump when the meaning of stored tables changes in a way the source hash cannot see.
FINGERPRINT_VERSION = "1"


# Files whose content decides a stored table or a check: code, queries, suites, registry.
CODE_SUFFIXES = frozenset({".py", ".sql", ".yaml"})


def code_digest(folders: Iterable[Path], suffixes: frozenset[str] | None = CODE_SUFFIXES) -> str:
    """Every source file under the folders (every file when ``suffixes`` is None): a change
    to any one changes the digest."""
    digest = hashlib.sha256()
    for folder in folders:
        found = (p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
        for path in sorted(p for p in found if suffixes is None or p.suffix in suffixes):
            digest.update(path.relative_to(folder).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def code_folders(resources: Resources) -> tuple[Path, ...]:
    """What decides a stored table or a check's verdict besides the data: our code, the
    input contract, the models and check queries, the suites."""
    return (TRANSFORMS_DIR, KINDS_DIR, resources.sql_dir, resources.expectations_dir)


def result_key(content: str, params: Mapping[str, Any]) -> str:
    """Cache key of a result that is a pure function of ``content`` (the fingerprint, with
    the figures where they are checked) and ``params``."""
    digest = hashlib.sha256(f"{content}\0".encode())
    digest.update(json.dumps(params, sort_keys=True, default=str).encode())
    return digest.hexdigest()


def inbox_fingerprint(
    files: Iterable[InboxFile],
    config: TownshipConfig,
    run_date: dt.date,
    person_key: bytes,
    code: str,
) -> str:
    """One hash of everything the stored tables depend on; the key enters only through an HMAC."""
    digest = hashlib.sha256(f"v{FINGERPRINT_VERSION}\0{code}\0{run_date.isoformat()}\0".encode())
    digest.update(config.model_dump_json().encode())
    digest.update(hmac.new(person_key, b"epireport inbox fingerprint", "sha256").digest())
    for f in files:
        digest.update(
            f"{f.relative_path}\0{f.sha256}\0{f.size_bytes}\0{f.modified_at!r}\n".encode()
        )
    return digest.hexdigest()


def fingerprint_frame(fingerprint: str) -> pl.DataFrame:
    """The row the load stores beside its tables (no time stamp: the same inbox loaded twice
    leaves the same file)."""
    return pl.DataFrame({"fingerprint": [fingerprint]})


def stored_ingest(db_path: Path, fingerprint: str) -> IngestLedger | None:
    """The stored load's ledger, if the load was made from exactly this fingerprint."""
    if not db_path.exists():
        return None
    with duckdb.connect(str(db_path), read_only=True) as con:
        tables = {row[0] for row in con.sql("select table_name from duckdb_tables()").fetchall()}
        if FINGERPRINT_TABLE not in tables:
            return None
        matches = con.sql(
            f"select count(*) from {FINGERPRINT_TABLE} where fingerprint = $fingerprint",
            params={"fingerprint": fingerprint},
        ).fetchall()
        if matches[0][0] == 0:
            return None
        return IngestLedger(
            files=con.sql("select * from ingested_files").pl(),
            refused_rows=con.sql("select * from refused_rows").pl(),
            sheets=con.sql("select * from ingested_sheets").pl(),
            unknown_values=con.sql("select * from unknown_values").pl(),
        )


def published_fingerprint(run_dir: Path) -> str | None:
    """What the report published in ``run_dir`` was made from, when it says."""
    try:
        return (run_dir / PUBLISHED_FINGERPRINT).read_text(encoding="utf-8").strip()
    except OSError:
        return None
