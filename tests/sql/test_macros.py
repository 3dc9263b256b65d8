"""sql/models/macros.sql: age_at (completed years at a date) and coverage_pct (100 x n / d,
half up to two decimals, capped at 100.00, null without a denominator).

The macros are loaded the way the load stage loads them (``run_sql_file``), into an in-memory
DuckDB. Arguments are bound as the types the queries pass: dates, and BIGINT counts.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from fractions import Fraction

import duckdb
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from sql_given import RESOURCES

from transforms.load import run_sql_file


@pytest.fixture(scope="module")
def con():
    with duckdb.connect() as con:
        run_sql_file(con, RESOURCES.models_dir / "macros.sql")
        yield con


def age_at(con, birth: dt.date | None, on: dt.date) -> int | None:
    return con.execute("select age_at(?::date, ?::date)", [birth, on]).fetchone()[0]


def coverage_pct(con, numerator: int | None, denominator: int | None) -> Decimal | None:
    sql = "select coverage_pct(?::bigint, ?::bigint)"
    return con.execute(sql, [numerator, denominator]).fetchone()[0]


@pytest.mark.parametrize(
    ("birth", "on", "age"),
    [
        ("1962-12-20", "2022-12-20", 60),  # the birthday itself counts
        ("1962-12-21", "2022-12-20", 59),  # the day before it does not
        ("2004-02-29", "2022-02-28", 17),  # 2022 has no 29 February ...
        ("2004-02-29", "2022-03-01", 18),  # ... so the birthday is reached on 1 March
        ("2004-02-29", "2024-02-28", 19),  # a leap year: not yet on the 28th
        ("2004-02-29", "2024-02-29", 20),  # reached on the day itself
        ("2000-03-01", "2001-02-28", 0),
        ("2000-03-01", "2001-03-01", 1),
        ("1999-12-31", "2000-01-01", 0),  # a new calendar year is not a birthday
    ],
)
def test_age_at(con, birth: str, on: str, age: int) -> None:
    assert age_at(con, dt.date.fromisoformat(birth), dt.date.fromisoformat(on)) == age


def test_age_at_without_birth_date_is_null(con) -> None:
    assert age_at(con, None, dt.date(2022, 12, 20)) is None


@pytest.mark.parametrize(
    ("numerator", "denominator", "pct"),
    [
        (2, 3, "66.67"),  # 66.666...
        (1, 3, "33.33"),
        (1, 32, "3.13"),  # exactly 3.125: half up (half even would give 3.12)
        (1, 160, "0.63"),  # exactly 0.625
        (201, 20000, "1.01"),  # exactly 1.005 (float rounding gives 1.0)
        (1, 20000, "0.01"),  # exactly 0.005
        (1, 20001, "0.00"),  # just below 0.005
        (1, 1, "100.00"),
        (5, 4, "100.00"),  # 125%: capped
        (10**12, 1, "100.00"),  # far above, still capped (BIGINT counts)
        (0, 5, "0.00"),
    ],
)
def test_coverage_pct(con, numerator: int, denominator: int, pct: str) -> None:
    # compared as text, so the two decimals are checked too
    assert str(coverage_pct(con, numerator, denominator)) == pct


@pytest.mark.parametrize(("numerator", "denominator"), [(3, 0), (0, 0), (1, None)])
def test_coverage_pct_is_null_without_a_denominator(con, numerator, denominator) -> None:
    assert coverage_pct(con, numerator, denominator) is None


def test_coverage_pct_of_an_unknown_numerator_is_null(con) -> None:
    """least(NULL, 10000) is 10000 in DuckDB (as in PostgreSQL): without its own null test the
    cap would turn 'unknown' into the highest rate (found by this test)."""
    assert coverage_pct(con, None, 4) is None


def test_coverage_pct_of_32_bit_counts_does_not_overflow(con) -> None:
    """20000 x 107375 is past 2^31: integer counts are widened before multiplying."""
    (pct,) = con.execute("select coverage_pct(2000000::integer, 3000000::integer)").fetchone()
    assert pct == Decimal("66.67")


def test_coverage_pct_type(con) -> None:
    """decimal(5, 2): the report model's Pct (max 5 digits, 2 decimals) takes it as is."""
    assert con.execute("select typeof(coverage_pct(2::bigint, 3::bigint))").fetchone() == (
        "DECIMAL(5,2)",
    )


def exact_pct(numerator: int, denominator: int) -> Decimal | None:
    """100 x n / d with fractions: half up to hundredths, at most 100."""
    if denominator == 0:
        return None
    hundredths = math.floor(Fraction(100 * 100 * numerator, denominator) + Fraction(1, 2))
    return Decimal(min(hundredths, 10000)).scaleb(-2)


@given(
    numerator=st.integers(min_value=0, max_value=10**9),
    denominator=st.integers(min_value=0, max_value=10**9),
)
@example(numerator=201, denominator=20000)
@example(numerator=7, denominator=0)
def test_coverage_pct_matches_exact_arithmetic(con, numerator: int, denominator: int) -> None:
    assert coverage_pct(con, numerator, denominator) == exact_pct(numerator, denominator)


@given(
    numerator=st.integers(min_value=0, max_value=10**6),
    denominator=st.integers(min_value=1, max_value=10**6),
)
def test_coverage_pct_of_a_part_is_at_most_a_hundred(con, numerator, denominator) -> None:
    pct = coverage_pct(con, min(numerator, denominator), denominator)
    assert Decimal(0) <= pct <= Decimal(100)


def calendar_age(birth: dt.date, on: dt.date) -> int:
    """Years whose birthday has come by ``on``; in a common year 29 February's is 1 March."""
    try:
        birthday = birth.replace(year=on.year)
    except ValueError:
        birthday = dt.date(on.year, 3, 1)
    return on.year - birth.year - (1 if on < birthday else 0)


@given(
    birth=st.dates(min_value=dt.date(1890, 1, 1), max_value=dt.date(2030, 12, 31)),
    days=st.integers(min_value=0, max_value=130 * 366),
)
@example(birth=dt.date(2004, 2, 29), days=(dt.date(2022, 3, 1) - dt.date(2004, 2, 29)).days)
@example(birth=dt.date(2004, 2, 29), days=(dt.date(2022, 2, 28) - dt.date(2004, 2, 29)).days)
def test_age_at_matches_the_calendar(con, birth: dt.date, days: int) -> None:
    on = birth + dt.timedelta(days=days)
    assert age_at(con, birth, on) == calendar_age(birth, on)
