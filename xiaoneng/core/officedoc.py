"""The national official-document layout (GB/T 9704-2012) for Word files written with
python-docx, as far as python-docx allows: A4, margins 37/35/28/26 mm; titles in 小标宋 二号
centred; the text in 仿宋 三号 with a two-character first-line indent and a fixed 28 pt line;
headings in 黑体 三号; page numbers "— 1 —" in 宋体 四号 in the footer; a red rule under the
masthead. East Asian fonts are set through ``w:eastAsia`` so Chinese renders in the right face,
and the font table names a common substitute of each official face.

Used by the bulletins (xiaoneng.publicity.docx) and the monthly report (xiaoneng.cases.reports).
"""

from __future__ import annotations

import io

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt, RGBColor, Twips

RED = RGBColor(0xE6, 0x00, 0x12)
FONT_TITLE = "方正小标宋简体"
FONT_BODY = "仿宋_GB2312"
FONT_BODY_FALLBACK = "仿宋"
FONT_HEADING = "黑体"
FONT_PAGE = "宋体"
FONT_ALTERNATIVES = (
    (FONT_BODY, FONT_BODY_FALLBACK),
    (FONT_TITLE, "宋体"),
    (FONT_HEADING, "SimHei"),
)

# A4 and the margins of GB/T 9704 in twips (1 mm = 1440 / 25.4 twips).
PAGE_WIDTH, PAGE_HEIGHT = 11906, 16838
MARGIN_TOP, MARGIN_BOTTOM, MARGIN_LEFT, MARGIN_RIGHT = 2098, 1984, 1587, 1474
TEXT_WIDTH = PAGE_WIDTH - MARGIN_LEFT - MARGIN_RIGHT
FOOTER_DISTANCE = 794  # 14 mm: the page number sits 7 mm below the text

SIZE_ISSUER = Pt(36)
SIZE_TITLE = Pt(22)  # 二号
SIZE_BODY = Pt(16)  # 三号
SIZE_PAGE = Pt(14)  # 四号
SIZE_TABLE = Pt(12)  # 小四: tables are not part of the running text
LINE = Pt(28)


def set_fonts(run, east_asian: str, *, fallback: str = "") -> None:
    """Set the run's font for Latin and East Asian text (w:rFonts w:eastAsia)."""
    run.font.name = east_asian
    rpr = run._element.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = OxmlElement("w:rFonts")
        rpr.insert(0, rfonts)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        rfonts.set(qn(attr), east_asian)
    if fallback:
        # Word has no per-run fallback list: the hint makes it use the East Asian face, and
        # the font table names the substitute (see font_fallbacks).
        rfonts.set(qn("w:hint"), "eastAsia")


def add_run(paragraph, text: str, font: str, size, *, bold=False, color=None, fallback=""):
    run = paragraph.add_run(text)
    set_fonts(run, font, fallback=fallback)
    run.font.size = size
    run.font.bold = bold
    if color is not None:
        run.font.color.rgb = color
    return run


def fixed_lines(paragraph, *, before=0, after=0) -> None:
    fmt = paragraph.paragraph_format
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = LINE
    fmt.space_before = Pt(before)
    fmt.space_after = Pt(after)


def indent_two_chars(paragraph) -> None:
    paragraph.paragraph_format.first_line_indent = Pt(32)
    ind = paragraph._p.get_or_add_pPr().find(qn("w:ind"))
    if ind is not None:
        ind.set(qn("w:firstLineChars"), "200")


def red_rule(paragraph) -> None:
    ppr = paragraph._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    bottom.set(qn("w:val"), "single")
    bottom.set(qn("w:sz"), "12")
    bottom.set(qn("w:space"), "1")
    bottom.set(qn("w:color"), "E60012")
    borders.append(bottom)
    # The schema's order: pBdr comes before shd, tabs, spacing, ind, jc …
    ppr.insert_element_before(
        borders, "w:shd", "w:tabs", "w:suppressAutoHyphens", "w:spacing", "w:ind", "w:jc"
    )


