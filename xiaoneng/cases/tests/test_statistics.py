"""The statistics (统计): every figure and rate to its definition on hand-made cases, the
fixed query count, the drill-down links and who may read what."""

from datetime import date, datetime
from decimal import Decimal
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from xiaoneng.cases import services as s
from xiaoneng.cases.statistics import case_statistics
from xiaoneng.cases.views.statistics import _list_url
from xiaoneng.org.tests.factories import UnitFactory

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2025, 12, 1, 9, tzinfo=TZ)
MARCH = {"start": date(2025, 3, 1), "end": date(2025, 3, 31)}
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def at(*args):
    return datetime(*args, tzinfo=TZ)


def _rows(stats):
    return {row.key: row for row in stats.rows}


def _rates(row):
    return {code: rate.value for code, rate in row.rates.items()}


def test_each_figure_of_a_unit_to_its_definition(march, leader, unit_a):
    stats = case_statistics(user=leader, group_by="unit", now=NOW, **MARCH)
    row = _rows(stats)[str(unit_a.pk)]
    assert row.counts == {
        "received": 7,
        "accepted": 7,
        "dispatched": 7,
        "concluded": 4,  # A1–A4; A7 was reopened
        "on_time": 3,  # A3 replied after its deadline; A4 within its extension
        "with_finding": 4,
        "substantiated": 3,  # A1, A3 (partly), A4
        "answered": 3,  # A1, A2, A7; A3 could not be reached
        "satisfied": 1,
        "solved": 1,
        "overdue": 3,  # A4's callback, A5, A7; A6 is suspended
        "supervised": 1,
        "returned": 1,
        "redone": 1,
    }
    assert _rates(row) == {
        "closure": Decimal("57.1"),
        "on_time": Decimal("75.0"),
        "substantiation": Decimal("75.0"),
        "satisfaction": Decimal("33.3"),
        "solution": Decimal("33.3"),
    }
    assert row.rates["on_time"].small and not row.rates["closure"].small


def test_the_total_counts_cases_without_a_unit_too(march, leader, unit_b):
    stats = case_statistics(user=leader, group_by="unit", now=NOW, **MARCH)
    assert stats.total.counts == {
        "received": 10,
        "accepted": 8,
        "dispatched": 8,
        "concluded": 5,
        "on_time": 4,
        "with_finding": 5,
        "substantiated": 4,
        "answered": 4,
        "satisfied": 2,
        "solved": 1,
        "overdue": 4,  # R1's acceptance clock too
        "supervised": 1,
        "returned": 1,
        "redone": 1,
    }
    assert _rates(stats.total) == {
        "closure": Decimal("62.5"),
        "on_time": Decimal("80.0"),
        "substantiation": Decimal("80.0"),
        "satisfaction": Decimal("50.0"),
        "solution": Decimal("25.0"),
    }
    b = _rows(stats)[str(unit_b.pk)]
    # A rate of zero is 0.0 %, not "—": there was an answer.
    assert _rates(b) == {
        "closure": Decimal("100.0"),
        "on_time": Decimal("100.0"),
        "substantiation": Decimal("100.0"),
        "satisfaction": Decimal("100.0"),
        "solution": Decimal("0.0"),
    }


def test_a_unit_without_cases_and_an_empty_period_show_no_rate(march, leader, office, unit_a):
    stats = case_statistics(user=leader, group_by="unit", now=NOW, **MARCH)
    empty = _rows(stats)[str(office.pk)]
    assert set(empty.counts.values()) == {0}
    assert set(_rates(empty).values()) == {None}

    stats = case_statistics(
        user=leader, start=date(2024, 1, 1), end=date(2024, 12, 31), group_by="unit", now=NOW
    )
    assert set(stats.total.counts.values()) == {0}
    assert set(_rates(stats.total).values()) == {None}
    assert all(set(_rates(row).values()) == {None} for row in stats.rows)


def test_per_category_and_per_month(march, leader, category):
    stats = case_statistics(user=leader, group_by="category", now=NOW, **MARCH)
    rows = _rows(stats)
    assert rows[str(category.pk)].counts == stats.total.counts
    assert sum(row.counts["received"] for row in stats.rows) == 10

    stats = case_statistics(
        user=leader, start=date(2025, 2, 15), end=date(2025, 4, 30), group_by="month", now=NOW
    )
    rows = _rows(stats)
    assert list(rows) == ["2025-02", "2025-03", "2025-04"]
    assert [rows[k].counts["received"] for k in rows] == [1, 10, 0]
    assert rows["2025-02"].filters == {"from": "2025-02-15", "to": "2025-02-28"}
    assert _rates(rows["2025-04"])["closure"] is None


