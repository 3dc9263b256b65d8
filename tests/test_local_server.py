"""``epireport server`` with its file server, a run reusing it, and ``serve`` stopped by a
service manager: real processes without a terminal, each with a Prefect home of its own.

The stop tests send the signal a service manager (or ``kill``) sends and fail when the
process has not ended 10 s later, the bound the nightly service promises.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import DEMO_CONFIG, RUN_DATE, seeded_prefect_home

from epireport.server import SERVER_LOG, healthy
from epireport.settings import PROJECT_ROOT

pytestmark = pytest.mark.slow  # Prefect servers and CLI processes

COUNTY_CONFIG = PROJECT_ROOT / "config" / "demo-county.yaml"
STOP_DEADLINE_SECONDS = 10  # what the service promises, not a measure of speed
DEPLOYMENT = "township-report/baisha-nightly"
RUN_NAME_PREFIX = "白沙镇，截至2022-12-20，"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what: str, probe, timeout: float = 120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := probe():
            return result
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")


def get_json(url: str):
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return json.load(response)
    except urllib.error.HTTPError as e:
        if e.code == 404:
            return None
        raise


def post_json(url: str, payload: dict):
    request = urllib.request.Request(
        url, data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def environment(home: Path, **extra: str) -> dict[str, str]:
    """This session's environment without any Prefect or epireport setting, plus ``extra``;
    ``home`` gets the session's migrated empty Prefect database if it has none."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "EPIREPORT_"))}
    home = seeded_prefect_home(home)
    return env | {"PREFECT_HOME": str(home), "DO_NOT_TRACK": "1"} | extra


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "epireport.cli", *args]


@dataclass
class Process:
    """A command started as a service manager starts one: no terminal, a session of its own."""

    popen: subprocess.Popen[bytes]
    log: Path

    @classmethod
    def start(cls, command: list[str], env: dict[str, str], log: Path, **kwargs) -> Process:
        with log.open("wb") as out:
            popen = subprocess.Popen(
                command, env=env, cwd=PROJECT_ROOT, stdin=subprocess.DEVNULL, stdout=out,
                stderr=subprocess.STDOUT, start_new_session=True, **kwargs,
            )  # fmt: skip
        return cls(popen, log)

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def stop_within_deadline(self, number: signal.Signals) -> int:
        """Send ``number``; the exit status, or a failure if it is still running 10 s later."""
        self.popen.send_signal(number)
        try:
            return self.popen.wait(timeout=STOP_DEADLINE_SECONDS)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(
                f"still running {STOP_DEADLINE_SECONDS} s after {number.name}:\n{self.text()}"
            ) from None

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait()


@dataclass
class Server:
    process: Process
    home: Path
    out: Path
    port: int
    files_port: int

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    @classmethod
    def start(cls, root: Path) -> Server:
        root.mkdir(parents=True, exist_ok=True)
        home, out = root / "home", root / "output"
        port, files_port = free_port(), free_port()
        command = cli(
            "server", "--port", str(port), "--files-port", str(files_port), "--out", str(out)
        )
        process = Process.start(command, environment(home), root / "server.log")
        server = cls(process, home, out, port, files_port)
        wait_for("the Prefect server", lambda: healthy(server.api) or process.popen.poll())
        assert process.popen.poll() is None, process.text()
        return server

    def recorded(self):
        return get_json(f"{self.api}/variables/name/epireport_files")

    def run_names(self) -> list[str]:
        runs = post_json(f"{self.api}/flow_runs/filter", {"limit": 200})
        return [r["name"] for r in runs if r["name"].startswith(RUN_NAME_PREFIX)]

    def deployment(self):
        return get_json(f"{self.api}/deployments/name/{DEPLOYMENT}")


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    started = Server.start(tmp_path_factory.mktemp("local-server"))
    try:
        wait_for("the file server's record", started.recorded, timeout=60)
        yield started
    finally:
        started.process.kill()


def listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_the_server_serves_the_output_folder_and_tells_runs_where(server: Server) -> None:
    assert server.recorded()["value"] == {
        "url": f"http://127.0.0.1:{server.files_port}",
        "root": str(server.out.resolve()),
    }
    with urllib.request.urlopen(f"http://127.0.0.1:{server.files_port}/", timeout=10) as page:
        assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    # what a run compares with its own Prefect home before it uses this server
    assert get_json(f"{server.api}/admin/settings")["home"] == str(server.home)


