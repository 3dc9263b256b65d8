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


def _doses(v: dict[str, Any] | VillageCoverage) -> int:
    """Doses a village's residents have, as the coverage table counts them."""
    get = v.get if isinstance(v, dict) else lambda k: getattr(v, k)
    return int(get("v60_dose1") or 0) + int(get("v60_dose2") or 0) + int(get("booster") or 0)


def _published(document: dict[str, Any] | None, township: str) -> dict[str, dict[str, Any]]:
    """Village code -> its row in a published metrics.json of this township; empty otherwise."""
    try:
        if not document or document["run"]["township"] != township:
            return {}
        rows = document["sections"]["vaccination"]["village_coverage"]
        return {str(r["village_code"]): r for r in rows}
    except (KeyError, TypeError):
        return {}


def fell(before: int, now: int) -> bool:
    return now < FALL_SHARE * before


def village_trend(
    current: Iterable[VillageCoverage],
    published: dict[str, Any] | None,
    township: str,
    accepted: Iterable[str] = (),
) -> pd.DataFrame:
    """One row per village of this run or the published one: population base and doses,
    before and now, and whether the village holds (no sharp fall, or a fall accepted)."""
    before = _published(published, township)
    now = {v.village_code: v for v in current}
    accepted_names = set(accepted)
    rows = []
    for code in sorted(now.keys() | before.keys()):
        was, v = before.get(code), now.get(code)
        name = v.village if v else str(was.get("village", code)) if was else code
        base_before = int(was["base"]) if was else 0
        doses_before = _doses(was) if was else 0
        base_now = v.base if v else 0
        doses_now = _doses(v) if v else 0
        fallen = fell(base_before, base_now) or fell(doses_before, doses_now)
        rows.append(
            (code, name, base_before, base_now, doses_before, doses_now,
             fallen and name in accepted_names, not fallen or name in accepted_names)
        )  # fmt: skip
    return pd.DataFrame(rows, columns=list(COLUMNS))
