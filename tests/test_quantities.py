"""Quantities typed into ledgers (transforms/quantities.py)."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from transforms.quantities import (
    QUANTITY_MISSING,
    QUANTITY_NEGATIVE,
    QUANTITY_NOT_NUMERIC,
    QUANTITY_TOO_LARGE,
    parse_quantities,
)
from transforms.vocabulary import QUANTITY_CEILING


def _parse(values: list) -> list[dict]:
    frame = pl.DataFrame({"raw": values}, schema={"raw": pl.String})
    return frame.select(parse_quantities(pl.col("raw")).alias("r"))["r"].to_list()


@pytest.mark.parametrize(
    ("raw", "quantity"),
    [
        ("500", 500),
        ("1,200", 1200),
        ("1，200", 1200),
        ("500张", 500),
        ("约300", 300),
        ("300余", 300),
        ("12.0", 12),
        ("１２", 12),
        ("０", 0),
        ("0", 0),
        ("-0", 0),
        ("1,234,567", 1234567),
        ("１，２００张", 1200),
        (" 500 ", 500),
        ("1 200", 1200),
        ("300余张", 300),
        ("300张左右", 300),
        ("1200多份", 1200),
        ("大约 80 人次", 80),
        ("共计258条", 258),
        ("42000条次", 42000),
        ("65000人次", 65000),
        ("203418次", 203418),
        ("200.00", 200),
    ],
)
def test_quantities_read_as_whole_numbers(raw: str, quantity: int) -> None:
    assert _parse([raw]) == [{"quantity": quantity, "error": None}]


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        (None, QUANTITY_MISSING),
        ("", QUANTITY_MISSING),
        ("   ", QUANTITY_MISSING),
        ("-5", QUANTITY_NEGATIVE),
        ("－５", QUANTITY_NEGATIVE),
        ("\u22127", QUANTITY_NEGATIVE),
        ("-1,200张", QUANTITY_NEGATIVE),
        ("若干", QUANTITY_NOT_NUMERIC),
        ("abc", QUANTITY_NOT_NUMERIC),
        ("12.5", QUANTITY_NOT_NUMERIC),
        ("1,2", QUANTITY_NOT_NUMERIC),
        ("1,20", QUANTITY_NOT_NUMERIC),
        ("12,00", QUANTITY_NOT_NUMERIC),
        ("三百", QUANTITY_NOT_NUMERIC),
        ("300-400", QUANTITY_NOT_NUMERIC),
        ("300张纸", QUANTITY_NOT_NUMERIC),
        ("5e3", QUANTITY_NOT_NUMERIC),
        ("99999999999999999999", QUANTITY_TOO_LARGE),
        ("9223372036854775807", QUANTITY_TOO_LARGE),
        ("1e15", QUANTITY_TOO_LARGE),
        ("1.5E+15次", QUANTITY_NOT_NUMERIC),
        ("-99999999999999999999", QUANTITY_NEGATIVE),
        ("张", QUANTITY_NOT_NUMERIC),
    ],
)
def test_refused_quantities_carry_their_reason(raw: str | None, error: str) -> None:
    assert _parse([raw]) == [{"quantity": None, "error": error}]


def test_quantity_is_int64() -> None:
    schema = pl.DataFrame({"raw": ["1"]}).select(parse_quantities(pl.col("raw")).alias("r")).schema
    assert schema["r"] == pl.Struct({"quantity": pl.Int64, "error": pl.String})


@given(st.integers(0, QUANTITY_CEILING), st.sampled_from(["", "张", "条次", "余", "多份"]))
def test_grouped_numbers_round_trip(n: int, suffix: str) -> None:
    assert _parse([f"{n:,}{suffix}", f"{n}.0", f"约{n}"]) == [{"quantity": n, "error": None}] * 3
