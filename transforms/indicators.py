"""The indicator registry (``sql/indicators.yaml``): every figure the report writes, as data.

One entry per figure says what it counts, its unit, how it is written and which SQL
file computes it. The template writes figures through ``figure_text`` and
``metrics.json`` lists ``report_figures``, both from the same entries, so a figure's
text in the report and its value in metrics.json cannot drift apart.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from transforms.metrics import METRIC_FAMILIES
from transforms.numbers import activity_count, exact_count, rate_pct, round_pct, target_pct
from transforms.report_model import ReportContext, ReportMetrics, Sources

Style = Literal["exact", "activity", "rate", "target", "change", "points"]
ELEMENTS = "[]."


class Indicator(BaseModel):
    """One registry entry; ``key`` is a path into the report context (see the YAML header)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str = Field(pattern=r"^[a-z0-9_]+(\.[a-z0-9_]+)*(\[\]\.[a-z0-9_]+)?$")
    name: str = Field(min_length=1)
    unit: str | None = None
    style: Style
    definition: str = Field(min_length=1)
    denominator: str | None = None
    age_reference: Literal["cutoff"] | None = None
    sql: str | None = Field(None, pattern=r"^[a-z0-9_]+\.sql$")  # None: master data
    note: bool = False


class Registry(BaseModel):
    """All indicators, keys unique, in the order the report cites them."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    indicators: tuple[Indicator, ...]

    @model_validator(mode="after")
    def _unique_keys(self) -> Registry:
        keys = [i.key for i in self.indicators]
        duplicates = sorted({k for k in keys if keys.count(k) > 1})
        if duplicates:
            raise ValueError(f"indicator keys listed twice: {duplicates}")
        return self

    def get(self, key: str) -> Indicator:
        """The entry of a key; a template naming an unknown figure fails here, loudly."""
        for indicator in self.indicators:
            if indicator.key == key:
                return indicator
        raise KeyError(f"no indicator '{key}' in the registry")


def load_registry(path: Path, metrics_dir: Path) -> Registry:
    """Read and check the registry: every SQL file it names must exist."""
    registry = Registry.model_validate(
        yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    )
    missing = sorted(
        {i.sql for i in registry.indicators if i.sql and not (metrics_dir / i.sql).is_file()}
    )
    if missing:
        raise ValueError(f"{path}: SQL files not found in {metrics_dir}: {missing}")
    return registry


def format_figure(style: Style, value: int | Decimal, unit: str) -> str:
    """A value as the report writes it, unit included: 7663剂次, 20万余次, 91.32%, 90%,
    1.25个百分点."""
    if style == "rate":
        return rate_pct(value)
    if style == "target":
        return target_pct(value)
    if style == "activity":
        return f"{activity_count(int(value))}{unit}"
    if style == "points":
        return f"{round_pct(abs(value))}{unit}"
    if style == "change":
        return f"{exact_count(abs(int(value)))}{unit}"
    return f"{exact_count(int(value))}{unit}"


def _walk(obj: Any, path: str) -> Any:
    for name in path.split("."):
        if obj is None:
            return None
        obj = getattr(obj, name)
    return obj


def _root(context: ReportContext, path: str) -> Any:
    """Paths into a section start at the metrics; others at the context itself."""
    first = path.split(".", 1)[0]
    return context.metrics if first in ReportMetrics.model_fields else context


@dataclass(frozen=True)
class Figure:
    """One figure of the report: its value, its text, and what it is."""

    key: str
    indicator: Indicator
    value: int | Decimal
    unit: str
    text: str


def _figure(indicator: Indicator, key: str, value: Any, element: Any = None) -> Figure | None:
    if value is None:
        return None
    unit = indicator.unit if indicator.unit is not None else element.unit
    return Figure(key, indicator, value, unit, format_figure(indicator.style, value, unit))


def report_figures(context: ReportContext, registry: Registry) -> list[Figure]:
    """Every figure the context holds, one per indicator or per element; absent ones skipped."""
    figures: list[Figure] = []
    for indicator in registry.indicators:
        if ELEMENTS in indicator.key:
            list_path, field = indicator.key.split(ELEMENTS)
            for element in _walk(_root(context, list_path), list_path) or ():
                key = f"{list_path}[{element.key}].{field}"
                figure = _figure(indicator, key, getattr(element, field), element)
                if figure is not None:
                    figures.append(figure)
        else:
            value = _walk(_root(context, indicator.key), indicator.key)
            figure = _figure(indicator, indicator.key, value)
            if figure is not None:
                figures.append(figure)
    return figures


def figure_text(context: ReportContext, registry: Registry, key: str, element: Any = None) -> str:
    """The text of one figure for the template: ``fig('vaccination.v60_dose1')`` -> 7663剂次.

    Per-element keys (``verification.by_result[].count``) take the element they are about.
    """
    indicator = registry.get(key)
    if ELEMENTS in key:
        if element is None:
            raise ValueError(f"figure '{key}' is per element: pass the element")
        value = getattr(element, key.split(ELEMENTS)[1])
    else:
        value = _walk(_root(context, key), key)
    figure = _figure(indicator, key, value, element)
    if figure is None:
        raise ValueError(f"figure '{key}' has no value in this report")
    return figure.text


def section_sources(context: ReportContext, sql_file: str | None) -> Sources | None:
    """The files and rows behind the section a SQL file computes; None for master data."""
    if sql_file is None:
        return None
    section = next(s for s, f in METRIC_FAMILIES.items() if f.sql_file == sql_file)
    return getattr(context.metrics, section).sources


def _json_number(value: int | Decimal) -> int | float:
    return float(value) if isinstance(value, Decimal) else int(value)


def figure_record(figure: Figure, context: ReportContext, sql_prefix: str) -> dict[str, Any]:
    """One figure as metrics.json lists it: value, unit, definition, SQL and its sources."""
    indicator = figure.indicator
    sources = section_sources(context, indicator.sql)
    age_reference: dt.date | None = context.cutoff_date if indicator.age_reference else None
    return {
        "key": figure.key,
        "name": indicator.name,
        "value": _json_number(figure.value),
        "unit": figure.unit,
        "text": figure.text,
        "definition": indicator.definition,
        "denominator": indicator.denominator,
        "age_reference_date": age_reference.isoformat() if age_reference else None,
        "sql": f"{sql_prefix}{indicator.sql}" if indicator.sql else None,
        "source_files": sources.files if sources else None,
        "source_rows": sources.rows if sources else None,
    }


def method_notes(context: ReportContext, registry: Registry) -> list[Indicator]:
    """Indicators the 口径说明 explains: those marked ``note`` that this report writes."""
    present = {f.indicator.key for f in report_figures(context, registry)}
    return [i for i in registry.indicators if i.note and i.key in present]
