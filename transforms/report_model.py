"""The metrics the SQL stage computes and the report template reads, one model per section.

Every figure in the report is a typed field here, so the template never computes or
invents a number. A section the SQL stage has not computed yet is ``None`` on
``ReportMetrics`` and the report shows a 【待补充:…】 marker in its place.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal, NamedTuple

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from epireport.config import TownshipConfig

Count = Annotated[int, Field(ge=0)]
# A rate in percent with two decimals, as the spec writes it (91.32 -> "91.32%").
Pct = Annotated[Decimal, Field(ge=0, le=100, max_digits=5, decimal_places=2)]

# ReportMetrics field -> the section's name in a 【待补充:…】 marker.
SECTION_LABELS: dict[str, str] = {
    "deployment": "会议及文件",
    "party_building": "党建引领",
    "verification": "大数据核查",
    "grid": "网格化管理",
    "key_places": "重点场所",
    "vaccination": "疫苗接种",
    "publicity": "宣传工作",
    "demonstration": "示范村创建",
    "reserves": "物资储备",
    "completeness": "台账报送",
    "quality": "数据质量",
}

ReserveItemCode = Literal[
    "beds",
    "fever_rooms",
    "oxygen_concentrators",
    "oximeters",
    "antipyretic_boxes",
    "antigen_tests",
]
# Reserve item -> (name in the report, unit); the order is the order the report cites them.
RESERVE_ITEMS: dict[ReserveItemCode, tuple[str, str]] = {
    "beds": ("床位", "张"),
    "fever_rooms": ("发热诊室", "间"),
    "oxygen_concentrators": ("制氧机", "台"),
    "oximeters": ("指夹式血氧仪", "个"),
    "antipyretic_boxes": ("退烧药", "盒"),
    "antigen_tests": ("抗原检测试剂", "份"),
}

# How a township's name ends -> the word for it in "全镇", "我乡"; 镇 when none matches.
AREA_SUFFIXES: tuple[str, ...] = ("街道", "镇", "乡")


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CountByLabel(_Section):
    """One line of a breakdown, e.g. 党委会 3 or 居家健康监测 120."""

    label: str = Field(min_length=1)
    count: Count


class Document(_Section):
    """A document the township issued."""

    title: str = Field(min_length=1)
    doc_number: str | None = None
    issued_on: dt.date


def _by_date(documents: tuple[Document, ...]) -> tuple[Document, ...]:
    return tuple(sorted(documents, key=lambda d: d.issued_on))


class Deployment(_Section):
    """(一): meetings by type (党委会/专题会/调度会/部署会) and documents in date order."""

    meetings_by_type: tuple[CountByLabel, ...]
    documents: Annotated[tuple[Document, ...], AfterValidator(_by_date)]

    @property
    def meetings_total(self) -> int:
        return sum(row.count for row in self.meetings_by_type)


class PartyBuilding(_Section):
    """(二) 一是: people mobilised by the party organisations."""

    party_members: Count
    volunteers: Count


class Verification(_Section):
    """(二) 二是: big-data verification; one pushed row is one push."""

    pushed_rows: Count
    pushed_persons: Count
    implemented_rows: Count
    implemented_pct: Pct
    within_24h_rows: Count
    within_24h_pct: Pct
    by_result: tuple[CountByLabel, ...]
    by_measure: tuple[CountByLabel, ...]


class Grid(_Section):
    """(二) 三是: grid management."""

    grids: Count
    households: Count
    visited_households: Count


class KeyPlaces(_Section):
    """(二) 四是: key-place inspections."""

    inspections: Count
    places: Count
    places_by_type: tuple[CountByLabel, ...]
    problems_found: Count
    problems_rectified: Count


class VillageCoverage(_Section):
    """One village's first-dose coverage of people aged 60 and over."""

    village: str = Field(min_length=1)
    p60: Count
    v60_dose1: Count
    v60_dose1_pct: Pct


class Vaccination(_Section):
    """(三): the golden coverage figures are required; the rest may not be computed yet."""

    p60: Count
    v60_dose1: Count
    v60_dose1_pct: Pct
    v60_dose2: Count
    v60_dose2_pct: Pct
    p18: Count
    booster: Count
    booster_pct: Pct
    p3_11: Count | None = None
    v3_11_dose1: Count | None = None
    v3_11_dose1_pct: Pct | None = None
    door_to_door_doses: Count | None = None
    door_to_door_elderly_persons: Count | None = None
    door_to_door_children_persons: Count | None = None
    village_coverage: tuple[VillageCoverage, ...] | None = None


