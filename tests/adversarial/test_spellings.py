"""Compound, partial and oddly written values of every enumeration (issue 14, item 3).

The promise: a value naming one or more parts of one code's name reads as that code, whatever
its punctuation, spaces or width; a value that could mean several codes is refused as
ambiguous with every candidate named; a value that merely shares a character with a code is
unknown. Expected codes below are the spec's, written by hand.
"""

from __future__ import annotations

import random

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from transforms.normalize import normalize_kind, parse_field
from transforms.vocabulary import (
    DOSE_LABELS,
    ENUMERATIONS,
    PUBLICITY_KINDS,
    RESIDENCE_STATUS,
    VACCINATION_MODES,
)

AMBIGUOUS = "value_ambiguous"
ENUM_UNKNOWN = "value_not_in_vocabulary"

# (field type, value as typed, expected code or refusal code). Codes of doses are numbers.
SPELLINGS: list[tuple[str, str, object]] = [
    # 宣传形式: the spec's compound 宣传片/宣传画/宣传标语 刊播 and its parts.
    ("publicity_kind", "宣传片/宣传画/宣传标语 刊播", "broadcast"),
    ("publicity_kind", "宣传画刊播", "broadcast"),
    ("publicity_kind", "标语刊播", "broadcast"),
    ("publicity_kind", "宣传片、标语刊播", "broadcast"),
    ("publicity_kind", "刊播宣传片", "broadcast"),
    ("publicity_kind", "刊播（宣传画）", "broadcast"),
    ("publicity_kind", "宣传标语", "broadcast"),
    ("publicity_kind", "标语", "broadcast"),
    ("publicity_kind", "宣传片 + 宣传画", "broadcast"),
    ("publicity_kind", "ｓ宣传画刊播", "publicity_kind_unknown"),
    ("publicity_kind", "宣传画", "poster"),
    ("publicity_kind", "张贴 宣传画", "poster"),
    ("publicity_kind", "宣传单张", "leaflet"),
    ("publicity_kind", "广播-音频", "audio"),
    ("publicity_kind", "宣传", AMBIGUOUS),
    ("publicity_kind", "横幅标语", AMBIGUOUS),
    ("publicity_kind", "宣传片、宣传画张贴", AMBIGUOUS),
    ("publicity_kind", "宣传栏", "publicity_kind_unknown"),
    ("publicity_kind", "画", "publicity_kind_unknown"),
    ("publicity_kind", "电视", "publicity_kind_unknown"),
    # 居住状态.
    ("status", "在 家", "at_home"),
    ("status", "外出（务工）", "away_work"),
    ("status", "务工外出", "away_work"),
    ("status", "已迁出。", "moved_out"),
    ("status", "外出", "away"),
    ("status", "死亡迁出", AMBIGUOUS),
    ("status", "在家务工", AMBIGUOUS),
    ("status", "外地", "status_unknown"),
    ("status", "家", "status_unknown"),
    ("status", "在家务农", "status_unknown"),
    # 剂次.
    ("dose", "第 ２ 针", 2),
    ("dose", "第一", 1),
    ("dose", "加强", 3),
    ("dose", "加强针（序贯）", 3),
    ("dose", "第二针加强", AMBIGUOUS),
    ("dose", "11", "dose_unknown"),
    ("dose", "第四针", "dose_unknown"),
    ("dose", "针", "dose_unknown"),
    # 接种方式: never refused, so an unknown or ambiguous mode is other.
    ("mode", "上门服务接种", "door_to_door"),
    ("mode", "门诊 接种", "clinic"),
    ("mode", "临时接种点。", "temporary_site"),
    ("mode", "接种", "other"),
    ("mode", "门", "other"),
    # The other enumerations.
    ("enum:control_measure", "集中 隔离", "central_quarantine"),
    ("enum:control_measure", "无需", "no_control"),
    ("enum:control_measure", "隔离", AMBIGUOUS),
    ("enum:control_measure", "抗原检测", ENUM_UNKNOWN),
    ("enum:verification_result", "查无", "not_found"),
    ("enum:verification_result", "已落实！", "implemented"),
    ("enum:place_type", "市场", "farmers_market"),
    ("enum:place_type", "超市、商超", "supermarket"),
    ("enum:place_type", "学校幼儿园", AMBIGUOUS),
    ("enum:place_type", "娱乐场所", ENUM_UNKNOWN),
    ("enum:rectification", "整改", AMBIGUOUS),
    ("enum:rectification", "整改完成。", "rectified"),
    ("enum:meeting_type", "党委会（扩大）", ENUM_UNKNOWN),
    ("enum:meeting_type", "专题会议", "special_meeting"),
    ("enum:yes_no", "是", "yes"),
    ("enum:yes_no", "是否", ENUM_UNKNOWN),
    ("enum:demonstration_stage", "验收", "accepted"),
]


def _read(field_type: str, values: list[str], ctx) -> list[tuple[object, str | None]]:
    value, error = parse_field(pl.col("raw"), field_type, ctx)
    frame = pl.DataFrame({"raw": values}, schema={"raw": pl.String}).select(
        value.alias("value"),
        (error if error is not None else pl.lit(None, dtype=pl.String)).alias("error"),
    )
    return list(frame.iter_rows())


