from datetime import date

import pytest
from django.urls import reverse
from django.utils import translation

from xiaoneng.workdays.choices import OverrideKind
from xiaoneng.workdays.models import CalendarOverride, CalendarYear
from xiaoneng.workdays.services import calendar_override_set

pytestmark = pytest.mark.django_db

CALENDAR = reverse("workdays:calendar")
ADD = reverse("workdays:override_create")
YEAR = reverse("workdays:year_enter")
DUE = reverse("workdays:due_date")

VIEWERS = ["clerk", "supervisor", "director", "leader", "sysadmin"]
NOT_VIEWERS = [
    "liaison_a",
    "handler_a",
    "unit_head_a",
    "handler_b",
    "inspector",
    "secadmin",
    "auditadmin",
]
EDITORS = ["director", "sysadmin"]
VIEWERS_NOT_EDITORS = ["clerk", "supervisor", "leader"]

NEW_OVERRIDE = {"date": "2025-03-10", "kind": "holiday", "name": "区庆"}


@pytest.fixture
def login(client, request, password):
    def as_persona(persona):
        user = request.getfixturevalue(persona)
        assert client.login(username=user.username, password=password)
        return user

    return as_persona


@pytest.fixture
def existing(sysadmin):
    return calendar_override_set(
        actor=sysadmin, date=date(2025, 5, 6), kind=OverrideKind.HOLIDAY, name="区庆"
    )


# --- the permission matrix -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url"),
    [("get", CALENDAR), ("post", ADD), ("post", YEAR), ("post", DUE)],
)
def test_anonymous_is_sent_to_the_login_page(client, method, url):
    response = getattr(client, method)(url, NEW_OVERRIDE if method == "post" else None)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert not CalendarOverride.objects.exists()


@pytest.mark.parametrize("persona", VIEWERS)
def test_viewers_see_the_calendar(client, login, persona):
    login(persona)
    response = client.get(CALENDAR, {"year": 2025})
    assert response.status_code == 200
    assert response.context["calendar"].year == 2025
    assert response.context["can_edit"] is (persona in EDITORS)
    content = response.content.decode()
    assert ('data-testid="override-form"' in content) is (persona in EDITORS)


@pytest.mark.parametrize("persona", NOT_VIEWERS)
def test_others_get_404_everywhere(client, login, persona, existing):
    login(persona)
    delete = reverse("workdays:override_delete", args=[existing.pk])
    assert client.get(CALENDAR).status_code == 404
    assert client.post(ADD, NEW_OVERRIDE).status_code == 404
    assert client.post(delete).status_code == 404
    assert client.post(YEAR, {"year": 2027}).status_code == 404
    assert client.post(DUE, {"start": "2025-01-24T10:00", "amount": 3}).status_code == 404
    assert list(CalendarOverride.objects.values_list("pk", flat=True)) == [existing.pk]


@pytest.mark.parametrize("persona", VIEWERS_NOT_EDITORS)
def test_viewers_who_are_not_editors_cannot_change_anything(client, login, persona, existing):
    login(persona)
    delete = reverse("workdays:override_delete", args=[existing.pk])
    assert client.post(ADD, NEW_OVERRIDE).status_code == 404
    assert client.post(delete).status_code == 404
    assert client.post(YEAR, {"year": 2027, "note": ""}).status_code == 404
    assert list(CalendarOverride.objects.values_list("pk", flat=True)) == [existing.pk]
    assert not CalendarYear.objects.exists()


@pytest.mark.parametrize("persona", EDITORS)
def test_editors_add_an_override(client, login, persona):
    user = login(persona)
    response = client.post(ADD, NEW_OVERRIDE)
    assert response.status_code == 302
    assert response["Location"] == f"{CALENDAR}?year=2025"
    override = CalendarOverride.objects.get()
    assert (override.date, override.kind, override.name, override.created_by) == (
        date(2025, 3, 10),
        "holiday",
        "区庆",
        user,
    )
    page = client.get(CALENDAR, {"year": 2025}).content.decode()
    assert 'data-date="2025-03-10" data-kind="local_holiday"' in page
    assert 'data-testid="override-row" data-date="2025-03-10"' in page


def test_get_never_changes_anything(client, login, existing):
    login("sysadmin")
    delete = reverse("workdays:override_delete", args=[existing.pk])
    assert client.get(ADD, NEW_OVERRIDE).status_code == 405
    assert client.get(delete).status_code == 405
    assert client.get(YEAR, {"year": 2027}).status_code == 405
    assert list(CalendarOverride.objects.values_list("pk", flat=True)) == [existing.pk]


# --- editing ----------------------------------------------------------------------------------


def test_an_invalid_override_shows_the_errors(client, login):
    login("sysadmin")
    with translation.override("en"):
        response = client.post(ADD, {"date": "2025-03-10", "kind": "holiday", "name": "  "})
    assert response.status_code == 400
    assert "name" in response.context["override_form"].errors
    assert not CalendarOverride.objects.exists()


def test_the_system_admin_deletes_an_override(client, login, existing):
    login("sysadmin")
    response = client.post(reverse("workdays:override_delete", args=[existing.pk]))
    assert response.status_code == 302
    assert response["Location"] == f"{CALENDAR}?year=2025"
    assert not CalendarOverride.objects.exists()
    missing = client.post(reverse("workdays:override_delete", args=[existing.pk]))
    assert missing.status_code == 404


