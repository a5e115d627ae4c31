"""The portal's public information: home page, complaint rules and time limits, published
bulletins, statistics per unit, contact channels."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render

from xiaoneng.cases.choices import Urgency
from xiaoneng.cases.public import public_time_limits
from xiaoneng.portal import selectors
from xiaoneng.portal.choices import StatisticsPeriod
from xiaoneng.portal.forms import StatisticsForm
from xiaoneng.portal.http import public_view
from xiaoneng.publicity.selectors import bulletin_public_get, bulletin_public_list

BULLETIN_PAGE_SIZE = 10


@public_view()
def home(request):
    return render(
        request,
        "portal/home.html",
        {
            "settings": selectors.portal_settings(),
            "bulletins": list(bulletin_public_list()[:3]),
        },
    )


@public_view()
def rules(request):
    """The complaint rules, with the time limits the system applies."""
    return render(
        request,
        "portal/rules.html",
        {
            "limits": public_time_limits(),
            "urgencies": list(Urgency),
            "categories": [selectors.category_label(c) for c in selectors.public_categories()],
            "settings": selectors.portal_settings(),
        },
    )


@public_view()
def bulletin_list(request):
    page = Paginator(bulletin_public_list(), BULLETIN_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "portal/bulletin_list.html", {"page": page})


@public_view()
def bulletin_detail(request, year: int, seq: int):
    try:
        bulletin = bulletin_public_get(year=year, seq=seq)
    except Http404:
        return render(request, "portal/not_found.html", status=404)
    return render(
        request,
        "portal/bulletin_detail.html",
        {"bulletin": bulletin, "paragraphs": selectors.bulletin_paragraphs(bulletin.body)},
    )


@public_view()
def statistics(request):
    """Received, concluded, on time and satisfaction per handling unit, for a period."""
    form = StatisticsForm(request.GET or None)
    code = StatisticsPeriod.THIS_MONTH
    if form.is_bound and form.is_valid() and form.cleaned_data["period"]:
        code = form.cleaned_data["period"]
    published = selectors.public_statistics(period=selectors.statistics_period(code))
    return render(
        request,
        "portal/statistics.html",
        {
            "form": form if form.is_bound else StatisticsForm(initial={"period": code}),
            "published": published,
            "period_label": StatisticsPeriod(published.period.code).label,
        },
    )


@public_view()
def contact(request):
    return render(request, "portal/contact.html", {"settings": selectors.portal_settings()})