def test_the_table_covers_every_enumeration() -> None:
    covered = {t for t, _, _ in SPELLINGS}
    assert {"publicity_kind", "status", "dose", "mode"} <= covered
    assert {f"enum:{name}" for name in ENUMERATIONS} <= covered
    assert len(SPELLINGS) >= 40


@pytest.mark.parametrize(("field_type", "raw", "expected"), SPELLINGS)
def test_each_spelling_reads_as_its_code(field_type: str, raw: str, expected: object, ctx) -> None:
    [(value, error)] = _read(field_type, [raw], ctx)
    if expected in (AMBIGUOUS, ENUM_UNKNOWN) or str(expected).endswith("_unknown"):
        assert (value, error) == (None, expected)
    else:
        assert (value, error) == (expected, None)


TABLES = [
    ("status", RESIDENCE_STATUS),
    ("publicity_kind", PUBLICITY_KINDS),
    ("dose", DOSE_LABELS),
    ("mode", VACCINATION_MODES),
    *((f"enum:{name}", table) for name, table in ENUMERATIONS.items()),
]
_WIDE = str.maketrans({chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)})
NOISE = [" ", "\u3000", "、", "，", "/", "（", "）", "-", "·", "。", "\t"]


@given(
    st.sampled_from([(t, s, c) for t, table in TABLES for s, c in table.items()]),
    st.lists(st.sampled_from(NOISE), max_size=6),
    st.booleans(),
    st.randoms(use_true_random=False),
)
def test_listed_spellings_ignore_punctuation_spaces_and_width(
    ctx, item: tuple[str, str, object], noise: list[str], wide: bool, rnd: random.Random
) -> None:
    field_type, spelling, code = item
    chars = list(spelling)
    for mark in noise:
        chars.insert(rnd.randrange(len(chars) + 1), mark)
    raw = "".join(chars).translate(_WIDE) if wide else "".join(chars)
    assert _read(field_type, [raw], ctx) == [(code, None)]


BROADCAST_PARTS = ["宣传片", "宣传画", "宣传标语", "标语", "刊播"]


@given(
    st.lists(st.sampled_from(BROADCAST_PARTS), min_size=1, max_size=4, unique=True),
    st.lists(st.sampled_from(["", "、", " ", "/", "，", "＋"]), min_size=4, max_size=4),
)
def test_any_parts_of_the_compound_kind_read_as_broadcast(
    ctx, parts: list[str], separators: list[str]
) -> None:
    raw = "".join(p + s for p, s in zip(parts, separators, strict=False))
    expected = "poster" if parts == ["宣传画"] else "broadcast"  # 宣传画 alone is a listed poster
    assert _read("publicity_kind", [raw], ctx) == [(expected, None)]


# CJK characters that occur in no spelling of any enumeration.
_USED = {c for _, table in TABLES for s in table for c in s}
FOREIGN = [c for c in "甲乙丙丁戊己庚辛壬癸山水火木金土风云雷电江河湖海花草" if c not in _USED]


@given(
    st.sampled_from(TABLES),
    st.lists(st.sampled_from(FOREIGN), min_size=1, max_size=5),
    st.data(),
)
def test_sharing_one_character_with_a_code_matches_nothing(
    ctx, table: tuple[str, dict], foreign: list[str], data
) -> None:
    field_type, spellings = table
    shared = data.draw(st.sampled_from(sorted({c for s in spellings for c in s})))
    at = data.draw(st.integers(0, len(foreign)))
    raw = "".join(foreign[:at]) + shared + "".join(foreign[at:])
    [(value, error)] = _read(field_type, [raw], ctx)
    if field_type == "mode":
        assert (value, error) == ("other", None)
    else:
        assert value is None and error is not None and error != AMBIGUOUS


def test_an_ambiguous_value_is_refused_naming_every_candidate(ctx) -> None:
    rows = pl.DataFrame(
        {
            "file_id": ["f1", "f1", "f1"],
            "sheet": ["台账"] * 3,
            "row_number": [3, 4, 5],
            "activity_on": ["2022-03-01"] * 3,
            "kind": ["横幅标语", "宣传画刊播", "宣传"],
            "quantity": ["5", "6", "7"],
        },
        schema_overrides={"row_number": pl.Int64},
    )
    result = normalize_kind("publicity", rows, ctx)
    assert result.loaded["kind"].to_list() == ["broadcast"]
    refused = {r["row_number"]: r for r in result.refused.iter_rows(named=True)}
    assert {n: r["reason_code"] for n, r in refused.items()} == {3: AMBIGUOUS, 5: AMBIGUOUS}
    first, second = refused[3]["reason"], refused[5]["reason"]
    assert "“横幅”" in first and "“宣传片、宣传画、宣传标语刊播”" in first
    for label in ("宣传画张贴", "横幅", "宣传单", "入户宣讲", "宣传片、宣传画、宣传标语刊播"):
        assert f"“{label}”" in second
    for reason in (first, second):
        assert "，" in reason and not any(c in reason for c in ",:;()")
