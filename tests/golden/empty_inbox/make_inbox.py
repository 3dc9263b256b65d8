"""An inbox folder that exists and holds no file at all (git keeps no empty folder, so the
case writes it).

This documents what the stages compute today from an empty inbox: every figure zero or
empty, every required submission missing, no file lines. Whether the product should run on
at all with an empty inbox is being reconsidered in a later issue; when that changes, this
case changes with it.
"""

from __future__ import annotations

from pathlib import Path


def write_inbox(inbox: Path) -> None:
    inbox.mkdir(parents=True, exist_ok=True)
