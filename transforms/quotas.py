"""The 储备定额 note of a reserve row, e.g. "制氧机台数:5；退烧药库存（盒）:300".

Clinics state their reserve quota in a free-text column rather than one column per
item. The note is read into (item, quota) pairs here, at normalization, so the SQL
stage compares stock and quota by item code and no Chinese item name reaches SQL.
"""

from __future__ import annotations

import re

import polars as pl

from transforms.quantities import parse_quantities
from transforms.vocabulary import (
    HEADER_ALIASES,
    QUOTA_NOTE_SEPARATORS,
    RESERVE_ITEM_LABELS,
    fold,
    fold_header,
)

QUOTA_NOTE_UNREADABLE = "quota_note_unreadable"
QUOTA_SCHEMA = pl.List(pl.Struct({"item": pl.String, "quota": pl.Int64}))


def _item_names() -> dict[str, str]:
    """Folded names a note may give an item: the ledger's column headers and the report's label."""
    names: dict[str, str] = {}
    for item, headers in HEADER_ALIASES["reserve"].items():
        if item in RESERVE_ITEM_LABELS:
            for header in headers:
                names[fold(header)] = item
                names[fold_header(header)] = item
    for item, (label, _unit) in RESERVE_ITEM_LABELS.items():
        names[fold(label)] = item
    return names


QUOTA_ITEM_NAMES: dict[str, str] = _item_names()
_SEPARATORS = "[" + re.escape("".join(QUOTA_NOTE_SEPARATORS)) + "]"


def parse_quota_notes(col: pl.Expr) -> pl.Expr:
    """Parse notes into a Struct {quotas: list of {item, quota}, error: reason or null}.

    Every part must name a known item and a whole count; otherwise the row is refused
    with a reason, since a quota read wrongly would invent or hide a shortfall.
    """
    parts = (
        col.str.normalize("NFKC")
        .str.replace_all(_SEPARATORS, ";")
        .str.replace_all(r",(\D|$)", ";${1}")  # a comma before a digit groups thousands
        .str.replace_all(r"\s", "")
        .str.split(";")
        .list.eval(pl.element().filter(pl.element() != ""))
    )
    name = pl.element().str.extract(r"^([^:=]+)[:=]", 1)
    bare_name = name.str.replace(r"\([^)]*\)$", "").str.strip_chars("*")
    quantity = parse_quantities(pl.element().str.extract(r"[:=](.*)$", 1))
    pairs = parts.list.eval(
        pl.struct(
            item=pl.coalesce(
                name.replace_strict(QUOTA_ITEM_NAMES, default=None, return_dtype=pl.String),
                bare_name.replace_strict(QUOTA_ITEM_NAMES, default=None, return_dtype=pl.String),
            ),
            quota=quantity.struct.field("quantity"),
        )
    )
    unreadable = pairs.list.eval(
        pl.element().struct.field("item").is_null() | pl.element().struct.field("quota").is_null()
    ).list.any()
    return pl.struct(
        quotas=pl.when(~unreadable).then(pairs).cast(QUOTA_SCHEMA),
        error=pl.when(unreadable).then(pl.lit(QUOTA_NOTE_UNREADABLE)),
    )
