"""Every change to the working-day calendar. Each service validates, saves, writes its audit
row in one transaction and makes the calendar engine pick the change up (at once in this
process, within ``CHECK_INTERVAL_SECONDS`` in the others)."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from xiaoneng.audit.services import audit_log
from xiaoneng.workdays.calendar import PACKAGE_YEARS, invalidate_calendar_cache
from xiaoneng.workdays.choices import OverrideKind
from xiaoneng.workdays.models import FIRST_YEAR, LAST_YEAR, CalendarOverride, CalendarYear
from xiaoneng.workdays.selectors import calendar_can_edit


def _check_editor(actor) -> None:
    """``actor=None`` is the command line; everyone else must be allowed to edit."""
    if actor is not None and not calendar_can_edit(user=actor):
        raise ValidationError(
            _("Only the system administrator and the office director change the calendar."),
            code="permission_denied",
        )


def _field_error(field: str, message: str, code: str) -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code)})


def _save_once(obj) -> None:
    """Save, turning a clash with a concurrent insert of the same date or year into a clear
    error instead of a server error."""
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError:
        raise ValidationError(
            _("Someone else has just entered the same day or year. Reload the page and check."),
            code="conflict",
        ) from None


def _calendar_changed() -> None:
    invalidate_calendar_cache()
    transaction.on_commit(invalidate_calendar_cache)


def _check_year(year: int, field: str) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise _field_error(
            field,
            _("The calendar covers the years %(first)s to %(last)s only.")
            % {"first": FIRST_YEAR, "last": LAST_YEAR},
            "year_out_of_range",
        )


@transaction.atomic
def calendar_override_set(*, actor, date: date, kind: str, name: str) -> CalendarOverride:
    """Make ``date`` a day off or a working day, whatever the official calendar says. An
    existing override for the same date is replaced."""
    _check_editor(actor)
    _check_year(date.year, "date")
    if kind not in OverrideKind.values:
        raise _field_error("kind", _("Choose a day off or a working day."), "invalid")
    name = (name or "").strip()
    if not name:
        raise _field_error(
            "name", _("Give the day a name, such as the holiday it belongs to."), "required"
        )
    override = CalendarOverride.objects.select_for_update().filter(date=date).first()
    previous = None
    if override is None:
        override = CalendarOverride(date=date, kind=kind, name=name, created_by=actor)
    else:
        previous = {"kind": override.kind, "name": override.name}
        override.kind, override.name = kind, name
    if actor is None and override.created_by_id is None:
        raise ValidationError(_("An override must be entered by a person."), code="actor")
    override.full_clean()
    _save_once(override)
    audit_log(
        action="workdays.override.set",
        actor=actor,
        obj=override,
        data={
            "date": override.date.isoformat(),
            "kind": override.kind,
            "name": override.name,
            "previous": previous,
        },
    )
    _calendar_changed()
    return override


@transaction.atomic
def calendar_override_delete(*, actor, override: CalendarOverride) -> None:
    """Remove an override: the day goes back to the official calendar."""
    _check_editor(actor)
    override = CalendarOverride.objects.select_for_update().filter(pk=override.pk).first()
    if override is None:
        raise ValidationError(_("The override has already been removed."), code="not_found")
    data = {"date": override.date.isoformat(), "kind": override.kind, "name": override.name}
    audit_log(action="workdays.override.delete", actor=actor, obj=override, data=data)
    override.delete()
    _calendar_changed()


@transaction.atomic
def calendar_year_mark_entered(*, actor, year: int, note: str = "") -> CalendarYear:
    """Record that the office has entered ``year``'s official holiday schedule as overrides,
    so that deadlines may run into that year."""
    _check_editor(actor)
    if actor is None:
        raise ValidationError(_("A calendar year must be marked by a person."), code="actor")
    _check_year(year, "year")
    if year in PACKAGE_YEARS:
        raise _field_error(
            "year",
            _("The official schedule for %(year)s is already built in.") % {"year": year},
            "built_in",
        )
    if CalendarYear.objects.select_for_update().filter(year=year).exists():
        raise _field_error(
            "year",
            _("%(year)s has already been marked as entered.") % {"year": year},
            "already_entered",
        )
    holidays = CalendarOverride.objects.filter(date__year=year, kind=OverrideKind.HOLIDAY).count()
    if not holidays:
        raise _field_error(
            "year",
            _(
                "No public holiday has been entered for %(year)s yet. Enter the year's "
                "holidays and make-up working days as overrides first."
            )
            % {"year": year},
            "no_holidays",
        )
    entry = CalendarYear(year=year, entered_by=actor, note=(note or "").strip())
    entry.full_clean()
    _save_once(entry)
    audit_log(
        action="workdays.year.enter",
        actor=actor,
        obj=entry,
        data={"year": year, "note": entry.note, "holidays": holidays},
    )
    _calendar_changed()
    return entry
