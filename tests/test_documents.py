"""report.md, report.docx and the chart, built from the report text and the figures."""

from __future__ import annotations

from fontTools.ttLib import TTCollection, TTFont
from report_fixtures import context

from epireport.settings import project_resources
from transforms.chart import cjk_font_path, render_coverage_chart
from transforms.documents import (
    CHART_FILE,
    appendix_rows,
    render_markdown,
    report_blocks,
)
from transforms.indicators import load_registry
from transforms.render import render_report
from transforms.vocabulary import (
    APPENDIX_COLUMNS,
    CHART_AXIS_LABEL,
    CHART_TARGET_LABEL,
    CHART_TITLE,
)

RESOURCES = project_resources()
REGISTRY = load_registry(RESOURCES.indicators_path, RESOURCES.metrics_dir)


def _text() -> str:
    return render_report(context(), RESOURCES.templates_dir, REGISTRY)


def test_each_line_is_typed_by_its_outline_mark() -> None:
    blocks = report_blocks(_text())
    kinds = {b.text[:6]: b.kind for b in blocks}
    assert blocks[0].kind == "title" and blocks[0].text.startswith("在白沙镇第十七届")
    assert blocks[1].kind == "salutation" and blocks[1].text == "各位代表，同志们："
    assert kinds["一、主要工作"] == "heading_1"
    assert kinds["（一）压紧压"] == "heading_2"
    assert kinds["附：口径说明"] == "heading_1"
    assert kinds["一是坚持党建"] == "paragraph"
    assert sum(b.kind == "salutation" for b in blocks) == 1  # 主要表现在： is a paragraph


def test_the_appendix_lists_every_village_and_the_township_total() -> None:
    rows = appendix_rows(context())
    assert rows[0] == [
        "石门村", "1000", "400", "380", "93.10%", "360", "90.00%", "800", "600", "75.00%",
    ]  # fmt: skip
    assert rows[-1][:5] == ["合计", "29060", "8391", "7663", "91.32%"]


def test_markdown_has_headings_the_appendix_table_and_the_chart() -> None:
    ctx = context()
    markdown = render_markdown(report_blocks(_text()), appendix_rows(ctx), CHART_FILE)
    lines = markdown.splitlines()
    assert lines[0] == "# 在白沙镇第十七届人民代表大会第三次会议上的政府专项工作报告"
    assert "## 一、主要工作情况" in lines
    assert "### （三）扎实推进疫苗接种，筑牢全民免疫屏障" in lines
    assert "| " + " | ".join(APPENDIX_COLUMNS) + " |" in lines
    assert "| 青山村 | 1000 | 400 | 380 | 95.25% | 360 | 90.00% | 800 | 600 | 75.00% |" in lines
    assert lines[-1] == f"![图：各村（社区）60岁以上人群第一针覆盖率]({CHART_FILE})"


def test_the_chart_font_draws_every_chinese_character_of_the_chart() -> None:
    """No tofu: the font the chart uses has a glyph for each character it writes."""
    ctx = context()
    png = render_coverage_chart(ctx.metrics.vaccination.village_coverage, ctx.coverage_target_pct)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    path = cjk_font_path()
    fonts = TTCollection(path).fonts if path.endswith(".ttc") else [TTFont(path)]
    cmap = fonts[0].getBestCmap()
    text = CHART_TITLE + CHART_AXIS_LABEL + CHART_TARGET_LABEL
    text += "".join(v.village for v in ctx.metrics.vaccination.village_coverage)
    assert [c for c in text if not c.isspace() and ord(c) not in cmap] == []


def test_the_chart_is_the_same_for_the_same_figures() -> None:
    ctx = context()
    villages, target = ctx.metrics.vaccination.village_coverage, ctx.coverage_target_pct
    assert render_coverage_chart(villages, target) == render_coverage_chart(villages, target)
