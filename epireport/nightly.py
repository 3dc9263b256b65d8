"""The nightly run: a Prefect deployment of the flow, its schedule and parameters from the config.

``epireport serve`` keeps one process running that registers the deployment with a
Prefect server and starts each scheduled (or manually triggered) run; ``prefect.yaml``
at the project root describes the same flow for a work pool and a worker instead.
Prefect reads a bare cron line in UTC, so the schedule always carries the config's
time zone (default: 02:00 Asia/Shanghai); the UI shows it in the browser's zone without
naming it, so the deployment's description and run names state it in the office's time.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import re
import signal
import sys
import threading
import time
import zoneinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any

from epireport.config import ConfigError, CountyConfig, Schedule, TownshipConfig
from epireport.server import STOP_SIGNALS, healthy
from epireport.settings import local_api_url
from transforms.vocabulary import NIGHTLY_TEXTS, ZONE_LABELS

if TYPE_CHECKING:
    from prefect import Flow
    from prefect.runner import Runner
    from prefect.schedules import Schedule as PrefectSchedule

# After SIGTERM or SIGINT, serve ends within 10 s whatever the server does: the runner gets
# this long to stop, the process this long to exit.
RUNNER_STOP_SECONDS = 4.0
EXIT_WITHIN_SECONDS = 8.0
_DAILY = re.compile(r"(?P<minute>\d{1,2}) (?P<hour>\d{1,2}) \* \* \*")


def deployment_name(config: TownshipConfig | CountyConfig) -> str:
    """One served deployment per township (``baisha-nightly``) or county (``yunxi-county-
    nightly``)."""
    if isinstance(config, CountyConfig):
        return f"{config.county.code}-county-nightly"
    return f"{config.township.code}-nightly"


def run_paths(
    config: TownshipConfig | CountyConfig,
    config_path: Path,
    inbox: Path | None,
    out: Path | None,
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
            f"{config_path}：没有定时运行的收件箱或输出文件夹；"
            "请在配置文件中加上 paths（inbox、out），或给出 --inbox 和 --out"
        )
    return inbox.resolve(), out.resolve()


def nightly_schedule(config: TownshipConfig | CountyConfig) -> PrefectSchedule:
    """The config's cron line in its time zone (a bare ``cron=`` would be read in UTC)."""
    from prefect.schedules import Cron

    return Cron(config.schedule.cron, timezone=config.schedule.timezone)


def zone_label(zone: str) -> str:
    """``北京时间`` for Asia/Shanghai; any other zone by its IANA name."""
    return ZONE_LABELS.get(zone, zone)


def schedule_text(schedule: Schedule) -> str:
    """The schedule as the office says it: ``每天 02:00（北京时间）``; a cron line that is not
    one time a day is quoted as it stands, with its zone."""
    zone = zone_label(schedule.timezone)
    daily = _DAILY.fullmatch(schedule.cron)
    if daily and int(daily["hour"]) < 24 and int(daily["minute"]) < 60:
        time_of_day = f"{int(daily['hour']):02d}:{int(daily['minute']):02d}"
        return NIGHTLY_TEXTS["daily"].format(time=time_of_day, zone=zone)
    return NIGHTLY_TEXTS["cron"].format(cron=schedule.cron, zone=zone)


def run_name(name: str, cutoff: dt.date, zone: str, started: dt.datetime) -> str:
    """A flow run's name: who, which cut-off and when it started, in the township's time
    zone, named (``白沙镇，截至2022-12-20，2026-12-03 02:00:07（北京时间）开始``)."""
    local = started.astimezone(zoneinfo.ZoneInfo(zone))
    return NIGHTLY_TEXTS["run_name"].format(
        name=name, cutoff=cutoff.isoformat(), start=f"{local:%Y-%m-%d %H:%M:%S}",
        zone=zone_label(zone),
    )  # fmt: skip


def current_run_name(name: str, township: TownshipConfig) -> str:
    """The running flow's name (a ``flow_run_name`` callable's body): ``name``, the cut-off
    of the run's ``run_date`` parameter (default today) and the start, in ``township``'s zone."""
    from prefect.runtime import flow_run

    run_date = dt.date.fromisoformat(str(flow_run.parameters.get("run_date") or dt.date.today()))
    return run_name(
        name, township.cutoff(run_date), township.schedule.timezone, dt.datetime.now(dt.UTC)
    )


