"""The report text: golden figures, structure, problems only where data shows them, own words."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from decimal import Decimal
from pathlib import Path

import jinja2
import pytest
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
from transforms.render import build_environment, render_report
from transforms.report_model import (
    Completeness,
    Deployment,
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
    assert not re.search(r"[,;:()]", text.replace("(社区)", ""))


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
    assert (
        "仍有2个村（社区）60岁以上人群第一针覆盖率低于90.00%的目标：石门村88.10%、桃源村87.65%"
        in (problems)
    )
    assert "青山村" not in problems
    assert "重点督促石门村、桃源村加快进度" in text


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
    assert "青山村卫生室指夹式血氧仪现有3个，低于储备定额10个" in problems
    plan = text[text.index(PROBLEMS[1]) :]
    assert "现有床位40张、退烧药1020盒" in plan
    assert "对青山村卫生室指夹式血氧仪等低于储备定额的物资" in plan
    assert "督促柳塘村、金田村、双井村及时补报台账" in plan


def test_nothing_wrong_is_said_so_and_no_problem_is_invented():
    text = _render()
    problems = _between(text, *PROBLEMS)
    for claim in ("低于90.00%", "未报送", "，低于储备定额", "【待补充"):
        assert claim not in problems
    assert "各村（社区）60岁以上人群第一针覆盖率均已达到90.00%的目标" in problems
    assert "应报的基础台账均已按时报送" in problems
    assert "各医疗机构现有物资均不低于储备定额" in problems
    assert "重点督促" not in text


def test_empty_ledgers_are_said_so():
    deployment = FULL.deployment.model_copy(
        update={"meetings_total": 0, "documents_total": 0, "meetings_by_type": (), "documents": ()}
    )
    verification = FULL.verification.model_copy(update={"pushed_rows": 0})
    text = _render(_with(deployment=deployment, verification=verification))
    assert "会议及文件台账未登记疫情防控会议" in text
    assert "未登记新印发的防控工作文件" in text
    assert "未接收到上级推送的核查信息" in text


def test_quality_warnings_are_appended():
    warnings = (
        "2个村(社区)的花名册存在重复人员,已按一人计。",
        "3条接种记录日期晚于截止日,未计入。",
    )
    text = _render(_with(quality=QualityNote(warnings=warnings)))
    appendix = text[text.index("附：数据说明") :]
    assert f"（1）{warnings[0]}" in appendix
    assert f"（2）{warnings[1]}" in appendix


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
    # FULL has no quality warning, and 附：数据说明 is only written when there is one.
    metrics = _with(quality=QualityNote(warnings=("1个村(社区)的花名册存在重复人员,已按一人计。",)))
    marked = render_report(context(metrics), tmp_path, REGISTRY)
    assert re.sub(r"<</?[^<>]+>>", "", marked) == _render(metrics)  # the marks change nothing
    for name in names:
        found = re.search(rf"<<{re.escape(name)}>>(.*?)<</{re.escape(name)}>>", marked, re.DOTALL)
        assert found, f"{name} is not included by the report template"
        text = re.sub(r"<</?[^<>]+>>", "", found.group(1))  # less any section it includes
        assert text.strip(), f"{name} renders no text"
        assert text.endswith("\n"), f"{name} does not end its last paragraph with a line break"
