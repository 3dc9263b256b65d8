"""report.md, report.docx and the chart, built from the report text and the figures; the
docx read back through python-docx as a clerk's Word would read it."""

from __future__ import annotations

import datetime as dt
import io
import itertools
import math
import re
import shutil
import subprocess
import zlib
from decimal import Decimal
from pathlib import Path

import docx
import pytest
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from fontTools.ttLib import TTCollection, TTFont
from hypothesis import given
from hypothesis import strategies as st
from report_fixtures import VACCINATION, context, coverage

from epireport.settings import project_resources
from transforms.chart import chart_order, cjk_font_path, coverage_figure, render_coverage_chart
from transforms.documents import (
    CHART_FILE,
    Block,
    appendix_column_widths,
    appendix_rows,
    render_docx,
    render_markdown,
    report_blocks,
)
from transforms.indicators import load_registry
from transforms.render import render_report
from transforms.report_model import ReportContext
from transforms.vocabulary import (
    APPENDIX_COLUMNS,
    CHART_AXIS_LABEL,
    CHART_TARGET_LABEL,
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
    appendix = lines.index("## 附件1")
    assert lines[appendix + 2] == "### 各村（社区）新冠病毒疫苗接种情况"
    assert lines[-3] == "## 附件2"
    assert lines[-1] == f"![图：各村（社区）60岁以上人群第一针覆盖率]({CHART_FILE})"


def _chart(ctx: ReportContext) -> bytes:
    villages = ctx.metrics.vaccination.village_coverage
    return render_coverage_chart(villages, ctx.coverage_target_pct, "白沙镇", ctx.cutoff_date)


def test_the_chart_font_draws_every_chinese_character_of_the_chart() -> None:
    """No tofu: the font the chart uses has a glyph for each character it writes."""
    ctx = context()
    assert _chart(ctx).startswith(b"\x89PNG\r\n\x1a\n")
    path = cjk_font_path()
    fonts = TTCollection(path).fonts if path.endswith(".ttc") else [TTFont(path)]
    cmap = fonts[0].getBestCmap()
    axes = _figure(ctx).axes[0]
    text = axes.get_title() + CHART_AXIS_LABEL + CHART_TARGET_LABEL
    text += "".join(v.village for v in ctx.metrics.vaccination.village_coverage)
    assert [c for c in text if not c.isspace() and ord(c) not in cmap] == []


def test_the_chart_is_the_same_for_the_same_figures() -> None:
    ctx = context()
    assert _chart(ctx) == _chart(ctx)


# --- the chart's content: title, order, target ---------------------------------------------

VILLAGES = (  # in master-data (code) order; 03 has nobody aged 60 or over
    coverage("01", "石门村", "88.10"),
    coverage("02", "青山村", "95.25"),
    coverage("03", "白沙社区", "0").model_copy(update={"v60_dose1_pct": None}),
    coverage("04", "桃源村", "91.00"),
    coverage("05", "柳塘村", "95.25"),
)


def _figure(ctx: ReportContext):
    villages = ctx.metrics.vaccination.village_coverage
    return coverage_figure(villages, ctx.coverage_target_pct, "白沙镇", ctx.cutoff_date)


def test_the_chart_names_township_and_date_and_ranks_villages_by_coverage() -> None:
    vaccination = VACCINATION.model_copy(update={"village_coverage": VILLAGES})
    ctx = context(context().metrics.model_copy(update={"vaccination": vaccination}))
    axes = _figure(ctx).axes[0]
    assert axes.get_title() == "白沙镇各村（社区）60岁以上人群第一针覆盖率（截至2022年12月20日）"
    # Highest at the top; the two at 95.25% in code order; a village without a rate left out.
    assert [t.get_text() for t in axes.get_yticklabels()] == [
        "青山村",
        "柳塘村",
        "桃源村",
        "石门村",
    ]
    texts = [t.get_text() for t in axes.texts]
    assert "目标 90% " in texts
    assert [t for t in texts if t.endswith("%")] == ["95.25%", "95.25%", "91.00%", "88.10%"]


@given(st.lists(st.none() | st.decimals(min_value=0, max_value=100, places=2), max_size=25))
def test_any_villages_chart_from_highest_to_lowest(rates: list[Decimal | None]) -> None:
    villages = tuple(
        coverage(f"{i:02d}", f"村{i}", "0").model_copy(update={"v60_dose1_pct": rate})
        for i, rate in enumerate(rates)
    )
    shown = chart_order(villages)
    assert sorted(v.village_code for v in shown) == [
        v.village_code for v in villages if v.v60_dose1_pct is not None
    ]
    for higher, lower in itertools.pairwise(shown):
        assert higher.v60_dose1_pct >= lower.v60_dose1_pct
        if higher.v60_dose1_pct == lower.v60_dose1_pct:  # ties keep the master-data order
            assert higher.village_code < lower.village_code


def test_the_chart_target_is_written_as_set() -> None:
    ctx = context().model_copy(update={"coverage_target_pct": Decimal("92.50")})
    assert "目标 92.5% " in [t.get_text() for t in _figure(ctx).axes[0].texts]


# --- report.docx read back -------------------------------------------------------------------

CREATED = dt.datetime(2022, 12, 21, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


@pytest.fixture(scope="module")
def document() -> docx.document.Document:
    ctx = context()
    blocks = report_blocks(_text())
    data = render_docx(blocks, appendix_rows(ctx), _chart(ctx), ctx.government_name, CREATED)
    return docx.Document(io.BytesIO(data))


def _grid(section) -> dict[str, str]:
    grid = section._sectPr.find(qn("w:docGrid"))
    return {k.removeprefix(W): v for k, v in grid.attrib.items()}


def _char_pitch(style) -> float:
    """Points from one character to the next: the style's size plus its w:spacing (twips)."""
    spacing = style.element.rPr.find(qn("w:spacing"))
    return style.font.size.pt + int(spacing.get(qn("w:val"))) / 20


def test_22_lines_of_28_characters_a_page(document) -> None:
    """In Word's terms: a line grid of 22 lines, and 三号 characters condensed so that 28
    fit a line. No character grid: LibreOffice sets a 16 pt character in two cells of a grid
    narrower than 16 pt (see the LibreOffice test below)."""
    section = document.sections[0]
    grid = _grid(section)
    assert grid == {"type": "lines", "linePitch": grid["linePitch"]}
    # 22 lines of the line pitch fit the text block's height, 23 do not.
    height = section.page_height.twips - section.top_margin.twips - section.bottom_margin.twips
    pitch = int(grid["linePitch"])
    assert height // pitch == 22
    normal = document.styles["Normal"]
    assert normal.font.size == Pt(16)
    assert normal.element.rPr.rFonts.get(qn("w:eastAsia")) == "仿宋"
    # 156 mm = 442.2 pt: 28 characters of 16 pt (448 pt) would not fit, 28 condensed ones do.
    width = (section.page_width.twips - section.left_margin.twips - section.right_margin.twips) / 20
    assert abs(width - 156 / 25.4 * 72) < 0.1
    for name in ("Official Body", "Official Heading 1", "Official Heading 2"):
        style = document.styles[name]
        assert style.font.size == Pt(16), name
        char_pitch = _char_pitch(style)
        assert math.floor(width / char_pitch) == 28, name
        # The first line, two characters in (either way Word may count them), holds 26.
        layout = style.paragraph_format
        assert style.element.pPr.ind.get(qn("w:firstLineChars")) == "200"
        for indent in (layout.first_line_indent.pt, 2 * 16):
            assert math.floor((width - indent) / char_pitch) == 26, name
        # Lines are set exactly on the grid's pitch.
        assert layout.line_spacing_rule == WD_LINE_SPACING.EXACTLY
        assert layout.line_spacing.twips == pitch


def test_the_appendix_pages_keep_their_own_type_sizes(document) -> None:
    assert [_grid(s)["type"] for s in document.sections] == ["lines", "lines", "lines"]
    table_style = document.styles["Official Table"]
    assert table_style.element.pPr.find(qn("w:snapToGrid")).get(qn("w:val")) == "0"
    assert table_style.element.rPr.find(qn("w:spacing")) is None


def _pdf_body_lines(pdf: bytes, size: float) -> list[list[int]]:
    """Per page, top to bottom, how many glyphs each line of `size` pt text holds, read from
    LibreOffice's PDF: each page's content stream draws a line's text as BT x y Td /Fn size
    Tf <codes> Tj (or [<codes> kerning ...] TJ) ET, a glyph one byte of its subset font."""
    streams = {
        number: zlib.decompress(data)
        for number, data in re.findall(
            rb"(\d+) 0 obj\s*<<[^>]*/FlateDecode[^>]*>>\s*stream\r?\n(.*?)\r?\nendstream", pdf, re.S
        )
    }
    pages = []
    for contents in re.findall(rb"/Type\s*/Page\b[^>]*?/Contents\s*(\d+) 0 R", pdf):
        lines: dict[float, int] = {}
        for text in re.findall(rb"BT(.*?)ET", streams[contents], re.S):
            y = float(re.search(rb"[-\d.]+ ([-\d.]+) Td", text).group(1))
            if float(re.search(rb"([\d.]+) Tf", text).group(1)) != size:
                continue
            glyphs = sum(len(codes) // 2 for codes in re.findall(rb"<([0-9A-Fa-f]*)>", text))
            lines[y] = lines.get(y, 0) + glyphs
        pages.append([lines[y] for y in sorted(lines, reverse=True)])
    return pages


@pytest.mark.slow
def test_libreoffice_sets_22_lines_of_28_characters(tmp_path: Path) -> None:
    """Converted with LibreOffice (as some clerks do), a page holds 22 body lines of 28
    characters. Paragraphs of 200 Chinese characters, no punctuation to move a line break:
    a first line of 26 (two characters in), six of 28, a last line of 6."""
    ctx = context()
    paragraph = ("国家标准公文格式" * 25)[:200]
    blocks = [Block("title", "标题"), *[Block("paragraph", paragraph)] * 12]
    data = render_docx(blocks, appendix_rows(ctx), _chart(ctx), ctx.government_name, CREATED)
    (tmp_path / "report.docx").write_bytes(data)
    soffice = shutil.which("soffice")
    assert soffice, "LibreOffice is needed (make test installs libreoffice-writer-nogui)"
    profile = tmp_path / "profile"  # a fresh LibreOffice profile, not the user's
    subprocess.run(
        [soffice, "--headless", "--norestore", f"-env:UserInstallation={profile.as_uri()}",
         "--convert-to", "pdf", "--outdir", str(tmp_path), str(tmp_path / "report.docx")],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    pages = _pdf_body_lines((tmp_path / "report.pdf").read_bytes(), size=16)
    lines = [glyphs for page in pages for glyphs in page]
    assert lines[: 12 * 8] == [26, 28, 28, 28, 28, 28, 28, 6] * 12
    assert [len(page) for page in pages[1:4]] == [22, 22, 22]  # pages 2-4: body text only


def _footer_text(footer) -> str:
    return "".join(p.text for p in footer.paragraphs)


def test_page_numbers_right_on_odd_pages_left_on_even_ones(document) -> None:
    assert document.settings.odd_and_even_pages_header_footer is True
    section = document.sections[0]
    odd, even = section.footer.paragraphs[0], section.even_page_footer.paragraphs[0]
    assert (odd.alignment, odd.paragraph_format.right_indent) == (WD_ALIGN_PARAGRAPH.RIGHT, Pt(16))
    assert (even.alignment, even.paragraph_format.left_indent) == (WD_ALIGN_PARAGRAPH.LEFT, Pt(16))
    for paragraph in (odd, even):
        assert paragraph.text == "— 1 —"
        instructions = [e.text.strip() for e in paragraph._p.iter(qn("w:instrText"))]
        assert instructions == ["PAGE"]
        for run in paragraph.runs:
            fonts = run._r.rPr.rFonts
            assert run.font.size == Pt(14)  # 四号
            assert {fonts.get(qn(f"w:{a}")) for a in ("ascii", "hAnsi", "eastAsia")} == {"宋体"}
        # The number's line starts 7 mm below the text block.
        line = paragraph.paragraph_format.line_spacing
        gap = section.bottom_margin - section.footer_distance - line
        assert abs(gap - Mm(7)) < Mm(0.1)
    for later in document.sections[1:]:
        assert later.footer.is_linked_to_previous and later.even_page_footer.is_linked_to_previous


def test_the_document_properties_are_the_township_s(document) -> None:
    properties = document.core_properties
    assert properties.title == "在白沙镇第十七届人民代表大会第三次会议上的政府专项工作报告"
    assert properties.author == properties.last_modified_by == "白沙镇人民政府"
    assert properties.created == dt.datetime(2022, 12, 21, 1, 30, tzinfo=dt.UTC)
    assert properties.modified == properties.created
    assert "python-docx" not in (properties.comments + properties.author)


def test_each_appendix_has_its_label_on_a_line_of_its_own(document) -> None:
    texts = [p.text for p in document.paragraphs]
    assert not [t for t in texts if t.startswith("附件：")]
    first = texts.index("附件1")
    assert texts[first + 1 : first + 3] == ["", "各村（社区）新冠病毒疫苗接种情况"]
    label, title = document.paragraphs[first], document.paragraphs[first + 2]
    assert label.style.name == "Official Heading 1"
    assert label.paragraph_format.first_line_indent == 0
    assert label._p.pPr.ind.get(qn("w:firstLineChars")) == "0"
    assert title.style.name == "Official Title"
    assert texts.index("附件2") > first
    # The chart's title is in the picture, and nowhere else.
    assert not [t for t in texts if t.startswith("图：") or "覆盖率（截至" in t]
    assert len(document.inline_shapes) == 1


# Header -> ems at 五号, counted by hand: a Chinese character or full-width bracket one em,
# a digit half an em in 仿宋 (0.65 em reckoned, for a substituted Latin font).
HEADER_EMS = {
    "村（社区）": 5, "人口基数": 4, "60岁以上人口": 5 + 2 * 0.65, "第一针剂次": 5,
    "第一针覆盖率": 6, "第二针剂次": 5, "第二针覆盖率": 6, "18岁以上人口": 5 + 2 * 0.65,
    "加强针剂次": 5, "加强针接种率": 6,
}  # fmt: skip


def test_the_appendix_header_stays_on_one_line(document) -> None:
    (table,) = document.tables
    landscape = document.sections[1]
    width = landscape.page_width.twips - landscape.left_margin.twips - landscape.right_margin.twips
    widths = [column.width for column in table.columns]
    assert sum(w.twips for w in widths) <= width
    header = table.rows[0]
    assert header._tr.trPr.find(qn("w:tblHeader")) is not None  # repeated on each page
    assert [c.text for c in header.cells] == list(HEADER_EMS)
    padding = Pt(2 * 5.4)  # the Table Grid style's 0.19 cm either side
    for cell, column_width in zip(header.cells, widths, strict=True):
        assert cell._tc.tcPr.find(qn("w:noWrap")) is not None
        assert cell.width == column_width
        assert column_width.pt >= HEADER_EMS[cell.text] * 10.5 + padding.pt, cell.text
    assert document.styles["Official Table"].font.size == Pt(10.5)


def test_a_long_village_name_wraps_rather_than_a_heading() -> None:
    """When the line is too short for every cell, only the village column gives way."""
    rows = [list(APPENDIX_COLUMNS), ["名" * 60, *["100.00%"] * 9]]
    available = Mm(243)
    widths = appendix_column_widths(rows, available)
    assert sum(w.twips for w in widths) <= available.twips
    padding = Pt(2 * 5.4)
    assert widths[0].pt >= HEADER_EMS["村（社区）"] * 10.5 + padding.pt
    assert widths[0].pt < 60 * 10.5  # the name is not given its whole line
    for heading, width in zip(APPENDIX_COLUMNS[1:], widths[1:], strict=True):
        assert width.pt >= HEADER_EMS[heading] * 10.5 + padding.pt, heading
