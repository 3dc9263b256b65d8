"""County roll-up: each township's figures side by side, and the county's totals.

The township runs already wrote their figures (``metrics.json``); the roll-up reads those,
sums the counts and recomputes the rates in SQL (``sql/metrics/county_rollup.sql``), so a
county rate is never an average of township rates.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from transforms.render import build_environment

ROLLUP_SQL = "county_rollup.sql"


def township_figures(metrics_files: dict[str, tuple[str, Path]]) -> pl.DataFrame:
    """One row per township (code -> (name, its metrics.json)) with the headline counts."""
    rows: list[dict[str, Any]] = []
    for code, (name, path) in sorted(metrics_files.items()):
        sections = json.loads(path.read_text(encoding="utf-8"))["sections"]
        vaccination, publicity = sections["vaccination"], sections["publicity"]
        rows.append(
            {
                "township_code": code,
                "township_name": name,
                **{k: vaccination[k] for k in ("p60", "v60_dose1", "v60_dose2", "p18", "booster")},
                **{k: publicity[k] for k in ("leaflet", "talk")},
            }
        )
    return pl.DataFrame(rows)


def rollup(figures: pl.DataFrame, county_name: str, sql_dir: Path) -> pl.DataFrame:
    """Per-township rows and a total row (``township_code`` null), rates from summed counts."""
    with duckdb.connect() as con:
        con.execute((sql_dir / "models" / "macros.sql").read_text(encoding="utf-8"))
        con.register("township_figures", figures)
        sql = (sql_dir / "metrics" / ROLLUP_SQL).read_text(encoding="utf-8")
        return con.sql(sql, params={"county_name": county_name}).pl()


def render_rollup(table: pl.DataFrame, county_name: str, cutoff: dt.date, templates: Path) -> str:
    rows = table.to_dicts()
    return (
        build_environment(templates)
        .get_template("county.txt.j2")
        .render(
            county_name=county_name,
            cutoff=cutoff,
            townships=[r for r in rows if r["township_code"] is not None],
            total=next(r for r in rows if r["township_code"] is None),
        )
    )
