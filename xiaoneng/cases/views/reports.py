"""The monthly efficiency report (机关效能建设月报): the figures of one month on a page, and
its Word and Excel files to download (audited).

Who may open it: office roles and leaders; anyone else gets a 404.
"""

from __future__ import annotations

from functools import wraps

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from xiaoneng.cases import reports as r

MONTHS = [(m, str(m)) for m in range(1, 13)]


class MonthForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    month = forms.TypedChoiceField(label=_("Month"), choices=MONTHS, coerce=int)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].widget.attrs["class"] = "form-control"
        self.fields["month"].widget.attrs["class"] = "form-select"


def _report_roles(view):
    @login_required
    @require_GET
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not r.report_allowed(user=request.user):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def _form(request) -> MonthForm:
    if "year" in request.GET or "month" in request.GET:
        return MonthForm(request.GET)
    year, month = r.previous_month(timezone.localdate())
    return MonthForm({"year": year, "month": month})


@_report_roles
def report_month(request):
    form = _form(request)
    context = {"form": form, "report": None}
    if form.is_valid():
        year, month = form.cleaned_data["year"], form.cleaned_data["month"]
        report = r.monthly_report(user=request.user, year=year, month=month)
        labels = r.figure_labels()
        changes = report.rate_changes
        overall = [
            (
                labels[code],
                report.total.counts[code],
                report.previous.counts[code],
                r.change_text(report.total.counts[code] - report.previous.counts[code]),
                code,
            )
            for code in ("received", "accepted", "concluded")
        ]
        overall += [
            (
                labels[code],
                r.rate_text(report.rates[code]),
                r.rate_text(report.previous_rates[code]),
                r.change_text(changes[code], points=True),
                code,
            )
            for code in r.RATE_CODES
        ]
        overall += [
            (
                labels[code],
                report.total.counts[code],
                report.previous.counts[code],
                r.change_text(report.total.counts[code] - report.previous.counts[code]),
                code,
            )
            for code in ("overdue", "supervised", "returned", "redone")
        ]
        context.update(
            report=report,
            title=r.report_title(report),
            month_label=r.month_text(year, month),
            overview=r.join_sentences(r.overview_sentences(report)),
            overall=overall,
            unit_headers=r.unit_headers(),
            unit_rows=[r.unit_cells(row) for row in report.units],
            category_headers=r.category_headers(),
            category_rows=[r.category_cells(row, report.total) for row in report.categories],
            overdue_headers=r.overdue_headers(),
            query=f"year={year}&month={month}",
        )
    return render(request, "cases/report_month.html", context)


def _download(fmt: str):
    @_report_roles
    def view(request):
        form = MonthForm(request.GET)
        if not form.is_valid():
            raise Http404
        year, month = form.cleaned_data["year"], form.cleaned_data["month"]
        content = r.monthly_report_export(user=request.user, year=year, month=month, fmt=fmt)
        _writer, extension, content_type = r.FORMATS[fmt]
        name = f"monthly-report-{year:04d}-{month:02d}.{extension}"
        response = HttpResponse(content, content_type=content_type)
        response["Content-Disposition"] = content_disposition_header(True, name)
        return response

    view.__name__ = f"report_month_{fmt}"
    return view


report_month_docx = _download("docx")
report_month_xlsx = _download("xlsx")

urlpatterns = [
    path("reports/monthly/", report_month, name="report_month"),
    path("reports/monthly/docx/", report_month_docx, name="report_month_docx"),
    path("reports/monthly/xlsx/", report_month_xlsx, name="report_month_xlsx"),
]
