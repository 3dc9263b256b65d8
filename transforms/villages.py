"""Village names as clerks type them, resolved to master-data codes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from epireport.config import TownshipConfig
from transforms.vocabulary import VILLAGE_SUFFIXES, fold


def strip_suffix(name: str) -> str:
    """石门村委会 → 石门: the bare place name, for matching without 村/社区/村委会."""
    for suffix in VILLAGE_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


@dataclass(frozen=True)
class VillageIndex:
    """Every label of every village (folded), mapped to the village's code."""

    labels: dict[str, str]
    names: dict[str, str]
    township_name: str

    @classmethod
    def from_config(cls, config: TownshipConfig) -> VillageIndex:
        labels: dict[str, str] = {}
        for village in config.villages:
            for label in (village.name, *village.aliases):
                folded = fold(label)
                labels[folded] = village.code
                labels.setdefault(strip_suffix(folded), village.code)
        return cls(
            labels=labels,
            names={v.code: v.name for v in config.villages},
            township_name=fold(config.township.name),
        )

    def resolve(self, text: str | None) -> str | None:
        """The code of the village a cell names exactly (any alias, any suffix), else None."""
        if not text:
            return None
        folded = fold(text)
        return self.labels.get(folded) or self.labels.get(strip_suffix(folded))

    def find_in(self, texts: Iterable[str]) -> str | None:
        """The village named inside free text (titles, 填报单位, file names), first text wins.

        The township's own name is removed first, since 白沙镇 would otherwise read as 白沙社区.
        """
        by_length = sorted(self.labels, key=len, reverse=True)
        for text in texts:
            folded = fold(text).replace(self.township_name, "")
            for label in by_length:
                if len(label) >= 2 and label in folded:
                    return self.labels[label]
        return None
