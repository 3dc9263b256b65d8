"""Crash safety: a fault where the pipeline writes, raised or a kill, loses nothing.

The two stages that write are tested by calling their functions with a fault injected
mid-way (``EPIREPORT_FAULT``): the load, mid-transaction, and the publish, with the
files written but not yet switched in. After each fault the previous report is still in
place and whole, no half-written file is visible and the DuckDB file is as it was; the
next call heals. Two end-to-end tests remain: a fault raised mid-flow, and one
``epireport run`` killed mid-load and re-run to the clean result.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from conftest import DEMO_CONFIG, RUN_DATE

from epireport.faults import FAULT_ENV, InjectedFault
from epireport.settings import PROJECT_ROOT, project_resources
from flows.township_report import township_report
from transforms.ingest import normalize_reads
from transforms.load import load_into_duckdb
from transforms.publish import publish_run

pytestmark = pytest.mark.slow  # every test here starts from the session's demo run

MODELS = project_resources().models_dir
RUN_NAME = "2022-12-20"
NEW_RUN = {"report.txt": "新的报告\n", "quality/index.html": "<html></html>\n"}


def figures(out: Path) -> dict:
    metrics = json.loads((out / "latest" / "metrics.json").read_text(encoding="utf-8"))
    return {k: v for k, v in metrics.items() if k != "run"}


def visible_files(out: Path) -> set[str]:
    """What a user browsing the output folder sees: no hidden entries, and no run logs (each
    run, killed or not, keeps its own)."""
    return {
        p.relative_to(out).as_posix()
        for p in out.rglob("*")
        if not any(part.startswith(".") for part in p.relative_to(out).parts)
        and p.relative_to(out).parts[0] != "logs"
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
def clean(demo_run) -> dict:
    """The session's demo run: the report, figures, visible files and stored tables."""
    out = demo_run.out
    return {
        "inbox": demo_run.inbox,
        "out": out,
        "report": demo_run.report.read_text(encoding="utf-8"),
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
    shutil.copytree(clean["out"], out, symlinks=True)
    return out


def prefect_api_url() -> str:
    from prefect.settings import PREFECT_API_URL

    return PREFECT_API_URL.value()


def kill_in_child(stage: str, code: str, *args: str) -> None:
    """Run ``code`` in a fresh interpreter that SIGKILLs itself at the stage's fault point."""
    env = {**os.environ, FAULT_ENV: f"{stage}:kill"}
    done = subprocess.run(
        [sys.executable, "-c", code, *args], env=env, cwd=PROJECT_ROOT, capture_output=True
    )
    assert done.returncode == -signal.SIGKILL, done.stderr.decode(errors="replace")[-2000:]


def test_a_load_that_raises_mid_transaction_leaves_the_stored_tables(
    clean: dict, tmp_path: Path, ctx, monkeypatch
) -> None:
    out = copy_output(clean, tmp_path)
    empty = normalize_reads([], ctx)  # a load that would empty every table
    monkeypatch.setenv(FAULT_ENV, "load")
    with pytest.raises(InjectedFault):
        load_into_duckdb(empty, out / "baisha.duckdb", MODELS, ctx, "other inputs")
    assert_intact(out, clean)
    monkeypatch.delenv(FAULT_ENV)
    load_into_duckdb(empty, out / "baisha.duckdb", MODELS, ctx, "other inputs")
    assert db_fingerprint(out / "baisha.duckdb")["persons"][0] == 0  # the next load lands


def test_a_load_killed_mid_transaction_leaves_the_stored_tables(clean: dict, tmp_path) -> None:
    out = copy_output(clean, tmp_path)
    code = (
        "import sys, datetime; from pathlib import Path; "
        "from transforms.ingest import normalize_reads; "
        "from transforms.load import load_into_duckdb; "
        "from transforms.normalize import NormalizeContext; "
        "from transforms.villages import VillageIndex; "
        "from epireport.config import load_config; "
        "from epireport.settings import project_resources; "
        "ctx = NormalizeContext(run_date=datetime.date(2026, 11, 29), "
        "villages=VillageIndex.from_config(load_config(Path(sys.argv[2]))), person_key=b'k'); "
        "load_into_duckdb(normalize_reads([], ctx), Path(sys.argv[1]), "
        "project_resources().models_dir, ctx, 'other inputs')"
    )
    kill_in_child("load", code, str(out / "baisha.duckdb"), str(DEMO_CONFIG))
    assert_intact(out, clean)


def test_a_publish_that_raises_leaves_the_last_report_and_the_next_one_lands(
    clean: dict, tmp_path: Path, monkeypatch
) -> None:
    out = copy_output(clean, tmp_path)
    monkeypatch.setenv(FAULT_ENV, "publish")
    with pytest.raises(InjectedFault):
        publish_run(out, RUN_NAME, NEW_RUN)
    assert_intact(out, clean)
    monkeypatch.delenv(FAULT_ENV)
    publish_run(out, RUN_NAME, NEW_RUN)
    assert (out / "latest" / "report.txt").read_text(encoding="utf-8") == "新的报告\n"
    latest = (out / "latest").resolve()
    assert {p.relative_to(latest).as_posix() for p in latest.rglob("*") if p.is_file()} == set(
        NEW_RUN
    )
    assert [p.name for p in (out / ".runs").iterdir()] == [(out / RUN_NAME).readlink().name]


def test_a_publish_killed_between_writing_and_switching_leaves_the_last_report(
    clean: dict, tmp_path: Path
) -> None:
    out = copy_output(clean, tmp_path)
    code = (
        "import sys; from pathlib import Path; from transforms.publish import publish_run; "
        "publish_run(Path(sys.argv[1]), sys.argv[2], {'report.txt': 'half'})"
    )
    kill_in_child("publish", code, str(out), RUN_NAME)
    assert_intact(out, clean)


@pytest.mark.e2e
def test_a_fault_raised_mid_flow_publishes_nothing_and_a_rerun_heals(
    clean: dict, tmp_path: Path, monkeypatch
) -> None:
    out = copy_output(clean, tmp_path)
    monkeypatch.setenv(FAULT_ENV, "render")
    with pytest.raises(InjectedFault):
        township_report(inbox=clean["inbox"], config_path=DEMO_CONFIG, out=out, run_date=RUN_DATE)
    assert_intact(out, clean)
    monkeypatch.delenv(FAULT_ENV)
    township_report(inbox=clean["inbox"], config_path=DEMO_CONFIG, out=out, run_date=RUN_DATE)
    assert_intact(out, clean)


@pytest.mark.e2e
def test_a_run_killed_mid_load_leaves_the_last_run_and_a_rerun_heals(
    clean: dict, tmp_path: Path
) -> None:
    out = copy_output(clean, tmp_path)
    # The test server's API, so that no temporary server of the killed run's own is left to
    # end; what `epireport run` leaves after a kill is tested apart.
    env = {**os.environ, FAULT_ENV: "load:kill", "PREFECT_API_URL": prefect_api_url()}
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
        assert killed.wait(timeout=600) == -signal.SIGKILL
    finally:
        # What the killed run had started (reader processes) is orphaned, as after a real
        # kill; end it with the process group.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(killed.pid, signal.SIGKILL)
        log.close()
    assert_intact(out, clean)
    township_report(inbox=clean["inbox"], config_path=DEMO_CONFIG, out=out, run_date=RUN_DATE)
    assert_intact(out, clean)
