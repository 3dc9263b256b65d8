"""Dose labels (transforms/doses.py)."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from transforms.doses import DOSE_MISSING, DOSE_UNKNOWN, normalize_doses
from transforms.vocabulary import DOSE_LABELS

_FULL_WIDTH = str.maketrans({chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)})


def _normalize(values: list) -> list[dict]:
    frame = pl.DataFrame({"raw": values}, schema={"raw": pl.String})
    return frame.select(normalize_doses(pl.col("raw")).alias("r"))["r"].to_list()


@pytest.mark.parametrize(
    ("raw", "dose"),
    [
        # The spec's vocabulary, in its order.
        ("1", 1),
        ("2", 2),
        ("3", 3),
        ("第1剂", 1),
        ("第一剂", 1),
        ("第一针", 1),
        ("第二剂", 2),
        ("第二针", 2),
        ("加强针", 3),
        ("加强免疫", 3),
        ("第3剂", 3),
        ("序贯加强", 3),
        # Numeric cells, full-width and spaced forms.
        ("1.0", 1),
        ("2.00", 2),
        ("3.0", 3),
        ("１", 1),
        ("３．０", 3),
        ("第２剂", 2),
        ("第 一 针", 1),
        (" 加强针 ", 3),
        ("加强\u3000针", 3),
    ],
)
def test_known_labels_map_to_dose_numbers(raw: str, dose: int) -> None:
    assert _normalize([raw]) == [{"dose": dose, "error": None}]


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        (None, DOSE_MISSING),
        ("", DOSE_MISSING),
        ("  ", DOSE_MISSING),
        ("0", DOSE_UNKNOWN),
        ("4", DOSE_UNKNOWN),
        ("第四针", DOSE_UNKNOWN),
        ("1.5", DOSE_UNKNOWN),
        ("10", DOSE_UNKNOWN),
        ("abc", DOSE_UNKNOWN),
        ("未接种", DOSE_UNKNOWN),
    ],
)
def test_unknown_and_missing_labels_are_refused(raw: str | None, error: str) -> None:
    assert _normalize([raw]) == [{"dose": None, "error": error}]


def test_dose_is_int8() -> None:
    frame = pl.DataFrame({"raw": ["1"]})
    schema = frame.select(normalize_doses(pl.col("raw")).alias("r")).schema
    assert schema["r"] == pl.Struct({"dose": pl.Int8, "error": pl.String})


@given(
    st.sampled_from(sorted(DOSE_LABELS.items())),
    st.booleans(),
    st.sampled_from(["", " ", "\u3000", "\t"]),
)
def test_every_vocabulary_label_survives_width_and_spacing(
    item: tuple[str, int], wide: bool, pad: str
) -> None:
    label, dose = item
    raw = pad + pad.join(label) + pad
    if wide:
        raw = raw.translate(_FULL_WIDTH)
    assert _normalize([raw]) == [{"dose": dose, "error": None}]
