"""How the report writes numbers (transforms/numbers.py)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from transforms.numbers import (
    activity_count,
    chinese_date,
    chinese_numeral,
    exact_count,
    percentage_points,
    rate_pct,
    target_pct,
)


@pytest.mark.parametrize(
    ("n", "text"),
    [
        # The seed report's figures.
        (258, "258"),
        (2537, "2500多"),
        (92310, "92000多"),
        (42000, "42000"),
        (65000, "65000"),
        (203418, "20万余"),
        # The edges of each rule.
        (0, "0"),
        (999, "999"),
        (1000, "1000"),
        (1001, "1000多"),
        (1099, "1000多"),
        (2500, "2500"),
        (2599, "2500多"),
        (9999, "9900多"),
        (10000, "10000"),
        (10999, "10000多"),
        (99999, "99000多"),
        (99000, "99000"),
        (100000, "10万"),
        (100001, "10万余"),
        (109999, "10万余"),
        (200000, "20万"),
        (1234567, "123万余"),
        (12340000, "1234万"),
    ],
)
def test_activity_count(n: int, text: str) -> None:
    assert activity_count(n) == text


def test_activity_count_refuses_negatives_and_floats() -> None:
    with pytest.raises(ValueError):
        activity_count(-1)
    with pytest.raises(TypeError):
        activity_count(2537.0)  # type: ignore[arg-type]


@given(st.integers(1000, 99_999))
def test_activity_count_never_overstates(n: int) -> None:
    text = activity_count(n)
    kept = int(text.removesuffix("多"))
    assert kept <= n and len(str(kept).rstrip("0")) <= 2
    assert text.endswith("多") == (kept != n)


@pytest.mark.parametrize(
    ("n", "text"), [(7663, "7663"), (7275, "7275"), (18416, "18416"), (0, "0")]
)
def test_exact_count(n: int, text: str) -> None:
    assert exact_count(n) == text


def test_exact_count_refuses_a_float() -> None:
    with pytest.raises(TypeError):
        exact_count(7663.4)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("x", "text"),
    [
        (91.32, "91.32%"),
        (86.7, "86.70%"),
        (81.889, "81.89%"),
        (100, "100.00%"),
        (0, "0.00%"),
        # 0.125 and 2.675 are below their decimal value in binary; half-up on the decimal.
        (0.125, "0.13%"),
        (2.675, "2.68%"),
        (Decimal("91.32"), "91.32%"),
        (Decimal("86.70"), "86.70%"),
        (Decimal("81.89"), "81.89%"),
    ],
)
def test_rate_pct(x: float | Decimal, text: str) -> None:
    assert rate_pct(x) == text


@pytest.mark.parametrize(
    ("x", "text"),
    [
        (Decimal("90.00"), "90%"),
        (Decimal("90"), "90%"),
        (90, "90%"),
        (Decimal("92.50"), "92.5%"),
        (Decimal("85.25"), "85.25%"),
        (Decimal("100.00"), "100%"),
        (Decimal("0.00"), "0%"),
        (Decimal("0.05"), "0.05%"),
    ],
)
def test_target_pct(x: float | Decimal, text: str) -> None:
    """A target is written as it was set: no trailing zeros, no exponent."""
    assert target_pct(x) == text


@given(st.decimals(min_value=0, max_value=100, places=2))
def test_target_pct_keeps_the_value_and_drops_only_trailing_zeros(x: Decimal) -> None:
    text = target_pct(x)
    number = text.removesuffix("%")
    assert Decimal(number) == x
    assert "E" not in number and not (number.endswith("0") and "." in number)
    assert not number.endswith(".")


@pytest.mark.parametrize(
    ("diff", "text"),
    [
        (1.25, "提高1.25个百分点"),
        (-0.5, "下降0.50个百分点"),
        (0, "持平"),
        (0.004, "持平"),
        (-0.004, "持平"),
        (0.005, "提高0.01个百分点"),
        (-0.005, "下降0.01个百分点"),
        (Decimal("91.32") - Decimal("86.70"), "提高4.62个百分点"),
    ],
)
def test_percentage_points(diff: float | Decimal, text: str) -> None:
    assert percentage_points(diff) == text


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (1, "一"),
        (2, "二"),
        (9, "九"),
        (10, "十"),
        (11, "十一"),
        (17, "十七"),
        (20, "二十"),
        (21, "二十一"),
        (99, "九十九"),
        (100, "一百"),
        (101, "一百零一"),
        (105, "一百零五"),
        (110, "一百一十"),
        (115, "一百一十五"),
        (120, "一百二十"),
        (999, "九百九十九"),
    ],
)
def test_chinese_numeral(n: int, text: str) -> None:
    assert chinese_numeral(n) == text


@pytest.mark.parametrize("n", [0, -1, 1000])
def test_chinese_numeral_range(n: int) -> None:
    with pytest.raises(ValueError):
        chinese_numeral(n)


@pytest.mark.parametrize(
    ("d", "text"),
    [(date(2022, 12, 20), "2022年12月20日"), (date(2023, 1, 5), "2023年1月5日")],
)
def test_chinese_date(d: date, text: str) -> None:
    assert chinese_date(d) == text
