"""The nightly deployment's schedule, paths and server command, without a server."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import zoneinfo
from pathlib import Path

import pytest
import yaml
from conftest import DEMO_CONFIG

from epireport.config import ConfigError, TownshipConfig, load_config
from epireport.nightly import deployment_name, nightly_schedule, run_paths
from epireport.server import server_command
from epireport.settings import PROJECT_ROOT

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def next_run(config: TownshipConfig, after: dt.datetime) -> dt.datetime:
    """The first date Prefect's server-side scheduler would give the config's schedule."""
    from prefect.server.schemas.schedules import CronSchedule

    schedule = nightly_schedule(config)
    cron = CronSchedule(cron=schedule.cron, timezone=schedule.timezone)
    [first] = asyncio.run(cron.get_dates(n=1, start=after))
    return first


def wall_clock(moment: dt.datetime, zone: dt.tzinfo) -> tuple[dt.date, int, int]:
    local = moment.astimezone(zone)
    return local.date(), local.hour, local.minute


def with_changes(config: TownshipConfig, tmp_path: Path, **changes) -> Path:
    raw = config.model_dump(mode="json", exclude_none=True) | changes
    path = tmp_path / "township.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


def test_default_schedule_is_0200_beijing_time(demo_config: TownshipConfig) -> None:
    after = dt.datetime(2026, 11, 29, 12, 0, tzinfo=dt.UTC)  # 20:00 in Shanghai
    first = next_run(demo_config, after)
    assert wall_clock(first, SHANGHAI) == (dt.date(2026, 11, 30), 2, 0)
    assert wall_clock(first, dt.UTC) == (dt.date(2026, 11, 29), 18, 0)


def test_schedule_is_02_00_even_without_a_schedule_section(
    demo_config: TownshipConfig, tmp_path: Path
) -> None:
    raw = demo_config.model_dump(mode="json", exclude_none=True)
    del raw["schedule"]
    path = tmp_path / "township.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    config = load_config(path)
    first = next_run(config, dt.datetime(2026, 6, 1, 0, 0, tzinfo=dt.UTC))
    assert wall_clock(first, SHANGHAI)[1:] == (2, 0)


def test_schedule_is_configurable(demo_config: TownshipConfig, tmp_path: Path) -> None:
    path = with_changes(
        demo_config, tmp_path, schedule={"cron": "30 23 * * 1-5", "timezone": "UTC"}
    )
    first = next_run(load_config(path), dt.datetime(2026, 11, 28, 0, 0, tzinfo=dt.UTC))  # Sat
    assert first == dt.datetime(2026, 11, 30, 23, 30, tzinfo=dt.UTC)  # the next Monday


@pytest.mark.parametrize(
    ("schedule", "field"),
    [
        ({"cron": "0 2 * *"}, "schedule.cron"),
        ({"cron": "0 2 * * * *"}, "schedule.cron"),
        ({"timezone": "Beijing"}, "schedule.timezone"),
        ({"at": "02:00"}, "schedule.at"),
    ],
)
def test_a_bad_schedule_is_refused_naming_the_field(
    demo_config: TownshipConfig, tmp_path: Path, schedule: dict, field: str
) -> None:
    with pytest.raises(ConfigError, match=re.escape(f"{field}：")):
        load_config(with_changes(demo_config, tmp_path, schedule=schedule))


def test_demo_paths_are_read_from_the_config_files_folder(demo_config: TownshipConfig) -> None:
    inbox, out = run_paths(demo_config, DEMO_CONFIG, None, None)
    assert (inbox, out) == (PROJECT_ROOT / "data" / "demo-inbox", PROJECT_ROOT / "output")
    assert deployment_name(demo_config) == "baisha-nightly"


def test_options_override_the_config_paths(demo_config: TownshipConfig, tmp_path: Path) -> None:
    inbox, out = run_paths(demo_config, DEMO_CONFIG, tmp_path / "in", None)
    assert (inbox, out) == (tmp_path / "in", PROJECT_ROOT / "output")


def test_without_paths_the_options_are_required(
    demo_config: TownshipConfig, tmp_path: Path
) -> None:
    raw = demo_config.model_dump(mode="json", exclude_none=True)
    del raw["paths"]
    path = tmp_path / "township.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    config = load_config(path)
    with pytest.raises(ConfigError, match="--inbox and --out"):
        run_paths(config, path, tmp_path / "in", None)
    assert run_paths(config, path, tmp_path / "in", tmp_path / "out")[1] == tmp_path / "out"


def test_server_listens_on_loopback_only() -> None:
    command = server_command(4321)
    assert command[1:] == ["server", "start", "--host", "127.0.0.1", "--port", "4321"]
    assert Path(command[0]).name == "prefect"
