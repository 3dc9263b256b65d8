"""Stage 1: find the files in an inbox and fingerprint them.

Names are free-form and sub-folders arbitrary, so discovery only lists files;
what a file is comes later from its header row.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

SPREADSHEET_FORMATS: dict[str, str] = {
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".xls": "xls",
    ".csv": "csv",
}


@dataclass(frozen=True)
class InboxFile:
    """One file of the inbox; ``relative_path`` is how every listing names it."""

    path: Path
    relative_path: str
    format: str | None
    size_bytes: int
    sha256: str
    modified_at: float


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def discover_files(inbox: Path) -> list[InboxFile]:
    """All regular files under ``inbox``, hidden ones excluded, in a stable order."""
    found = []
    for path in sorted(inbox.rglob("*")):
        rel = path.relative_to(inbox)
        if not path.is_file() or any(part.startswith(".") for part in rel.parts):
            continue
        stat = path.stat()
        found.append(
            InboxFile(
                path=path,
                relative_path=rel.as_posix(),
                format=SPREADSHEET_FORMATS.get(path.suffix.lower()),
                size_bytes=stat.st_size,
                sha256=_sha256(path),
                modified_at=stat.st_mtime,
            )
        )
    return found
