"""Counts typed into ledgers (宣传工作台账 数量 and the like): "500", "1,200", "约300", "500张".

Publicity figures are sums of these, so a cell is read only when it is plainly a
whole, non-negative number, possibly wrapped in the words and units clerks add;
anything else (若干, 12.5, -5) is refused with a reason instead of counting as 0.
A count above its field's bound (vocabulary.QUANTITY_BOUNDS) is a typing error, not
a figure: it is refused too, however it is written (9223372036854775807, 1e15).
"""

from __future__ import annotations

import re

import polars as pl

from transforms.vocabulary import (
    QUANTITY_CEILING,
    QUANTITY_PREFIXES,
    QUANTITY_SUFFIXES,
    QUANTITY_UNITS,
)

QUANTITY_MISSING = "quantity_missing"
QUANTITY_NOT_NUMERIC = "quantity_not_numeric"
QUANTITY_NEGATIVE = "quantity_negative"
QUANTITY_TOO_LARGE = "quantity_too_large"


def _either(words: tuple[str, ...]) -> str:
    """Regex alternation of literal words, longest first."""
    return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))


# After folding, full-width "１，２００" is "1,200"; U+2212 is the minus sign of some exports.
# Thousands separators must group by three, so "1,2" is not read as 12.
_QUANTITY = (
    rf"^(?:{_either(QUANTITY_PREFIXES)})?"
    r"(?<sign>[-−])?(?<whole>[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.(?<fraction>[0-9]+))?"
    rf"(?:{_either(QUANTITY_SUFFIXES)})?(?:{_either(QUANTITY_UNITS)})?"
    rf"(?:{_either(QUANTITY_SUFFIXES)})?$"
)
# Scientific notation, as Excel shows a long number ("1E+15"): its digits may be lost, but
# its size is known, so a huge one is refused as too large rather than as not a number.
_SCIENTIFIC = r"^[0-9]+(?:\.[0-9]+)?[eE]\+?[0-9]+$"


def parse_quantities(col: pl.Expr, upper_bound: int = QUANTITY_CEILING) -> pl.Expr:
    """Parse quantity cells into a Struct {quantity: Int64 or null, error: reason or null}.

    "约300" and "300余" count as 300: the report says the rest with 多/余 itself.
    A fraction other than zeros ("12.5") is not a count and is refused; so is a count
    above ``upper_bound``, including one too long for a 64-bit integer.
    """
    folded, parts = pl.field("folded"), pl.field("parts")
    value, fraction = pl.field("value"), parts.struct.field("fraction")
    # Each step reads the fields of the previous one, so no regex runs twice on a cell.
    parsed = (
        pl.struct(folded=col.cast(pl.String).str.normalize("NFKC").str.replace_all(r"\s+", ""))
        .struct.with_fields(parts=folded.str.extract_groups(_QUANTITY))
        .struct.with_fields(
            value=parts.struct.field("whole").str.replace_all(",", "").cast(pl.Int64, strict=False)
        )
    )
    whole = parts.struct.field("whole")
    # The digits read as a whole number, whether or not they fit in 64 bits.
    whole_number = whole.is_not_null() & (fraction.is_null() | fraction.str.contains("^0+$"))
    scientific = pl.when(folded.str.contains(_SCIENTIFIC)).then(
        folded.cast(pl.Float64, strict=False)
    )
    too_large = (whole_number & (value.is_null() | (value > upper_bound))) | (
        scientific > upper_bound
    )
    error = (
        pl.when(folded.is_null() | (folded == ""))
        .then(pl.lit(QUANTITY_MISSING))
        .when(whole_number & parts.struct.field("sign").is_not_null() & whole.str.contains("[1-9]"))
        .then(pl.lit(QUANTITY_NEGATIVE))
        .when(too_large)
        .then(pl.lit(QUANTITY_TOO_LARGE))
        .when(~whole_number)
        .then(pl.lit(QUANTITY_NOT_NUMERIC))
        .otherwise(pl.lit(None, dtype=pl.String))
    )
    with_error = parsed.struct.with_fields(error=error)
    return with_error.struct.with_fields(
        result=pl.struct(
            quantity=pl.when(pl.field("error").is_null()).then(value), error=pl.field("error")
        )
    ).struct.field("result")
