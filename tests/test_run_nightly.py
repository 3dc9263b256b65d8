"""README "Run it nightly", run as written against a real Prefect server, then the UI in Chromium.

The section's shell blocks run in a copy of the project (so that ``data/``, ``output/``
and ``.prefect/`` stay in a temporary folder), from a shell without any Prefect
setting of this test session, with one change: ports 4200 (the UI) and 4201 (the output
files) become free ports. A block whose last command runs until stopped (the server,
``serve``, the worker) runs in the background; every process is stopped at the end, also
when a test fails.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import html
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.parse
import urllib.request
import uuid
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from personal_data import FULL_ID, PHONE
from report_fixtures import GOLDEN

from epireport.server import healthy
from epireport.settings import PROJECT_ROOT

pytestmark = pytest.mark.nightly

CHROMIUM = Path("/usr/bin/chromium")
KEYS = {
    f"{kind}-baisha"
    for kind in ("report", "metrics", "ingest", "unknown-values", "quality", "files")
}
LONG_RUNNING = ("make ui", "epireport serve", "prefect worker start")
RUN_TIMEOUT_SECONDS = 150


def readme_blocks() -> list[str]:
    """The shell blocks of the README's "Run it nightly" section, in order."""
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Run it nightly\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.*?)```", section, flags=re.S)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def copy_project(dest: Path) -> None:
    """The project's files as a fresh clone has them (plus uncommitted ones), sharing .venv."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=PROJECT_ROOT, capture_output=True, check=True, text=True,
    ).stdout  # fmt: skip
    for name in filter(None, listed.split("\0")):
        source = PROJECT_ROOT / name
        if source.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)  # keeps mtimes: make sees .venv as up to date
    (dest / ".venv").symlink_to(PROJECT_ROOT / ".venv")
    up_to_date = subprocess.run(["make", "-q", ".venv/.installed"], cwd=dest).returncode == 0
    assert up_to_date, ".venv is older than requirements.lock or pyproject.toml: run `make` first"


@dataclass
class Shell:
    """Runs README blocks in the project copy, in a clean environment, on a free port."""

    cwd: Path
    port: int
    files_port: int
    logs: Path

    def __post_init__(self) -> None:
        self.background: list[subprocess.Popen[bytes]] = []
        self.env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("PREFECT_", "GX_", "EPIREPORT_")) and k != "DO_NOT_TRACK"
        } | {"UI_PORT": str(self.port), "FILES_PORT": str(self.files_port)}

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    @property
    def files(self) -> str:
        return f"http://127.0.0.1:{self.files_port}"

    def _script(self, block: str) -> str:
        block = block.replace("4200", str(self.port)).replace("4201", str(self.files_port))
        return "set -e\n" + block

    def run(self, block: str, name: str) -> str:
        result = subprocess.run(
            ["bash", "-c", self._script(block)], cwd=self.cwd, env=self.env,
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        (self.logs / f"{name}.log").write_text(result.stdout + result.stderr, encoding="utf-8")
        assert result.returncode == 0, f"{name} failed:\n{result.stdout}\n{result.stderr}"
        return result.stdout

    def start(self, block: str, name: str) -> None:
        log = (self.logs / f"{name}.log").open("wb")
        process = subprocess.Popen(
            ["bash", "-c", self._script(block)], cwd=self.cwd, env=self.env,
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        self.background.append(process)

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(encoding="utf-8", errors="replace")

    def stop(self, process: subprocess.Popen[bytes]) -> None:
        """Interrupt the whole process group, as Ctrl-C would, then kill what is left."""
        for sig, grace in ((signal.SIGINT, 20), (signal.SIGKILL, 10)):
            if process.poll() is not None:
                break
            try:
                os.killpg(process.pid, sig)
                process.wait(timeout=grace)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                continue
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # stragglers of an exited leader

    def stop_all(self) -> None:
        for process in reversed(self.background):
            self.stop(process)


def wait_for(what: str, probe, timeout: float = RUN_TIMEOUT_SECONDS, every: float = 1.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = probe()
        if result:
            return result
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")


def client_call(api: str, call):
    """Run ``await call(client)`` with a Prefect client of this server."""
    from prefect.client.orchestration import PrefectClient

    async def main():
        async with PrefectClient(api=api) as client:
            return await call(client)

    return asyncio.run(main())


def run_id_of(output: str) -> uuid.UUID:
    return uuid.UUID(re.search(r"UUID: ([0-9a-f-]{36})", output).group(1))


def wait_until_final(api: str, run_id: uuid.UUID):
    def final():
        run = client_call(api, lambda c: c.read_flow_run(run_id))
        return run if run.state and run.state.is_final() else None

    return wait_for(f"flow run {run_id}", final, every=2)


def artifacts_of(api: str, run_id: uuid.UUID) -> dict[str, object]:
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    found = client_call(
        api,
        lambda c: c.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[run_id]))
        ),
    )
    return {a.key: a for a in found}


def deployment(api: str, name: str):
    from prefect.exceptions import ObjectNotFound

    async def read(client):
        try:
            return await client.read_deployment_by_name(name)
        except ObjectNotFound:
            return None

    return client_call(api, read)


def next_scheduled_start(api: str, deployment_id: uuid.UUID) -> dt.datetime | None:
    from prefect.client.schemas.filters import (
        DeploymentFilter,
        DeploymentFilterId,
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType
    from prefect.client.schemas.sorting import FlowRunSort

    runs = client_call(
        api,
        lambda c: c.read_flow_runs(
            deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment_id])),
            flow_run_filter=FlowRunFilter(
                state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.SCHEDULED]))
            ),
            sort=FlowRunSort.EXPECTED_START_TIME_ASC,
            limit=1,
        ),
    )
    return runs[0].expected_start_time if runs else None


@pytest.fixture(scope="module")
def nightly(tmp_path_factory, demo_inbox) -> Iterator[tuple[Shell, dict[str, object]]]:
    """The README's server and served deployment, one run triggered and finished.

    The session's demo inbox (the same generator, seed and config as `make data/demo-inbox`)
    is laid where the README's make target puts it, so that the target finds it made."""
    root = tmp_path_factory.mktemp("nightly")
    project, logs = root / "project", root / "logs"
    logs.mkdir()
    copy_project(project)
    shutil.copytree(demo_inbox[0], project / "data" / "demo-inbox")
    shell = Shell(project, free_port(), free_port(), logs)
    blocks = readme_blocks()
    assert len(blocks) == 5, "the test knows five blocks: server, serve, run, worker, run"
    assert [any(cmd in b.strip().splitlines()[-1] for cmd in LONG_RUNNING) for b in blocks] == [
        True, True, False, True, False,
    ]  # fmt: skip
    server, serve, trigger, worker, trigger_pool = blocks
    try:
        shell.start(server, "server")
        wait_for("the Prefect server", lambda: healthy(shell.api), timeout=90)
        shell.start(serve, "serve")
        served = wait_for(
            "the served deployment", lambda: deployment(shell.api, "township-report/baisha-nightly")
        )
        run_id = run_id_of(shell.run(trigger, "trigger"))
        run = wait_until_final(shell.api, run_id)
        yield shell, {"served": served, "run": run, "worker": worker, "trigger": trigger_pool}
    finally:
        shell.stop_all()


def test_served_run_completes_and_publishes_the_report(nightly) -> None:
    shell, state = nightly
    run = state["run"]
    assert run.state.is_completed(), shell.log("serve")[-3000:]
    artifacts = artifacts_of(shell.api, run.id)
    assert set(artifacts) == KEYS
    report = artifacts["report-baisha"].data
    assert [g for g in GOLDEN if g not in report] == []
    assert "在白沙镇第十七届人民代表大会第三次会议上的政府专项工作报告" in report
    metrics = json.loads(artifacts["metrics-baisha"].data)
    banner = next(m for m in metrics if m["指标"] == "悬挂横幅")
    assert (banner["数值"], banner["来源文件"]) == ("258条", 20)
    assert "村（社区）60岁以上第一针覆盖率（石门村）" in {m["指标"] for m in metrics}  # by name
    ingest = json.loads(artifacts["ingest-baisha"].data)
    assert len(ingest) == 78 and {"已入库", "未能读取"} <= {f["状态"] for f in ingest}
    assert "石门村" in {f["村（社区）"] for f in ingest}  # villages by name, not code
    assert "关键检查全部通过" in artifacts["quality-baisha"].data
    assert f"[report.txt]({shell.files}/2022-12-20/report.txt)" in artifacts["files-baisha"].data
    assert "file://" not in artifacts["files-baisha"].data + report
    for key, artifact in artifacts.items():
        text = artifact.data if isinstance(artifact.data, str) else json.dumps(artifact.data)
        assert not FULL_ID.search(text) and not PHONE.search(text), key


def test_next_scheduled_run_is_0200_in_shanghai(nightly) -> None:
    shell, state = nightly
    [schedule] = state["served"].schedules
    assert (schedule.schedule.cron, schedule.schedule.timezone) == ("0 2 * * *", "Asia/Shanghai")
    assert "每天 02:00（北京时间）" in state["served"].description  # whatever the browser's zone
    start = wait_for(
        "the scheduler to plan the next run",
        lambda: next_scheduled_start(shell.api, state["served"].id),
        timeout=60,
    )
    local = start.astimezone(zoneinfo.ZoneInfo("Asia/Shanghai"))
    assert (local.hour, local.minute) == (2, 0)
    assert dt.timedelta(0) < start - dt.datetime.now(dt.UTC) <= dt.timedelta(days=1)


def test_served_run_log_is_clean(nightly) -> None:
    shell, _ = nightly
    log = shell.log("serve")
    assert "Traceback" not in log and "telemetry" not in log.lower()
    assert not re.search(r"\w+Warning: ", log), "a Python warning reached the log"
    # Warnings are the run's own (demo key, refused files, data-quality warnings), no library's.
    warnings = [line for line in log.splitlines() if "| WARNING |" in line]
    assert all(re.search(r"\| WARNING \| (Flow|Task) run '", w) for w in warnings), warnings
    for stage in (
        "discover:",
        "normalize:",
        "load:",
        "check stored data:",
        "metrics:",
        "artifacts:",
    ):
        assert stage in log, stage


def browser(tmp_path: Path) -> list[str]:
    assert CHROMIUM.exists(), "Debian's chromium is needed (make test installs it)"
    return [
        str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--no-first-run", f"--user-data-dir={tmp_path / 'chromium'}",
        "--window-size=1440,1000", "--virtual-time-budget=15000",
    ]  # fmt: skip


def dump_dom(url: str, tmp_path: Path) -> str:
    """The page as headless Chromium has it once its scripts ran."""
    return subprocess.run(
        [*browser(tmp_path), "--dump-dom", url], capture_output=True, text=True, timeout=90,
        check=True,
    ).stdout  # fmt: skip


def page_text(dom: str) -> str:
    text = html.unescape(re.sub(r"<[^>]+>", " ", re.sub(r"<(script|style).*?</\1>", "", dom)))
    return " ".join(text.split())


def test_ui_shows_the_run_completed(nightly, tmp_path) -> None:
    shell, state = nightly
    run = state["run"]
    url = f"http://127.0.0.1:{shell.port}/runs/flow-run/{run.id}"
    screenshot = tmp_path / "flow-run.png"
    words = page_text(dump_dom(url, tmp_path))
    subprocess.run(
        [*browser(tmp_path), f"--screenshot={screenshot}", url],
        capture_output=True, timeout=90, check=True,
    )  # fmt: skip
    assert run.name.startswith("白沙镇，截至2022-12-20，") and run.name.endswith("（北京时间）开始")
    assert run.name in words and "township-report" in words, words[:2000]
    assert re.search(rf"{re.escape(run.name)} Completed", words), words[:2000]
    assert screenshot.stat().st_size > 10_000


# Content types the file server must send, written out here, not taken from its code.
TEXT_TYPES = {
    ".txt": "text/plain; charset=utf-8",
    ".md": "text/markdown; charset=utf-8",
    ".csv": "text/csv; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".json": "application/json; charset=utf-8",
}


def test_artifacts_and_every_linked_file_open_through_the_file_server(nightly, tmp_path) -> None:
    """The run's artifacts in the UI carry links to each file of its published folder (the
    report's at its top); each opens from the file server with the file's own bytes."""
    shell, state = nightly
    artifacts = artifacts_of(shell.api, state["run"].id)
    published = shell.cwd / "output" / "2022-12-20"
    files = {p.relative_to(published).as_posix() for p in published.rglob("*") if p.is_file()}
    # The hidden record of what the report was made from is for the next run, not a link.
    names = {n for n in files if not n.startswith(".")}
    assert files - names == {".fingerprint"}
    assert {"report.txt", "report.docx", "quality/index.html", "refused_rows.csv"} <= names
    expected = {f"{shell.files}/2022-12-20/{urllib.parse.quote(n)}" for n in names}

    def page(key: str) -> str:
        url = f"http://127.0.0.1:{shell.port}/artifacts/artifact/{artifacts[key].id}"
        return dump_dom(url, tmp_path)

    link = re.compile(rf'href="({re.escape(shell.files)}/[^"]+)"')
    report_page, files_page = page("report-baisha"), page("files-baisha")
    assert set(link.findall(files_page)) == expected
    assert set(link.findall(report_page)) == expected
    report_words = page_text(report_page)
    assert report_words.index("本次运行的文件") < report_words.index(GOLDEN[0])  # links on top
    for url in sorted(expected):
        name = urllib.parse.unquote(url.split("/2022-12-20/", 1)[1])
        with urllib.request.urlopen(url, timeout=10) as response:
            assert response.status == 200, url
            assert response.read() == (published / name).read_bytes(), url
            suffix = Path(name).suffix
            if suffix in TEXT_TYPES:
                assert response.headers["Content-Type"] == TEXT_TYPES[suffix], url
    # As the browser shows them: the Chinese text read as UTF-8.
    shown = page_text(dump_dom(f"{shell.files}/2022-12-20/report.txt", tmp_path))
    assert [g for g in GOLDEN if g not in shown] == [] and "人民代表大会" in shown
    quality = page_text(dump_dom(f"{shell.files}/2022-12-20/quality/index.html", tmp_path))
    assert "关键检查全部通过" in quality
    # The ingest table reads in Chinese: its headings and the villages by name.
    ingest = page_text(page("ingest-baisha"))
    assert all(h in ingest for h in ("文件", "台账", "村（社区）", "状态", "已入库", "石门村"))


def test_worker_runs_the_prefect_yaml_deployment(nightly) -> None:
    shell, state = nightly
    shell.start(state["worker"], "worker")
    pooled = wait_for(
        "the prefect.yaml deployment",
        lambda: deployment(shell.api, "township-report/baisha-nightly-pool"),
    )
    [schedule] = pooled.schedules
    assert (schedule.schedule.cron, schedule.schedule.timezone) == ("0 2 * * *", "Asia/Shanghai")
    run = wait_until_final(shell.api, run_id_of(shell.run(state["trigger"], "trigger-pool")))
    assert run.state.is_completed(), shell.log("worker")[-3000:]
    report = artifacts_of(shell.api, run.id)["report-baisha"].data
    assert [g for g in GOLDEN if g not in report] == []