def test_the_query_count_does_not_grow_with_the_number_of_units(
    office_desk, leader, client, steady_calendar
):
    def build(n):
        for i in range(n):
            office_desk.dispatched(UnitFactory(name=f"单位{i}"), 1 + i % 28, month=5)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            stats = case_statistics(
                user=leader,
                start=date(2025, 5, 1),
                end=date(2025, 5, 31),
                group_by="unit",
                now=NOW,
            )
        return len(ctx.captured_queries), stats

    build(3)
    count()  # the leader's roles and scope, read once per request
    few, stats = count()
    assert stats.total.counts["received"] == 3
    build(9)
    many, stats = count()
    assert stats.total.counts["received"] == 12
    assert sum(row.counts["dispatched"] for row in stats.rows) == 12
    assert few == many <= 3

    def page():
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(
                reverse("cases:statistics"), {"period": "month", "year": 2025, "month": 5}
            )
        assert response.status_code == 200
        return len(ctx.captured_queries)

    client.force_login(leader)
    page()  # the first request after signing in also saves the session
    before = page()
    build(9)
    assert page() == before


def test_a_case_redispatched_after_a_return_counts_once_for_its_new_unit(
    office_desk, leader, liaison_a, supervisor, unit_a, unit_b
):
    case = office_desk.dispatched(unit_a, 3)
    record = s.assignment_return(
        actor=liaison_a, assignment=case.assignments.get(), reason="不属于我局", now=at(2025, 3, 4)
    )
    s.case_return_rule(
        actor=supervisor,
        case_return=record,
        ruling="redispatch",
        new_unit=unit_b,
        now=at(2025, 3, 5, 9),
    )
    rows = _rows(case_statistics(user=leader, group_by="unit", now=NOW, **MARCH))
    a, b = rows[str(unit_a.pk)].counts, rows[str(unit_b.pk)].counts
    assert (a["received"], b["received"], b["returned"]) == (0, 1, 1)


# --- the page -------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(reverse("cases:statistics"))
    assert response.status_code == 302
    assert "/login" in response["Location"] or "login" in response["Location"]


@pytest.mark.parametrize("persona", ["handler_a", "liaison_a", "inspector", "sysadmin"])
def test_other_roles_get_a_404(client, request, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("cases:statistics")).status_code == 404


@pytest.mark.parametrize("persona", ["clerk", "supervisor", "director", "leader"])
def test_office_and_leaders_see_every_unit(client, request, persona, march, unit_a, unit_b):
    client.force_login(request.getfixturevalue(persona))
    response = client.get(
        reverse("cases:statistics"), {"period": "month", "year": 2025, "month": 3}
    )
    assert response.status_code == 200
    keys = {row["row"].key for row in response.context["rows"]}
    assert {str(unit_a.pk), str(unit_b.pk)} <= keys
    assert response.context["total"]["row"].counts["received"] == 10


def test_a_unit_head_sees_only_the_rows_of_his_units(client, unit_head_a, march, unit_a, section_a):
    client.force_login(unit_head_a)
    response = client.get(
        reverse("cases:statistics"), {"period": "month", "year": 2025, "month": 3}
    )
    assert response.status_code == 200
    # His unit; its section handled no case and is therefore not listed.
    assert [row["row"].key for row in response.context["rows"]] == [str(unit_a.pk)]
    total = response.context["total"]["row"].counts
    assert (total["received"], total["concluded"]) == (7, 4)
    # Grouped by category, still only his units' cases.
    response = client.get(
        reverse("cases:statistics"),
        {"period": "month", "year": 2025, "month": 3, "group": "category"},
    )
    assert sum(row["row"].counts["received"] for row in response.context["rows"]) == 7


