"""Stage 7: put a run's files in place so that readers never see a half-written run.

A run is written in full into its own folder under ``OUT/.runs/``; ``OUT/<cut-off date>``
and ``OUT/latest`` are symlinks switched by rename once it is complete, so until the
switch the previous report stays where it was, and a crash leaves at most a stray folder
under ``.runs/``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import shutil
from pathlib import Path
from typing import Any

import polars as pl

from epireport.faults import fault_point

# What makes a spreadsheet program read a cell as a formula: the four signs, and a TAB or
# CR in front of them (or of anything), which Excel and LibreOffice skip before parsing.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def escape_cell(value: Any) -> Any:
    """Keep spreadsheet programs from running a cell as a formula (CSV injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def frame_to_csv(frame: pl.DataFrame) -> str:
    """UTF-8 CSV with a BOM (so Excel opens Chinese text correctly), formulas escaped.

    Lines end in CRLF, as RFC 4180 has it: the writer then quotes every cell holding a CR
    or LF, so a stray CR in a cell cannot start a row of its own.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(frame.columns)
    for row in frame.iter_rows():
        writer.writerow([escape_cell(v) for v in row])
    return "\ufeff" + buffer.getvalue()


def _write(path: Path, content: str | bytes) -> None:
    data = content.encode("utf-8") if isinstance(content, str) else content
    with path.open("wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


RUNS_FOLDER = ".runs"


def _switch_link(link: Path, target: Path) -> None:
    """Point ``link`` at ``target`` in one rename, replacing what was there."""
    if link.is_dir() and not link.is_symlink():
        legacy = link.parent / RUNS_FOLDER / f"{link.name}.legacy-{os.getpid()}"
        link.rename(legacy)
    temporary = link.parent / f".{link.name}.link-{os.getpid()}"
    temporary.unlink(missing_ok=True)
    temporary.symlink_to(target, target_is_directory=True)
    temporary.replace(link)


def publish_run(out_root: Path, run_name: str, texts: dict[str, str | bytes]) -> Path:
    """Write ``texts`` (name -> text, or bytes for docx and PNG) as ``out_root/run_name``;
    point ``latest`` at it.

    Each run is written in full to its own folder under ``.runs/``; ``run_name`` and
    ``latest`` are symlinks switched by rename, so at every instant both name a complete
    run: the previous one until the new one is whole. A name may hold sub-folders
    (``quality/index.html``).
    """
    runs = out_root / RUNS_FOLDER
    runs.mkdir(parents=True, exist_ok=True)
    version = f"{run_name}.{dt.datetime.now():%Y%m%dT%H%M%S%f}-{os.getpid()}"
    staging = runs / f"{version}.partial"
    staging.mkdir()
    for name, text in texts.items():
        (staging / name).parent.mkdir(parents=True, exist_ok=True)
        _write(staging / name, text)
    fault_point("publish")
    staging.rename(runs / version)
    _switch_link(out_root / run_name, Path(RUNS_FOLDER) / version)
    _switch_link(out_root / "latest", Path(run_name))
    for stale in runs.glob(f"{run_name}.*"):
        if stale.name != version:
            shutil.rmtree(stale, ignore_errors=True)
    return out_root / run_name


def metrics_json(sections: dict[str, Any]) -> str:
    return json.dumps(sections, ensure_ascii=False, indent=2, default=str) + "\n"


def read_previous_metrics(
    out_root: Path, cutoff: dt.date, same_cutoff: bool = False
) -> dict[str, Any] | None:
    """The metrics.json of the latest earlier run under ``out_root`` (folders named by cut-off
    date), so the report can say what changed; None when there is none or it cannot be read.
    With ``same_cutoff``, a published run of this cut-off (the one this run replaces) counts.
    """
    earlier: list[tuple[dt.date, Path]] = []
    for folder in out_root.glob("*/metrics.json") if out_root.is_dir() else ():
        try:
            run_cutoff = dt.date.fromisoformat(folder.parent.name)
        except ValueError:
            continue  # "latest", hidden staging folders and anything else
        if run_cutoff < cutoff or (same_cutoff and run_cutoff == cutoff):
            earlier.append((run_cutoff, folder))
    for _, path in sorted(earlier, reverse=True):
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
    return None
