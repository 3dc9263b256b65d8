"""Crash safety: a fault in any stage, raised or a kill, loses nothing and a re-run heals.

After each fault: the previous report is still in place and whole, no half-written file
is visible in the output folder, the DuckDB file is as it was, and a plain re-run gives
the same report and figures as a clean run. The faulted runs read the inbox again
(``reread``), so that the ingest stages run although the stored load matches the inbox;
the re-run after them is a plain one, which reuses whatever load is stored.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from conftest import DEMO_CONFIG, RUN_DATE

from epireport.faults import FAULT_ENV, InjectedFault
from epireport.settings import PROJECT_ROOT
from flows.township_report import township_report

pytestmark = pytest.mark.e2e

STAGES = ("discover", "normalize", "load", "check", "metrics", "render", "publish")
KILLED_STAGES = ("load", "publish")


def run_flow(inbox: Path, out: Path, reread: bool = False) -> Path:
    return township_report(
        inbox=inbox, config_path=DEMO_CONFIG, out=out, run_date=RUN_DATE, reread=reread
    )


def figures(out: Path) -> dict:
    metrics = json.loads((out / "latest" / "metrics.json").read_text(encoding="utf-8"))
    return {k: v for k, v in metrics.items() if k != "run"}


def visible_files(out: Path) -> set[str]:
    """What a user browsing the output folder sees: no hidden entries."""
    return {
        p.relative_to(out).as_posix()
        for p in out.rglob("*")
        if not any(part.startswith(".") for part in p.relative_to(out).parts)
    }


def db_fingerprint(db: Path) -> dict[str, tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        names = [r[0] for r in con.sql("select table_name from duckdb_tables()").fetchall()]
        return {
            n: con.sql(f'select count(*), bit_xor(hash(t)) from "{n}" as t').fetchall()[0]
            for n in sorted(names)
            if n != "quality_results"  # a history: every run, failed ones too, adds rows
        }


@pytest.fixture(scope="module")
def clean(demo_inbox, tmp_path_factory, prefect_harness) -> dict:
    """One clean run: the report, figures, visible files and stored tables to compare with."""
    inbox, _ = demo_inbox
    out = tmp_path_factory.mktemp("clean")
    report = run_flow(inbox, out).read_text(encoding="utf-8")
    return {
        "inbox": inbox,
        "out": out,
        "report": report,
        "figures": figures(out),
        "visible": visible_files(out),
        "db": db_fingerprint(out / "baisha.duckdb"),
    }


def assert_intact(out: Path, clean: dict) -> None:
    assert (out / "latest" / "report.txt").read_text(encoding="utf-8") == clean["report"]
    assert figures(out) == clean["figures"]
    assert visible_files(out) == clean["visible"]
    assert db_fingerprint(out / "baisha.duckdb") == clean["db"]


def copy_output(clean: dict, target: Path) -> Path:
    out = target / "output"
    subprocess.run(["cp", "-a", str(clean["out"]), str(out)], check=True)
    return out


@pytest.mark.parametrize("stage", STAGES)
def test_a_raised_fault_leaves_the_last_run_and_a_rerun_heals(
    stage: str, clean: dict, tmp_path: Path, monkeypatch
) -> None:
    out = copy_output(clean, tmp_path)
    monkeypatch.setenv(FAULT_ENV, stage)
    with pytest.raises(InjectedFault):  # reread: the stored load would skip the ingest stages
        run_flow(clean["inbox"], out, reread=True)
    assert_intact(out, clean)
    monkeypatch.delenv(FAULT_ENV)
    run_flow(clean["inbox"], out)
    assert_intact(out, clean)


@pytest.mark.parametrize("stage", KILLED_STAGES)
def test_a_killed_process_leaves_the_last_run_and_a_rerun_heals(
    stage: str, clean: dict, tmp_path: Path
) -> None:
    out = copy_output(clean, tmp_path)
    env = {**os.environ, FAULT_ENV: f"{stage}:kill"}
    env.pop("PREFECT_API_URL", None)  # its own temporary server, as `epireport run` does
    command = [
        sys.executable, "-m", "epireport.cli", "run", "--inbox", str(clean["inbox"]),
        "--config", str(DEMO_CONFIG), "--out", str(out), "--run-date", RUN_DATE.isoformat(),
        "--reread",
    ]  # fmt: skip
    log = (tmp_path / "killed.log").open("wb")
    killed = subprocess.Popen(
        command, env=env, cwd=PROJECT_ROOT, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    try:
        assert killed.wait(timeout=600) == -9
    finally:
        # What the killed run had started (its temporary Prefect server, reader processes)
        # is orphaned, as after a real kill; end it with the process group.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(killed.pid, signal.SIGKILL)
        log.close()
    assert_intact(out, clean)
    run_flow(clean["inbox"], out)
    assert_intact(out, clean)


def test_two_runs_at_once_serialise_and_leave_a_single_runs_result(
    clean: dict, tmp_path: Path
) -> None:
    out = tmp_path / "output"
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    command = [
        sys.executable, "-m", "epireport.cli", "run", "--inbox", str(clean["inbox"]),
        "--config", str(DEMO_CONFIG), "--out", str(out), "--run-date", RUN_DATE.isoformat(),
        "--reread",
    ]  # fmt: skip
    logs = [(tmp_path / f"run{i}.log").open("wb") for i in (1, 2)]
    runs = [
        subprocess.Popen(command, env=env, cwd=PROJECT_ROOT, stdout=log, stderr=subprocess.STDOUT)
        for log in logs
    ]
    codes = [run.wait(timeout=900) for run in runs]
    for log in logs:
        log.close()
    texts = [(tmp_path / f"run{i}.log").read_text(errors="replace") for i in (1, 2)]
    assert codes == [0, 0], texts
    assert any("in use by" in text for text in texts)  # the second one waited, and said so
    assert_intact(out, clean)
