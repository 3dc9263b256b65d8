"""A county run: townships as parallel subflows, the roll-up, and the same result in worker
processes, on threads and on Dask. Two small townships keep the comparisons quick."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from conftest import RUN_DATE

from epireport.config import load_config
from epireport.demo import generate_inbox
from epireport.settings import PROJECT_ROOT, project_resources
from flows.county_report import county_report
from transforms.load import run_sql_file

pytestmark = pytest.mark.e2e

COUNTY_CONFIG = PROJECT_ROOT / "config" / "demo-county.yaml"


@pytest.fixture(scope="module")
def county_inbox(tmp_path_factory) -> Path:
    inbox = tmp_path_factory.mktemp("county") / "inbox"
    first = load_config(PROJECT_ROOT / "config/demo-township.yaml")
    generate_inbox(inbox / "baisha", first, persons=2500, seed=3)
    second = load_config(PROJECT_ROOT / "config/demo-township-2.yaml")
    generate_inbox(inbox / "qingshi", second, persons=1500, seed=7)
    return inbox


def rollup_rows(report: Path) -> list[dict[str, str]]:
    with (report.parent / "county_figures.csv").open(encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def county_run(county_inbox, tmp_path_factory, prefect_harness) -> tuple[Path, Path]:
    """The default: each township in a worker process, reporting to this run's Prefect API."""
    out = tmp_path_factory.mktemp("county")
    return out, county_report(inbox=county_inbox, config_path=COUNTY_CONFIG, out=out,
                              run_date=RUN_DATE)  # fmt: skip


def test_county_totals_are_the_townships_sums(county_run) -> None:
    out, report = county_run
    sections = {
        code: json.loads((out / code / "latest" / "metrics.json").read_text())["sections"]
        for code in ("baisha", "qingshi")
    }
    rows = rollup_rows(report)
    total = next(r for r in rows if not r["township_code"])
    for field in ("p60", "v60_dose1", "v60_dose2", "p18", "booster"):
        assert int(total[field]) == sum(s["vaccination"][field] for s in sections.values())
    # The county rate is recomputed from the summed counts by the one rounding rule, not
    # averaged from the townships' rates.
    with duckdb.connect() as con:
        run_sql_file(con, project_resources().models_dir / "macros.sql")
        (expected,) = con.execute(
            "select coverage_pct($v, $p)", {"v": int(total["v60_dose1"]), "p": int(total["p60"])}
        ).fetchone()
    assert total["v60_dose1_pct"] == str(expected)
    baisha_doses = sections["baisha"]["vaccination"]["v60_dose1"]
    text = report.read_text(encoding="utf-8")
    assert "白沙镇" in text and "青石镇" in text and f"{baisha_doses}剂次" in text


@pytest.mark.parametrize("task_runner", ["dask", "threads"])
def test_other_task_runners_give_the_same_county_result(
    task_runner: str, county_run, county_inbox, tmp_path
) -> None:
    """Dask: a local two-worker cluster; threads: the townships in this process."""
    _, processes_report = county_run
    report = county_report(
        inbox=county_inbox, config_path=COUNTY_CONFIG, out=tmp_path, run_date=RUN_DATE,
        task_runner=task_runner,
    )  # fmt: skip
    assert rollup_rows(report) == rollup_rows(processes_report)
    assert report.read_text(encoding="utf-8") == processes_report.read_text(encoding="utf-8")


def test_the_command_runs_every_township_against_one_temporary_prefect_server(
    county_run, county_inbox, tmp_path
) -> None:
    """`epireport county` with no server: the worker processes must report to the run's own
    temporary server rather than each start one whose runs the county run never sees."""
    _, processes_report = county_run
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env["PREFECT_HOME"] = str(tmp_path / "prefect-home")
    command = [
        sys.executable, "-m", "epireport.cli", "county", "--inbox", str(county_inbox),
        "--config", str(COUNTY_CONFIG), "--out", str(tmp_path / "out"),
        "--run-date", RUN_DATE.isoformat(),
    ]  # fmt: skip
    done = subprocess.run(
        command, env=env, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=900
    )
    assert done.returncode == 0, done.stderr[-2000:]
    log = done.stdout + done.stderr
    assert log.count("Starting temporary server") == 1
    assert "Flow run 'baisha-2022-12-20'" in log and "Flow run 'qingshi-2022-12-20'" in log
    report = tmp_path / "out" / "county" / "latest" / "county_report.txt"
    assert report.read_text(encoding="utf-8") == processes_report.read_text(encoding="utf-8")
