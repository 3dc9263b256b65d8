"""Stage 4: Great Expectations suites on the stored tables, cross-table checks and the figures.

Why pandas and not GX's SQL datasource: with GX 1.24 and duckdb-engine the SQL path
returns an empty result for every expectation and raises nothing (GX closes the
SQLAlchemy connection before fetching, which rolls DuckDB back; GX issues #10738 and
#11579). The only fix found patches a private GX attribute, which any GX release may
rename, and regex expectations still fail there on the duckdb dialect. So each table is
read from DuckDB (read-only) into a pandas frame, which GX validates as is; one
township's tables are small (30,000 persons, 75,000 doses: all suites in about two
seconds, and a quarter of a second to read them). Checks that
span tables (dose order, vaccinated against residents, outliers) are SQL in
``sql/checks/``, one query per check table ``check_<name>``, validated by plain
expectations like any table. GX reports a failure as a result, never as an exception,
and an expectation that raised (a missing column) is counted as failed here, not passed.

Results never carry row samples (``partial_unexpected_count: 0``) and only numeric
observed values are kept, so no personal field can reach a result, the history or a page.
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging
import re
import threading
import typing
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import duckdb
import pandas as pd
import yaml
from pydantic import BaseModel

from epireport.config import TownshipConfig
from transforms.normalize import VACCINATION_START
from transforms.report_model import QualityNote, ReportMetrics
from transforms.trend import TREND_TABLE
from transforms.vocabulary import (
    CRITICAL_FAILED,
    CRITICAL_PASSED,
    ENUMERATIONS,
    PUBLICITY_KINDS,
    QUALITY_NOTE_SEPARATORS,
    QUALITY_NOTES,
    RESIDENCE_STATUS,
    VACCINATION_MODES,
    VERDICT_LINE,
)

Severity = Literal["critical", "warning"]
SEVERITIES: tuple[Severity, ...] = ("critical", "warning")
RESULT_FORMAT = {"result_format": "SUMMARY", "partial_unexpected_count": 0}
# Columns a suite may name its failing rows by: never a personal one.
NAMEABLE_COLUMNS: frozenset[str] = frozenset({"village", "note"})
# The suite table fed from the computed figures rather than from the DuckDB file.
METRICS_TABLE = "report_metrics"
# Suite tables computed in the run rather than read from the DuckDB file.
FIGURE_TABLES: frozenset[str] = frozenset({METRICS_TABLE, TREND_TABLE})
# Suite tables named check_<name> are the result of sql/checks/<name>.sql.
CHECK_PREFIX = "check_"
_SQL_PARAM = re.compile(r"\$([a-z_]+)")


@dataclass(frozen=True)
class ExpectationSpec:
    type: str
    kwargs: dict[str, Any]
    severity: Severity
    note: str | None = None


@dataclass(frozen=True)
class SuiteSpec:
    name: str
    table: str
    expectations: tuple[ExpectationSpec, ...]
    name_rows_by: str | None = None


@dataclass(frozen=True)
class CheckResult:
    """One expectation's outcome: counts only, never row values."""

    suite: str
    table: str
    expectation: str
    column: str
    severity: Severity
    success: bool
    unexpected_count: int | None
    element_count: int | None
    error: str | None
    observed_value: float | None = None
    note: str | None = None
    condition: str = ""
    subjects: tuple[str, ...] = ()

    @property
    def failing(self) -> str:
        """How it failed, for a message: the failing count, the observed value or the error."""
        if self.error:
            return self.error
        if self.unexpected_count is not None:
            return f"{self.unexpected_count} of {self.element_count} rows fail"
        if self.observed_value is not None:
            return f"observed {self.observed_value:g}"
        return "failed without counts"

    @property
    def statement(self) -> str:
        """A failed check for the office: its sentence, else table, column, rule and count."""
        return (
            self.sentence
            or f"{self.table}.{self.column} 未通过 {self.expectation}（{self.failing}）"
        )

    @property
    def sentence(self) -> str | None:
        """The Chinese sentence of a failed check with a note, for the report and the page.

        None for a check that raised: it found nothing to count, the page and log say why.
        """
        if self.success or self.note is None or self.error:
            return None
        separator = QUALITY_NOTE_SEPARATORS.get(self.note, "、")
        return QUALITY_NOTES[self.note].format(
            count=self.unexpected_count or 0, subjects=separator.join(self.subjects)
        )


