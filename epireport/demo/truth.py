"""Expected figures, computed from the in-memory plan by the spec's metric definitions.

This never reads a generated file: it is the yardstick the pipeline's readers
are measured against, so it must not share their code paths.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from epireport.demo.people import age_at, shift_years
from epireport.demo.plan import STATUS_IN_BASE, DoseRecord, Plan


def pct(numerator: int, denominator: int) -> float:
    """100 × n / d rounded half-up to 2 decimals, capped at 100 (0 when d is 0)."""
    if denominator == 0:
        return 0.0
    value = Decimal(100 * numerator) / Decimal(denominator)
    return float(min(value, Decimal(100)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _population(plan: Plan) -> tuple[dict[str, Any], dict[int, int]]:
    """Population figures and each base person's age at R (by pid)."""
    r = plan.cutoff
    roster = [p for p in plan.persons if p.on_roster]
    ages = {p.pid: age_at(p.birth, r) for p in roster if p.status in STATUS_IN_BASE}
    status = Counter(p.status for p in roster)
    figures = {
        "roster_persons": len(roster),
        "roster_entries": len(roster) + sum(1 for p in roster if p.second_village >= 0),
        "base": len(ages),
        "P60": sum(1 for a in ages.values() if a >= 60),
        "P18": sum(1 for a in ages.values() if a >= 18),
        "P3_11": sum(1 for a in ages.values() if 3 <= a <= 11),
        "deceased": status["deceased"],
        "moved_out": status["moved_out"],
        "on_two_rosters": sum(1 for p in roster if p.second_village >= 0),
        "legacy_15_digit_ids": sum(1 for p in roster if p.legacy15),
        "households": sum(plan.households.values()),
    }
    return figures, ages


def _earliest(records: list[DoseRecord]) -> dict[tuple[int, int], dt.date]:
    """One date per (person, dose): the earliest any record states."""
    earliest: dict[tuple[int, int], dt.date] = {}
    for rec in records:
        key = (rec.pid, rec.dose)
        if key not in earliest or rec.on < earliest[key]:
            earliest[key] = rec.on
    return earliest


def _edge_cases(
    plan: Plan, ages: dict[int, int], earliest: dict[tuple[int, int], dt.date]
) -> dict[str, int]:
    """How many of each deliberately planted boundary case the inbox holds."""
    r = plan.cutoff
    births = Counter(plan.persons[pid].birth for pid in ages)
    clinic = _earliest([rec for recs in plan.clinic_records for rec in recs])
    from_lists = [key for key, on in earliest.items() if key not in clinic or on < clinic[key]]
    return {
        "base_turning_60_on_cutoff": births[shift_years(r, -60)],
        "base_turning_60_day_after_cutoff": births[shift_years(r, -60) + dt.timedelta(days=1)],
        "base_turning_18_on_cutoff": births[shift_years(r, -18)],
        "base_turning_18_day_after_cutoff": births[shift_years(r, -18) + dt.timedelta(days=1)],
        "doses_dated_on_cutoff": sum(1 for on in earliest.values() if on == r),
        "doses_earliest_in_village_list": len(from_lists),
        "doses_counted_only_by_village_list_date": sum(
            1 for key in from_lists if earliest[key] <= r and clinic.get(key, r) > r
        ),
        "minors_with_booster_by_cutoff": sum(
            1 for (pid, d), on in earliest.items() if d == 3 and on <= r and ages.get(pid, 99) < 18
        ),
    }


