"""The working-day engine: China's official calendar plus the office's overrides, as arrays.

Sources, in order of precedence
    1. ``CalendarOverride`` rows (a local day off, an extra working day, or a year's official
       schedule entered by the office before the package knows it);
    2. the ``chinesecalendar`` package: public holidays and make-up working days (调休), for
       2004–2026 in the installed version;
    3. Monday to Friday work, Saturday and Sunday rest.

A year is *known* when the package covers it or the office has marked it entered
(``CalendarYear``). Overrides alone do not make a year known: one local day off in 2027 says
nothing about 2027's national holidays. A computation that depends on a day of an unknown
year follows ``settings.WORKDAYS_UNKNOWN_YEAR``: ``"error"`` raises ``CalendarYearUnknown``;
``"weekends"`` counts Monday to Friday, logs a warning and marks the result as estimated
(``DueDate.estimated``) -- never a silent wrong date.

Counting rules (all days are local dates in Asia/Shanghai, ``CALENDAR_TZ``)
    * Working days (民法典 第201条, 行政许可法 第82条): the day of the event does not count;
      day 1 is the first working day after it (so for an event on a holiday, the first
      working day after the holiday), and the period ends at the end of the N-th working day.
    * Calendar days (民法典 第201条, 第203条): the period ends at the end of the N-th day after
      the event; when that day is a rest day or holiday, at the end of the next working day.
    * Hours: the start plus N hours, wall time.

The deadline instant
    Every function returns the first instant *after* the period: for day-based periods,
    00:00 local time of the day after the last day. The bound is exclusive: a deadline has
    passed when ``now >= due`` (``is_overdue``), and ``due_day(due=...)`` gives the last day
    of the period for display ("by the end of 5 February"). The same value can be stored in
    a ``DateTimeField`` and filtered with ``due__lte=now`` for overdue records.

How the calendar is held
    ``WorkCalendar`` covers 2000–2100 as a byte per day (its type) and a sorted list of the
    ordinals of all working days; adding N working days is one ``bisect`` and one index,
    with no query per day. ``WorkCalendar`` is immutable and may be built without a
    database (``WorkCalendar(overrides=..., entered_years=...)``).

Caching and invalidation (``get_calendar``)
    One engine per process, built from one read of the overrides and the entered years.
    Other processes may change the overrides, so at most every ``CHECK_INTERVAL_SECONDS``
    the cache reads a fingerprint of both tables in one tiny aggregate query (row counts and
    latest ``updated_at``/``entered_at``) and rebuilds when it differs. Any insert or edit
    moves the latest timestamp and any delete lowers the count, so every committed change
    is seen by every process within the interval (assuming server clocks synchronised to
    well under the interval). The services that write the tables also invalidate this
    process's engine at once and again after commit, so the writer sees its own change
    immediately. The fingerprint is read *before* the rows, so a change committed between
    the two reads leaves an old fingerprint with new rows and simply causes one more
    rebuild, never a stale engine; an engine built inside a transaction that is then rolled
    back carries that transaction's fingerprint, which no longer matches, so it too is
    replaced at the next check. This is simpler than a shared cache (the project has no
    cache server) and costs nothing on most requests.
"""

from __future__ import annotations

import logging
import threading
import time
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as dtime
from decimal import Decimal
from zoneinfo import ZoneInfo

import chinese_calendar
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import connections, router
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xiaoneng.workdays.choices import DayKind, DeadlineStatus, DeadlineUnit, OverrideKind
from xiaoneng.workdays.models import FIRST_YEAR, LAST_YEAR, CalendarOverride, CalendarYear

logger = logging.getLogger(__name__)

#: The official calendar is China's, whatever time zone a page is displayed in.
CALENDAR_TZ = ZoneInfo("Asia/Shanghai")
#: The share of a period after which a running deadline shows as "due soon".
DEFAULT_WARNING_SHARE = Decimal("0.8")
#: How often (seconds) a process checks whether another process changed the overrides.
CHECK_INTERVAL_SECONDS = 5.0

POLICY_ERROR = "error"
POLICY_WEEKENDS = "weekends"

#: Years the installed ``chinesecalendar`` package covers.
PACKAGE_YEARS = frozenset(
    range(min(chinese_calendar.holidays).year, max(chinese_calendar.holidays).year + 1)
)

