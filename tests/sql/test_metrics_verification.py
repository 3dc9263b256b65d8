"""sql/metrics/verification.sql: pushes checked in the period up to R, by result and measure.

Period 2022-01-01 .. 2022-12-31, R = 2022-12-20: a push outside [period start, R] is left out.
"""

from __future__ import annotations

from decimal import Decimal

from sql_given import metric_lines, store, township

FAMILY = "verification"


def push(file_id: str, person: str, pushed: str, result: str, measure=None, completed=None):
    return {
        "file_id": file_id,
        "person_key": person,
        "village_code": "01",
        "pushed_on": pushed,
        "result": result,
        "measure": measure,
        "completed_on": completed,
    }


PUSHES = [
    push("v1", "P1", "2022-03-01", "implemented", "home_monitoring", "2022-03-02"),  # 1 day
    push("v1", "P1", "2022-04-01", "implemented", "home_monitoring", "2022-04-03"),  # 2 days
    push("v1", "P2", "2022-05-01", "not_found"),  # no measure, never completed
    push("v2", "P3", "2022-06-01", "implemented", "central_quarantine", "2022-06-01"),
    push("v2", "P4", "2022-12-21", "implemented", "home_monitoring", "2022-12-21"),  # after R
    push("v3", "P5", "2021-12-31", "implemented", "home_monitoring", "2022-01-01"),  # before
]


def test_pushes_by_result_and_measure(tmp_path) -> None:
    config = township()
    db = store(tmp_path, config, verification=PUSHES)
    assert metric_lines(db, FAMILY, config) == [
        # a push without a measure is in no by_measure line
        {"line": "by_measure", "code": "central_quarantine", "count": 1},
        {"line": "by_measure", "code": "home_monitoring", "count": 2},
        {"line": "by_result", "code": "implemented", "count": 3},
        {"line": "by_result", "code": "not_found", "count": 1},
        {
            "line": "total",
            "pushed_rows": 4,  # the four pushes of 2022-03-01 .. 2022-06-01
            "pushed_persons": 3,  # P1 was pushed twice
            "implemented_rows": 3,
            "implemented_pct": Decimal("75.00"),
            "within_24h_rows": 2,  # completed the same day or the day after
            "within_24h_pct": Decimal("50.00"),
            "source_files": 2,  # v3 holds only a push before the period
            "source_rows": 4,
        },
    ]


def test_no_push_gives_rates_of_zero(tmp_path) -> None:
    """A denominator of zero: the rates are 0.00, not null, so the report can print them."""
    config = township()
    db = store(tmp_path, config, verification=PUSHES[4:])  # both outside the period up to R
    assert metric_lines(db, FAMILY, config) == [
        {
            "line": "total",
            "pushed_rows": 0,
            "pushed_persons": 0,
            "implemented_rows": 0,
            "implemented_pct": Decimal("0.00"),
            "within_24h_rows": 0,
            "within_24h_pct": Decimal("0.00"),
            "source_files": 0,
            "source_rows": 0,
        }
    ]


def test_one_of_three_rounds_half_up(tmp_path) -> None:
    """2 of 3 implemented: 66.666...% prints 66.67, 1 of 3 within 24 hours 33.33."""
    config = township()
    pushes = [
        push("v1", "P1", "2022-03-01", "implemented", completed="2022-03-02"),
        push("v1", "P2", "2022-03-01", "implemented", completed="2022-03-05"),
        push("v1", "P3", "2022-03-01", "away_not_returned"),
    ]
    total = metric_lines(store(tmp_path, config, verification=pushes), FAMILY, config)[-1]
    assert (total["implemented_pct"], total["within_24h_pct"]) == (
        Decimal("66.67"),
        Decimal("33.33"),
    )
