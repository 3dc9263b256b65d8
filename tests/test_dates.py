"""Date parsing (transforms/dates.py)."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from transforms.dates import (
    DATE_IMPOSSIBLE,
    DATE_MISSING,
    DATE_UNPARSEABLE,
    EXCEL_SERIAL_MAX,
    EXCEL_SERIAL_MIN,
    parse_date,
    parse_dates,
)

MARCH_5 = date(2022, 3, 5)
_FULL_WIDTH = str.maketrans({chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)})


def _parse(values: list) -> list[dict]:
    frame = pl.DataFrame({"raw": values}, schema={"raw": pl.String})
    return frame.select(parse_dates(pl.col("raw")).alias("r"))["r"].to_list()


@pytest.mark.parametrize(
    "raw",
    [
        "2022-03-05",
        "2022-3-5",
        "2022/3/5",
        "2022/03/05",
        "2022.3.5",
        "2022.03.05",
        "2022年3月5日",
        "2022年03月05日",
        "2022年3月5号",
        "2022年3月5",
        "2022 年 3 月 5 日",
        "20220305",
        "2022-03-05 00:00:00",
        "2022-03-05 14:30:59",
        "2022-03-05 14:30",
        "2022-03-05T08:00:00",
        "2022-03-05 00:00:00.000",
        "2022/3/5 9:05",
        "2022年3月5日 10:00",
        "２０２２－０３－０５",
        "２０２２年３月５日",
        "２０２２０３０５",
        "  2022-03-05  ",
        "\t2022/3/5\n",
        "\u30002022.3.5\u3000",
        # Excel serials: 44562 is 2022-01-01 (a well-known anchor), + 31 + 28 + 4 = 44625.
        "44625",
        "44625.0",
        "44625.75",
        "４４６２５",
    ],
)
def test_every_supported_form_reads_as_the_same_day(raw: str) -> None:
    assert _parse([raw]) == [{"date": MARCH_5, "error": None}]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("44630", date(2022, 3, 10)),
        ("25569", date(1970, 1, 1)),
        ("36526", date(2000, 1, 1)),
        (str(EXCEL_SERIAL_MIN), date(1927, 5, 18)),
        (str(EXCEL_SERIAL_MAX), date(2119, 1, 11)),
        ("2020-02-29", date(2020, 2, 29)),
        ("2000-02-29", date(2000, 2, 29)),
        ("1949-10-01", date(1949, 10, 1)),
        ("2022-12-31 23:59:59", date(2022, 12, 31)),
    ],
)
def test_specific_dates(raw: str, expected: date) -> None:
    assert _parse([raw]) == [{"date": expected, "error": None}]


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        (None, DATE_MISSING),
        ("", DATE_MISSING),
        ("   ", DATE_MISSING),
        ("\u3000", DATE_MISSING),
        ("2022-02-30", DATE_IMPOSSIBLE),
        ("2022-13-01", DATE_IMPOSSIBLE),
        ("2022-00-10", DATE_IMPOSSIBLE),
        ("2022-04-31", DATE_IMPOSSIBLE),
        ("2021-02-29", DATE_IMPOSSIBLE),
        ("1900-02-29", DATE_IMPOSSIBLE),
        ("2022/2/30", DATE_IMPOSSIBLE),
        ("2022.13.1", DATE_IMPOSSIBLE),
        ("2022年2月30日", DATE_IMPOSSIBLE),
        ("20221301", DATE_IMPOSSIBLE),
        ("20220230 ", DATE_IMPOSSIBLE),
        ("2022-02-30 00:00:00", DATE_IMPOSSIBLE),
        ("abc", DATE_UNPARSEABLE),
        ("22/3/5", DATE_UNPARSEABLE),
        ("3/5/2022", DATE_UNPARSEABLE),
        ("2022-03", DATE_UNPARSEABLE),
        ("2022年3月", DATE_UNPARSEABLE),
        ("2022", DATE_UNPARSEABLE),
        ("2022-03-05 25:61:00x", DATE_UNPARSEABLE),
        ("2022-03-05号", DATE_UNPARSEABLE),
        ("202235", DATE_UNPARSEABLE),
        ("2022030500", DATE_UNPARSEABLE),
        # Serials outside the accepted range are numbers, not dates.
        ("9999", DATE_UNPARSEABLE),
        ("60", DATE_UNPARSEABLE),
        (str(EXCEL_SERIAL_MIN - 1), DATE_UNPARSEABLE),
        (str(EXCEL_SERIAL_MAX + 1), DATE_UNPARSEABLE),
        ("-44630", DATE_UNPARSEABLE),
        ("4.463E+04", DATE_UNPARSEABLE),
    ],
)
def test_refused_dates_carry_their_reason(raw: str | None, error: str) -> None:
    assert _parse([raw]) == [{"date": None, "error": error}]


def test_a_date_column_from_calamine_reads_directly() -> None:
    frame = pl.DataFrame({"raw": [MARCH_5, None]}, schema={"raw": pl.Date})
    assert frame.select(parse_dates(pl.col("raw")).alias("r"))["r"].to_list() == [
        {"date": MARCH_5, "error": None},
        {"date": None, "error": DATE_MISSING},
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("填报日期:2022年12月18日", date(2022, 12, 18)),
        ("填报日期：２０２２年１２月１８日", date(2022, 12, 18)),
        ("制表人:张三  填报日期:2022-12-18", date(2022, 12, 18)),
        ("截至2022.12.18", date(2022, 12, 18)),
        ("报送时间 20221218", date(2022, 12, 18)),
        ("2022-12-18", date(2022, 12, 18)),
        ("2022-12-18 00:00:00", date(2022, 12, 18)),
        ("44913", date(2022, 12, 18)),
        # An impossible date is skipped; a later real one is still found.
        ("2022-02-30 改为 2022-03-01", date(2022, 3, 1)),
        ("填报日期:2022年2月30日", None),
        ("填报日期:", None),
        ("石门村常住人口花名册", None),
        ("电话 13800138000", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_date_finds_a_date_in_a_title_or_footer(text: str | None, expected: date | None):
    assert parse_date(text) == expected


# --- properties ---------------------------------------------------------------------------

_FORMATS = [
    lambda d: f"{d:%Y-%m-%d}",
    lambda d: f"{d.year}-{d.month}-{d.day}",
    lambda d: f"{d.year}/{d.month}/{d.day}",
    lambda d: f"{d:%Y/%m/%d}",
    lambda d: f"{d.year}.{d.month}.{d.day}",
    lambda d: f"{d.year}年{d.month}月{d.day}日",
    lambda d: f"{d:%Y%m%d}",
    lambda d: f"{d:%Y-%m-%d} 00:00:00",
    lambda d: f"{d:%Y-%m-%d %H:%M:%S}",
]
_DATES = st.dates(min_value=date(1950, 1, 1), max_value=date(2030, 12, 31))


@given(st.lists(_DATES, min_size=1, max_size=20), st.booleans(), st.sampled_from(["", " ", "\t"]))
def test_any_date_in_any_format_parses_back(days: list[date], wide: bool, pad: str) -> None:
    texts = [pad + fmt(d) + pad for d in days for fmt in _FORMATS]
    if wide:
        texts = [t.translate(_FULL_WIDTH) for t in texts]
    expected = [{"date": d, "error": None} for d in days for _ in _FORMATS]
    assert _parse(texts) == expected


@given(st.lists(_DATES, min_size=1, max_size=20), st.sampled_from(["", ".0", ".5", ".999"]))
def test_excel_serial_round_trip(days: list[date], fraction: str) -> None:
    # Serial n is 1899-12-30 + n days for every n from 61 (1900-03-01) on.
    serials = [f"{(d - date(1899, 12, 30)).days}{fraction}" for d in days]
    assert _parse(serials) == [{"date": d, "error": None} for d in days]


@given(_DATES)
def test_parse_date_agrees_with_parse_dates(day: date) -> None:
    assert parse_date(f"填报日期:{day.year}年{day.month}月{day.day}日") == day
    assert parse_date(str((day - date(1899, 12, 30)).days)) == day
