"""Each village's figures against the last published run, so that data gone missing between
runs (a roster replaced by a blank one, a file taken out of the inbox) stops the report
instead of shrinking it. The critical expectation is in ``expectations/village_trend.yaml``;
a fall the office has checked is accepted for one run (``--accept-fall``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd

from transforms.report_model import VillageCoverage

# The suite table of this check, fed from the computed figures and the published ones.
TREND_TABLE = "village_trend"
# A figure below this share of its value in the last published run has fallen sharply.
FALL_SHARE = 0.5
COLUMNS = (
    "village_code", "village", "base_before", "base_now", "doses_before", "doses_now",
    "accepted", "holds",
)  # fmt: skip


def _base_and_doses(row: dict[str, Any] | None) -> tuple[int, int]:
    """A village's population base, and the doses its residents have as the coverage table
    counts them; nothing for a village absent from one side."""
    if row is None:
        return 0, 0
    doses = sum(int(row.get(k) or 0) for k in ("v60_dose1", "v60_dose2", "booster"))
    return int(row["base"]), doses


def _published(document: dict[str, Any] | None, township: str) -> dict[str, dict[str, Any]]:
    """Village code -> its row in a published metrics.json of this township; empty otherwise."""
    try:
        if not document or document["run"]["township"] != township:
            return {}
        rows = document["sections"]["vaccination"]["village_coverage"]
        return {str(r["village_code"]): r for r in rows}
    except (KeyError, TypeError):
        return {}


def village_trend(
    current: Iterable[VillageCoverage],
    published: dict[str, Any] | None,
    township: str,
    accepted: Iterable[str] = (),
) -> pd.DataFrame:
    """One row per village of this run or the published one: population base and doses,
    before and now, and whether the village holds (no sharp fall, or a fall accepted)."""
    before = _published(published, township)
    now = {v.village_code: v.model_dump() for v in current}
    accepted_names = set(accepted)
    rows = []
    for code in sorted(now.keys() | before.keys()):
        name = str((now.get(code) or before[code]).get("village", code))
        base_before, doses_before = _base_and_doses(before.get(code))
        base_now, doses_now = _base_and_doses(now.get(code))
        fallen = base_now < FALL_SHARE * base_before or doses_now < FALL_SHARE * doses_before
        accepted_fall = fallen and name in accepted_names
        rows.append(
            (code, name, base_before, base_now, doses_before, doses_now,
             accepted_fall, not fallen or accepted_fall)
        )  # fmt: skip
    return pd.DataFrame(rows, columns=list(COLUMNS))
