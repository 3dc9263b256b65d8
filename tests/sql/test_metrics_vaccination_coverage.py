"""sql/metrics/vaccination_coverage.sql: coverage of the population base at the cut-off date.

R = 2022-12-20. Who is in the base, ages at R (the birthday itself counts), doses after R,
door-to-door doses and rates without a denominator, counted by hand.
"""

from __future__ import annotations

from decimal import Decimal

from sql_given import metric_lines, store, township

FAMILY = "vaccination_coverage"


def roster(file_id: str, village: str, person: str, born: str, status: str = "at_home") -> dict:
    return {
        "file_id": file_id,
        "village_code": village,
        "person_key": person,
        "birth_date": born,
        "status": status,
    }


def dose(person: str, number: int, on: str, mode: str = "clinic", born: str = "1960-01-01"):
    return {
        "file_id": "v1",
        "person_key": person,
        "dose": number,
        "vaccinated_on": on,
        "mode": mode,
        "birth_date": born,
        "village_code": "01",
    }


ROSTER = [
    roster("r01", "01", "A", "1962-12-20"),  # 60 on R: R is the 60th birthday
    roster("r01", "01", "B", "1962-12-21", "away_work"),  # 59 on R: adult, not elderly
    roster("r01", "01", "C", "1950-01-01", "deceased"),  # outside the base
    roster("r01", "01", "D", "1940-05-05", "moved_out"),  # left 01 ...
    roster("r01", "01", "E", "2004-12-21"),  # 17 on R: not adult
    roster("r01", "01", "F", "2015-06-01", "away_study"),  # 7: a child of 3-11
    roster("r01", "01", "I", "1950-06-01"),  # 72, never vaccinated
    roster("r02", "02", "D", "1940-05-05"),  # ... and lives in 02: in the base, in 02
    roster("r02", "02", "H", "2019-12-21"),  # 2 on R (3 the day after): no age band
    roster("r03", "03", "J", "2010-01-01"),  # 12: neither adult nor 3-11
]
VACCINATION = [
    dose("A", 1, "2021-03-01"),
    dose("A", 2, "2022-12-21"),  # after R: A has no dose 2 at R
    dose("A", 3, "2022-01-01"),  # a booster counts without dose 2
    dose("B", 1, "2021-04-01", "door_to_door"),
    dose("B", 2, "2021-05-01", "door_to_door"),
    dose("C", 1, "2021-03-01", "door_to_door"),  # deceased: no figure counts C
    dose("D", 1, "2021-05-05", "door_to_door"),
    dose("D", 2, "2021-06-06", "door_to_door"),
    dose("D", 3, "2022-02-02", "door_to_door"),
    dose("E", 1, "2022-01-01"),
    dose("F", 1, "2022-01-01", "door_to_door"),
    dose("X", 1, "2021-08-08"),  # on no roster: outside the base
]


def test_coverage_of_the_base_at_the_cutoff(tmp_path) -> None:
    config = township()
    db = store(tmp_path, config, roster=ROSTER, vaccination=VACCINATION)
    assert metric_lines(db, FAMILY, config) == [
        {
            "line": "total",
            "base": 8,  # A B E F I (01), D H (02), J (03); not C, not X
            "p60": 3,  # A I D
            "v60_dose1": 2,  # A D
            "v60_dose1_pct": Decimal("66.67"),  # 2/3 = 66.666..., half up
            "v60_dose2": 1,  # D (A's dose 2 is after R)
            "v60_dose2_pct": Decimal("33.33"),
            "p18": 4,  # A B I D
            "booster": 2,  # A D
            "booster_pct": Decimal("50.00"),
            "p3_11": 1,  # F (H is 2, J is 12)
            "v3_11_dose1": 1,
            "v3_11_dose1_pct": Decimal("100.00"),
            "door_to_door_doses": 6,  # B 2, D 3, F 1; C is outside the base
            "door_to_door_elderly_persons": 1,  # D (B is 59)
            "door_to_door_children_persons": 1,  # F
            "source_files": 4,  # rosters r01 r02 r03, vaccination v1
            "source_rows": 22,  # 10 roster rows + 12 vaccination rows
        },
        {
            "line": "village_coverage",
            "village_code": "01",
            "village": "石门村",
            "village_position": 0,
            "base": 5,  # A B E F I
            "p60": 2,  # A I
            "v60_dose1": 1,
            "v60_dose1_pct": Decimal("50.00"),
            "v60_dose2": 0,
            "v60_dose2_pct": Decimal("0.00"),
            "p18": 3,  # A B I
            "booster": 1,
            "booster_pct": Decimal("33.33"),
        },
        {
            "line": "village_coverage",
            "village_code": "02",
            "village": "青山村",
            "village_position": 1,
            "base": 2,  # D H
            "p60": 1,
            "v60_dose1": 1,
            "v60_dose1_pct": Decimal("100.00"),
            "v60_dose2": 1,
            "v60_dose2_pct": Decimal("100.00"),
            "p18": 1,
            "booster": 1,
            "booster_pct": Decimal("100.00"),
        },
        {
            # nobody of 60+ or 18+: the rates are null (left out here), not 0
            "line": "village_coverage",
            "village_code": "03",
            "village": "白沙社区",
            "village_position": 2,
            "base": 1,
            "p60": 0,
            "v60_dose1": 0,
            "v60_dose2": 0,
            "p18": 0,
            "booster": 0,
        },
    ]


def test_a_village_without_adults_has_null_rates_not_zero(tmp_path) -> None:
    config = township()
    db = store(tmp_path, config, roster=[roster("r03", "03", "J", "2010-01-01")])
    village = next(r for r in metric_lines(db, FAMILY, config) if r["line"] != "total")
    assert "v60_dose1_pct" not in village and "booster_pct" not in village  # null
    assert (village["p60"], village["p18"]) == (0, 0)


def test_an_empty_base_gives_a_total_line_of_zeros(tmp_path) -> None:
    """No persons: the township rates are 0.00 (coalesced), and no village line."""
    config = township()
    db = store(tmp_path, config, vaccination=[dose("X", 1, "2021-08-08")])
    zero = Decimal("0.00")
    assert metric_lines(db, FAMILY, config) == [
        {
            "line": "total",
            "base": 0,
            "p60": 0,
            "v60_dose1": 0,
            "v60_dose1_pct": zero,
            "v60_dose2": 0,
            "v60_dose2_pct": zero,
            "p18": 0,
            "booster": 0,
            "booster_pct": zero,
            "p3_11": 0,
            "v3_11_dose1": 0,
            "v3_11_dose1_pct": zero,
            "door_to_door_doses": 0,
            "door_to_door_elderly_persons": 0,
            "door_to_door_children_persons": 0,
            "source_files": 1,  # the vaccination file is still a source
            "source_rows": 1,
        }
    ]
