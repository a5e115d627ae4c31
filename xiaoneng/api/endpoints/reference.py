"""Reference data: who the token acts as, the unit tree, the complaint categories, the
people an action names, and the working-day calendar."""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Path, Query, Router, Schema
from pydantic import Field

from xiaoneng.api import errors
from xiaoneng.api.endpoints.common import actor, invalid, responses
from xiaoneng.api.schemas import (
    CalendarYearOut,
    CategoryOut,
    DueDateOut,
    MeOut,
    PersonOut,
    UnitOut,
)
from xiaoneng.api.selectors import is_service_account
from xiaoneng.api.serializers import local, unit_ref
from xiaoneng.cases.selectors import case_action_permitted, category_list, responsible_leaders
from xiaoneng.org.selectors import unit_tree
from xiaoneng.workdays.calendar import CALENDAR_TZ, compute_due
from xiaoneng.workdays.choices import DayKind, DeadlineUnit
from xiaoneng.workdays.models import FIRST_YEAR, LAST_YEAR
from xiaoneng.workdays.selectors import calendar_year_view

router = Router(tags=["reference"])


@router.get("/me", response=responses(200, MeOut), summary="The account the token acts as")
def me(request):
    """The account, its unit and roles, and the token used; the roles and units decide what
    every other endpoint shows and allows."""
    user = actor(request)
    token = request.auth
    return {
        "id": user.pk,
        "username": user.username,
        "name": user.name,
        "unit": unit_ref(user.unit),
        "roles": sorted(user.roles),
        "service_account": is_service_account(user=user),
        "token": {
            "id": token.pk,
            "kind": token.kind,
            "prefix": token.prefix,
            "name": token.name,
            "expires_at": local(token.expires_at),
        },
    }


@router.get("/units", response=responses(200, list[UnitOut]), summary="The unit tree")
def units(request):
    """Every unit in tree order (a parent before its children), deactivated ones included."""
    tree = unit_tree(include_inactive=True)
    codes = {unit.pk: unit.code for unit, _depth in tree}
    return [
        {
            "id": unit.pk,
            "code": unit.code,
            "name": unit.name,
            "short_name": unit.short_name,
            "kind": unit.kind,
            "parent_code": codes.get(unit.parent_id),
            "depth": depth,
            "is_active": unit.is_active,
        }
        for unit, depth in tree
    ]


@router.get(
    "/categories", response=responses(200, list[CategoryOut]), summary="Complaint categories"
)
def categories(request):
    """Every category in tree order; only active ones are accepted for a new case."""
    rows = category_list()
    by_id = {c.pk: c for c in rows}
    children: dict[int | None, list] = {}
    for category in rows:
        parent = category.parent_id if category.parent_id in by_id else None
        children.setdefault(parent, []).append(category)
    ordered: list[dict] = []

    def walk(parent, depth: int) -> None:
        for category in children.get(parent, []):
            ordered.append(
                {
                    "id": category.pk,
                    "code": category.code,
                    "name": category.name,
                    "name_en": category.name_en,
                    "parent_code": by_id[category.parent_id].code
                    if category.parent_id in by_id
                    else None,
                    "depth": depth,
                    "is_active": category.is_active,
                }
            )
            walk(category.pk, depth + 1)

    walk(None, 0)
    return ordered


@router.get(
    "/leaders",
    response=responses(200, list[PersonOut]),
    summary="Who may be the responsible leader of a major issue",
)
def leaders(request):
    """For registering a major issue (/cases/{case_id}/mark-major): supervisors and the office
    director only."""
    user = actor(request)
    if not case_action_permitted(user=user, action="mark_major"):
        raise errors.forbidden()
    return [
        {"id": p.pk, "username": p.username, "name": p.name, "unit": unit_ref(p.unit)}
        for p in responsible_leaders()
    ]


# --- the working-day calendar -------------------------------------------------------------------


class DueDateQuery(Schema):
    amount: int = Field(ge=1, le=365, description="The length of the period.")
    unit: DeadlineUnit = DeadlineUnit.WORKING_DAYS
    start: datetime | None = Field(
        None,
        description="The event (default: now). Without a time zone, China Standard Time.",
    )


@router.get(
    "/calendar/due-date",
    response=responses(200, DueDateOut),
    tags=["calendar"],
    summary="Compute a due date",
)
def due_date(request, query: Query[DueDateQuery]):
    """The end of a period on China's official calendar with the office's own exceptions:
    the day of the event does not count, and a period of N working days ends with the N-th
    working day after it (民法典 第201条). ``due_at`` is the first instant after the period."""
    start = query.start or timezone.now()
    if timezone.is_naive(start):
        start = start.replace(tzinfo=CALENDAR_TZ)
    if not FIRST_YEAR <= start.astimezone(CALENDAR_TZ).year <= LAST_YEAR:
        raise invalid(
            "start",
            _("The working-day calendar covers the years %(first)s to %(last)s only.")
            % {"first": FIRST_YEAR, "last": LAST_YEAR},
        )
    try:
        due = compute_due(start=start, amount=query.amount, unit=query.unit)
    except ValidationError as exc:
        raise invalid("start", " ".join(exc.messages)) from None
    return {
        "start": local(start),
        "amount": query.amount,
        "unit": query.unit,
        "due_at": local(due.due),
        "last_day": due.last_day,
        "estimated": due.estimated,
        "unknown_years": list(due.unknown_years),
    }


_LISTED_KINDS = frozenset(
    {DayKind.HOLIDAY, DayKind.MAKEUP_WORKDAY, DayKind.LOCAL_HOLIDAY, DayKind.LOCAL_WORKDAY}
)


@router.get(
    "/calendar/years/{year}",
    response=responses(200, CalendarYearOut),
    tags=["calendar"],
    summary="Holidays and make-up working days of a year",
)
def calendar_year(request, year: int = Path(..., ge=FIRST_YEAR, le=LAST_YEAR)):
    """The public holidays and make-up working days (调休) of the year, and the office's
    local days off and extra working days, with the number of working days in the year."""
    view = calendar_year_view(year=year)
    days = [
        {
            "date": cell.day,
            "kind": cell.kind,
            "name": str(cell.name) if cell.name is not None else None,
            "local_override": cell.is_override,
        }
        for month in view.months
        for week in month.weeks
        for cell in week
        if cell is not None and (cell.kind in _LISTED_KINDS or cell.is_override)
    ]
    return {
        "year": year,
        "known": view.known,
        "built_in": view.built_in,
        "working_days": view.working_days,
        "days": days,
    }
