"""The Word document of a bulletin in the national official-document layout (GB/T 9704-2012)
as far as python-docx allows: A4, margins 37/35/28/26 mm; the issuing office's name in red
小标宋 and the issue number line above a red rule; the title in 小标宋 二号 centred; the text
in 仿宋 三号 with a two-character first-line indent and a fixed 28 pt line; case headings in
黑体 三号; page numbers "— 1 —" in 宋体 四号 in the footer; the issuing office and date at the
end. East Asian fonts are set through ``w:eastAsia`` so Chinese renders in the right face."""

from __future__ import annotations

import re
from datetime import date

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT
from docx.shared import Pt, Twips

from xiaoneng.core.officedoc import (
    FONT_BODY,
    FONT_BODY_FALLBACK,
    FONT_TITLE,
    RED,
    SIZE_BODY,
    SIZE_ISSUER,
    TEXT_WIDTH,
    add_text,
    add_title,
    official_document,
    page_numbers,
    red_rule,
    to_bytes,
)
from xiaoneng.core.officedoc import add_run as _run
from xiaoneng.core.officedoc import fixed_lines as _fixed_lines
from xiaoneng.publicity.models import Bulletin

#: A case heading: 一、… (the drafting service writes them so; editors keep the convention).
HEADING = re.compile(r"^[一二三四五六七八九十]+、")


def _date_text(day: date) -> str:
    return _("%(year)s-%(month)s-%(day)s") % {
        "year": day.year,
        "month": day.month,
        "day": day.day,
    }


def _body_paragraphs(body: str) -> list[str]:
    text = body.replace("\r\n", "\n")
    return [" ".join(p.split("\n")).strip() for p in re.split(r"\n\s*\n", text) if p.strip()]


def bulletin_docx(bulletin: Bulletin) -> bytes:
    """The bulletin as a .docx file (bytes), in the site's language."""
    with translation.override(settings.LANGUAGE_CODE):
        return _build(bulletin)


def _build(bulletin: Bulletin) -> bytes:
    document = official_document()

    issuer = bulletin.issuer_name or (
        bulletin.drafted_by.unit.name if bulletin.drafted_by.unit_id else ""
    )
    day = timezone.localdate(bulletin.published_at or bulletin.approved_at or timezone.now())

    # The masthead: the issuing office in red 小标宋, the number line, the red rule.
    masthead = document.add_paragraph()
    masthead.alignment = WD_ALIGN_PARAGRAPH.CENTER
    masthead.paragraph_format.space_after = Pt(12)
    _run(masthead, issuer, FONT_TITLE, SIZE_ISSUER, color=RED)

    number_line = document.add_paragraph()
    _fixed_lines(number_line)
    number_line.paragraph_format.tab_stops.add_tab_stop(Twips(TEXT_WIDTH), WD_TAB_ALIGNMENT.RIGHT)
    number = bulletin.number or _("(number given at approval)")
    _run(number_line, number, FONT_BODY, SIZE_BODY, fallback=FONT_BODY_FALLBACK)
    _run(number_line, "\t" + _date_text(day), FONT_BODY, SIZE_BODY, fallback=FONT_BODY_FALLBACK)
    red_rule(number_line)

    spacer = document.add_paragraph()
    _fixed_lines(spacer)

    # The title.
    add_title(document, bulletin.title)

    # The text.
    for text in _body_paragraphs(bulletin.body):
        add_text(document, text, heading=bool(HEADING.match(text)))

    # The signature: the issuing office and the date, right-aligned, four characters in.
    for _i in range(2):
        _fixed_lines(document.add_paragraph())
    for text in (issuer, _date_text(day)):
        paragraph = document.add_paragraph()
        _fixed_lines(paragraph)
        paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        paragraph.paragraph_format.right_indent = Pt(64)
        _run(paragraph, text, FONT_BODY, SIZE_BODY, fallback=FONT_BODY_FALLBACK)

    # Page numbers in the footer, centred.
    page_numbers(document.sections[0])

    document.core_properties.title = bulletin.title
    document.core_properties.author = issuer
    return to_bytes(document)
