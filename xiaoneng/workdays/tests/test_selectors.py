from datetime import date

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import translation

from xiaoneng.workdays.choices import DayKind, OverrideKind
from xiaoneng.workdays.selectors import (
    calendar_can_edit,
    calendar_can_view,
    calendar_override_list,
    calendar_warning_for,
    calendar_year_view,
)
from xiaoneng.workdays.services import calendar_override_set, calendar_year_mark_entered

pytestmark = pytest.mark.django_db

PERSONAS = [
    "clerk",
    "supervisor",
    "director",
    "leader",
    "liaison_a",
    "handler_a",
    "unit_head_a",
    "handler_b",
    "inspector",
    "sysadmin",
    "secadmin",
    "auditadmin",
]
VIEWERS = {"clerk", "supervisor", "director", "leader", "sysadmin"}
EDITORS = {"director", "sysadmin"}
WARNED = {"clerk", "supervisor", "director", "sysadmin"}


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_sees_and_changes_the_calendar(request, persona):
    user = request.getfixturevalue(persona)
    assert calendar_can_view(user=user) is (persona in VIEWERS)
    assert calendar_can_edit(user=user) is (persona in EDITORS)


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_november_warning_goes_to_the_office_and_the_system_admin(request, persona):
    user = request.getfixturevalue(persona)
    with translation.override("en"):
        warning = calendar_warning_for(user=user, today=date(2026, 11, 1))
    if persona in WARNED:
        assert warning == (
            "The official holiday schedule for 2027 has not been entered yet; enter it on the "
            "working-day calendar page before deadlines reach into 2027."
        )
    else:
        assert warning is None


def test_no_warning_before_november_or_when_next_year_is_known(clerk, sysadmin):
    assert calendar_warning_for(user=clerk, today=date(2026, 10, 31)) is None
    assert calendar_warning_for(user=clerk, today=date(2025, 11, 1)) is None  # 2026 built in
    assert calendar_warning_for(user=clerk, today=date(2026, 12, 31)) is not None
    calendar_override_set(actor=sysadmin, date=date(2027, 1, 1), kind="holiday", name="元旦")
    assert calendar_warning_for(user=clerk, today=date(2026, 12, 31)) is not None
    calendar_year_mark_entered(actor=sysadmin, year=2027, note="")
    assert calendar_warning_for(user=clerk, today=date(2026, 11, 1)) is None
    assert calendar_warning_for(user=clerk, today=date(2026, 12, 31)) is None


def test_a_missing_current_year_is_warned_about_all_year(clerk):
    with translation.override("en"):
        warning = calendar_warning_for(user=clerk, today=date(2028, 3, 1))
    assert warning is not None
    assert "2028" in warning


def test_the_warning_is_cheap(clerk, django_assert_num_queries):
    clerk.roles  # noqa: B018  (read once per request by the menu already)
    calendar_warning_for(user=clerk, today=date(2026, 11, 2))  # builds the engine
    with django_assert_num_queries(0):
        for _ in range(20):
            calendar_warning_for(user=clerk, today=date(2026, 11, 2))
            calendar_warning_for(user=clerk, today=date(2026, 5, 2))


def test_anonymous_gets_no_warning():
    assert calendar_warning_for(user=AnonymousUser(), today=date(2026, 11, 2)) is None


def test_the_year_view_of_2025(sysadmin):
    calendar_override_set(
        actor=sysadmin, date=date(2025, 3, 10), kind=OverrideKind.HOLIDAY, name="区庆"
    )
    view = calendar_year_view(year=2025, today=date(2025, 1, 27))
    assert (view.year, view.known, view.built_in, view.entry) == (2025, True, True, None)
    assert view.working_days == 247  # 248 official working days, less the local day off
    assert [m.number for m in view.months] == list(range(1, 13))
    january = view.months[0]
    assert len(january.weeks) == 5
    assert january.weeks[0][:2] == [None, None]  # 1 Jan 2025 is a Wednesday
    days = {cell.day: cell for week in january.weeks for cell in week if cell}
    assert days[date(2025, 1, 26)].kind == DayKind.MAKEUP_WORKDAY
    assert days[date(2025, 1, 27)].is_today is True
    assert days[date(2025, 1, 28)].kind == DayKind.HOLIDAY
    with translation.override("en"):
        assert str(days[date(2025, 1, 28)].name) == "Spring Festival"
        events = [(e.first.day, e.last.day, e.kind, str(e.name)) for e in january.events]
        assert events == [
            (1, 1, DayKind.HOLIDAY, "New Year's Day"),
            (26, 26, DayKind.MAKEUP_WORKDAY, "Spring Festival"),
            (28, 31, DayKind.HOLIDAY, "Spring Festival"),
        ]
        october = [(e.first.day, e.last.day, str(e.name)) for e in view.months[9].events]
        assert october == [
            (1, 5, "National Day"),
            (6, 6, "Mid-Autumn Festival"),
            (7, 8, "National Day"),
            (11, 11, "National Day"),
        ]
    march = {cell.day: cell for week in view.months[2].weeks for cell in week if cell}
    assert march[date(2025, 3, 10)].kind == DayKind.LOCAL_HOLIDAY
    assert march[date(2025, 3, 10)].is_override is True
    assert march[date(2025, 3, 10)].name == "区庆"


def test_the_year_view_of_an_unknown_year():
    view = calendar_year_view(year=2030)
    assert (view.known, view.built_in) == (False, False)
    assert view.working_days == 261  # Monday to Friday


def test_the_override_list(sysadmin, django_assert_num_queries):
    for day in (date(2025, 3, 10), date(2026, 3, 10), date(2025, 1, 2)):
        calendar_override_set(actor=sysadmin, date=day, kind="holiday", name="区庆")
    with django_assert_num_queries(1):
        rows = [(o.date, o.created_by.name) for o in calendar_override_list(year=2025)]
    assert rows == [(date(2025, 1, 2), "冯系统"), (date(2025, 3, 10), "冯系统")]