# One byte per day: its type. The order matches _CODE_KINDS.
_WORKDAY, _WEEKEND, _HOLIDAY, _MAKEUP, _LOCAL_HOLIDAY, _LOCAL_WORKDAY = range(6)
_CODE_KINDS = (
    DayKind.WORKDAY,
    DayKind.WEEKEND,
    DayKind.HOLIDAY,
    DayKind.MAKEUP_WORKDAY,
    DayKind.LOCAL_HOLIDAY,
    DayKind.LOCAL_WORKDAY,
)
_WORKING_CODES = frozenset({_WORKDAY, _MAKEUP, _LOCAL_WORKDAY})
_OVERRIDE_CODES = {OverrideKind.HOLIDAY: _LOCAL_HOLIDAY, OverrideKind.WORKDAY: _LOCAL_WORKDAY}
_DAY_UNITS = frozenset({DeadlineUnit.WORKING_DAYS, DeadlineUnit.NATURAL_DAYS})


class CalendarYearUnknown(ValidationError):
    """A computation needs a year whose official holiday schedule is not known."""

    def __init__(self, year: int):
        super().__init__(
            _(
                "The official holiday schedule for %(year)s has not been entered yet; "
                "enter it on the working-day calendar page."
            ),
            code="calendar_year_unknown",
            params={"year": year},
        )
        self.year = year


class CalendarRangeError(ValidationError):
    """A computation reaches outside the years the engine covers."""

    def __init__(self):
        super().__init__(
            _("The working-day calendar covers the years %(first)s to %(last)s only."),
            code="calendar_out_of_range",
            params={"first": FIRST_YEAR, "last": LAST_YEAR},
        )


@dataclass(frozen=True)
class DueDate:
    """A computed deadline. ``due`` is the exclusive end (see the module docstring);
    ``estimated`` is true when unknown years were counted Monday to Friday."""

    due: datetime
    unit: str
    amount: int
    estimated: bool = False
    unknown_years: tuple[int, ...] = ()

    @property
    def last_day(self) -> date:
        return due_day(due=self.due)


def unknown_year_policy() -> str:
    value = getattr(settings, "WORKDAYS_UNKNOWN_YEAR", POLICY_ERROR)
    if value not in (POLICY_ERROR, POLICY_WEEKENDS):
        raise ImproperlyConfigured(
            f"WORKDAYS_UNKNOWN_YEAR must be {POLICY_ERROR!r} or {POLICY_WEEKENDS!r}, not {value!r}."
        )
    return value


def _require_aware(value: datetime, name: str) -> None:
    if not isinstance(value, datetime) or timezone.is_naive(value):
        raise ValueError(f"{name} must be an aware datetime, not {value!r}.")


def _require_count(n: int) -> None:
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"A time limit must be a whole number of at least 1, not {n!r}.")


def _midnight(ordinal: int) -> datetime:
    """00:00 local time at the start of the day ``ordinal``."""
    return datetime.combine(date.fromordinal(ordinal), dtime.min, tzinfo=CALENDAR_TZ)


