"""The engine, on the real published schedules (国务院办公厅 notices for 2025):

Spring Festival 2025: days off 28 Jan – 4 Feb; make-up working days Sun 26 Jan and Sat 8 Feb.
National Day and Mid-Autumn 2025: days off 1–8 Oct; make-up working days Sun 28 Sep and
Sat 11 Oct.

A deadline is returned as the exclusive end of its last day: 00:00 Asia/Shanghai of the
following day.
"""

import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import chinese_calendar
import pytest

from xiaoneng.workdays import calendar as engine_module
from xiaoneng.workdays.calendar import (
    CALENDAR_TZ,
    CalendarRangeError,
    CalendarYearUnknown,
    WorkCalendar,
    add_hours,
    add_natural_days,
    add_working_days,
    compute_due,
    count_working_days,
    deadline_status,
    due_dates,
    due_day,
    get_calendar,
    invalidate_calendar_cache,
    is_overdue,
    is_working_day,
    is_year_known,
    known_years,
)
from xiaoneng.workdays.choices import DayKind, DeadlineStatus, DeadlineUnit, OverrideKind
from xiaoneng.workdays.models import CalendarOverride, CalendarYear


def at(*args) -> datetime:
    """An aware datetime in Asia/Shanghai."""
    return datetime(*args, tzinfo=CALENDAR_TZ)


def midnight(y, m, d) -> datetime:
    return at(y, m, d, 0, 0)


@pytest.fixture
def engine():
    """The package's calendar alone, built without the database."""
    return WorkCalendar()


# --- the published schedules ------------------------------------------------------------------


def test_the_package_has_the_2025_schedules(engine):
    for day in [date(2025, 1, 28) + timedelta(days=i) for i in range(8)]:
        assert engine.day_kind(day=day) == DayKind.HOLIDAY, day
    for day in [date(2025, 10, 1) + timedelta(days=i) for i in range(8)]:
        assert engine.day_kind(day=day) == DayKind.HOLIDAY, day
    for day in (date(2025, 1, 26), date(2025, 2, 8), date(2025, 9, 28), date(2025, 10, 11)):
        assert engine.day_kind(day=day) == DayKind.MAKEUP_WORKDAY, day
    assert engine.day_name(day=date(2025, 1, 28)) == "Spring Festival"
    assert engine.day_name(day=date(2025, 10, 6)) == "Mid-autumn Festival"
    assert engine.day_kind(day=date(2025, 1, 27)) == DayKind.WORKDAY
    assert engine.day_kind(day=date(2025, 2, 9)) == DayKind.WEEKEND


@pytest.mark.parametrize(
    ("n", "last_day"),
    [
        (1, date(2025, 1, 26)),  # Sunday, make-up working day
        (2, date(2025, 1, 27)),
        (3, date(2025, 2, 5)),  # after the eight days off
        (4, date(2025, 2, 6)),
        (5, date(2025, 2, 7)),
        (6, date(2025, 2, 8)),  # Saturday, make-up working day
        (7, date(2025, 2, 10)),
    ],
)
def test_working_days_across_the_2025_spring_festival(engine, n, last_day):
    due = engine.add_working_days(start=at(2025, 1, 24, 10, 30), n=n)
    assert due == midnight(*(last_day + timedelta(days=1)).timetuple()[:3])
    assert due_day(due=due) == last_day


@pytest.mark.parametrize(
    ("n", "due"),
    [
        (1, midnight(2025, 9, 29)),  # Sun 28 Sep, make-up working day
        (3, midnight(2025, 10, 1)),  # Tue 30 Sep
        (4, midnight(2025, 10, 10)),  # Thu 9 Oct, after 1–8 Oct
        (6, midnight(2025, 10, 12)),  # Sat 11 Oct, make-up working day
        (7, midnight(2025, 10, 14)),  # Mon 13 Oct
    ],
)
def test_working_days_across_the_2025_national_day(engine, n, due):
    assert engine.add_working_days(start=at(2025, 9, 26, 16, 0), n=n) == due


