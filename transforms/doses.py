"""Dose labels (剂次) from clinic exports and village lists, mapped to dose numbers.

Coverage counts persons by dose, so a label outside the vocabulary, or one that could
name two doses, is refused rather than guessed; the vocabulary itself lives in
``vocabulary.DOSE_LABELS`` and is read by the one spelling rule (``transforms/spellings.py``).
"""

from __future__ import annotations

import polars as pl

from transforms.spellings import DOSE_SPELLINGS, SpellingIndex, match_spellings

DOSE_MISSING = "dose_missing"
DOSE_UNKNOWN = "dose_unknown"

# A numeric cell rendered by calamine: "1.0" is dose 1.
_ZERO_FRACTION = r"^([0-9]+)\.0+$"


def normalize_doses(col: pl.Expr, spellings: SpellingIndex = DOSE_SPELLINGS) -> pl.Expr:
    """Map dose labels to a Struct {dose: Int8 1/2/3 (3 = booster) or null, error: reason or null}.

    The error is dose_missing, dose_unknown or value_ambiguous.
    """
    text = (
        col.cast(pl.String)
        .str.normalize("NFKC")
        .str.replace_all(r"\s+", "")
        .str.replace(_ZERO_FRACTION, "${1}")
    )
    text = pl.when(text != "").then(text)
    matched = match_spellings(text, spellings, DOSE_UNKNOWN)
    return pl.struct(
        dose=matched.struct.field("code").cast(pl.Int8),
        error=pl.coalesce(
            pl.when(text.is_null()).then(pl.lit(DOSE_MISSING)), matched.struct.field("error")
        ),
    )
