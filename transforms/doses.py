"""Dose labels (剂次) from clinic exports and village lists, mapped to dose numbers.

Coverage counts persons by dose, so a label outside the vocabulary is refused
rather than guessed; the vocabulary itself lives in ``vocabulary.DOSE_LABELS``.
"""

from __future__ import annotations

import polars as pl

from transforms.vocabulary import DOSE_LABELS_FOLDED

DOSE_MISSING = "dose_missing"
DOSE_UNKNOWN = "dose_unknown"

# A numeric cell rendered by calamine: "1.0" is dose 1.
_ZERO_FRACTION = r"^([0-9]+)\.0+$"


def normalize_doses(col: pl.Expr) -> pl.Expr:
    """Map dose labels to a Struct {dose: Int8 1/2/3 (3 = booster) or null, error: reason or null}.

    Labels are folded as ``vocabulary.fold`` does (NFKC, no whitespace) before lookup.
    """
    folded, dose = pl.field("folded"), pl.field("dose")
    # Each step reads the fields of the previous one, so the folding runs once per cell.
    looked_up = pl.struct(
        folded=col.cast(pl.String)
        .str.normalize("NFKC")
        .str.replace_all(r"\s+", "")
        .str.replace(_ZERO_FRACTION, "${1}")
    ).struct.with_fields(
        dose=folded.replace_strict(DOSE_LABELS_FOLDED, default=None, return_dtype=pl.Int8)
    )
    error = (
        pl.when(folded.is_null() | (folded == ""))
        .then(pl.lit(DOSE_MISSING))
        .when(dose.is_null())
        .then(pl.lit(DOSE_UNKNOWN))
        .otherwise(pl.lit(None, dtype=pl.String))
    )
    return looked_up.struct.with_fields(result=pl.struct(dose=dose, error=error)).struct.field(
        "result"
    )