def test_an_event_on_a_holiday_counts_from_the_first_working_day_after_it(engine):
    assert engine.add_working_days(start=at(2025, 1, 30, 10, 0), n=1) == midnight(2025, 2, 6)
    assert engine.add_working_days(start=at(2025, 1, 30, 10, 0), n=5) == midnight(2025, 2, 11)
    assert engine.add_working_days(start=at(2025, 10, 3, 9, 0), n=1) == midnight(2025, 10, 10)
    # An event on a make-up working day: that day is still the event day and does not count.
    assert engine.add_working_days(start=at(2025, 9, 28, 10, 0), n=1) == midnight(2025, 9, 30)


def test_the_local_date_in_shanghai_decides_the_event_day(engine):
    # 23 Jan 17:00 UTC is 24 Jan 01:00 in Beijing (a Friday).
    utc_start = datetime(2025, 1, 23, 17, 0, tzinfo=UTC)
    assert engine.add_working_days(start=utc_start, n=1) == midnight(2025, 1, 27)
    # 24 Jan 16:30 UTC is Saturday 25 Jan 00:30 in Beijing.
    late = datetime(2025, 1, 24, 16, 30, tzinfo=UTC)
    assert engine.add_working_days(start=late, n=1) == midnight(2025, 1, 27)
    assert engine.add_working_days(start=late, n=2) == midnight(2025, 1, 28)


def test_natural_days(engine):
    # 25 Sep + 7 = Thu 2 Oct, a holiday: the period ends with the next working day, 9 Oct.
    assert engine.add_natural_days(start=at(2025, 9, 25, 9), n=7) == midnight(2025, 10, 10)
    # Fri 7 Mar + 1 = Sat 8 Mar, a rest day: moved to Mon 10 Mar.
    assert engine.add_natural_days(start=at(2025, 3, 7, 9), n=1) == midnight(2025, 3, 11)
    # 1 Feb + 7 = Sat 8 Feb, a make-up working day: it stays.
    assert engine.add_natural_days(start=at(2025, 2, 1, 9), n=7) == midnight(2025, 2, 9)
    # 4 Oct + 7 = Sat 11 Oct, a make-up working day.
    assert engine.add_natural_days(start=at(2025, 10, 4, 9), n=7) == midnight(2025, 10, 12)
    # An ordinary weekday.
    assert engine.add_natural_days(start=at(2025, 3, 3, 9), n=10) == midnight(2025, 3, 14)


def test_hours_are_wall_time():
    start = at(2025, 1, 27, 15, 20)
    assert add_hours(start=start, n=24) == at(2025, 1, 28, 15, 20)
    assert add_hours(start=start, n=72) == at(2025, 1, 30, 15, 20)


def test_count_working_days(engine):
    start = at(2025, 1, 24, 10, 0)
    assert engine.count_working_days(start=start, end=at(2025, 2, 5, 9, 0)) == 3
    assert engine.count_working_days(start=start, end=at(2025, 2, 4, 23, 59)) == 2
    assert engine.count_working_days(start=start, end=at(2025, 1, 24, 23, 0)) == 0
    assert engine.count_working_days(start=at(2025, 2, 5, 9, 0), end=start) == -3
    # 1 Jan (the event day, not counted) is itself a holiday: all 248 working days of 2025.
    assert engine.count_working_days(start=at(2025, 1, 1), end=at(2025, 12, 31)) == 248
    assert engine.count_working_days(start=at(2024, 12, 31), end=at(2025, 12, 31)) == 248


def test_the_engine_agrees_with_a_day_by_day_count():
    engine = WorkCalendar()
    rng = random.Random(7)
    for _ in range(400):
        start = at(2024, 1, 1) + timedelta(minutes=rng.randrange(3 * 365 * 24 * 60 - 90 * 1440))
        n = rng.randrange(1, 40)
        day, counted = start.date(), 0
        while counted < n:
            day += timedelta(days=1)
            counted += chinese_calendar.is_workday(day)
        due = engine.add_working_days(start=start, n=n)
        assert due_day(due=due) == day, (start, n)
        assert engine.count_working_days(start=start, end=due - timedelta(microseconds=1)) == n

        last = start.date() + timedelta(days=n)
        while not chinese_calendar.is_workday(last):
            last += timedelta(days=1)
        assert due_day(due=engine.add_natural_days(start=start, n=n)) == last, (start, n)


def test_due_dates_in_bulk_match_one_at_a_time(engine):
    rng = random.Random(11)
    starts = [
        datetime(2024, 1, 1, tzinfo=UTC) + timedelta(seconds=rng.randrange(2 * 365 * 86400))
        for _ in range(2000)
    ]
    for unit in DeadlineUnit.values:
        bulk = engine.due_dates(starts=starts, n=5, unit=unit)
        single = [engine.compute_due(start=s, amount=5, unit=unit).due for s in starts]
        assert bulk == single


