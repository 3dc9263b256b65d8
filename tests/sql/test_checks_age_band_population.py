"""sql/checks/age_band_population.sql: per village and age band at R, persons of the base on
the rosters against persons with a dose-1 record by R naming the village.

R = 2022-12-20. Bands 3-11, 12-17, 18-59, 60+, sorted as text.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sql_given import check_rows, store, township


def roster(village: str, person: str, born: str, status: str = "at_home") -> dict:
    return {
        "file_id": f"r{village}",
        "village_code": village,
        "person_key": person,
        "birth_date": born,
        "status": status,
    }


def dose1(person: str, born: str, village: str | None, on: str = "2021-06-01", number=1):
    return {
        "file_id": "v1",
        "person_key": person,
        "dose": number,
        "vaccinated_on": on,
        "birth_date": born,
        "village_code": village,
    }


ROSTER = [
    roster("01", "A", "1962-12-20"),  # 60 on R
    roster("01", "B", "1962-12-21"),  # 59 on R
    roster("01", "C", "1950-01-01", "deceased"),  # left the base
    roster("01", "K", "2019-12-20"),  # 3 on R: the youngest band's first day
    roster("01", "L", "2019-12-21"),  # 2 on R: in no band
    roster("02", "M", "1990-01-01"),  # 32
]
DOSES = [
    dose1("A", "1962-12-20", "01"),
    dose1("A", "1962-12-20", "02", on="2021-07-01", number=2),  # not dose 1: not counted
    dose1("B", "1962-12-21", "01", on="2022-12-21"),  # after R
    dose1("C", "1950-01-01", "01"),  # deceased: not counted though vaccinated
    dose1("K", "2019-12-20", "01", on="2022-12-20"),  # R itself is in
    dose1("X", "1970-01-01", "01"),  # on no roster, 52: counted, rosters miss X
    dose1("Y", "2008-06-01", "02"),  # on no roster, 14
    dose1("Z", "1980-01-01", None),  # names no village: left out
]


def band(village: str, age_band: str, population: int, vaccinated: int) -> dict:
    return {
        "village_code": village,
        "age_band": age_band,
        "population": population,
        "vaccinated": vaccinated,
    }


def test_residents_against_vaccinated_per_band(tmp_path) -> None:
    config = township()
    db = store(tmp_path, config, roster=ROSTER, vaccination=DOSES)
    assert check_rows(db, "age_band_population", config) == [
        band("01", "18-59", 1, 1),  # B resident (vaccinated after R), X vaccinated
        band("01", "3-11", 1, 1),  # K
        band("01", "60+", 1, 1),  # A
        band("02", "12-17", 0, 1),  # Y: vaccinated, on no roster
        band("02", "18-59", 1, 0),  # M
    ]


@pytest.mark.parametrize(
    ("cutoff", "age_band"),
    [(dt.date(2022, 2, 28), "12-17"), (dt.date(2022, 3, 1), "18-59")],
)
def test_a_29_february_birthday_is_reached_on_1_march(tmp_path, cutoff, age_band) -> None:
    """Born 2004-02-29: still 17 on 2022-02-28, 18 on 2022-03-01 (2022 has no 29 February)."""
    config = township()
    db = store(tmp_path, config, roster=[roster("01", "N", "2004-02-29")])
    assert check_rows(db, "age_band_population", config, cutoff) == [band("01", age_band, 1, 0)]
