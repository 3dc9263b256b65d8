"""sql/metrics/completeness.sql: required files (village x kind) expected, received, missing.

Villages 01..04, required kinds roster, publicity, grid: 12 expected. What counts as received
is the submissions model's rule (built from ingested_files and the staging tables by the
completeness stage): a loaded file naming the village, dated on or after the period's start.
"""

from __future__ import annotations

import datetime as dt

from sql_given import file_row, metric_lines, store, township

FAMILY = "completeness"

FILES = [
    file_row("f1", "roster", village_code="01", reported_on="2022-06-30", rows_loaded=4),
    file_row("f2", "publicity", village_code="01", reported_on="2022-12-01", rows_loaded=3),
    # a grid ledger names its villages per row (stg_grid), not per file
    file_row("f3", "grid", reported_on="2022-12-02", rows_loaded=2),
    # dated before the period: loaded, but not a submission for this period
    file_row("f4", "roster", village_code="02", reported_on="2021-12-31", rows_loaded=2),
    # a replaced version and the loaded one that replaced it
    file_row("f5", "publicity", village_code="02", reported_on="2022-03-01", status="superseded"),
    file_row("f6", "publicity", village_code="02", reported_on="2022-04-01", rows_loaded=5),
    file_row("f7", "roster", village_code="03", status="refused"),
    # dated by its file time when no 填报日期 is given
    file_row(
        "f8",
        "publicity",
        village_code="04",
        modified_at=dt.datetime(2022, 12, 19, 10, 0),
        rows_loaded=1,
    ),
]
GRID = [
    {"file_id": "f3", "village_code": "01", "grid_code": "01-1", "households": 9},
    {"file_id": "f3", "village_code": "02", "grid_code": "02-1", "households": 8},
]


def missing(village_code: str, village: str, position: int, kind: str, kind_position: int):
    return {
        "line": "missing",
        "village_code": village_code,
        "village": village,
        "village_position": position,
        "code": kind,
        "kind_position": kind_position,
    }


def test_missing_files_in_master_data_order(tmp_path) -> None:
    config = township()
    db = store(tmp_path, config, files=FILES, grid=GRID)
    assert metric_lines(db, FAMILY, config) == [
        missing("02", "青山村", 1, "roster", 0),  # f4 is from before the period
        missing("03", "白沙社区", 2, "roster", 0),  # f7 was refused
        missing("03", "白沙社区", 2, "publicity", 1),
        missing("03", "白沙社区", 2, "grid", 2),
        missing("04", "桃源村", 3, "roster", 0),
        missing("04", "桃源村", 3, "grid", 2),
        {
            "line": "total",
            "expected": 12,
            # 01 roster, publicity, grid; 02 publicity (f6), grid; 04 publicity (f8)
            "received": 6,
            "source_files": 6,  # the loaded files f1 f2 f3 f4 f6 f8
            "source_rows": 17,  # 4 + 3 + 2 + 2 + 5 + 1
        },
    ]


def test_nothing_received(tmp_path) -> None:
    config = township(villages=1, required_kinds=["roster"])
    assert metric_lines(store(tmp_path, config), FAMILY, config) == [
        missing("01", "石门村", 0, "roster", 0),
        {"line": "total", "expected": 1, "received": 0, "source_files": 0, "source_rows": 0},
    ]
