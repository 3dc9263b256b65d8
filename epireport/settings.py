"""The environment, chosen in one place: resource folders, Prefect settings, the person key."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from epireport.config import ConfigError, TownshipConfig

PROJECT_ROOT = Path(__file__).resolve().parents[1]

# Prefect runs offline and quietly: no analytics, a local home, time for a cold start.
PREFECT_DEFAULTS: dict[str, str] = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
    "PREFECT_LOGGING_LEVEL": "INFO",
    "GX_ANALYTICS_ENABLED": "false",
}


@dataclass(frozen=True)
class Resources:
    """Where the SQL, templates and expectation suites live."""

    sql_dir: Path
    templates_dir: Path
    expectations_dir: Path

    @property
    def models_dir(self) -> Path:
        return self.sql_dir / "models"

    @property
    def metrics_dir(self) -> Path:
        return self.sql_dir / "metrics"


def project_resources(root: Path = PROJECT_ROOT) -> Resources:
    return Resources(
        sql_dir=root / "sql",
        templates_dir=root / "templates",
        expectations_dir=root / "expectations",
    )


def configure_prefect_environment(home: Path | None = None) -> None:
    """Set offline defaults before Prefect is imported; explicit settings win."""
    for name, value in PREFECT_DEFAULTS.items():
        os.environ.setdefault(name, value)
    os.environ.setdefault("PREFECT_HOME", str(home or Path.cwd() / ".prefect"))


def resolve_person_key(config: TownshipConfig) -> tuple[bytes, bool]:
    """The secret for hashing ID numbers and whether it is the published demo key.

    The environment variable named in the config wins; only a config that declares a
    demo key may fall back to it.
    """
    secret = os.environ.get(config.person_key_env)
    if secret:
        if config.demo_person_key and secret == config.demo_person_key:
            return secret.encode(), True
        return secret.encode(), False
    if config.demo_person_key:
        return config.demo_person_key.encode(), True
    raise ConfigError(
        f"person_key_env: environment variable {config.person_key_env} is not set; "
        "it must hold the secret used to hash ID numbers"
    )
