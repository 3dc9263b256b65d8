"""The report text: golden figures, structure, gap markers, problems only where data shows them."""

from __future__ import annotations

import datetime as dt
import os
import re
import unicodedata
from decimal import Decimal
from pathlib import Path

import jinja2
import pytest

from epireport.config import load_config
from epireport.settings import PROJECT_ROOT
from transforms.render import build_environment, render_report, write_text_atomically
from transforms.report_model import (
    SECTION_LABELS,
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
    QualityNote,
    ReportContext,
    ReportMetrics,
    ReserveItem,
    Reserves,
    Vaccination,
    Verification,
    VillageCoverage,
)

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "templates"
# The seed report lives in shared/, beside the project (CI lays it there too).
SEED = PROJECT_ROOT.parent / "shared" / "seed" / "000_26a879e6634790b0.txt"

GOLDEN = (
    "7663剂次",
    "91.32%",
    "7275剂次",
    "86.70%",
    "18416剂次",
    "81.89%",
    "20万余次",
    "2500多张",
    "258条",
    "92000多张",
    "42000条次",
    "65000人次",
)
PROBLEMS = ("二、存在的问题", "三、下来的工作计划")


def _counts(**counts: int) -> tuple[CountByLabel, ...]:
    return tuple(CountByLabel(label=k, count=v) for k, v in counts.items())


def _coverage(village: str, pct: str) -> VillageCoverage:
    return VillageCoverage(village=village, p60=400, v60_dose1=380, v60_dose1_pct=Decimal(pct))


VACCINATION = Vaccination(
    p60=8391,
    v60_dose1=7663,
    v60_dose1_pct=Decimal("91.32"),
    v60_dose2=7275,
    v60_dose2_pct=Decimal("86.70"),
    p18=22489,
    booster=18416,
    booster_pct=Decimal("81.89"),
    p3_11=2410,
    v3_11_dose1=2105,
    v3_11_dose1_pct=Decimal("87.34"),
    door_to_door_doses=612,
    door_to_door_elderly_persons=287,
    door_to_door_children_persons=45,
    village_coverage=(_coverage("石门村", "93.10"), _coverage("青山村", "95.25")),
)
RESERVES_OK = Reserves(
    items=(
        ReserveItem(clinic="白沙镇卫生院", item="beds", value=40, quota=30),
        ReserveItem(clinic="白沙镇卫生院", item="antipyretic_boxes", value=900, quota=500),
        ReserveItem(clinic="石门村卫生室", item="antipyretic_boxes", value=120, quota=None),
    )
)
FULL = ReportMetrics(
    deployment=Deployment(
        meetings_by_type=_counts(党委会=12, 专题会=9, 调度会=31, 部署会=6),
        documents=(
            Document(
                title="白沙镇疫情防控工作方案",
                doc_number="白沙防指〔2022〕1号",
                issued_on=dt.date(2022, 1, 8),
            ),
            Document(title="关于做好春节期间疫情防控工作的通知", issued_on=dt.date(2022, 1, 20)),
        ),
    ),
    party_building=PartyBuilding(party_members=836, volunteers=1420),
    verification=Verification(
        pushed_rows=3518,
        pushed_persons=3102,
        implemented_rows=3240,
        implemented_pct=Decimal("92.10"),
        within_24h_rows=3377,
        within_24h_pct=Decimal("95.99"),
        by_result=_counts(已落实=3240, 外出未返=190, 查无此人=55, 重复推送=33),
        by_measure=_counts(居家健康监测=2050, 集中隔离=96, 核酸检测=1124, 无需管控=248),
    ),
    grid=Grid(grids=86, households=10321, visited_households=48760),
    key_places=KeyPlaces(
        inspections=1260,
        places=118,
        places_by_type=_counts(农贸市场=6, 商超=41, 学校=14),
        problems_found=215,
        problems_rectified=209,
    ),
    vaccination=VACCINATION,
    publicity=Publicity(
        broadcast=203418, poster=2537, banner=258, leaflet=92310, audio=42000, talk=65000
    ),
    demonstration=Demonstration(
        villages_taking_part=12, villages_passed=5, party_members=310, volunteers=655
    ),
    reserves=RESERVES_OK,
    completeness=Completeness(missing=()),
    quality=QualityNote(warnings=()),
)


def _context(metrics: ReportMetrics = FULL) -> ReportContext:
    return ReportContext(
        township_name="白沙镇",
        county="云溪县",
        government_name="白沙镇人民政府",
        congress_term=17,
        congress_session=3,
        period_start=dt.date(2022, 1, 1),
        period_end=dt.date(2022, 12, 20),
        cutoff_date=dt.date(2022, 12, 20),
        coverage_target_pct=Decimal("90.00"),
        metrics=metrics,
    )


