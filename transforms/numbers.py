"""How the report writes numbers (spec report.md, "Writing numbers"); used as Jinja2 filters.

Government reports round activity counts the way people say them (2500多, 20万余)
but give vaccination counts and rates exactly; these functions hold those rules
so that no template formats a number by hand.
"""

from __future__ import annotations

import operator
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

_HUNDREDTH = Decimal("0.01")
_DIGITS = "零一二三四五六七八九"


def activity_count(n: int) -> str:
    """Write a publicity count: exact below 1000, two significant digits + 多, then 万 + 余.

    The kept digits are truncated, never rounded up, so 多/余 always means "and more".
    A value that is already round is written as it is (42000, 200000 -> 20万).
    """
    n = operator.index(n)  # an int, or a NumPy/DuckDB integer; never a float that was cut
    if n < 0:
        raise ValueError(f"an activity count cannot be negative: {n}")
    if n < 1000:
        return str(n)
    if n < 100_000:
        step = 10 ** (len(str(n)) - 2)
        kept = n // step * step
        return str(n) if kept == n else f"{kept}多"
    wan, rest = divmod(n, 10_000)
    return f"{wan}万" if rest == 0 else f"{wan}万余"


def exact_count(n: int) -> str:
    """Write a count exactly, as vaccination doses are (7663剂次)."""
    return str(operator.index(n))


def round_pct(x: float | Decimal) -> Decimal:
    """A rate or a difference of rates to two decimals, rounded half-up, as the report has it."""
    # str() gives the shortest decimal that names the float, so 0.125 rounds to 0.13
    # as a reader of the figure expects, not by its binary approximation.
    return Decimal(str(x)).quantize(_HUNDREDTH, rounding=ROUND_HALF_UP)


def rate_pct(x: float | Decimal) -> str:
    """Write a percentage with exactly two decimals, rounded half-up: 91.32%."""
    return f"{round_pct(x)}%"


def target_pct(x: float | Decimal) -> str:
    """Write a target as people set it: 90%, 92.5%; a measured rate keeps two decimals."""
    return f"{round_pct(x).normalize():f}%"


def percentage_points(diff: float | Decimal) -> str:
    """Describe a rate's change: 提高1.25个百分点, 下降0.50个百分点, or 持平 if it rounds to 0."""
    rounded = round_pct(diff)
    if rounded > 0:
        return f"提高{rounded}个百分点"
    if rounded < 0:
        return f"下降{-rounded}个百分点"
    return "持平"


def chinese_numeral(n: int) -> str:
    """Write 1..999 in Chinese numerals, as in 第十七届 or 第一百零五次."""
    if not 1 <= n <= 999:
        raise ValueError(f"chinese_numeral covers 1..999, got {n}")
    hundreds, tens, ones = n // 100, n // 10 % 10, n % 10
    if hundreds == 0:
        tens_part = "" if tens == 0 else ("十" if tens == 1 else _DIGITS[tens] + "十")
        return tens_part + ("" if ones == 0 else _DIGITS[ones])
    text = _DIGITS[hundreds] + "百"
    if tens == 0:
        return text + ("" if ones == 0 else "零" + _DIGITS[ones])
    return text + _DIGITS[tens] + "十" + ("" if ones == 0 else _DIGITS[ones])


def chinese_date(d: date) -> str:
    """Write a date as the report does: 2022年12月20日 (no zero padding)."""
    return f"{d.year}年{d.month}月{d.day}日"
