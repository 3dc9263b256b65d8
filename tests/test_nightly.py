"""The nightly deployment's schedule, how it and its runs are named, its paths, the server
command, the ports and the sample systemd units, without a server."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import zoneinfo
from pathlib import Path

import pytest
import yaml
from conftest import DEMO_CONFIG

from epireport.cli import _parser
from epireport.config import ConfigError, Schedule, TownshipConfig, load_config, load_county
from epireport.nightly import (
    deployment_description,
    deployment_name,
    nightly_schedule,
    run_name,
    run_paths,
    schedule_text,
)
from epireport.server import server_command
from epireport.settings import PROJECT_ROOT, files_url, local_api_url

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
    with pytest.raises(ConfigError, match="--inbox 和 --out"):
        run_paths(config, path, tmp_path / "in", None)
    assert run_paths(config, path, tmp_path / "in", tmp_path / "out")[1] == tmp_path / "out"


def test_server_listens_on_loopback_only() -> None:
    command = server_command(4321)
    assert command[1:] == ["server", "start", "--host", "127.0.0.1", "--port", "4321"]
    assert Path(command[0]).name == "prefect"


@pytest.mark.parametrize(
    ("cron", "zone", "text"),
    [
        ("0 2 * * *", "Asia/Shanghai", "每天 02:00（北京时间）"),
        ("30 23 * * *", "Asia/Shanghai", "每天 23:30（北京时间）"),
        ("5 7 * * *", "Europe/Berlin", "每天 07:05（Europe/Berlin）"),
        ("30 23 * * 1-5", "UTC", "按 cron 行“30 23 * * 1-5”（UTC）"),
        ("0 */6 * * *", "Asia/Shanghai", "按 cron 行“0 */6 * * *”（北京时间）"),
    ],
)
def test_the_schedule_is_said_in_the_offices_time(cron: str, zone: str, text: str) -> None:
    assert schedule_text(Schedule(cron=cron, timezone=zone)) == text


def test_the_served_deployment_states_its_schedule_in_beijing_time(
    demo_config: TownshipConfig,
) -> None:
    text = deployment_description(demo_config, Path("/srv/epireport/data/demo-inbox"))
    assert text == (
        "白沙镇疫情防控专项工作报告，每晚运行：每天 02:00（北京时间）。"
        "收件箱：/srv/epireport/data/demo-inbox"
    )


def pool_deployments() -> dict[str, dict]:
    project = yaml.safe_load((PROJECT_ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    return {d["name"]: d for d in project["deployments"]}


@pytest.mark.parametrize(
    ("name", "flow_name", "config", "cron", "said"),
    [
        ("baisha-nightly-pool", "township-report", "demo-township.yaml", "0 2 * * *", "02:00"),
        ("yunxi-county-nightly-pool", "county-report", "demo-county.yaml", "0 3 * * *", "03:00"),
    ],
)
def test_the_pool_deployments_state_their_schedule_in_beijing_time(
    name: str, flow_name: str, config: str, cron: str, said: str
) -> None:
    """The township's and the county's nightly runs: module-level flows a worker can load,
    on the config's own schedule, which the description states in Beijing time."""
    from prefect.flows import load_flow_from_entrypoint

    deployment = pool_deployments()[name]
    assert load_flow_from_entrypoint(deployment["entrypoint"]).name == flow_name
    [schedule] = deployment["schedules"]
    assert (schedule["cron"], schedule["timezone"]) == (cron, "Asia/Shanghai")
    assert f"每天 {said}（北京时间）" in deployment["description"]
    assert deployment["parameters"]["config_path"].endswith(f"/config/{config}")
    path = PROJECT_ROOT / "config" / config
    loaded = load_county(path)[0] if flow_name == "county-report" else load_config(path)
    assert (loaded.schedule.cron, loaded.schedule.timezone) == (cron, "Asia/Shanghai")


def test_a_run_is_named_by_township_cutoff_and_start_in_the_townships_zone() -> None:
    started = dt.datetime(2026, 12, 2, 18, 0, 7, tzinfo=dt.UTC)  # 02:00:07 next day in Shanghai
    name = run_name("白沙镇", dt.date(2022, 12, 20), "Asia/Shanghai", started)
    assert name == "白沙镇，截至2022-12-20，2026-12-03 02:00:07（北京时间）开始"
    later = run_name("白沙镇", dt.date(2022, 12, 20), "Asia/Shanghai", started + dt.timedelta(1))
    assert later != name  # two runs of one cut-off are told apart
    assert run_name("X", dt.date(2022, 12, 20), "UTC", started).endswith("18:00:07（UTC）开始")


def test_ports_come_from_the_environment_with_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EPIREPORT_UI_PORT", raising=False)
    monkeypatch.delenv("EPIREPORT_FILES_PORT", raising=False)
    assert (local_api_url(), files_url()) == ("http://127.0.0.1:4200/api", "http://127.0.0.1:4201")
    monkeypatch.setenv("EPIREPORT_UI_PORT", "4300")
    monkeypatch.setenv("EPIREPORT_FILES_PORT", "4301")
    assert (local_api_url(), files_url()) == ("http://127.0.0.1:4300/api", "http://127.0.0.1:4301")
    for bad in ("http", "0", "70000", "-1"):
        monkeypatch.setenv("EPIREPORT_FILES_PORT", bad)
        with pytest.raises(ConfigError, match="EPIREPORT_FILES_PORT"):
            files_url()


@pytest.mark.parametrize("option", ["--port", "--files-port"])
@pytest.mark.parametrize("bad", ["http", "0", "70000", "-1"])
def test_a_port_option_out_of_range_stops_with_one_line_naming_it(
    option: str, bad: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        _parser().parse_args(["server", option, bad])
    assert stopped.value.code == 2
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert option in error and f"not a port number (1-65535): {bad}" in error


def unit(name: str) -> dict[str, list[str]]:
    """A systemd unit's ``Key=value`` lines by key (keys may repeat), sections merged."""
    found: dict[str, list[str]] = {}
    for line in (PROJECT_ROOT / "docs" / name).read_text(encoding="utf-8").splitlines():
        if "=" in line and not line.startswith(("#", ";", "[")):
            key, value = line.split("=", 1)
            found.setdefault(key.strip(), []).append(value.strip())
    return found


def test_the_sample_systemd_units_start_serve_after_its_server_and_stop_it_by_sigterm() -> None:
    nightly, server = unit("epireport-nightly.service"), unit("epireport-server.service")
    assert nightly["Requires"] == nightly["After"] == ["epireport-server.service"]
    for service in (nightly, server):
        assert service["KillSignal"] == ["SIGTERM"]
        assert int(service["TimeoutStopSec"][0]) > 10  # serve and server end within 10 s
    serve_args = _parser().parse_args(nightly["ExecStart"][0].split()[1:])
    server_args = _parser().parse_args(server["ExecStart"][0].split()[1:])
    assert (serve_args.command, server_args.command) == ("serve", "server")
    api = dict(v.split("=", 1) for v in nightly["Environment"])["PREFECT_API_URL"]
    assert api == f"http://127.0.0.1:{server_args.port}/api"
    homes = [
        dict(v.split("=", 1) for v in u["Environment"])["PREFECT_HOME"] for u in (nightly, server)
    ]
    assert homes[0] == homes[1]
    # serve writes where the server serves: the config's paths.out, relative to its folder
    config = load_config(DEMO_CONFIG)
    assert config.paths is not None
    config_dir = Path(serve_args.config).parent
    assert (config_dir / config.paths.out).resolve() == server_args.out.resolve()
