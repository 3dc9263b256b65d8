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


class NoUsableData(RuntimeError):
    """No village sent a loadable file of some required kind: a report on this inbox would
    publish zeros as figures, so none is written."""


def kinds_nobody_sent(submissions: pl.DataFrame) -> list[str]:
    """Labels of the required kinds that no village sent a loadable file of, in the master
    data's order."""
    by_kind = submissions.group_by("kind", maintain_order=True).agg(
        pl.col("received").any(), pl.col("kind_label").first()
    )
    return by_kind.filter(~pl.col("received"))["kind_label"].to_list()


def require_usable_data(submissions: pl.DataFrame) -> None:
    """Stop the run, in one line a clerk can act on, when a required kind is wholly missing."""
    missing = kinds_nobody_sent(submissions)
    if missing:
        raise NoUsableData(
            f"收件箱中没有任何村（社区）可用的{'、'.join(missing)}，报告未生成："
            "请把各村报送的文件放入收件箱后再运行。"
        )
