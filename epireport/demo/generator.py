"""Orchestrates a demo inbox: scale → plan → files → expected figures."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from epireport.config import TownshipConfig
from epireport.demo.inbox import DemoFile, DemoInbox
from epireport.demo.plan import DEFAULT_PERSONS, build_plan, resolve_config
from epireport.demo.render import render_inbox
from epireport.demo.truth import compute_figures

MIN_PERSONS = 1000


def _scale(config: TownshipConfig, persons: int | None, villages: int | None) -> float:
    """Size factor against the calibrated default; villages alone scale persons with them."""
    if persons is not None:
        if persons < MIN_PERSONS:
            raise ValueError(f"--persons must be at least {MIN_PERSONS}")
        return persons / DEFAULT_PERSONS
    if villages is not None:
        return villages / len(config.villages)
    return 1.0


def _file_truth(config: TownshipConfig, files: list[DemoFile]) -> dict[str, Any]:
    """What the pipeline must refuse, load once, replace, and find missing."""
    loaded = [f for f in files if not (f.refused or f.duplicate_of or f.superseded_by)]
    received = {(f.village, f.kind) for f in loaded if f.village is not None}
    missing = [
        {"village": v.name, "code": v.code, "kind": kind}
        for v in config.villages
        for kind in config.required_kinds
        if (v.code, kind) not in received
    ]
    return {
        "files": {
            "total": len(files),
            "loaded": len(loaded),
            "by_kind": dict(sorted(Counter(str(f.kind) for f in loaded).items())),
            "by_format": dict(sorted(Counter(f.format for f in files).items())),
        },
        "refused_rows": [
            {"file": f.path, "sheet": r.sheet, "row": r.row, "reason": r.reason}
            for f in files
            if not f.refused
            for r in f.refused_rows
        ],
        "refused_files": [{"file": f.path, "reason": f.refused} for f in files if f.refused],
        "duplicate_files": [
            {"file": f.path, "duplicate_of": f.duplicate_of} for f in files if f.duplicate_of
        ],
        "superseded_files": [
            {"file": f.path, "superseded_by": f.superseded_by} for f in files if f.superseded_by
        ],
        "completeness": {"required_kinds": list(config.required_kinds), "missing": missing},
    }


def generate_inbox(
    out_dir: Path,
    config: TownshipConfig,
    *,
    seed: int = 2022,
    persons: int | None = None,
    villages: int | None = None,
) -> DemoInbox:
    """Write a realistic raw-file inbox for ``config`` and return its expected figures.

    With the demo config and no ``persons``/``villages`` the figures are the seed
    report's golden ones. ``out_dir`` must be empty or absent, so that no stale
    file from an earlier run slips into the inbox.
    """
    out_dir = Path(out_dir)
    if out_dir.exists() and any(out_dir.iterdir()):
        raise FileExistsError(f"{out_dir} is not empty")
    scale = _scale(config, persons, villages)
    resolved = resolve_config(config, villages, seed)
    plan = build_plan(resolved, seed, scale)
    out_dir.mkdir(parents=True, exist_ok=True)
    files = render_inbox(plan, out_dir)
    truth = {
        "seed": seed,
        "scale": {
            "factor": round(scale, 6),
            "persons": persons,
            "villages": len(resolved.villages),
        },
        **compute_figures(plan),
        **_file_truth(resolved, files),
    }
    return DemoInbox(config=resolved, truth=truth, files=files)
