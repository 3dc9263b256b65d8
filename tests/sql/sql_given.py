"""Given rows stored the way the pipeline stores them, and the project's own SQL runners.

Every table a query reads is built by the project's code from the given rows: a staging
table takes the stored schema of its kind (``empty_kind_frame``; a column it does not have
is an error, a column not given is null), the load stage writes the tables, the macros and
the core models (``persons``, ``doses``) into a DuckDB file, and the completeness stage
builds ``submissions``. So a schema change in normalization or in the models breaks these
tests instead of letting them pass on a stale copy. The queries then run through
``compute_metrics``, ``read_tables`` and ``rollup``, as in a real run.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import polars as pl

from epireport.config import TownshipConfig
from epireport.settings import project_resources
from transforms.completeness import build_submissions
from transforms.county import rollup, township_figures
from transforms.ingest import IngestResult, normalize_reads
from transforms.load import empty_kind_frame, load_into_duckdb
from transforms.metrics import MetricParams, compute_metrics
from transforms.normalize import NormalizeContext
from transforms.quality import CHECK_PREFIX, check_params, read_tables
from transforms.villages import VillageIndex

RESOURCES = project_resources()
PERIOD_START = dt.date(2022, 1, 1)
PERIOD_END = dt.date(2022, 12, 31)
# The cut-off date R falls before the period's end, so "after R but in the period" exists.
CUTOFF = dt.date(2022, 12, 20)
DEADLINE = dt.date(2022, 12, 18)
RUN_DATE = dt.date(2022, 12, 22)
VILLAGES = (
    ("01", "石门村"),
    ("02", "青山村"),
    ("03", "白沙社区"),
    ("04", "桃源村"),
    ("05", "柳塘村"),
    ("06", "枫林村"),
)

Row = Mapping[str, Any]


def township(villages: int = 4, **fields: Any) -> TownshipConfig:
    """A small township file: the first ``villages`` villages, two clinics, two quotas."""
    raw: dict[str, Any] = {
        "township": {"code": "given", "name": "白沙镇", "county": "云溪县"},
        "congress": {"term": 17, "session": 3},
        "period": {"start": PERIOD_START, "end": PERIOD_END},
        "cutoff_date": CUTOFF,
        "villages": [{"code": code, "name": name} for code, name in VILLAGES[:villages]],
        "clinics": [
            {"code": "wsy", "name": "白沙镇卫生院", "kind": "镇卫生院", "aliases": ["镇卫生院"]},
            {"code": "c01", "name": "石门村卫生室", "kind": "村卫生室", "village_code": "01"},
        ],
        "required_kinds": ["roster", "publicity", "grid"],
        "submission_deadline": DEADLINE,
        "reserve_quotas": {"wsy": {"beds": 40, "fever_rooms": 1}},
        "demo": True,
    }
    return TownshipConfig.model_validate(raw | fields)


def _value(value: Any, dtype: pl.DataType) -> Any:
    # ISO strings stand for dates in the given rows, to keep them short.
    if isinstance(value, str) and dtype == pl.Date:
        return dt.date.fromisoformat(value)
    return value


def stored_frame(schema: pl.Schema, rows: Iterable[Row], table: str) -> pl.DataFrame:
    """Given rows in a stored table's exact schema; a column it lacks fails the test."""
    records = []
    for i, row in enumerate(rows):
        unknown = set(row) - set(schema)
        if unknown:
            raise KeyError(f"{table} has no column {sorted(unknown)}; it has {list(schema)}")
        defaults = {"sheet": "Sheet1", "row_number": i + 1} if "sheet" in schema else {}
        record = defaults | dict(row)
        records.append([_value(record.get(c), t) for c, t in schema.items()])
    return pl.DataFrame(records, schema=schema, orient="row")