def run_on_empty_inbox(home: Path, ui_port: int, root: Path) -> subprocess.CompletedProcess:
    """`epireport run` as a user runs it, PREFECT_API_URL unset; an empty inbox makes the
    flow run end early (no usable data), which is all that is looked at: where it went."""
    inbox = root / "inbox"
    inbox.mkdir()
    command = cli(
        "run", "--inbox", str(inbox), "--config", str(DEMO_CONFIG), "--out", str(root / "out"),
        "--run-date", RUN_DATE.isoformat(),
    )  # fmt: skip
    env = environment(home, EPIREPORT_UI_PORT=str(ui_port))
    done = subprocess.run(
        command, env=env, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 3, done.stdout + done.stderr  # 报告未生成: nothing to report on
    return done


def test_a_run_uses_the_running_server_of_its_prefect_home(server: Server, tmp_path) -> None:
    before = server.run_names()
    run_on_empty_inbox(server.home, server.port, tmp_path)
    assert len(server.run_names()) == len(before) + 1
    assert not (server.home / SERVER_LOG).exists()  # no temporary server was started


def test_a_run_with_another_prefect_home_leaves_that_server_alone(server: Server, tmp_path) -> None:
    """A test's runs, with a home of their own, never land in the user's `make ui` server."""
    before = server.run_names()
    own_home = tmp_path / "own-home"
    run_on_empty_inbox(own_home, server.port, tmp_path)
    assert server.run_names() == before
    assert (own_home / SERVER_LOG).is_file()  # it ran on a temporary server of its own


def start_serve(server: Server, root: Path, **kwargs) -> Process:
    (root / "inbox").mkdir(exist_ok=True)
    command = cli(
        "serve", "--config", str(DEMO_CONFIG), "--inbox", str(root / "inbox"),
        "--out", str(root / "out"),
    )  # fmt: skip
    env = environment(server.home, PREFECT_API_URL=server.api)
    serve = Process.start(command, env, root / "serve.log", **kwargs)
    wait_for("serve to start", lambda: "每晚运行已启动" in serve.text() or serve.popen.poll())
    assert serve.popen.poll() is None, serve.text()
    assert server.deployment()["paused"] is False
    return serve


def ignore_sigint() -> None:
    """As a shell without job control starts a background command: SIGINT ignored."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@pytest.mark.parametrize(
    ("number", "preexec"),
    [(signal.SIGTERM, None), (signal.SIGINT, ignore_sigint)],
    ids=["SIGTERM", "SIGINT-without-terminal"],
)
def test_serve_stops_cleanly_within_the_deadline(
    server: Server, tmp_path, number: signal.Signals, preexec
) -> None:
    serve = start_serve(server, tmp_path, preexec_fn=preexec)
    try:
        assert serve.stop_within_deadline(number) == 0
    finally:
        serve.kill()
    log = serve.text()
    assert "Traceback" not in log, log
    assert "每晚运行已停止" in log
    assert server.deployment()["paused"] is True  # stopped the graceful way


def test_serve_stops_within_the_deadline_when_its_server_went_first(tmp_path) -> None:
    own = Server.start(tmp_path / "gone")
    serve = start_serve(own, tmp_path)
    try:
        assert own.process.stop_within_deadline(signal.SIGTERM) == 0
        assert not listening(own.port) and not listening(own.files_port)
        assert serve.stop_within_deadline(signal.SIGTERM) == 0
    finally:
        serve.kill()
        own.process.kill()
    log = serve.text()
    assert "Traceback" not in log, log
    assert "Traceback" not in own.process.text()


def test_serve_county_registers_the_county_deployment_on_its_schedule(
    server: Server, tmp_path
) -> None:
    """`epireport serve --county`: the county run is a deployment like a township's."""
    (tmp_path / "inbox").mkdir()
    command = cli(
        "serve", "--county", str(COUNTY_CONFIG), "--inbox", str(tmp_path / "inbox"),
        "--out", str(tmp_path / "out"),
    )  # fmt: skip
    env = environment(server.home, PREFECT_API_URL=server.api)
    serve = Process.start(command, env, tmp_path / "serve.log")
    try:
        wait_for("serve to start", lambda: "每晚运行已启动" in serve.text() or serve.popen.poll())
        assert serve.popen.poll() is None, serve.text()
        deployment = get_json(f"{server.api}/deployments/name/county-report/yunxi-county-nightly")
        assert deployment["paused"] is False
        [schedule] = [s["schedule"] for s in deployment["schedules"]]
        assert (schedule["cron"], schedule["timezone"]) == ("0 3 * * *", "Asia/Shanghai")
        assert deployment["description"].startswith("云溪县各乡镇疫情防控专项工作报告及全县汇总")
        assert "每天 03:00（北京时间）" in deployment["description"]
        assert deployment["parameters"]["config_path"] == str(COUNTY_CONFIG.resolve())
        assert serve.stop_within_deadline(signal.SIGTERM) == 0
    finally:
        serve.kill()
    assert "Traceback" not in serve.text()
