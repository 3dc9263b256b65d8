"""The duplicates case's figures, recounted from make_inbox.py's raw rows with plain Python.

Nothing here uses the project's code: the rules are the spec's, written again (see each
function). ``python tests/golden/duplicates/independent.py`` prints what it computes.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import math
import sys
from fractions import Fraction
from pathlib import Path
from types import ModuleType

R = dt.date(2022, 12, 20)  # township.yaml cutoff_date
PERIOD = (dt.date(2022, 1, 1), dt.date(2022, 12, 20))
RUN_DATE = dt.date(2026, 11, 29)  # expected.json run_date
VACCINATION_START = dt.date(2020, 12, 15)
VILLAGES = ("南山村", "北湖村", "东坡社区")  # master-data order
REQUIRED = (("roster", "人口花名册"), ("publicity", "宣传工作台账"))
OUT_OF_BASE = {"死亡", "迁出"}
DOSE = {"第一针": 1, "第一剂": 1, "1": 1, "第二针": 2, "第二剂": 2, "2": 2,
        "3": 3, "加强针": 3, "序贯加强": 3}  # fmt: skip
PUBLICITY = {"宣传单": "leaflet", "横幅": "banner", "广播": "audio", "入户宣讲": "talk"}


def _raw() -> ModuleType:
    path = Path(__file__).with_name("make_inbox.py")
    spec = importlib.util.spec_from_file_location("golden_duplicates_raw_rows", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def birth_of(pid: str) -> dt.date:
    return dt.date(int(pid[6:10]), int(pid[10:12]), int(pid[12:14]))


def age_at(birth: dt.date, on: dt.date) -> int:
    """Completed years: one less while the birthday of that year is still to come."""
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def pct(numerator: int, denominator: int) -> str | None:
    """100 x n / d rounded half up to two decimals, capped at 100; None without persons."""
    if denominator == 0:
        return None
    hundredths = math.floor(Fraction(100 * 100 * numerator, denominator) + Fraction(1, 2))
    hundredths = min(hundredths, 100 * 100)
    return f"{hundredths // 100}.{hundredths % 100:02d}"


def _latest(versions: list[tuple[str, object]]) -> object:
    """A village's re-submission replaces its earlier one: the later 填报日期 wins."""
    return max(versions, key=lambda v: v[0])[1]