def page_field(paragraph) -> None:
    """— PAGE — in 宋体 四号."""
    add_run(paragraph, "— ", FONT_PAGE, SIZE_PAGE)
    run = add_run(paragraph, "", FONT_PAGE, SIZE_PAGE)
    for kind, text in (("begin", None), ("instr", " PAGE "), ("separate", None), ("end", None)):
        if kind == "instr":
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = text
        else:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        run._r.append(el)
        if kind == "separate":
            t = OxmlElement("w:t")
            t.text = "1"
            run._r.append(t)
    add_run(paragraph, " —", FONT_PAGE, SIZE_PAGE)


def default_fonts(document) -> None:
    style = document.styles["Normal"]
    style.font.size = SIZE_BODY
    rpr = style.element.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = OxmlElement("w:rFonts")
        rpr.insert(0, rfonts)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        rfonts.set(qn(attr), FONT_BODY)


def font_fallbacks(document) -> None:
    """Name the common substitute of each official face in the font table (w:altName), so a
    computer without 仿宋_GB2312 / 方正小标宋简体 uses 仿宋 / 宋体 rather than a Latin face."""
    for part in document.part.package.iter_parts():
        if str(part.partname) != "/word/fontTable.xml":
            continue
        entries = "".join(
            f'<w:font w:name="{name}"><w:altName w:val="{alt}"/><w:charset w:val="86"/>'
            '<w:family w:val="modern"/><w:pitch w:val="fixed"/></w:font>'
            for name, alt in FONT_ALTERNATIVES
        )
        part._blob = part.blob.replace(b"</w:fonts>", entries.encode() + b"</w:fonts>")


def page_setup(section) -> None:
    """A4 portrait with the margins of GB/T 9704."""
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Twips(PAGE_WIDTH), Twips(PAGE_HEIGHT)
    section.top_margin, section.bottom_margin = Twips(MARGIN_TOP), Twips(MARGIN_BOTTOM)
    section.left_margin, section.right_margin = Twips(MARGIN_LEFT), Twips(MARGIN_RIGHT)
    section.footer_distance = Twips(FOOTER_DISTANCE)


def official_document():
    """A new document with the official fonts and page; add the page numbers at the end
    (``page_numbers``)."""
    document = Document()
    default_fonts(document)
    font_fallbacks(document)
    page_setup(document.sections[0])
    return document


def page_numbers(section) -> None:
    """Page numbers in the footer, centred."""
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    page_field(footer)


def add_title(document, text: str):
    """The title: 小标宋 二号, centred, a 35 pt line."""
    title = document.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.paragraph_format.space_after = Pt(28)
    title.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    title.paragraph_format.line_spacing = Pt(35)
    add_run(title, text, FONT_TITLE, SIZE_TITLE)
    return title


def add_text(document, text: str, *, heading: bool = False):
    """A paragraph of the text (仿宋 三号) or a heading (黑体 三号): justified, fixed lines,
    two characters in."""
    paragraph = document.add_paragraph()
    fixed_lines(paragraph)
    paragraph.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    indent_two_chars(paragraph)
    if heading:
        add_run(paragraph, text, FONT_HEADING, SIZE_BODY)
    else:
        add_run(paragraph, text, FONT_BODY, SIZE_BODY, fallback=FONT_BODY_FALLBACK)
    return paragraph


def add_table(document, headers: list[str], rows: list[list[str]], *, widths=None):
    """A bordered table: the header row in 黑体, the cells in 仿宋 小四, centred on the page;
    ``widths`` are the columns' shares of the text width."""
    table = document.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    shares = widths or [1] * len(headers)
    total = sum(shares)
    for i, heading in enumerate(headers):
        cell = table.rows[0].cells[i]
        paragraph = cell.paragraphs[0]
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        add_run(paragraph, heading, FONT_HEADING, SIZE_TABLE)
    for values in rows:
        cells = table.add_row().cells
        for i, value in enumerate(values):
            paragraph = cells[i].paragraphs[0]
            paragraph.alignment = WD_ALIGN_PARAGRAPH.LEFT if i == 0 else WD_ALIGN_PARAGRAPH.CENTER
            add_run(paragraph, str(value), FONT_BODY, SIZE_TABLE, fallback=FONT_BODY_FALLBACK)
    for i, share in enumerate(shares):
        width = Twips(TEXT_WIDTH * share // total)
        for row in table.rows:
            row.cells[i].width = width
    # A line of space after the table.
    fixed_lines(document.add_paragraph())
    return table


def to_bytes(document) -> bytes:
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
