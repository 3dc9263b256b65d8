"""Resident ID cleaning and checks (transforms/ids.py)."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from transforms.ids import (
    ID_BAD_BIRTH_DATE,
    ID_BAD_CHECK_DIGIT,
    ID_BAD_FORMAT,
    ID_EXCEL_FLOAT,
    ID_MISSING,
    birth_date_from_id,
    check_digit,
    mask_id,
    normalize_ids,
    sex_from_id,
    upgrade_15_to_18,
)

AS_OF = date(2022, 12, 31)

# Check digits worked by hand: weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2, sum mod 11,
# then 0..10 -> 1 0 X 9 8 7 6 5 4 3 2.
#   11010519491231002: 7+9+0+5+0+20+2+9+24+27+7+18+30+5+0+0+4 = 167, 167 mod 11 = 2 -> X
#   43010219900307123: 28+27+0+5+0+8+2+9+54+0+0+27+0+35+8+8+6 = 217, 217 mod 11 = 8 -> 4
#   44052418800101001: 28+36+0+25+16+16+2+8+48+0+0+9+0+5+0+0+2 = 195, 195 mod 11 = 8 -> 4
#   43010219500103000: 28+27+0+5+0+8+2+9+30+0+0+9+0+15+0+0+0 = 133, 133 mod 11 = 1 -> 0
#   43010219500101000: ... +9+0+5+0+0+0 = 123, 123 mod 11 = 2 -> X
VALID = "11010519491231002X"
VALID_2 = "430102199003071234"


def _normalize(values: list, as_of: date = AS_OF) -> list[dict]:
    frame = pl.DataFrame({"raw": values}, schema={"raw": pl.String})
    return frame.select(normalize_ids(pl.col("raw"), as_of=as_of).alias("r"))["r"].to_list()


@pytest.mark.parametrize(
    ("first17", "expected"),
    [
        ("11010519491231002", "X"),
        ("43010219900307123", "4"),
        ("44052418800101001", "4"),
        ("43010219500103000", "0"),
        ("43010219500101000", "X"),
    ],
)
def test_check_digit_matches_hand_computation(first17: str, expected: str) -> None:
    assert check_digit(first17) == expected


@pytest.mark.parametrize("bad", ["1101051949123100", "110105194912310021", "1101051949123100X", ""])
def test_check_digit_refuses_anything_but_17_digits(bad: str) -> None:
    with pytest.raises(ValueError):
        check_digit(bad)


def test_upgrade_15_to_18_known_sample() -> None:
    assert upgrade_15_to_18("110105491231002") == VALID


@pytest.mark.parametrize(
    "bad", ["11010549123100", "11010549123100X", "１１０１０５４９１２３１００２"]
)
def test_upgrade_15_to_18_refuses_non_15_digit_text(bad: str) -> None:
    with pytest.raises(ValueError):
        upgrade_15_to_18(bad)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (VALID, "1101**********002X"),
        (VALID_2, "4301**********1234"),
        (" 430102199003071234 ", "4301**********1234"),
        ("110105491231002", "**********"),
        ("", "**********"),
    ],
)
def test_mask_id_shows_first_and_last_four_only(raw: str, expected: str) -> None:
    assert mask_id(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        VALID,
        "11010519491231002x",
        "１１０１０５１９４９１２３１００２Ｘ",
        "１１０１０５１９４９１２３１００２ｘ",
        " 110105 19491231 002X ",
        "110105-19491231-002x",
        "110105－19491231－002X",
        "110105\u300019491231002X",
        "110105491231002",
        "110105 491231 002",
        "110105491231002.0",
    ],
)
def test_noisy_and_legacy_forms_clean_to_the_same_id(raw: str) -> None:
    assert _normalize([raw]) == [{"id_number": VALID, "error": None}]


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        (None, ID_MISSING),
        ("", ID_MISSING),
        ("   ", ID_MISSING),
        ("- -", ID_MISSING),
        ("4.30102195E+17", ID_EXCEL_FLOAT),
        ("4.30102195e+17", ID_EXCEL_FLOAT),
        ("4.301021990030712E17", ID_EXCEL_FLOAT),
        # Excel kept 15 significant digits of 430102199003071234; the check digit fails.
        ("430102199003071000", ID_EXCEL_FLOAT),
        ("430102195001010000", ID_EXCEL_FLOAT),
        ("430102195001010000.0", ID_EXCEL_FLOAT),
        # 430524197001010092 in a number cell is stored as the nearest double, read back as
        # ...112 (a multiple of 64); the check digit of the changed number fails.
        ("430524197001010112", ID_EXCEL_FLOAT),
        # One digit mistyped (...092 -> ...093) is odd, so no double: a plain check-digit error.
        ("430524197001010093", ID_BAD_CHECK_DIGIT),
        ("11010519491231002", ID_BAD_FORMAT),
        ("11010519491231002XX", ID_BAD_FORMAT),
        ("1101051949123100X2", ID_BAD_FORMAT),
        ("11010519491231002Y", ID_BAD_FORMAT),
        ("11010549123100", ID_BAD_FORMAT),
        ("张三", ID_BAD_FORMAT),
        ("11010519491231002X.5", ID_BAD_FORMAT),
        # 1949-02-30 and month 13 do not exist; the check digits are right, so the date fails.
        ("110105194902300020", ID_BAD_BIRTH_DATE),
        ("110105194913310021", ID_BAD_BIRTH_DATE),
        # Born 1880: before 1900, though the check digit is right.
        ("440524188001010014", ID_BAD_BIRTH_DATE),
        # Born after the as-of date.
        ("110105202301010017", ID_BAD_BIRTH_DATE),
        # Legacy 15-digit with an impossible date 1949-02-30.
        ("110105490230002", ID_BAD_BIRTH_DATE),
        ("110105194912310021", ID_BAD_CHECK_DIGIT),
        ("430102199003071235", ID_BAD_CHECK_DIGIT),
    ],
)
def test_refused_ids_carry_their_reason(raw: str | None, error: str) -> None:
    assert _normalize([raw]) == [{"id_number": None, "error": error}]


def test_refused_examples_fail_only_where_they_say() -> None:
    # 7+9+5+20+2+9+24+27+0+18+30+0+4 = 155, mod 11 = 1 -> 0
    assert check_digit("11010519490230002") == "0"
    # 7+9+5+20+2+9+24+27+7+27+30+5+4 = 176, mod 11 = 0 -> 1
    assert check_digit("11010519491331002") == "1"
    # 7+9+5+20+4+0+12+9+0+9+0+5+0+0+2 = 82, mod 11 = 5 -> 7
    assert check_digit("11010520230101001") == "7"
    # Excel's 430102199003071000: 28+27+5+8+2+9+54+27+35+8 = 203, mod 11 = 5 -> 7, not 0.
    assert check_digit("43010219900307100") == "7"


def test_an_18_digit_id_ending_in_000_with_a_valid_check_digit_is_kept() -> None:
    assert _normalize(["430102195001030000"]) == [
        {"id_number": "430102195001030000", "error": None}
    ]


def test_birth_on_the_as_of_date_is_allowed() -> None:
    first17 = "11010520221231001"
    id18 = first17 + check_digit(first17)
    assert _normalize([id18])[0]["error"] is None
    assert _normalize([id18], as_of=date(2022, 12, 30))[0]["error"] == ID_BAD_BIRTH_DATE


def test_non_string_columns_are_read_as_text() -> None:
    frame = pl.DataFrame({"raw": [110105491231002]})
    result = frame.select(normalize_ids(pl.col("raw"), as_of=AS_OF).alias("r"))["r"].to_list()
    assert result == [{"id_number": VALID, "error": None}]


def test_birth_date_and_sex_come_from_the_id() -> None:
    frame = pl.DataFrame({"id": [VALID, VALID_2, None]})
    result = frame.select(
        birth_date_from_id(pl.col("id")).alias("birth"), sex_from_id(pl.col("id")).alias("sex")
    )
    assert result["birth"].to_list() == [date(1949, 12, 31), date(1990, 3, 7), None]
    # 17th digits: 2 (even, female) and 3 (odd, male).
    assert result["sex"].to_list() == ["F", "M", None]


# --- properties ---------------------------------------------------------------------------

_FULL_WIDTH = {chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)}


@st.composite
def valid_ids(draw: st.DrawFn) -> str:
    area = draw(st.from_regex(r"[1-9][0-9]{5}", fullmatch=True))
    born = draw(st.dates(min_value=date(1900, 1, 1), max_value=AS_OF))
    sequence = draw(st.from_regex(r"[0-9]{3}", fullmatch=True))
    first17 = f"{area}{born:%Y%m%d}{sequence}"
    return first17 + check_digit(first17)


@st.composite
def noisy(draw: st.DrawFn, id18: str) -> str:
    out = []
    for char in id18:
        if draw(st.booleans()):
            char = _FULL_WIDTH[char]
        if char in "Xｘ" and draw(st.booleans()):
            char = char.lower()
        out.append(char + draw(st.sampled_from(["", "", "", " ", "-", "－", "\u3000"])))
    return draw(st.sampled_from(["", " "])) + "".join(out)


@given(valid_ids().flatmap(lambda id18: st.tuples(st.just(id18), noisy(id18))))
def test_a_valid_id_survives_noise(pair: tuple[str, str]) -> None:
    id18, raw = pair
    assert _normalize([raw]) == [{"id_number": id18, "error": None}]


@given(valid_ids(), st.integers(0, 17), st.integers(1, 10))
def test_a_single_changed_character_is_refused(id18: str, position: int, shift: int) -> None:
    alphabet = "0123456789X" if position == 17 else "0123456789"
    old = alphabet.index(id18[position])
    new = alphabet[(old + shift) % len(alphabet)]
    if new == id18[position]:
        new = alphabet[(old + 1) % len(alphabet)]
    changed = id18[:position] + new + id18[position + 1 :]
    assert _normalize([changed])[0]["id_number"] is None


@given(
    st.from_regex(r"[1-9][0-9]{5}", fullmatch=True),
    st.dates(min_value=date(1900, 1, 1), max_value=date(1999, 12, 31)),
    st.from_regex(r"[0-9]{3}", fullmatch=True),
)
def test_upgrade_15_to_18_gives_valid_ids(area: str, born: date, sequence: str) -> None:
    id15 = f"{area}{born:%y%m%d}{sequence}"
    id18 = upgrade_15_to_18(id15)
    assert id18[:6] == area and id18[6:14] == f"{born:%Y%m%d}" and id18[14:17] == sequence
    assert _normalize([id18, id15]) == [{"id_number": id18, "error": None}] * 2