def _vaccination(plan: Plan, ages: dict[int, int]) -> dict[str, Any]:
    """Coverage by the spec: one record per (person, dose), earliest date."""
    r = plan.cutoff
    records = [rec for recs in plan.clinic_records for rec in recs]
    records += [rec for recs in plan.village_lists.values() for rec in recs]
    earliest = _earliest(records)
    counted = {key for key, on in earliest.items() if on <= r}
    persons = {p.pid: p for p in plan.persons}

    def having(dose: int, min_age: int, max_age: int = 200) -> set[int]:
        return {
            pid
            for (pid, d) in counted
            if d == dose and pid in ages and min_age <= ages[pid] <= max_age
        }

    v60_1, v60_2, booster = having(1, 60), having(2, 60), having(3, 18)
    p60 = sum(1 for a in ages.values() if a >= 60)
    p18 = sum(1 for a in ages.values() if a >= 18)
    door = defaultdict(set)
    door_doses: Counter[str] = Counter()
    for pid, _dose in counted:
        if pid in ages and persons[pid].mode == "上门":
            band = "P60" if ages[pid] >= 60 else "P3_11" if 3 <= ages[pid] <= 11 else None
            if band:
                door[band].add(pid)
                door_doses[band] += 1
    elderly_by_village: dict[int, list[int]] = defaultdict(list)
    for pid, a in ages.items():
        if a >= 60:
            elderly_by_village[persons[pid].village].append(pid)
    by_village = []
    for i, v in enumerate(plan.villages):
        elderly = elderly_by_village[i]
        n1 = sum(1 for pid in elderly if pid in v60_1)
        n2 = sum(1 for pid in elderly if pid in v60_2)
        by_village.append(
            {
                "code": v.code,
                "name": v.name,
                "P60": len(elderly),
                "V60_1": n1,
                "V60_1_pct": pct(n1, len(elderly)),
                "V60_2": n2,
                "V60_2_pct": pct(n2, len(elderly)),
            }
        )
    target = plan.config.coverage_target_pct
    vaccinated = {pid for pid, _ in earliest}
    return {
        "V60_1": len(v60_1),
        "V60_2": len(v60_2),
        "booster": len(booster),
        "V60_1_pct": pct(len(v60_1), p60),
        "V60_2_pct": pct(len(v60_2), p60),
        "booster_pct": pct(len(booster), p18),
        "P3_11_dose1": len(having(1, 3, 11)),
        "P3_11_dose2": len(having(2, 3, 11)),
        "records": len(records),
        "distinct_doses": len(earliest),
        "duplicate_records_collapsed": len(records) - len(earliest),
        "doses_after_cutoff": len(earliest) - len(counted),
        "vaccinated_not_on_roster": sum(1 for pid in vaccinated if not persons[pid].on_roster),
        "vaccinated_out_of_base": sum(
            1 for pid in vaccinated if persons[pid].on_roster and pid not in ages
        ),
        "door_to_door": {
            "P60_persons": len(door["P60"]),
            "P60_doses": door_doses["P60"],
            "P3_11_persons": len(door["P3_11"]),
            "P3_11_doses": door_doses["P3_11"],
        },
        "by_village": by_village,
        "villages_below_target_V60_1": [
            row["name"] for row in by_village if row["V60_1_pct"] < target
        ],
        "edge_cases": _edge_cases(plan, ages, earliest),
    }


def _publicity(plan: Plan) -> dict[str, int]:
    sums: Counter[str] = Counter()
    for rows in plan.publicity.values():
        for row in rows:
            sums[row.kind] += row.quantity
    kinds = ("broadcast", "poster", "banner", "leaflet", "audio", "talk")
    return {k: sums[k] for k in kinds}


def _verification(plan: Plan) -> dict[str, Any]:
    rows = plan.verification
    ids = {plan.persons[row.pid].id18 for row in rows}
    implemented = sum(1 for row in rows if row.result == "已落实")
    within = sum(
        1
        for row in rows
        if row.completed_on is not None and (row.completed_on - row.pushed_on).days <= 1
    )
    return {
        "pushes": len(rows),
        "pushed_persons": len(ids),
        "implemented": implemented,
        "implemented_pct": pct(implemented, len(rows)),
        "within_24h": within,
        "within_24h_pct": pct(within, len(rows)),
        "by_result": dict(sorted(Counter(row.result for row in rows).items())),
        "by_measure": dict(sorted(Counter(row.measure for row in rows).items())),
    }