def test_invalid_arguments(engine):
    with pytest.raises(ValueError, match="aware"):
        engine.add_working_days(start=datetime(2025, 1, 24, 10), n=1)
    with pytest.raises(ValueError, match="at least 1"):
        engine.add_working_days(start=at(2025, 1, 24), n=0)
    with pytest.raises(ValueError, match="aware"):
        engine.due_dates(starts=[datetime(2025, 1, 24, 10)], n=1)
    with pytest.raises(CalendarRangeError):
        engine.add_working_days(start=at(1999, 12, 1), n=1)


def test_is_working_day(engine):
    assert engine.is_working_day(day=date(2025, 1, 26)) is True  # Sunday, make-up
    assert engine.is_working_day(day=date(2025, 1, 27)) is True
    assert engine.is_working_day(day=date(2025, 1, 28)) is False
    assert engine.is_working_day(day=date(2025, 10, 8)) is False
    assert engine.is_working_day(day=date(2025, 10, 11)) is True  # Saturday, make-up
    assert engine.is_working_day(day=date(2025, 10, 12)) is False
    # An aware datetime means its local date: 27 Jan 16:30 UTC is 28 Jan in Beijing.
    assert engine.is_working_day(day=datetime(2025, 1, 27, 16, 30, tzinfo=UTC)) is False


# --- unknown years ------------------------------------------------------------------------------


def test_year_coverage(engine):
    assert set(range(2004, 2027)) <= engine.known_years()
    assert engine.is_year_known(year=2025) is True
    assert engine.is_year_known(year=2003) is False
    assert engine.is_year_known(year=2030) is False


def test_unknown_year_is_refused_under_the_error_policy(engine, settings):
    settings.WORKDAYS_UNKNOWN_YEAR = "error"
    with pytest.raises(CalendarYearUnknown) as info:
        engine.add_working_days(start=at(2030, 1, 4, 9), n=1)
    assert info.value.year == 2030
    assert info.value.code == "calendar_year_unknown"
    assert "2030" in info.value.messages[0]
    with pytest.raises(CalendarYearUnknown):
        engine.add_natural_days(start=at(2030, 1, 4, 9), n=1)
    with pytest.raises(CalendarYearUnknown):
        engine.is_working_day(day=date(2030, 1, 1))
    with pytest.raises(CalendarYearUnknown):
        engine.due_dates(starts=[at(2030, 1, 4, 9)], n=1)
    # A period that runs from a known year into an unknown one is refused too.
    with pytest.raises(CalendarYearUnknown) as info:
        engine.add_working_days(start=at(2026, 12, 30, 9), n=3)
    assert info.value.year == 2027


def test_a_period_decided_within_a_known_year_is_not_refused(engine, settings):
    settings.WORKDAYS_UNKNOWN_YEAR = "error"
    # Wed 30 Dec 2026 + 1 working day = Thu 31 Dec 2026: the deadline instant is
    # 1 Jan 2027 00:00, but no day of 2027 decided it.
    assert engine.add_working_days(start=at(2026, 12, 30, 9), n=1) == midnight(2027, 1, 1)


def test_unknown_year_counts_weekdays_and_says_so_under_the_weekends_policy(
    engine, settings, caplog
):
    settings.WORKDAYS_UNKNOWN_YEAR = "weekends"
    # Fri 4 Jan 2030 + 1 working day = Mon 7 Jan 2030.
    result = engine.compute_due(start=at(2030, 1, 4, 9), amount=1, unit="working_days")
    assert result.due == midnight(2030, 1, 8)
    assert result.estimated is True
    assert result.unknown_years == (2030,)
    assert "2030" in caplog.text
    assert engine.add_working_days(start=at(2030, 1, 4, 9), n=5) == midnight(2030, 1, 12)
    assert engine.is_working_day(day=date(2030, 1, 1)) is True  # a Tuesday, estimated
    # Wed 30 Dec 2026 + 3: Thu 31 Dec, Fri 1 Jan 2027 (counted, estimated), Mon 4 Jan.
    crossing = engine.compute_due(start=at(2026, 12, 30, 9), amount=3, unit="working_days")
    assert crossing.due == midnight(2027, 1, 5)
    assert crossing.unknown_years == (2027,)
    known = engine.compute_due(start=at(2025, 1, 24, 9), amount=3, unit="working_days")
    assert known.estimated is False


