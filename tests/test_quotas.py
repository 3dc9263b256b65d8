"""The 储备定额 note of a reserve row, read into (item, quota) pairs or refused with a reason."""

from __future__ import annotations

import polars as pl
import pytest

from transforms.normalize import normalize_kind
from transforms.quotas import QUOTA_NOTE_UNREADABLE, parse_quota_notes


def _parse(note: str | None) -> dict:
    frame = pl.DataFrame({"note": [note]}, schema={"note": pl.String})
    return frame.select(parse_quota_notes(pl.col("note")).alias("p")).unnest("p").row(0, named=True)


@pytest.mark.parametrize(
    ("note", "quotas"),
    [
        # as the demo clinics write it: template headers, full-width brackets and semicolons
        (
            "制氧机台数:5；指夹式血氧仪个数:30；退烧药库存（盒）:300；抗原检测试剂(份):1500",
            {"oxygen_concentrators": 5, "oximeters": 30, "antipyretic_boxes": 300,
             "antigen_tests": 1500},
        ),
        ("退烧药:50盒，床位数：3", {"antipyretic_boxes": 50, "beds": 3}),
        ("退烧药库存 : 1,200 ;", {"antipyretic_boxes": 1200}),
        ("发热诊室数:1、制氧机:2", {"fever_rooms": 1, "oxygen_concentrators": 2}),
        ("", {}),
    ],
)  # fmt: skip
def test_a_note_names_items_and_whole_counts(note: str, quotas: dict[str, int]) -> None:
    parsed = _parse(note)
    assert parsed["error"] is None
    assert {q["item"]: q["quota"] for q in parsed["quotas"]} == quotas


def test_no_note_is_no_quota() -> None:
    assert _parse(None) == {"quotas": None, "error": None}


@pytest.mark.parametrize("note", ["若干", "退烧药:很多", "口罩:100", "退烧药:-5", "退烧药300"])
def test_an_unreadable_note_is_refused(note: str) -> None:
    assert _parse(note) == {"quotas": None, "error": QUOTA_NOTE_UNREADABLE}


def test_a_reserve_row_with_an_unreadable_note_is_refused_with_its_reason(ctx) -> None:
    rows = pl.DataFrame(
        {
            "file_id": ["f", "f"],
            "sheet": ["物资储备", "物资储备"],
            "row_number": [3, 4],
            "unit": ["白沙镇卫生院", "白沙镇卫生院"],
            "reported_on": ["2022-12-01", "2022-12-15"],
            "antipyretic_boxes": ["120", "90"],
            "quota_note": ["退烧药:300", "按上级要求"],
        }
    )
    result = normalize_kind("reserve", rows, ctx)
    assert result.loaded["quota_note"].to_list() == [[{"item": "antipyretic_boxes", "quota": 300}]]
    assert result.refused.select("row_number", "field", "reason_code").rows() == [
        (4, "quota_note", QUOTA_NOTE_UNREADABLE)
    ]
    assert "储备定额" in result.refused["reason"][0]
