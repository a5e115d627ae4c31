"""Reads of the working-day calendar: who may see and change it, the year page, and the
warning the base layout shows when next year's schedule is missing."""

from __future__ import annotations

import calendar as pycalendar
from dataclasses import dataclass, field
from datetime import date

from django.db.models import QuerySet
from django.utils.dates import MONTHS
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from xiaoneng.org.choices import OFFICE_ROLES, Role
from xiaoneng.workdays.calendar import PACKAGE_YEARS, get_calendar, local_today
from xiaoneng.workdays.choices import HOLIDAY_LABELS, DayKind
from xiaoneng.workdays.models import CalendarOverride, CalendarYear

#: Who sees the calendar page, and who changes it.
VIEW_ROLES = frozenset(OFFICE_ROLES | {Role.LEADER, Role.SYSTEM_ADMIN})
EDIT_ROLES = frozenset({Role.SYSTEM_ADMIN, Role.OFFICE_DIRECTOR})
#: Who is warned that next year's schedule is missing.
WARNING_ROLES = frozenset(OFFICE_ROLES | {Role.SYSTEM_ADMIN})
#: The warning starts on this day of the year (month, day).
WARNING_FROM = (11, 1)

WEEKDAY_HEADINGS = (
    pgettext_lazy("calendar weekday heading", "Mo"),
    pgettext_lazy("calendar weekday heading", "Tu"),
    pgettext_lazy("calendar weekday heading", "We"),
    pgettext_lazy("calendar weekday heading", "Th"),
    pgettext_lazy("calendar weekday heading", "Fr"),
    pgettext_lazy("calendar weekday heading", "Sa"),
    pgettext_lazy("calendar weekday heading", "Su"),
)


def _active_user(user) -> bool:
    return user is not None and user.is_authenticated and user.is_active


def calendar_can_view(*, user) -> bool:
    return _active_user(user) and bool(user.roles & VIEW_ROLES)


def calendar_can_edit(*, user) -> bool:
    return _active_user(user) and bool(user.roles & EDIT_ROLES)


def calendar_warning_for(*, user, today: date | None = None) -> str | None:
    """A warning for office staff and the system administrator when a year's official
    schedule is missing: from 1 November for the next year, and at any time for the current
    year. Costs no query on most requests (the engine is cached per process; the roles are
    cached on the user and already read for the menu)."""
    today = local_today() if today is None else today
    if (today.month, today.day) < WARNING_FROM and today.year in PACKAGE_YEARS:
        return None
    if not _active_user(user) or not user.roles & WARNING_ROLES:
        return None
    engine = get_calendar()
    if not engine.is_year_known(year=today.year):
        return _(
            "The official holiday schedule for %(year)s has not been entered; deadlines that "
            "reach into %(year)s cannot be computed reliably. Enter it on the working-day "
            "calendar page."
        ) % {"year": today.year}
    if (today.month, today.day) >= WARNING_FROM and not engine.is_year_known(year=today.year + 1):
        return _(
            "The official holiday schedule for %(year)s has not been entered yet; enter it on "
            "the working-day calendar page before deadlines reach into %(year)s."
        ) % {"year": today.year + 1}
    return None


# --- the year page --------------------------------------------------------------------------


@dataclass(frozen=True)
class CalendarDay:
    day: date
    kind: DayKind
    name: str | Promise | None
    is_override: bool
    is_today: bool

    @property
    def is_working(self) -> bool:
        return self.kind.is_working

    @property
    def is_weekend(self) -> bool:
        return self.day.weekday() >= 5


@dataclass(frozen=True)
class CalendarEvent:
    """A run of consecutive named days of one kind within a month, for the list under it."""

    first: date
    last: date
    kind: DayKind
    name: str | Promise


@dataclass
class CalendarMonth:
    number: int
    name: str | Promise
    weeks: list[list[CalendarDay | None]] = field(default_factory=list)
    events: list[CalendarEvent] = field(default_factory=list)


@dataclass
class CalendarYearView:
    year: int
    known: bool
    built_in: bool
    entry: CalendarYear | None
    months: list[CalendarMonth]
    working_days: int
    weekday_headings: tuple = WEEKDAY_HEADINGS


def _display_name(kind: DayKind, code: str | None) -> str | Promise | None:
    if code is None:
        return None
    if kind in (DayKind.HOLIDAY, DayKind.MAKEUP_WORKDAY):
        return HOLIDAY_LABELS.get(code, code)
    return code


def calendar_year_view(*, year: int, today: date | None = None) -> CalendarYearView:
    """The twelve months of ``year`` as week rows (Monday first), each day with its type
    and name, plus the named runs of days per month. One query at most (the year entry)."""
    engine = get_calendar()
    today = local_today() if today is None else today
    months = []
    working_days = 0
    for number in range(1, 13):
        month = CalendarMonth(number=number, name=MONTHS[number])
        run: CalendarEvent | None = None
        for week in pycalendar.Calendar(firstweekday=0).monthdatescalendar(year, number):
            row: list[CalendarDay | None] = []
            for day in week:
                if day.month != number:
                    row.append(None)
                    continue
                kind = engine.day_kind(day=day)
                name = _display_name(kind, engine.day_name(day=day))
                cell = CalendarDay(
                    day=day,
                    kind=kind,
                    name=name,
                    is_override=engine.is_override(day=day),
                    is_today=day == today,
                )
                row.append(cell)
                working_days += kind.is_working
                if name is None:
                    run = None
                elif run and run.kind == kind and run.name == name:
                    run = CalendarEvent(first=run.first, last=day, kind=kind, name=name)
                    month.events[-1] = run
                else:
                    run = CalendarEvent(first=day, last=day, kind=kind, name=name)
                    month.events.append(run)
            month.weeks.append(row)
        months.append(month)
    entry = CalendarYear.objects.select_related("entered_by").filter(year=year).first()
    return CalendarYearView(
        year=year,
        known=engine.is_year_known(year=year),
        built_in=year in PACKAGE_YEARS,
        entry=entry,
        months=months,
        working_days=working_days,
    )


def calendar_override_list(*, year: int | None = None) -> QuerySet[CalendarOverride]:
    qs = CalendarOverride.objects.select_related("created_by").order_by("date")
    return qs.filter(date__year=year) if year is not None else qs


def calendar_year_list() -> QuerySet[CalendarYear]:
    return CalendarYear.objects.select_related("entered_by").order_by("year")


def calendar_override_get(*, pk: int) -> CalendarOverride | None:
    return CalendarOverride.objects.filter(pk=pk).first()
