"""sql/metrics/publicity_totals.sql: each publicity kind summed from the period's start up to R."""

from __future__ import annotations

from sql_given import metric_lines, store, township

FAMILY = "publicity_totals"


def activity(file_id: str, village: str, on: str, kind: str, quantity: int) -> dict:
    return {
        "file_id": file_id,
        "village_code": village,
        "activity_on": on,
        "kind": kind,
        "quantity": quantity,
    }


ACTIVITIES = [
    activity("p1", "01", "2022-01-01", "broadcast", 10),  # the period's first day
    activity("p1", "01", "2022-02-01", "leaflet", 500),
    activity("p1", "01", "2022-12-20", "leaflet", 250),  # R itself
    activity("p1", "01", "2022-12-21", "leaflet", 1000),  # after R
    activity("p2", "02", "2022-05-05", "talk", 3),
    activity("p2", "02", "2022-06-06", "banner", 2),
    activity("p2", "02", "2021-12-31", "poster", 40),  # before the period
]


def test_sums_by_kind_in_the_window(tmp_path) -> None:
    config = township()
    db = store(tmp_path, config, publicity=ACTIVITIES)
    assert metric_lines(db, FAMILY, config) == [
        {
            "line": "total",
            "broadcast": 10,
            "poster": 0,  # its only row is before the period
            "banner": 2,
            "leaflet": 750,  # 500 + 250
            "audio": 0,  # no row at all
            "talk": 3,
            "source_files": 2,
            "source_rows": 5,
        }
    ]


def test_an_empty_log_gives_zeros(tmp_path) -> None:
    config = township()
    db = store(tmp_path, config)
    assert metric_lines(db, FAMILY, config) == [
        {
            "line": "total",
            "broadcast": 0,
            "poster": 0,
            "banner": 0,
            "leaflet": 0,
            "audio": 0,
            "talk": 0,
            "source_files": 0,
            "source_rows": 0,
        }
    ]
