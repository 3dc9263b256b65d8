"""The report text: golden figures, structure, problems only where data shows them, own words."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from decimal import Decimal
from pathlib import Path

import jinja2
import pytest
from hypothesis import given
from hypothesis import strategies as st
from report_fixtures import (
    FULL,
    GOLDEN,
    RESERVES_OK,
    SOURCES,
    VACCINATION,
    R,
    context,
    coverage,
    item,
    missing,
)

from epireport.config import load_config
from epireport.settings import project_resources
from tools.seed_overlap import template_prose
from transforms.indicators import load_registry
from transforms.quality import CheckResult, QualityVerdict, quality_note
from transforms.render import build_environment, render_office_note, render_report
from transforms.report_model import (
    Completeness,
    Deployment,
    Document,
    PreviousReport,
    QualityNote,
    ReportContext,
    ReportMetrics,
)

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "templates"
# The report's sections, one file each, included by the report template.
SECTIONS = TEMPLATES / "report"
MAX_TEMPLATE_LINE = 200
RESOURCES = project_resources()
REGISTRY = load_registry(RESOURCES.indicators_path, RESOURCES.metrics_dir)

PROBLEMS = ("二、存在的问题", "三、下来的工作计划")


def _render(metrics: ReportMetrics = FULL, **options: object) -> str:
    return render_report(context(metrics, **options), TEMPLATES, REGISTRY)


def _between(text: str, start: str, end: str) -> str:
    return text[text.index(start) : text.index(end)]


def _with(**sections: object) -> ReportMetrics:
    return FULL.model_copy(update=sections)


def test_full_report_carries_the_golden_figures():
    text = _render()
    for figure in GOLDEN:
        assert figure in text
    assert "60岁以上人群第一针已接种7663剂次，覆盖率91.32%" in text
    assert "其中党委会12次、专题会9次、调度会31次、部署会6次" in text
    assert "配备网格员172名，覆盖10321户" in text


def test_full_report_has_every_part_in_order():
    lines = _render().splitlines()
    assert lines[0] == "在白沙镇第十七届人民代表大会第三次会议上的政府专项工作报告"
    expected = [
        "各位代表，同志们：", "现在，我代表白沙镇人民政府", "今年以来", "一、主要工作情况",
        "（一）", "（二）", "一是", "二是", "三是", "四是", "（三）", "（四）", "（五）",
        "二、存在的问题", "一是", "二是", "三是公共卫生应急", "三、下来的工作计划",
        "一是", "二是", "三是全力提升医疗救治能力", "四是", "各位代表", "附：口径说明",
    ]  # fmt: skip
    position = 0
    for prefix in expected:
        found = next(i for i in range(position, len(lines)) if lines[i].startswith(prefix))
        position = found + 1
    for heading in ("一、主要工作情况", "二、存在的问题", "三、下来的工作计划"):
        assert heading in lines
    assert all("。" not in line for line in lines if re.match(r"^（[一二三四五]）", line))


def test_full_report_has_no_gaps_none_or_half_width_punctuation():
    text = _render()
    assert "【待补充" not in text
    assert "None" not in text
    assert "附：数据说明" not in text  # no quality warnings given
    assert not re.search(r"[,;:()]", text)
    assert "主数据" not in text  # the office's word for the township file, not the congress's


def test_documents_are_listed_in_date_order_with_their_own_brackets_once():
    later, earlier = FULL.deployment.documents[1], FULL.deployment.documents[0]
    deployment = FULL.deployment.model_copy(update={"documents": (later, earlier)})
    deployment = Deployment.model_validate(deployment.model_dump())
    assert deployment.documents == (earlier, later)
    text = _render(_with(deployment=deployment))
    assert "《白沙镇疫情防控工作方案》（白沙防指〔2022〕1号）、《关于做好春节期间" in text
    assert "《《" not in text
    assert "等防控工作文件2份" in text


def test_villages_below_target_are_named_with_their_rates():
    villages = (
        coverage("01", "石门村", "88.10"),
        coverage("02", "青山村", "95.00"),
        coverage("04", "桃源村", "87.65"),
    )
    vaccination = VACCINATION.model_copy(update={"village_coverage": villages})
    text = _render(_with(vaccination=vaccination))
    problems = _between(text, *PROBLEMS)
    named = "仍有2个村（社区）60岁以上人群第一针覆盖率低于90%的目标：石门村88.10%、桃源村87.65%"
    assert named in problems
    assert "青山村" not in problems
    assert "重点督促石门村、桃源村加快进度，尽快达到90%的覆盖目标" in text


def test_missing_submissions_and_shortfalls_are_named_with_their_figures():
    completeness = Completeness(
        expected=60,
        received=56,
        missing=(
            missing("05", "柳塘村", "roster", "人口花名册"),
            missing("05", "柳塘村", "publicity", "宣传工作台账"),
            missing("07", "金田村", "grid", "网格化管理台账"),
            missing("17", "双井村", "grid", "网格化管理台账"),
        ),
        sources=SOURCES,
    )  # fmt: skip
    reserves = RESERVES_OK.model_copy(
        update={"items": (*RESERVES_OK.items, item("青山村卫生室", "oximeters", 3, 10))}
    )
    text = _render(_with(completeness=completeness, reserves=reserves))
    problems = _between(text, *PROBLEMS)
    assert "柳塘村未报送人口花名册、宣传工作台账；金田村、双井村未报送网格化管理台账，" in problems
    assert "共3个村（社区）、4份台账未按时报送" in problems
    assert "青山村卫生室指夹式血氧仪现有3个，低于10个的储备定额" in problems
    plan = text[text.index(PROBLEMS[1]) :]
    assert "现有床位40张、退烧药1020盒" in plan
    assert "对青山村卫生室指夹式血氧仪等低于储备定额的物资" in plan
    assert "督促柳塘村、金田村、双井村及时补报台账" in plan


def test_nothing_wrong_is_said_so_and_no_problem_is_invented():
    text = _render()
    problems = _between(text, *PROBLEMS)
    for claim in ("低于90%", "未报送", "，低于", "【待补充"):
        assert claim not in problems
    assert "各村（社区）60岁以上人群第一针覆盖率均已达到90%的目标" in problems
    assert "应报的基础台账均已按时报送" in problems
    assert "各医疗机构现有物资均不低于储备定额" in problems
    assert "重点督促" not in text


def test_the_leadership_is_the_county_and_the_townships_own_party_committee():
    lines = _render().splitlines()
    closing = next(line for line in lines if line.startswith("各位代表，守护好"))
    for line in (lines[3], closing):
        assert "在云溪县委、县政府和镇党委的坚强领导下" in line
    no_county = context().model_copy(update={"county": ""})
    text = render_report(no_county, TEMPLATES, REGISTRY)
    assert "在上级党委、政府和镇党委的坚强领导下" in text
    township = render_report(
        context().model_copy(update={"township_name": "青石乡", "county": ""}), TEMPLATES, REGISTRY
    )
    assert "在上级党委、政府和乡党委的坚强领导下" in township
    street = render_report(
        context().model_copy(update={"township_name": "城关街道"}), TEMPLATES, REGISTRY
    )
    assert "在云溪县委、县政府和街道党工委的坚强领导下" in street


def test_a_target_is_written_as_it_was_set():
    villages = (coverage("01", "石门村", "92.40"), coverage("02", "青山村", "95.00"))
    vaccination = VACCINATION.model_copy(update={"village_coverage": villages})
    ctx = context(_with(vaccination=vaccination))
    text = render_report(
        ctx.model_copy(update={"coverage_target_pct": Decimal("92.50")}), TEMPLATES, REGISTRY
    )
    assert "仍有1个村（社区）60岁以上人群第一针覆盖率低于92.5%的目标：石门村92.40%" in text
    assert "尽快达到92.5%的覆盖目标" in text
    assert "92.50%" not in text


def test_figures_given_once_are_not_repeated():
    text = _render()
    verification = _between(text, "二是闭环开展大数据核查", "三是推行网格化管理")
    assert verification.count("3240条") == 1
    assert "其余推送中，外出未返190条、查无此人55条、重复推送33条。" in verification
    # (五) counts the same party members and volunteers as (二)一是: it says so, once.
    same = FULL.demonstration.model_copy(update={"party_members": 836, "volunteers": 1420})
    text = _render(_with(demonstration=same))
    assert text.count("836名") == 1 and text.count("1420名") == 1
    assert "前述党员、志愿者均投身创建工作" in text
    # Fewer of them in the villages taking part: both figures stand.
    text = _render()
    assert "共动员党员836名、志愿者1420名" in text
    assert "参与创建的党员310名、志愿者655名" in text


def test_the_demonstration_heading_names_what_the_text_is_about():
    section = _between(_render(), "（五）", "二、存在的问题")
    heading, body = section.splitlines()[:2]
    assert "示范村（社区）" in heading and "示范村（社区）" in body
    assert "无疫村" not in section


def test_titles_typed_with_half_width_punctuation_print_full_width():
    typed = Document(
        title="白沙镇推进党建引领群防群控示范村(社区)创建工作方案",
        doc_number="白发(2022)15号",
        issued_on=dt.date(2022, 5, 12),
    )
    deployment = FULL.deployment.model_copy(update={"documents": (typed,)})
    text = _render(_with(deployment=deployment))
    assert "《白沙镇推进党建引领群防群控示范村（社区）创建工作方案》（白发（2022）15号）" in text


@given(st.text(alphabet="示范村社区方案(),;:（）《》 ", min_size=1, max_size=30))
def test_no_title_brings_half_width_punctuation_into_the_report(title: str):
    if not title.strip().removeprefix("《").removesuffix("》"):
        return  # a title of brackets only is refused (min_length), not printed
    typed = Document(title=title, doc_number=title, issued_on=dt.date(2022, 5, 12))
    assert not re.search(r"[,;:()]", typed.title + (typed.doc_number or ""))


def test_empty_ledgers_are_said_so():
    deployment = FULL.deployment.model_copy(
        update={"meetings_total": 0, "documents_total": 0, "meetings_by_type": (), "documents": ()}
    )
    verification = FULL.verification.model_copy(update={"pushed_rows": 0})
    text = _render(_with(deployment=deployment, verification=verification))
    assert "会议及文件台账未登记疫情防控会议" in text
    assert "未登记新印发的防控工作文件" in text
    assert "未接收到上级推送的核查信息" in text


WARNINGS = (
    "2个村（社区）的花名册存在重复人员，已按一人计。",
    "3条接种记录日期晚于截止日，未计入。",
)


def test_quality_warnings_go_to_the_office_note_not_the_congress():
    ctx = context(_with(quality=QualityNote(warnings=WARNINGS)))
    text = render_report(ctx, TEMPLATES, REGISTRY)
    assert "附：数据说明" not in text
    assert all(w not in text for w in WARNINGS)
    lines = render_office_note(ctx, TEMPLATES).splitlines()
    assert lines[0] == "白沙镇疫情防控专项工作报告数据说明"
    assert lines[1] == "（供白沙镇人民政府办公室核对，不在大会上宣读）"
    assert "报告数据截至2022年12月20日" in lines[2]
    assert f"（1）{WARNINGS[0]}" in lines
    assert f"（2）{WARNINGS[1]}" in lines
    assert any("未印入报告" in line and "report.data_notes_in_report" in line for line in lines)


def test_the_township_may_print_the_warnings_in_the_report_too():
    ctx = context(_with(quality=QualityNote(warnings=WARNINGS)), data_notes_in_report=True)
    text = render_report(ctx, TEMPLATES, REGISTRY)
    appendix = _between(text, "附：数据说明", "附：口径说明")
    assert appendix.splitlines()[1:] == [f"（1）{WARNINGS[0]}", f"（2）{WARNINGS[1]}"]
    note = render_office_note(ctx, TEMPLATES)
    assert f"（1）{WARNINGS[0]}" in note
    assert "同时印在报告末尾" in note


def test_the_age_band_warning_counts_age_bands_not_villages():
    """The check fails one row per village and age band: 17 rows are 17 age bands."""
    failed = CheckResult(
        suite="age_band_population", table="check_age_band_population",
        expectation="expect_column_pair_values_a_to_be_greater_than_b", column="population",
        severity="warning", success=False, unexpected_count=17, element_count=120, error=None,
        note="age_band_vaccinated_above_population",
    )  # fmt: skip
    note = quality_note(QualityVerdict(results=(failed,)))
    (sentence,) = note.warnings
    assert "有17个年龄组的第一针接种人数多于花名册在册人数" in sentence
    assert "17个村" not in sentence
    office = render_office_note(context(_with(quality=note)), TEMPLATES)
    assert f"（1）{sentence}" in office.splitlines()


def test_the_office_note_says_so_when_there_is_nothing_to_check():
    note = render_office_note(context(), TEMPLATES)
    assert "本次未发现需要说明的数据问题。" in note
    assert "（1）" not in note
    assert not re.search(r"[,;()]", note)


def test_the_method_note_comes_from_the_registry_and_can_be_switched_off():
    text = _render()
    note = text[text.index("附：口径说明") :]
    coverage = REGISTRY.get("vaccination.v60_dose1_pct")
    assert f"{coverage.name}：{coverage.definition}，除以{coverage.denominator}" in note
    assert "年龄按截至该日的周岁计算" in note
    assert "附：口径说明" not in _render(method_note=False)


def test_the_change_since_the_previous_report_is_stated():
    previous = PreviousReport(
        cutoff_date=dt.date(2022, 11, 30), v60_dose1=7563, v60_dose1_pct=Decimal("90.07"),
        v60_dose2=7275, v60_dose2_pct=Decimal("86.70"), booster=18516,
        booster_pct=Decimal("82.33"),
    )  # fmt: skip
    text = _render(previous=previous)
    assert (
        "与上次报告（截至2022年11月30日）相比，60岁以上人群第一针新增100剂次，覆盖率提高1.25个百分点；"
        "第二针持平，覆盖率持平；加强针减少100剂次，接种率下降0.44个百分点。"
    ) in text
    assert "与上次报告" not in _render()
    same_day = previous.model_copy(update={"cutoff_date": R})
    assert "与上次报告" not in _render(previous=same_day)


def test_a_township_may_word_its_own_paragraphs():
    own = {"opening": "本镇自己的开场白。", "closing": "本镇自己的结束语！"}
    text = _render(paragraphs=own)
    lines = text.splitlines()
    assert lines[3] == "本镇自己的开场白。"
    assert "本镇自己的结束语！" in lines
    assert "慎终如始" not in text
    assert "7663剂次" in text  # the figures around a paragraph stay


def test_context_from_the_demo_township_file():
    config = load_config(ROOT / "config" / "demo-township.yaml")
    context = ReportContext.from_config(config, FULL, run_date=dt.date(2023, 1, 5))
    assert context.government_name == "白沙镇人民政府"
    assert context.cutoff_date == R
    assert context.coverage_target_pct == Decimal("90.00")
    assert context.area == "镇"
    assert context.method_note is True
    assert context.data_notes_in_report is False


def test_the_switch_in_the_township_file_prints_the_data_notes(tmp_path: Path):
    source = (ROOT / "config" / "demo-township.yaml").read_text(encoding="utf-8")
    assert "  data_notes_in_report: false\n" in source
    path = tmp_path / "township.yaml"
    path.write_text(source.replace("data_notes_in_report: false", "data_notes_in_report: true"))
    config = load_config(path)
    metrics = _with(quality=QualityNote(warnings=WARNINGS))
    context = ReportContext.from_config(config, metrics, run_date=dt.date(2023, 1, 5))
    assert context.data_notes_in_report is True
    assert "附：数据说明" in render_report(context, TEMPLATES, REGISTRY)


def test_a_misspelt_field_fails_loudly(tmp_path: Path):
    (tmp_path / "x.j2").write_text("{{ ctx.metrics.no_such_section }}", encoding="utf-8")
    with pytest.raises(jinja2.UndefinedError):
        build_environment(tmp_path).get_template("x.j2").render(ctx=context())


def test_templates_write_no_figures():
    # Only the metrics' own names carry digits: 60岁以上, 3至11岁, 24小时.
    prose = re.sub(
        r"60岁以上|3至11岁|24小时",
        "",
        template_prose([*TEMPLATES.glob("report.*"), *TEMPLATES.glob("report/*.j2")]),
    )
    assert re.findall(r"\d+", prose) == []


def test_no_template_line_is_longer_than_200_characters():
    too_long = [
        f"{path.relative_to(ROOT)}:{number}: {len(line)} characters"
        for path in sorted(TEMPLATES.rglob("*"))
        if path.is_file()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if len(line) > MAX_TEMPLATE_LINE
    ]
    assert too_long == [], "template lines over 200 characters:\n" + "\n".join(too_long)


def test_the_report_is_made_of_section_includes(tmp_path: Path):
    # Mark where each section file starts and ends, then render the report from the copy.
    shutil.copytree(TEMPLATES, tmp_path, dirs_exist_ok=True)
    names = sorted(p.relative_to(TEMPLATES).as_posix() for p in SECTIONS.rglob("*.j2"))
    assert names, f"no section files in {SECTIONS}"
    for name in names:
        path = tmp_path / name
        path.write_text(f"<<{name}>>{path.read_text(encoding='utf-8')}<</{name}>>", "utf-8")
    # FULL has no quality warning, and 附：数据说明 is only written when there is one and the
    # township prints them in the report.
    metrics = _with(quality=QualityNote(warnings=("1个村（社区）的花名册存在重复人员。",)))
    marked = render_report(context(metrics, data_notes_in_report=True), tmp_path, REGISTRY)
    unmarked = re.sub(r"<</?[^<>]+>>", "", marked)
    assert unmarked == _render(metrics, data_notes_in_report=True)  # the marks change nothing
    for name in names:
        found = re.search(rf"<<{re.escape(name)}>>(.*?)<</{re.escape(name)}>>", marked, re.DOTALL)
        assert found, f"{name} is not included by the report template"
        text = re.sub(r"<</?[^<>]+>>", "", found.group(1))  # less any section it includes
        assert text.strip(), f"{name} renders no text"
        assert text.endswith("\n"), f"{name} does not end its last paragraph with a line break"