def test_the_page_shows_the_figures_the_definitions_and_the_chart(client, leader, march, unit_a):
    client.force_login(leader)
    response = client.get(
        reverse("cases:statistics"), {"period": "quarter", "year": 2025, "quarter": 1}, **EN
    )
    html = response.content.decode()
    assert 'data-testid="statistics-definitions"' in html
    assert "Concluded ÷ dispatched." in html
    assert 'id="stats-data"' in html and "vendor/echarts/echarts.min.js" in html
    chart = response.context["chart"]
    i = chart["labels"].index("区人社局")
    assert (chart["received"][i], chart["concluded"][i], chart["satisfaction"][i]) == (8, 5, 33.3)
    # Quarter 1 adds X1 (February) to unit_a: on-time 4 of 5 is no longer a small group.
    row = next(r for r in response.context["rows"] if r["row"].key == str(unit_a.pk))
    on_time = next(c for c in row["cells"] if c["code"] == "on_time")
    assert (on_time["rate"].value, on_time["rate"].small) == (Decimal("80.0"), False)
    response = client.get(reverse("cases:statistics"), {"year": 2025, "group": "month"})
    assert [r["row"].key for r in response.context["rows"]][:3] == ["2025-01", "2025-02", "2025-03"]
    assert len(response.context["chart"]["labels"]) == 12


def test_a_small_group_shows_its_counts_and_a_zero_denominator_a_dash(
    client, leader, march, unit_a, office
):
    client.force_login(leader)
    response = client.get(
        reverse("cases:statistics"), {"period": "month", "year": 2025, "month": 3}, **EN
    )
    html = response.content.decode()
    assert "3 of 4" in html  # unit_a's on-time rate
    office_row = next(r for r in response.context["rows"] if r["row"].key == str(office.pk))
    assert all(c["rate"].value is None for c in office_row["cells"] if c["kind"] == "rate")
    assert "—" in html


def dict_of_lists(pairs):
    out = {}
    for key, value in pairs:
        out.setdefault(key, []).append(value)
    return out


def test_every_figure_links_to_the_cases_behind_it(
    client, leader, march, office_desk, supervisor, unit_a, unit_b
):
    # A case unit B leads and unit A co-handles counts under unit B only: the link from unit
    # A's figures must not list it.
    joint = office_desk.received(20)
    s.case_accept(actor=office_desk.clerk, case=joint, now=at(2025, 3, 20, 10))
    s.case_dispatch(
        actor=supervisor,
        case=joint,
        mode="joint",
        lead=s.UnitPart(unit_b),
        co_units=[s.UnitPart(unit_a)],
        now=at(2025, 3, 20, 11),
    )
    client.force_login(leader)
    response = client.get(
        reverse("cases:statistics"), {"period": "month", "year": 2025, "month": 3}
    )
    row = next(r for r in response.context["rows"] if r["row"].key == str(unit_a.pk))
    links = {c["code"]: urlsplit(c["url"]) for c in row["cells"]}

    def params(code):
        return parse_qsl(links[code].query)

    base = [
        ("registered_from", "2025-03-01"),
        ("registered_to", "2025-03-31"),
        ("lead_unit", str(unit_a.pk)),
    ]
    assert params("received") == base
    assert params("closure") == base + [
        ("status", "callback"),
        ("status", "close_pending"),
        ("status", "closed"),
    ]
    assert params("satisfaction") == base + [
        ("satisfaction", "satisfied"),
        ("satisfaction", "basically"),
    ]
    assert params("overdue") == [*base, ("colour", "overdue")]
    assert params("returned") == [*base, ("returned", "1")]
    assert params("redone") == [*base, ("redone", "1")]
    assert params("supervised") == [*base, ("supervised", "yes")]
    assert links["received"].path == _list_url()
    # Following a link lists exactly the cases the figure counts.
    for code, figure in (
        ("received", "received"),
        ("closure", "concluded"),
        ("satisfaction", "satisfied"),
        ("on_time", "on_time"),
        ("returned", "returned"),
        ("redone", "redone"),
    ):
        listed = client.get(links[code].path, dict_of_lists(params(code)))
        assert listed.status_code == 200, code
        assert listed.context["page_obj"].paginator.count == row["row"].counts[figure], code


def test_a_bad_period_is_explained_and_kept(client, leader):
    client.force_login(leader)
    response = client.get(
        reverse("cases:statistics"),
        {"period": "range", "date_from": "2025-05-01", "date_to": "2025-04-01"},
        **EN,
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "The last day must not be before the first day." in html
    assert 'value="2025-05-01"' in html
    assert response.context["stats"] is None
    response = client.get(reverse("cases:statistics"), {"period": "range", "date_from": "x"}, **EN)
    assert (
        response.status_code == 200
        and 'data-testid="statistics-errors"' in response.content.decode()
    )


def test_the_menu_offers_statistics_to_the_readers_only(client, leader, handler_a):
    client.force_login(leader)
    assert reverse("cases:statistics") in client.get(reverse("core:home")).content.decode()
    client.force_login(handler_a)
    assert reverse("cases:statistics") not in client.get(reverse("core:home")).content.decode()