# --- the database engine: overrides and entered years ---------------------------------------


@pytest.mark.django_db
def test_a_local_day_off_shifts_the_due_date(sysadmin):
    start = at(2025, 3, 7, 10)  # Friday
    assert add_working_days(start=start, n=1) == midnight(2025, 3, 11)
    CalendarOverride.objects.create(
        date=date(2025, 3, 10), kind=OverrideKind.HOLIDAY, name="区庆", created_by=sysadmin
    )
    invalidate_calendar_cache()
    assert add_working_days(start=start, n=1) == midnight(2025, 3, 12)
    assert is_working_day(day=date(2025, 3, 10)) is False
    assert get_calendar().day_kind(day=date(2025, 3, 10)) == DayKind.LOCAL_HOLIDAY
    assert get_calendar().day_name(day=date(2025, 3, 10)) == "区庆"


@pytest.mark.django_db
def test_a_local_working_day_shifts_the_due_date(sysadmin):
    CalendarOverride.objects.create(
        date=date(2025, 3, 8), kind=OverrideKind.WORKDAY, name="补班", created_by=sysadmin
    )
    invalidate_calendar_cache()
    assert add_working_days(start=at(2025, 3, 7, 10), n=1) == midnight(2025, 3, 9)
    assert add_natural_days(start=at(2025, 3, 7, 10), n=1) == midnight(2025, 3, 9)


@pytest.mark.django_db
def test_an_entered_year_becomes_known(sysadmin, settings):
    settings.WORKDAYS_UNKNOWN_YEAR = "error"
    assert is_year_known(year=2027) is False
    CalendarOverride.objects.create(
        date=date(2027, 1, 1), kind=OverrideKind.HOLIDAY, name="元旦", created_by=sysadmin
    )
    invalidate_calendar_cache()
    # Overrides alone do not make a year known.
    assert is_year_known(year=2027) is False
    CalendarYear.objects.create(year=2027, entered_by=sysadmin)
    invalidate_calendar_cache()
    assert is_year_known(year=2027) is True
    assert 2027 in known_years()
    # Wed 30 Dec 2026 + 3: Thu 31 Dec, (1 Jan off), Mon 4 Jan, Tue 5 Jan 2027.
    result = compute_due(start=at(2026, 12, 30, 9), amount=3, unit="working_days")
    assert result.due == midnight(2027, 1, 6)
    assert result.estimated is False


@pytest.mark.django_db
def test_the_engine_is_cached_and_notices_changes_from_other_processes(
    sysadmin, django_assert_num_queries
):
    with django_assert_num_queries(3):  # fingerprint, overrides, years
        get_calendar()
    with django_assert_num_queries(0):
        for _ in range(50):
            add_working_days(start=at(2025, 3, 7, 10), n=1)
            is_year_known(year=2027)
    # Another process adds a row: not seen until the check interval has passed ...
    CalendarOverride.objects.create(
        date=date(2025, 3, 10), kind=OverrideKind.HOLIDAY, name="区庆", created_by=sysadmin
    )
    assert add_working_days(start=at(2025, 3, 7, 10), n=1) == midnight(2025, 3, 11)
    # ... then one fingerprint query notices it and the engine is rebuilt.
    engine_module._cache.checked_at = float("-inf")
    with django_assert_num_queries(3):
        assert add_working_days(start=at(2025, 3, 7, 10), n=1) == midnight(2025, 3, 12)
    # Unchanged data: one fingerprint query and no rebuild.
    engine_module._cache.checked_at = float("-inf")
    with django_assert_num_queries(1):
        get_calendar()
    # A delete elsewhere lowers the count.
    CalendarOverride.objects.all().delete()
    engine_module._cache.checked_at = float("-inf")
    assert add_working_days(start=at(2025, 3, 7, 10), n=1) == midnight(2025, 3, 11)


# --- deadline status ---------------------------------------------------------------------------


def test_deadline_status_colours():
    assert DeadlineStatus.NORMAL.colour == "green"
    assert DeadlineStatus.WARNING.colour == "yellow"
    assert DeadlineStatus.OVERDUE.colour == "red"
    assert DeadlineStatus.OVERDUE.css_class == "danger"


