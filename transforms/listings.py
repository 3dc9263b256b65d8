"""The listings beside the report, and the inbox table of the run's artifacts, as the office
reads them: Chinese headings, kinds, statuses and villages named, fields as the template
heads them, refusal reasons in words; keys and codes left out. Values pass the mask."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

import polars as pl

from transforms.masking import Lexicon, mask_listing
from transforms.vocabulary import (
    FILE_STATUS_LABELS,
    KIND_LABELS,
    LISTING_HEADINGS,
    REASON_TEXTS,
    field_label,
)

if TYPE_CHECKING:  # ingest's unknown values are labelled here: no import at run time
    from transforms.ingest import IngestLedger


def reasons_in_words(counts: str | None) -> str | None:
    """``id_bad_check_digit 2; date_in_future 1`` as the office reads it."""
    if not counts:
        return counts
    parts = (item.rsplit(" ", 1) for item in counts.split("; "))
    return "；".join(f"{REASON_TEXTS.get(code, code)} {n} 行" for code, n in parts)


def named(column: str, labels: Mapping[str, str]) -> pl.Expr:
    """``column``'s codes by their labels; a value without one stays as it is."""
    return pl.col(column).replace_strict(labels, default=pl.col(column), return_dtype=pl.String)


def field_names() -> pl.Expr:
    """Each row's ``field`` as the template of its row's ``kind`` heads it."""
    return pl.struct("kind", "field").map_elements(
        lambda r: field_label(r["kind"] or "", r["field"] or ""), return_dtype=pl.String
    )


def office_listing(
    frame: pl.DataFrame, lexicon: Lexicon, names_of: Mapping[str, str]
) -> pl.DataFrame:
    """``frame`` (a ledger table) masked, its values named and its columns headed in Chinese.

    ``names_of``: village and clinic codes -> names. A ``field`` is named by the template
    header of its row's ``kind``; the ``kind`` column then names the ledger."""
    shown = mask_listing(frame, lexicon)
    labelled: list[pl.Expr] = []
    if "field" in shown.columns and "kind" in shown.columns:
        labelled.append(field_names().alias("field"))
    values: dict[str, Callable[[str], pl.Expr]] = {
        "kind": lambda c: named(c, dict(KIND_LABELS)),
        "village_code": lambda c: named(c, dict(names_of)),
        "status": lambda c: named(c, FILE_STATUS_LABELS),
        "refused_by_reason": lambda c: pl.col(c).map_elements(
            reasons_in_words, return_dtype=pl.String
        ),
    }
    labelled += [expr(c).alias(c) for c, expr in values.items() if c in shown.columns]
    shown = shown.with_columns(labelled) if labelled else shown
    kept = [c for c in shown.columns if c in LISTING_HEADINGS]
    return shown.select(kept).rename({c: LISTING_HEADINGS[c] for c in kept})


def ledger_listings(
    ingest: IngestLedger, lexicon: Lexicon, names_of: Mapping[str, str]
) -> dict[str, pl.DataFrame]:
    """ingest_summary, ingest_sheets and refused_rows, each refused row with its file and
    its file's ledger (so that its column is named as that ledger's template heads it)."""
    files = ingest.files.select("file_id", "path", "kind")
    refused = ingest.refused_rows.join(files, on="file_id", how="left")
    return {
        "ingest_summary.csv": office_listing(ingest.files, lexicon, names_of),
        "ingest_sheets.csv": office_listing(ingest.sheets, lexicon, names_of),
        "refused_rows.csv": office_listing(
            refused.select(["path", *[c for c in refused.columns if c != "path"]]),
            lexicon,
            names_of,
        ),
    }
