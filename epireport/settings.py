"""The environment, chosen in one place: resource folders, Prefect settings, the person key."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from epireport.config import ConfigError, TownshipConfig

PROJECT_ROOT = Path(__file__).resolve().parents[1]

# Published with the code, so it protects nothing: for the fictional demo township only.
DEMO_PERSON_KEY = "DEMO-KEY-published-with-epireport-not-a-secret"

# Prefect runs offline and quietly: no analytics, a local home, time for a cold start.
PREFECT_DEFAULTS: dict[str, str] = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
    "PREFECT_LOGGING_LEVEL": "INFO",
    "GX_ANALYTICS_ENABLED": "false",
    # The UI's upgrade banners and sign-up form point outside; a township office stays offline.
    "PREFECT_SERVER_UI_SHOW_PROMOTIONAL_CONTENT": "false",
    # A heartbeat every 30 s (Prefect's shortest): a killed run is marked Crashed soon after
    # (epireport/server.py, ensure_crash_detection), not left Running.
    "PREFECT_FLOWS_HEARTBEAT_FREQUENCY": "30",
}
# The local servers (epireport/server.py): the Prefect UI and API, and the read-only file
# server of the output folder that the artifacts' links open. Loopback only; `make ui` and
# `make report` set both ports from UI_PORT and FILES_PORT.
HOST = "127.0.0.1"
UI_PORT_ENV = "EPIREPORT_UI_PORT"
UI_PORT_DEFAULT = 4200
FILES_PORT_ENV = "EPIREPORT_FILES_PORT"
FILES_PORT_DEFAULT = 4201
# How long a run waits for another run to leave its output folder (flows/run_lock.py).
RUN_LOCK_WAIT_ENV = "EPIREPORT_RUN_LOCK_WAIT_SECONDS"
RUN_LOCK_WAIT_DEFAULT_SECONDS = 600.0


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

    @property
    def indicators_path(self) -> Path:
        """The indicator registry: what every figure of the report counts."""
        return self.sql_dir / "indicators.yaml"

    @property
    def checks_dir(self) -> Path:
        return self.sql_dir / "checks"

    @property
    def quality_sql_dir(self) -> Path:
        return self.sql_dir / "quality"


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


def port_number(text: str) -> int | None:
    """The TCP port ``text`` names (1-65535), or None when it names none."""
    return int(text) if text.isdigit() and 0 < int(text) < 65536 else None


def _port(env: str, default: int) -> int:
    text = os.environ.get(env)
    if not text:
        return default
    port = port_number(text)
    if port is None:
        raise ConfigError(f"{env}: not a port number (1-65535): {text!r}")
    return port


def ui_port() -> int:
    """Where `epireport server` puts the Prefect UI and API, and where a run looks for it."""
    return _port(UI_PORT_ENV, UI_PORT_DEFAULT)


def files_port() -> int:
    """Where `epireport server` serves the output folder."""
    return _port(FILES_PORT_ENV, FILES_PORT_DEFAULT)


def local_api_url() -> str:
    """The API of the local Prefect server that `epireport server` (`make ui`) starts."""
    return f"http://{HOST}:{ui_port()}/api"


def files_url() -> str:
    return f"http://{HOST}:{files_port()}"


def run_lock_wait_seconds() -> float:
    """Seconds a run waits for the output folder's lock; the environment may shorten it."""
    text = os.environ.get(RUN_LOCK_WAIT_ENV)
    if not text:
        return RUN_LOCK_WAIT_DEFAULT_SECONDS
    try:
        return max(0.0, float(text))
    except ValueError as e:
        raise ConfigError(f"{RUN_LOCK_WAIT_ENV}: not a number of seconds: {text!r}") from e


def _secret_from_block(name: str) -> str:
    from prefect.blocks.system import Secret

    try:
        return Secret.load(name).get()
    except ValueError as e:
        raise ConfigError(f"person_key_secret_block: no Prefect Secret block named '{name}'") from e


def resolve_person_key(config: TownshipConfig) -> tuple[bytes, bool]:
    """The secret for hashing ID numbers, and whether it is the published demo key.

    The environment variable named in the config wins, then the Prefect Secret block it
    names; only the demo township may fall back to the demo key, and no other township
    may use it at all.
    """
    secret = os.environ.get(config.person_key_env)
    if not secret and config.person_key_secret_block:
        secret = _secret_from_block(config.person_key_secret_block)
    if not secret:
        if not config.demo:
            raise ConfigError(
                f"person_key_env: environment variable {config.person_key_env} is not set; "
                "it must hold the secret used to hash ID numbers"
            )
        secret = DEMO_PERSON_KEY
    is_demo_key = secret == DEMO_PERSON_KEY
    if is_demo_key and not config.demo:
        raise ConfigError(
            "person_key_env: the published demo key may only be used by the demo township; "
            "set a secret of your own"
        )
    return secret.encode(), is_demo_key
