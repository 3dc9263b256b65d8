"""sql/checks/activity_outliers.sql: each village's activity per 1,000 residents of the base and
its modified z-score, 0.6745 x (rate - median of the others) / MAD of the others.

Villages 01..04 have one resident each, 05 two (and a deceased one who is not a resident),
so a rate is 1000 x amount (500 x amount in 05). R = 2022-12-20.
"""

from __future__ import annotations

from sql_given import check_rows, store, township


def resident(village: str, person: str, status: str = "at_home") -> dict:
    return {
        "file_id": f"r{village}",
        "village_code": village,
        "person_key": person,
        "birth_date": "1970-01-01",
        "status": status,
    }


def publicity(village: str, kind: str, quantity: int, on: str = "2022-06-01") -> dict:
    return {
        "file_id": f"p{village}",
        "village_code": village,
        "activity_on": on,
        "kind": kind,
        "quantity": quantity,
    }


def grid(village: str, visited: int) -> dict:
    return {
        "file_id": "g1",
        "village_code": village,
        "grid_code": f"{village}-1",
        "households": 100,
        "visited_households": visited,
    }


ROSTER = [
    *(resident(v, f"R{v}") for v in ("01", "02", "03", "04", "05")),
    resident("05", "R05b"),
    resident("05", "R05c", "deceased"),
]
PUBLICITY = [
    publicity("01", "leaflet", 1),
    publicity("01", "leaflet", 100, on="2022-12-21"),  # after R
    publicity("02", "leaflet", 2),
    publicity("03", "leaflet", 3),
    publicity("04", "leaflet", 4),
    publicity("05", "leaflet", 20),  # 20 for 2 residents: 10,000 per 1,000
    publicity("06", "leaflet", 50),  # 06 has no resident: no rate, not among the others
    # talks: 1,000 per 1,000 in 01..04 and 2,500 in 05; the others never vary
    *(publicity(v, "talk", 1) for v in ("01", "02", "03", "04")),
    publicity("05", "talk", 5),
]
GRID = [grid("01", 10), grid("02", 20), grid("03", 30)]  # only three villages report


def row(village, activity, amount, residents, per_1000, others, median, mad, z) -> dict:
    return {
        "village_code": village,
        "activity": activity,
        "amount": amount,
        "residents": residents,
        "per_1000": per_1000,
        "other_villages": others,
        "others_median": median,
        "others_mad": mad,
        "modified_z": z,
    }


def test_rates_medians_and_modified_z(tmp_path) -> None:
    config = township(villages=6)
    db = store(tmp_path, config, roster=ROSTER, publicity=PUBLICITY, grid=GRID)
    visited, leaflet, talk = "grid_visited_households", "publicity_leaflet", "publicity_talk"
    assert check_rows(db, "activity_outliers", config) == [
        # two others only: no z-score. 01's others 20000 and 30000: median 25000, MAD 5000
        row("01", visited, 10, 1, 10000, 2, 25000, 5000, None),
        row("02", visited, 20, 1, 20000, 2, 20000, 10000, None),
        row("03", visited, 30, 1, 30000, 2, 15000, 5000, None),
        # 01: others 2000 3000 4000 10000, median 3500; deviations 1500 500 500 6500, MAD 1000;
        # 0.6745 x (1000 - 3500) / 1000 = -1.68625
        row("01", leaflet, 1, 1, 1000, 4, 3500, 1000, -1.69),
        # others 1000 3000 4000 10000: median 3500, deviations 2500 500 500 6500, MAD 1500
        row("02", leaflet, 2, 1, 2000, 4, 3500, 1500, -0.67),
        # others 1000 2000 4000 10000: median 3000, deviations 2000 1000 1000 7000, MAD 1500
        row("03", leaflet, 3, 1, 3000, 4, 3000, 1500, 0.0),
        # others 1000 2000 3000 10000: median 2500, deviations 1500 500 500 7500, MAD 1000
        row("04", leaflet, 4, 1, 4000, 4, 2500, 1000, 1.01),
        # others 1000 2000 3000 4000: median 2500, MAD 1000; 0.6745 x 7500 / 1000 = 5.05875
        row("05", leaflet, 20, 2, 10000, 4, 2500, 1000, 5.06),
        # the others of 01..04 are 1000 1000 1000 2500: MAD 0, so no z-score
        row("01", talk, 1, 1, 1000, 4, 1000, 0, None),
        row("02", talk, 1, 1, 1000, 4, 1000, 0, None),
        row("03", talk, 1, 1, 1000, 4, 1000, 0, None),
        row("04", talk, 1, 1, 1000, 4, 1000, 0, None),
        row("05", talk, 5, 2, 2500, 4, 1000, 0, None),
    ]


def test_villages_reporting_outside_the_window_or_without_residents_are_left_out(tmp_path):
    """Amounts after R do not count; a village without residents has no rate to compare."""
    config = township(villages=6)
    publicity_rows = [
        publicity("01", "leaflet", 1),
        publicity("01", "leaflet", 7, on="2021-12-31"),  # before the period
        publicity("02", "leaflet", 3),
        publicity("03", "leaflet", 9, on="2022-12-21"),  # after R: 03 reports nothing
        publicity("06", "leaflet", 50),  # no resident in 06
    ]
    db = store(tmp_path, config, roster=ROSTER, publicity=publicity_rows)
    assert check_rows(db, "activity_outliers", config) == [
        row("01", "publicity_leaflet", 1, 1, 1000, 1, 3000, 0, None),
        row("02", "publicity_leaflet", 3, 1, 3000, 1, 1000, 0, None),
    ]


def test_a_sole_reporting_village_has_a_row_without_z_score(tmp_path) -> None:
    """One row per reporting village, even with no other village to compare with (inner
    joins once dropped it: found by this test)."""
    config = township(villages=6)
    db = store(tmp_path, config, roster=ROSTER, grid=[grid("01", 10)])
    assert check_rows(db, "activity_outliers", config) == [
        row("01", "grid_visited_households", 10, 1, 10000, 0, None, None, None),
    ]
