"""A county run: townships as parallel subflows, the roll-up, and the same result in worker
processes, on threads and on Dask. Two small townships keep the comparisons quick."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from conftest import RUN_DATE, seeded_prefect_home
from prefect.artifacts import Artifact

from epireport.config import load_config
from epireport.demo import generate_inbox
from epireport.server import SERVER_LOG
from epireport.settings import PROJECT_ROOT, project_resources
from flows.county_report import run_county
from transforms.load import run_sql_file

pytestmark = pytest.mark.e2e

COUNTY_CONFIG = PROJECT_ROOT / "config" / "demo-county.yaml"


@pytest.fixture(scope="module")
def county_inbox(tmp_path_factory) -> Path:
    inbox = tmp_path_factory.mktemp("county") / "inbox"
    first = load_config(PROJECT_ROOT / "config/demo-township.yaml")
    generate_inbox(inbox / "baisha", first, persons=1000, villages=5, seed=3)
    second = load_config(PROJECT_ROOT / "config/demo-township-2.yaml")
    generate_inbox(inbox / "qingshi", second, persons=1000, villages=5, seed=7)
    return inbox


def rollup_rows(report: Path) -> list[dict[str, str]]:
    with (report.parent / "county_figures.csv").open(encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))


@dataclass(frozen=True)
class CountyRun:
    out: Path
    report: Path
    log: str
    home: Path  # the run's Prefect home


@pytest.fixture(scope="module")
def county_run(county_inbox, tmp_path_factory) -> CountyRun:
    """`epireport county` as a user runs it, with no server: the default runner puts each
    township in a worker process, which must report to the run's own temporary server."""
    root = tmp_path_factory.mktemp("county")
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env["PREFECT_HOME"] = str(seeded_prefect_home(root / "prefect-home"))
    command = [
        sys.executable, "-m", "epireport.cli", "county", "--inbox", str(county_inbox),
        "--config", str(COUNTY_CONFIG), "--out", str(root / "out"),
        "--run-date", RUN_DATE.isoformat(),
    ]  # fmt: skip
    done = subprocess.run(
        command, env=env, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=900
    )
    assert done.returncode == 0, done.stderr[-2000:]
    out = root / "out"
    report = out / "county" / "latest" / "county_report.txt"
    return CountyRun(out, report, done.stdout + done.stderr, root / "prefect-home")


def test_county_totals_are_the_townships_sums(county_run: CountyRun) -> None:
    out, report = county_run.out, county_run.report
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


def test_the_command_runs_every_township_against_one_temporary_prefect_server(
    county_run: CountyRun,
) -> None:
    """Worker processes that each started a server of their own would report runs the
    county run never sees."""
    assert county_run.home.joinpath(SERVER_LOG).is_file()  # the run's own server started
    assert "Starting temporary server" not in county_run.log  # and no worker started Prefect's
    assert "Flow run '白沙镇，截至2022-12-20，" in county_run.log
    assert "Flow run '青石镇，截至2022-12-20，" in county_run.log


@pytest.mark.parametrize("task_runner", ["dask", "threads"])
def test_other_task_runners_give_the_same_county_result(
    task_runner: str, county_run: CountyRun, county_inbox, tmp_path, prefect_harness
) -> None:
    """Dask: a local two-worker cluster; threads: the townships in this process. Over a copy
    of the processes run's output with ``reread``: every township runs again all the same."""
    out = tmp_path / "out"
    shutil.copytree(county_run.out, out, symlinks=True)
    before = {code: published_version(out, code) for code in ("baisha", "qingshi")}
    report = run_county(
        inbox=county_inbox, config_path=COUNTY_CONFIG, out=out, run_date=RUN_DATE,
        task_runner=task_runner, reread=True,
    )  # fmt: skip
    assert all(published_version(out, code) != before[code] for code in before)
    assert rollup_rows(report) == rollup_rows(county_run.report)
    assert report.read_text(encoding="utf-8") == county_run.report.read_text(encoding="utf-8")


def county_artifact() -> str:
    """The latest county run's artifact (this file's county runs are one after another)."""
    artifact = Artifact.get("county-report")
    assert artifact is not None
    return str(artifact.data)


def published_version(out: Path, code: str) -> str:
    """The run folder a township's published cut-off points at: a new run makes a new one."""
    return (out / code / "2022-12-20").readlink().name


def test_an_unchanged_township_keeps_its_report_and_a_changed_one_runs_again(
    county_run: CountyRun, county_inbox, tmp_path, prefect_harness
) -> None:
    """The second night on the same files runs no township; after one file of 青石镇 is
    removed, only 青石镇 runs, and the roll-up follows its new figures."""
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    shutil.copytree(county_inbox, inbox)  # contents and modification times kept
    shutil.copytree(county_run.out, out, symlinks=True)
    before = {code: published_version(out, code) for code in ("baisha", "qingshi")}

    report = run_county(
        inbox=inbox, config_path=COUNTY_CONFIG, out=out, run_date=RUN_DATE, task_runner="threads"
    )
    assert {code: published_version(out, code) for code in before} == before
    assert report.read_text(encoding="utf-8") == county_run.report.read_text(encoding="utf-8")
    artifact = county_artifact()
    assert "本次生成报告的乡镇：无。" in artifact
    assert "（收件箱文件、配置和程序均未变化）：白沙镇、青石镇。" in artifact
    assert report.read_text(encoding="utf-8").strip() in artifact

    removed = sorted((inbox / "qingshi").rglob("*.xlsx"))[0]
    removed.unlink()
    report = run_county(
        inbox=inbox, config_path=COUNTY_CONFIG, out=out, run_date=RUN_DATE, task_runner="threads"
    )
    assert published_version(out, "baisha") == before["baisha"]
    assert published_version(out, "qingshi") != before["qingshi"]
    artifact = county_artifact()
    assert "本次生成报告的乡镇：青石镇。" in artifact and "均未变化）：白沙镇。" in artifact
    summary = (out / "qingshi" / "latest" / "ingest_summary.csv").read_text(encoding="utf-8-sig")
    assert removed.name not in summary
    qingshi = json.loads((out / "qingshi" / "latest" / "metrics.json").read_text())["sections"]
    row = next(r for r in rollup_rows(report) if r["township_code"] == "qingshi")
    assert int(row["p60"]) == qingshi["vaccination"]["p60"]
