"""``epireport server`` / ``make ui``: a local Prefect server and its UI, with the read-only
file server of the output folder beside it, for this project only; and the temporary server
of one ``epireport run``, which ends with the run, unless ``make ui``'s server is up.

All listen on 127.0.0.1 only and keep their database under ``PREFECT_HOME`` (the project's
``.prefect/`` unless set); they run with analytics and the UI's promotional links off, so
nothing leaves the machine.
"""

from __future__ import annotations

import atexit
import ctypes
import datetime as dt
import errno
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import IO

from epireport.config import ConfigError
from epireport.fileserver import record_served_folder, start_file_server
from epireport.settings import HOST, configure_prefect_environment, local_api_url
from transforms.vocabulary import SERVER_TEXTS

# Signals that stop ``epireport server`` and ``epireport serve``, from a terminal or not.
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
# The Prefect server gets this long to stop after SIGTERM, then it is killed.
SERVER_STOP_SECONDS = 8


def server_command(port: int) -> list[str]:
    """The Prefect CLI of this environment, started on the loopback address only."""
    prefect = Path(sys.executable).with_name("prefect")
    return [str(prefect), "server", "start", "--host", HOST, "--port", str(port)]


def run_server(port: int, files_port: int, out: Path) -> int:
    """The Prefect server and UI on ``port``, the output folder ``out`` on ``files_port``,
    until SIGTERM or SIGINT (Ctrl-C) or the Prefect server's end; both stop together.

    The Prefect server runs in a session of its own, so Ctrl-C reaches this process only,
    which stops it; it ends with this process in any case (``_end_with_parent``).
    """
    configure_prefect_environment()
    # The UI finds its API through these settings, not through the command's --port.
    os.environ["PREFECT_SERVER_API_HOST"] = HOST
    os.environ["PREFECT_SERVER_API_PORT"] = str(port)
    root = out.resolve()
    root.mkdir(parents=True, exist_ok=True)
    try:
        files = start_file_server(root, files_port)
    except OSError as e:
        if e.errno != errno.EADDRINUSE:
            raise
        raise ConfigError(SERVER_TEXTS["port_taken"].format(host=HOST, port=files_port)) from e
    url = f"http://{HOST}:{files.server_address[1]}"
    stop = threading.Event()
    for number in STOP_SIGNALS:
        signal.signal(number, lambda *_: stop.set())
    process = subprocess.Popen(
        server_command(port), stdin=subprocess.DEVNULL, start_new_session=True,
        preexec_fn=_end_with_parent(os.getpid()),
    )  # fmt: skip
    home = os.environ["PREFECT_HOME"]
    print(SERVER_TEXTS["ui"].format(host=HOST, port=port, home=home), flush=True)
    print(SERVER_TEXTS["files"].format(url=url, root=root), flush=True)
    print(SERVER_TEXTS["stop"], flush=True)
    api_url, recorded = f"http://{HOST}:{port}/api", False
    try:
        while process.poll() is None and not stop.wait(0.5):
            if not recorded and healthy(api_url):
                recorded = record_served_folder(api_url, url, root)
    finally:
        _stop(process, SERVER_STOP_SECONDS)
        files.shutdown()
        files.server_close()
    return 0 if stop.is_set() else process.returncode


# Linux prctl option: the signal the kernel sends a process when its parent ends.
PR_SET_PDEATHSIG = 1
SERVER_LOG = "temporary-server.log"
# Names the automation that marks flow runs whose heartbeats stopped as crashed.
CRASH_AUTOMATION = "epireport: crashed runs (heartbeats stopped)"
CRASH_AFTER_SECONDS = 90


class ServerNotStarted(RuntimeError):
    """The run's temporary Prefect server did not answer in time."""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def _end_with_parent(parent: int) -> Callable[[], None]:
    """A ``preexec_fn``: the child gets SIGTERM when this process ends, even by ``kill -9``.

    Prefect's own temporary server is a plain child that outlives a killed run (an open
    port, ~330 MB); the kernel's parent-death signal cannot be missed.
    """
    libc = ctypes.CDLL(None, use_errno=True)

    def preexec() -> None:
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # the parent ended before the signal was armed
            os._exit(1)

    return preexec


