"""Shared fixtures: the demo township, a normalization context, one Prefect test server."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import pytest

from epireport.config import TownshipConfig, load_config
from epireport.demo import DemoInbox, generate_inbox
from epireport.settings import PROJECT_ROOT, configure_prefect_environment
from transforms.normalize import NormalizeContext
from transforms.villages import VillageIndex

# Prefect state of the test session lives in a throw-away folder, analytics off.
configure_prefect_environment(Path(tempfile.mkdtemp(prefix="epireport-prefect-")))

DEMO_CONFIG = PROJECT_ROOT / "config" / "demo-township.yaml"
# A fixed run date, so that "in the future" means the same thing in every year.
RUN_DATE = dt.date(2026, 11, 29)


@pytest.fixture(scope="session")
def demo_config() -> TownshipConfig:
    return load_config(DEMO_CONFIG)


@pytest.fixture(scope="session")
def ctx(demo_config: TownshipConfig) -> NormalizeContext:
    return NormalizeContext(
        run_date=RUN_DATE, villages=VillageIndex.from_config(demo_config), person_key=b"test-key"
    )


@pytest.fixture(scope="session")
def prefect_harness():
    """One temporary Prefect server for the whole session (starting one costs ~10 s)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=90):
        yield


@pytest.fixture(scope="session")
def demo_inbox(tmp_path_factory, demo_config: TownshipConfig) -> tuple[Path, DemoInbox]:
    """The generated demo inbox and its truth, written once per session (~14 s); read-only."""
    path = tmp_path_factory.mktemp("demo") / "inbox"
    return path, generate_inbox(path, demo_config)