@dataclass(frozen=True)
class QualityVerdict:
    results: tuple[CheckResult, ...]

    @property
    def critical_failures(self) -> tuple[CheckResult, ...]:
        return tuple(r for r in self.results if not r.success and r.severity == "critical")

    @property
    def warnings(self) -> tuple[CheckResult, ...]:
        return tuple(r for r in self.results if not r.success and r.severity == "warning")

    def summary(self) -> str:
        critical = (
            "critical passed"
            if not self.critical_failures
            else (f"critical FAILED ({len(self.critical_failures)})")
        )
        return f"{critical}, warnings {len(self.warnings)}, checks {len(self.results)}"

    def verdict_line(self) -> str:
        """The summary as the township office reads it, in Chinese."""
        failed = len(self.critical_failures)
        critical = CRITICAL_FAILED.format(count=failed) if failed else CRITICAL_PASSED
        return VERDICT_LINE.format(
            critical=critical, warnings=len(self.warnings), checks=len(self.results)
        )


def combine(*verdicts: QualityVerdict) -> QualityVerdict:
    return QualityVerdict(results=tuple(r for v in verdicts for r in v.results))


class QualityGateFailed(RuntimeError):
    """A critical expectation failed: the report must not go out on this data."""

    def __init__(self, verdict: QualityVerdict) -> None:
        lines = [r.statement for r in verdict.critical_failures]
        super().__init__("关键数据质量检查未通过：" + "；".join(lines))
        self.verdict = verdict


class SuiteError(ValueError):
    """A suite file that cannot be used; the message names the file and the expectation."""


def _expectation(raw: dict[str, Any], where: str) -> ExpectationSpec:
    severity, note = raw.get("severity"), raw.get("note")
    if severity not in SEVERITIES:
        raise SuiteError(f"{where}: severity must be critical or warning, not {severity!r}")
    if severity == "warning" and note not in QUALITY_NOTES:
        raise SuiteError(f"{where}: a warning needs a note from vocabulary.QUALITY_NOTES")
    return ExpectationSpec(raw["type"], dict(raw["kwargs"]), severity, note)


def load_suites(directory: Path) -> list[SuiteSpec]:
    """Read every suite file (``*.yaml``) of ``expectations/``."""
    suites = []
    for path in sorted(directory.glob("*.yaml")):
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
        name_rows_by = raw.get("name_rows_by")
        if name_rows_by is not None and name_rows_by not in NAMEABLE_COLUMNS:
            raise SuiteError(f"{path.name}: name_rows_by must be one of {sorted(NAMEABLE_COLUMNS)}")
        suites.append(
            SuiteSpec(
                name=path.stem,
                table=raw["table"],
                expectations=tuple(
                    _expectation(e, f"{path.name} #{i + 1}")
                    for i, e in enumerate(raw["expectations"])
                ),
                name_rows_by=name_rows_by,
            )
        )
    return suites


def _codes(table: dict[str, str]) -> list[str]:
    return sorted(set(table.values()))


# The oldest age the stored persons may have at the cut-off date (expectations/persons.yaml).
MAX_AGE = 120


def oldest_birth(on: dt.date, max_age: int = MAX_AGE) -> dt.date:
    """The earliest birth date that is at most ``max_age`` at ``on`` by the age rule of
    sql/models/macros.sql (age_at), which the tests check this against."""
    years_earlier = on.year - max_age - 1
    try:
        day = on.replace(year=years_earlier)
    except ValueError:  # 29 February: a birthday on the 29th is reached on 1 March
        day = on.replace(year=years_earlier, day=28)
    return day + dt.timedelta(days=1)


def check_params(config: TownshipConfig, cutoff: dt.date, run_date: dt.date) -> dict[str, Any]:
    """Values suites write as ``$name`` and check queries bind; dates as pandas timestamps."""
    params: dict[str, Any] = {
        "cutoff": pd.Timestamp(cutoff),
        "run_date": pd.Timestamp(run_date),
        "period_start": pd.Timestamp(config.period.start),
        "period_end": pd.Timestamp(config.period.end),
        "period_last": pd.Timestamp(min(config.period.end, cutoff)),
        "oldest_birth": pd.Timestamp(oldest_birth(cutoff)),
        "vaccination_start": pd.Timestamp(VACCINATION_START),
        "village_codes": [v.code for v in config.villages],
        "village_count": len(config.villages),
        "required_kinds": list(config.required_kinds),
        "submission_rows": len(config.villages) * len(config.required_kinds),
        "clinic_labels": sorted({label for c in config.clinics for label in (c.name, *c.aliases)}),
        "status_codes": _codes(RESIDENCE_STATUS),
        "publicity_kind_codes": _codes(PUBLICITY_KINDS),
        "vaccination_mode_codes": [*_codes(VACCINATION_MODES), "other"],
        "unknown_share_max_pct": config.unknown_share_max_pct,
    }
    for name, table in ENUMERATIONS.items():
        params[f"{name}_codes"] = _codes(table)
    return params