def file_row(file_id: str, kind: str, **fields: Any) -> dict[str, Any]:
    """One ``ingested_files`` row: a loaded file unless told otherwise."""
    return {
        "file_id": file_id,
        "path": f"{file_id}.xlsx",
        "format": "xlsx",
        "kind": kind,
        "status": "loaded",
        "modified_at": dt.datetime(2022, 12, 1, 9, 0),
        "rows_read": 0,
        "rows_refused": 0,
        "rows_loaded": 0,
        "rows_retired": 0,
    } | fields


def store(
    tmp_path: Path, config: TownshipConfig, files: Iterable[Row] = (), **kinds: Iterable[Row]
) -> Path:
    """A township DuckDB file in ``tmp_path`` holding the given rows of each kind (``roster=``,
    ``vaccination=``, ...) and files, with the models and submissions built from them."""
    ctx = NormalizeContext(
        run_date=RUN_DATE, villages=VillageIndex.from_config(config), person_key=b"given"
    )
    empty = normalize_reads([], ctx)
    result = IngestResult(
        tables={
            kind: stored_frame(empty_kind_frame(kind, ctx).schema, rows, f"stg_{kind}")
            for kind, rows in kinds.items()
        },
        refused_rows=empty.refused_rows,
        retired_rows=empty.retired_rows,
        files=stored_frame(empty.files.schema, files, "ingested_files"),
    )
    db_path = tmp_path / "given.duckdb"
    load_into_duckdb(result, db_path, RESOURCES.models_dir, ctx, fingerprint="given")
    build_submissions(
        db_path, RESOURCES.models_dir, config, config.period.start, config.deadline(RUN_DATE)
    )
    return db_path


def _plain(value: Any) -> Any:
    """NaN (a null in pandas) as None, numpy scalars as Python numbers."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return value.item() if hasattr(value, "item") else value


def without_nulls(rows: Iterable[Row]) -> list[dict[str, Any]]:
    """Rows with their null columns left out: a line united by name carries the other lines'
    columns as nulls, so an expected row names exactly the columns its line fills."""
    return [{k: _plain(v) for k, v in r.items() if _plain(v) is not None} for r in rows]


def metric_lines(
    db_path: Path, family: str, config: TownshipConfig, params: MetricParams | None = None
) -> list[dict[str, Any]]:
    """The rows of ``sql/metrics/<family>.sql`` as the metrics stage computes them."""
    params = params or MetricParams.from_config(config, config.cutoff(RUN_DATE))
    computed = compute_metrics(db_path, RESOURCES.metrics_dir, params)
    return without_nulls(computed.rows[family].iter_rows(named=True))


def check_rows(
    db_path: Path, check: str, config: TownshipConfig, cutoff: dt.date = CUTOFF
) -> list[dict[str, Any]]:
    """The rows of ``sql/checks/<check>.sql`` as the quality stage reads them (nulls kept)."""
    params = check_params(config, cutoff, RUN_DATE)
    name = CHECK_PREFIX + check
    frame = read_tables(db_path, {name}, RESOURCES.checks_dir, params)[name]
    return [{k: _plain(v) for k, v in r.items()} for r in frame.to_dict("records")]


def county_rows(
    tmp_path: Path, county_name: str, townships: Mapping[str, tuple[str, Row]]
) -> list[dict[str, Any]]:
    """``county_rollup.sql`` over townships given as code -> (name, vaccination and publicity
    figures), each written to a metrics.json as a township run writes it."""
    files = {}
    for code, (name, figures) in townships.items():
        path = tmp_path / code / "metrics.json"
        path.parent.mkdir(parents=True)
        vaccination = {k: figures[k] for k in ("p60", "v60_dose1", "v60_dose2", "p18", "booster")}
        publicity = {k: figures[k] for k in ("leaflet", "talk")}
        sections = {"vaccination": vaccination, "publicity": publicity}
        path.write_text(json.dumps({"sections": sections}), encoding="utf-8")
        files[code] = (name, path)
    table = rollup(township_figures(files), county_name, RESOURCES.sql_dir)
    return [{k: _plain(v) for k, v in r.items()} for r in table.iter_rows(named=True)]
