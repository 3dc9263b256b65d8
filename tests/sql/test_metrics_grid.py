"""sql/metrics/grid.sql: the grid ledgers as last submitted; a snapshot, so no date filter."""

from __future__ import annotations

from sql_given import metric_lines, store, township

FAMILY = "grid"


def grid(file_id, village, code, workers, households, visited, visited_on=None) -> dict:
    return {
        "file_id": file_id,
        "village_code": village,
        "grid_code": code,
        "grid_workers": workers,
        "households": households,
        "visited_households": visited,
        "visited_on": visited_on,
    }


def test_grids_workers_and_households(tmp_path) -> None:
    config = township()
    grids = [
        grid("g1", "01", "01-1", 3, 120, 100, "2022-03-01"),
        grid("g1", "01", "01-2", None, 80, 80),  # workers not stated: adds nothing
        grid("g2", "02", "02-1", 4, 150, 150, "2021-06-01"),  # dated before the period: counts
    ]
    db = store(tmp_path, config, grid=grids)
    assert metric_lines(db, FAMILY, config) == [
        {
            "line": "total",
            "grids": 3,
            "grid_workers": 7,
            "households": 350,
            "visited_households": 330,
            "source_files": 2,
            "source_rows": 3,
        }
    ]


def test_a_grid_listed_twice_counts_once_but_adds_twice(tmp_path) -> None:
    """The documented behaviour the stg_grid suite warns about (grid_code_repeated)."""
    config = township()
    grids = [grid("g1", "01", "01-1", 3, 120, 100), grid("g1", "01", "01-1", 3, 120, 100)]
    db = store(tmp_path, config, grid=grids)
    total = metric_lines(db, FAMILY, config)[0]
    assert (total["grids"], total["grid_workers"], total["households"]) == (1, 6, 240)


def test_no_ledger_gives_zeros(tmp_path) -> None:
    config = township()
    assert metric_lines(store(tmp_path, config), FAMILY, config) == [
        {
            "line": "total",
            "grids": 0,
            "grid_workers": 0,
            "households": 0,
            "visited_households": 0,
            "source_files": 0,
            "source_rows": 0,
        }
    ]
