"""Stage 5: the report's figures, computed by the SQL files in ``sql/metrics``.

Each metric family is one SQL file. Its rows are lines: one ``'total'`` line whose
columns are the section's own fields (and ``source_files``/``source_rows``), and any
number of lines named after a field that holds a breakdown (``'by_result'``,
``'village_coverage'``, ``'items'``...), one row per element. The township's master
data (villages, required kinds, clinics, quotas) is registered as small relations
``master_*``; values such as the cut-off date are bound as parameters, never
formatted into the SQL.
"""

from __future__ import annotations

import datetime as dt
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
from pydantic import BaseModel

from epireport.config import TownshipConfig
from transforms.report_model import (
    Completeness,
    Demonstration,
    Deployment,
    Grid,
    KeyPlaces,
    PartyBuilding,
    Publicity,
    ReportMetrics,
    Reserves,
    Vaccination,
    Verification,
)
from transforms.vocabulary import KIND_LABELS, enumeration_labels


@dataclass(frozen=True)
class MetricFamily:
    """One SQL file, the section it fills, and the labels of the codes its breakdowns return.

    Labelled lines are put in the vocabulary's order (党委会 before 专题会) unless
    ``keep_sql_order``, where the SQL's own order (villages as in the master data) is meant.
    """

    sql_file: str
    model: type[BaseModel]
    labels: dict[str, dict[str, str]] = field(default_factory=dict)
    keep_sql_order: bool = False


# ReportMetrics section -> its family. The order is the report's.
METRIC_FAMILIES: dict[str, MetricFamily] = {
    "deployment": MetricFamily(
        "deployment.sql", Deployment, {"meetings_by_type": enumeration_labels("meeting_type")}
    ),
    "party_building": MetricFamily("party_building.sql", PartyBuilding),
    "verification": MetricFamily(
        "verification.sql",
        Verification,
        {
            "by_result": enumeration_labels("verification_result"),
            "by_measure": enumeration_labels("control_measure"),
        },
    ),
    "grid": MetricFamily("grid.sql", Grid),
    "key_places": MetricFamily(
        "key_places.sql", KeyPlaces, {"places_by_type": enumeration_labels("place_type")}
    ),
    "vaccination": MetricFamily("vaccination_coverage.sql", Vaccination),
    "publicity": MetricFamily("publicity_totals.sql", Publicity),
    "demonstration": MetricFamily(
        "demonstration.sql", Demonstration, {"by_stage": enumeration_labels("demonstration_stage")}
    ),
    "reserves": MetricFamily("reserves.sql", Reserves),
    "completeness": MetricFamily(
        "completeness.sql", Completeness, {"missing": dict(KIND_LABELS)}, keep_sql_order=True
    ),
}
TOTAL_LINE = "total"


@dataclass(frozen=True)
class MasterData:
    """The township's master data as the SQL stage sees it: small ``master_*`` relations."""

    villages: tuple[tuple[str, str], ...] = ()  # (code, name) in master-data order
    required_kinds: tuple[str, ...] = ()
    clinics: tuple[tuple[str, str, tuple[str, ...]], ...] = ()  # (code, name, aliases)
    reserve_quotas: tuple[tuple[str, str, int], ...] = ()  # (clinic code, item, quota)

    @classmethod
    def from_config(cls, config: TownshipConfig) -> MasterData:
        """The pieces of the township file that SQL joins against."""
        return cls(
            villages=tuple((v.code, v.name) for v in config.villages),
            required_kinds=tuple(config.required_kinds),
            clinics=tuple((c.code, c.name, c.aliases) for c in config.clinics),
            reserve_quotas=tuple(
                (clinic, item, quota)
                for clinic, quotas in config.reserve_quotas.items()
                for item, quota in quotas.items()
            ),
        )

    def relations(self) -> dict[str, pl.DataFrame]:
        """Relation name -> frame; every relation exists, empty when the config has no rows."""
        clinic_labels = [
            (label, code, name, position)
            for position, (code, name, aliases) in enumerate(self.clinics)
            for label in dict.fromkeys((name, *aliases))
        ]
        return {
            "master_villages": pl.DataFrame(
                [(code, name, i) for i, (code, name) in enumerate(self.villages)],
                schema={"village_code": pl.String, "village_name": pl.String, "position": pl.Int64},
                orient="row",
            ),
            "master_required_kinds": pl.DataFrame(
                [(kind, i) for i, kind in enumerate(self.required_kinds)],
                schema={"kind": pl.String, "position": pl.Int64},
                orient="row",
            ),
            "master_clinics": pl.DataFrame(
                clinic_labels,
                schema={
                    "label": pl.String,
                    "clinic_code": pl.String,
                    "clinic_name": pl.String,
                    "position": pl.Int64,
                },
                orient="row",
            ),
            "master_reserve_quotas": pl.DataFrame(
                list(self.reserve_quotas),
                schema={"clinic_code": pl.String, "item": pl.String, "quota": pl.Int64},
                orient="row",
            ),
        }


