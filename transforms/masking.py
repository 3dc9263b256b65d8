"""One masking rule for every text a person reads: listings, refusal reasons, the names of
files and sheets, log lines, artifacts, the quality page and error messages.

Three layers, each idempotent (masking twice changes nothing, so a second line of defence
is free):

- ``mask_text``: ID-like runs (15 digits or more, a last X allowed, full-width digits and
  single spaces or hyphens inside) become ``4301**********123X``; mobile numbers (11 digits
  from 1[3-9], with +86 or spaces) become ``138******78``. Applied to every text we emit.
- ``mask_label``: ``mask_text``, then every stretch of two to four Han characters that no
  term of the lexicon (our vocabulary, reasons, village names, file words) covers and that
  does not end like a place or an organisation is taken for a resident's name and replaced
  by ``某某（3字）``. For texts that come from the inbox: file and sheet names, refused
  values, reasons that may quote a file.
- ``scrub_cell``: ``mask_text``, and the name rule applied to a whole cell holding a
  single run of Han characters. For stored free text that a figure needs (a meeting's
  title), where cutting out every unknown word would change the report.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import polars as pl

from transforms.villages import VillageIndex
from transforms.vocabulary import (
    AMBIGUOUS_REASON,
    AREA_SUFFIXES,
    COMPOUND_SURNAMES,
    DOSE_LABELS,
    ENUMERATIONS,
    FOOTER_MARKERS,
    GROUP_WORDS,
    HEADER_ALIASES,
    INSTRUCTION_SHEETS,
    KIND_LABELS,
    NAME_LENGTHS,
    NAME_PLACEHOLDER,
    NOT_NAME_ENDINGS,
    NOT_NAMES,
    PUBLICITY_KINDS,
    PUBLICITY_UNITS,
    QUANTITY_PREFIXES,
    QUANTITY_SUFFIXES,
    QUANTITY_UNITS,
    REASON_TEXTS,
    RESIDENCE_STATUS,
    SURNAMES,
    UNIT_MARKERS,
    VACCINATION_MODES,
    VILLAGE_SUFFIXES,
)

_SEP = r"[ \t\u3000\-‐‑‒–—―－]"
# Seventeen digits and a check X, or a run of fifteen digits or more.
_ID_LIKE = re.compile(
    rf"(?<!\d)(?:\d{_SEP}?){{17}}[XxＸｘ](?!\d)|(?<!\d)(?:\d{_SEP}?){{14,}}\d(?!\d)"
)
_MOBILE_NUMBER = rf"(?P<number>[1１]{_SEP}?[3-9３-９](?:{_SEP}?\d){{9}})(?!\d)"
_COUNTRY_CODE = rf"(?P<prefix>(?:[+＋]|0{{2}}|００)?[8８][6６]{_SEP}{{0,2}})"
# A number with its country code first: 0086 and eleven digits would read as an ID-like run.
_MOBILE_WITH_CODE = re.compile(rf"(?<!\d){_COUNTRY_CODE}{_MOBILE_NUMBER}")
_MOBILE = re.compile(rf"(?<!\d){_COUNTRY_CODE}?{_MOBILE_NUMBER}")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")


def _ascii_digits(text: str) -> str:
    return unicodedata.normalize("NFKC", text).upper()


def _mask_id_like(match: re.Match[str]) -> str:
    chars = _ascii_digits(re.sub(_SEP, "", match.group()))
    return chars[:4] + "*" * 10 + chars[-4:]


def _mask_mobile(match: re.Match[str]) -> str:
    digits = _ascii_digits(re.sub(_SEP, "", match.group("number")))
    prefix = "+86 " if match.group("prefix") else ""
    return f"{prefix}{digits[:3]}******{digits[-2:]}"


def mask_text(text: str) -> str:
    """Mask every ID-like and mobile-like number, wherever it stands in ``text``."""
    with_code = _MOBILE_WITH_CODE.sub(_mask_mobile, text)
    return _MOBILE.sub(_mask_mobile, _ID_LIKE.sub(_mask_id_like, with_code))


def _han_runs(texts: Iterable[str]) -> Iterable[str]:
    for text in texts:
        yield from _HAN.findall(unicodedata.normalize("NFKC", text))


@dataclass(frozen=True)
class Lexicon:
    """Han words that are not names: a stretch they cover is never masked."""

    terms: frozenset[str]
    longest: int

    @classmethod
    def of(cls, texts: Iterable[str]) -> Lexicon:
        terms = frozenset(run for run in _han_runs(texts) if len(run) >= 2)
        return cls(terms=terms, longest=max(map(len, terms), default=0))

    def with_texts(self, texts: Iterable[str]) -> Lexicon:
        more = Lexicon.of(texts)
        return Lexicon(self.terms | more.terms, max(self.longest, more.longest))

    def covered(self, run: str) -> list[bool]:
        """Which characters of ``run`` belong to a lexicon term found in it."""
        marks = [False] * len(run)
        for start in range(len(run)):
            for end in range(min(len(run), start + self.longest), start + 1, -1):
                if run[start:end] in self.terms:
                    marks[start:end] = [True] * (end - start)
                    break
        return marks


def _vocabulary_texts() -> Iterable[str]:
    for table in (RESIDENCE_STATUS, DOSE_LABELS, VACCINATION_MODES, PUBLICITY_KINDS):
        yield from table
    for table in ENUMERATIONS.values():
        yield from table
    for fields in HEADER_ALIASES.values():
        for aliases in fields.values():
            yield from aliases
    yield from KIND_LABELS.values()
    yield from REASON_TEXTS.values()
    yield from PUBLICITY_UNITS.values()
    yield AMBIGUOUS_REASON
    yield from (*FOOTER_MARKERS, *INSTRUCTION_SHEETS, *UNIT_MARKERS, *VILLAGE_SUFFIXES)
    yield from (*AREA_SUFFIXES, *QUANTITY_PREFIXES, *QUANTITY_SUFFIXES, *QUANTITY_UNITS)
    yield from (*NOT_NAMES, *GROUP_WORDS)


VOCABULARY_LEXICON = Lexicon.of(_vocabulary_texts())


def township_lexicon(villages: VillageIndex) -> Lexicon:
    """The vocabulary plus one township's village names and aliases and its own name."""
    return VOCABULARY_LEXICON.with_texts(
        [*villages.labels, *villages.names.values(), villages.township_name]
    )


