"""``epireport server`` / ``make ui``: a local Prefect server and its UI, for this project only.

It listens on 127.0.0.1 only, keeps its database under ``PREFECT_HOME`` (the project's
``.prefect/`` unless set) and runs with analytics and the UI's promotional links off, so
nothing leaves the machine.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import NoReturn

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
