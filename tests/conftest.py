"""Shared fixtures: the demo township and a normalization context."""

from __future__ import annotations

import datetime as dt

import pytest

from epireport.config import TownshipConfig, load_config
from epireport.settings import PROJECT_ROOT
from transforms.normalize import NormalizeContext
from transforms.villages import VillageIndex

DEMO_CONFIG = PROJECT_ROOT / "config" / "demo-township.yaml"
RUN_DATE = dt.date(2026, 11, 29)


@pytest.fixture(scope="session")
def demo_config() -> TownshipConfig:
    return load_config(DEMO_CONFIG)


@pytest.fixture(scope="session")
def ctx(demo_config: TownshipConfig) -> NormalizeContext:
    return NormalizeContext(
        run_date=RUN_DATE, villages=VillageIndex.from_config(demo_config), person_key=b"test-key"
    )