def _looks_like_name(stretch: str) -> bool:
    return (
        len(stretch) in NAME_LENGTHS
        and (stretch[0] in SURNAMES or stretch.startswith(COMPOUND_SURNAMES))
        and stretch not in NOT_NAMES
        and not stretch.endswith(NOT_NAME_ENDINGS)
    )


def _placeholder(stretch: str) -> str:
    return NAME_PLACEHOLDER.format(n=len(stretch))


def _mask_run(run: str, lexicon: Lexicon) -> str:
    marks = lexicon.covered(run)
    pieces: list[str] = []
    start = 0
    while start < len(run):
        end = start + 1
        while end < len(run) and marks[end] == marks[start]:
            end += 1
        stretch = run[start:end]
        masked = not marks[start] and _looks_like_name(stretch)
        pieces.append(_placeholder(stretch) if masked else stretch)
        start = end
    return "".join(pieces)


def mask_label(text: str, lexicon: Lexicon = VOCABULARY_LEXICON) -> str:
    """``mask_text``, and every stretch of Han characters that may be a name replaced."""
    return _HAN.sub(lambda m: _mask_run(m.group(), lexicon), mask_text(text))


def scrub_cell(text: str, lexicon: Lexicon = VOCABULARY_LEXICON) -> str:
    """``mask_text``, and a cell whose only Han run may be a name has that run replaced."""
    masked = mask_text(text)
    runs = _HAN.findall(masked)
    if len(runs) != 1 or any(lexicon.covered(runs[0])) or not _looks_like_name(runs[0]):
        return masked
    return masked.replace(runs[0], _placeholder(runs[0]))


def per_value(mask: Callable[[str], str]) -> Callable[[pl.Series], pl.Series]:
    """A text column's mask, applied once per distinct value."""

    def apply(values: pl.Series) -> pl.Series:
        masked = {v: mask(v) for v in values.drop_nulls().unique()}
        return values.replace_strict(masked, default=None, return_dtype=pl.String)

    return apply


def mask_column(col: pl.Expr, mask: Callable[[str], str] = mask_text) -> pl.Expr:
    """A text column through ``mask`` (``mask_text`` unless told), nulls kept."""
    return col.cast(pl.String).map_batches(per_value(mask), return_dtype=pl.String)


# Listing columns that come from the inbox (names of files and sheets, refused values, and
# reasons, which may quote a file); every other text column gets ``mask_text``.
LABEL_COLUMNS: tuple[str, ...] = (
    "path", "sheet", "sheets", "value_masked", "refusal", "reason", "file_path",
)  # fmt: skip
# Text columns that are keys or hashes, never read by a person: left as they are.
KEY_COLUMNS: tuple[str, ...] = ("file_id", "sha256", "person_key", "fingerprint", "run_id")


def mask_listing(frame: pl.DataFrame, lexicon: Lexicon = VOCABULARY_LEXICON) -> pl.DataFrame:
    """A listing or stored table with every column a person may read masked: the columns
    of ``LABEL_COLUMNS`` by ``mask_label``, any other text column but keys by ``mask_text``."""
    schema = frame.schema
    return frame.with_columns(
        mask_column(pl.col(name), lambda t: mask_label(t, lexicon)).alias(name)
        if name in LABEL_COLUMNS
        else mask_column(pl.col(name)).alias(name)
        for name, dtype in schema.items()
        if dtype == pl.String and name not in KEY_COLUMNS
    )
