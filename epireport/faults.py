"""Fault injection for the crash-safety tests: ``EPIREPORT_FAULT=<stage>[:kill]``.

Each stage calls ``fault_point`` at its most delicate moment (mid-transaction, files
written but not yet switched in). Unset, it does nothing.
"""

from __future__ import annotations

import os
import signal

FAULT_ENV = "EPIREPORT_FAULT"


class InjectedFault(RuntimeError):
    """Raised where a test asked for a fault."""


def fault_point(stage: str) -> None:
    """Raise (``<stage>``) or kill the process outright (``<stage>:kill``) when asked to."""
    wanted = os.environ.get(FAULT_ENV, "")
    if not wanted:
        return
    name, _, mode = wanted.partition(":")
    if name != stage:
        return
    if mode == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    raise InjectedFault(f"fault injected in stage {stage}")
