"""The township report flow: one task per stage, wired in order, nothing else."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import pandas as pd
import polars as pl
from prefect import flow, get_run_logger, task
from prefect.context import TaskRunContext
from prefect.runtime import flow_run

import epireport
from epireport.config import TownshipConfig, check_run_date, load_config, resolve_villages
from epireport.faults import fault_point
from epireport.nightly import current_run_name
from epireport.settings import Resources, project_resources, resolve_person_key
from flows.artifacts import publish_artifacts
from flows.run_lock import one_run_at_a_time
from flows.stage import stage
from transforms.completeness import build_submissions, require_usable_data
from transforms.discover import InboxFile, discover_files
from transforms.feedback import Recipients, feedback_workbooks
from transforms.ingest import (
    FileRead,
    IngestLedger,
    IngestResult,
    Limits,
    normalize_reads,
    settle_versions,
)
from transforms.ingest_cache import (
    PUBLISHED_FINGERPRINT,
    code_digest,
    code_folders,
    inbox_fingerprint,
    result_key,
    stored_ingest,
)
from transforms.isolation import IsolatedReader
from transforms.load import load_into_duckdb
from transforms.masking import Lexicon, mask_listing, mask_text, township_lexicon
from transforms.metrics import ComputedMetrics, MetricParams, compute_metrics
from transforms.normalize import NormalizeContext
from transforms.outputs import build_outputs
from transforms.publish import publish_run, read_previous_metrics
from transforms.quality import (
    QualityGateFailed,
    QualityVerdict,
    check_figures,
    check_params,
    check_stored_tables,
    combine,
    import_great_expectations_in_background,
    load_suites,
    quality_note,
)
from transforms.quality_docs import QUALITY_PAGE, QualityRun, record_results, render_quality_docs
from transforms.report_model import ReportContext
from transforms.township_vocabulary import township_vocabulary
from transforms.trend import village_trend
from transforms.villages import VillageIndex


@stage(name="discover", retries=2, retry_delay_seconds=[1, 5], timeout_seconds=600)
def discover(inbox: Path) -> list[InboxFile]:
    files = discover_files(inbox)
    fault_point("discover")
    get_run_logger().info("discover: %d files in the inbox", len(files))
    return files


def output_code_digest(resources: Resources) -> str:
    """The code and templates that turn stored tables into a report, beyond ``code_folders``
    (which the inputs' fingerprint already covers); templates whatever their suffix."""
    code = code_digest((FLOWS_DIR, EPIREPORT_DIR))
    return code + code_digest((resources.templates_dir,), suffixes=None)


def report_fingerprint(inputs: str, output_code: str, accept_falls: Sequence[str]) -> str:
    """What a published report is made from: the inputs, the code that writes it
    (``output_code_digest``) and the falls the office accepted for the run."""
    return result_key(inputs + output_code, {"accept_falls": sorted(accept_falls)})


@stage(name="fingerprint-inbox")
def fingerprint(
    files: list[InboxFile], config: TownshipConfig, run_date: dt.date, person_key: bytes,
    resources: Resources,
) -> str:  # fmt: skip
    code = code_digest(code_folders(resources))
    return inbox_fingerprint(files, config, run_date, person_key, code)


@stage(name="reuse-stored-ingest")
def reuse_stored(db_path: Path, fingerprint: str) -> IngestLedger | None:
    """The last load's ledger when it was made from exactly these inputs."""
    ledger = stored_ingest(db_path, fingerprint)
    if ledger is None:
        get_run_logger().info("inbox, config or code changed since the last load: reading it")
    else:
        get_run_logger().info(
            "inbox, config and code unchanged since the last load: read, normalize and load"
            " skipped; %d files as loaded then",
            ledger.files.height,
        )
    return ledger


@stage(name="read-inbox", retries=2, retry_delay_seconds=[1, 5])
def read_inbox(files: list[InboxFile], ctx: NormalizeContext, limits: Limits) -> list[FileRead]:
    """Every file in reader worker processes (a reader that aborts costs one refused file,
    and they enforce the time limit); the frames stay in memory, never persisted."""
    with IsolatedReader(workers=READER_WORKERS, memory_bytes=limits.reader_memory_bytes) as reader:
        reads = reader.read_all(
            files, ctx, limits.max_file_bytes, limits.max_expanded_bytes, limits.shape
        )
    get_run_logger().info(
        "read: %d files in %d reader processes (each file's outcome: normalize)",
        len(reads), READER_WORKERS,
    )  # fmt: skip
    return reads


@stage(name="normalize", timeout_seconds=1800)
def normalize(reads: list[FileRead], ctx: NormalizeContext) -> IngestResult:
    logger = get_run_logger()
    result = normalize_reads(settle_versions(reads), ctx)
    fault_point("normalize")
    for f in mask_listing(result.files, township_lexicon(ctx.villages)).iter_rows(named=True):
        if f["status"] in ("refused", "held"):
            logger.warning("file %s: %s, %s", f["path"], f["status"], f["refusal"])
        elif f["status"] != "loaded":
            logger.info("file %s: %s, %d rows retired", f["path"], f["status"], f["rows_read"])
        else:
            logger.info(
                "file %s: %s, read %d, loaded %d, refused %d%s",
                f["path"], f["kind"], f["rows_read"], f["rows_loaded"], f["rows_refused"],
                f" ({f['refused_by_reason']})" if f["refused_by_reason"] else "",
            )  # fmt: skip
    totals = result.files.select("rows_read", "rows_loaded", "rows_refused", "rows_retired")
    logger.info(
        "normalize: %d files, rows read %d = loaded %d + refused %d + retired %d"
        " (files repeated, replaced by a later version, or held from replacing a fuller one)",
        result.files.height,
        *totals.sum().row(0),
    )
    return result


@stage(name="load-duckdb", retries=2, retry_delay_seconds=[2, 10], timeout_seconds=1800)
def load(
    result: IngestResult, db_path: Path, resources: Resources, ctx: NormalizeContext,
    fingerprint: str,
) -> None:  # fmt: skip
    counts = load_into_duckdb(result, db_path, resources.models_dir, ctx, fingerprint)
    get_run_logger().info(
        "load: %d persons, %d doses into %s", counts["persons"], counts["doses"], db_path.name
    )


@stage(name="build-submissions")
def submissions(
    db_path: Path, resources: Resources, config: TownshipConfig, deadline: dt.date
) -> pl.DataFrame:
    table = build_submissions(db_path, resources.models_dir, config, config.period.start, deadline)
    get_run_logger().info(
        "submissions: %d of %d required files received, %d late",
        table["received"].sum(), table.height, (~table["on_time"]).sum(),
    )  # fmt: skip
    require_usable_data(table)
    return table


def _log_checks(stage: str, verdict: QualityVerdict) -> None:
    logger = get_run_logger()
    for r in verdict.critical_failures + verdict.warnings:
        logger.warning(
            "%s: %s %s on %s.%s: %s%s", stage, r.severity, r.expectation, r.table, r.column,
            r.failing, f" ({r.sentence})" if r.sentence else "",
        )  # fmt: skip
    logger.info("%s: %s", stage, verdict.summary())


def _stored_check_key(_: TaskRunContext, inputs: dict) -> str:
    return result_key(inputs["fingerprint"], inputs["params"])


def _figures_check_key(_: TaskRunContext, inputs: dict) -> str:
    figures = inputs["computed"].metrics.model_dump_json()
    # The verdict depends on which villages hold, not on the figures compared.
    trend = inputs["trend"]
    trend = trend[["village", "holds"]].to_json() if trend is not None else ""
    return result_key(inputs["fingerprint"] + figures + trend, inputs["params"])


@task(name="check-stored-data", cache_key_fn=_stored_check_key, persist_result=True)
def check_stored(
    db_path: Path, resources: Resources, params: dict, fingerprint: str
) -> QualityVerdict:
    """Cached: the verdict is reused while the fingerprint (tables, code, suites) stays."""
    suites = load_suites(resources.expectations_dir)
    verdict = check_stored_tables(db_path, suites, resources.checks_dir, params)
    fault_point("check")
    _log_checks("check stored data", verdict)
    return verdict


@stage(name="compute-metrics")
def metrics(db_path: Path, resources: Resources, params: MetricParams) -> ComputedMetrics:
    computed = compute_metrics(db_path, resources.metrics_dir, params)
    fault_point("metrics")
    get_run_logger().info("metrics: %d families computed", len(computed.rows))
    return computed


@stage(name="compare-with-published")
def compare_with_published(
    computed: ComputedMetrics, out: Path, cutoff: dt.date, township: str,
    accept_falls: list[str] | None,
) -> pd.DataFrame | None:  # fmt: skip
    vaccination = computed.metrics.vaccination
    if vaccination is None:
        return None
    published = read_previous_metrics(out, cutoff, same_cutoff=True)
    trend = village_trend(vaccination.village_coverage, published, township, accept_falls or ())
    for row in trend[trend["accepted"]].itertuples():
        get_run_logger().warning(
            "trend: %s fell (base %d -> %d, doses %d -> %d), accepted for this run",
            row.village_code, row.base_before, row.base_now, row.doses_before, row.doses_now,
        )  # fmt: skip
    return trend


@task(name="check-metrics", cache_key_fn=_figures_check_key, persist_result=True)
def check_metrics(
    computed: ComputedMetrics, trend: pd.DataFrame | None, resources: Resources, params: dict,
    fingerprint: str,
) -> QualityVerdict:  # fmt: skip
    """Cached: the verdict is reused while the fingerprint, the figures and the published
    figures they are compared with stay."""
    suites = load_suites(resources.expectations_dir)
    verdict = check_figures(computed.metrics, suites, params, trend)
    _log_checks("check metrics", verdict)
    return verdict


@stage(name="record-quality")
def record_quality(
    db_path: Path, resources: Resources, run: QualityRun,
    stored: QualityVerdict, figures: QualityVerdict,
) -> QualityVerdict:  # fmt: skip
    verdict = combine(stored, figures)
    record_results(db_path, resources.quality_sql_dir, run, verdict)
    return verdict


@stage(name="quality-docs")
def quality_docs(
    db_path: Path, resources: Resources, township_name: str, run: QualityRun,
    verdict: QualityVerdict,
) -> dict[str, str]:  # fmt: skip
    return render_quality_docs(
        db_path, resources.quality_sql_dir, resources.templates_dir, township_name, run, verdict
    )


@stage(name="render-and-publish")
def render_and_publish(
    context: ReportContext, ingest: IngestLedger, resources: Resources, out: Path,
    quality_pages: dict[str, str], lexicon: Lexicon, sent: pl.DataFrame, recipients: Recipients,
    names_of: dict[str, str], made_from: str,
) -> Path:  # fmt: skip
    previous = read_previous_metrics(out, context.cutoff_date)
    files = build_outputs(context, ingest, resources, previous, lexicon, names_of) | quality_pages
    files |= feedback_workbooks(
        ingest, sent, recipients, lexicon, context.township_name, context.cutoff_date
    )
    files[PUBLISHED_FINGERPRINT] = made_from
    fault_point("render")
    run_dir = publish_run(out, context.cutoff_date.isoformat(), files)
    get_run_logger().info("render: report written to %s", mask_text(str(run_dir / "report.txt")))
    return run_dir / "report.txt"


def _gate(verdict: QualityVerdict) -> None:
    """Stop the run before anything is rendered when a critical check failed."""
    if verdict.critical_failures:
        raise QualityGateFailed(verdict)


# Code beyond ``code_folders`` that shapes a published report.
FLOWS_DIR = Path(__file__).parent
EPIREPORT_DIR = Path(epireport.__file__).parent
# Reader processes: one per core of the machine this is built for.
READER_WORKERS = 2


def _flow_run_name() -> str:
    """Township, cut-off date and start time in the township's zone, so that the UI's run
    list tells the runs of one day apart."""
    config = load_config(Path(flow_run.parameters["config_path"]))
    return current_run_name(config.township.name, config)


@flow(name="township-report", flow_run_name=_flow_run_name, log_prints=True)
@one_run_at_a_time
def township_report(
    inbox: Path,
    config_path: Path,
    out: Path,
    run_date: dt.date | None = None,
    reread: bool = False,
    accept_falls: list[str] | None = None,
) -> Path:
    """Build one township's report from one inbox; returns the report's path.

    When the inbox, config, run date and code are those of the last load, the stored
    tables are used as they are; ``reread`` reads every file again all the same.
    ``accept_falls`` names villages whose sharp fall since the last published run the office
    has checked: for this run, it does not stop the report.
    """
    config = load_config(config_path)
    run_date = run_date or dt.date.today()
    check_run_date(config, run_date, config_path)
    accept_falls = resolve_villages(config, accept_falls or (), "--accept-fall")
    cutoff = config.cutoff(run_date)
    resources = project_resources()
    person_key, is_demo_key = resolve_person_key(config)
    if is_demo_key:
        get_run_logger().warning("using the published DEMO person key: demo data only")
    ctx = NormalizeContext(
        run_date=run_date,
        villages=VillageIndex.from_config(config),
        person_key=person_key,
        vocabulary=township_vocabulary(config),
    )
    db_path = out / f"{config.township.code}.duckdb"
    params = check_params(config, cutoff, run_date)
    run = QualityRun(str(flow_run.id), dt.datetime.now(), run_date, cutoff)

    files = discover(inbox)
    inputs = fingerprint(files, config, run_date, person_key, resources)
    ledger = None if reread else reuse_stored(db_path, inputs)
    if ledger is None:
        import_great_expectations_in_background()
        ingest = normalize(read_inbox(files, ctx, Limits.of(config)), ctx)
        load(ingest, db_path, resources, ctx, inputs)
        ledger = ingest.ledger
    deadline = config.deadline(run_date)
    sent = submissions(db_path, resources, config, deadline)
    stored_verdict = check_stored.with_options(refresh_cache=reread)(
        db_path, resources, params, inputs
    )
    computed = metrics(db_path, resources, MetricParams.from_config(config, cutoff))
    trend = compare_with_published(computed, out, cutoff, config.township.name, accept_falls)
    figures_verdict = check_metrics.with_options(refresh_cache=reread)(
        computed, trend, resources, params, inputs
    )
    verdict = record_quality(db_path, resources, run, stored_verdict, figures_verdict)
    _gate(verdict)
    pages = quality_docs(db_path, resources, config.township.name, run, verdict)
    computed = replace(
        computed, metrics=computed.metrics.model_copy(update={"quality": quality_note(verdict)})
    )
    context = ReportContext.from_config(config, computed.metrics, run_date)
    lexicon = township_lexicon(ctx.villages)
    recipients = Recipients.of(config, ctx.villages, deadline)
    names_of = {**ctx.villages.names, **{c.code: c.name for c in config.clinics}}
    made_from = report_fingerprint(inputs, output_code_digest(resources), accept_falls)
    report = render_and_publish(
        context, ledger, resources, out, pages, lexicon, sent, recipients, names_of, made_from
    )
    get_run_logger().info(
        "quality: %s; read them in %s",
        verdict.summary(),
        mask_text(str(report.parent / QUALITY_PAGE)),
    )
    publish_artifacts(
        config.township.code,
        config.township.name,
        report,
        ledger,
        verdict,
        lexicon,
        names_of,
    )
    return report