def _sql_values(sql: str, params: dict[str, Any]) -> dict[str, Any]:
    """The parameters a query names (DuckDB refuses unused ones), timestamps as dates."""
    values = {}
    for name in set(_SQL_PARAM.findall(sql)):
        value = params[name]
        values[name] = value.date() if isinstance(value, pd.Timestamp) else value
    return values


def read_tables(
    db_path: Path, tables: set[str], checks_dir: Path, params: dict[str, Any]
) -> dict[str, pd.DataFrame]:
    """Stored tables and check queries as pandas frames, from one read-only connection."""
    frames: dict[str, pd.DataFrame] = {}
    with duckdb.connect(str(db_path), read_only=True) as con:
        for name in sorted(tables):
            if name.startswith(CHECK_PREFIX):
                path = checks_dir / f"{name.removeprefix(CHECK_PREFIX)}.sql"
                sql = path.read_text(encoding="utf-8")
                frames[name] = con.sql(sql, params=_sql_values(sql, params)).df()
            else:
                frames[name] = con.table(name).df()
    return {name: nanosecond_dates(frame) for name, frame in frames.items()}


def nanosecond_dates(frame: pd.DataFrame) -> pd.DataFrame:
    """Date columns at nanosecond precision. DuckDB hands pandas microseconds, and GX's
    between-check compares only nanosecond columns vectorized: any other precision goes
    row by row through Python (0.6 s a township, half a minute a county)."""
    dates = [
        c
        for c, dtype in frame.dtypes.items()
        if pd.api.types.is_datetime64_dtype(dtype) and dtype != "datetime64[ns]"
    ]
    return frame.astype(dict.fromkeys(dates, "datetime64[ns]")) if dates else frame


def _section_model(name: str) -> type[BaseModel]:
    annotation = ReportMetrics.model_fields[name].annotation
    return next(a for a in typing.get_args(annotation) if isinstance(a, type))


def metrics_frame(metrics: ReportMetrics) -> pd.DataFrame:
    """One row, a column ``<section>_<field>`` per number; all null for a section not computed.

    A section that is computed but lacks a field the suite names fails that check, so a
    renamed figure is noticed rather than skipped.
    """
    row: dict[str, Any] = {}
    for section in ReportMetrics.model_fields:
        value = getattr(metrics, section)
        if value is None:
            row |= {f"{section}_{f}": None for f in _section_model(section).model_fields}
            continue
        for field in type(value).model_fields:
            item = getattr(value, field)
            if isinstance(item, bool) or not isinstance(item, int | float | Decimal | None):
                continue
            row[f"{section}_{field}"] = float(item) if isinstance(item, Decimal) else item
    return pd.DataFrame([row])


def _bind(value: Any, params: dict[str, Any]) -> Any:
    if isinstance(value, str) and value.startswith("$"):
        return params[value[1:]]
    return value


def _column_of(kwargs: dict[str, Any]) -> str:
    for key in ("column", "column_A"):
        if key in kwargs:
            return str(kwargs[key]) + (f",{kwargs['column_B']}" if key == "column_A" else "")
    return ",".join(kwargs.get("column_list", []))


# Expectation arguments that name the data rather than the rule.
_NOT_RULE = frozenset({"batch_id", "column", "column_A", "column_B", "column_list"})
_SHOWN_VALUES = 8


def _shown(value: Any) -> str:
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    if isinstance(value, list | tuple):
        items = [_shown(v) for v in value]
        more = f", … ({len(items)})" if len(items) > _SHOWN_VALUES else ""
        return "[" + ", ".join(items[:_SHOWN_VALUES]) + more + "]"
    return str(value)


def _condition(kwargs: dict[str, Any]) -> str:
    """The rule's arguments as bound for this run (bounds, value sets), for the page."""
    return "; ".join(f"{k}={_shown(v)}" for k, v in kwargs.items() if k not in _NOT_RULE)


def _exception_of(info: dict[str, Any] | None) -> str | None:
    """The message of an expectation that raised; GX nests it per metric when a metric failed."""
    if not info:
        return None
    if "raised_exception" in info:
        return (info.get("exception_message") or "raised") if info["raised_exception"] else None
    for nested in info.values():
        if isinstance(nested, dict) and nested.get("exception_message"):
            return str(nested["exception_message"]).splitlines()[0]
    return None


