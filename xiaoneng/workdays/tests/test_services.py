from datetime import date, datetime

import pytest
from django.core.exceptions import ValidationError

from xiaoneng.workdays.calendar import (
    CALENDAR_TZ,
    add_working_days,
    compute_due,
    is_year_known,
)
from xiaoneng.workdays.choices import OverrideKind
from xiaoneng.workdays.models import CalendarOverride, CalendarYear
from xiaoneng.workdays.services import (
    calendar_override_delete,
    calendar_override_set,
    calendar_year_mark_entered,
)

pytestmark = pytest.mark.django_db

FRIDAY = datetime(2025, 3, 7, 10, 0, tzinfo=CALENDAR_TZ)


def midnight(y, m, d) -> datetime:
    return datetime(y, m, d, tzinfo=CALENDAR_TZ)


def test_setting_an_override_shifts_due_dates_at_once(sysadmin, audit_calls):
    assert add_working_days(start=FRIDAY, n=1) == midnight(2025, 3, 11)
    override = calendar_override_set(
        actor=sysadmin, date=date(2025, 3, 10), kind=OverrideKind.HOLIDAY, name=" 区庆 "
    )
    assert (override.date, override.kind, override.name) == (date(2025, 3, 10), "holiday", "区庆")
    assert override.created_by == sysadmin
    assert add_working_days(start=FRIDAY, n=1) == midnight(2025, 3, 12)
    assert audit_calls == [
        {
            "action": "workdays.override.set",
            "actor": sysadmin,
            "obj": override,
            "data": {"date": "2025-03-10", "kind": "holiday", "name": "区庆", "previous": None},
        }
    ]


def test_setting_an_override_again_replaces_it(director, audit_calls):
    first = calendar_override_set(
        actor=director, date=date(2025, 3, 10), kind=OverrideKind.HOLIDAY, name="区庆"
    )
    second = calendar_override_set(
        actor=director, date=date(2025, 3, 10), kind=OverrideKind.WORKDAY, name="照常上班"
    )
    assert second.pk == first.pk
    assert CalendarOverride.objects.count() == 1
    assert audit_calls[-1]["data"]["previous"] == {"kind": "holiday", "name": "区庆"}
    assert add_working_days(start=FRIDAY, n=1) == midnight(2025, 3, 11)


def test_deleting_an_override_restores_the_official_calendar(sysadmin, audit_calls):
    override = calendar_override_set(
        actor=sysadmin, date=date(2025, 3, 10), kind=OverrideKind.HOLIDAY, name="区庆"
    )
    assert add_working_days(start=FRIDAY, n=1) == midnight(2025, 3, 12)
    calendar_override_delete(actor=sysadmin, override=override)
    assert not CalendarOverride.objects.exists()
    assert add_working_days(start=FRIDAY, n=1) == midnight(2025, 3, 11)
    assert audit_calls[-1]["action"] == "workdays.override.delete"
    assert audit_calls[-1]["data"] == {"date": "2025-03-10", "kind": "holiday", "name": "区庆"}
    with pytest.raises(ValidationError) as info:
        calendar_override_delete(actor=sysadmin, override=override)
    assert info.value.code == "not_found"


def test_changes_also_invalidate_after_commit(sysadmin, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        calendar_override_set(
            actor=sysadmin, date=date(2025, 3, 10), kind=OverrideKind.HOLIDAY, name="区庆"
        )
    assert len(callbacks) == 1


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"date": date(1999, 12, 31)}, "year_out_of_range"),
        ({"date": date(2101, 1, 1)}, "year_out_of_range"),
        ({"kind": "maybe"}, "invalid"),
        ({"name": "   "}, "required"),
    ],
)
def test_override_validation(sysadmin, audit_calls, changes, code):
    values = {"date": date(2025, 3, 10), "kind": OverrideKind.HOLIDAY, "name": "区庆"} | changes
    with pytest.raises(ValidationError) as info:
        calendar_override_set(actor=sysadmin, **values)
    assert [e.code for errors in info.value.error_dict.values() for e in errors] == [code]
    assert not CalendarOverride.objects.exists()
    assert audit_calls == []


@pytest.mark.parametrize("persona", ["clerk", "supervisor", "leader", "handler_a", "secadmin"])
def test_only_the_system_admin_and_the_director_change_the_calendar(
    request, persona, sysadmin, audit_calls
):
    actor = request.getfixturevalue(persona)
    with pytest.raises(ValidationError) as info:
        calendar_override_set(
            actor=actor, date=date(2025, 3, 10), kind=OverrideKind.HOLIDAY, name="区庆"
        )
    assert info.value.code == "permission_denied"
    override = calendar_override_set(
        actor=sysadmin, date=date(2025, 3, 11), kind=OverrideKind.HOLIDAY, name="区庆"
    )
    with pytest.raises(ValidationError):
        calendar_override_delete(actor=actor, override=override)
    with pytest.raises(ValidationError):
        calendar_year_mark_entered(actor=actor, year=2027, note="")
    assert list(CalendarOverride.objects.values_list("date", flat=True)) == [date(2025, 3, 11)]
    assert not CalendarYear.objects.exists()
    assert [c["action"] for c in audit_calls] == ["workdays.override.set"]


def test_marking_a_year_entered_makes_it_known(director, settings, audit_calls):
    settings.WORKDAYS_UNKNOWN_YEAR = "error"
    calendar_override_set(
        actor=director, date=date(2027, 1, 1), kind=OverrideKind.HOLIDAY, name="元旦"
    )
    assert is_year_known(year=2027) is False
    entry = calendar_year_mark_entered(actor=director, year=2027, note=" 国办发明电〔2026〕X号 ")
    assert (entry.year, entry.entered_by, entry.note) == (2027, director, "国办发明电〔2026〕X号")
    assert is_year_known(year=2027) is True
    # Thu 31 Dec 2026 + 1: 1 Jan 2027 is off, so Mon 4 Jan 2027.
    result = compute_due(
        start=datetime(2026, 12, 31, 9, tzinfo=CALENDAR_TZ), amount=1, unit="working_days"
    )
    assert (result.due, result.estimated) == (midnight(2027, 1, 5), False)
    assert audit_calls[-1] == {
        "action": "workdays.year.enter",
        "actor": director,
        "obj": entry,
        "data": {"year": 2027, "note": "国办发明电〔2026〕X号", "holidays": 1},
    }


def test_marking_a_year_entered_is_validated(sysadmin, audit_calls):
    with pytest.raises(ValidationError) as info:
        calendar_year_mark_entered(actor=sysadmin, year=2026, note="")
    assert info.value.error_dict["year"][0].code == "built_in"
    with pytest.raises(ValidationError) as info:
        calendar_year_mark_entered(actor=sysadmin, year=2027, note="")
    assert info.value.error_dict["year"][0].code == "no_holidays"
    with pytest.raises(ValidationError) as info:
        calendar_year_mark_entered(actor=sysadmin, year=2101, note="")
    assert info.value.error_dict["year"][0].code == "year_out_of_range"
    calendar_override_set(
        actor=sysadmin, date=date(2027, 1, 1), kind=OverrideKind.HOLIDAY, name="元旦"
    )
    calendar_year_mark_entered(actor=sysadmin, year=2027, note="")
    with pytest.raises(ValidationError) as info:
        calendar_year_mark_entered(actor=sysadmin, year=2027, note="")
    assert info.value.error_dict["year"][0].code == "already_entered"
    assert CalendarYear.objects.count() == 1
    assert [c["action"] for c in audit_calls] == [
        "workdays.override.set",
        "workdays.year.enter",
    ]