@dataclass(frozen=True)
class MetricParams:
    """What every metric query may use: ``$cutoff``, ``$period_start``, ``$period_end`` and
    the master data relations."""

    cutoff: dt.date
    period_start: dt.date
    period_end: dt.date
    master: MasterData = MasterData()

    @classmethod
    def from_config(cls, config: TownshipConfig, cutoff: dt.date) -> MetricParams:
        """Period and master data from the township file, the cut-off date as resolved."""
        return cls(cutoff, config.period.start, config.period.end, MasterData.from_config(config))

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


def _element_model(model: type[BaseModel], name: str) -> type[BaseModel] | None:
    """The model of a field's elements when it holds a tuple of models, else None."""
    pending: list[Any] = [model.model_fields[name].annotation]
    while pending:
        annotation = pending.pop()
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            return annotation
        if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is not None:
            pending.extend(typing.get_args(annotation))
    return None


def _fields_of(model: type[BaseModel], row: dict[str, Any]) -> dict[str, Any]:
    # Lines are united by name, so a row also holds the other lines' columns (null) and
    # columns used only for ordering; a model takes just its own.
    return {k: v for k, v in row.items() if k in model.model_fields}


def assemble_section(
    model: type[BaseModel],
    frame: pl.DataFrame,
    labels: dict[str, dict[str, str]],
    keep_sql_order: bool = False,
) -> BaseModel:
    """One section from a family's lines: the 'total' line's fields plus one tuple per line."""
    lines: dict[str, list[dict[str, Any]]] = {}
    for row in frame.iter_rows(named=True):
        lines.setdefault(row.pop("line"), []).append(row)
    totals = lines.pop(TOTAL_LINE, [])
    if len(totals) != 1:
        raise ValueError(f"{model.__name__}: expected one '{TOTAL_LINE}' line, got {len(totals)}")
    total = totals[0]
    data: dict[str, Any] = _fields_of(model, total)
    data["sources"] = {"files": total["source_files"], "rows": total["source_rows"]}
    for name in model.model_fields:
        element = _element_model(model, name)
        if element is None or name == "sources":
            continue
        rows = lines.pop(name, [])
        names = labels.get(name)
        if names is not None:  # codes come from the vocabulary, so each has its label
            if not keep_sql_order:
                order = list(names)
                rows = sorted(rows, key=lambda r: order.index(r["code"]))
            rows = [{**r, "label": names[r["code"]]} for r in rows]
        data[name] = [_fields_of(element, r) for r in rows]
    if lines:
        raise ValueError(f"{model.__name__}: lines without a field: {sorted(lines)}")
    return model.model_validate(data)


def compute_metrics(db_path: Path, metrics_dir: Path, params: MetricParams) -> ComputedMetrics:
    """Run every metric family against the stored tables (read-only) and type the results."""
    rows: dict[str, pl.DataFrame] = {}
    sections: dict[str, BaseModel] = {}
    with duckdb.connect(str(db_path), read_only=True) as con:
        for name, relation in params.master.relations().items():
            con.register(name, relation)
        for section, family in METRIC_FAMILIES.items():
            frame = run_metric_query(con, metrics_dir / family.sql_file, params)
            rows[Path(family.sql_file).stem] = frame
            sections[section] = assemble_section(
                family.model, frame, family.labels, family.keep_sql_order
            )
    return ComputedMetrics(metrics=ReportMetrics(**sections), rows=rows)