@pytest.mark.parametrize(
    ("now", "status"),
    [
        (at(2025, 3, 3, 15, 0), DeadlineStatus.NORMAL),  # the event day does not count
        (at(2025, 3, 13, 23, 59, 59), DeadlineStatus.NORMAL),  # 7.99 of 10 working days
        (at(2025, 3, 14, 0, 0), DeadlineStatus.WARNING),  # exactly 8 of 10
        (at(2025, 3, 15, 12, 0), DeadlineStatus.WARNING),  # Saturday: 9 of 10
        (at(2025, 3, 17, 23, 59, 59), DeadlineStatus.WARNING),
        (at(2025, 3, 18, 0, 0), DeadlineStatus.OVERDUE),  # the deadline instant itself
        (at(2025, 4, 1, 9, 0), DeadlineStatus.OVERDUE),
    ],
)
def test_deadline_status_in_working_days(engine, now, status):
    start = at(2025, 3, 3, 9, 0)  # Monday
    due = engine.add_working_days(start=start, n=10)
    assert due == midnight(2025, 3, 18)
    assert engine.deadline_status(start=start, due=due, now=now) == status


def test_deadline_status_stands_still_on_holidays(engine):
    start = at(2025, 1, 24, 10)
    due = engine.add_working_days(start=start, n=3)  # 26 Jan, 27 Jan, 5 Feb
    # On 1 Feb, 2 of 3 working days are used although most of the wall time has passed.
    assert engine.deadline_status(start=start, due=due, now=at(2025, 2, 1, 12)) == "normal"
    # 5 Feb 07:12 is 2.3 of 3; 12:00 is 2.5 of 3.
    assert engine.deadline_status(start=start, due=due, now=at(2025, 2, 5, 7, 12)) == "normal"
    assert engine.deadline_status(start=start, due=due, now=at(2025, 2, 5, 12)) == "warning"


def test_deadline_status_with_another_share(engine):
    start = at(2025, 3, 3, 9, 0)
    due = engine.add_working_days(start=start, n=10)
    half = Decimal("0.5")
    assert (
        engine.deadline_status(start=start, due=due, now=at(2025, 3, 10), warning_share=half)
        == DeadlineStatus.NORMAL
    )
    assert (
        engine.deadline_status(start=start, due=due, now=at(2025, 3, 11), warning_share=half)
        == DeadlineStatus.WARNING
    )
    with pytest.raises(ValueError):
        engine.deadline_status(start=start, due=due, now=start, warning_share=0)


def test_deadline_status_in_hours_uses_wall_time(engine):
    start = at(2025, 3, 7, 9, 0)  # Friday: the weekend does not stop an hour-based clock
    due = add_hours(start=start, n=24)
    kwargs = {"start": start, "due": due, "unit": DeadlineUnit.HOURS}
    early = start + timedelta(hours=19, minutes=11)
    assert engine.deadline_status(now=early, **kwargs) == DeadlineStatus.NORMAL
    boundary = start + timedelta(hours=19, minutes=12)
    assert engine.deadline_status(now=boundary, **kwargs) == DeadlineStatus.WARNING
    assert engine.deadline_status(now=due, **kwargs) == DeadlineStatus.OVERDUE


def test_is_overdue_at_the_exclusive_end():
    due = midnight(2025, 2, 6)
    assert is_overdue(due=due, now=due - timedelta(microseconds=1)) is False
    assert is_overdue(due=due, now=due) is True
    assert due_day(due=due) == date(2025, 2, 5)


@pytest.mark.django_db
def test_the_module_functions_use_the_database_engine():
    start = at(2025, 1, 24, 10, 30)
    assert add_working_days(start=start, n=3) == midnight(2025, 2, 6)
    assert add_natural_days(start=start, n=7) == midnight(2025, 2, 6)  # 31 Jan off → 5 Feb
    assert count_working_days(start=start, end=at(2025, 2, 5)) == 3
    assert due_dates(starts=[start, at(2025, 9, 26, 16)], n=7) == [
        midnight(2025, 2, 11),
        midnight(2025, 10, 14),
    ]
    due = add_working_days(start=start, n=3)
    assert deadline_status(start=start, due=due, now=at(2025, 2, 6)) == DeadlineStatus.OVERDUE
