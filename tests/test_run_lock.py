"""One run at a time per output folder: a second process waits, then fails naming the holder."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from flows.run_lock import LOCK_NAME, RunLocked, run_lock

pytestmark = pytest.mark.slow  # lock holders in subprocesses

# A second process that takes the lock, says so, and keeps it for HOLD seconds.
HOLDER = """
import sys, time
from pathlib import Path
from flows.run_lock import run_lock
with run_lock(Path(sys.argv[1]), what="holder.yaml", wait_seconds=0):
    print("locked", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def start_holder(out: Path, hold_seconds: float) -> subprocess.Popen[str]:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(out), str(hold_seconds)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == "locked"
    return holder


@pytest.fixture
def holders():
    started: list[subprocess.Popen[str]] = []
    yield started
    for p in started:
        p.kill()
        p.wait()


def test_second_run_fails_after_its_wait_naming_the_holder(tmp_path, holders) -> None:
    holder = start_holder(tmp_path, 30)
    holders.append(holder)
    told: list[str] = []
    started = time.monotonic()
    with (
        pytest.raises(RunLocked, match=rf"PID {holder.pid}\b.*waited 0.5 s"),
        run_lock(tmp_path, what="me.yaml", wait_seconds=0.5, on_wait=told.append),
    ):
        pytest.fail("entered a locked folder")
    assert 0.5 <= time.monotonic() - started < 5
    assert len(told) == 1 and "holder.yaml" in told[0]


def test_second_run_waits_for_the_first_to_finish(tmp_path, holders) -> None:
    holders.append(start_holder(tmp_path, 1.0))
    started = time.monotonic()
    with run_lock(tmp_path, what="me.yaml", wait_seconds=30):
        waited = time.monotonic() - started
        assert f'"pid": {os.getpid()}' in (tmp_path / LOCK_NAME).read_text(encoding="utf-8")
    assert 0.3 < waited < 10


def test_a_killed_holder_leaves_no_stale_lock(tmp_path, holders) -> None:
    holder = start_holder(tmp_path, 30)
    holders.append(holder)
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    with run_lock(tmp_path, what="me.yaml", wait_seconds=0):
        pass


def test_the_flow_takes_the_lock_before_any_stage(tmp_path, holders, monkeypatch) -> None:
    from flows.township_report import township_report

    holder = start_holder(tmp_path / "out", 30)
    holders.append(holder)
    monkeypatch.setenv("EPIREPORT_RUN_LOCK_WAIT_SECONDS", "0.2")
    with pytest.raises(RunLocked, match=rf"PID {holder.pid}\b"):
        township_report.fn(
            inbox=tmp_path / "inbox", config_path=tmp_path / "none.yaml", out=tmp_path / "out"
        )
    assert [p.name for p in (tmp_path / "out").iterdir()] == [LOCK_NAME]
