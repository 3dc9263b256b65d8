"""One rule for reading an enumerated value (居住状态, 剂次, 宣传形式, 核查结果 …) as its code.

Clerks write a code's name in many ways: with punctuation, spaces or full-width forms,
shortened (标语 for 宣传标语), or naming one or several parts of a compound name in any
order (宣传画、标语刊播 or 刊播宣传片 for the spec's 宣传片/宣传画/宣传标语 刊播). A value is
folded (NFKC, case folded, everything but letters and digits dropped) and read, in order, as:

1. a listed spelling of one code;
2. a run of whole parts of one code's spellings (a spelling split at its punctuation and
   spaces: 宣传片/宣传画/宣传标语 刊播 has the parts 宣传片, 宣传画, 宣传标语 and 刊播);
3. a run of pieces of one code's parts, each piece beginning or ending a part
   (标语 ends 宣传标语, 无需 begins 无需管控).

At each step exactly one code reads the value, or two or more do and the value is
ambiguous (refused, with the candidates named: guessing would move rows between figures),
or none does and the next step is tried. A value that no single code reads but that is
made of pieces of several codes (死亡迁出, 学校幼儿园) is ambiguous too, naming the codes of
its fewest pieces; a value nothing reads is unknown. Parts and pieces are at least two
characters long: a single character reads only as a whole listed spelling (是, 1), so "11"
is no dose and a word that merely shares one character with a code stays unknown.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

import polars as pl

from transforms.contract import fold_value
from transforms.vocabulary import (
    AMBIGUOUS_REASON,
    DOSE_LABELS,
    ENUMERATIONS,
    PUBLICITY_KINDS,
    RESIDENCE_STATUS,
    VACCINATION_MODES,
)

VALUE_AMBIGUOUS = "value_ambiguous"
# The shortest part or piece of a part that names a code in steps 2 and 3.
MIN_PIECE = 2
# Output of ``match_spellings``: the code (as text) and the error code, one of them null.
MATCH_SCHEMA = pl.Struct({"code": pl.String, "error": pl.String})

_NOT_WORD = re.compile(r"[^\w]|_")


def _parts(spelling: str) -> list[str]:
    return [fold_value(p) for p in _NOT_WORD.split(unicodedata.normalize("NFKC", spelling)) if p]


@dataclass(frozen=True)
class Match:
    """What a value reads as: one code, or the candidate codes of an ambiguous value."""

    code: str | None
    candidates: tuple[str, ...] = ()


def _cover(value: str, owners: Mapping[str, frozenset[str]]) -> frozenset[str] | None:
    """The codes owning the pieces of a shortest run of pieces that makes up ``value``, or None
    when no run does (dynamic programming over the value's prefixes; pieces are short)."""
    longest = max(map(len, owners), default=0)
    best: list[tuple[int, frozenset[str]] | None] = [(0, frozenset())] + [None] * len(value)
    for end in range(1, len(value) + 1):
        for start in range(max(0, end - longest), end):
            before, piece = best[start], value[start:end]
            if before is None or piece not in owners:
                continue
            run = (before[0] + 1, before[1] | owners[piece])
            current = best[end]
            if current is None or run[0] < current[0]:
                best[end] = run
    found = best[-1]
    return None if found is None else found[1]


@dataclass(frozen=True)
class SpellingIndex:
    """An enumeration's spellings, folded, with each code's parts and pieces of parts."""

    spellings: Mapping[str, str]
    parts: Mapping[str, frozenset[str]]
    pieces: Mapping[str, frozenset[str]]
    labels: Mapping[str, str]

    @classmethod
    def of(cls, table: Mapping[str, object]) -> SpellingIndex:
        """Index a vocabulary table (spelling -> code); a code's first spelling is its label."""
        spellings: dict[str, str] = {}
        parts: dict[str, set[str]] = {}
        labels: dict[str, str] = {}
        for spelling, raw_code in table.items():
            code = str(raw_code)
            labels.setdefault(code, spelling)
            folded = fold_value(spelling)
            if spellings.setdefault(folded, code) != code:
                raise ValueError(f"spelling {spelling!r} names two codes")
            named = {p for p in (folded, *_parts(spelling)) if len(p) >= MIN_PIECE}
            parts.setdefault(code, set()).update(named)
        pieces = {
            code: frozenset(
                piece
                for part in code_parts
                for n in range(MIN_PIECE, len(part) + 1)
                for piece in (part[:n], part[-n:])
            )
            for code, code_parts in parts.items()
        }
        return cls(
            spellings=spellings,
            parts={code: frozenset(p) for code, p in parts.items()},
            pieces=pieces,
            labels=labels,
        )

    def match(self, value: str) -> Match:
        """The code ``value`` names, by the steps of this module's rule."""
        folded = fold_value(value)
        if not folded:
            return Match(None)
        if folded in self.spellings:
            return Match(self.spellings[folded])
        for table in (self.parts, self.pieces):
            found = tuple(
                code
                for code, pieces in table.items()
                if _cover(folded, {p: frozenset({code}) for p in pieces}) is not None
            )
            if len(found) == 1:
                return Match(found[0])
            if found:
                return Match(None, found)
        owners: dict[str, frozenset[str]] = {}
        for code, pieces in self.pieces.items():
            for piece in pieces:
                owners[piece] = owners.get(piece, frozenset()) | {code}
        mixed = _cover(folded, owners)
        if mixed is None:
            return Match(None)
        return Match(None, tuple(code for code in self.labels if code in mixed))

    def ambiguity_reason(self, value: str) -> str:
        """The refusal a clerk reads for an ambiguous value, naming every candidate."""
        names = "、".join(f"“{self.labels[c]}”" for c in self.match(value).candidates)
        return AMBIGUOUS_REASON.format(candidates=names)


def match_spellings(col: pl.Expr, index: SpellingIndex, unknown: str) -> pl.Expr:
    """Read a text column: Struct {code, error}, error ``unknown`` or ``value_ambiguous``.

    Each distinct value is matched once, so a column of many rows and few spellings is cheap.
    """

    def read(values: pl.Series) -> pl.Series:
        codes: dict[str, str] = {}
        errors: dict[str, str] = {}
        for value in values.drop_nulls().unique():
            found = index.match(value)
            if found.code is not None:
                codes[value] = found.code
            else:
                errors[value] = VALUE_AMBIGUOUS if found.candidates else unknown
        return pl.DataFrame(
            {
                "code": values.replace_strict(codes, default=None, return_dtype=pl.String),
                "error": values.replace_strict(errors, default=None, return_dtype=pl.String),
            }
        ).to_struct(values.name)

    return col.cast(pl.String).map_batches(read, return_dtype=MATCH_SCHEMA)


RESIDENCE_STATUS_SPELLINGS = SpellingIndex.of(RESIDENCE_STATUS)
DOSE_SPELLINGS = SpellingIndex.of(DOSE_LABELS)
VACCINATION_MODE_SPELLINGS = SpellingIndex.of(VACCINATION_MODES)
PUBLICITY_KIND_SPELLINGS = SpellingIndex.of(PUBLICITY_KINDS)
ENUMERATION_SPELLINGS: dict[str, SpellingIndex] = {
    name: SpellingIndex.of(table) for name, table in ENUMERATIONS.items()
}
