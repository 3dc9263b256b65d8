"""report.md and report.docx from the rendered report text, with the per-village appendix.

The template writes the report once, as text with one paragraph per line; its outline
marks (一、 （一） 附：) say which line is which kind. Both documents are built from
those lines, so the three formats never say different things. The docx follows the
conventions of an official document (GB/T 9704): A4, margins 37/35/28/26 mm, title in
方正小标宋 二号, body in 仿宋 三号, first-level headings in 黑体, second-level in 楷体.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import Literal

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.section import Section
from docx.shared import Mm, Pt, RGBColor
from docx.styles.style import ParagraphStyle
from docx.text.paragraph import Paragraph

from transforms.numbers import exact_count, rate_pct
from transforms.report_model import Pct, ReportContext
from transforms.vocabulary import (
    APPENDIX_COLUMNS,
    APPENDIX_TITLE,
    APPENDIX_TOTAL_ROW,
    CHART_CAPTION,
    DOCUMENT_FONTS,
    HEADING_1_PATTERN,
    HEADING_2_PATTERN,
    NOTE_HEADING_PATTERN,
    PAGE_NUMBER_DASH,
    SALUTATION_END,
)

BlockKind = Literal["title", "salutation", "heading_1", "heading_2", "paragraph"]
CHART_FILE = "coverage_by_village.png"
NO_FIGURE = "—"

# GB/T 9704 sizes: 二号 = 22 pt, 三号 = 16 pt; a body line every 28 pt (22 lines a page).
TITLE_SIZE = Pt(22)
BODY_SIZE = Pt(16)
TABLE_SIZE = Pt(10.5)  # 五号
PAGE_NUMBER_SIZE = Pt(14)
LINE_PITCH = Pt(28)
CHART_WIDTH = Mm(150)
MARGINS_MM = {"top": 37, "bottom": 35, "left": 28, "right": 26}
# Style name -> (font role in DOCUMENT_FONTS, size, outline level or None).
STYLES: dict[str, tuple[str, Pt, int | None]] = {
    "Official Title": ("title", TITLE_SIZE, None),
    "Official Body": ("body", BODY_SIZE, None),
    "Official Heading 1": ("heading_1", BODY_SIZE, 0),
    "Official Heading 2": ("heading_2", BODY_SIZE, 1),
    "Official Table": ("table", TABLE_SIZE, None),
}
STYLE_OF_BLOCK: dict[BlockKind, str] = {
    "title": "Official Title",
    "salutation": "Official Body",
    "heading_1": "Official Heading 1",
    "heading_2": "Official Heading 2",
    "paragraph": "Official Body",
}


@dataclass(frozen=True)
class Block:
    """One line of the report and what kind of line it is."""

    kind: BlockKind
    text: str


def report_blocks(text: str) -> list[Block]:
    """The report's lines as blocks: the first is the title, the rest by their outline mark."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    blocks = [Block("title", lines[0])] if lines else []
    for line in lines[1:]:
        if re.match(HEADING_1_PATTERN, line) or re.match(NOTE_HEADING_PATTERN, line):
            blocks.append(Block("heading_1", line))
        elif re.match(HEADING_2_PATTERN, line):
            blocks.append(Block("heading_2", line))
        elif line.endswith(SALUTATION_END) and len(blocks) == 1:
            blocks.append(Block("salutation", line))
        else:
            blocks.append(Block("paragraph", line))
    return blocks


def _pct(value: Pct | None) -> str:
    return NO_FIGURE if value is None else rate_pct(value)


def appendix_rows(context: ReportContext) -> list[list[str]]:
    """The per-village table, one row per village and a township total, as the cells read."""
    vaccination = context.metrics.vaccination
    rows = [
        [
            v.village,
            exact_count(v.base),
            exact_count(v.p60),
            exact_count(v.v60_dose1),
            _pct(v.v60_dose1_pct),
            exact_count(v.v60_dose2),
            _pct(v.v60_dose2_pct),
            exact_count(v.p18),
            exact_count(v.booster),
            _pct(v.booster_pct),
        ]
        for v in vaccination.village_coverage
    ]
    rows.append(
        [
            APPENDIX_TOTAL_ROW,
            exact_count(vaccination.base),
            exact_count(vaccination.p60),
            exact_count(vaccination.v60_dose1),
            _pct(vaccination.v60_dose1_pct),
            exact_count(vaccination.v60_dose2),
            _pct(vaccination.v60_dose2_pct),
            exact_count(vaccination.p18),
            exact_count(vaccination.booster),
            _pct(vaccination.booster_pct),
        ]
    )
    return rows


def render_markdown(blocks: list[Block], appendix: list[list[str]], chart_file: str) -> str:
    """The report as Markdown: title, headings, paragraphs, then the appendix table and chart."""
    marks = {"title": "# ", "heading_1": "## ", "heading_2": "### "}
    parts = [marks.get(b.kind, "") + b.text.replace("*", r"\*") for b in blocks]
    parts.append(f"## {APPENDIX_TITLE}")
    table = [
        "| " + " | ".join(APPENDIX_COLUMNS) + " |",
        "|" + "|".join([":---", *["---:"] * (len(APPENDIX_COLUMNS) - 1)]) + "|",
        *("| " + " | ".join(row) + " |" for row in appendix),
    ]
    parts.append("\n".join(table))
    parts.append(f"![{CHART_CAPTION}]({chart_file})")
    return "\n\n".join(parts) + "\n"