def test_the_director_marks_a_year_entered(client, login):
    login("director")
    response = client.post(YEAR, {"year": 2027, "note": ""})
    assert response.status_code == 400  # no holiday entered for 2027 yet
    assert "year" in response.context["year_form"].errors
    assert not CalendarYear.objects.exists()
    client.post(ADD, {"date": "2027-01-01", "kind": "holiday", "name": "元旦"})
    response = client.post(YEAR, {"year": 2027, "note": "国办发明电"})
    assert response.status_code == 302
    assert response["Location"] == f"{CALENDAR}?year=2027"
    assert CalendarYear.objects.get().year == 2027
    page = client.get(CALENDAR, {"year": 2027})
    assert page.context["calendar"].known is True
    assert 'data-testid="year-form"' not in page.content.decode()


# --- the page -----------------------------------------------------------------------------------


def test_the_year_page_marks_holidays_and_make_up_days(client, login):
    login("clerk")
    with translation.override("en"):
        page = client.get(CALENDAR, {"year": 2025}).content.decode()
    assert 'data-date="2025-01-26" data-kind="makeup_workday"' in page
    assert 'data-date="2025-01-28" data-kind="holiday"' in page
    assert 'data-date="2025-02-08" data-kind="makeup_workday"' in page
    assert 'data-date="2025-10-08" data-kind="holiday"' in page
    assert 'data-date="2025-10-11" data-kind="makeup_workday"' in page
    assert 'data-date="2025-03-08" data-kind="weekend"' in page
    assert "春节" in page


def test_the_year_page_of_an_unknown_year_says_so(client, login):
    login("clerk")
    response = client.get(CALENDAR, {"year": 2030})
    assert response.status_code == 200
    assert response.context["calendar"].known is False
    assert "alert-warning" in response.content.decode()


@pytest.mark.parametrize("year", ["1999", "2101", "abc"])
def test_a_year_out_of_range_is_404(client, login, year):
    login("clerk")
    assert client.get(CALENDAR, {"year": year}).status_code == 404


def test_the_year_page_has_a_fixed_number_of_queries(
    client, login, sysadmin, django_assert_max_num_queries
):
    for day in range(1, 21):
        calendar_override_set(actor=sysadmin, date=date(2025, 3, day), kind="holiday", name="x")
    login("sysadmin")
    client.get(CALENDAR, {"year": 2025})
    with django_assert_max_num_queries(12):
        response = client.get(CALENDAR, {"year": 2025})
    assert len(response.context["overrides"]) == 20


# --- the due-date helper -------------------------------------------------------------------------


def test_the_due_date_helper_returns_a_partial_for_htmx(client, login):
    login("clerk")
    response = client.post(
        DUE,
        {"start": "2025-01-24T10:30", "amount": 3, "unit": "working_days"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert [t.name for t in response.templates] == ["workdays/partials/due_date_result.html"]
    content = response.content.decode()
    assert 'data-due="2025-02-06T00:00:00+08:00"' in content
    assert response.context["result"].last_day == date(2025, 2, 5)
    assert "due-date-estimated" not in content


@pytest.mark.parametrize(
    ("unit", "due"),
    [
        ("natural_days", "2025-10-10T00:00:00+08:00"),
        ("hours", "2025-09-26T09:00:00+08:00"),
    ],
)
def test_the_due_date_helper_in_other_units(client, login, unit, due):
    login("leader")
    data = {"start": "2025-09-25T09:00", "amount": 7 if unit == "natural_days" else 24}
    response = client.post(DUE, data | {"unit": unit}, headers={"HX-Request": "true"})
    assert f'data-due="{due}"' in response.content.decode()


def test_the_due_date_helper_for_an_unknown_year(client, login, settings):
    login("clerk")
    data = {"start": "2030-01-04T09:00", "amount": 1, "unit": "working_days"}
    settings.WORKDAYS_UNKNOWN_YEAR = "error"
    with translation.override("en"):
        response = client.post(DUE, data, headers={"HX-Request": "true"})
    content = response.content.decode()
    assert "due-date-error" in content
    assert "2030 年的法定节假日安排尚未录入" in content
    settings.WORKDAYS_UNKNOWN_YEAR = "weekends"
    response = client.post(DUE, data, headers={"HX-Request": "true"})
    content = response.content.decode()
    assert 'data-due="2030-01-08T00:00:00+08:00"' in content
    assert "due-date-estimated" in content


def test_the_due_date_helper_without_javascript_renders_the_page(client, login):
    login("clerk")
    response = client.post(DUE, {"start": "2025-01-24T10:30", "amount": 3, "unit": "working_days"})
    assert response.status_code == 200
    assert "workdays/calendar_year.html" in [t.name for t in response.templates]
    assert 'data-due="2025-02-06T00:00:00+08:00"' in response.content.decode()


def test_the_due_date_helper_validates_its_input(client, login):
    login("clerk")
    response = client.post(
        DUE, {"start": "", "amount": 0, "unit": "days"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"start", "amount", "unit"}
    assert "due-date-error" in response.content.decode()
