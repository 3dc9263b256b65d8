"""Stage 2c: turn located tables into typed rows, or refused rows with a reason.

Each kind's fields have a type (``kinds/<kind>.yaml``); each type has a parser that yields
a value and an error code. A row with an error in any field it carries (or a missing
required field) is refused, with the first failing field named. ID numbers
become keyed hashes here and names and phone numbers are dropped, so no
personal field leaves this stage.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass

import polars as pl

from epireport.config import FileKind
from transforms.contract import CONTRACT
from transforms.dates import parse_dates
from transforms.doses import normalize_doses
from transforms.ids import birth_date_from_id, mask_ids, normalize_ids, sex_from_id
from transforms.masking import mask_column, mask_label, scrub_cell, township_lexicon
from transforms.quantities import parse_quantities
from transforms.quotas import parse_quota_notes
from transforms.spellings import (
    VALUE_AMBIGUOUS,
    match_spellings,
)
from transforms.township_vocabulary import SHIPPED_VOCABULARY, Vocabulary
from transforms.villages import VillageIndex
from transforms.vocabulary import (
    ENUMERATIONS,
    QUANTITY_BOUNDS,
    QUANTITY_CEILING,
    REASON_TEXTS,
    REQUIRED_FIELDS,
    VILLAGE_SUFFIXES,
)

# A field's type; "enum:<name>" takes its values from vocabulary.ENUMERATIONS[name].
FieldType = str
# Read to recognise a file's columns, never stored: personal data, and free text that no
# file under sql/, expectations/ or templates/ uses. Stored free text ("text") is scrubbed.
NOT_STORED_TYPES: frozenset[FieldType] = frozenset({"personal", "unused"})

# The first COVID-19 vaccination in the programme; earlier dates are typing errors.
VACCINATION_START = dt.date(2020, 12, 15)

# Each kind's fields whose values are read, with their types (kinds/<kind>.yaml).
FIELD_TYPES: dict[FileKind, dict[str, FieldType]] = {
    kind: spec.field_types() for kind, spec in CONTRACT.kinds.items()
}

# Columns every normalized or refused frame carries: where the row came from.
SOURCE_COLUMNS: tuple[str, ...] = ("file_id", "sheet", "row_number")


@dataclass(frozen=True)
class NormalizeContext:
    """Parameters a normalization needs; passed in, never looked up."""

    run_date: dt.date
    villages: VillageIndex
    person_key: bytes
    vocabulary: Vocabulary = SHIPPED_VOCABULARY


@dataclass(frozen=True)
class Normalized:
    """Loaded and refused rows; ``unread`` lists loaded rows with a value read as "other"
    because no spelling names it (transforms/unknown_values.py counts them)."""

    loaded: pl.DataFrame
    refused: pl.DataFrame
    unread: pl.DataFrame = dataclasses.field(
        default_factory=lambda: pl.DataFrame(schema=REFUSED_SCHEMA)
    )


REFUSED_SCHEMA: dict[str, pl.DataType] = {
    "file_id": pl.String(),
    "sheet": pl.String(),
    "row_number": pl.Int64(),
    "field": pl.String(),
    "reason_code": pl.String(),
    "reason": pl.String(),
    "value_masked": pl.String(),
}


def _lookup(col: pl.Expr, table: dict[str, str], suffix_strip: bool = False) -> pl.Expr:
    folded = col.str.normalize("NFKC").str.replace_all(r"\s", "")
    found = folded.replace_strict(table, default=None, return_dtype=pl.String)
    if suffix_strip:
        bare = folded.str.replace("(" + "|".join(VILLAGE_SUFFIXES) + ")$", "")
        found = pl.coalesce(found, bare.replace_strict(table, default=None, return_dtype=pl.String))
    return found


def _checked(value: pl.Expr, raw: pl.Expr, code: str) -> tuple[pl.Expr, pl.Expr]:
    """A lookup result and its error: raw text present but nothing found."""
    return value, pl.when(raw.is_not_null() & value.is_null()).then(pl.lit(code))


# Enumerated field types -> the code of a value none of their spellings names.
UNKNOWN_CODES: dict[FieldType, str] = {
    "status": "status_unknown",
    "publicity_kind": "publicity_kind_unknown",
    **{f"enum:{name}": "value_not_in_vocabulary" for name in ENUMERATIONS},
}
# Field types whose refused values may be ambiguous (the refusal names the candidates).
AMBIGUOUS_TYPES: frozenset[FieldType] = frozenset({"dose", *UNKNOWN_CODES})
# A mode no spelling names is read as "other"; the row loads and the value is listed.
MODE_UNKNOWN = "mode_unknown"


def _ambiguity_reasons(
    field: pl.Expr, raw: pl.Expr, types: dict[str, FieldType], vocabulary: Vocabulary
) -> pl.Expr:
    """The refusal of each ambiguous value, naming the codes it could mean (else null)."""

    def explain(rows: pl.Series) -> pl.Series:
        reasons = []
        for row in rows.to_list():
            field_type = types.get(row["field"], "")
            ambiguous = field_type in AMBIGUOUS_TYPES and row["raw"] is not None
            index = vocabulary.index(field_type) if ambiguous else None
            reasons.append(index.ambiguity_reason(row["raw"]) if index else None)
        return pl.Series(reasons, dtype=pl.String)

    return pl.struct(field=field, raw=raw).map_batches(explain, return_dtype=pl.String)


def _date_in_range(raw: pl.Expr, ctx: NormalizeContext, earliest: dt.date | None):
    parsed = parse_dates(raw)
    value, error = parsed.struct.field("date"), parsed.struct.field("error")
    checks = [(value > pl.lit(ctx.run_date), "date_in_future")]
    if earliest is not None:
        checks.append((value < pl.lit(earliest), "date_before_vaccine_start"))
    for failed, code in checks:
        error = pl.coalesce(error, pl.when(failed).then(pl.lit(code)))
    return value, error


def parse_field(
    raw: pl.Expr,
    field_type: FieldType,
    ctx: NormalizeContext,
    upper_bound: int = QUANTITY_CEILING,
) -> tuple[pl.Expr, pl.Expr | None]:
    """The typed value of a text column and the error code of each cell (null if fine);
    ``upper_bound`` is the largest count the field may hold."""
    if field_type == "id":
        parsed = normalize_ids(raw, as_of=ctx.run_date)
        return parsed.struct.field("id_number"), parsed.struct.field("error")
    if field_type in ("date", "vaccination_date"):
        earliest = VACCINATION_START if field_type == "vaccination_date" else None
        return _date_in_range(raw, ctx, earliest)
    if field_type == "dose":
        parsed = normalize_doses(raw, ctx.vocabulary.index("dose"))
        return parsed.struct.field("dose"), parsed.struct.field("error")
    if field_type == "count":
        parsed = parse_quantities(raw, upper_bound)
        return parsed.struct.field("quantity"), parsed.struct.field("error")
    if field_type in UNKNOWN_CODES:
        index = ctx.vocabulary.index(field_type)
        parsed = match_spellings(raw, index, UNKNOWN_CODES[field_type])
        return parsed.struct.field("code"), parsed.struct.field("error")
    if field_type == "village":
        code = _lookup(raw, ctx.villages.labels, suffix_strip=True)
        return _checked(code, raw, "village_unknown")
    if field_type == "quota_note":
        parsed = parse_quota_notes(raw)
        return parsed.struct.field("quotas"), parsed.struct.field("error")
    if field_type == "mode":
        # A dose is never refused for its mode: a mode no spelling names, or several, is other.
        index = ctx.vocabulary.index("mode")
        code = match_spellings(raw, index, "other").struct.field("code")
        return code.fill_null(pl.when(raw.is_not_null()).then(pl.lit("other"))), None
    if field_type == "text":
        lexicon = township_lexicon(ctx.villages)
        return mask_column(raw, lambda text: scrub_cell(text, lexicon)), None
    return raw, None


def hash_person_ids(ids: pl.Series, key: bytes) -> pl.Series:
    """HMAC-SHA256 of each ID: people stay matchable across files without storing the ID."""
    return pl.Series(
        [None if i is None else hmac.new(key, i.encode(), hashlib.sha256).hexdigest() for i in ids],
        dtype=pl.String,
    )


def normalize_kind(kind: FileKind, rows: pl.DataFrame, ctx: NormalizeContext) -> Normalized:
    """Typed rows of one kind; ``rows`` has source columns and one text column per field."""
    types = FIELD_TYPES[kind]
    frame = rows.with_columns(
        pl.lit(None, dtype=pl.String).alias(f) for f in types if f not in rows.columns
    )
    parsed: dict[str, pl.Expr] = {}
    has_error: list[str] = []
    for field, field_type in types.items():
        raw = pl.col(field).str.strip_chars()
        raw = pl.when(raw != "").then(raw)
        bound = QUANTITY_BOUNDS.get(kind, {}).get(field, QUANTITY_CEILING)
        value, error = parse_field(raw, field_type, ctx, bound)
        if field in REQUIRED_FIELDS[kind]:
            missing = "id_missing" if field_type == "id" else "value_missing"
            error = pl.coalesce(pl.when(raw.is_null()).then(pl.lit(missing)), error)
        elif error is not None:
            error = pl.when(raw.is_not_null()).then(error)
        if error is not None:
            has_error.append(field)
        parsed[field] = pl.struct(
            value.alias("value"),
            (error if error is not None else pl.lit(None, dtype=pl.String)).alias("error"),
        )
    values = [f for f, t in types.items() if t not in NOT_STORED_TYPES]

    # Parse results are materialized first, so later expressions name columns
    # instead of repeating the parsers (which makes Polars' planning slow).
    checked = frame.with_columns(**{f"_parsed_{f}": e for f, e in parsed.items()}).with_columns(
        **{f"_value_{f}": pl.col(f"_parsed_{f}").struct.field("value") for f in values},
        _error_field=pl.coalesce(
            [
                pl.when(pl.col(f"_parsed_{f}").struct.field("error").is_not_null()).then(pl.lit(f))
                for f in has_error
            ]
        ),
        _error_code=pl.coalesce([pl.col(f"_parsed_{f}").struct.field("error") for f in has_error]),
    )
    refused = _refused_rows(checked, types, ctx)
    unread = _unread_rows(checked.filter(pl.col("_error_code").is_null()), types, ctx)
    loaded = checked.filter(pl.col("_error_code").is_null()).select(
        *[c for c in checked.columns if c in (*SOURCE_COLUMNS, "village_code")],
        *[pl.col(f"_value_{f}").alias(f) for f in values],
    )
    if "id_number" in values:
        loaded = loaded.with_columns(
            birth_date_from_id(pl.col("id_number")).alias("birth_date"),
            sex_from_id(pl.col("id_number")).alias("sex"),
            pl.col("id_number")
            .map_batches(lambda s: hash_person_ids(s, ctx.person_key), return_dtype=pl.String)
            .alias("person_key"),
        ).drop("id_number")
    if "village" in values:
        village = pl.col("village")
        if "village_code" in loaded.columns:
            village = pl.coalesce(village, pl.col("village_code"))
        loaded = (
            loaded.with_columns(village.alias("_village_code"))
            .drop("village", "village_code", strict=False)
            .rename({"_village_code": "village_code"})
        )
    return Normalized(loaded=loaded, refused=refused, unread=unread)


def _shown(value: pl.Expr, ctx: NormalizeContext) -> pl.Expr:
    """A cell as a listing may show it: through ``mask_label``, at most 50 characters."""
    lexicon = township_lexicon(ctx.villages)
    return mask_column(value, lambda text: mask_label(text, lexicon)).str.head(50)


def _unread_rows(
    loaded: pl.DataFrame, types: dict[str, FieldType], ctx: NormalizeContext
) -> pl.DataFrame:
    """Loaded rows whose 接种方式 no spelling names (or several do): parsed as "other" (a code
    no spelling has), listed."""
    frames = [
        loaded.filter(pl.col(f"_value_{name}") == "other").select(
            *SOURCE_COLUMNS,
            pl.lit(name).alias("field"),
            pl.lit(MODE_UNKNOWN).alias("reason_code"),
            pl.lit(REASON_TEXTS[MODE_UNKNOWN]).alias("reason"),
            _shown(pl.col(name).str.strip_chars(), ctx).alias("value_masked"),
        )
        for name, field_type in types.items()
        if field_type == "mode"
    ]
    return pl.concat(frames).cast(REFUSED_SCHEMA) if frames else pl.DataFrame(schema=REFUSED_SCHEMA)


def _refused_rows(
    checked: pl.DataFrame, types: dict[str, FieldType], ctx: NormalizeContext
) -> pl.DataFrame:
    """Each refused row's source, field and reason. Its value is kept only for a field that
    is not personal, through ``mask_label`` (a name typed there shows as 某某（3字）)."""
    bad = checked.filter(pl.col("_error_code").is_not_null())
    raw_value = pl.coalesce([pl.when(pl.col("_error_field") == f).then(pl.col(f)) for f in types])
    id_fields = [f for f, t in types.items() if t == "id"]
    shown = [f for f, t in types.items() if t not in NOT_STORED_TYPES]
    masked = _shown(
        pl.when(pl.col("_error_field").is_in(id_fields))
        .then(mask_ids(raw_value))
        .when(pl.col("_error_field").is_in(shown))
        .then(raw_value),
        ctx,
    )
    return bad.select(
        *SOURCE_COLUMNS,
        pl.col("_error_field").alias("field"),
        pl.col("_error_code").alias("reason_code"),
        pl.when(pl.col("_error_code") == VALUE_AMBIGUOUS)
        .then(_ambiguity_reasons(pl.col("_error_field"), raw_value, types, ctx.vocabulary))
        .otherwise(
            pl.col("_error_code").replace_strict(REASON_TEXTS, default=pl.col("_error_code"))
        )
        .alias("reason"),
        masked.alias("value_masked"),
    ).cast(REFUSED_SCHEMA)
