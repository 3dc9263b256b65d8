"""sql/metrics/key_places.sql: key-place inspections from the period's start up to R.

Places are distinct place names; problems rectified are those found on rectified rows.
"""

from __future__ import annotations

from sql_given import metric_lines, store, township

FAMILY = "key_places"


def inspection(file_id, on, place, place_type, problems, rectification=None) -> dict:
    return {
        "file_id": file_id,
        "village_code": "01",
        "inspected_on": on,
        "place_name": place,
        "place_type": place_type,
        "problems_found": problems,
        "rectification": rectification,
    }


INSPECTIONS = [
    inspection("k1", "2022-03-01", "白沙超市", "supermarket", 2, "rectified"),
    inspection("k1", "2022-04-01", "白沙超市", "supermarket", 1, "in_progress"),  # same place
    inspection("k1", "2022-05-01", "镇中心小学", "school", 0, "rectified"),
    inspection("k2", "2022-06-01", "农贸市场", "farmers_market", 4),  # no rectification noted
    inspection("k2", "2022-12-21", "镇卫生院", "medical", 3, "rectified"),  # after R
    inspection("k3", "2021-12-01", "敬老院", "elderly_care", 1, "rectified"),  # before the period
]


def test_inspections_places_and_problems(tmp_path) -> None:
    config = township()
    db = store(tmp_path, config, key_place=INSPECTIONS)
    assert metric_lines(db, FAMILY, config) == [
        {"line": "places_by_type", "code": "farmers_market", "count": 1},
        {"line": "places_by_type", "code": "school", "count": 1},
        {"line": "places_by_type", "code": "supermarket", "count": 1},  # inspected twice
        {
            "line": "total",
            "inspections": 4,
            "places": 3,
            "problems_found": 7,  # 2 + 1 + 0 + 4
            "problems_rectified": 2,  # only the first row is rectified and found any
            "source_files": 2,
            "source_rows": 4,
        },
    ]


def test_no_inspection_in_the_window_gives_zeros(tmp_path) -> None:
    config = township()
    db = store(tmp_path, config, key_place=INSPECTIONS[4:])
    assert metric_lines(db, FAMILY, config) == [
        {
            "line": "total",
            "inspections": 0,
            "places": 0,
            "problems_found": 0,
            "problems_rectified": 0,
            "source_files": 0,
            "source_rows": 0,
        }
    ]