def expected() -> dict:
    raw = _raw()
    # Files that count: each village's latest roster and log; the clinic export once (its copy
    # is the same bytes); the village's own vaccination list.
    rosters = {
        "南山村": [row for rows in raw.NANSHAN_ROSTER.values() for row in rows],
        "北湖村": _latest([(raw.BEIHU_ROSTER_EARLY_ON, raw.BEIHU_ROSTER_EARLY),
                           (raw.BEIHU_ROSTER_LATE_ON, raw.BEIHU_ROSTER_LATE)]),
        "东坡社区": raw.DONGPO_ROSTER,
    }  # fmt: skip
    publicity = {
        "南山村": raw.NANSHAN_PUBLICITY,
        "北湖村": _latest([(raw.BEIHU_PUBLICITY_EARLY_ON, raw.BEIHU_PUBLICITY_EARLY),
                           (raw.BEIHU_PUBLICITY_LATE_ON, raw.BEIHU_PUBLICITY_LATE)]),
    }  # fmt: skip
    vaccination_files = [
        [(pid, dose, day, mode) for _, pid, dose, day, mode in raw.CLINIC_EXPORT],
        [(pid, dose, day, None) for _, _, pid, dose, day in raw.VILLAGE_LIST],
    ]
    # A vaccination dated after the run date (or before the programme) is refused.
    records = [
        (pid, DOSE[dose], dt.date.fromisoformat(day), mode)
        for rows in vaccination_files
        for pid, dose, day, mode in rows
        if VACCINATION_START <= dt.date.fromisoformat(day) <= RUN_DATE
    ]

    # Persons: distinct IDs on the rosters; in the base unless every entry is 死亡/迁出; the
    # village is that of an entry that keeps them in the base (planted so there is one).
    entries: dict[str, list[tuple[str, str]]] = {}
    for village, rows in rosters.items():
        for _, _, pid, status in rows:
            entries.setdefault(pid, []).append((village, status))
    base: dict[str, str] = {}
    for pid, person_entries in entries.items():
        villages = {v for v, status in person_entries if status not in OUT_OF_BASE}
        assert len(villages) <= 1, f"{pid}: in the base in two villages, planted ambiguously"
        if villages:
            base[pid] = villages.pop()

    # Doses: one per (person, dose), dated by the earliest record, with that record's mode.
    earliest: dict[tuple[str, int], tuple[dt.date, set]] = {}
    for pid, dose, day, mode in records:
        first = earliest.get((pid, dose))
        if first is None or day < first[0]:
            earliest[(pid, dose)] = (day, {mode})
        elif day == first[0]:
            first[1].add(mode)
    doses: dict[str, dict[int, tuple[dt.date, str | None]]] = {}
    for (pid, dose), (day, modes) in earliest.items():
        assert len(modes) == 1, f"{pid} dose {dose}: earliest records disagree on the mode"
        doses.setdefault(pid, {})[dose] = (day, modes.pop())

    def counts(pids: list[str]) -> dict:
        def by_r(pid: str) -> dict[int, tuple[dt.date, str | None]]:
            return {d: v for d, v in doses.get(pid, {}).items() if v[0] <= R}

        ages = {pid: age_at(birth_of(pid), R) for pid in pids}
        p60 = [p for p in pids if ages[p] >= 60]
        p18 = [p for p in pids if ages[p] >= 18]
        p3_11 = [p for p in pids if 3 <= ages[p] <= 11]
        home = {p: sum(mode == "上门" for _, mode in by_r(p).values()) for p in pids}
        return {
            "base": len(pids),
            "p60": len(p60),
            "v60_dose1": sum(1 in by_r(p) for p in p60),
            "v60_dose2": sum(2 in by_r(p) for p in p60),
            "p18": len(p18),
            "booster": sum(3 in by_r(p) for p in p18),
            "p3_11": len(p3_11),
            "v3_11_dose1": sum(1 in by_r(p) for p in p3_11),
            "door_to_door_doses": sum(home.values()),
            "door_to_door_elderly_persons": sum(home[p] > 0 for p in p60),
            "door_to_door_children_persons": sum(home[p] > 0 for p in p3_11),
        }

    def with_rates(c: dict) -> dict:
        return c | {
            "v60_dose1_pct": pct(c["v60_dose1"], c["p60"]),
            "v60_dose2_pct": pct(c["v60_dose2"], c["p60"]),
            "booster_pct": pct(c["booster"], c["p18"]),
        }

    township = counts(list(base))
    township |= with_rates(township) | {
        "v3_11_dose1_pct": pct(township["v3_11_dose1"], township["p3_11"])
    }
    village_keys = ("base", "p60", "v60_dose1", "v60_dose2", "p18", "booster")
    by_village = {
        v: with_rates({k: c[k] for k in village_keys})
        for v in VILLAGES
        if (c := counts([p for p, pv in base.items() if pv == v]))["base"]
    }
    loaded_vaccination_rows = len(records)
    township["village_coverage"] = by_village
    township["sources"] = {
        "files": len(rosters) + len(vaccination_files),
        "rows": sum(len(rows) for rows in rosters.values()) + loaded_vaccination_rows,
    }

    totals = dict.fromkeys(("broadcast", "poster", "banner", "leaflet", "audio", "talk"), 0)
    for rows in publicity.values():
        for day, kind, quantity in rows:
            if PERIOD[0] <= dt.date.fromisoformat(day) <= min(PERIOD[1], R):
                totals[PUBLICITY[kind]] += int(quantity)

    received = {("roster", v) for v in rosters} | {("publicity", v) for v in publicity}
    missing = [
        {"village": v, "code": kind, "label": label}
        for v in VILLAGES
        for kind, label in REQUIRED
        if (kind, v) not in received
    ]
    return {
        "metrics": {
            "vaccination": township,
            "publicity": totals,
            "completeness": {
                "expected": len(VILLAGES) * len(REQUIRED),
                "received": len(received),
                "missing": missing,
            },
        }
    }


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parents[2]))  # tests/, for make_inbox's helpers
    print(json.dumps(expected(), ensure_ascii=False, indent=1))