class WorkCalendar:
    """The calendar for 2000–2100 as arrays. Immutable once built; share it freely."""

    def __init__(
        self,
        *,
        overrides: Iterable[tuple[date, str, str]] = (),
        entered_years: Iterable[int] = (),
    ):
        first = date(FIRST_YEAR, 1, 1).toordinal()
        last = date(LAST_YEAR, 12, 31).toordinal()
        codes = bytearray(last - first + 1)
        for index in range(len(codes)):
            # Ordinal 1 (1 January of year 1) is a Monday.
            if (first + index - 1) % 7 >= 5:
                codes[index] = _WEEKEND
        names: dict[int, str] = {}
        for day, name in chinese_calendar.holidays.items():
            codes[day.toordinal() - first] = _HOLIDAY
            names[day.toordinal()] = name
        for day, name in chinese_calendar.workdays.items():
            codes[day.toordinal() - first] = _MAKEUP
            names[day.toordinal()] = name
        override_ordinals = set()
        for day, kind, name in overrides:
            ordinal = day.toordinal()
            if first <= ordinal <= last:
                codes[ordinal - first] = _OVERRIDE_CODES[kind]
                names[ordinal] = name
                override_ordinals.add(ordinal)
        self.first_ordinal = first
        self.last_ordinal = last
        self._codes = bytes(codes)
        self._names = names
        self._override_ordinals = frozenset(override_ordinals)
        self._working = [first + i for i, code in enumerate(codes) if code in _WORKING_CODES]
        self._known_years = frozenset(
            PACKAGE_YEARS | {y for y in entered_years if FIRST_YEAR <= y <= LAST_YEAR}
        )
        self._warned_years: set[int] = set()

    # --- coverage ------------------------------------------------------------------------

    def known_years(self) -> frozenset[int]:
        return self._known_years

    def is_year_known(self, *, year: int) -> bool:
        return year in self._known_years

    def _unknown_years(self, first: int, last: int, policy: str) -> tuple[int, ...]:
        """The unknown years among the days ``first``..``last`` (ordinals). Raises under the
        "error" policy; logs once per year and returns them under "weekends"."""
        if first > last:
            return ()
        y1, y2 = date.fromordinal(first).year, date.fromordinal(last).year
        unknown = tuple(y for y in range(y1, y2 + 1) if y not in self._known_years)
        if not unknown:
            return ()
        if policy == POLICY_ERROR:
            raise CalendarYearUnknown(unknown[0])
        for year in unknown:
            if year not in self._warned_years:
                self._warned_years.add(year)
                logger.warning(
                    "Working-day calendar: the holiday schedule for %s is unknown; "
                    "counting Monday to Friday, results are estimated.",
                    year,
                )
        return unknown

    # --- days ----------------------------------------------------------------------------

    def _ordinal(self, moment: datetime) -> int:
        """The ordinal of the local (Asia/Shanghai) date of an aware datetime."""
        _require_aware(moment, "start")
        ordinal = moment.astimezone(CALENDAR_TZ).toordinal()
        if not self.first_ordinal <= ordinal <= self.last_ordinal:
            raise CalendarRangeError()
        return ordinal

    def _day_ordinal(self, day: date) -> int:
        ordinal = self._ordinal(day) if isinstance(day, datetime) else day.toordinal()
        if not self.first_ordinal <= ordinal <= self.last_ordinal:
            raise CalendarRangeError()
        return ordinal

    def is_working_day(self, *, day: date, policy: str | None = None) -> bool:
        """Whether ``day`` is a working day (for an aware datetime: its local date)."""
        ordinal = self._day_ordinal(day)
        self._unknown_years(ordinal, ordinal, policy or unknown_year_policy())
        return self._codes[ordinal - self.first_ordinal] in _WORKING_CODES

    def day_kind(self, *, day: date) -> DayKind:
        """The type of ``day`` for display; never raises for an unknown year (there it is
        the weekday rule; check ``is_year_known`` to mark the year as estimated)."""
        return _CODE_KINDS[self._codes[self._day_ordinal(day) - self.first_ordinal]]

    def day_name(self, *, day: date) -> str | None:
        """The package's holiday code (e.g. ``"Spring Festival"``, see ``HOLIDAY_LABELS``)
        or an override's name, for a holiday, make-up day or override; else ``None``."""
        return self._names.get(self._day_ordinal(day))

    def is_override(self, *, day: date) -> bool:
        return self._day_ordinal(day) in self._override_ordinals

    # --- deadlines -----------------------------------------------------------------------

    def _working_due(self, ordinal: int, n: int, policy: str) -> tuple[int, tuple[int, ...]]:
        index = bisect_right(self._working, ordinal) + n - 1
        if index >= len(self._working):
            raise CalendarRangeError()
        last = self._working[index]
        return last, self._unknown_years(ordinal + 1, last, policy)

    def _natural_due(self, ordinal: int, n: int, policy: str) -> tuple[int, tuple[int, ...]]:
        last = ordinal + n
        if last > self.last_ordinal:
            raise CalendarRangeError()
        if self._codes[last - self.first_ordinal] in _WORKING_CODES:
            end = last
        else:
            index = bisect_left(self._working, last)
            if index >= len(self._working):
                raise CalendarRangeError()
            end = self._working[index]
        # Only the days from the nominal last day to the actual last day decide the result.
        return end, self._unknown_years(last, end, policy)

    def _last_day(self, ordinal: int, n: int, unit: str, policy: str):
        if unit == DeadlineUnit.WORKING_DAYS:
            return self._working_due(ordinal, n, policy)
        if unit == DeadlineUnit.NATURAL_DAYS:
            return self._natural_due(ordinal, n, policy)
        raise ValueError(f"Unknown deadline unit {unit!r}.")

    def compute_due(
        self, *, start: datetime, amount: int, unit: str, policy: str | None = None
    ) -> DueDate:
        """The deadline ``amount`` units after ``start``, with the estimation flag."""
        _require_aware(start, "start")
        _require_count(amount)
        if unit == DeadlineUnit.HOURS:
            return DueDate(due=start + timedelta(hours=amount), unit=unit, amount=amount)
        last, unknown = self._last_day(
            self._ordinal(start), amount, unit, policy or unknown_year_policy()
        )
        return DueDate(
            due=_midnight(last + 1),
            unit=unit,
            amount=amount,
            estimated=bool(unknown),
            unknown_years=unknown,
        )

    def add_working_days(self, *, start: datetime, n: int) -> datetime:
        return self.compute_due(start=start, amount=n, unit=DeadlineUnit.WORKING_DAYS).due

    def add_natural_days(self, *, start: datetime, n: int) -> datetime:
        return self.compute_due(start=start, amount=n, unit=DeadlineUnit.NATURAL_DAYS).due

    def due_dates(
        self,
        *,
        starts: Sequence[datetime],
        n: int,
        unit: str = DeadlineUnit.WORKING_DAYS,
        policy: str | None = None,
    ) -> list[datetime]:
        """``compute_due(...).due`` for many starts at once: each distinct local start day
        is computed once, then shared (datetimes are immutable)."""
        _require_count(n)
        if any(s.tzinfo is None for s in starts):
            raise ValueError("Every start must be an aware datetime.")
        if unit == DeadlineUnit.HOURS:
            delta = timedelta(hours=n)
            return [s + delta for s in starts]
        if unit not in _DAY_UNITS:
            raise ValueError(f"Unknown deadline unit {unit!r}.")
        policy = policy or unknown_year_policy()
        tz = CALENDAR_TZ
        ordinals = [s.astimezone(tz).toordinal() for s in starts]
        memo = {}
        for ordinal in set(ordinals):
            if not self.first_ordinal <= ordinal <= self.last_ordinal:
                raise CalendarRangeError()
            memo[ordinal] = _midnight(self._last_day(ordinal, n, unit, policy)[0] + 1)
        return list(map(memo.__getitem__, ordinals))

    def count_working_days(self, *, start: datetime, end: datetime) -> int:
        """Working days after ``start``'s day up to and including ``end``'s day; negative
        when ``end`` is on an earlier day. ``count_working_days(start=s,
        end=add_working_days(start=s, n=n) - 1µs) == n``."""
        a, b = self._ordinal(start), self._ordinal(end)
        self._unknown_years(min(a, b) + 1, max(a, b), unknown_year_policy())
        return bisect_right(self._working, b) - bisect_right(self._working, a)

    def _position(self, moment: datetime) -> float:
        """Working days elapsed up to ``moment`` on a running scale: whole working days
        before its day, plus the elapsed fraction of its day if that is a working day."""
        local = moment.astimezone(CALENDAR_TZ)
        ordinal = local.toordinal()
        if not self.first_ordinal <= ordinal <= self.last_ordinal:
            raise CalendarRangeError()
        position = float(bisect_left(self._working, ordinal))
        if self._codes[ordinal - self.first_ordinal] in _WORKING_CODES:
            seconds = (local - _midnight(ordinal)).total_seconds()
            position += seconds / 86400
        return position

    def deadline_status(
        self,
        *,
        start: datetime,
        due: datetime,
        now: datetime | None = None,
        warning_share: Decimal | float = DEFAULT_WARNING_SHARE,
        unit: str = DeadlineUnit.WORKING_DAYS,
    ) -> DeadlineStatus:
        """Overdue when ``now >= due``; "due soon" when the share of the period used is at
        least ``warning_share``; otherwise normal.

        For day-based periods the share is measured in working days: the clock starts at
        the end of the event day (which does not count) and advances through working days
        only, a working day counting by the fraction of it that has passed; weekends and
        holidays stand still. Hour-based periods, and periods that contain no working time
        at all, use wall time. Unknown years are counted Monday to Friday here without
        raising: a status is a display hint, and the due date itself was checked when it
        was computed."""
        now = timezone.now() if now is None else now
        for value, name in ((start, "start"), (due, "due"), (now, "now")):
            _require_aware(value, name)
        limit = float(warning_share)
        if not 0 < limit <= 1:
            raise ValueError("warning_share must be more than 0 and at most 1.")
        if now >= due:
            return DeadlineStatus.OVERDUE
        share = None
        if unit in _DAY_UNITS:
            try:
                origin = bisect_right(self._working, self._ordinal(start))
                total = self._position(due) - origin
                if total > 0:
                    share = (self._position(now) - origin) / total
            except CalendarRangeError:
                share = None
        if share is None:
            span = (due - start).total_seconds()
            share = (now - start).total_seconds() / span if span > 0 else 1.0
        return DeadlineStatus.WARNING if share >= limit else DeadlineStatus.NORMAL


