"""Stage 4: Great Expectations suites on the stored tables and the computed metrics.

Why pandas and not GX's SQL datasource: with GX 1.24 and duckdb-engine the SQL
path returns empty results for every expectation (GX closes the connection
before fetching; GX issues #10738 and #11579), and the only fix patches a
private GX attribute. We read each table from DuckDB into a pandas frame and
validate that instead, which GX supports as is; the tables of one township are
small. Results never carry row samples (``partial_unexpected_count: 0``), so
no personal field can reach a result or a page.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import yaml

Severity = Literal["critical", "warning"]
RESULT_FORMAT = {"result_format": "SUMMARY", "partial_unexpected_count": 0}


@dataclass(frozen=True)
class ExpectationSpec:
    type: str
    kwargs: dict[str, Any]
    severity: Severity


@dataclass(frozen=True)
class SuiteSpec:
    name: str
    table: str
    expectations: tuple[ExpectationSpec, ...]


@dataclass(frozen=True)
class CheckResult:
    suite: str
    table: str
    expectation: str
    column: str
    severity: Severity
    success: bool
    unexpected_count: int | None
    element_count: int | None
    error: str | None


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


class QualityGateFailed(RuntimeError):
    """A critical expectation failed: the report must not go out on this data."""

    def __init__(self, verdict: QualityVerdict) -> None:
        lines = [
            f"{r.expectation} on {r.table}.{r.column}: "
            + (
                r.error
                or (
                    f"{r.unexpected_count} of {r.element_count} rows fail"
                    if r.unexpected_count is not None
                    else "failed without counts"
                )
            )
            for r in verdict.critical_failures
        ]
        super().__init__("critical data-quality check failed: " + "; ".join(lines))
        self.verdict = verdict


def load_suites(directory: Path) -> list[SuiteSpec]:
    """Read every suite file (``*.yaml``) of ``expectations/``."""
    suites = []
    for path in sorted(directory.glob("*.yaml")):
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        suites.append(
            SuiteSpec(
                name=path.stem,
                table=raw["table"],
                expectations=tuple(
                    ExpectationSpec(e["type"], dict(e["kwargs"]), e["severity"])
                    for e in raw["expectations"]
                ),
            )
        )
    return suites


def _bind(value: Any, params: dict[str, Any]) -> Any:
    if isinstance(value, str) and value.startswith("$"):
        return params[value[1:]]
    return value


def _column_of(kwargs: dict[str, Any]) -> str:
    for key in ("column", "column_A"):
        if key in kwargs:
            return str(kwargs[key]) + (f",{kwargs['column_B']}" if key == "column_A" else "")
    return ",".join(kwargs.get("column_list", []))


def _quiet_context():
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    for name in ("great_expectations", "great_expectations.data_context.types.base"):
        logging.getLogger(name).setLevel(logging.WARNING)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    return gx, context


def run_suites(
    suites: list[SuiteSpec], frames: dict[str, pd.DataFrame], params: dict[str, Any]
) -> QualityVerdict:
    """Validate each suite's table; values written ``$name`` in a suite come from ``params``."""
    from great_expectations.expectations.expectation_configuration import (
        ExpectationConfiguration,
    )

    gx, context = _quiet_context()
    source = context.data_sources.add_pandas("duckdb_tables")
    results: list[CheckResult] = []
    for spec in suites:
        if spec.table not in frames:
            continue
        batch = source.add_dataframe_asset(spec.name).add_batch_definition_whole_dataframe("all")
        suite = context.suites.add(gx.ExpectationSuite(name=spec.name))
        for e in spec.expectations:
            kwargs = {k: _bind(v, params) for k, v in e.kwargs.items()}
            config = ExpectationConfiguration(
                type=e.type, kwargs=kwargs, meta={"severity": e.severity}
            )
            suite.add_expectation(config.to_domain_obj())
        validation = context.validation_definitions.add(
            gx.ValidationDefinition(name=spec.name, data=batch, suite=suite)
        )
        run = validation.run(
            batch_parameters={"dataframe": frames[spec.table]}, result_format=RESULT_FORMAT
        )
        for r in run.results:
            raised = r.exception_info.get("raised_exception") if r.exception_info else False
            results.append(
                CheckResult(
                    suite=spec.name,
                    table=spec.table,
                    expectation=r.expectation_config.type,
                    column=_column_of(r.expectation_config.kwargs),
                    severity=r.expectation_config.meta["severity"],
                    success=bool(r.success) and not raised,
                    unexpected_count=r.result.get("unexpected_count"),
                    element_count=r.result.get("element_count"),
                    error=r.exception_info.get("exception_message") if raised else None,
                )
            )
    return QualityVerdict(results=tuple(results))