def _number(value: Any) -> float | None:
    """A scalar observed value (a row count, a sum); lists of values are never kept."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return None
    return float(value)


def import_great_expectations_in_background() -> None:
    """Start importing GX (about three seconds: scipy, marshmallow, its registries) on a
    daemon thread. Called as a run begins, the import overlaps the reads, which leave this
    process idle; the first check then finds the module loaded (Python's import lock makes
    it wait if the import is still going)."""
    threading.Thread(
        target=importlib.import_module,
        args=("great_expectations",),
        name="import-great-expectations",
        daemon=True,
    ).start()


def _quiet_context():
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    for name in ("great_expectations", "great_expectations.data_context.types.base"):
        logging.getLogger(name).setLevel(logging.WARNING)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    return gx, context


def _subjects(result: dict[str, Any], column: str | None) -> tuple[str, ...]:
    """The failing rows' names in ``column`` (a NAMEABLE one), in order, each once; only
    these leave GX's result, the rest of a COMPLETE result is dropped here."""
    if column is None:
        return ()
    names = (str(row[column]) for row in result.get("unexpected_index_list") or ())
    return tuple(dict.fromkeys(names))


def run_suites(
    suites: list[SuiteSpec], frames: dict[str, pd.DataFrame], params: dict[str, Any]
) -> QualityVerdict:
    """Validate each suite's table; values written ``$name`` in a suite come from ``params``.

    A suite whose table is not among ``frames`` is not run.
    """
    from great_expectations.expectations.expectation_configuration import (
        ExpectationConfiguration,
    )

    gx, context = _quiet_context()
    source = context.data_sources.add_pandas("duckdb_tables")
    results: list[CheckResult] = []
    for spec in suites:
        if spec.table not in frames:
            continue
        batch = (
            source.add_dataframe_asset(spec.name)
            .add_batch_definition_whole_dataframe("all")
            .get_batch(batch_parameters={"dataframe": frames[spec.table]})
        )
        expectations = [
            ExpectationConfiguration(
                type=e.type,
                kwargs={k: _bind(v, params) for k, v in e.kwargs.items()},
                meta={"severity": e.severity, "note": e.note},
            )
            for e in spec.expectations
        ]
        result_format = RESULT_FORMAT
        if spec.name_rows_by:
            result_format = {
                "result_format": "COMPLETE",
                "partial_unexpected_count": 0,
                "unexpected_index_column_names": [spec.name_rows_by],
                "return_unexpected_index_query": False,
            }
        # The suite is validated as it stands, never added to the context's stores: storing
        # a suite and a validation definition re-serializes them (an eighth of the time).
        run = batch.validate(
            gx.ExpectationSuite(name=spec.name, expectations=expectations),
            result_format=result_format,
        )
        for r in run.results:
            error = _exception_of(r.exception_info)
            meta = r.expectation_config.meta
            results.append(
                CheckResult(
                    suite=spec.name,
                    table=spec.table,
                    expectation=r.expectation_config.type,
                    column=_column_of(r.expectation_config.kwargs),
                    severity=meta["severity"],
                    success=bool(r.success) and error is None,
                    unexpected_count=r.result.get("unexpected_count"),
                    element_count=r.result.get("element_count"),
                    error=error,
                    observed_value=_number(r.result.get("observed_value")),
                    note=meta.get("note"),
                    condition=_condition(r.expectation_config.kwargs),
                    subjects=_subjects(r.result, spec.name_rows_by),
                )
            )
    return QualityVerdict(results=tuple(results))


def check_stored_tables(
    db_path: Path, suites: list[SuiteSpec], checks_dir: Path, params: dict[str, Any]
) -> QualityVerdict:
    """Run the suites on stored tables and check queries (every suite but the figures')."""
    stored = [s for s in suites if s.table not in FIGURE_TABLES]
    frames = read_tables(db_path, {s.table for s in stored}, checks_dir, params)
    return run_suites(stored, frames, params)


def check_figures(
    metrics: ReportMetrics,
    suites: list[SuiteSpec],
    params: dict[str, Any],
    trend: pd.DataFrame | None = None,
) -> QualityVerdict:
    """Run the suites on the computed figures, and on each village's figures against the
    last published run (``transforms/trend.py``) when there is one to compare with."""
    frames = {METRICS_TABLE: metrics_frame(metrics)}
    if trend is not None:
        frames[TREND_TABLE] = trend
    return run_suites([s for s in suites if s.table in FIGURE_TABLES], frames, params)


def quality_note(verdict: QualityVerdict) -> QualityNote:
    """The report's data-quality note: one sentence per failed warning, no row values."""
    return QualityNote(warnings=tuple(s for r in verdict.warnings if (s := r.sentence)))