class Publicity(_Section):
    """(四): sums by publicity kind over the period, each in its own unit."""

    broadcast: Count
    poster: Count
    banner: Count
    leaflet: Count
    audio: Count
    talk: Count


class Demonstration(_Section):
    """(五): demonstration village creation."""

    villages_taking_part: Count
    villages_passed: Count
    party_members: Count
    volunteers: Count


class ReserveTotal(NamedTuple):
    label: str
    value: int
    unit: str


class ReserveItem(_Section):
    """One clinic's latest figure for one item, with its quota when one is set."""

    clinic: str = Field(min_length=1)
    item: ReserveItemCode
    value: Count
    quota: Count | None = None

    @property
    def label(self) -> str:
        return RESERVE_ITEMS[self.item][0]

    @property
    def unit(self) -> str:
        return RESERVE_ITEMS[self.item][1]

    @property
    def is_shortfall(self) -> bool:
        return self.quota is not None and self.value < self.quota


class Reserves(_Section):
    """Medical resources and reserves per clinic and item; shortfalls derive from quotas."""

    items: tuple[ReserveItem, ...]

    @property
    def shortfalls(self) -> tuple[ReserveItem, ...]:
        return tuple(i for i in self.items if i.is_shortfall)

    @property
    def totals(self) -> tuple[ReserveTotal, ...]:
        """Township-wide sum per item, in RESERVE_ITEMS order, for items with any row."""
        return tuple(
            ReserveTotal(label, sum(i.value for i in rows), unit)
            for code, (label, unit) in RESERVE_ITEMS.items()
            if (rows := [i for i in self.items if i.item == code])
        )


class MissingSubmission(_Section):
    """A required file kind a village did not send for the period."""

    village: str = Field(min_length=1)
    kind_label: str = Field(min_length=1)


class Completeness(_Section):
    """Required submissions not received; empty when every village sent everything."""

    missing: tuple[MissingSubmission, ...]

    @property
    def villages(self) -> tuple[str, ...]:
        """Villages with anything missing, in first-seen order."""
        return tuple(dict.fromkeys(m.village for m in self.missing))


class QualityNote(_Section):
    """Data-quality warnings the reader of the report should know about."""

    warnings: tuple[str, ...]


class ReportMetrics(_Section):
    """Every section of the report; None where the SQL stage has not computed it."""

    deployment: Deployment | None = None
    party_building: PartyBuilding | None = None
    verification: Verification | None = None
    grid: Grid | None = None
    key_places: KeyPlaces | None = None
    vaccination: Vaccination | None = None
    publicity: Publicity | None = None
    demonstration: Demonstration | None = None
    reserves: Reserves | None = None
    completeness: Completeness | None = None
    quality: QualityNote | None = None


class ReportContext(_Section):
    """What the template renders: the township's master data pieces and the metrics."""

    township_name: str = Field(min_length=2)
    county: str = ""
    government_name: str = Field(min_length=2)
    congress_term: int = Field(ge=1)
    congress_session: int = Field(ge=1)
    period_start: dt.date
    period_end: dt.date
    cutoff_date: dt.date
    coverage_target_pct: Pct
    metrics: ReportMetrics

    @classmethod
    def from_config(
        cls, config: TownshipConfig, metrics: ReportMetrics, run_date: dt.date
    ) -> ReportContext:
        """Take the report's parameters from the township file; R defaults to the run date."""
        return cls(
            township_name=config.township.name,
            county=config.township.county,
            government_name=config.township.government_name,
            congress_term=config.congress.term,
            congress_session=config.congress.session,
            period_start=config.period.start,
            period_end=config.period.end,
            cutoff_date=config.cutoff(run_date),
            coverage_target_pct=Decimal(str(config.coverage_target_pct)).quantize(Decimal("0.01")),
            metrics=metrics,
        )

    @property
    def area(self) -> str:
        """镇, 乡 or 街道: how the report names the township ("全镇", "我镇")."""
        return next((s for s in AREA_SUFFIXES if self.township_name.endswith(s)), "镇")

    @property
    def villages_below_target(self) -> tuple[VillageCoverage, ...] | None:
        """Villages whose 60+ first-dose coverage is below the target; None if not computed."""
        vaccination = self.metrics.vaccination
        if vaccination is None or vaccination.village_coverage is None:
            return None
        return tuple(
            v for v in vaccination.village_coverage if v.v60_dose1_pct < self.coverage_target_pct
        )
