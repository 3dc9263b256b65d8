"""The input contract (``kinds/``): every file kind the inbox may hold, as data, checked here.

``kinds/<kind>.yaml`` says what one row of a kind is and lists its fields: the headers that
name each (the template's first), its type, whether it is required or personal, and the
largest count it may hold. ``kinds/enumerations.yaml`` lists the codes of each enumeration
with their spellings (a code's first spelling is its label in the report). The folder is read
once, at import; a broken contract stops every run with one line naming the file and the
field. ``transforms/vocabulary.py`` and ``transforms/normalize.py`` derive their tables from it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, TypeVar, get_args

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    StrictBool,
    StrictInt,
    StrictStr,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)

from epireport.config import FileKind
from epireport.settings import PROJECT_ROOT

KINDS_DIR = PROJECT_ROOT / "kinds"
ENUMERATIONS_FILE = "enumerations.yaml"

# Field types read against the enumeration of the same name, each by a rule of its own
# (transforms/normalize.py, parse_field); every other enumeration is read by "enum:<name>".
ENUMERATED_TYPES: frozenset[str] = frozenset({"status", "dose", "mode", "publicity_kind"})
# Field types that read no enumeration (transforms/normalize.py, parse_field).
PLAIN_TYPES: frozenset[str] = frozenset(
    {
        "id",
        "personal",
        "unused",
        "text",
        "date",
        "vaccination_date",
        "count",
        "village",
        "quota_note",
    }
)
ENUM_PREFIX = "enum:"

# The form spellings and values are compared in (transforms/spellings.py): two spellings
# alike there would name two codes at once.
_NOT_WORD = re.compile(r"[^\w]|_")

FieldName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]
Text = Annotated[StrictStr, StringConstraints(min_length=1)]


def _code(value: object) -> str | int:
    """A code is a word or a number; YAML reads a bare yes, no, on or off as a boolean."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError(f'code {value!r} is no word or whole number (quote "yes" and "no")')
    return value


Code = Annotated[str | int, PlainValidator(_code)]
T = TypeVar("T")


class ContractError(ValueError):
    """A broken input contract: one line naming the file and the field."""


def fold_value(text: str) -> str:
    """The form values are compared in: NFKC, case folded, letters and digits only."""
    return _NOT_WORD.sub("", unicodedata.normalize("NFKC", text).casefold())


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FieldSpec(_Strict):
    """One column of a kind. ``read: false``: its headers help recognise the kind's header row,
    its values are never read (such a field has no type)."""

    headers: list[Text] = Field(min_length=1)
    type: Text | None = None
    read: StrictBool = True
    required: StrictBool = False
    personal: StrictBool = False
    upper_bound: StrictInt | None = Field(None, gt=0)

    @model_validator(mode="after")
    def _consistent(self) -> FieldSpec:
        if not self.read:
            if self.type is not None or self.required or self.upper_bound is not None:
                raise ValueError("a field with read: false takes no type, required or upper_bound")
            return self
        if self.type is None:
            raise ValueError("type missing (or read: false for a field that is never read)")
        if self.type not in PLAIN_TYPES | ENUMERATED_TYPES and not self.type.startswith(
            ENUM_PREFIX
        ):
            known = ", ".join(sorted(PLAIN_TYPES | ENUMERATED_TYPES))
            raise ValueError(f"unknown type {self.type!r}; types: {known}, enum:<name>")
        if self.upper_bound is not None and self.type != "count":
            raise ValueError("upper_bound applies to type count only")
        if self.personal and self.type != "personal":
            raise ValueError("a personal field is never stored: type personal, or read: false")
        if self.type == "personal" and not self.personal:
            raise ValueError("type personal names a person: say personal: true")
        return self


class KindSpec(_Strict):
    """One file kind: its label, what one row is, its fields in template order."""

    label: Text
    grain: Text
    fields: dict[FieldName, FieldSpec] = Field(min_length=1)

    @field_validator("fields")
    @classmethod
    def _recognisable(cls, fields: dict[str, FieldSpec]) -> dict[str, FieldSpec]:
        if not any(f.required for f in fields.values()):
            raise ValueError("no required field: a header row is recognised by its required fields")
        return fields

    def field_types(self) -> dict[str, str]:
        """Field -> type of every field whose values are read."""
        return {name: f.type for name, f in self.fields.items() if f.type is not None}


