"""Stage 3b: which required files each village sent for the period, and whether on time.

The master data (villages, required kinds; the same ``master_*`` relations the metric
queries see) and the kinds' labels are registered on the connection, so that SQL can list
what was expected and not only what arrived. The rule is ``sql/models/submissions.sql``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import polars as pl

from epireport.config import TownshipConfig
from transforms.metrics import MasterData
from transforms.vocabulary import KIND_LABELS

SUBMISSIONS_MODEL = "submissions.sql"


def build_submissions(
    db_path: Path,
    models_dir: Path,
    config: TownshipConfig,
    period_start: dt.date,
    deadline: dt.date,
) -> pl.DataFrame:
    """Replace the ``submissions`` table; returns it."""
    sql = (models_dir / SUBMISSIONS_MODEL).read_text(encoding="utf-8")
    relations = MasterData.from_config(config).relations()
    relations["kind_labels"] = pl.DataFrame(
        list(KIND_LABELS.items()), schema={"kind": pl.String, "kind_label": pl.String}, orient="row"
    )
    with duckdb.connect(str(db_path)) as con:
        for name, frame in relations.items():
            con.register(name, frame)
        con.execute(sql, {"period_start": period_start, "deadline": deadline})
        return con.sql("select * from submissions").pl()
