"""A run killed outright (``kill -9``) leaves nothing behind: no process it started, no open
port; and a Prefect server that stays up shows its flow run as Crashed, not Running."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import RUN_DATE, seeded_prefect_home
from pipeline import golden_inbox

from epireport.config import load_config
from epireport.faults import FAULT_ENV
from epireport.server import server_command
from epireport.settings import PROJECT_ROOT

# Each test runs `epireport run` in a process of its own and kills it: the promise is
# about processes and ports, which only a real subprocess has.
pytestmark = pytest.mark.slow

SMALL = PROJECT_ROOT / "tests" / "golden" / "small_township"
SMALL_CONFIG = SMALL / "township.yaml"


def _stat(pid: int) -> tuple[int, str, str] | None:
    """Parent pid, state and start time of a process, None when it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()
    return int(fields[1]), fields[0], fields[19]


def descendants(root: int) -> dict[int, str]:
    """Living descendants of ``root``: pid to start time (so a reused pid is not them)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := _stat(int(entry.name))):
            children.setdefault(stat[0], []).append(int(entry.name))
    found, pending = {}, [root]
    while pending:
        for child in children.get(pending.pop(), []):
            if (stat := _stat(child)) and child not in found:
                found[child] = stat[2]
                pending.append(child)
    return found


def alive(pid: int, started: str) -> bool:
    stat = _stat(pid)
    return stat is not None and stat[2] == started and stat[1] != "Z"


def port_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def server_port(pid: int) -> int | None:
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return None
    if b"uvicorn" not in command or b"--port" not in command:
        return None
    return int(command[command.index(b"--port") + 1])


def killed_run(tmp_path: Path, env: dict[str, str]) -> tuple[subprocess.Popen, dict[int, str]]:
    """``epireport run`` on the small inbox, killing itself mid-load; every process it
    started while it lived, seen by polling /proc."""
    inbox = golden_inbox("small_township", tmp_path / "in")
    command = [
        sys.executable, "-m", "epireport.cli", "run", "--inbox", str(inbox),
        "--config", str(SMALL_CONFIG), "--out", str(tmp_path / "out"),
        "--run-date", RUN_DATE.isoformat(),
    ]  # fmt: skip
    env = {**env, FAULT_ENV: "load:kill", load_config(SMALL_CONFIG).person_key_env: "clean-ends"}
    log = (tmp_path / "run.log").open("wb")
    run = subprocess.Popen(
        command, env=env, cwd=PROJECT_ROOT, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    seen: dict[int, str] = {}
    deadline = time.monotonic() + 300
    while run.poll() is None and time.monotonic() < deadline:
        seen |= descendants(run.pid)
        time.sleep(0.05)
    log.close()
    return run, seen


def end_group(run: subprocess.Popen, seen: dict[int, str]) -> None:
    """Whatever the assertions say: nothing this test started outlives it."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(run.pid, signal.SIGKILL)
    for pid, started in seen.items():
        if alive(pid, started):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    run.wait(timeout=30)


def test_a_killed_run_leaves_no_process_and_no_open_port(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}  # its own server
    run, seen = killed_run(tmp_path, env)
    try:
        assert run.returncode == -signal.SIGKILL, (tmp_path / "run.log").read_text()[-2000:]
        ports = [p for pid in seen if (p := server_port(pid))] or [None]
        assert ports[0] is not None, f"no temporary server seen among {seen}"
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and (
            any(alive(pid, s) for pid, s in seen.items()) or port_open(ports[0])
        ):
            time.sleep(0.2)
        assert [pid for pid, s in seen.items() if alive(pid, s)] == []
        assert not port_open(ports[0])
    finally:
        end_group(run, seen)


def api(url: str, path: str, body: dict) -> list | dict:
    request = urllib.request.Request(
        f"{url}{path}", json.dumps(body).encode(), {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


@pytest.fixture()
def prefect_server(tmp_path: Path):
    """A real `prefect server start` on 127.0.0.1 with a home of its own, as `make ui` runs."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    home = seeded_prefect_home(tmp_path / "prefect-home")
    env |= {"PREFECT_HOME": str(home), "PREFECT_SERVER_API_PORT": str(port)}
    log = (tmp_path / "server.log").open("wb")
    server = subprocess.Popen(
        server_command(port), env=env, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/api"
    try:
        deadline = time.monotonic() + 120
        while not port_open(port) and time.monotonic() < deadline:
            assert server.poll() is None, (tmp_path / "server.log").read_text()[-2000:]
            time.sleep(0.5)
        yield url, env | {"PREFECT_API_URL": url}
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()


# The test's crash window: Prefect's shortest heartbeat (30 s) and a margin.
CRASH_AFTER_SECONDS = 40


def test_a_killed_runs_flow_run_ends_crashed_under_a_server_that_stays_up(
    tmp_path: Path, prefect_server
) -> None:
    url, env = prefect_server
    subprocess.run(
        [sys.executable, "-c", "import sys; from epireport.server import ensure_crash_detection;"
         f" ensure_crash_detection({CRASH_AFTER_SECONDS})"],
        env=env, cwd=PROJECT_ROOT, check=True, timeout=120,
    )  # fmt: skip
    run, seen = killed_run(tmp_path, env)
    try:
        assert run.returncode == -signal.SIGKILL, (tmp_path / "run.log").read_text()[-2000:]
        (flow_run,) = api(url, "/flow_runs/filter", {})
        deadline = time.monotonic() + CRASH_AFTER_SECONDS + 90
        while flow_run["state_type"] == "RUNNING" and time.monotonic() < deadline:
            time.sleep(2)
            (flow_run,) = api(url, "/flow_runs/filter", {})
        assert flow_run["state_type"] == "CRASHED", flow_run["state_type"]
    finally:
        end_group(run, seen)
