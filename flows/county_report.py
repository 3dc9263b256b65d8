"""The county flow: every township's report as a parallel subflow, then the county roll-up.

Townships run on a task runner: by default two at a time, each in a worker process of its
own (Great Expectations and Prefect's own work hold the GIL, so threads of one process
would mostly take turns), on threads of this process, or on a Dask cluster
(``task_runner="dask"``: a local cluster, or an existing one at ``dask_address``) when one
machine is not enough. Each township writes into its own output folder, so their runs
never contend for a lock.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

from prefect import flow, get_client, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.task_runners import ProcessPoolTaskRunner, ThreadPoolTaskRunner

from epireport.config import CountyTownship, TownshipConfig, load_county
from epireport.nightly import current_run_name
from epireport.settings import project_resources, resolve_person_key
from flows.township_report import output_code_digest, report_fingerprint, township_report
from transforms.county import render_rollup, rollup, township_figures
from transforms.discover import discover_files
from transforms.ingest_cache import (
    code_digest,
    code_folders,
    inbox_fingerprint,
    published_fingerprint,
)
from transforms.publish import frame_to_csv, publish_run
from transforms.vocabulary import NIGHTLY_TEXTS

TaskRunnerName = Literal["processes", "threads", "dask"]
# Townships at once on one machine: one per core of the machine this is built for.
PARALLEL_TOWNSHIPS = 2


@task(name="township", task_run_name="township {code}")
def run_township(
    code: str, inbox: Path, config_path: Path, out: Path, run_date: dt.date | None, reread: bool
) -> Path:
    """One township's whole report, as a subflow of the county run."""
    return township_report(
        inbox=inbox, config_path=config_path, out=out, run_date=run_date, reread=reread
    )


@task(name="find-unchanged-townships")
def unchanged_townships(
    townships: list[tuple[CountyTownship, Path, TownshipConfig]], inbox: Path, out: Path,
    run_date: dt.date,
) -> dict[str, Path]:  # fmt: skip
    """Townships whose report for this cut-off was published from exactly these files,
    config, run date and code: running them again would write the same report, so theirs
    stands (code -> its report). ``--reread`` runs every township all the same."""
    resources = project_resources()
    logger = get_run_logger()
    code = code_digest(code_folders(resources))  # the same for every township: once
    output_code = output_code_digest(resources)
    unchanged = {}
    for entry, _, config in townships:
        report = out / config.township.code / config.cutoff(run_date).isoformat() / "report.txt"
        published = published_fingerprint(report.parent)
        if published is None or not report.is_file():
            continue
        files = discover_files(inbox / entry.inbox)
        person_key, _ = resolve_person_key(config)
        inputs = inbox_fingerprint(files, config, run_date, person_key, code)
        if published == report_fingerprint(inputs, output_code, accept_falls=()):
            unchanged[config.township.code] = report
            logger.info(
                "township %s: inbox, config and code unchanged since its published report;"
                " that report stands, the township is not run again",
                config.township.code,
            )
    return unchanged


def rollup_markdown(text: str, county_name: str, ran: list[str], kept: list[str]) -> str:
    """The county run's artifact: which townships ran tonight, whose reports were kept, and
    the roll-up as written."""
    names = {
        key: "、".join(group) or NIGHTLY_TEXTS["none"]
        for key, group in (("county_ran", ran), ("county_kept", kept))
    }
    lines = [NIGHTLY_TEXTS[key].format(names=value) for key, value in names.items()]
    title = NIGHTLY_TEXTS["county_name"].format(county=county_name)
    return "\n\n".join([f"# {title}", *lines, f"```text\n{text.rstrip()}\n```"]) + "\n"


