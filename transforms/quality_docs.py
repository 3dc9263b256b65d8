"""Stage 4b: keep every run's check results in DuckDB and write them as a page (Data Docs).

Why our own page and not GX's Data Docs: GX's pages load Bootstrap, jQuery and Vega from
CDNs, which township offices working offline cannot reach, and the installed package does
not ship those files to inline. This page is rendered from the same validation results
with inline CSS and no script or link outside itself, so it opens from a USB stick. It
shows counts, rules and village names, never a row value of a person; the page and the
check errors kept in DuckDB pass ``mask_text`` all the same.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from transforms.masking import mask_text
from transforms.quality import QualityVerdict
from transforms.render import build_environment
from transforms.vocabulary import QUALITY_SUITE_LABELS

QUALITY_TEMPLATE = "quality.html.j2"
# Where a run's quality output goes inside its published folder.
QUALITY_DIR = "quality"
QUALITY_PAGE = f"{QUALITY_DIR}/index.html"
VERDICT_FILE = f"{QUALITY_DIR}/verdict.txt"


@dataclass(frozen=True)
class QualityRun:
    """Which run the results belong to."""

    run_id: str
    run_at: dt.datetime
    run_date: dt.date
    cutoff: dt.date


def results_frame(run: QualityRun, verdict: QualityVerdict) -> pl.DataFrame:
    """One row per expectation of this run, in the shape of ``quality_results``."""
    return pl.DataFrame(
        [
            {
                "run_id": run.run_id,
                "run_at": run.run_at,
                "run_date": run.run_date,
                "cutoff_date": run.cutoff,
                "suite": r.suite,
                "table_name": r.table,
                "expectation": r.expectation,
                "column_name": r.column,
                "severity": r.severity,
                "success": r.success,
                "unexpected_count": r.unexpected_count,
                "element_count": r.element_count,
                "observed_value": r.observed_value,
                "error": None if r.error is None else mask_text(r.error),
            }
            for r in verdict.results
        ],
        schema_overrides={
            "unexpected_count": pl.Int64,
            "element_count": pl.Int64,
            "observed_value": pl.Float64,
            "error": pl.String,
        },
    )


def record_results(
    db_path: Path, quality_sql_dir: Path, run: QualityRun, verdict: QualityVerdict
) -> None:
    """Append this run's results to ``quality_results`` (a failing run's too)."""
    sql = (quality_sql_dir / "quality_results.sql").read_text(encoding="utf-8")
    with duckdb.connect(str(db_path)) as con:
        con.register("new_results", results_frame(run, verdict))
        con.execute(sql)
        con.unregister("new_results")


def _rows(con: duckdb.DuckDBPyConnection, path: Path) -> list[dict[str, Any]]:
    return con.sql(path.read_text(encoding="utf-8")).pl().to_dicts()


def render_quality_docs(
    db_path: Path,
    quality_sql_dir: Path,
    templates_dir: Path,
    township_name: str,
    run: QualityRun,
    verdict: QualityVerdict,
) -> dict[str, str]:
    """The run's quality folder: the page and a one-line verdict, by path in the run folder."""
    with duckdb.connect(str(db_path), read_only=True) as con:
        history = _rows(con, quality_sql_dir / "run_history.sql")
        submissions = _rows(con, quality_sql_dir / "submission_problems.sql")
    suites = {}
    for r in verdict.results:
        suites.setdefault(r.suite, []).append(r)
    page = (
        build_environment(templates_dir, html=True)
        .get_template(QUALITY_TEMPLATE)
        .render(
            township_name=township_name,
            run=run,
            verdict=verdict,
            suites=suites,
            suite_labels=QUALITY_SUITE_LABELS,
            history=history,
            submissions=submissions,
        )
    )
    return {QUALITY_PAGE: mask_text(page), VERDICT_FILE: mask_text(verdict.verdict_line()) + "\n"}
