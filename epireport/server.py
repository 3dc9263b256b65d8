"""``epireport server`` / ``make ui``: a local Prefect server and its UI, for this project only;
and the temporary server of one ``epireport run``, which ends with the run.

Both listen on 127.0.0.1 only and keep their database under ``PREFECT_HOME`` (the project's
``.prefect/`` unless set); they run with analytics and the UI's promotional links off, so
nothing leaves the machine.
"""

from __future__ import annotations

import atexit
import ctypes
import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import IO, NoReturn

from epireport.settings import configure_prefect_environment

HOST = "127.0.0.1"


def server_command(port: int) -> list[str]:
    """The Prefect CLI of this environment, started on the loopback address only."""
    prefect = Path(sys.executable).with_name("prefect")
    return [str(prefect), "server", "start", "--host", HOST, "--port", str(port)]


def run_server(port: int) -> NoReturn:
    """Replace this process by the server, so that Ctrl-C and signals reach it directly."""
    configure_prefect_environment()
    # The UI finds its API through these settings, not through the command's --port.
    os.environ["PREFECT_SERVER_API_HOST"] = HOST
    os.environ["PREFECT_SERVER_API_PORT"] = str(port)
    command = server_command(port)
    print(
        f"Prefect UI: http://{HOST}:{port}  (data in {os.environ['PREFECT_HOME']}; Ctrl-C stops)",
        flush=True,
    )
    os.execv(command[0], command)


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


def _start(log: IO[bytes]) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
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
    return process, f"http://{HOST}:{port}/api"


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def start_temporary_server(attempts: int = 3) -> str | None:
    """Start a Prefect API for this run when ``PREFECT_API_URL`` names none; returns its URL.

    Call before Prefect is imported: the URL is read from the environment on import. The
    server stops at exit, after Prefect's own exit handlers have sent the last logs and
    events (registered earlier, it runs later), and with this process in any case.
    """
    if os.environ.get("PREFECT_API_URL"):
        return None
    timeout = float(os.environ.get("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90"))
    home = Path(os.environ["PREFECT_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    with (home / SERVER_LOG).open("ab") as log:
        for _ in range(attempts):
            process, api_url = _start(log)
            deadline = time.monotonic() + timeout
            while process.poll() is None and time.monotonic() < deadline:
                if healthy(api_url):
                    atexit.register(_stop, process)
                    os.environ["PREFECT_API_URL"] = api_url
                    return api_url
                time.sleep(0.1)
            _stop(process)  # the port was taken meanwhile, or the start failed: again
    raise ServerNotStarted(f"{home / SERVER_LOG}：临时 Prefect 服务未能启动，请查看此日志后重试")


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
