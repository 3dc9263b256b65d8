"""Words no spelling names, counted per field and value, each with the figure it is missing
from and the closest known spelling.

A value of an enumerated field (居住状态, 剂次, 宣传形式, 所属村 …) that no spelling reads is
refused with its row, or for 接种方式 read as "other" (a dose is never refused for its mode);
either way a figure is short. ``unknown_values.csv`` and the quality check
``expectations/unknown_values.yaml`` say by how much and how to fix it: correct the file, or
add the spelling to the township's ``vocabulary:`` (one line, docs/inputs.md).
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping

import polars as pl

from transforms.listings import field_names, named
from transforms.normalize import FIELD_TYPES, NormalizeContext
from transforms.spellings import VALUE_AMBIGUOUS, SpellingIndex, fold_value
from transforms.vocabulary import (
    AFFECTED_FIGURES,
    KIND_LABELS,
    PUBLICITY_AFFECTED_FIGURE,
    UNKNOWN_VALUE_NOTE,
    field_label,
)

# Refusal (and unread) codes of a value no spelling reads, or several do.
VOCABULARY_REASONS: frozenset[str] = frozenset(
    {
        "status_unknown", "publicity_kind_unknown", "value_not_in_vocabulary", "dose_unknown",
        "village_unknown", "mode_unknown", VALUE_AMBIGUOUS,
    }
)  # fmt: skip
# How close (difflib's ratio, 0..1) a known spelling must be to be offered as the fix.
SUGGESTION_CUTOFF = 0.4

UNKNOWN_SCHEMA: dict[str, pl.DataType] = {
    "kind": pl.String(),
    "field": pl.String(),
    "value_masked": pl.String(),
    "reason_code": pl.String(),
    "rows": pl.Int64(),
    "files": pl.Int64(),
    "suggestion": pl.String(),
    "figure": pl.String(),
    "source_rows": pl.Int64(),
    "field_rows": pl.Int64(),
    "field_share_pct": pl.Float64(),
    "note": pl.String(),
}


def suggest(value: str, index: SpellingIndex) -> tuple[str | None, str | None]:
    """(label, code) of the known spelling closest to ``value``; the candidates' labels of an
    ambiguous value; (None, None) when nothing is close."""
    found = index.match(value)
    if found.candidates:
        return "或".join(f"“{index.labels[c]}”" for c in found.candidates), None
    folded = fold_value(value)
    close = difflib.get_close_matches(folded, list(index.spellings), n=1, cutoff=SUGGESTION_CUTOFF)
    if not close:
        return None, None
    code = index.spellings[close[0]]
    return f"“{index.labels[code]}”", code


def spelling_indexes(ctx: NormalizeContext) -> dict[str, SpellingIndex]:
    """Every spelling index by field type, the township's villages as ``village``."""
    return {**ctx.vocabulary.spellings, "village": SpellingIndex.of(ctx.villages.labels)}


def _figure(kind: str, field: str, code: str | None, publicity: SpellingIndex) -> str:
    """The figure an unknown value of this field is missing from; for a publicity kind whose
    closest spelling is one kind, that kind's own figure."""
    if kind == "publicity" and field == "kind" and code is not None:
        return PUBLICITY_AFFECTED_FIGURE.format(label=publicity.labels[code])
    return AFFECTED_FIGURES[(kind, field)]


def unknown_values(
    refused_rows: pl.DataFrame,
    unread_rows: pl.DataFrame,
    files: pl.DataFrame,
    indexes: Mapping[str, SpellingIndex],
) -> pl.DataFrame:
    """One line per kind, field and value: its rows and files, the suggested spelling, the
    figure it is missing from, and the field's unknown rows as a share of the kind's rows.

    ``indexes`` are the spelling indexes by field type (the township's vocabulary and its
    villages as ``village``), the same the normalization read the values with.
    """
    rows = pl.concat(
        [
            refused_rows.filter(pl.col("reason_code").is_in(list(VOCABULARY_REASONS))),
            unread_rows,
        ],
        how="diagonal_relaxed",
    ).join(files.select("file_id", "kind"), on="file_id", how="inner")
    if rows.is_empty():
        return pl.DataFrame(schema=UNKNOWN_SCHEMA)
    source = (
        files.filter(pl.col("status") == "loaded")
        .group_by("kind")
        .agg(pl.col("rows_read").sum().alias("source_rows"))
    )
    grouped = (
        rows.group_by("kind", "field", "value_masked", "reason_code")
        .agg(pl.len().alias("rows"), pl.col("file_id").n_unique().alias("files"))
        .join(source, on="kind", how="left")
        .with_columns(pl.col("rows").sum().over("kind", "field").alias("field_rows"))
        .with_columns(
            (100 * pl.col("field_rows") / pl.col("source_rows")).round(2).alias("field_share_pct")
        )
        .sort("kind", "field", "rows", "value_masked", descending=[False, False, True, False])
    )
    lines = []
    for line in grouped.iter_rows(named=True):
        index = indexes[FIELD_TYPES[line["kind"]][line["field"]]]
        suggestion, code = suggest(line["value_masked"] or "", index)
        figure = _figure(line["kind"], line["field"], code, indexes["publicity_kind"])
        note = UNKNOWN_VALUE_NOTE.format(
            kind=KIND_LABELS[line["kind"]],
            field=field_label(line["kind"], line["field"]),
            value=line["value_masked"],
            rows=line["rows"],
            figure=figure,
        )
        lines.append({**line, "suggestion": suggestion, "figure": figure, "note": note})
    return pl.DataFrame(lines, schema=UNKNOWN_SCHEMA)


# unknown_values.csv and its artifact: column -> the heading a clerk reads.
LISTING_COLUMNS: dict[str, str] = {
    "kind_label": "台账",
    "field_label": "栏目",
    "value_masked": "填写的值",
    "rows": "记录数",
    "files": "文件数",
    "suggestion": "建议改为",
    "figure": "影响的数字",
    "field_share_pct": "该栏未识别记录占该台账记录的百分比",
}


def unknown_values_listing(frame: pl.DataFrame) -> pl.DataFrame:
    """The lines of ``unknown_values`` as the office reads them: Chinese headings and labels."""
    labelled = frame.with_columns(
        named("kind", KIND_LABELS).alias("kind_label"), field_names().alias("field_label")
    )
    return labelled.select([pl.col(c).alias(h) for c, h in LISTING_COLUMNS.items()])
