"""The flow's data stages run in-process, in the flow's order, for tests that need figures fast.

``flows/township_report.py`` wires these same functions into Prefect tasks; here they run
without Prefect, without the reader worker pool and without the quality checks or rendering,
so a test sees exactly what discover, read, settle, normalize, load, submissions and metrics
compute from an inbox. Reading is in-process (``read_file``), with the config's size limits.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from epireport.config import TownshipConfig, load_config
from epireport.settings import project_resources, resolve_person_key
from transforms.completeness import build_submissions
from transforms.discover import InboxFile, discover_files
from transforms.ingest import IngestResult, Limits, normalize_reads, read_file, settle_versions
from transforms.load import load_into_duckdb
from transforms.metrics import ComputedMetrics, MetricParams, compute_metrics
from transforms.normalize import NormalizeContext
from transforms.township_vocabulary import township_vocabulary
from transforms.villages import VillageIndex


@dataclass(frozen=True)
class StagesResult:
    """What the stages produced: the ingest (ledger and rows), the figures, the stored file."""

    config: TownshipConfig
    cutoff: dt.date
    files: list[InboxFile]
    ingest: IngestResult
    submissions: pl.DataFrame
    computed: ComputedMetrics
    db_path: Path
    load_counts: dict[str, int]

    def sections(self) -> dict:
        """The figures as metrics.json's ``sections`` holds them (rates as text, "75.00")."""
        return self.computed.metrics.model_dump(mode="json")


def run_stages(inbox: Path, config_path: Path, workdir: Path, run_date: dt.date) -> StagesResult:
    """Run one township's data stages as the flow does; the person key comes from the
    environment variable the config names, as in the flow."""
    config = load_config(config_path)
    cutoff = config.cutoff(run_date)
    resources = project_resources()
    person_key, _ = resolve_person_key(config)
    ctx = NormalizeContext(
        run_date=run_date,
        villages=VillageIndex.from_config(config),
        person_key=person_key,
        vocabulary=township_vocabulary(config),
    )
    db_path = workdir / f"{config.township.code}.duckdb"
    limits = Limits.of(config)

    files = discover_files(inbox)
    reads = [
        read_file(f, ctx, limits.max_file_bytes, limits.max_expanded_bytes, limits.shape)
        for f in files
    ]
    ingest = normalize_reads(settle_versions(reads), ctx)
    load_counts = load_into_duckdb(ingest, db_path, resources.models_dir, ctx, "golden-stages")
    submissions = build_submissions(
        db_path, resources.models_dir, config, config.period.start, config.deadline(run_date)
    )
    computed = compute_metrics(
        db_path, resources.metrics_dir, MetricParams.from_config(config, cutoff)
    )
    return StagesResult(
        config=config,
        cutoff=cutoff,
        files=files,
        ingest=ingest,
        submissions=submissions,
        computed=computed,
        db_path=db_path,
        load_counts=load_counts,
    )


GOLDEN = Path(__file__).resolve().parent / "golden"


def golden_inbox(case: str, target: Path) -> Path:
    """Write a golden case's inbox (its ``make_inbox.py``) into ``target``, for tests that run
    the same small township another way."""
    spec = importlib.util.spec_from_file_location(
        f"golden_{case}_inbox", GOLDEN / case / "make_inbox.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.write_inbox(target)
    return target