class CodeSpec(_Strict):
    """One code of an enumeration: its spellings, the first being its label."""

    spellings: list[Text] = Field(min_length=1)
    unit: Text | None = None
    out_of_base: StrictBool = False


class EnumerationSpec(_Strict):
    """The codes of one enumeration, in the order the report lists them."""

    codes: dict[Code, CodeSpec] = Field(min_length=1)

    def spellings(self) -> dict[str, str | int]:
        """Spelling -> code, each code's spellings together, its label first."""
        return {s: code for code, spec in self.codes.items() for s in spec.spellings}


_ENUMERATIONS = TypeAdapter(dict[FieldName, EnumerationSpec])
_KIND = TypeAdapter(KindSpec)


@dataclass(frozen=True)
class Contract:
    """The checked contract: kinds in ``FileKind`` order, enumerations in file order."""

    kinds: dict[FileKind, KindSpec]
    enumerations: dict[str, EnumerationSpec]


def _read(path: Path) -> Any:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    except (OSError, UnicodeDecodeError) as e:
        raise ContractError(f"{path}: cannot be read: {e}") from e
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        problem = getattr(e, "problem", None) or type(e).__name__
        raise ContractError(f"{path}: not valid YAML: {problem}{where}") from e


def _validated(adapter: TypeAdapter[T], path: Path) -> T:
    try:
        return adapter.validate_python(_read(path))
    except ValidationError as e:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(file)'}: "
            f"{err['msg'].removeprefix('Value error, ')}"
            for err in e.errors()
        )
        raise ContractError(f"{path}: {problems}") from e


def _enumeration_of(field_type: str) -> str | None:
    if field_type in ENUMERATED_TYPES:
        return field_type
    return field_type.removeprefix(ENUM_PREFIX) if field_type.startswith(ENUM_PREFIX) else None


def _check_enumerations(enumerations: dict[str, EnumerationSpec], path: Path) -> None:
    for name, enumeration in enumerations.items():
        owner: dict[str, Code] = {}
        for code, spec in enumeration.codes.items():
            for spelling in spec.spellings:
                folded = fold_value(spelling)
                where = f"{path}: {name}.codes.{code}.spellings"
                if not folded:
                    raise ContractError(f"{where}: {spelling!r} has no letter or digit")
                earlier = owner.setdefault(folded, code)
                if earlier != code:
                    raise ContractError(
                        f"{where}: {spelling!r} reads as {folded!r}, a spelling of {earlier!r}"
                    )
        units = [spec.unit is not None for spec in enumeration.codes.values()]
        if any(units) and not all(units):
            missing = [str(c) for c, spec in enumeration.codes.items() if spec.unit is None]
            raise ContractError(f"{path}: {name}.codes.{missing[0]}.unit: missing")


def _check_types(kind: KindSpec, enumerations: dict[str, EnumerationSpec], path: Path) -> None:
    for field, spec in kind.fields.items():
        name = _enumeration_of(spec.type or "")
        if name is None:
            continue
        where = f"{path}: fields.{field}.type"
        if name not in enumerations:
            raise ContractError(f"{where}: no enumeration {name!r} in {ENUMERATIONS_FILE}")
        if spec.type != name and name in ENUMERATED_TYPES:
            raise ContractError(f"{where}: {name} has a type of its own: write type: {name}")


def load_contract(folder: Path = KINDS_DIR) -> Contract:
    """Read and check every file of ``folder``: one file per ``FileKind`` and the
    enumerations; a broken file raises ``ContractError``."""
    enumerations_path = folder / ENUMERATIONS_FILE
    enumerations = _validated(_ENUMERATIONS, enumerations_path)
    _check_enumerations(enumerations, enumerations_path)
    names: tuple[FileKind, ...] = get_args(FileKind)
    strays = sorted(
        p.name for p in folder.glob("*.yaml") if p.stem not in names and p.name != ENUMERATIONS_FILE
    )
    if strays:
        raise ContractError(
            f"{folder / strays[0]}: not a file kind (FileKind, epireport/config.py)"
        )
    kinds: dict[FileKind, KindSpec] = {}
    for name in names:
        path = folder / f"{name}.yaml"
        if not path.is_file():
            raise ContractError(f"{path}: missing: every file kind needs its file")
        kinds[name] = _validated(_KIND, path)
        _check_types(kinds[name], enumerations, path)
    return Contract(kinds=kinds, enumerations=enumerations)


CONTRACT = load_contract()