def _grid(plan: Plan) -> dict[str, Any]:
    by_village: dict[str, dict[str, int]] = {}
    for row in plan.grids:
        entry = by_village.setdefault(
            plan.villages[row.village].name, {"grids": 0, "households": 0, "visited": 0}
        )
        entry["grids"] += 1
        entry["households"] += row.households
        entry["visited"] += row.visited
    return {
        "grids": len({row.code for row in plan.grids}),
        "households": sum(row.households for row in plan.grids),
        "visited": sum(row.visited for row in plan.grids),
        "persons_checked": sum(row.checked for row in plan.grids),
        "by_village": by_village,
    }


def _key_places(plan: Plan) -> dict[str, Any]:
    rows = plan.key_places
    places_by_type: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        places_by_type[row.place_type].add(row.place)
    return {
        "inspections": len(rows),
        "places": len({row.place for row in rows}),
        "places_by_type": {k: len(v) for k, v in sorted(places_by_type.items())},
        "inspections_by_type": dict(sorted(Counter(row.place_type for row in rows).items())),
        "problems_found": sum(row.problems for row in rows),
        "problems_rectified": sum(row.problems for row in rows if row.rectified),
    }


def _meetings(plan: Plan) -> dict[str, Any]:
    meeting_types = ("党委会", "专题会", "调度会", "部署会")
    counts = Counter(row.kind for row in plan.meetings)
    documents = [row for row in plan.meetings if row.kind not in meeting_types]
    return {
        "meetings": sum(counts[k] for k in meeting_types),
        "meetings_by_type": {k: counts[k] for k in meeting_types},
        "documents": len(documents),
        "documents_by_type": {k: counts[k] for k in ("方案", "通知")},
        "document_titles": [row.title for row in sorted(documents, key=lambda r: r.on)],
        "document_numbers": [row.doc_number for row in sorted(documents, key=lambda r: r.on)],
    }


def _demonstration(plan: Plan) -> dict[str, Any]:
    rows = [row for row in plan.demonstration if row.taking_part]
    return {
        "villages": len(plan.demonstration),
        "taking_part": len(rows),
        "passed": sum(1 for row in rows if row.stage == "验收通过"),
        "by_stage": dict(sorted(Counter(row.stage for row in rows).items())),
        "party_members": sum(row.party_members for row in rows),
        "volunteers": sum(row.volunteers for row in rows),
    }


def _reserves(plan: Plan) -> dict[str, Any]:
    latest: dict[int, Any] = {}
    for row in plan.reserves:
        if row.on <= plan.cutoff and (row.clinic not in latest or row.on > latest[row.clinic].on):
            latest[row.clinic] = row
    clinics = {}
    shortfalls = []
    for i, row in sorted(latest.items()):
        name = plan.config.clinics[i].name
        quotas = plan.reserve_quotas.get(i, {})
        clinics[name] = {"as_of": row.on.isoformat(), "items": dict(row.items), "quotas": quotas}
        for item, quota in quotas.items():
            if row.items[item] < quota:
                shortfalls.append(
                    {"clinic": name, "item": item, "value": row.items[item], "quota": quota}
                )
    return {"clinics": clinics, "shortfalls": shortfalls}


def compute_figures(plan: Plan) -> dict[str, Any]:
    """All expected figures of the plan, JSON-serialisable."""
    population, ages = _population(plan)
    return {
        "cutoff_date": plan.cutoff.isoformat(),
        "population": population,
        "vaccination": _vaccination(plan, ages),
        "publicity": _publicity(plan),
        "verification": _verification(plan),
        "grid": _grid(plan),
        "key_places": _key_places(plan),
        "meetings": _meetings(plan),
        "demonstration": _demonstration(plan),
        "reserves": _reserves(plan),
    }
