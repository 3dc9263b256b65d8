"""The nightly run: a Prefect deployment of the flow, its schedule and parameters from the config.

``epireport serve`` keeps one process running that registers the deployment with a
Prefect server and starts each scheduled (or manually triggered) run; ``prefect.yaml``
at the project root describes the same flow for a work pool and a worker instead.
Prefect reads a bare cron line in UTC, so the schedule always carries the config's
time zone (default: 02:00 Asia/Shanghai).
"""

from __future__ import annotations

import os
import urllib.error
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING

from epireport.config import ConfigError, TownshipConfig

if TYPE_CHECKING:
    from prefect.schedules import Schedule

# Where ``epireport server`` (and ``make ui``) listens; serve uses it when PREFECT_API_URL is unset.
DEFAULT_PORT = 4200
DEFAULT_API_URL = f"http://127.0.0.1:{DEFAULT_PORT}/api"


def deployment_name(config: TownshipConfig) -> str:
    """One served deployment per township: ``baisha-nightly``."""
    return f"{config.township.code}-nightly"


def run_paths(
    config: TownshipConfig, config_path: Path, inbox: Path | None, out: Path | None
) -> tuple[Path, Path]:
    """Absolute inbox and output folder: options win, else the config's ``paths``.

    Paths in the config are read relative to the config file's folder, so a scheduled
    run finds them whatever folder the serving process was started in.
    """
    base = config_path.resolve().parent
    if config.paths is not None:
        inbox = inbox or base / config.paths.inbox
        out = out or base / config.paths.out
    if inbox is None or out is None:
        raise ConfigError(
            f"{config_path}: no inbox or output folder for scheduled runs; "
            "add a paths section (inbox, out) or give --inbox and --out"
        )
    return inbox.resolve(), out.resolve()


def nightly_schedule(config: TownshipConfig) -> Schedule:
    """The config's cron line in its time zone (a bare ``cron=`` would be read in UTC)."""
    from prefect.schedules import Cron

    return Cron(config.schedule.cron, timezone=config.schedule.timezone)


def api_url() -> str:
    return os.environ.get("PREFECT_API_URL") or DEFAULT_API_URL


def check_server(url: str) -> None:
    """Fail early and clearly when no Prefect server answers (``make ui`` starts one)."""
    try:
        with urllib.request.urlopen(f"{url.rstrip('/')}/health", timeout=5) as response:
            healthy = response.status == 200
    except (urllib.error.URLError, OSError):
        healthy = False
    if not healthy:
        raise ConfigError(
            f"no Prefect server answers at {url}; start one with `make ui` "
            "(or `epireport server`) or set PREFECT_API_URL"
        )


def serve(config: TownshipConfig, config_path: Path, inbox: Path, out: Path) -> None:
    """Register the deployment and run its flow runs until interrupted (one at a time)."""
    os.environ["PREFECT_API_URL"] = api_url()
    check_server(os.environ["PREFECT_API_URL"])
    from flows.township_report import township_report

    township_report.serve(
        name=deployment_name(config),
        parameters={
            "inbox": str(inbox),
            "config_path": str(config_path.resolve()),
            "out": str(out),
        },
        schedules=[nightly_schedule(config)],
        description=f"{config.township.name}: nightly report from {inbox}",
        limit=1,
    )
