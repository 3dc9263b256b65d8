"""One run at a time per output folder, so two runs never interleave their writes.

Why a lock file and not a Prefect concurrency limit: runs start from ``epireport run``
(each with its own temporary Prefect server), from ``epireport serve`` and from workers,
and these need not share one Prefect database; what they do share is the output folder.
The folder holds everything a run writes (the township's DuckDB file, the run folders,
the ``latest`` link), so locking the folder also locks each township writing into it.

The lock is an exclusive ``flock`` on ``OUT/.epireport.lock``. The kernel drops it when
the holding process ends, even by a crash or a kill, so a stale lock never blocks the
next night. A second run waits up to ``EPIREPORT_RUN_LOCK_WAIT_SECONDS`` (default 600)
and then fails with a message naming the holder's PID.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import functools
import inspect
import json
import logging
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, ParamSpec, TypeVar

from epireport.settings import run_lock_wait_seconds

LOCK_NAME = ".epireport.lock"
POLL_SECONDS = 0.2

P = ParamSpec("P")
R = TypeVar("R")


class RunLocked(RuntimeError):
    """Another run holds the output folder; the message says which and since when."""


def _holder(fh: IO[str]) -> str:
    fh.seek(0)
    try:
        info = json.loads(fh.read() or "{}")
    except ValueError:
        info = {}
    if not info:
        return "another run"
    return f"the run of {info.get('what', '?')} (PID {info.get('pid')}, since {info.get('since')})"


@contextmanager
def run_lock(
    out: Path,
    what: str,
    wait_seconds: float,
    on_wait: Callable[[str], None] = lambda _message: None,
) -> Iterator[None]:
    """Hold the output folder's lock for the ``with`` block.

    Args:
        out: the output folder (created if missing).
        what: who takes the lock, written into the lock file for the next run's message.
        wait_seconds: how long to wait for a holder to finish before raising ``RunLocked``.
        on_wait: told once, with the holder's description, when the lock is busy.
    """
    out.mkdir(parents=True, exist_ok=True)
    path = out / LOCK_NAME
    with path.open("a+", encoding="utf-8") as fh:
        deadline = time.monotonic() + wait_seconds
        told = False
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not told:
                    on_wait(_holder(fh))
                    told = True
                if time.monotonic() >= deadline:
                    raise RunLocked(
                        f"{out} is in use by {_holder(fh)}; waited {wait_seconds:g} s. "
                        "Only one run at a time may write to an output folder: "
                        "try again when it has finished."
                    ) from None
                time.sleep(POLL_SECONDS)
        try:
            fh.seek(0)
            fh.truncate()
            since = dt.datetime.now().astimezone().isoformat(timespec="seconds")
            fh.write(json.dumps({"pid": os.getpid(), "what": what, "since": since}))
            fh.flush()
            yield
        finally:
            fh.seek(0)
            fh.truncate()
            fcntl.flock(fh, fcntl.LOCK_UN)


def _logger() -> logging.Logger | logging.LoggerAdapter:
    from prefect.exceptions import MissingContextError
    from prefect.logging import get_run_logger

    try:
        return get_run_logger()
    except MissingContextError:
        return logging.getLogger(__name__)


def one_run_at_a_time(fn: Callable[P, R]) -> Callable[P, R]:
    """Run ``fn`` (a flow function with ``out`` and ``config_path`` parameters) under the lock."""
    signature = inspect.signature(fn)

    @functools.wraps(fn)
    def locked(*args: P.args, **kwargs: P.kwargs) -> R:
        bound = signature.bind(*args, **kwargs)
        out, config_path = Path(bound.arguments["out"]), Path(bound.arguments["config_path"])
        logger = _logger()
        with run_lock(
            out,
            what=config_path.name,
            wait_seconds=run_lock_wait_seconds(),
            on_wait=lambda holder: logger.info("waiting: %s is in use by %s", out, holder),
        ):
            return fn(*args, **kwargs)

    # Prefect types the parameters from the signature; with its annotations evaluated here,
    # in ``fn``'s module, it need not resolve names such as ``dt`` in this module's globals.
    locked.__signature__ = inspect.signature(fn, eval_str=True)  # type: ignore[attr-defined]
    return locked