@task(name="county-rollup")
def county_rollup(
    county_name: str, reports: dict[str, tuple[str, Path]], cutoff: dt.date, out: Path,
    kept: frozenset[str] = frozenset(),
) -> Path:  # fmt: skip
    """The roll-up's files, and an artifact naming the townships whose reports were kept
    (codes in ``kept``) apart from those run tonight."""
    resources = project_resources()
    metrics = {
        code: (name, report.parent / "metrics.json") for code, (name, report) in reports.items()
    }
    table = rollup(township_figures(metrics), county_name, resources.sql_dir)
    text = render_rollup(table, county_name, cutoff, resources.templates_dir)
    run_dir = publish_run(
        out,
        cutoff.isoformat(),
        {"county_report.txt": text, "county_figures.csv": frame_to_csv(table)},
    )
    names = {code: name for code, (name, _) in reports.items()}
    create_markdown_artifact(
        rollup_markdown(
            text,
            county_name,
            ran=[name for code, name in names.items() if code not in kept],
            kept=[name for code, name in names.items() if code in kept],
        ),
        key="county-report",
        description=NIGHTLY_TEXTS["county_artifact"].format(
            county=county_name, cutoff=cutoff.isoformat()
        ),
    )
    get_run_logger().info("county: roll-up of %d townships in %s", len(reports), run_dir)
    return run_dir / "county_report.txt"


@contextlib.contextmanager
def _api_for_worker_processes() -> Iterator[None]:
    """Give worker processes this run's Prefect API: they start with this process's
    environment, and without an API URL each would start a temporary server of its own,
    whose runs the county run's server never sees."""
    if os.environ.get("PREFECT_API_URL"):
        yield
        return
    with get_client(sync_client=True) as client:
        os.environ["PREFECT_API_URL"] = str(client.api_url)
    try:
        yield
    finally:
        os.environ.pop("PREFECT_API_URL", None)


def _task_runner(name: TaskRunnerName, dask_address: str | None):
    if name == "dask":
        from prefect_dask import DaskTaskRunner

        if dask_address:
            return DaskTaskRunner(address=dask_address)
        return DaskTaskRunner(
            cluster_kwargs={"n_workers": 2, "processes": False, "dashboard_address": None}
        )
    if name == "processes":
        return ProcessPoolTaskRunner(max_workers=PARALLEL_TOWNSHIPS)
    return ThreadPoolTaskRunner(max_workers=PARALLEL_TOWNSHIPS)


def _county_run_name() -> str:
    """The county, the cut-off and the start time, as a township run's name says them."""
    from prefect.runtime import flow_run

    county, townships = load_county(Path(flow_run.parameters["config_path"]))
    label = NIGHTLY_TEXTS["county_name"].format(county=county.county.name)
    return current_run_name(label, townships[0][2])


@flow(
    name="county-report",
    flow_run_name=_county_run_name,
    task_runner=ProcessPoolTaskRunner(max_workers=PARALLEL_TOWNSHIPS),
)
def county_report(
    inbox: Path, config_path: Path, out: Path, run_date: dt.date | None = None,
    reread: bool = False,
) -> Path:  # fmt: skip
    """Run every township of a county file, then write the county roll-up; returns its path.

    A deployment runs it as it stands (townships in worker processes); ``run_county`` picks
    another task runner. A township whose published report was made from exactly this
    night's inputs and code is not run again; ``reread`` runs every township and reads
    every inbox again even where nothing changed."""
    county, townships = load_county(config_path)
    run_date = run_date or dt.date.today()
    unchanged = {} if reread else unchanged_townships(townships, inbox, out, run_date)
    with _api_for_worker_processes():
        futures = {
            config.township.code: run_township.submit(
                config.township.code, inbox / entry.inbox, path,
                out / config.township.code, run_date, reread,
            )
            for entry, path, config in townships
            if config.township.code not in unchanged
        }  # fmt: skip
        ran = {code: f.result() for code, f in futures.items()}
    reports = {
        config.township.code: (config.township.name, (unchanged | ran)[config.township.code])
        for _, _, config in townships
    }
    cutoff = townships[0][2].cutoff(run_date)
    return county_rollup(county.county.name, reports, cutoff, out / "county", frozenset(unchanged))


def run_county(
    inbox: Path,
    config_path: Path,
    out: Path,
    run_date: dt.date | None = None,
    task_runner: TaskRunnerName = "processes",
    dask_address: str | None = None,
    reread: bool = False,
) -> Path:
    """``county_report`` on the named task runner (``epireport county``)."""
    runner = _task_runner(task_runner, dask_address)
    return county_report.with_options(task_runner=runner)(
        inbox=inbox, config_path=config_path, out=out, run_date=run_date, reread=reread
    )
