"""Resident ID numbers (GB 11643): clean what clerks type, refuse what cannot be a real ID.

An ID keys a person across rosters and clinic exports, so one that is wrong by a
digit would silently make two people of one, or one of two. Only IDs with a real
birth date and a correct ISO 7064 MOD 11-2 check digit are kept.
"""

from __future__ import annotations

from datetime import date

import polars as pl

ID_MISSING = "id_missing"
ID_EXCEL_FLOAT = "id_excel_float"
ID_BAD_FORMAT = "id_bad_format"
ID_BAD_BIRTH_DATE = "id_bad_birth_date"
ID_BAD_CHECK_DIGIT = "id_bad_check_digit"

EARLIEST_BIRTH = date(1900, 1, 1)

# Weight of position i (0-based, left to right) is 2**(17 - i) mod 11: 7, 9, 10, 5, 8, 4, ...
_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))
# Check character indexed by the weighted sum mod 11.
_CHECK_CHARS = "10X98765432"

# Spaces and the dashes people type inside IDs (after NFKC, full-width ones are ASCII).
_NOISE = r"[\s\-‐‑‒–—―]"
# Excel writes a number too long for a float as 4.30102195E+17; its last digits are gone.
_SCIENTIFIC = r"^[0-9]+(?:\.[0-9]+)?E[+-]?[0-9]+$"
# A numeric cell rendered by calamine may carry a zero fraction: 110105491231002.0.
_ZERO_FRACTION = r"^([0-9]+)\.0+$"
# Excel shows 15 significant digits, so an 18-digit ID saved from a number cell as text
# ends in 000; read from the cell itself, it is the nearest double, an exact multiple of a
# power of two. Either way a failing check digit then means the digits were lost, not mistyped.
_FLOAT_TAIL = "000"


def check_digit(first17: str) -> str:
    """Return the GB 11643 check character ('0'-'9' or 'X') for the first 17 digits."""
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise ValueError("check_digit needs exactly 17 ASCII digits")
    total = sum(int(c) * w for c, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def upgrade_15_to_18(id15: str) -> str:
    """Turn a legacy 15-digit ID into its 18-digit form: '19' after the area code, check digit."""
    if len(id15) != 15 or not id15.isascii() or not id15.isdigit():
        raise ValueError("upgrade_15_to_18 needs exactly 15 ASCII digits")
    first17 = id15[:6] + "19" + id15[6:]
    return first17 + check_digit(first17)


def mask_id(id18: str) -> str:
    """Mask an ID for anything a person reads: first 4, ten stars, last 4.

    Rejected IDs may have any length; one shorter than 18 characters is masked
    whole, so a listing of rejects never shows most of a short ID.
    """
    text = id18.strip()
    if len(text) < 18:
        return "*" * 10
    return text[:4] + "*" * 10 + text[-4:]


def mask_ids(col: pl.Expr) -> pl.Expr:
    """Vectorised ``mask_id``, same rule: first 4, ten stars, last 4; shorter text all stars."""
    text = col.str.strip_chars()
    return (
        pl.when(text.str.len_chars() >= 18)
        .then(pl.concat_str([text.str.head(4), pl.lit("*" * 10), text.str.tail(4)]))
        .when(text.is_not_null())
        .then(pl.lit("*" * 10))
    )


def _check_digit_expr(first17: pl.Expr) -> pl.Expr:
    """Vectorised ``check_digit``; null where the 17 characters are not all digits."""
    total = pl.sum_horizontal(
        [first17.str.slice(i, 1).cast(pl.Int32, strict=False) * w for i, w in enumerate(_WEIGHTS)],
        ignore_nulls=False,
    )
    return (total % 11).replace_strict(
        dict(enumerate(_CHECK_CHARS)), default=None, return_dtype=pl.String
    )


def birth_date_from_id(col: pl.Expr) -> pl.Expr:
    """Birth date (pl.Date) held in positions 7-14 of a clean 18-digit ID; null if not a date."""
    return col.str.slice(6, 8).str.to_date("%Y%m%d", strict=False)


def sex_from_id(col: pl.Expr) -> pl.Expr:
    """'M' or 'F' from the 17th digit of a clean 18-digit ID (odd is male)."""
    digit = col.str.slice(16, 1).cast(pl.Int8, strict=False)
    return pl.when(digit % 2 == 1).then(pl.lit("M")).when(digit % 2 == 0).then(pl.lit("F"))


def normalize_ids(col: pl.Expr, *, as_of: date | None = None) -> pl.Expr:
    """Clean raw ID cells into a Struct {id_number: 18-char string or null, error: reason or null}.

    Cleaning: NFKC (full-width to half-width), spaces and hyphens removed, x upper-cased,
    a zero fraction from a numeric cell dropped, 15-digit IDs upgraded to 18.
    Birth dates after ``as_of`` (default: today) or before 1900 are refused; pass the run
    date so that a rerun judges the same file the same way.
    """
    latest_birth = as_of or date.today()
    text, first17, id18 = pl.field("text"), pl.field("first17"), pl.field("id18")
    is_legacy = text.str.contains(r"^[0-9]{15}$")
    # Each step reads the fields of the previous one, so no sub-expression is copied
    # into the next (inlined, the check digit alone made the plan hundreds of times larger).
    cleaned = pl.struct(
        text=col.cast(pl.String)
        .str.normalize("NFKC")
        .str.replace_all(_NOISE, "")
        .str.to_uppercase()
        .str.replace(_ZERO_FRACTION, "${1}")
    )
    with_first17 = cleaned.struct.with_fields(
        first17=pl.when(is_legacy)
        .then(pl.concat_str([text.str.slice(0, 6), pl.lit("19"), text.str.slice(6)]))
        .otherwise(text.str.slice(0, 17))
    )
    with_id18 = with_first17.struct.with_fields(
        expected=_check_digit_expr(first17)
    ).struct.with_fields(
        id18=pl.when(is_legacy).then(pl.concat_str([first17, pl.field("expected")])).otherwise(text)
    )
    with_checks = with_id18.struct.with_fields(
        check_ok=id18.str.slice(17, 1) == pl.field("expected"),
        birth=birth_date_from_id(id18),
    )
    check_ok, birth = pl.field("check_ok"), pl.field("birth")
    as_integer = text.cast(pl.Int64, strict=False)
    is_a_double = as_integer.cast(pl.Float64).cast(pl.Int64, strict=False) == as_integer
    from_float = text.str.contains(_SCIENTIFIC) | (
        text.str.contains(r"^[0-9]{18}$")
        & (text.str.ends_with(_FLOAT_TAIL) | is_a_double)
        & ~check_ok
    )
    with_error = with_checks.struct.with_fields(
        error=pl.when(text.is_null() | (text == ""))
        .then(pl.lit(ID_MISSING))
        .when(from_float)
        .then(pl.lit(ID_EXCEL_FLOAT))
        .when(~id18.str.contains(r"^[0-9]{17}[0-9X]$"))
        .then(pl.lit(ID_BAD_FORMAT))
        .when(birth.is_null() | (birth < EARLIEST_BIRTH) | (birth > latest_birth))
        .then(pl.lit(ID_BAD_BIRTH_DATE))
        .when(~check_ok)
        .then(pl.lit(ID_BAD_CHECK_DIGIT))
        .otherwise(pl.lit(None, dtype=pl.String))
    )
    error = pl.field("error")
    return with_error.struct.with_fields(
        result=pl.struct(
            id_number=pl.when(error.is_null()).then(id18),
            error=error,
        )
    ).struct.field("result")
