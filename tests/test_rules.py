"""One definition per rule: age at a date and the rounding of rates are defined by the
macros in sql/models/macros.sql. Every other place that applies the same rule (the
oldest birth date the quality suite accepts, the demo generator's own arithmetic, which
stays independent of ours on purpose) is checked here against those macros."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest
from hypothesis import given
from hypothesis import strategies as st

from epireport.demo.people import age_at as demo_age_at
from epireport.settings import project_resources
from transforms.load import run_sql_file
from transforms.quality import MAX_AGE, oldest_birth

DATES = st.dates(min_value=dt.date(1880, 1, 1), max_value=dt.date(2100, 12, 31))


@pytest.fixture(scope="module")
def macros() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    run_sql_file(con, project_resources().models_dir / "macros.sql")
    return con


def sql_age(con: duckdb.DuckDBPyConnection, birth: dt.date, on: dt.date) -> int:
    return con.execute("select age_at($birth, $on)", {"birth": birth, "on": on}).fetchone()[0]


@given(on=DATES)
def test_the_oldest_accepted_birth_is_max_age_by_the_sql_rule(macros, on: dt.date) -> None:
    first = oldest_birth(on)
    assert sql_age(macros, first, on) == MAX_AGE
    assert sql_age(macros, first - dt.timedelta(days=1), on) == MAX_AGE + 1


@pytest.mark.parametrize("on", [dt.date(2024, 2, 29), dt.date(2023, 2, 28), dt.date(2023, 3, 1)])
def test_the_oldest_accepted_birth_around_29_february(macros, on: dt.date) -> None:
    first = oldest_birth(on)
    assert sql_age(macros, first, on) == MAX_AGE
    assert sql_age(macros, first - dt.timedelta(days=1), on) == MAX_AGE + 1


@given(birth=DATES, on=DATES)
def test_the_demo_generators_ages_follow_the_sql_rule(macros, birth: dt.date, on: dt.date) -> None:
    if on < birth:
        birth, on = on, birth
    assert demo_age_at(birth, on) == sql_age(macros, birth, on)
