"""The township report flow: one task per stage, wired in order, nothing else."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pandas as pd
from prefect import flow, get_run_logger, task

from epireport.config import TownshipConfig, load_config
from epireport.settings import Resources, project_resources, resolve_person_key
from transforms.discover import InboxFile, discover_files
from transforms.ingest import FileRead, IngestResult, normalize_reads, read_file, settle_versions
from transforms.load import load_into_duckdb
from transforms.metrics import ComputedMetrics, MetricParams, compute_metrics
from transforms.normalize import VACCINATION_START, NormalizeContext
from transforms.publish import frame_to_csv, metrics_json, publish_run
from transforms.quality import QualityGateFailed, QualityVerdict, load_suites, run_suites
from transforms.render import render_report
from transforms.report_model import ReportContext
from transforms.villages import VillageIndex

# Stored tables the quality suites read, by suite table name.
CHECKED_TABLES: tuple[str, ...] = ("persons", "doses", "stg_publicity")


@task(name="discover")
def discover(inbox: Path) -> list[InboxFile]:
    files = discover_files(inbox)
    get_run_logger().info("discover: %d files in the inbox", len(files))
    return files


@task(name="read-and-normalize")
def read_and_normalize(
    files: list[InboxFile], config: TownshipConfig, ctx: NormalizeContext
) -> IngestResult:
    logger = get_run_logger()
    max_bytes = int(config.max_file_mb * 2**20)
    max_expanded = int(config.max_uncompressed_mb * 2**20)
    reads: list[FileRead] = settle_versions(
        [read_file(f, ctx, max_bytes, max_expanded) for f in files]
    )
    result = normalize_reads(reads, ctx)
    for f in result.files.iter_rows(named=True):
        if f["status"] == "refused":
            logger.warning("file %s: refused, %s", f["path"], f["refusal"])
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
        "read: %d files, rows read %d = loaded %d + refused %d + retired %d"
        " (files repeated or replaced by a later version)",
        result.files.height,
        *totals.sum().row(0),
    )
    return result


@task(name="load-duckdb")
def load(result: IngestResult, db_path: Path, resources: Resources, ctx: NormalizeContext) -> None:
    counts = load_into_duckdb(result, db_path, resources.models_dir, ctx)
    get_run_logger().info(
        "load: %d persons, %d doses into %s", counts["persons"], counts["doses"], db_path.name
    )


def _read_tables(db_path: Path, names: tuple[str, ...]) -> dict[str, pd.DataFrame]:
    with duckdb.connect(str(db_path), read_only=True) as con:
        return {name: con.table(name).df() for name in names}


def _check_params(config: TownshipConfig, cutoff: dt.date, run_date: dt.date) -> dict:
    return {
        "cutoff": pd.Timestamp(cutoff),
        "run_date": pd.Timestamp(run_date),
        "earliest_birth": pd.Timestamp("1900-01-01"),
        "vaccination_start": pd.Timestamp(VACCINATION_START),
        "village_codes": [v.code for v in config.villages],
    }


@task(name="check-stored-data")
def check_stored(db_path: Path, resources: Resources, params: dict) -> QualityVerdict:
    suites = [s for s in load_suites(resources.expectations_dir) if s.table in CHECKED_TABLES]
    verdict = run_suites(suites, _read_tables(db_path, CHECKED_TABLES), params)
    get_run_logger().info("check stored data: %s", verdict.summary())
    return verdict


@task(name="compute-metrics")
def metrics(db_path: Path, resources: Resources, params: MetricParams) -> ComputedMetrics:
    computed = compute_metrics(db_path, resources.metrics_dir, params)
    get_run_logger().info("metrics: %d families computed", len(computed.rows))
    return computed


@task(name="check-metrics")
def check_metrics(computed: ComputedMetrics, resources: Resources, params: dict) -> QualityVerdict:
    frames = {f"metric_{name}": rows.to_pandas() for name, rows in computed.rows.items()}
    suites = [s for s in load_suites(resources.expectations_dir) if s.table in frames]
    verdict = run_suites(suites, frames, params)
    get_run_logger().info("check metrics: %s", verdict.summary())
    return verdict


@task(name="render-and-publish")
def render_and_publish(
    context: ReportContext, computed: ComputedMetrics, ingest: IngestResult,
    resources: Resources, out: Path,
) -> Path:  # fmt: skip
    texts = {
        "report.txt": render_report(context, resources.templates_dir),
        "metrics.json": metrics_json(computed.metrics.model_dump(mode="json")),
        "ingest_summary.csv": frame_to_csv(ingest.files.drop("sha256")),
        "refused_rows.csv": frame_to_csv(
            ingest.refused_rows.join(
                ingest.files.select("file_id", "path"), on="file_id", how="left"
            ).drop("file_id")
        ),
    }
    run_dir = publish_run(out, context.cutoff_date.isoformat(), texts)
    get_run_logger().info("render: report written to %s", run_dir / "report.txt")
    return run_dir / "report.txt"


def _gate(*verdicts: QualityVerdict) -> QualityVerdict:
    combined = QualityVerdict(results=tuple(r for v in verdicts for r in v.results))
    if combined.critical_failures:
        raise QualityGateFailed(combined)
    return combined


@flow(name="township-report", log_prints=True)
def township_report(
    inbox: Path, config_path: Path, out: Path, run_date: dt.date | None = None
) -> Path:
    """Build one township's report from one inbox; returns the report's path."""
    config = load_config(config_path)
    run_date = run_date or dt.date.today()
    cutoff = config.cutoff(run_date)
    resources = project_resources()
    person_key, is_demo_key = resolve_person_key(config)
    if is_demo_key:
        get_run_logger().warning("using the published DEMO person key: demo data only")
    ctx = NormalizeContext(
        run_date=run_date, villages=VillageIndex.from_config(config), person_key=person_key
    )
    db_path = out / f"{config.township.code}.duckdb"
    check_params = _check_params(config, cutoff, run_date)

    files = discover(inbox)
    ingest = read_and_normalize(files, config, ctx)
    load(ingest, db_path, resources, ctx)
    stored_verdict = check_stored(db_path, resources, check_params)
    computed = metrics(
        db_path, resources, MetricParams(cutoff, config.period.start, config.period.end)
    )
    verdict = _gate(stored_verdict, check_metrics(computed, resources, check_params))
    context = ReportContext.from_config(config, computed.metrics, run_date)
    report = render_and_publish(context, computed, ingest, resources, out)
    get_run_logger().info("quality: %s", verdict.summary())
    return report
