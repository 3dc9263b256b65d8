"""The shipped vocabulary with a township's own additions (config ``vocabulary:``).

No list of spellings we ship is complete. A township adds the spellings its clerks use to any
enumeration, and header aliases to any kind, in its config; an addition that names no code, a
spelling that would name two codes, or an alias that would name two columns is a one-line
error naming the entry. The readers and the normalization take the merged vocabulary from
``NormalizeContext.vocabulary``, so one line in the config makes the next run read the value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from epireport.config import ConfigError, TownshipConfig
from transforms.spellings import (
    DOSE_SPELLINGS,
    ENUMERATION_SPELLINGS,
    PUBLICITY_KIND_SPELLINGS,
    RESIDENCE_STATUS_SPELLINGS,
    VACCINATION_MODE_SPELLINGS,
    SpellingIndex,
    fold_value,
)
from transforms.vocabulary import (
    DOSE_LABELS,
    ENUMERATIONS,
    HEADER_ALIASES,
    PUBLICITY_KINDS,
    RESIDENCE_STATUS,
    VACCINATION_MODES,
    fold,
)

# Enumerations by the name the config uses, with the field type that reads them.
ENUMERATION_TABLES: dict[str, tuple[str, Mapping[str, object]]] = {
    "status": ("status", RESIDENCE_STATUS),
    "dose": ("dose", DOSE_LABELS),
    "mode": ("mode", VACCINATION_MODES),
    "publicity_kind": ("publicity_kind", PUBLICITY_KINDS),
    **{name: (f"enum:{name}", table) for name, table in ENUMERATIONS.items()},
}

HeaderIndex = Mapping[str, tuple[tuple[str, str], ...]]


def header_index(aliases: Mapping[str, Mapping[str, tuple[str, ...]]]) -> HeaderIndex:
    """Folded header text -> every (kind, field) it names."""
    index: dict[str, list[tuple[str, str]]] = {}
    for kind, fields in aliases.items():
        for field, headers in fields.items():
            for header in headers:
                index.setdefault(fold(header), []).append((kind, field))
    return {header: tuple(named) for header, named in index.items()}


@dataclass(frozen=True)
class Vocabulary:
    """Spelling indexes by field type, and the header index, of one township."""

    spellings: Mapping[str, SpellingIndex]
    headers: HeaderIndex

    def index(self, field_type: str) -> SpellingIndex:
        return self.spellings[field_type]


# What a run reads with when no township adds anything.
SHIPPED_VOCABULARY = Vocabulary(
    spellings={
        "status": RESIDENCE_STATUS_SPELLINGS,
        "dose": DOSE_SPELLINGS,
        "mode": VACCINATION_MODE_SPELLINGS,
        "publicity_kind": PUBLICITY_KIND_SPELLINGS,
        **{f"enum:{name}": index for name, index in ENUMERATION_SPELLINGS.items()},
    },
    headers=header_index(HEADER_ALIASES),
)


def _spelling_tables(config: TownshipConfig, where: str) -> dict[str, dict[str, object]]:
    tables = {name: dict(table) for name, (_, table) in ENUMERATION_TABLES.items()}
    for name, added in config.vocabulary.spellings.items():
        field = f"{where}：vocabulary.spellings.{name}"
        if name not in ENUMERATION_TABLES:
            known = "、".join(ENUMERATION_TABLES)
            raise ConfigError(f"{field}：没有这个选项表；可用的有：{known}")
        shipped = ENUMERATION_TABLES[name][1]
        codes = {str(c): c for c in shipped.values()}
        by_spelling = {fold_value(s): c for s, c in shipped.items()}
        township: dict[str, object] = {}
        for spelling, target in added.items():
            entry = f"{field}.{spelling}"
            code = codes.get(str(target), by_spelling.get(fold_value(str(target))))
            if code is None:
                labels = "、".join(dict.fromkeys(str(s) for s in shipped))
                raise ConfigError(f"{entry}：“{target}”不是这个选项表的选项；可填写：{labels}")
            folded = fold_value(spelling)
            if not folded:
                raise ConfigError(f"{entry}：写法不能只有标点或空格")
            earlier = township.get(folded, by_spelling.get(folded))
            if earlier is not None and str(earlier) != str(code):
                raise ConfigError(
                    f"{entry}：这种写法已表示另一个选项（{earlier}），不能再表示 {code}"
                )
            township[folded] = code
            tables[name][spelling] = code
    return tables


def _header_tables(config: TownshipConfig, where: str) -> dict[str, dict[str, tuple[str, ...]]]:
    tables = {kind: dict(fields) for kind, fields in HEADER_ALIASES.items()}
    for kind, fields in config.vocabulary.headers.items():
        for field, headers in fields.items():
            entry = f"{where}：vocabulary.headers.{kind}.{field}"
            if field not in HEADER_ALIASES[kind]:
                known = "、".join(HEADER_ALIASES[kind])
                raise ConfigError(f"{entry}：这种台账没有这一栏；可用的有：{known}")
            for header in headers:
                taken = [
                    f for f, named in tables[kind].items()
                    if f != field and fold(header) in {fold(h) for h in named}
                ]  # fmt: skip
                if taken:
                    raise ConfigError(f"{entry}：表头“{header}”已表示另一栏（{taken[0]}）")
            tables[kind][field] = (*tables[kind][field], *headers)
    return tables


def township_vocabulary(config: TownshipConfig, where: str = "配置文件") -> Vocabulary:
    """The shipped vocabulary with ``config``'s additions; ``where`` names the config file in
    an error."""
    if not config.vocabulary.spellings and not config.vocabulary.headers:
        return SHIPPED_VOCABULARY
    spellings = {
        ENUMERATION_TABLES[name][0]: SpellingIndex.of(table)
        for name, table in _spelling_tables(config, where).items()
    }
    return Vocabulary(spellings=spellings, headers=header_index(_header_tables(config, where)))
