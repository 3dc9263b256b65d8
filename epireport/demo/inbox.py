"""What a generated demo inbox contains: the manifest the tests and benchmarks read."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from epireport.config import FileKind, TownshipConfig


@dataclass(frozen=True)
class RefusedRow:
    """A row the pipeline must refuse: 1-based row (CSV: line) in ``sheet``."""

    sheet: str | None
    row: int
    reason: str


@dataclass(frozen=True)
class DemoFile:
    """One file in the inbox and what the pipeline should make of it."""

    path: str  # relative to the inbox, "/"-separated
    kind: FileKind | None  # None when no kind can be recognised
    format: str  # "xlsx", "xls" or "csv"
    encoding: str | None = None  # CSV only
    delimiter: str | None = None  # CSV only
    quirks: list[str] = field(default_factory=list)
    data_rows: int = 0  # data rows written, refused ones included
    refused_rows: list[RefusedRow] = field(default_factory=list)
    refused: str | None = None  # reason code when the whole file must be refused
    village: str | None = None  # village code for per-village kinds
    duplicate_of: str | None = None  # same bytes as this earlier file: load once
    superseded_by: str | None = None  # a corrected re-submission replaces this file


@dataclass(frozen=True)
class DemoInbox:
    """A generated inbox: its config, expected figures and file manifest."""

    config: TownshipConfig
    truth: dict[str, Any]
    files: list[DemoFile]
