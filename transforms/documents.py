"""report.md and report.docx from the rendered report text, with the per-village appendix.

The template writes the report once, as text with one paragraph per line; its outline
marks (一、 （一） 附：) say which line is which kind. Both documents are built from
those lines, so the three formats never say different things. The docx follows the
conventions of an official document (GB/T 9704): A4, margins 37/35/28/26 mm, 22 lines
of 28 characters a page, title in 方正小标宋 二号, body in 仿宋 三号, first-level
headings in 黑体, second-level in 楷体, page numbers "— 1 —" in 四号 宋体 figures, right on
odd pages and left on even ones; each appendix on its own page under its 附件 label.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
import unicodedata
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
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.section import Section
from docx.shared import Length, Mm, Pt, RGBColor, Twips
from docx.styles.style import ParagraphStyle
from docx.text.paragraph import Paragraph

from transforms.numbers import exact_count, rate_pct
from transforms.report_model import Pct, ReportContext
from transforms.vocabulary import (
    APPENDIX_COLUMNS,
    APPENDIX_LABEL,
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

DOCUMENT_LANGUAGE = "zh-CN"
BlockKind = Literal["title", "salutation", "heading_1", "heading_2", "paragraph"]
CHART_FILE = "coverage_by_village.png"
NO_FIGURE = "—"

# GB/T 9704 sizes: 二号 = 22 pt, 三号 = 16 pt, 四号 = 14 pt, 五号 = 10.5 pt.
TITLE_SIZE = Pt(22)
BODY_SIZE = Pt(16)
TABLE_SIZE = Pt(10.5)
PAGE_NUMBER_SIZE = Pt(14)
# The page number's line, set exactly so that the footer can be placed: its top 7 mm below
# the text block, as GB/T 9704 places the dashes.
PAGE_NUMBER_LINE = Pt(18)
PAGE_NUMBER_GAP = Mm(7)
CHART_WIDTH = Mm(150)
A4_MM = (210, 297)
MARGINS_MM = {"top": 37, "bottom": 35, "left": 28, "right": 26}
# The GB/T 9704 text block: 22 lines of 28 characters.
LINES_PER_PAGE = 22
CHARS_PER_LINE = 28
# A table cell's left and right margins in Word's Table Grid style (0.19 cm, 108 twips each).
CELL_PADDING = Twips(2 * 108)
# A digit is half an em in 仿宋, but up to 0.64 em in the fonts put in where 仿宋 is missing
# (DejaVu Sans in LibreOffice): column widths reckon with the wider.
NARROW_EM = 0.65


def _twips(mm: int) -> int:
    return Mm(mm).twips


# The text block as Word stores the page, in whole twips: portrait for the report, landscape
# for the appendix table (same margins on the same sides of the text).
TEXT_WIDTH = Twips(_twips(A4_MM[0]) - _twips(MARGINS_MM["left"]) - _twips(MARGINS_MM["right"]))
TEXT_HEIGHT = Twips(_twips(A4_MM[1]) - _twips(MARGINS_MM["top"]) - _twips(MARGINS_MM["bottom"]))
LANDSCAPE_TEXT_WIDTH = Twips(
    _twips(A4_MM[1]) - _twips(MARGINS_MM["left"]) - _twips(MARGINS_MM["right"])
)
# A line grid whose pitch fits 22 lines in the text block's height. The 28 characters of a
# line come from condensing the 三号 characters (w:spacing, whole twips, rounded down so that
# the 28th still fits), not from a character grid: with charSpace < 0, which 16 pt text in
# this width needs, LibreOffice sets each character in two grid cells, 14 to the line.
LINE_PITCH = Twips(TEXT_HEIGHT.twips // LINES_PER_PAGE)
CHAR_SPACING = Twips(math.floor((TEXT_WIDTH.pt / CHARS_PER_LINE - BODY_SIZE.pt) * 20))
CHAR_PITCH = Pt(BODY_SIZE.pt + CHAR_SPACING.pt)
# The run properties that follow w:spacing in the schema's order.
RPR_AFTER_SPACING = ("w:w", "w:kern", "w:position", "w:sz", "w:szCs", "w:u", "w:lang")
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
    parts.append(f"## {APPENDIX_LABEL.format(number=1)}")
    parts.append(f"### {APPENDIX_TITLE}")
    table = [
        "| " + " | ".join(APPENDIX_COLUMNS) + " |",
        "|" + "|".join([":---", *["---:"] * (len(APPENDIX_COLUMNS) - 1)]) + "|",
        *("| " + " | ".join(row) + " |" for row in appendix),
    ]
    parts.append("\n".join(table))
    parts.append(f"## {APPENDIX_LABEL.format(number=2)}")
    parts.append(f"![{CHART_CAPTION}]({chart_file})")
    return "\n\n".join(parts) + "\n"


def _set_run_fonts(element: BaseOxmlElement, font: str) -> None:
    """Name the font for Latin and East Asian text alike; Word picks w:eastAsia for Chinese."""
    fonts = element.get_or_add_rPr().get_or_add_rFonts()
    for attribute in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attribute), font)


def _set_fonts(style: ParagraphStyle, font: str, size: Pt) -> None:
    style.font.name = font
    style.font.size = size
    style.font.bold = False
    style.font.color.rgb = RGBColor(0, 0, 0)
    _set_run_fonts(style.element, font)


def _indent_chars(p_pr: BaseOxmlElement, first_line_chars: int) -> None:
    """A first-line indent in characters (firstLineChars, in hundredths), which
    Word prefers to the indent in points where both are given."""
    p_pr.get_or_add_ind().set(qn("w:firstLineChars"), str(first_line_chars * 100))


def _condense(style: ParagraphStyle) -> None:
    """Characters set CHAR_PITCH apart, 28 to the line, in Word, WPS and LibreOffice alike."""
    spacing = OxmlElement("w:spacing")
    spacing.set(qn("w:val"), str(CHAR_SPACING.twips))
    style.element.get_or_add_rPr().insert_element_before(spacing, *RPR_AFTER_SPACING)


def _add_styles(document: DocumentObject) -> None:
    """One paragraph style per kind of line, fonts and sizes as GB/T 9704 sets them, Normal
    in 仿宋 三号 as well. East Asian text is Chinese (the template says English), for line
    breaking and proofing."""
    _set_fonts(document.styles["Normal"], DOCUMENT_FONTS["body"], BODY_SIZE)
    for language in document.styles.element.xpath("w:docDefaults/w:rPrDefault/w:rPr/w:lang"):
        language.set(qn("w:eastAsia"), DOCUMENT_LANGUAGE)
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
        style = document.styles[name]
        style.paragraph_format.first_line_indent = Twips(int(2 * CHAR_PITCH.twips))
        style.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
        _indent_chars(style.element.get_or_add_pPr(), 2)
        _condense(style)
    # Table text keeps its own size: it is not spread over the grid's lines.
    snap = OxmlElement("w:snapToGrid")
    snap.set(qn("w:val"), "0")
    document.styles["Official Table"].element.get_or_add_pPr().append(snap)


def _flush_left(paragraph: Paragraph) -> None:
    paragraph.paragraph_format.first_line_indent = Pt(0)
    _indent_chars(paragraph._p.get_or_add_pPr(), 0)


def _field_char(paragraph: Paragraph, kind: str) -> None:
    element = OxmlElement("w:fldChar")
    element.set(qn("w:fldCharType"), kind)
    paragraph.add_run()._r.append(element)


def _page_number(paragraph: Paragraph, odd: bool) -> None:
    """ "— 1 —" in 四号 宋体 figures, one character in from the right on odd pages and
    from the left on even ones: a PAGE field between two dashes."""
    layout = paragraph.paragraph_format
    layout.alignment = WD_ALIGN_PARAGRAPH.RIGHT if odd else WD_ALIGN_PARAGRAPH.LEFT
    if odd:
        layout.right_indent = BODY_SIZE
    else:
        layout.left_indent = BODY_SIZE
    layout.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    layout.line_spacing = PAGE_NUMBER_LINE
    layout.space_before = layout.space_after = Pt(0)
    paragraph.add_run(f"{PAGE_NUMBER_DASH} ")
    _field_char(paragraph, "begin")
    instruction = OxmlElement("w:instrText")
    instruction.set(qn("xml:space"), "preserve")
    instruction.text = " PAGE "
    paragraph.add_run()._r.append(instruction)
    _field_char(paragraph, "separate")
    paragraph.add_run("1")  # the field's last result, shown until the pages are laid out
    _field_char(paragraph, "end")
    paragraph.add_run(f" {PAGE_NUMBER_DASH}")
    for run in paragraph.runs:
        run.font.size = PAGE_NUMBER_SIZE
        _set_run_fonts(run._r, DOCUMENT_FONTS["page_number"])


def _page_numbers(document: DocumentObject, section: Section) -> None:
    """Odd and even pages with footers of their own (w:evenAndOddHeaders); the sections
    after the first inherit them."""
    document.settings.odd_and_even_pages_header_footer = True
    _page_number(section.footer.paragraphs[0], odd=True)
    _page_number(section.even_page_footer.paragraphs[0], odd=False)


def _document_grid(section: Section) -> None:
    """The section's grid: lines only, 22 to the page (see CHAR_SPACING for the characters)."""
    sect_pr = section._sectPr
    grid = sect_pr.find(qn("w:docGrid"))
    if grid is None:
        grid = OxmlElement("w:docGrid")
        sect_pr.append(grid)
    grid.attrib.clear()
    grid.set(qn("w:type"), "lines")
    grid.set(qn("w:linePitch"), str(LINE_PITCH.twips))


