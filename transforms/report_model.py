"""The metrics the SQL stage computes and the report template reads, one model per section.

Every figure in the report is a typed field here (or a property summing fields), so the
template never computes or invents a number. Each section carries ``sources``: how many
stored files and rows its figures were computed from.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, NonNegativeInt

from epireport.config import ParagraphName, ReserveItemCode, TownshipConfig
from transforms.vocabulary import AREA_SUFFIXES, RESERVE_ITEM_LABELS

Count = NonNegativeInt
# A rate in percent with two decimals, as the spec writes it (91.32 -> "91.32%").
Pct = Annotated[Decimal, Field(ge=0, le=100, max_digits=5, decimal_places=2)]


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Sources(_Section):
    """How many stored files and rows a section's figures were computed from."""

    files: Count
    rows: Count


class CountByLabel(_Section):
    """One line of a breakdown: a stored code, its label in the report, its count."""

    code: str = Field(min_length=1)
    label: str = Field(min_length=1)
    count: Count

    @property
    def key(self) -> str:
        return self.code


# Half-width punctuation a clerk types in a title -> the full-width marks the report prints.
FULL_WIDTH_PUNCTUATION = str.maketrans({"(": "（", ")": "）", ",": "，", ":": "：", ";": "；"})


def _full_width(text: str) -> str:
    return text.translate(FULL_WIDTH_PUNCTUATION)


def _without_brackets(title: str) -> str:
    # Clerks type titles with or without 《》; the report adds its own.
    return _full_width(title.strip().removeprefix("《").removesuffix("》"))


class Document(_Section):
    """A document the township issued, its title and number as the report prints them."""

    title: Annotated[str, AfterValidator(_without_brackets), Field(min_length=1)]
    doc_number: Annotated[str, AfterValidator(_full_width)] | None = None
    issued_on: dt.date


def _by_date(documents: tuple[Document, ...]) -> tuple[Document, ...]:
    return tuple(sorted(documents, key=lambda d: d.issued_on))


class Deployment(_Section):
    """(一): meetings by type (党委会/专题会/调度会/部署会) and documents in date order."""

    meetings_total: Count
    documents_total: Count
    meetings_by_type: tuple[CountByLabel, ...]
    documents: Annotated[tuple[Document, ...], AfterValidator(_by_date)]
    sources: Sources


class PartyBuilding(_Section):
    """(二) 一是: people mobilised, as the villages state them on the demonstration ledger."""

    party_members: Count
    volunteers: Count
    sources: Sources


# The verification result whose rows are ``implemented_rows``.
IMPLEMENTED_RESULT = "implemented"


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
    sources: Sources

    @property
    def other_results(self) -> tuple[CountByLabel, ...]:
        """The results besides 已落实, which the text has already given with its rate."""
        return tuple(r for r in self.by_result if r.code != IMPLEMENTED_RESULT)


class Grid(_Section):
    """(二) 三是: grid management."""

    grids: Count
    grid_workers: Count
    households: Count
    visited_households: Count
    sources: Sources


class KeyPlaces(_Section):
    """(二) 四是: key-place inspections."""

    inspections: Count
    places: Count
    places_by_type: tuple[CountByLabel, ...]
    problems_found: Count
    problems_rectified: Count
    sources: Sources


class VillageCoverage(_Section):
    """One village's population base and coverage; a rate is None where nobody is counted."""

    village_code: str = Field(min_length=1)
    village: str = Field(min_length=1)
    base: Count
    p60: Count
    v60_dose1: Count
    v60_dose1_pct: Pct | None
    v60_dose2: Count
    v60_dose2_pct: Pct | None
    p18: Count
    booster: Count
    booster_pct: Pct | None

    @property
    def key(self) -> str:
        return self.village_code


class Vaccination(_Section):
    """(三): coverage at the cut-off date, door-to-door service, and the same per village."""

    base: Count
    p60: Count
    v60_dose1: Count
    v60_dose1_pct: Pct
    v60_dose2: Count
    v60_dose2_pct: Pct
    p18: Count
    booster: Count
    booster_pct: Pct
    p3_11: Count
    v3_11_dose1: Count
    v3_11_dose1_pct: Pct
    door_to_door_doses: Count
    door_to_door_elderly_persons: Count
    door_to_door_children_persons: Count
    village_coverage: tuple[VillageCoverage, ...]
    sources: Sources


class Publicity(_Section):
    """(四): sums by publicity kind over the period, each in its own unit."""

    broadcast: Count
    poster: Count
    banner: Count
    leaflet: Count
    audio: Count
    talk: Count
    sources: Sources


class Demonstration(_Section):
    """(五): demonstration village creation."""

    villages_taking_part: Count
    villages_passed: Count
    party_members: Count
    volunteers: Count
    by_stage: tuple[CountByLabel, ...]
    sources: Sources


class _ReserveFigure(_Section):
    item: ReserveItemCode
    value: Count

    @property
    def label(self) -> str:
        return RESERVE_ITEM_LABELS[self.item][0]

    @property
    def unit(self) -> str:
        return RESERVE_ITEM_LABELS[self.item][1]


