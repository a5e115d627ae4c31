"""Reference data through the API: units, categories, responsible leaders and the
working-day calendar."""

from __future__ import annotations

import pytest

from xiaoneng.workdays.services import calendar_override_set

pytestmark = pytest.mark.django_db


def test_units_come_in_tree_order(as_user, handler_a, office, section_a, unit_b):
    units = as_user(handler_a).get("/units").json()
    assert [(u["code"], u["parent_code"], u["depth"]) for u in units] == [
        ("TZ", None, 0),
        ("TZ-CZJ", "TZ", 1),
        ("TZ-RSJ", "TZ", 1),
        ("TZ-RSJ-BGS", "TZ-RSJ", 2),
        ("TZ-XNB", "TZ", 1),
    ]
    assert units[0]["name"] == "天洲区"


def test_categories_list_every_category(as_user, handler_a):
    categories = as_user(handler_a).get("/categories").json()
    twcp = next(c for c in categories if c["code"] == "TWCP")
    assert (twcp["name"], twcp["depth"], twcp["is_active"]) == ("推诿扯皮", 0, True)


def test_leaders_are_listed_for_who_may_register_a_major_issue(
    as_user, supervisor, handler_a, leader, director
):
    people = as_user(supervisor).get("/leaders").json()
    assert sorted(p["username"] for p in people) == ["director", "leader"]
    assert as_user(handler_a).get("/leaders").status_code == 403


def test_a_due_date_counts_working_days_on_the_official_calendar(as_user, handler_a):
    client = as_user(handler_a)
    # Thursday 30 April 2026, before the Labour Day holiday (1–5 May; Saturday 9 May works).
    response = client.get("/calendar/due-date", {"start": "2026-04-30T10:00:00+08:00", "amount": 3})
    assert response.status_code == 200, response.content
    assert response.json() == {
        "start": "2026-04-30T10:00:00+08:00",
        "amount": 3,
        "unit": "working_days",
        "due_at": "2026-05-09T00:00:00+08:00",
        "last_day": "2026-05-08",
        "estimated": False,
        "unknown_years": [],
    }
    naive = client.get("/calendar/due-date", {"start": "2026-04-30T10:00:00", "amount": 3})
    assert naive.json()["due_at"] == "2026-05-09T00:00:00+08:00"
    out_of_range = client.get("/calendar/due-date", {"start": "1999-01-01T00:00:00Z", "amount": 1})
    assert out_of_range.status_code == 422
    assert list(out_of_range.json()["fields"]) == ["start"]
    assert client.get("/calendar/due-date", {"amount": 0}).status_code == 422


def test_a_year_lists_holidays_make_up_days_and_local_exceptions(as_user, handler_a, sysadmin):
    from datetime import date

    calendar_override_set(actor=sysadmin, date=date(2026, 6, 1), kind="holiday", name="防汛停工")
    year = as_user(handler_a).get("/calendar/years/2026").json()
    assert (year["year"], year["known"], year["built_in"]) == (2026, True, True)
    days = {d["date"]: d for d in year["days"]}
    assert days["2026-10-01"]["kind"] == "holiday"
    assert days["2026-10-01"]["name"] == "国庆节"
    assert days["2026-05-09"]["kind"] == "makeup_workday"
    assert days["2026-06-01"] == {
        "date": "2026-06-01",
        "kind": "local_holiday",
        "name": "防汛停工",
        "local_override": True,
    }
    assert "2026-03-03" not in days  # an ordinary working day
    assert as_user(handler_a).get("/calendar/years/1999").status_code == 422