def _set_fonts(style: ParagraphStyle, font: str, size: Pt) -> None:
    """Name the font for Latin and East Asian text alike; Word picks w:eastAsia for Chinese."""
    style.font.name = font
    style.font.size = size
    style.font.bold = False
    style.font.color.rgb = RGBColor(0, 0, 0)
    fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
    for attribute in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attribute), font)


def _add_styles(document: DocumentObject) -> None:
    """One paragraph style per kind of line, fonts and sizes as GB/T 9704 sets them."""
    for name, (role, size, outline) in STYLES.items():
        style = document.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = document.styles["Normal"]
        _set_fonts(style, DOCUMENT_FONTS[role], size)
        layout = style.paragraph_format
        layout.space_before = Pt(0)
        layout.space_after = Pt(0)
        if name != "Official Table":
            layout.line_spacing_rule = WD_LINE_SPACING.EXACTLY
            layout.line_spacing = LINE_PITCH
        if outline is not None:
            outline_level = OxmlElement("w:outlineLvl")
            outline_level.set(qn("w:val"), str(outline))
            style.element.get_or_add_pPr().append(outline_level)
    title = document.styles["Official Title"].paragraph_format
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.line_spacing = Pt(36)
    title.space_after = LINE_PITCH
    for name in ("Official Body", "Official Heading 1", "Official Heading 2"):
        layout = document.styles[name].paragraph_format
        layout.first_line_indent = BODY_SIZE * 2  # two characters
        layout.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY


def _page_number(paragraph: Paragraph) -> None:
    """ "— 1 —" centred in the footer in 四号 figures: a PAGE field between two dashes."""
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.add_run(f"{PAGE_NUMBER_DASH} ")
    for tag, value in (("w:fldChar", "begin"), ("w:instrText", "PAGE"), ("w:fldChar", "end")):
        element = OxmlElement(tag)
        if tag == "w:fldChar":
            element.set(qn("w:fldCharType"), value)
        else:
            element.text = value
        paragraph.add_run()._r.append(element)
    paragraph.add_run(f" {PAGE_NUMBER_DASH}")
    for run in paragraph.runs:
        run.font.size = PAGE_NUMBER_SIZE


def _page_setup(section: Section, landscape: bool = False) -> None:
    """A4 with the official margins; a landscape page keeps them on the same sides of the text."""
    short, long = Mm(210), Mm(297)
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = (long, short) if landscape else (short, long)
    section.top_margin = Mm(MARGINS_MM["top"])
    section.bottom_margin = Mm(MARGINS_MM["bottom"])
    section.left_margin = Mm(MARGINS_MM["left"])
    section.right_margin = Mm(MARGINS_MM["right"])


def _add_appendix_table(document: DocumentObject, appendix: list[list[str]]) -> None:
    """Header centred; village names flush left, figures flush right."""
    table = document.add_table(rows=1, cols=len(APPENDIX_COLUMNS))
    table.style = document.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    rows = [(table.rows[0].cells, APPENDIX_COLUMNS, True)]
    rows += [(table.add_row().cells, row, False) for row in appendix]
    for cells, texts, is_header in rows:
        for i, (cell, text) in enumerate(zip(cells, texts, strict=True)):
            paragraph = cell.paragraphs[0]
            paragraph.style = document.styles["Official Table"]
            paragraph.alignment = (
                WD_ALIGN_PARAGRAPH.CENTER
                if is_header
                else WD_ALIGN_PARAGRAPH.LEFT
                if i == 0
                else WD_ALIGN_PARAGRAPH.RIGHT
            )
            paragraph.add_run(text)


def render_docx(blocks: list[Block], appendix: list[list[str]], chart_png: bytes) -> bytes:
    """The report as an official-style Word document; the appendix table on a landscape page,
    the chart on a page of its own."""
    document = Document()
    _page_setup(document.sections[0])
    _add_styles(document)
    _page_number(document.sections[0].footer.paragraphs[0])

    for block in blocks:
        paragraph = document.add_paragraph(block.text, style=STYLE_OF_BLOCK[block.kind])
        if block.kind == "salutation":
            paragraph.paragraph_format.first_line_indent = Pt(0)

    _page_setup(document.add_section(WD_SECTION.NEW_PAGE), landscape=True)
    heading = document.add_paragraph(APPENDIX_TITLE, style="Official Heading 1")
    heading.paragraph_format.first_line_indent = Pt(0)
    _add_appendix_table(document, appendix)

    _page_setup(document.add_section(WD_SECTION.NEW_PAGE))
    picture = document.add_paragraph(style="Official Table")
    picture.alignment = WD_ALIGN_PARAGRAPH.CENTER
    picture.add_run().add_picture(io.BytesIO(chart_png), width=CHART_WIDTH)
    caption = document.add_paragraph(CHART_CAPTION, style="Official Table")
    caption.alignment = WD_ALIGN_PARAGRAPH.CENTER

    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
