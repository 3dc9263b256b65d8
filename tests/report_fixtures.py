"""A complete, hand-written set of report figures (the seed's golden ones where it has them)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from transforms.report_model import (
    Completeness,
    CountByLabel,
    Demonstration,
    Deployment,
    Document,
    Grid,
    KeyPlaces,
    MissingSubmission,
    PartyBuilding,
    Publicity,
    ReportContext,
    ReportMetrics,
    ReserveItem,
    Reserves,
    ReserveTotal,
    Sources,
    Vaccination,
    Verification,
    VillageCoverage,
)

GOLDEN = (
    "7663剂次", "91.32%", "7275剂次", "86.70%", "18416剂次", "81.89%",
    "20万余次", "2500多张", "258条", "92000多张", "42000条次", "65000人次",
)  # fmt: skip
SOURCES = Sources(files=1, rows=10)
R = dt.date(2022, 12, 20)


def counts(**counts: int) -> tuple[CountByLabel, ...]:
    return tuple(
        CountByLabel(code=f"c{i}", label=k, count=v) for i, (k, v) in enumerate(counts.items())
    )


def coverage(code: str, village: str, pct: str) -> VillageCoverage:
    return VillageCoverage(
        village_code=code, village=village, base=1000, p60=400, v60_dose1=380,
        v60_dose1_pct=Decimal(pct), v60_dose2=360, v60_dose2_pct=Decimal("90.00"),
        p18=800, booster=600, booster_pct=Decimal("75.00"),
    )  # fmt: skip


def missing(code: str, village: str, kind: str, label: str) -> MissingSubmission:
    return MissingSubmission(village_code=code, village=village, code=kind, label=label)


def item(clinic: str, item: str, value: int, quota: int | None) -> ReserveItem:
    return ReserveItem(clinic=clinic, item=item, value=value, quota=quota, reported_on=R)


VACCINATION = Vaccination(
    base=29060, p60=8391, v60_dose1=7663, v60_dose1_pct=Decimal("91.32"),
    v60_dose2=7275, v60_dose2_pct=Decimal("86.70"), p18=22489, booster=18416,
    booster_pct=Decimal("81.89"), p3_11=2410, v3_11_dose1=2105, v3_11_dose1_pct=Decimal("87.34"),
    door_to_door_doses=612, door_to_door_elderly_persons=287, door_to_door_children_persons=45,
    village_coverage=(coverage("01", "石门村", "93.10"), coverage("02", "青山村", "95.25")),
    sources=SOURCES,
)  # fmt: skip
RESERVES_OK = Reserves(
    items=(
        item("白沙镇卫生院", "beds", 40, 30),
        item("白沙镇卫生院", "antipyretic_boxes", 900, 500),
        item("石门村卫生室", "antipyretic_boxes", 120, None),
    ),
    totals=(
        ReserveTotal(item="beds", value=40),
        ReserveTotal(item="antipyretic_boxes", value=1020),
    ),
    sources=SOURCES,
)
FULL = ReportMetrics(
    deployment=Deployment(
        meetings_total=58,
        documents_total=2,
        meetings_by_type=counts(党委会=12, 专题会=9, 调度会=31, 部署会=6),
        documents=(
            Document(
                title="《白沙镇疫情防控工作方案》",
                doc_number="白沙防指〔2022〕1号",
                issued_on=dt.date(2022, 1, 8),
            ),
            Document(title="关于做好春节期间疫情防控工作的通知", issued_on=dt.date(2022, 1, 20)),
        ),
        sources=SOURCES,
    ),
    party_building=PartyBuilding(party_members=836, volunteers=1420, sources=SOURCES),
    verification=Verification(
        pushed_rows=3518,
        pushed_persons=3102,
        implemented_rows=3240,
        implemented_pct=Decimal("92.10"),
        within_24h_rows=3377,
        within_24h_pct=Decimal("95.99"),
        by_result=tuple(
            CountByLabel(code=code, label=label, count=count)
            for code, label, count in (
                ("implemented", "已落实", 3240),
                ("away_not_returned", "外出未返", 190),
                ("not_found", "查无此人", 55),
                ("duplicate_push", "重复推送", 33),
            )
        ),
        by_measure=counts(居家健康监测=2050, 集中隔离=96, 核酸检测=1124, 无需管控=248),
        sources=SOURCES,
    ),
    grid=Grid(
        grids=86, grid_workers=172, households=10321, visited_households=48760, sources=SOURCES
    ),
    key_places=KeyPlaces(
        inspections=1260,
        places=118,
        places_by_type=counts(农贸市场=6, 商超=41, 学校=14),
        problems_found=215,
        problems_rectified=209,
        sources=SOURCES,
    ),
    vaccination=VACCINATION,
    publicity=Publicity(
        broadcast=203418,
        poster=2537,
        banner=258,
        leaflet=92310,
        audio=42000,
        talk=65000,
        sources=SOURCES,
    ),
    demonstration=Demonstration(
        villages_taking_part=12,
        villages_passed=5,
        party_members=310,
        volunteers=655,
        by_stage=counts(验收通过=5, 推进=7),
        sources=SOURCES,
    ),
    reserves=RESERVES_OK,
    completeness=Completeness(expected=60, received=60, missing=(), sources=SOURCES),
)


def context(metrics: ReportMetrics = FULL, **options: object) -> ReportContext:
    return ReportContext(
        township_name="白沙镇",
        county="云溪县",
        government_name="白沙镇人民政府",
        congress_term=17,
        congress_session=3,
        period_start=dt.date(2022, 1, 1),
        period_end=R,
        cutoff_date=R,
        coverage_target_pct=Decimal("90.00"),
        metrics=metrics,
        **options,
    )
