"""Stage 7: put a run's files in place so that readers never see a half-written run.

Files are written into a hidden staging folder, which then replaces the run's
folder by rename; ``latest`` is a symlink switched by rename as well. Until the
switch, the previous report stays where it was.
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

FORMULA_PREFIXES = ("=", "+", "-", "@")


def escape_cell(value: Any) -> Any:
    """Keep spreadsheet programs from running a cell as a formula (CSV injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def frame_to_csv(frame: pl.DataFrame) -> str:
    """UTF-8 CSV with a BOM (so Excel opens Chinese text correctly), formulas escaped."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
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


def publish_run(out_root: Path, run_name: str, texts: dict[str, str | bytes]) -> Path:
    """Write ``texts`` (name -> text, or bytes for docx and PNG) as ``out_root/run_name``;
    point ``latest`` at it.

    A name may hold sub-folders (``quality/index.html``); they are made inside the run's folder.
    """
    out_root.mkdir(parents=True, exist_ok=True)
    final = out_root / run_name
    staging = out_root / f".{run_name}.staging-{os.getpid()}"
    retired = out_root / f".{run_name}.retired-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    for name, text in texts.items():
        (staging / name).parent.mkdir(parents=True, exist_ok=True)
        _write(staging / name, text)
    if final.exists():
        final.rename(retired)
    staging.rename(final)
    shutil.rmtree(retired, ignore_errors=True)
    link_tmp = out_root / f".latest-{os.getpid()}"
    link_tmp.unlink(missing_ok=True)
    link_tmp.symlink_to(run_name, target_is_directory=True)
    link_tmp.replace(out_root / "latest")
    return final


def metrics_json(sections: dict[str, Any]) -> str:
    return json.dumps(sections, ensure_ascii=False, indent=2, default=str) + "\n"


def read_previous_metrics(out_root: Path, cutoff: dt.date) -> dict[str, Any] | None:
    """The metrics.json of the latest earlier run under ``out_root`` (folders named by cut-off
    date), so the report can say what changed; None when there is none or it cannot be read.
    """
    earlier: list[tuple[dt.date, Path]] = []
    for folder in out_root.glob("*/metrics.json") if out_root.is_dir() else ():
        try:
            run_cutoff = dt.date.fromisoformat(folder.parent.name)
        except ValueError:
            continue  # "latest", hidden staging folders and anything else
        if run_cutoff < cutoff and not folder.parent.is_symlink():
            earlier.append((run_cutoff, folder))
    for _, path in sorted(earlier, reverse=True):
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
    return None