# --- the process-wide engine ---------------------------------------------------------------


class _EngineCache:
    def __init__(self) -> None:
        self.engine: WorkCalendar | None = None
        self.stamp: tuple | None = None
        self.checked_at = float("-inf")
        self.lock = threading.Lock()


_cache = _EngineCache()


def _read_stamp() -> tuple:
    """The fingerprint of the overrides and entered years, in one query."""
    alias = router.db_for_read(CalendarOverride)
    connection = connections[alias]
    quote = connection.ops.quote_name
    overrides, years = CalendarOverride._meta.db_table, CalendarYear._meta.db_table
    sql = (
        f"SELECT (SELECT COUNT(*) FROM {quote(overrides)}),"  # noqa: S608 (table names from the models)
        f" (SELECT MAX({quote('updated_at')}) FROM {quote(overrides)}),"
        f" (SELECT COUNT(*) FROM {quote(years)}),"
        f" (SELECT MAX({quote('entered_at')}) FROM {quote(years)})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return tuple(cursor.fetchone())


def _build_from_database() -> WorkCalendar:
    return WorkCalendar(
        overrides=CalendarOverride.objects.order_by().values_list("date", "kind", "name"),
        entered_years=CalendarYear.objects.order_by().values_list("year", flat=True),
    )


def get_calendar() -> WorkCalendar:
    """This process's engine, rebuilt when the overrides changed (see the module docstring).
    No query on most calls; one tiny query at most every ``CHECK_INTERVAL_SECONDS``."""
    cache = _cache
    engine = cache.engine
    if engine is not None and time.monotonic() - cache.checked_at < CHECK_INTERVAL_SECONDS:
        return engine
    with cache.lock:
        if (
            cache.engine is not None
            and time.monotonic() - cache.checked_at < CHECK_INTERVAL_SECONDS
        ):
            return cache.engine
        stamp = _read_stamp()
        if cache.engine is None or stamp != cache.stamp:
            cache.engine = _build_from_database()
            cache.stamp = stamp
        cache.checked_at = time.monotonic()
        return cache.engine


def invalidate_calendar_cache() -> None:
    """Make the next ``get_calendar`` in this process rebuild from the database."""
    with _cache.lock:
        _cache.stamp = None
        _cache.checked_at = float("-inf")


# --- the public functions -------------------------------------------------------------------


def add_working_days(*, start: datetime, n: int) -> datetime:
    """The end of the N-th working day after ``start``'s day (exclusive instant)."""
    return get_calendar().add_working_days(start=start, n=n)


def add_natural_days(*, start: datetime, n: int) -> datetime:
    """The end of the N-th day after ``start``'s day, moved to the end of the next working
    day when that day is a rest day or holiday (exclusive instant)."""
    return get_calendar().add_natural_days(start=start, n=n)


def add_hours(*, start: datetime, n: int) -> datetime:
    """``start`` plus ``n`` hours."""
    _require_aware(start, "start")
    _require_count(n)
    return start + timedelta(hours=n)


def compute_due(*, start: datetime, amount: int, unit: str) -> DueDate:
    """The deadline in any unit, with the flag saying whether it is estimated."""
    return get_calendar().compute_due(start=start, amount=amount, unit=unit)


def due_dates(
    *, starts: Sequence[datetime], n: int, unit: str = DeadlineUnit.WORKING_DAYS
) -> list[datetime]:
    """Deadlines for many starts at once (a million in well under a second)."""
    return get_calendar().due_dates(starts=starts, n=n, unit=unit)


def count_working_days(*, start: datetime, end: datetime) -> int:
    """Working days after ``start``'s day up to and including ``end``'s day."""
    return get_calendar().count_working_days(start=start, end=end)


def deadline_status(
    *,
    start: datetime,
    due: datetime,
    now: datetime | None = None,
    warning_share: Decimal | float = DEFAULT_WARNING_SHARE,
    unit: str = DeadlineUnit.WORKING_DAYS,
) -> DeadlineStatus:
    """Normal, due soon or overdue; see ``WorkCalendar.deadline_status``."""
    return get_calendar().deadline_status(
        start=start, due=due, now=now, warning_share=warning_share, unit=unit
    )


def is_overdue(*, due: datetime, now: datetime | None = None) -> bool:
    """Whether the deadline ``due`` (an exclusive end) has passed."""
    return (timezone.now() if now is None else now) >= due


def due_day(*, due: datetime) -> date:
    """The last day of the period ending at ``due``, in local time."""
    return (due.astimezone(CALENDAR_TZ) - timedelta(microseconds=1)).date()


def is_working_day(*, day: date) -> bool:
    return get_calendar().is_working_day(day=day)


def known_years() -> frozenset[int]:
    return get_calendar().known_years()


def is_year_known(*, year: int) -> bool:
    return get_calendar().is_year_known(year=year)


def local_today() -> date:
    """Today's date in Asia/Shanghai."""
    return timezone.localdate(timezone=CALENDAR_TZ)