def _render(metrics: ReportMetrics = FULL) -> str:
    return render_report(_context(metrics), TEMPLATES)


def _between(text: str, start: str, end: str) -> str:
    return text[text.index(start) : text.index(end)]


def _with(**sections: object) -> ReportMetrics:
    return FULL.model_copy(update=sections)


def test_full_report_carries_the_golden_figures():
    text = _render()
    for figure in GOLDEN:
        assert figure in text
    assert "60岁以上人群第一针已接种7663剂次,覆盖率91.32%" in text


def test_full_report_has_every_part_in_order():
    lines = _render().splitlines()
    assert lines[0] == "在白沙镇第十七届人民代表大会第三次会议上的政府专项工作报告"
    expected = [
        "各位代表,同志们:",
        "现在,我代表白沙镇人民政府",
        "今年以来",
        "一、主要工作情况",
        "(一)",
        "(二)",
        "一是",
        "二是",
        "三是",
        "四是",
        "(三)",
        "(四)",
        "(五)",
        "二、存在的问题",
        "一是",
        "二是",
        "三是公共卫生应急",
        "三、下来的工作计划",
        "一是",
        "二是",
        "三是全力提升医疗救治能力",
    ]
    position = 0
    for prefix in expected:
        found = next(i for i in range(position, len(lines)) if lines[i].startswith(prefix))
        position = found + 1
    for heading in ("一、主要工作情况", "二、存在的问题", "三、下来的工作计划"):
        assert heading in lines
    assert all("。" not in line for line in lines if re.match(r"^\([一二三四五]\)", line))


def test_full_report_has_no_markers_or_none():
    text = _render()
    assert "【待补充" not in text
    assert "None" not in text
    assert "附:数据说明" not in text


@pytest.mark.parametrize("section", sorted(SECTION_LABELS))
def test_a_missing_section_renders_its_marker(section: str):
    text = _render(_with(**{section: None}))
    assert f"【待补充:{SECTION_LABELS[section]}】" in text
    assert "None" not in text
    assert text.count("【待补充:") == text.count(f"【待补充:{SECTION_LABELS[section]}】")


def test_todays_metrics_render_with_markers_and_golden_figures():
    text = _render(ReportMetrics(vaccination=VACCINATION, publicity=FULL.publicity))
    for figure in GOLDEN:
        assert figure in text
    for section in SECTION_LABELS.keys() - {"vaccination", "publicity"}:
        assert f"【待补充:{SECTION_LABELS[section]}】" in text
    assert "None" not in text


def test_uncomputed_vaccination_fields_render_as_markers():
    not_computed = (
        "p3_11",
        "v3_11_dose1",
        "v3_11_dose1_pct",
        "door_to_door_doses",
        "door_to_door_elderly_persons",
        "door_to_door_children_persons",
        "village_coverage",
    )
    golden_only = VACCINATION.model_copy(update=dict.fromkeys(not_computed, None))
    text = _render(_with(vaccination=golden_only))
    assert "上门接种【待补充:疫苗接种】" in text
    assert "各村(社区)60岁以上人群接种覆盖情况【待补充:疫苗接种】" in text
    assert "7663剂次" in text
    assert "None" not in text


def test_villages_below_target_are_named_with_their_rates():
    coverage = (
        _coverage("石门村", "88.10"),
        _coverage("青山村", "95.00"),
        _coverage("桃源村", "87.65"),
    )
    vaccination = VACCINATION.model_copy(update={"village_coverage": coverage})
    text = _render(_with(vaccination=vaccination))
    problems = _between(text, *PROBLEMS)
    assert "石门村88.10%、桃源村87.65%" in problems
    assert "2个村(社区)" in problems
    assert "90.00%" in problems
    assert "青山村" not in problems
    assert "重点督促石门村、桃源村加快进度" in text


