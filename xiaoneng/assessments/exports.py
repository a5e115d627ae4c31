"""The results of an assessment as an Excel workbook (the ranking with every indicator's
points, and the details behind them) and as a Word notice of the results in the official
layout (GB/T 9704, ``xiaoneng.core.officedoc``). Written in the site's language."""

from __future__ import annotations

import io

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt
from openpyxl import Workbook
from openpyxl.styles import Font

from xiaoneng.assessments import selectors as sel
from xiaoneng.assessments.choices import GRADES, Grade, SchemeStatus, TargetKind
from xiaoneng.assessments.models import IndicatorResult, Scheme
from xiaoneng.cases.exports import safe_text
from xiaoneng.cases.reports import day_text, district_name, join_sentences
from xiaoneng.core import officedoc

DASH = "—"


def _number(value) -> str:
    return DASH if value is None else str(value)


def _ranking_headers(scheme: Scheme, nodes) -> list[str]:
    headers = [_("Rank"), _("Name")]
    if scheme.target_kind == TargetKind.PERSON:
        headers.append(_("Unit"))
    headers += [_("Total"), _("Grade"), _("Veto item triggered")]
    return headers + [n.indicator.name for n in nodes]


def results_workbook(scheme: Scheme) -> bytes:
    with translation.override(settings.LANGUAGE_CODE):
        return _workbook(scheme)


def _workbook(scheme: Scheme) -> bytes:
    nodes = sel.indicator_tree(scheme=scheme)
    table = sel.figure_table(scheme=scheme)
    book = Workbook()
    sheet = book.active
    sheet.title = _("Ranking")
    sheet.append(_ranking_headers(scheme, nodes))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for result in sel.ranking(scheme=scheme):
        row = [result.rank, safe_text(result.target.label)]
        if scheme.target_kind == TargetKind.PERSON:
            row.append(safe_text(result.target.unit.display_name))
        row += [
            float(result.total),
            str(Grade(result.grade).label),
            _("Yes") if result.vetoed else "",
        ]
        figures = table.get(result.target_id, {})
        for node in nodes:
            figure = figures.get(node.indicator.pk)
            row.append(float(figure.points) if figure is not None else None)
        sheet.append(row)
    sheet.freeze_panes = "C2"

    details = book.create_sheet(_("Details"))
    details.append(
        [
            _("Name"),
            _("Indicator"),
            _("Value"),
            _("Numerator"),
            _("Denominator"),
            _("Points"),
            _("Records"),
            _("Changed by appeal"),
        ]
    )
    for cell in details[1]:
        cell.font = Font(bold=True)
    rows = (
        IndicatorResult.objects.filter(result__scheme=scheme)
        .select_related("result__target", "indicator")
        .order_by("result__target__order", "indicator__order", "indicator_id")
    )
    for row in rows.iterator(chunk_size=2000):
        details.append(
            [
                safe_text(row.result.target.label),
                safe_text(row.indicator.name),
                None if row.value is None else float(row.value),
                row.numerator,
                row.denominator,
                float(row.points),
                len(set(row.records)),
                _("Yes") if row.appeal_id else "",
            ]
        )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- the Word notice ----------------------------------------------------------------------------


def notice_title(scheme: Scheme) -> str:
    return _("Notice on the results of the %(scheme)s") % {"scheme": scheme.name}


def _period_text(scheme: Scheme) -> str:
    return _("from %(start)s to %(end)s") % {
        "start": day_text(scheme.start),
        "end": day_text(scheme.end),
    }


def results_notice(scheme: Scheme) -> bytes:
    with translation.override(settings.LANGUAGE_CODE):
        return _notice(scheme)


def _notice(scheme: Scheme) -> bytes:
    ranking = sel.ranking(scheme=scheme)
    doc = officedoc.official_document()
    title = notice_title(scheme)
    if scheme.status != SchemeStatus.FINAL:
        title += _(" (for public notice)")
    officedoc.add_title(doc, title)
    intro = [
        _(
            "In accordance with the assessment scheme, the efficiency office has assessed "
            "%(count)s %(kind)s for the period %(period)s, from the platform's records, the "
            "evaluators' scores and the approved bonus and deduction items."
        )
        % {
            "count": len(ranking),
            "kind": str(TargetKind(scheme.target_kind).label),
            "period": _period_text(scheme),
        }
    ]
    if scheme.status == SchemeStatus.FINAL:
        intro.append(_("The results are final and are circulated as follows."))
    elif scheme.publicity_end:
        intro.append(
            _("The results are published for public notice until %(end)s.")
            % {"end": day_text(scheme.publicity_end)}
        )
    officedoc.add_text(doc, join_sentences(intro))

    officedoc.add_text(doc, _("1. Grades"), heading=True)
    for grade in GRADES[scheme.target_kind]:
        names = [r.target.label for r in ranking if r.grade == grade]
        label = str(Grade(grade).label)
        text = (
            _("%(grade)s (%(count)s): %(names)s.")
            % {"grade": label, "count": len(names), "names": _(", ").join(names)}
            if names
            else _("%(grade)s: none.") % {"grade": label}
        )
        officedoc.add_text(doc, text)

    officedoc.add_text(doc, _("2. Scores and ranking"), heading=True)
    headers = [_("Rank"), _("Name"), _("Total"), _("Grade")]
    officedoc.add_table(
        doc,
        headers,
        [
            [str(r.rank), r.target.label, _number(r.total), str(Grade(r.grade).label)]
            for r in ranking
        ],
        widths=[1, 5, 2, 3],
    )
    officedoc.add_text(
        doc,
        _(
            "The results are the basis for the annual assessment, rewards and penalties. "
            "Every unit should address the shortcomings shown by its score card."
        ),
    )
    issuer = _("%(district)s Efficiency Office") % {"district": district_name()}
    for text in (issuer, day_text(timezone.localdate())):
        paragraph = doc.add_paragraph()
        officedoc.fixed_lines(paragraph)
        paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        paragraph.paragraph_format.right_indent = Pt(64)
        officedoc.add_run(
            paragraph,
            text,
            officedoc.FONT_BODY,
            officedoc.SIZE_BODY,
            fallback=officedoc.FONT_BODY_FALLBACK,
        )
    officedoc.page_numbers(doc.sections[0])
    doc.core_properties.title = title
    return officedoc.to_bytes(doc)
