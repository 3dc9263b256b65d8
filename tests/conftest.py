"""Shared fixtures: the demo township, a normalization context, one Prefect test server,
and one full demo run per pytest run.

Tests marked ``slow`` (a Prefect server, a subprocess, a full flow, many hypothesis
examples) are left out of ``make test-fast``; any test that uses the Prefect test
server or the generated demo inbox is marked slow here, whatever its module says.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import logging
import os
import pickle
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID

import pytest
from hypothesis import settings

from epireport.config import TownshipConfig, load_config
from epireport.demo import DemoInbox, generate_inbox
from epireport.settings import PROJECT_ROOT, configure_prefect_environment
from transforms.normalize import NormalizeContext
from transforms.villages import VillageIndex

# Prefect state of the test session lives in a throw-away folder, analytics off: never the
# project's .prefect/ (the user's UI database), whatever the environment says. The pytest-xdist
# workers inherit the controller's folder (SESSION_HOME), so a result one worker's run
# persisted is found by a run in another.
SESSION_HOME = "EPIREPORT_TEST_PREFECT_HOME"
# The API and the database of the session's one Prefect test server, which the controller
# starts for its workers.
SESSION_API = "EPIREPORT_TEST_PREFECT_API"
SESSION_DB = "EPIREPORT_TEST_PREFECT_DB"
# A migrated, empty Prefect database: the test server's, copied as soon as it is up.
SESSION_EMPTY_DB = "EPIREPORT_TEST_PREFECT_EMPTY_DB"
# Made here (the controller, or a run without xdist) rather than inherited: removed at the end.
_OWN_HOME = SESSION_HOME not in os.environ
if _OWN_HOME:
    os.environ[SESSION_HOME] = tempfile.mkdtemp(prefix="epireport-prefect-")
os.environ["PREFECT_HOME"] = os.environ[SESSION_HOME]
os.environ.pop("PREFECT_API_URL", None)
configure_prefect_environment()

# Hypothesis: the full profile for `make test`, a small one for the inner loop
# (`--hypothesis-profile=fast`). Tests never assert on time, so no deadline.
settings.register_profile("ci", deadline=None)
settings.register_profile("fast", max_examples=10, deadline=None)
settings.load_profile("ci")

DEMO_CONFIG = PROJECT_ROOT / "config" / "demo-township.yaml"
# A fixed run date, so that "in the future" means the same thing in every year.
RUN_DATE = dt.date(2026, 11, 29)
SLOW_MARKERS = ("e2e", "nightly")
# The Prefect test server; the generated demo inbox (about 12 s to write).
SLOW_FIXTURES = ("prefect_harness", "demo_inbox")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        fixtures = getattr(item, "fixturenames", ())
        if any(item.get_closest_marker(m) for m in SLOW_MARKERS) or any(
            f in fixtures for f in SLOW_FIXTURES
        ):
            item.add_marker(pytest.mark.slow)

    # Files with slow tests first, each file's tests kept together: under pytest-xdist
    # (--dist loadfile --no-loadscope-reorder, which keeps this order) the long files start at
    # once and the quick ones fill the gaps, instead of one worker finishing the nightly test
    # alone at the end. The README's nightly commands take longest and wait on nothing: they
    # go first; then the other end-to-end files, the first of which builds the shared demo run
    # while the nightly and county files run.
    def file_of(item: pytest.Item) -> str:
        return item.nodeid.split("::")[0]

    def files_marked(marker: str) -> set[str]:
        return {file_of(i) for i in items if i.get_closest_marker(marker)}

    tiers = [files_marked("nightly"), files_marked("e2e"), files_marked("slow")]
    items.sort(key=lambda i: [file_of(i) not in tier for tier in tiers])


@pytest.fixture(scope="session")
def demo_config() -> TownshipConfig:
    return load_config(DEMO_CONFIG)


@pytest.fixture(scope="session")
def ctx(demo_config: TownshipConfig) -> NormalizeContext:
    return NormalizeContext(
        run_date=RUN_DATE, villages=VillageIndex.from_config(demo_config), person_key=b"test-key"
    )


def _is_xdist_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def pytest_configure(config: pytest.Config) -> None:
    """The controller of a run on xdist workers starts the one Prefect test server they all
    use (one server start and one demo run per pytest run, not one per worker). The inner
    loop (``-m "not slow"``) uses no server, so none is started for it."""
    on_workers = bool(getattr(config.option, "numprocesses", None))
    if not on_workers or _is_xdist_worker(config) or "not slow" in (config.option.markexpr or ""):
        return
    from prefect.settings import PREFECT_API_URL, PREFECT_SERVER_DATABASE_CONNECTION_URL
    from prefect.testing.utilities import prefect_test_harness

    stack = contextlib.ExitStack()
    stack.enter_context(prefect_test_harness(server_startup_timeout=90))
    os.environ[SESSION_API] = PREFECT_API_URL.value()
    os.environ[SESSION_DB] = PREFECT_SERVER_DATABASE_CONNECTION_URL.value()
    config.stash[_SERVER] = stack
    empty = Path(os.environ[SESSION_HOME]) / "migrated-empty.db"
    _copy_database(Path(os.environ[SESSION_DB].split("///", 1)[1]), empty)
    os.environ[SESSION_EMPTY_DB] = str(empty)
    seeded_prefect_home(Path(os.environ[SESSION_HOME]))  # for runs with a temporary server


def _copy_database(source: Path, target: Path) -> None:
    """A consistent copy of a SQLite database another process has open."""
    with (
        contextlib.closing(sqlite3.connect(source)) as db,
        contextlib.closing(sqlite3.connect(target)) as copy,
    ):
        db.backup(copy)


def seeded_prefect_home(home: Path) -> Path:
    """A Prefect home for a server started by a test, holding a copy of the session's
    migrated empty database when there is one: the server then starts without running
    Prefect's migrations (about 6 CPU-seconds each on this suite's 2 cores). Everything
    else it does on a first start (settings, block types, services) it still does."""
    home.mkdir(parents=True, exist_ok=True)
    empty = os.environ.get(SESSION_EMPTY_DB)
    if empty and not (home / "prefect.db").exists():
        shutil.copyfile(empty, home / "prefect.db")
    return home


def pytest_unconfigure(config: pytest.Config) -> None:
    stack = config.stash.get(_SERVER, None)
    if stack is not None:
        for name in (SESSION_API, SESSION_DB, SESSION_EMPTY_DB):
            os.environ.pop(name, None)
        stack.close()
    if _OWN_HOME:
        shutil.rmtree(os.environ.pop(SESSION_HOME), ignore_errors=True)


_SERVER = pytest.StashKey[contextlib.ExitStack]()


@pytest.fixture(scope="session")
def prefect_harness():
    """The session's Prefect test server: the controller's when it started one, else one of
    this process's own (a run of selected tests with ``-m``)."""
    from prefect.settings import (
        PREFECT_API_URL,
        PREFECT_SERVER_DATABASE_CONNECTION_URL,
        temporary_settings,
    )
    from prefect.testing.utilities import prefect_test_harness

    url = os.environ.get(SESSION_API)
    if url is None:
        with prefect_test_harness(server_startup_timeout=90):
            yield
        return
    server = {PREFECT_API_URL: url, PREFECT_SERVER_DATABASE_CONNECTION_URL: os.environ[SESSION_DB]}
    with temporary_settings(updates=server):
        yield


