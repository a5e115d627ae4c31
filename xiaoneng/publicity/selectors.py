"""Reads of bulletins. Office roles and leaders read every bulletin; nobody else sees any
(views answer 404). Case data is read only through the case selectors."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from xiaoneng.cases.choices import AssignmentStatus, CaseStatus
from xiaoneng.cases.models import Case
from xiaoneng.cases.selectors import case_assignments, case_list
from xiaoneng.publicity.choices import BulletinStatus, Visibility
from xiaoneng.publicity.models import Bulletin
from xiaoneng.publicity.transitions import DRAFT_ROLES, READ_ROLES, TRANSITIONS, action_allowed


def can_read_bulletins(user) -> bool:
    return bool(user.is_authenticated and user.roles & READ_ROLES)


def can_draft_bulletins(user) -> bool:
    return bool(user.is_authenticated and user.roles & DRAFT_ROLES)


def bulletin_list(*, user, status: str | None = None) -> QuerySet[Bulletin]:
    if not can_read_bulletins(user):
        return Bulletin.objects.none()
    qs = Bulletin.objects.select_related("drafted_by", "approved_by")
    if status:
        qs = qs.filter(status=status)
    return qs


def bulletin_public_list() -> QuerySet[Bulletin]:
    """The bulletins published on the portal, newest first (for everyone, signed in or not)."""
    return Bulletin.objects.filter(
        status=BulletinStatus.PUBLISHED, visibility=Visibility.PUBLIC
    ).order_by("-published_at", "-id")


def bulletin_public_get(*, year: int, seq: int) -> Bulletin:
    """A bulletin published on the portal, by its issue number (year and sequence), else 404."""
    try:
        return bulletin_public_list().get(year=year, seq=seq)
    except (Bulletin.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def bulletin_get(*, user, pk) -> Bulletin:
    """The bulletin if the user may read it, else 404."""
    try:
        return bulletin_list(user=user).get(pk=pk)
    except (Bulletin.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def bulletin_source_cases(*, bulletin: Bulletin) -> list[Case]:
    return [
        link.case
        for link in bulletin.case_links.select_related("case", "case__category").order_by(
            "order", "id"
        )
    ]


def bulletin_actions(*, user, bulletin: Bulletin) -> list[str]:
    """The actions the user may take on the bulletin now (``update`` is the edit page)."""
    return [
        code
        for code in TRANSITIONS
        if action_allowed(code, status=bulletin.status, roles=user.roles)
    ]


def closed_cases_for_bulletin(*, user, limit: int = 50) -> QuerySet[Case]:
    """The most recently closed cases the user may see, to choose from."""
    return case_list(user=user, status=CaseStatus.CLOSED).order_by("-closed_at", "-id")[:limit]


def cases_by_numbers(*, user, numbers: list[str]) -> dict[str, Case]:
    """The cases with these register numbers that the user may see, by number."""
    if not numbers:
        return {}
    return {c.number: c for c in case_list(user=user).filter(number__in=numbers)}


def case_units(*, case: Case) -> list[str]:
    """The names of the units that handled the case (lead first)."""
    names: list[str] = []
    for assignment in case_assignments(case=case):
        if assignment.status == AssignmentStatus.WITHDRAWN:
            continue
        if assignment.unit.name not in names:
            names.append(assignment.unit.name)
    return names


def case_accountabilities(*, case: Case) -> list:
    return list(case.accountabilities.select_related("unit").order_by("decided_on", "id"))
