"""The working-day calendar page: a year at a glance, the office's overrides, and a due-date
helper. Viewing is for the office, leaders and the system administrator; changing is for the
system administrator and the office director. Everyone else gets a 404."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from xiaoneng.workdays.calendar import (
    CALENDAR_TZ,
    compute_due,
    local_today,
    unknown_year_policy,
)
from xiaoneng.workdays.choices import OverrideKind
from xiaoneng.workdays.forms import CalendarOverrideForm, CalendarYearForm, DueDateForm
from xiaoneng.workdays.models import FIRST_YEAR, LAST_YEAR
from xiaoneng.workdays.selectors import (
    calendar_can_edit,
    calendar_can_view,
    calendar_override_get,
    calendar_override_list,
    calendar_year_list,
    calendar_year_view,
)
from xiaoneng.workdays.services import (
    calendar_override_delete,
    calendar_override_set,
    calendar_year_mark_entered,
)

PAGE_TEMPLATE = "workdays/calendar_year.html"
RESULT_TEMPLATE = "workdays/partials/due_date_result.html"


def _require_view(user) -> None:
    if not calendar_can_view(user=user):
        raise Http404


def _require_edit(user) -> None:
    if not calendar_can_edit(user=user):
        raise Http404


def _year_param(raw: str | None) -> int:
    if not raw:
        return local_today().year
    try:
        year = int(raw)
    except ValueError:
        raise Http404 from None
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise Http404
    return year


def _year_url(year: int) -> str:
    return f"{reverse('workdays:calendar')}?year={year}"


def _page(request, *, year: int, status: int = 200, **forms):
    can_edit = calendar_can_edit(user=request.user)
    now = timezone.localtime(timezone.now(), CALENDAR_TZ).replace(second=0, microsecond=0)
    context = {
        "calendar": calendar_year_view(year=year),
        "overrides": calendar_override_list(year=year),
        "entered_years": calendar_year_list(),
        "can_edit": can_edit,
        "unknown_policy": unknown_year_policy(),
        "previous_year": year - 1 if year > FIRST_YEAR else None,
        "next_year": year + 1 if year < LAST_YEAR else None,
        "due_form": forms.get("due_form")
        or DueDateForm(initial={"start": now.replace(tzinfo=None), "amount": 5}),
        "due_result": forms.get("due_result"),
    }
    if can_edit:
        context["override_form"] = forms.get("override_form") or CalendarOverrideForm()
        context["year_form"] = forms.get("year_form") or CalendarYearForm(initial={"year": year})
    return render(request, PAGE_TEMPLATE, context, status=status)


@login_required
@require_GET
def calendar(request):
    _require_view(request.user)
    return _page(request, year=_year_param(request.GET.get("year")))


@login_required
@require_POST
def override_create(request):
    _require_edit(request.user)
    form = CalendarOverrideForm(request.POST)
    if form.is_valid():
        try:
            override = calendar_override_set(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            if override.kind == OverrideKind.HOLIDAY:
                text = _("Saved: %(date)s is now a day off (%(name)s).")
            else:
                text = _("Saved: %(date)s is now a working day (%(name)s).")
            messages.success(
                request, text % {"date": override.date.isoformat(), "name": override.name}
            )
            return redirect(_year_url(override.date.year))
    day = form.cleaned_data.get("date")
    year = day.year if day and FIRST_YEAR <= day.year <= LAST_YEAR else local_today().year
    return _page(request, year=year, status=400, override_form=form)


@login_required
@require_POST
def override_delete(request, pk: int):
    _require_edit(request.user)
    override = calendar_override_get(pk=pk)
    if override is None:
        raise Http404
    year = override.date.year
    try:
        calendar_override_delete(actor=request.user, override=override)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("Removed the override for %(date)s; the day follows the official calendar again.")
            % {"date": override.date.isoformat()},
        )
    return redirect(_year_url(year))


@login_required
@require_POST
def year_enter(request):
    _require_edit(request.user)
    form = CalendarYearForm(request.POST)
    if form.is_valid():
        try:
            entry = calendar_year_mark_entered(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request,
                _("%(year)s is marked as entered; deadlines may now run into it.")
                % {"year": entry.year},
            )
            return redirect(_year_url(entry.year))
    year = form.cleaned_data.get("year")
    year = year if year and FIRST_YEAR <= year <= LAST_YEAR else local_today().year
    return _page(request, year=year, status=400, year_form=form)


@login_required
@require_POST
def due_date(request):
    """The due-date helper: an HTMX partial, or the whole page without JavaScript.
    Computes only; nothing is stored."""
    _require_view(request.user)
    form = DueDateForm(request.POST)
    result = None
    error = None
    if form.is_valid():
        try:
            result = compute_due(
                start=form.cleaned_data["start"],
                amount=form.cleaned_data["amount"],
                unit=form.cleaned_data["unit"],
            )
        except ValidationError as exc:
            error = " ".join(exc.messages)
    context = {"due_form": form, "due_result": {"result": result, "error": error, "form": form}}
    if request.headers.get("HX-Request"):
        return render(request, RESULT_TEMPLATE, context["due_result"])
    return _page(request, year=local_today().year, **context)
