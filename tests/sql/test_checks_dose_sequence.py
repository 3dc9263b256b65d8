"""sql/checks/dose_sequence.sql: per village, persons whose doses break the series.

The village is the one named on the person's dose-1 record, else on any of their records.
"""

from __future__ import annotations

from sql_given import check_rows, store, township


def dose(person: str, number: int, on: str, village: str | None) -> dict:
    return {
        "file_id": "v1",
        "person_key": person,
        "dose": number,
        "vaccinated_on": on,
        "birth_date": "1960-01-01",
        "village_code": village,
    }


DOSES = [
    # P1: 1, 2, booster in order
    dose("P1", 1, "2021-03-01", "01"),
    dose("P1", 2, "2021-04-01", "01"),
    dose("P1", 3, "2022-01-01", "01"),
    # P2: dose 2 without dose 1; the village of its only record
    dose("P2", 2, "2021-05-01", "02"),
    # P3: dose 2 before dose 1; counted in 01, the village of dose 1
    dose("P3", 1, "2021-06-01", "01"),
    dose("P3", 2, "2021-05-01", "02"),
    # P4: booster without dose 2 (so not "before dose 2": there is none)
    dose("P4", 1, "2021-01-10", "02"),
    dose("P4", 3, "2021-12-01", "02"),
    # P5: booster before dose 2
    dose("P5", 1, "2021-02-01", "02"),
    dose("P5", 2, "2021-08-01", "02"),
    dose("P5", 3, "2021-07-01", "02"),
    # P6: no record names a village
    dose("P6", 1, "2021-03-03", None),
    dose("P6", 2, "2021-04-04", None),
    # P7: dose 1 names no village, dose 2 names 01
    dose("P7", 1, "2021-03-01", None),
    dose("P7", 2, "2021-04-01", "01"),
    # P1's dose 1 again, in a later file and dated later: still one dose 1, on 2021-03-01
    {**dose("P1", 1, "2021-05-05", "01"), "file_id": "v2"},
]


def village(code, dose2, d2_without_d1, d2_before_d1, booster, b_without_primary, b_before_d2):
    return {
        "village_code": code,
        "dose2_persons": dose2,
        "dose2_without_dose1": d2_without_d1,
        "dose2_before_dose1": d2_before_d1,
        "booster_persons": booster,
        "booster_without_primary": b_without_primary,
        "booster_before_dose2": b_before_d2,
    }


def test_series_breaks_per_village(tmp_path) -> None:
    config = township()
    db = store(tmp_path, config, vaccination=DOSES)
    assert check_rows(db, "dose_sequence", config) == [
        village("01", 3, 0, 1, 1, 0, 0),  # P1 P3 P7; P3 dose 2 before dose 1; P1 booster
        village("02", 2, 1, 0, 2, 1, 1),  # P2 P4 P5; P2 no dose 1; P4 no dose 2; P5 early
        village(None, 1, 0, 0, 0, 0, 0),  # P6, last
    ]
