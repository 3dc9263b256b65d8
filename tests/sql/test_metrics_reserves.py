"""sql/metrics/reserves.sql: each clinic's latest figure per item on or before R, with its quota.

Clinics (master data): wsy 白沙镇卫生院 (alias 镇卫生院, quotas beds 40, fever_rooms 1),
c01 石门村卫生室 (no quota). A quota stated in the latest row's 储备定额 note wins over the
master data's. R = 2022-12-20.
"""

from __future__ import annotations

import datetime as dt
import typing

from sql_given import metric_lines, store, township

from epireport.config import ReserveItemCode

FAMILY = "reserves"
ITEMS = typing.get_args(ReserveItemCode)


def report(file_id, row_number, unit, on, counts, note=None) -> dict:
    return {
        "file_id": file_id,
        "row_number": row_number,
        "unit": unit,
        "reported_on": on,
        **dict(zip(ITEMS, counts, strict=True)),
        "quota_note": note,
    }


REPORTS = [
    report("r1", 1, "镇卫生院", "2022-11-01", (30, 1, 2, 10, 100, 500)),  # by its alias
    report(
        "r1",
        2,
        "白沙镇卫生院",
        "2022-12-01",
        (35, None, 3, 12, 80, 400),  # fever rooms left blank: the 11-01 figure stays
        [
            {"item": "beds", "quota": 50},
            {"item": "antigen_tests", "quota": 300},
            {"item": "antigen_tests", "quota": 600},  # named twice: the larger one
        ],
    ),
    report("r1", 3, "白沙镇卫生院", "2022-12-21", (99, 9, 9, 99, 999, 9999)),  # after R
    report("r2", 1, "石门村卫生室", "2022-12-10", (0, None, None, 2, None, None)),
    report(
        "r3",
        1,
        "青山村卫生室",  # not in the master data: named as typed, listed last
        "2022-12-05",
        (2, None, None, 3, None, None),
        [{"item": "oximeters", "quota": 5}],
    ),
]


def item(clinic_code, clinic, position, name, value, quota, on) -> dict:
    row = {
        "line": "items",
        "clinic_code": clinic_code,
        "clinic": clinic,
        "clinic_position": position,
        "item": name,
        "item_position": ITEMS.index(name) + 1,
        "value": value,
        "quota": quota,
        "reported_on": dt.date.fromisoformat(on),
    }
    return {k: v for k, v in row.items() if v is not None}


def total(name, value) -> dict:
    return {"line": "totals", "item": name, "item_position": ITEMS.index(name) + 1, "value": value}


def test_latest_figures_quotas_and_totals(tmp_path) -> None:
    config = township()
    db = store(tmp_path, config, reserve=REPORTS)
    wsy = ("wsy", "白沙镇卫生院", 0)
    c01 = ("c01", "石门村卫生室", 1)
    other = (None, "青山村卫生室", None)
    assert metric_lines(db, FAMILY, config) == [
        item(*wsy, "beds", 35, 50, "2022-12-01"),  # the note's 50 over the master data's 40
        item(*wsy, "fever_rooms", 1, 1, "2022-11-01"),  # master quota; 11-01 has no note
        item(*wsy, "oxygen_concentrators", 3, None, "2022-12-01"),
        item(*wsy, "oximeters", 12, None, "2022-12-01"),
        item(*wsy, "antipyretic_boxes", 80, None, "2022-12-01"),
        item(*wsy, "antigen_tests", 400, 600, "2022-12-01"),
        item(*c01, "beds", 0, None, "2022-12-10"),
        item(*c01, "oximeters", 2, None, "2022-12-10"),
        item(*other, "beds", 2, None, "2022-12-05"),
        item(*other, "oximeters", 3, 5, "2022-12-05"),
        {"line": "total", "source_files": 3, "source_rows": 4},  # r1 row 3 is after R
        total("beds", 37),  # 35 + 0 + 2
        total("fever_rooms", 1),
        total("oxygen_concentrators", 3),
        total("oximeters", 17),  # 12 + 2 + 3
        total("antipyretic_boxes", 80),
        total("antigen_tests", 400),
    ]


def test_same_day_rows_take_the_later_file(tmp_path) -> None:
    """Two reports dated the same day: the later file (then row) holds the latest figure."""
    config = township()
    reports = [
        report("r1", 1, "石门村卫生室", "2022-12-10", (1, None, None, None, None, None)),
        report("r2", 1, "石门村卫生室", "2022-12-10", (2, None, None, None, None, None)),
        report("r2", 2, "石门村卫生室", "2022-12-10", (3, None, None, None, None, None)),
    ]
    lines = metric_lines(store(tmp_path, config, reserve=reports), FAMILY, config)
    assert [(r["line"], r.get("value")) for r in lines] == [
        ("items", 3),  # r2 row 2
        ("total", None),
        ("totals", 3),
    ]


def test_nothing_reported_by_the_cutoff(tmp_path) -> None:
    config = township()
    db = store(tmp_path, config, reserve=REPORTS[2:3])
    assert metric_lines(db, FAMILY, config) == [
        {"line": "total", "source_files": 0, "source_rows": 0}
    ]
