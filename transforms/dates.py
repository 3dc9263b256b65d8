"""Dates as villages and clinics write them, and as Excel stores them.

Every date in a submission decides which period a record counts in, so a date
is either read exactly or refused with a reason; nothing is guessed (no two-digit
years, no day-month swaps).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

import polars as pl

DATE_MISSING = "date_missing"
DATE_UNPARSEABLE = "date_unparseable"
DATE_IMPOSSIBLE = "date_impossible"

# Excel's 1900 date system: serial 1 is 1900-01-01 and serial 60 is the fictitious
# 1900-02-29, so from serial 61 on, serial n is 1899-12-30 + n days (25569 is 1970-01-01).
# Only serials in this range are read as dates; the whole range lies after serial 60.
# 10000 (1927-05-18) rather than a later bound keeps the birth dates of the oldest residents.
EXCEL_SERIAL_MIN = 10_000
EXCEL_SERIAL_MAX = 80_000  # 2119-01-11
_EXCEL_SERIAL_OF_EPOCH = 25_569

# A time of day after the date, as calamine renders date cells ("2022-03-05 00:00:00").
_TIME = r"(?:[ T][0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?)?"
# Year, month and day in each written form; always [0-9], since \d also matches other scripts.
_SEPARATED = r"([0-9]{4})[-/.]([0-9]{1,2})[-/.]([0-9]{1,2})"
_CHINESE = r"([0-9]{4}) ?年 ?([0-9]{1,2}) ?月 ?([0-9]{1,2}) ?[日号]?"
_COMPACT = r"([0-9]{4})([0-9]{2})([0-9]{2})"
_SERIAL = r"^[0-9]{5}(?:\.[0-9]+)?$"
_YMD = r"^(?<y>[0-9]{4})-(?<m>[0-9]{1,2})-(?<d>[0-9]{1,2})$"
# A date inside free text such as "填报日期:2022年12月18日", for ``parse_date``.
_EMBEDDED = re.compile(rf"(?<![0-9])(?:{_CHINESE}|{_SEPARATED}|{_COMPACT})(?![0-9])")


def parse_dates(col: pl.Expr) -> pl.Expr:
    """Parse date cells into a Struct {date: pl.Date or null, error: reason or null}.

    Accepted: 2022-03-05, 2022/3/5, 2022.3.5, 2022年3月5日, 20220305, any of the
    separated forms followed by a time, and Excel serials (44630, 44630.0; a
    fraction is a time of day). Full-width digits and surrounding spaces are fine.
    A text in one of these shapes that names no real day is ``date_impossible``.
    """
    text, ymd = pl.field("text"), pl.field("ymd")
    year, month, day = (ymd.struct.field(f) for f in ("y", "m", "d"))
    # Each step reads the fields of the previous one, so no regex runs twice on a cell.
    cleaned = pl.struct(
        text=col.cast(pl.String)
        .str.normalize("NFKC")
        .str.strip_chars()
        .str.replace_all(r"\s+", " ")
    )
    with_parts = cleaned.struct.with_fields(
        ymd=text.str.replace(f"^{_SEPARATED}{_TIME}$", "${1}-${2}-${3}")
        .str.replace(f"^{_CHINESE}{_TIME}$", "${1}-${2}-${3}")
        .str.replace(f"^{_COMPACT}$", "${1}-${2}-${3}")
        .str.extract_groups(_YMD),
        serial=pl.when(text.str.contains(_SERIAL)).then(
            text.cast(pl.Float64, strict=False).floor().cast(pl.Int64)
        ),
    )
    serial = pl.field("serial")
    written = pl.format("{}-{}-{}", year, month.str.zfill(2), day.str.zfill(2)).str.to_date(
        "%Y-%m-%d", strict=False
    )
    from_serial = (
        pl.when(serial.is_between(EXCEL_SERIAL_MIN, EXCEL_SERIAL_MAX))
        .then(serial - _EXCEL_SERIAL_OF_EPOCH)
        .cast(pl.Int32)
        .cast(pl.Date)
    )
    with_date = with_parts.struct.with_fields(date=pl.coalesce(written, from_serial))
    parsed = pl.field("date")
    error = (
        pl.when(text.is_null() | (text == ""))
        .then(pl.lit(DATE_MISSING))
        .when(parsed.is_not_null())
        .then(pl.lit(None, dtype=pl.String))
        .when(year.is_not_null())
        .then(pl.lit(DATE_IMPOSSIBLE))
        .otherwise(pl.lit(DATE_UNPARSEABLE))
    )
    return with_date.struct.with_fields(result=pl.struct(date=parsed, error=error)).struct.field(
        "result"
    )


def parse_date(text: str | None) -> date | None:
    """Read one date from a config value or a title/footer row ("填报日期:2022年12月18日").

    The whole text is tried first, then each date-shaped part of it, all through
    ``parse_dates`` so that a scalar and a column follow the same rules.
    """
    if text is None:
        return None
    folded = unicodedata.normalize("NFKC", text).strip()
    candidates = [folded, *(m.group(0) for m in _EMBEDDED.finditer(folded))]
    parsed = pl.DataFrame({"text": candidates}, schema={"text": pl.String}).select(
        parse_dates(pl.col("text")).struct.field("date")
    )
    return next((d for d in parsed.to_series() if d is not None), None)