@contextlib.contextmanager
def _built_once(tmp_path_factory, name: str) -> Iterator[Path]:
    """A folder shared by the xdist workers of this pytest run, held under a lock while the
    first worker to ask builds what it holds; the others then read it."""
    base = tmp_path_factory.getbasetemp()  # under xdist, one folder per worker in the run's
    shared = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / name
    shared.mkdir(exist_ok=True)
    with (shared / "lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield shared


@pytest.fixture(scope="session")
def demo_inbox(tmp_path_factory, demo_config: TownshipConfig) -> tuple[Path, DemoInbox]:
    """The generated demo inbox and its truth, written once per pytest run (~14 s); read-only."""
    with _built_once(tmp_path_factory, "demo-shared") as shared:
        path, truth_file = shared / "inbox", shared / "truth.pickle"
        if not truth_file.exists():
            truth = generate_inbox(path, demo_config)
            truth_file.write_bytes(pickle.dumps(truth))
            return path, truth
    return path, pickle.loads(truth_file.read_bytes())


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@contextlib.contextmanager
def collected_logs() -> Iterator[list[str]]:
    """Every log record emitted meanwhile, Prefect's flow and task run loggers included."""
    handler = _Collect()
    loggers = [logging.getLogger(n) for n in ("", "prefect", "prefect.flow_runs")]
    loggers.append(logging.getLogger("prefect.task_runs"))
    for logger in loggers:
        logger.addHandler(handler)
    try:
        yield handler.lines
    finally:
        for logger in loggers:
            logger.removeHandler(handler)


@dataclass(frozen=True)
class DemoRun:
    """The session's one full flow run on the demo inbox. Read-only: a test that alters
    the output or the stored data works on a copy."""

    inbox: Path
    truth: DemoInbox
    out: Path
    report: Path
    flow_run_id: UUID
    log_lines: tuple[str, ...]  # every log record the run emitted, for the PII scan


@pytest.fixture(scope="session")
def demo_run(demo_inbox, tmp_path_factory, prefect_harness) -> DemoRun:
    """Run once per pytest run when the workers share the controller's server (its flow run
    is then theirs too), else once in this process."""
    if os.environ.get(SESSION_API) is None:
        return _run_demo(demo_inbox, tmp_path_factory.mktemp("demo-run") / "output")
    with _built_once(tmp_path_factory, "demo-run-shared") as shared:
        record = shared / "run.pickle"
        if not record.exists():
            run = _run_demo(demo_inbox, shared / "output")
            record.write_bytes(pickle.dumps(run))
            return run
    return pickle.loads(record.read_bytes())


def _run_demo(demo_inbox: tuple[Path, DemoInbox], out: Path) -> DemoRun:
    from flows.township_report import township_report

    inbox, truth = demo_inbox
    key = os.environ.pop("EPIREPORT_PERSON_KEY", None)  # the demo township's published key
    try:
        with collected_logs() as lines:
            state = township_report(
                inbox=inbox, config_path=DEMO_CONFIG, out=out, run_date=RUN_DATE,
                return_state=True,
            )  # fmt: skip
    finally:
        if key is not None:
            os.environ["EPIREPORT_PERSON_KEY"] = key
    assert state.is_completed(), state.message
    report = state.result()
    assert report == out / "2022-12-20" / "report.txt"
    return DemoRun(inbox, truth, out, report, state.state_details.flow_run_id, tuple(lines))