def test_missing_submissions_and_shortfalls_are_named_with_their_figures():
    completeness = Completeness(
        missing=(
            MissingSubmission(village="柳塘村", kind_label="人口花名册"),
            MissingSubmission(village="金田村", kind_label="网格化管理台账"),
            MissingSubmission(village="柳塘村", kind_label="宣传工作台账"),
        )
    )
    reserves = Reserves(
        items=(
            *RESERVES_OK.items,
            ReserveItem(clinic="青山村卫生室", item="oximeters", value=3, quota=10),
        )
    )
    text = _render(_with(completeness=completeness, reserves=reserves))
    problems = _between(text, *PROBLEMS)
    assert "柳塘村未报送人口花名册、宣传工作台账;金田村未报送网格化管理台账" in problems
    assert "共2个村(社区)、3份台账" in problems
    assert "青山村卫生室指夹式血氧仪现有3个,低于储备定额10个" in problems
    plan = text[text.index(PROBLEMS[1]) :]
    assert "床位40张、指夹式血氧仪3个、退烧药1020盒" in plan
    assert "对青山村卫生室指夹式血氧仪等低于储备定额的物资" in plan


def test_nothing_wrong_invents_no_problem():
    problems = _between(_render(), *PROBLEMS)
    for claim in ("未达到", "未报送", "低于", "【待补充"):
        assert claim not in problems
    for village in ("石门村", "青山村"):
        assert village not in problems
    assert "重点督促" not in _render()


def test_quality_warnings_are_appended():
    warnings = (
        "2个村(社区)的花名册存在重复人员,已按一人计。",
        "3条接种记录日期晚于截止日,未计入。",
    )
    text = _render(_with(quality=QualityNote(warnings=warnings)))
    appendix = text[text.index("附:数据说明") :]
    assert f"1.{warnings[0]}" in appendix
    assert f"2.{warnings[1]}" in appendix


def test_documents_are_listed_in_date_order():
    later, earlier = FULL.deployment.documents[1], FULL.deployment.documents[0]
    deployment = Deployment(meetings_by_type=(), documents=(later, earlier))
    assert deployment.documents == (earlier, later)
    text = _render(_with(deployment=deployment))
    assert text.index(earlier.title) < text.index(later.title)
    assert "会议0次," in text


def test_context_from_the_demo_township_file():
    config = load_config(ROOT / "config" / "demo-township.yaml")
    context = ReportContext.from_config(config, FULL, run_date=dt.date(2023, 1, 5))
    assert context.government_name == "白沙镇人民政府"
    assert context.cutoff_date == dt.date(2022, 12, 20)
    assert context.coverage_target_pct == Decimal("90.00")
    assert context.area == "镇"


def test_a_misspelt_field_fails_loudly(tmp_path: Path):
    (tmp_path / "x.j2").write_text("{{ ctx.metrics.no_such_section }}", encoding="utf-8")
    with pytest.raises(jinja2.UndefinedError):
        build_environment(tmp_path).get_template("x.j2").render(ctx=_context())


def _template_prose() -> str:
    """All template text with Jinja tags and whitespace removed, as a reader would see it."""
    raw = "".join(p.read_text(encoding="utf-8") for p in sorted(TEMPLATES.iterdir()))
    prose = re.sub(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", "", raw, flags=re.DOTALL)
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", prose))


def test_templates_write_no_figures():
    # Only the metrics' own names carry digits: 60岁以上, 3至11岁, 24小时.
    prose = re.sub(r"60岁以上|3至11岁|24小时", "", _template_prose())
    assert re.findall(r"\d+", prose) == []


def test_templates_copy_no_run_of_the_seed():
    assert SEED.exists(), f"the seed report is needed beside the project: {SEED}"
    outline, _, body = SEED.read_text(encoding="utf-8").partition("\n……\n")
    headings = [line for line in outline.splitlines()[1:] if line.strip()]
    headings.append(body.strip().splitlines()[0])  # the title, fixed by the spec

    def fold(text: str) -> str:
        return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))

    seed = fold(body)
    for heading in sorted(map(fold, headings), key=len, reverse=True):
        seed = seed.replace(heading, "\n")
    seed = re.sub(r"[\d*_]", "", seed)  # figures and the site's masks
    template = _template_prose()
    copied = {
        run
        for i in range(len(seed) - 19)
        if "\n" not in (run := seed[i : i + 20]) and run in template
    }
    assert copied == set()


def test_write_text_atomically_replaces_and_leaves_no_temp(tmp_path: Path):
    target = tmp_path / "report.txt"
    target.write_text("old", encoding="utf-8")
    write_text_atomically("新的报告\n", target)
    assert target.read_text(encoding="utf-8") == "新的报告\n"
    assert os.listdir(tmp_path) == ["report.txt"]


def test_a_failed_write_keeps_the_old_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    target = tmp_path / "report.txt"
    target.write_text("old", encoding="utf-8")

    def crash(*_: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        write_text_atomically("new", target)
    assert target.read_text(encoding="utf-8") == "old"
    assert os.listdir(tmp_path) == ["report.txt"]
