"""Where the ID hash key comes from, and who may use the published demo key."""

from __future__ import annotations

import pytest

from epireport.config import ConfigError
from epireport.settings import DEMO_PERSON_KEY, resolve_person_key


@pytest.fixture
def real_township(demo_config):
    return demo_config.model_copy(update={"demo": False})


def test_demo_township_falls_back_to_the_demo_key(demo_config, monkeypatch) -> None:
    monkeypatch.delenv(demo_config.person_key_env, raising=False)
    assert resolve_person_key(demo_config) == (DEMO_PERSON_KEY.encode(), True)


def test_environment_key_wins(demo_config, monkeypatch) -> None:
    monkeypatch.setenv(demo_config.person_key_env, "s3cret")
    assert resolve_person_key(demo_config) == (b"s3cret", False)


def test_real_township_without_a_key_refuses_naming_the_variable(real_township, monkeypatch):
    monkeypatch.delenv(real_township.person_key_env, raising=False)
    with pytest.raises(ConfigError, match="EPIREPORT_PERSON_KEY"):
        resolve_person_key(real_township)


def test_real_township_refuses_the_demo_key(real_township, monkeypatch) -> None:
    monkeypatch.setenv(real_township.person_key_env, DEMO_PERSON_KEY)
    with pytest.raises(ConfigError, match="demo key"):
        resolve_person_key(real_township)


def test_key_from_a_prefect_secret_block(real_township, monkeypatch, prefect_harness) -> None:
    from prefect.blocks.system import Secret

    Secret(value="from-the-block").save("epireport-test-person-key", overwrite=True)
    monkeypatch.delenv(real_township.person_key_env, raising=False)
    township = real_township.model_copy(
        update={"person_key_secret_block": "epireport-test-person-key"}
    )
    assert resolve_person_key(township) == (b"from-the-block", False)
    missing = real_township.model_copy(update={"person_key_secret_block": "no-such-block"})
    with pytest.raises(ConfigError, match="no-such-block"):
        resolve_person_key(missing)