def deployment_description(config: TownshipConfig | CountyConfig, inbox: Path) -> str:
    when = schedule_text(config.schedule)
    if isinstance(config, CountyConfig):
        return NIGHTLY_TEXTS["county_description"].format(
            county=config.county.name, when=when, inbox=inbox
        )
    return NIGHTLY_TEXTS["description"].format(
        township=config.township.name, when=when, inbox=inbox
    )


def api_url() -> str:
    return os.environ.get("PREFECT_API_URL") or local_api_url()


def check_server(url: str) -> None:
    """Fail early and clearly when no Prefect server answers (``make ui`` starts one)."""
    if not healthy(url.rstrip("/")):
        raise ConfigError(
            f"{url} 没有 Prefect 服务应答；请先运行 make ui（或 epireport server），"
            "或设置 PREFECT_API_URL"
        )


class _RunnerThread(threading.Thread):
    """The runner's event loop, off the main thread: signals stay with the main thread
    (Prefect's runner would take SIGTERM, and asyncio swallows a first SIGINT)."""

    def __init__(self, runner: Runner) -> None:
        super().__init__(name="epireport-runner", daemon=True)
        self.runner = runner
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            asyncio.run(self.runner.start())
        except BaseException as e:  # handed to the main thread, which raises it
            self.error = e


def _say(text: str) -> None:
    print(text, flush=True)


def _exit_now() -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def _stop(runner: Runner, thread: _RunnerThread) -> None:
    """Stop the runner (in-flight runs cancelled, the schedule paused) within seconds; if the
    server does not answer meanwhile, end the process without waiting for it."""
    _say(NIGHTLY_TEXTS["stopping"])
    # Whatever an exit handler waits for, the process ends in time.
    watchdog = threading.Timer(EXIT_WITHIN_SECONDS, _exit_now)
    watchdog.daemon = True
    watchdog.start()
    deadline = time.monotonic() + RUNNER_STOP_SECONDS
    while not runner.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.1)  # still registering: astop needs a started runner
    if runner.started:
        runner.execute_in_background(runner.astop)
        thread.join(max(0.0, deadline - time.monotonic()))
    if thread.is_alive():
        _say(NIGHTLY_TEXTS["server_gone"])
        _exit_now()
    _say(NIGHTLY_TEXTS["stopped"])


def serve(config: TownshipConfig | CountyConfig, config_path: Path, inbox: Path, out: Path) -> None:
    """Register the deployment of a township's (or a county's) report and run its flow runs
    (one at a time) until SIGTERM or SIGINT, from a terminal or a service manager; then stop
    within 10 s, also with the server gone. The caller has checked the server
    (``check_server``)."""
    from prefect.runner import Runner

    report_flow = _report_flow(config)
    name = deployment_name(config)
    runner = Runner(name=name, limit=1)
    runner.add_flow(
        report_flow,
        name=name,
        parameters={
            "inbox": str(inbox),
            "config_path": str(config_path.resolve()),
            "out": str(out),
        },
        schedules=[nightly_schedule(config)],
        description=deployment_description(config, inbox),
    )
    stop = threading.Event()

    def request_stop(*_: Any) -> None:
        stop.set()

    for number in STOP_SIGNALS:
        signal.signal(number, request_stop)
    thread = _RunnerThread(runner)
    thread.start()
    when = schedule_text(config.schedule)
    _say(NIGHTLY_TEXTS["serving"].format(deployment=f"{report_flow.name}/{name}", when=when))
    while thread.is_alive() and not stop.wait(0.5):
        pass
    if thread.error is not None:
        raise thread.error
    if stop.is_set():
        _stop(runner, thread)


def _report_flow(config: TownshipConfig | CountyConfig) -> Flow:
    if isinstance(config, CountyConfig):
        from flows.county_report import county_report

        return county_report
    from flows.township_report import township_report

    return township_report