def _page_setup(section: Section, landscape: bool = False) -> None:
    """A4 with the official margins; a landscape page keeps them on the same sides of the text.
    The footer is placed so that the page number's line starts 7 mm below the text block."""
    short, long = Mm(A4_MM[0]), Mm(A4_MM[1])
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = (long, short) if landscape else (short, long)
    section.top_margin = Mm(MARGINS_MM["top"])
    section.bottom_margin = Mm(MARGINS_MM["bottom"])
    section.left_margin = Mm(MARGINS_MM["left"])
    section.right_margin = Mm(MARGINS_MM["right"])
    section.footer_distance = Length(Mm(MARGINS_MM["bottom"]) - PAGE_NUMBER_GAP - PAGE_NUMBER_LINE)
    _document_grid(section)


def _text_width(text: str, size: Length) -> int:
    """How wide a line of text sets, in twips rounded up: a wide (CJK, full-width) character
    one em, any other NARROW_EM, enough for the Latin font a viewer may put in for 仿宋."""
    ems = sum(1 if unicodedata.east_asian_width(c) in "WF" else NARROW_EM for c in text)
    return math.ceil(ems * size.twips)


def appendix_column_widths(rows: list[list[str]], available: Length) -> list[Length]:
    """Each column as wide as its widest cell, the rest of the line shared out evenly, in whole
    twips as Word stores them; when the line is too short, the village names may wrap, the
    headings and figures do not."""
    needed = [
        max(_text_width(cell, TABLE_SIZE) for cell in column) + CELL_PADDING.twips
        for column in zip(*rows, strict=True)
    ]
    spare = available.twips - sum(needed)
    if spare >= 0:
        return [Twips(n + spare // len(needed)) for n in needed]
    heading = _text_width(rows[0][0], TABLE_SIZE) + CELL_PADDING.twips
    return [Twips(max(heading, needed[0] + spare)), *(Twips(n) for n in needed[1:])]


def _no_wrap(cell_element: BaseOxmlElement) -> None:
    no_wrap = OxmlElement("w:noWrap")
    cell_element.get_or_add_tcPr().append(no_wrap)


def _repeat_as_header(row_element: BaseOxmlElement) -> None:
    header = OxmlElement("w:tblHeader")
    row_element.get_or_add_trPr().append(header)


def _add_appendix_table(document: DocumentObject, appendix: list[list[str]]) -> None:
    """Header centred, on one line and repeated on each page; village names flush left,
    figures flush right; fixed column widths that fit the landscape line."""
    table = document.add_table(rows=1, cols=len(APPENDIX_COLUMNS))
    table.style = document.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    widths = appendix_column_widths([list(APPENDIX_COLUMNS), *appendix], LANDSCAPE_TEXT_WIDTH)
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width
    rows = [(table.rows[0], APPENDIX_COLUMNS, True)]
    rows += [(table.add_row(), row, False) for row in appendix]
    for table_row, texts, is_header in rows:
        if is_header:
            _repeat_as_header(table_row._tr)
        for i, (cell, text) in enumerate(zip(table_row.cells, texts, strict=True)):
            cell.width = widths[i]
            if is_header:
                _no_wrap(cell._tc)
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


def _appendix_page(document: DocumentObject, number: int, landscape: bool) -> None:
    """A new page whose first line is its 附件 label in 黑体, flush left (GB/T 9704)."""
    _page_setup(document.add_section(WD_SECTION.NEW_PAGE), landscape=landscape)
    label = document.add_paragraph(APPENDIX_LABEL.format(number=number), style="Official Heading 1")
    _flush_left(label)


def _set_properties(
    document: DocumentObject, title: str, author: str, created: dt.datetime
) -> None:
    """The file's own properties: the report's title, the government as author, the run's
    time (stored in UTC, as the format requires), none of the template's."""
    properties = document.core_properties
    properties.title = title
    properties.author = author
    properties.last_modified_by = author
    properties.created = properties.modified = created.astimezone(dt.UTC)
    properties.comments = ""
    properties.revision = 1


def render_docx(
    blocks: list[Block],
    appendix: list[list[str]],
    chart_png: bytes,
    author: str,
    created: dt.datetime,
) -> bytes:
    """The report as an official-style Word document; the appendix table on a landscape page
    (附件1), the chart on a page of its own (附件2), its title in the picture."""
    document = Document()
    _page_setup(document.sections[0])
    _add_styles(document)
    _page_numbers(document, document.sections[0])
    _set_properties(document, blocks[0].text if blocks else "", author, created)

    for block in blocks:
        paragraph = document.add_paragraph(block.text, style=STYLE_OF_BLOCK[block.kind])
        if block.kind == "salutation":
            _flush_left(paragraph)

    _appendix_page(document, 1, landscape=True)
    _flush_left(document.add_paragraph(style="Official Body"))
    document.add_paragraph(APPENDIX_TITLE, style="Official Title")
    _add_appendix_table(document, appendix)

    _appendix_page(document, 2, landscape=False)
    picture = document.add_paragraph(style="Official Table")
    picture.alignment = WD_ALIGN_PARAGRAPH.CENTER
    picture.add_run().add_picture(io.BytesIO(chart_png), width=CHART_WIDTH)

    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