def healthy(api_url: str) -> bool:
    """Whether a Prefect API answers its health check."""
    try:
        with urllib.request.urlopen(f"{api_url}/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def _start(log: IO[bytes], port: int) -> subprocess.Popen[bytes]:
    command = [
        sys.executable, "-m", "uvicorn", "--factory", "prefect.server.api.server:create_app",
        "--host", HOST, "--port", str(port), "--log-level", "error", "--lifespan", "on",
    ]  # fmt: skip
    # The same settings Prefect gives its own temporary server: API only, no UI.
    env = {**os.environ, "PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1"}
    env["PREFECT__SERVER_FINAL"] = "1"
    process = subprocess.Popen(
        command, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
        preexec_fn=_end_with_parent(os.getpid()),
    )  # fmt: skip
    return process


def _stop(process: subprocess.Popen[bytes], within: float = 10) -> None:
    process.terminate()
    try:
        process.wait(timeout=within)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def server_home(api_url: str) -> Path | None:
    """The Prefect home a server keeps its data in, as it states it; None if it does not."""
    try:
        with urllib.request.urlopen(f"{api_url}/admin/settings", timeout=5) as response:
            home = json.load(response).get("home")
    except (OSError, ValueError, AttributeError):
        return None
    return Path(home).resolve() if isinstance(home, str) else None


def running_local_server() -> str | None:
    """The API of the server ``make ui`` started (on the configured port) when it is up and
    keeps its data in this Prefect home; a server of another home (the user's, seen from a
    test with a home of its own) is left alone."""
    api_url = local_api_url()
    if healthy(api_url) and server_home(api_url) == Path(os.environ["PREFECT_HOME"]).resolve():
        return api_url
    return None


def _answering() -> None:
    """An API that already answers: nothing to wait for."""


def start_temporary_server(attempts: int = 3) -> Callable[[], None]:
    """Give this run a Prefect API when ``PREFECT_API_URL`` names none: the running local
    server of this Prefect home if there is one, else a temporary one. Returns the wait
    for it: the server starts while the run imports its flow (a few seconds each).

    Call before Prefect is imported (the URL is read from the environment on import), and
    the returned wait before Prefect is first used. A temporary server stops at exit, after
    Prefect's own exit handlers have sent the last logs and events (registered earlier, it
    runs later), and with this process in any case.
    """
    if os.environ.get("PREFECT_API_URL"):
        return _answering
    if running := running_local_server():
        os.environ["PREFECT_API_URL"] = running
        return _answering
    timeout = float(os.environ.get("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90"))
    home = Path(os.environ["PREFECT_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    api_url = f"http://{HOST}:{port}/api"
    os.environ["PREFECT_API_URL"] = api_url
    log = (home / SERVER_LOG).open("ab")
    process = _start(log, port)

    def wait() -> None:
        nonlocal process
        with log:
            for attempt in range(attempts):
                deadline = time.monotonic() + timeout
                while process.poll() is None and time.monotonic() < deadline:
                    if healthy(api_url):
                        atexit.register(_stop, process)
                        return
                    time.sleep(0.1)
                _stop(process)
                if attempt + 1 < attempts:  # the same port: Prefect has read its URL already
                    process = _start(log, port)
        raise ServerNotStarted(
            f"{home / SERVER_LOG}：临时 Prefect 服务未能启动，请查看此日志后重试"
        )

    return wait


def ensure_crash_detection(within_seconds: float = CRASH_AFTER_SECONDS) -> None:
    """Have the server mark a flow run Crashed once its heartbeats stop (a killed run).

    Prefect sends a heartbeat event every ``PREFECT_FLOWS_HEARTBEAT_FREQUENCY`` seconds;
    without this automation a run killed outright stays Running in the UI for ever.
    Created once per server, found by its name afterwards.
    """
    from prefect.automations import Automation
    from prefect.client.schemas.objects import StateType
    from prefect.events.actions import ChangeFlowRunState
    from prefect.events.schemas.automations import EventTrigger, Posture
    from prefect.exceptions import ObjectNotFound

    try:
        Automation.read(name=CRASH_AUTOMATION)
        return
    except (ObjectNotFound, ValueError):
        pass
    Automation(
        name=CRASH_AUTOMATION,
        description="A flow run without a heartbeat for this long has died: mark it Crashed.",
        trigger=EventTrigger(
            match={"prefect.resource.id": "prefect.flow-run.*"},
            after={"prefect.flow-run.heartbeat"},
            expect={
                "prefect.flow-run.heartbeat",
                "prefect.flow-run.Completed",
                "prefect.flow-run.Failed",
                "prefect.flow-run.Cancelled",
                "prefect.flow-run.Crashed",
            },
            for_each={"prefect.resource.id"},
            posture=Posture.Proactive,
            threshold=1,
            within=dt.timedelta(seconds=within_seconds),
        ),
        actions=[
            ChangeFlowRunState(
                state=StateType.CRASHED, message="no heartbeat: the run's process has ended"
            )
        ],
    ).create()