class ReserveItem(_ReserveFigure):
    """One clinic's latest figure for one item, with its quota when one is set."""

    clinic_code: str | None = None
    clinic: str = Field(min_length=1)
    quota: Count | None = None
    reported_on: dt.date

    @property
    def key(self) -> str:
        return f"{self.clinic_code or self.clinic}.{self.item}"

    @property
    def is_shortfall(self) -> bool:
        return self.quota is not None and self.value < self.quota


class ReserveTotal(_ReserveFigure):
    """The township-wide sum of one item over the clinics' latest figures."""

    @property
    def key(self) -> str:
        return self.item


class Reserves(_Section):
    """Medical resources and reserves per clinic and item; shortfalls derive from quotas."""

    items: tuple[ReserveItem, ...]
    totals: tuple[ReserveTotal, ...]
    sources: Sources

    @property
    def shortfalls(self) -> tuple[ReserveItem, ...]:
        return tuple(i for i in self.items if i.is_shortfall)


class MissingSubmission(_Section):
    """A required file kind a village did not send for the period."""

    village_code: str = Field(min_length=1)
    village: str = Field(min_length=1)
    code: str = Field(min_length=1)
    label: str = Field(min_length=1)


class Completeness(_Section):
    """Required submissions (village x kind) expected, received, and the missing ones."""

    expected: Count
    received: Count
    missing: tuple[MissingSubmission, ...]
    sources: Sources

    @property
    def villages(self) -> tuple[str, ...]:
        """Villages with anything missing, in master-data order."""
        return tuple(dict.fromkeys(m.village for m in self.missing))

    @property
    def gaps(self) -> tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]:
        """(villages, kind labels): villages missing the same kinds, so the text names each
        set once (金田村、双井村未报送网格化管理台账)."""
        kinds = {v: tuple(m.label for m in self.missing if m.village == v) for v in self.villages}
        return tuple(
            (tuple(v for v in self.villages if kinds[v] == labels), labels)
            for labels in dict.fromkeys(kinds.values())
        )

    @property
    def missing_villages(self) -> int:
        """How many villages the report names for missing files."""
        return len(self.villages)

    @property
    def missing_files(self) -> int:
        """How many required files (village x kind) were not received."""
        return len(self.missing)


class QualityNote(_Section):
    """Data-quality warnings the reader of the report should know about."""

    warnings: tuple[str, ...]


class ReportMetrics(_Section):
    """Every section of the report; ``quality`` is set by the data-quality stage when it has any."""

    deployment: Deployment
    party_building: PartyBuilding
    verification: Verification
    grid: Grid
    key_places: KeyPlaces
    vaccination: Vaccination
    publicity: Publicity
    demonstration: Demonstration
    reserves: Reserves
    completeness: Completeness
    quality: QualityNote | None = None


class PreviousReport(_Section):
    """The vaccination figures of the township's previous report, read from its metrics.json."""

    cutoff_date: dt.date
    v60_dose1: Count
    v60_dose1_pct: Pct
    v60_dose2: Count
    v60_dose2_pct: Pct
    booster: Count
    booster_pct: Pct


class VaccinationChanges(_Section):
    """What changed since the previous report: doses added, rates in percentage points."""

    since: dt.date
    v60_dose1: int
    v60_dose1_pct: Decimal
    v60_dose2: int
    v60_dose2_pct: Decimal
    booster: int
    booster_pct: Decimal


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
    paragraphs: dict[ParagraphName, str] = Field(default_factory=dict)
    method_note: bool = True
    data_notes_in_report: bool = False
    previous: PreviousReport | None = None
    # When the report was made: the docx's creation time.
    generated_at: dt.datetime = Field(default_factory=lambda: dt.datetime.now().astimezone())

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
            paragraphs=config.report.paragraphs,
            method_note=config.report.method_note,
            data_notes_in_report=config.report.data_notes_in_report,
        )

    @property
    def area(self) -> str:
        """镇, 乡 or 街道: how the report names the township ("全镇", "我镇")."""
        return next((s for s in AREA_SUFFIXES if self.township_name.endswith(s)), "镇")

    @property
    def villages_below_target(self) -> tuple[VillageCoverage, ...]:
        """Villages whose 60+ first-dose coverage is below the target, in master-data order."""
        return tuple(
            v
            for v in self.metrics.vaccination.village_coverage
            if v.v60_dose1_pct is not None and v.v60_dose1_pct < self.coverage_target_pct
        )

    @property
    def villages_below_target_count(self) -> int:
        """A figure of its own: the report says how many villages it names."""
        return len(self.villages_below_target)

    @property
    def changes(self) -> VaccinationChanges | None:
        """The change since the previous report, when there is an earlier one."""
        previous = self.previous
        if previous is None or previous.cutoff_date >= self.cutoff_date:
            return None
        now = self.metrics.vaccination
        return VaccinationChanges(
            since=previous.cutoff_date,
            **{
                name: getattr(now, name) - getattr(previous, name)
                for name in VaccinationChanges.model_fields
                if name != "since"
            },
        )
