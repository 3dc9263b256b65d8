"""Stage 1: find the files in an inbox and fingerprint them.

Names are free-form and sub-folders arbitrary, so discovery only lists files;
what a file is comes later from its header row. Nothing found here stops the run:
a link leaving the inbox, a file gone before it was hashed or not readable, a folder that cannot be
listed are entries with a refusal code, for the ledger to list like any refused file.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from stat import S_ISREG as stat_is_file

SPREADSHEET_FORMATS: dict[str, str] = {
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".xls": "xls",
    ".csv": "csv",
}

# Refusal codes of discovery; their texts are in transforms/vocabulary.py REASON_TEXTS.
LINK_OUTSIDE_INBOX = "link_outside_inbox"
FILE_VANISHED = "file_vanished"
FILE_UNREADABLE = "file_unreadable"
FOLDER_UNREADABLE = "folder_unreadable"


@dataclass(frozen=True)
class InboxFile:
    """One file of the inbox; ``relative_path`` is how every listing names it.

    ``refusal_code`` set: the file was not read and must not be (the reader refuses it
    with that code); its size and hash are then empty.
    """

    path: Path
    relative_path: str
    format: str | None
    size_bytes: int
    sha256: str
    modified_at: float
    refusal_code: str | None = None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# What names typed on a Chinese keyboard hold: ASCII, CJK ideographs and punctuation,
# full-width forms. A name read another way into anything else was read wrongly.
_PLAIN_RANGES = ((0x20, 0x7E), (0x3000, 0x303F), (0x3400, 0x4DBF), (0x4E00, 0x9FFF),
                 (0xFF00, 0xFFEF))  # fmt: skip


def _uncommon(text: str) -> int:
    """Characters outside what a clerk types every day (GB2312's hanzi, ASCII, CJK and
    full-width punctuation): the wrong reading of a name lands on such characters."""
    count = 0
    for char in text:
        if ord(char) < 0x80:
            continue
        try:
            char.encode("gb2312")
        except UnicodeEncodeError:
            count += 1
    return count


def _plain(text: str) -> bool:
    return all(any(lo <= ord(c) <= hi for lo, hi in _PLAIN_RANGES) for c in text)


def readable_name(raw: bytes) -> str:
    """A file name as a clerk can read it: UTF-8, else GB18030 (names from a Windows zip),
    else UTF-8 with replacement characters. Always valid text for listings and DuckDB.

    Some GBK names are valid UTF-8 too (一 is D2 BB, UTF-8 for Cyrillic һ; 楦虫宫 reads as
    鸳湬): among the readings that are plain text, the one with fewest uncommon characters
    wins, UTF-8 on a tie.
    """
    readings = []
    for encoding in ("utf-8", "gb18030"):
        try:
            readings.append(raw.decode(encoding))
        except UnicodeDecodeError:
            continue
    if not readings:
        return raw.decode("utf-8", errors="replace")
    plain = [text for text in readings if _plain(text)]
    return min(plain, key=_uncommon) if plain else readings[0]


def _unique(names: list[str], raws: list[bytes]) -> list[str]:
    """Names made unique where two raw names read alike: the later ones get a short tag
    from their raw bytes, so every listing names each file apart."""
    seen: set[str] = set()
    result = []
    for name, raw in zip(names, raws, strict=True):
        if name in seen:
            stem, dot, suffix = name.rpartition(".")
            tag = hashlib.sha256(raw).hexdigest()[:8]
            name = f"{stem}~{tag}.{suffix}" if dot and stem else f"{name}~{tag}"
        seen.add(name)
        result.append(name)
    return result


def _walk(inbox: Path) -> tuple[list[Path], list[tuple[Path, str]]]:
    """Every non-hidden entry under ``inbox`` that is a file or a link, and the entries
    refused on the way (links leaving the inbox, folders that cannot be listed).

    Links inside the inbox are followed, each real folder once (no loops).
    """
    root = inbox.resolve()
    files: list[Path] = []
    refused: list[tuple[Path, str]] = []
    visited: set[Path] = set()
    pending = [inbox]
    while pending:
        folder = pending.pop()
        real = folder.resolve()
        if real in visited:
            continue
        visited.add(real)
        try:
            entries = sorted(os.scandir(folder), key=lambda e: os.fsencode(e.name))
        except OSError:
            if folder != inbox:
                refused.append((folder, FOLDER_UNREADABLE))
                continue
            raise
        for entry in entries:
            path = Path(entry.path)
            if entry.name.startswith("."):
                continue
            if entry.is_symlink() and not path.resolve().is_relative_to(root):
                refused.append((path, LINK_OUTSIDE_INBOX))
            elif entry.is_dir():
                pending.append(path)
            else:
                files.append(path)
    return files, refused


def _entry(path: Path, refusal_code: str | None, name: str) -> InboxFile | None:
    """The file's fingerprint; None for what is no regular file (a pipe, a device)."""
    fmt = SPREADSHEET_FORMATS.get(path.suffix.lower())
    if refusal_code is None:
        try:
            stat = path.stat()
            if not stat_is_file(stat.st_mode):
                return None
            return InboxFile(path, name, fmt, stat.st_size, _sha256(path), stat.st_mtime)
        except FileNotFoundError:  # removed since it was listed, or a dangling link
            refusal_code = FILE_VANISHED
        except OSError:  # a link loop, a file the run may not read
            refusal_code = FILE_UNREADABLE
    return InboxFile(path, name, fmt, 0, "", 0.0, refusal_code)


def file_entry(path: Path, name: str) -> InboxFile | None:
    """One file named by the user rather than found in an inbox, listed as ``name``."""
    return _entry(path, None, name)


def discover_files(inbox: Path) -> list[InboxFile]:
    """All files under ``inbox``, hidden ones excluded, in a stable order (by raw name).

    A file removed between listing and hashing, a link leaving the inbox and a sub-folder
    that cannot be listed are entries with a ``refusal_code``, never an error.
    """
    files, refused = _walk(inbox)
    found = [(p, None) for p in files] + refused
    raws = [os.fsencode(p.relative_to(inbox)) for p, _ in found]
    order = sorted(range(len(found)), key=lambda i: raws[i].split(b"/"))
    names = _unique([readable_name(raws[i]) for i in order], [raws[i] for i in order])
    entries = [_entry(*found[i], name) for i, name in zip(order, names, strict=True)]
    return [e for e in entries if e is not None]
