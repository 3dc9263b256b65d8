"""Demo inbox generator: the raw files a township's villages and clinics hand in.

``generate_inbox`` writes a calibrated, deterministic inbox (same seed, same
bytes) together with the figures a correct pipeline must find in it; the demo
township at default scale reproduces the seed report's golden figures.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

import yaml

from epireport.config import TownshipConfig, load_config
from epireport.demo.generator import generate_inbox
from epireport.demo.inbox import DemoFile, DemoInbox, RefusedRow

__all__ = [
    "DemoFile",
    "DemoInbox",
    "RefusedRow",
    "generate_inbox",
    "main_demo_data",
    "write_config",
]


def write_config(config: TownshipConfig, path: Path) -> None:
    """Dump a config as YAML that ``load_config`` reads back (for scaled demo runs)."""
    data = config.model_dump(mode="json", exclude_none=True)
    text = "# Township master data written by `epireport demo-data`.\n" + yaml.safe_dump(
        data, allow_unicode=True, sort_keys=False
    )
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def main_demo_data(
    out_dir: Path,
    seed: int,
    persons: int | None,
    villages: int | None,
    config_path: Path,
    config_out: Path | None,
    truth_out: Path | None = None,
) -> int:
    """``epireport demo-data``: write the inbox (and optionally config and truth); 0 on success."""
    config = load_config(config_path)
    try:
        inbox = generate_inbox(out_dir, config, seed=seed, persons=persons, villages=villages)
    except (FileExistsError, ValueError) as e:
        print(f"epireport: {e}", file=sys.stderr)
        return 2
    if config_out is not None:
        write_config(inbox.config, config_out)
    if truth_out is not None:
        truth_out = Path(truth_out)
        truth_out.parent.mkdir(parents=True, exist_ok=True)
        truth_out.write_text(
            json.dumps(inbox.truth, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
    kinds = Counter(f.kind or "unrecognised" for f in inbox.files)
    population = inbox.truth["population"]
    vaccination = inbox.truth["vaccination"]
    print(f"Demo inbox: {out_dir} ({len(inbox.files)} files, seed {seed})")
    for kind, count in sorted(kinds.items()):
        print(f"  {kind:<14} {count}")
    print(
        f"  persons on rosters {population['roster_persons']}, "
        f"villages {len(inbox.config.villages)}, "
        f"dose records {vaccination['records']} ({vaccination['distinct_doses']} distinct doses)"
    )
    print(
        f"  refused files {len(inbox.truth['refused_files'])}, "
        f"refused rows {len(inbox.truth['refused_rows'])}"
    )
    return 0
