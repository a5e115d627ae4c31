"""The statistics page (统计): the figures of the cases registered in a period, per handling
unit, category or month, each figure linking to the cases behind it in the ledger.

Who may open it: office roles and leaders (every unit), unit heads (their own units); anyone
else gets a 404.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.urls import NoReverseMatch, path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xiaoneng.cases.forms.statistics import StatisticsForm
from xiaoneng.cases.statistics import (
    SMALL_GROUP,
    Statistics,
    StatRow,
    case_statistics,
    drill_down_params,
    statistics_allowed,
)

#: The columns of the table: (kind, code, heading); a rate column links to its numerator.
COLUMNS = (
    ("count", "received", gettext_lazy("Received")),
    ("count", "accepted", gettext_lazy("Accepted")),
    ("count", "dispatched", gettext_lazy("Dispatched")),
    ("count", "concluded", gettext_lazy("Concluded")),
    ("rate", "closure", gettext_lazy("Closure rate")),
    ("rate", "on_time", gettext_lazy("On-time rate")),
    ("rate", "substantiation", gettext_lazy("Substantiation rate")),
    ("rate", "satisfaction", gettext_lazy("Satisfaction rate")),
    ("rate", "solution", gettext_lazy("Solution rate")),
    ("count", "overdue", gettext_lazy("Overdue now")),
    ("count", "supervised", gettext_lazy("Supervised")),
    ("count", "returned", gettext_lazy("Returned")),
    ("count", "redone", gettext_lazy("Redone")),
)
#: The figure a rate's link lists (its numerator).
RATE_FIGURES = {
    "closure": "concluded",
    "on_time": "on_time",
    "substantiation": "substantiated",
    "satisfaction": "satisfied",
    "solution": "solved",
}

#: The definitions shown on the page (the same as docs/statistics.md).
DEFINITIONS = (
    (
        gettext_lazy("Period"),
        gettext_lazy(
            "Every figure is about the cases registered in the chosen period, counted as they "
            "stand now. Per unit, a case counts for its lead (or sole) handling unit; a case "
            "not yet dispatched belongs to no unit, so the unit rows may add up to less than "
            "the total."
        ),
    ),
    (gettext_lazy("Received"), gettext_lazy("Cases registered in the period.")),
    (
        gettext_lazy("Accepted"),
        gettext_lazy(
            "Received cases that were accepted and neither refused nor merged into another case."
        ),
    ),
    (
        gettext_lazy("Dispatched"),
        gettext_lazy("Accepted cases that were dispatched to a handling unit."),
    ),
    (
        gettext_lazy("Concluded"),
        gettext_lazy(
            "Dispatched cases whose reply passed the office's review and that have not been "
            "reopened since (awaiting the callback, awaiting close-out sign-off, or closed out)."
        ),
    ),
    (gettext_lazy("Closure rate (办结率)"), gettext_lazy("Concluded ÷ dispatched.")),
    (
        gettext_lazy("On-time rate (按时办结率)"),
        gettext_lazy(
            "Concluded cases whose lead unit replied within every handling deadline, "
            "approved extensions included ÷ concluded."
        ),
    ),
    (
        gettext_lazy("Substantiation rate (查实率)"),
        gettext_lazy(
            "Concluded cases found substantiated or partly substantiated ÷ concluded cases "
            "with a finding."
        ),
    ),
    (
        gettext_lazy("Satisfaction rate (满意率)"),
        gettext_lazy(
            "Cases whose latest callback answered satisfied or basically satisfied ÷ cases "
            "whose latest callback had an answer; a complainant who could not be reached is "
            "not counted."
        ),
    ),
    (
        gettext_lazy("Solution rate (解决率)"),
        gettext_lazy(
            "Cases whose latest callback said the problem was solved ÷ cases whose latest "
            "callback had an answer. Concluded is not solved: read it beside the closure rate."
        ),
    ),
    (
        gettext_lazy("Overdue now"),
        gettext_lazy(
            "Open cases with a running, unsuspended deadline that is past due at this moment."
        ),
    ),
    (gettext_lazy("Supervised"), gettext_lazy("Cases under supervised handling (督办).")),
    (
        gettext_lazy("Returned"),
        gettext_lazy("Cases a unit returned at least once as not its business (退单)."),
    ),
    (gettext_lazy("Redone"), gettext_lazy("Cases sent back for redo at least once (重办).")),
    (
        gettext_lazy("Rates"),
        gettext_lazy(
            "A rate with nothing to divide by is shown as “—”. A rate over fewer than "
            "%(small)s cases is shown with its counts, so that it is not read out of context."
        )
        % {"small": SMALL_GROUP},
    ),
)


def _list_url() -> str:
    """The ledger where it exists, else the case list."""
    try:
        return reverse("cases:ledger")
    except NoReverseMatch:
        return reverse("cases:case_list")


def _row_cells(stats: Statistics, row: StatRow, base: str) -> list[dict]:
    cells = []
    rates = row.rates
    for kind, code, _heading in COLUMNS:
        figure = RATE_FIGURES.get(code, code)
        url = base + "?" + urlencode(drill_down_params(period=stats.period, row=row, figure=figure))
        if kind == "rate":
            rate = rates[code]
            cells.append({"kind": kind, "code": code, "rate": rate, "url": url})
        else:
            cells.append({"kind": kind, "code": code, "value": row.counts[code], "url": url})
    return cells


def _chart(stats: Statistics) -> dict:
    return {
        "labels": [row.label for row in stats.rows],
        "received": [row.counts["received"] for row in stats.rows],
        "concluded": [row.counts["concluded"] for row in stats.rows],
        "satisfaction": [
            None if (v := row.rates["satisfaction"].value) is None else float(v)
            for row in stats.rows
        ],
        "names": {
            "received": _("Received"),
            "concluded": _("Concluded"),
            "satisfaction": _("Satisfaction rate"),
            "count": _("Cases"),
            "rate": _("Rate (%)"),
        },
    }


@login_required
def statistics_view(request):
    if not statistics_allowed(user=request.user):
        raise Http404
    form = StatisticsForm(request.GET or {"period": "year"})
    context = {"form": form, "columns": COLUMNS, "definitions": DEFINITIONS, "stats": None}
    if form.is_valid():
        data = form.cleaned_data
        stats = case_statistics(
            user=request.user, start=data["start"], end=data["end"], group_by=data["group"]
        )
        base = _list_url()
        context.update(
            stats=stats,
            rows=[{"row": r, "cells": _row_cells(stats, r, base)} for r in stats.rows],
            total={"row": stats.total, "cells": _row_cells(stats, stats.total, base)},
            chart=_chart(stats),
            group_heading={
                "unit": _("Handling unit"),
                "category": _("Category"),
                "month": _("Month"),
            }[stats.group_by],
        )
    return render(request, "cases/statistics.html", context)


urlpatterns = [path("statistics/", statistics_view, name="statistics")]
