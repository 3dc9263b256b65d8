"""Stage 5: the report's figures, computed by the SQL files in ``sql/metrics``.

Each metric family is one SQL file returning one row; its columns are the
fields of one section of ``ReportMetrics``. Values such as the cut-off date are
bound as parameters, never formatted into the SQL.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl
from pydantic import BaseModel

from transforms.report_model import Publicity, ReportMetrics, Vaccination

# ReportMetrics section -> (SQL file, model). Sections absent here are not computed yet.
METRIC_FAMILIES: dict[str, tuple[str, type[BaseModel]]] = {
    "vaccination": ("vaccination_coverage.sql", Vaccination),
    "publicity": ("publicity_totals.sql", Publicity),
}


@dataclass(frozen=True)
class MetricParams:
    """Values every metric query may bind: ``$cutoff``, ``$period_start``, ``$period_end``."""

    cutoff: dt.date
    period_start: dt.date
    period_end: dt.date

    def bind(self, sql: str) -> dict[str, dt.date]:
        """Only the parameters a query names, since DuckDB refuses unused ones."""
        values = {
            "cutoff": self.cutoff,
            "period_start": self.period_start,
            "period_end": self.period_end,
        }
        return {k: v for k, v in values.items() if f"${k}" in sql}


@dataclass(frozen=True)
class ComputedMetrics:
    metrics: ReportMetrics
    rows: dict[str, pl.DataFrame]


def run_metric_query(
    con: duckdb.DuckDBPyConnection, path: Path, params: MetricParams
) -> pl.DataFrame:
    sql = path.read_text(encoding="utf-8")
    return con.sql(sql, params=params.bind(sql)).pl()


def compute_metrics(db_path: Path, metrics_dir: Path, params: MetricParams) -> ComputedMetrics:
    """Run every metric family against the stored tables (read-only) and type the results."""
    rows: dict[str, pl.DataFrame] = {}
    sections: dict[str, BaseModel] = {}
    with duckdb.connect(str(db_path), read_only=True) as con:
        for section, (filename, model) in METRIC_FAMILIES.items():
            frame = run_metric_query(con, metrics_dir / filename, params)
            rows[Path(filename).stem] = frame
            sections[section] = model.model_validate(frame.row(0, named=True))
    return ComputedMetrics(metrics=ReportMetrics(**sections), rows=rows)
