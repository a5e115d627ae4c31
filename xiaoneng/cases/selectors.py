"""Reads of cases, always through the viewer's role-and-unit scope. A case outside the scope
does not exist for the viewer (views answer 404)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from difflib import SequenceMatcher

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet, prefetch_related_objects
from django.http import Http404
from django.utils import timezone

from xiaoneng.cases.choices import (
    ASSIGNMENT_OPEN,
    OPEN_STATUSES,
    AssignmentRole,
    AssignmentStatus,
    CaseStatus,
    RequestStatus,
)
from xiaoneng.cases.deadlines import case_settings, deadline_colour
from xiaoneng.cases.models import (
    Accountability,
    Assignment,
    Attachment,
    Case,
    CaseEvent,
    CaseLink,
    CaseReturn,
    Deadline,
    ExtensionRequest,
    Milestone,
)
from xiaoneng.cases.protection import same_complainant_q
from xiaoneng.cases.registry import EVENT_LABELS
from xiaoneng.cases.search import text_q
from xiaoneng.cases.transitions import (
    ASSIGNMENT_TRANSITIONS,
    CASE_TRANSITIONS,
    assignment_action_allowed,
    case_action_allowed,
)
from xiaoneng.org.choices import OFFICE_ROLES, Role
from xiaoneng.org.models import User
from xiaoneng.org.selectors import user_scope, users_with_role
from xiaoneng.workdays.calendar import due_day
from xiaoneng.workdays.choices import DeadlineStatus, DeadlineUnit

# --- scope ----------------------------------------------------------------------------------


def case_visible_q(*, user) -> Q:
    """Cases the user may see: every case for office roles and leaders; for unit roles, the
    cases one of their units has (or had) a part in; nothing for anyone else."""
    scope = user_scope(user=user)
    if scope.view_all:
        return Q()
    if not scope.view_unit_ids:
        return Q(pk__in=[])
    return Q(
        Exists(
            Assignment.objects.filter(case=OuterRef("pk"), unit_id__in=sorted(scope.view_unit_ids))
        )
    )


def case_list(*, user, status: str | None = None) -> QuerySet[Case]:
    qs = Case.objects.filter(case_visible_q(user=user)).select_related("category")
    if status:
        qs = qs.filter(status=status)
    return qs


def case_get(*, user, pk: int) -> Case:
    """The case if the user may see it, else 404."""
    try:
        return (
            Case.objects.filter(case_visible_q(user=user))
            .select_related(
                "category", "registered_by", "major_leader", "merged_into", "complainant"
            )
            .get(pk=pk)
        )
    except (Case.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def is_office(user) -> bool:
    return bool(user.roles & OFFICE_ROLES)


# --- work queues ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Queue:
    code: str
    label: str
    count: int


def _unit_assignments(user, statuses) -> QuerySet[Assignment]:
    scope = user_scope(user=user)
    return Assignment.objects.filter(unit_id__in=sorted(scope.act_unit_ids), status__in=statuses)


def queue_cases(*, user, queue: str) -> QuerySet[Case]:
    """The cases of one work queue of the user."""
    roles = user.roles
    office = bool(roles & OFFICE_ROLES)
    now = timezone.now()
    base = Case.objects.select_related("category")
    if queue == "to_accept" and office:
        return base.filter(status=CaseStatus.REGISTERED)
    if queue == "to_dispatch" and office:
        return base.filter(status=CaseStatus.ACCEPTED)
    if queue == "returned" and office:
        return base.filter(
            Exists(
                Assignment.objects.filter(
                    case=OuterRef("pk"), status=AssignmentStatus.RETURN_REQUESTED
                )
            )
        )
    if queue == "to_review" and office:
        return base.filter(status=CaseStatus.REPLIED)
    if queue == "to_callback" and office:
        return base.filter(status=CaseStatus.CALLBACK)
    if queue == "to_sign_off" and Role.OFFICE_DIRECTOR in roles:
        pending = ExtensionRequest.objects.filter(deadline__case=OuterRef("pk"), status="pending")
        return base.filter(Q(status=CaseStatus.CLOSE_PENDING) | Q(Exists(pending)))
    if queue == "overdue" and (office or roles & {Role.LEADER}):
        # The open cases whose earliest running clock is past due, from the statistics'
        # per-case row (kept in every case change; a small partial index holds the open ones).
        return base.filter(figures__running_due__lte=now)
    if queue == "to_sign":
        return base.filter(
            pk__in=_unit_assignments(user, [AssignmentStatus.PENDING_SIGN]).values("case_id")
        )
    if queue == "to_handle":
        return base.filter(
            pk__in=_unit_assignments(user, [AssignmentStatus.IN_PROGRESS]).values("case_id")
        )
    if queue == "to_approve" and Role.UNIT_HEAD in roles:
        return base.filter(
            pk__in=_unit_assignments(user, [AssignmentStatus.AWAITING_HEAD]).values("case_id")
        )
    if queue == "unit_overdue":
        scope = user_scope(user=user)
        own = _running_past_due(now).filter(assignment__unit_id__in=sorted(scope.act_unit_ids))
        return base.filter(Exists(own))
    return base.none()


def _running_past_due(now: datetime) -> QuerySet[Deadline]:
    """The running clocks of the outer case that are past due."""
    return Deadline.objects.filter(
        case=OuterRef("pk"),
        completed_at__isnull=True,
        suspended_at__isnull=True,
        due_at__lte=now,
    )


OFFICE_QUEUES = ("to_accept", "to_dispatch", "returned", "to_review", "to_callback", "overdue")
UNIT_QUEUES = ("to_sign", "to_handle", "to_approve", "unit_overdue")


def queues_for(*, user) -> list[str]:
    roles = user.roles
    codes: list[str] = []
    if roles & OFFICE_ROLES:
        codes += OFFICE_QUEUES
    if Role.OFFICE_DIRECTOR in roles:
        codes.append("to_sign_off")
    if roles & {Role.LEADER} and "overdue" not in codes:
        codes.append("overdue")
    if roles & {Role.UNIT_LIAISON, Role.HANDLER, Role.UNIT_HEAD}:
        codes += [c for c in UNIT_QUEUES if c != "to_approve" or Role.UNIT_HEAD in roles]
    return codes


# --- the case page --------------------------------------------------------------------------


def case_assignments(*, case: Case) -> list[Assignment]:
    return list(
        case.assignments.select_related("unit", "handler")
        .prefetch_related(Prefetch("deadlines", queryset=Deadline.objects.order_by("started_at")))
        .order_by("id")
    )


def case_open_deadlines(
    *, case: Case, now: datetime | None = None, warning_share=None
) -> list[dict]:
    """The running clocks with their colour (normal / warning / overdue)."""
    now = now or timezone.now()
    share = case_settings().warning_share if warning_share is None else warning_share
    rows = []
    for deadline in case.deadlines.filter(completed_at__isnull=True).select_related(
        "assignment__unit"
    ):
        rows.append(
            {
                "deadline": deadline,
                "status": deadline_colour(deadline=deadline, now=now, warning_share=share),
            }
        )
    return rows


def case_timeline(*, case: Case, user) -> list[dict]:
    """The case's events, oldest first, each with its label in the reader's language; a unit
    role sees the events of the whole case but only its own units' internal notes. Events of
    cases merged into this one are shown too."""
    merged_ids = list(case.merged_cases.values_list("pk", flat=True))
    events = CaseEvent.objects.filter(case_id__in=[case.pk, *merged_ids]).select_related(
        "actor_unit", "assignment__unit", "case"
    )
    scope = user_scope(user=user)
    office = is_office(user)
    rows = []
    for event in events:
        if not office and "original_name" in (event.data or {}):
            # A file's name may identify the complainant; outside the office the timeline says
            # that a file was added, and the attachment list shows the files the reader may see.
            event.data = {k: v for k, v in event.data.items() if k != "original_name"}
        private_to_unit = event.code in {
            "case.progress",
            "case.head_rejected",
            "case.reply_to_head",
        }
        if (
            private_to_unit
            and not scope.view_all
            and event.assignment
            and event.assignment.unit_id not in scope.view_unit_ids
        ):
            continue
        rows.append(
            {
                "event": event,
                "label": EVENT_LABELS.get(event.code, event.code),
                "merged_from": event.case.number if event.case_id != case.pk else "",
            }
        )
    return rows


def case_links(*, case: Case, user) -> list[CaseLink]:
    visible = case_visible_q(user=user)
    linked = Case.objects.filter(visible).values("pk")
    return list(
        CaseLink.objects.filter(
            Q(from_case=case, to_case__in=linked) | Q(to_case=case, from_case__in=linked)
        ).select_related("from_case", "to_case")
    )


def case_attachments(*, case: Case, user) -> list[Attachment]:
    """Office roles see every attachment. Everyone else sees only the files released to the
    handling units and the files units added (leaders: every unit's; unit roles: their own
    units'): an unreleased original may identify the complainant."""
    qs = case.attachments.select_related("uploaded_by", "assignment")
    scope = user_scope(user=user)
    if is_office(user):
        return list(qs)
    if scope.view_all:
        return list(qs.filter(Q(releasable=True) | Q(assignment__isnull=False)))
    return list(
        qs.filter(Q(releasable=True) | Q(assignment__unit_id__in=sorted(scope.view_unit_ids)))
    )


def case_actions(*, case: Case, user) -> set[str]:
    """The case-level actions the user may take now (for the screens)."""
    roles = user.roles
    scope = user_scope(user=user)
    if not scope.view_all:
        return set()
    allowed = set()
    for action, t in CASE_TRANSITIONS.items():
        held = t.roles & roles
        if (
            held
            and (not (held - {Role.LEADER}) or scope.act_all)
            and case_action_allowed(action, status=case.status, roles=roles)
        ):
            allowed.add(action)
    return allowed


def assignment_actions(*, assignment: Assignment, user) -> set[str]:
    if not user_scope(user=user).can_act_unit(assignment.unit_id):
        return set()
    return {
        a
        for a in ASSIGNMENT_TRANSITIONS
        if assignment_action_allowed(a, status=assignment.status, roles=user.roles)
    }


# --- complainant protection -----------------------------------------------------------------


def mask_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        return ""
    return name[0] + "*" * max(len(name) - 1, 1)


def mask_phone(phone: str) -> str:
    digits = (phone or "").strip()
    if len(digits) < 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def mask_id_number(value: str) -> str:
    value = (value or "").strip()
    if len(value) < 8:
        return "*" * len(value)
    return value[:2] + "*" * (len(value) - 4) + value[-2:]


def mask_address(value: str) -> str:
    value = (value or "").strip()
    return (value[:3] + "***") if value else ""


def complainant_masked(*, case: Case) -> dict:
    """The complainant as every screen shows it by default: name hidden, phone masked."""
    person = case.complainant
    if person.anonymous:
        return {"anonymous": True}
    return {
        "anonymous": False,
        "name": mask_name(person.name),
        "phone": mask_phone(person.phone),
        "id_number": mask_id_number(person.id_number),
        "address": mask_address(person.address),
    }


# --- duplicates -----------------------------------------------------------------------------

SIMILARITY = 0.6


def _similar(a: str, b: str) -> float:
    return SequenceMatcher(None, a[:400], b[:400], autojunk=False).ratio()


def case_find_duplicates(*, case: Case, limit: int = 5) -> list[Case]:
    """Open cases that the new case may repeat: the same complainant (phone or ID number), or
    the same unit complained about with very similar text, within the configured window."""
    since = case.registered_at - timedelta(days=case_settings().duplicate_window_days)
    open_cases = Case.objects.filter(status__in=OPEN_STATUSES, registered_at__gte=since).exclude(
        pk=case.pk
    )
    person = case.complainant
    found: dict[int, Case] = {}
    if not person.anonymous:
        same_person = same_complainant_q(phone=person.phone, id_number=person.id_number)
        if same_person:
            for other in open_cases.filter(same_person).order_by("-registered_at")[:limit]:
                found[other.pk] = other
    unit_ids = list(case.subject_units.values_list("pk", flat=True))
    if unit_ids:
        text = f"{case.summary}\n{case.content}"
        candidates = (
            open_cases.filter(subject_units__in=unit_ids)
            .distinct()
            .order_by("-registered_at")[:200]
        )
        for other in candidates:
            if (
                other.pk not in found
                and _similar(text, f"{other.summary}\n{other.content}") >= SIMILARITY
            ):
                found[other.pk] = other
    return sorted(found.values(), key=lambda c: c.registered_at, reverse=True)[:limit]


def assignment_open_for(
    *, case: Case, user, assignments: list[Assignment] | None = None
) -> list[Assignment]:
    """The user's units' current parts in the case (``assignments``: the case's parts when
    the caller has read them already)."""
    scope = user_scope(user=user)
    if assignments is None:
        assignments = case_assignments(case=case)
    return [
        a for a in assignments if a.unit_id in scope.act_unit_ids and a.status in ASSIGNMENT_OPEN
    ]


# --- scoped single records ------------------------------------------------------------------


def assignment_get(*, user, pk: int) -> Assignment:
    """An assignment of one of the units the user acts for, else 404."""
    scope = user_scope(user=user)
    qs = scope.filter(
        Assignment.objects.select_related("case", "unit", "handler"), "unit", act=True
    )
    try:
        return qs.get(pk=pk)
    except (Assignment.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def extension_request_get(*, user, pk: int) -> ExtensionRequest:
    """An extension request of a case the user may see, else 404."""
    visible = Case.objects.filter(case_visible_q(user=user)).values("pk")
    try:
        return ExtensionRequest.objects.select_related(
            "deadline__case", "deadline__assignment__unit", "requested_by"
        ).get(pk=pk, deadline__case__in=visible)
    except (ExtensionRequest.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def case_return_get(*, user, pk: int) -> CaseReturn:
    """A unit's return (退单) of a case the user may see, else 404."""
    visible = Case.objects.filter(case_visible_q(user=user)).values("pk")
    try:
        return CaseReturn.objects.select_related(
            "assignment__case", "assignment__unit", "requested_by"
        ).get(pk=pk, assignment__case__in=visible)
    except (CaseReturn.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def case_get_by_number(*, user, number: str) -> Case | None:
    """The case with this register number if the user may see it (link and merge forms)."""
    number = (number or "").strip().upper()
    if not number:
        return None
    return Case.objects.filter(case_visible_q(user=user), number=number).first()


def category_list() -> list:
    """Every category (active or not), in the order the screens show them."""
    from xiaoneng.cases.models import Category

    return list(Category.objects.order_by("order", "code"))


def category_get_by_code(*, code: str):
    """The category with this code (any case, e.g. ``twcp``), or None."""
    from xiaoneng.cases.models import Category

    code = (code or "").strip().upper()
    return Category.objects.filter(code=code).first() if code else None


# --- who may take an action at all (role and scope, whatever the state) ---------------------


def case_action_permitted(*, user, action: str) -> bool:
    """Whether the user holds a role for this case-level action with the scope it needs. The
    state is left to the service, so that a stale page gets a clear message, not a 404."""
    t = CASE_TRANSITIONS[action]
    held = t.roles & user.roles
    scope = user_scope(user=user)
    if not held or not scope.view_all:
        return False
    return not (held - {Role.LEADER}) or scope.act_all


def assignment_action_permitted(*, user, assignment: Assignment, action: str) -> bool:
    t = ASSIGNMENT_TRANSITIONS[action]
    return bool(t.roles & user.roles) and user_scope(user=user).can_act_unit(assignment.unit_id)


# --- what the forms offer ------------------------------------------------------------------


def case_returns_pending(*, case: Case) -> list[CaseReturn]:
    """Returns of the case still waiting for the office's ruling."""
    return list(
        CaseReturn.objects.filter(
            assignment__case=case,
            assignment__status=AssignmentStatus.RETURN_REQUESTED,
            ruling="",
        )
        .select_related("assignment__unit", "requested_by")
        .order_by("requested_at", "id")
    )


def extension_requests_pending(*, case: Case) -> list[ExtensionRequest]:
    return list(
        ExtensionRequest.objects.filter(deadline__case=case, status=RequestStatus.PENDING)
        .select_related("deadline__assignment__unit", "requested_by")
        .order_by("requested_at", "id")
    )


def milestones_open(*, case: Case) -> list[Milestone]:
    return list(case.milestones.filter(done_at__isnull=True).order_by("due_on", "id"))


def case_co_assignments(*, case: Case) -> list[Assignment]:
    """The co-handling units' parts that have replied (those a redo may reopen)."""
    return list(
        case.assignments.filter(
            role=AssignmentRole.CO,
            status__in=[AssignmentStatus.REPLIED, AssignmentStatus.CONCLUDED],
        )
        .select_related("unit")
        .order_by("id")
    )


def unit_handlers(*, unit_id: int) -> list[User]:
    """Active members of a unit who may handle its cases."""
    people: dict[int, User] = {}
    for role in (Role.HANDLER, Role.UNIT_LIAISON, Role.UNIT_HEAD):
        for person in users_with_role(role=role, unit_id=unit_id).select_related("unit"):
            people[person.pk] = person
    return sorted(people.values(), key=lambda u: (u.name, u.pk))


def responsible_leaders() -> list[User]:
    """Who may be the responsible leader of a major issue (包案领导)."""
    people: dict[int, User] = {}
    for role in (Role.LEADER, Role.OFFICE_DIRECTOR):
        for person in users_with_role(role=role).select_related("unit"):
            people[person.pk] = person
    return sorted(people.values(), key=lambda u: (u.name, u.pk))


def case_unit_members(*, case: Case) -> list[User]:
    """Active accounts of the units that handle or handled the case (accountability)."""
    current = case.assignments.exclude(status=AssignmentStatus.WITHDRAWN)
    unit_ids = sorted(set(current.values_list("unit_id", flat=True)))
    if not unit_ids:
        return []
    return list(
        User.objects.filter(is_active=True)
        .filter(Q(unit_id__in=unit_ids) | Q(additional_units__id__in=unit_ids))
        .select_related("unit")
        .distinct()
        .order_by("unit__order", "unit__code", "name")
    )


# --- rows and related records of the screens -------------------------------------------------

# --- rows of the queues and the list --------------------------------------------------------

_SEVERITY = {DeadlineStatus.OVERDUE: 2, DeadlineStatus.WARNING: 1, DeadlineStatus.NORMAL: 0}


def case_rows(*, cases: list[Case], user, now: datetime | None = None) -> list[dict]:
    """Each case with the units complained about, the units handling it and its most urgent
    open deadline (for unit roles, the most urgent of their own units' deadlines), in a fixed
    number of queries."""
    now = now or timezone.now()
    scope = user_scope(user=user)
    open_deadlines = Deadline.objects.filter(completed_at__isnull=True).order_by("due_at", "id")
    if not scope.view_all:
        open_deadlines = open_deadlines.filter(assignment__unit_id__in=sorted(scope.view_unit_ids))
    prefetch_related_objects(
        cases,
        "subject_units",
        Prefetch(
            "assignments",
            queryset=Assignment.objects.exclude(status=AssignmentStatus.WITHDRAWN)
            .select_related("unit")
            .order_by("id"),
            to_attr="current_assignments",
        ),
        Prefetch("deadlines", queryset=open_deadlines, to_attr="open_deadlines"),
    )
    share = case_settings().warning_share
    rows = []
    for case in cases:
        worst = None
        for deadline in case.open_deadlines:
            status = DeadlineStatus(
                deadline_colour(deadline=deadline, now=now, warning_share=share)
            )
            key = (_SEVERITY[status], -deadline.due_at.timestamp())
            if worst is None or key > worst[0]:
                worst = (key, deadline_row(deadline, status))
        rows.append({"case": case, "deadline": worst[1] if worst else None})
    return rows


def deadline_row(deadline: Deadline, status: DeadlineStatus | None) -> dict:
    """A deadline as the screens show it: its colour (None once completed) and its last day
    (for working and calendar days) or its due time (for hours)."""
    by_hours = deadline.unit == DeadlineUnit.HOURS
    return {
        "deadline": deadline,
        "status": status,
        "last_day": None if by_hours else due_day(due=deadline.due_at),
        "due_time": deadline.due_at if by_hours else None,
    }


def case_filter(cases: QuerySet[Case], data: dict) -> QuerySet[Case]:
    """``cases`` narrowed by the list's filters (channel, category, a register number or the
    text search of the ledger)."""
    if data.get("channel"):
        cases = cases.filter(channel=data["channel"])
    if data.get("category"):
        cases = cases.filter(category=data["category"])
    return cases.filter(text_q(data.get("q") or ""))


def case_related(*, case: Case, user) -> dict:
    """What the case page shows beside the case itself, limited to what the user may see:
    unit roles see only their own units' returns, extension requests and accountability
    decisions."""
    scope = user_scope(user=user)
    own_units = sorted(scope.view_unit_ids)
    extensions = ExtensionRequest.objects.filter(deadline__case=case).select_related(
        "deadline__assignment__unit", "requested_by", "decided_by"
    )
    returns = CaseReturn.objects.filter(assignment__case=case).select_related(
        "assignment__unit", "requested_by", "ruled_by"
    )
    accountabilities = Accountability.objects.filter(case=case).select_related("unit", "person")
    if not scope.view_all:
        extensions = extensions.filter(deadline__assignment__unit_id__in=own_units)
        returns = returns.filter(assignment__unit_id__in=own_units)
        accountabilities = accountabilities.filter(unit_id__in=own_units)
    return {
        "subject_units": list(case.subject_units.all()),
        "callbacks": list(case.callbacks.select_related("called_by")),
        "supervision_notices": list(case.supervision_notices.select_related("issued_by")),
        "extension_requests": list(extensions),
        "returns": list(returns),
        "accountabilities": list(accountabilities),
        "milestones": list(case.milestones.all()),
        "instructions": list(case.instructions.select_related("leader")),
        "merged_cases": list(
            case.merged_cases.filter(case_visible_q(user=user)).order_by("registered_at")
        ),
    }


def saved_view_list(*, user) -> list:
    from xiaoneng.cases.models import SavedView

    return list(SavedView.objects.filter(user=user).order_by("name"))
