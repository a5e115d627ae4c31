"""Every state change of a case. Each service is keyword-only, runs in one transaction, locks
the case (``select_for_update``) and checks its version, enforces the transition table and
the actor's role and unit scope, writes the timeline event and the notifications, and writes
its audit row last (the audit chain's lock is held until commit)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from xiaoneng.audit.services import audit_log, audit_view_protected
from xiaoneng.cases import deadlines as clocks
from xiaoneng.cases import search
from xiaoneng.cases.choices import (
    ASSIGNMENT_OPEN,
    AccountabilityKind,
    AssignmentRole,
    AssignmentStatus,
    AttachmentKind,
    CaseStatus,
    Channel,
    DispatchMode,
    Finding,
    LinkKind,
    RequestStatus,
    ReturnRuling,
    Satisfaction,
    Solved,
    Stage,
    SupervisionLevel,
    Urgency,
)
from xiaoneng.cases.figures import figures_refresh
from xiaoneng.cases.models import (
    Accountability,
    Assignment,
    Callback,
    Case,
    CaseEvent,
    CaseLink,
    CaseReturn,
    CaseSequence,
    CaseSettings,
    Category,
    Complainant,
    Deadline,
    ExtensionRequest,
    Instruction,
    Milestone,
    SavedView,
    SupervisionNotice,
    TimeLimit,
)
from xiaoneng.cases.protection import Identity, scrub_identity
from xiaoneng.cases.transitions import ASSIGNMENT_TRANSITIONS, CASE_TRANSITIONS
from xiaoneng.notifications.services import notify
from xiaoneng.org.choices import Role
from xiaoneng.org.models import Unit, User
from xiaoneng.org.selectors import user_scope, users_with_role
from xiaoneng.org.services import ConflictError

NUMBER_PREFIX = "XN"


class CaseActionDenied(PermissionDenied):
    """The actor may not take this action on this case (views answer 404)."""


class InvalidTransition(ValidationError):
    """The action is not possible in the case's current state."""


# --- helpers ---------------------------------------------------------------------------------


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


def _lock_case(case: Case | int, version: int | None) -> Case:
    pk = case.pk if isinstance(case, Case) else case
    locked = Case.objects.select_for_update().get(pk=pk)
    if version is not None and locked.version != version:
        raise ConflictError(
            _(
                "Someone else acted on this case while you were looking at it. Reload the page "
                "to see what changed, then try again."
            ),
            code="conflict",
        )
    return locked


def _bump(case: Case, *fields: str) -> None:
    case.version = F("version") + 1
    case.save(update_fields=[*fields, "version"])
    case.refresh_from_db(fields=["version"])


def _check_case(action: str, case: Case, actor: User) -> str | None:
    """Role, scope and state for a case-level action; returns the target state. Leaders
    (instructions) need to see every unit; every other role here must act on every unit."""
    t = CASE_TRANSITIONS[action]
    scope = user_scope(user=actor)
    held = t.roles & actor.roles
    if not held or not scope.view_all or (held - {Role.LEADER} and not scope.act_all):
        raise CaseActionDenied(action)
    if case.status not in t.sources:
        raise InvalidTransition(
            _("This action is not possible while the case is “%(status)s”.")
            % {"status": CaseStatus(case.status).label},
            code="invalid_transition",
        )
    return t.target


def _check_assignment(action: str, assignment: Assignment, actor: User) -> str | None:
    t = ASSIGNMENT_TRANSITIONS[action]
    if not (t.roles & actor.roles) or not user_scope(user=actor).can_act_unit(assignment.unit_id):
        raise CaseActionDenied(action)
    if assignment.status not in t.sources:
        raise InvalidTransition(
            _("This action is not possible while the unit's part is “%(status)s”.")
            % {"status": AssignmentStatus(assignment.status).label},
            code="invalid_transition",
        )
    return t.target


def _event(
    case: Case,
    code: str,
    actor: User | None,
    *,
    at: datetime,
    assignment=None,
    data: dict | None = None,
    public: bool = False,
) -> CaseEvent:
    return CaseEvent.objects.create(
        case=case,
        assignment=assignment,
        code=code,
        actor=actor,
        actor_name=actor.name if actor else "",
        actor_unit=actor.unit if actor else None,
        created_at=at,
        data=data or {},
        public=public,
    )


def _audit(action: str, actor: User | None, case: Case, data: dict | None = None, unit=None):
    """The last step of every case service: the statistics' sums follow the case in the same
    transaction, and the audit row records the action."""
    figures_refresh(case_ids=[case.pk])
    audit_log(
        action=f"cases.case.{action}",
        actor=actor,
        obj=case,
        unit=unit,
        data={"number": case.number, **(data or {})},
    )


def _url(case: Case) -> str:
    return f"/cases/{case.pk}/"


def _unit_staff(unit_id: int, roles: Iterable[str]) -> list[User]:
    people: dict[int, User] = {}
    for role in roles:
        for user in users_with_role(role=role, unit_id=unit_id):
            people[user.pk] = user
    return list(people.values())


def _office(*roles: str) -> list[User]:
    people: dict[int, User] = {}
    for role in roles:
        for user in users_with_role(role=role):
            people[user.pk] = user
    return list(people.values())


def _notify(recipients: Iterable[User], code: str, case: Case, **params) -> None:
    recipients = [r for r in recipients if r is not None]
    if recipients:
        notify(
            recipients=recipients,
            code=code,
            params={"number": case.number, **params},
            url=_url(case),
        )


def _lead(case: Case) -> Assignment | None:
    return (
        case.assignments.exclude(status=AssignmentStatus.WITHDRAWN)
        .filter(role__in=[AssignmentRole.LEAD, AssignmentRole.SOLE])
        .order_by("-id")
        .first()
    )


def _required(value: str, field: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: message})
    return value


# --- registration (挂号) ----------------------------------------------------------------------


@dataclass(frozen=True)
class ComplainantData:
    anonymous: bool = False
    name: str = ""
    phone: str = ""
    id_number: str = ""
    address: str = ""
    email: str = ""


def _next_number(year: int) -> tuple[int, str]:
    """The next register number of ``year``, gap-free: the row is locked until commit, so a
    rolled-back registration gives its number back and concurrent ones queue."""
    seq = CaseSequence.objects.select_for_update().filter(year=year).first()
    if seq is None:  # the year's first case
        try:
            with transaction.atomic():
                CaseSequence.objects.create(year=year)
        except IntegrityError:
            pass  # created by a concurrent registration; lock it below
        seq = CaseSequence.objects.select_for_update().get(year=year)
    seq.last += 1
    seq.save(update_fields=["last"])
    return seq.last, f"{NUMBER_PREFIX}-{year}-{seq.last:06d}"


@transaction.atomic
def case_register(
    *,
    actor: User | None,
    channel: str,
    category: Category,
    summary: str,
    content: str,
    complainant: ComplainantData,
    urgency: str = Urgency.NORMAL,
    subject_units: Sequence[Unit] = (),
    subject_persons: str = "",
    place: str = "",
    occurred_on: date | None = None,
    reply_wanted: bool = True,
    reply_method: str = "",
    service_account: bool = False,
    now: datetime | None = None,
) -> Case:
    """Register a case (挂号) from any channel and start the acceptance clock. A case that
    may repeat an open one is flagged and linked. ``service_account`` is set by the caller
    that authenticated an API client (Open311): ``actor`` is then that client's own account,
    which holds no role and registers on the API channel only."""
    now = _now(now)
    # Staff register as intake clerks; the portal registers without a staff account; an API
    # client registers through its service account.
    if (
        actor is not None
        and not actor.has_role(Role.INTAKE_CLERK)
        and not (service_account and channel == Channel.API and not actor.roles)
    ):
        raise CaseActionDenied("register")
    if channel not in Channel.values:
        raise ValidationError({"channel": _("Choose a channel.")})
    if urgency not in Urgency.values:
        raise ValidationError({"urgency": _("Choose an urgency.")})
    if not category.is_active:
        raise ValidationError({"category": _("This category is no longer in use.")})
    summary = _required(summary, "summary", _("Give the complaint a short summary."))
    content = _required(content, "content", _("Describe what happened."))
    if not complainant.anonymous and not (complainant.name.strip() or complainant.phone.strip()):
        raise ValidationError(
            {
                "complainant_name": _(
                    "Give the complainant's name or phone number, or mark the complaint anonymous."
                )
            }
        )
    if any(not u.is_active for u in subject_units):
        raise ValidationError({"subject_units": _("A unit complained about is deactivated.")})
    if reply_wanted and complainant.anonymous and reply_method not in ("", "portal"):
        raise ValidationError(
            {"reply_method": _("An anonymous complainant can only be answered on the portal.")}
        )

    fields = (
        {}
        if complainant.anonymous
        else {
            "name": complainant.name.strip(),
            "phone": complainant.phone.strip(),
            "id_number": complainant.id_number.strip().upper(),
            "address": complainant.address.strip(),
            "email": complainant.email.strip(),
        }
    )
    # The complaint's own words go to the unit complained about: the identity is masked in them
    # (the office reveals it from the complainant's record).
    identity = Identity(**fields)
    summary, content, place, subject_persons = (
        scrub_identity(text, identity) for text in (summary, content, place, subject_persons)
    )
    year = now.astimezone(clocks.workdays.CALENDAR_TZ).year  # the register year in Beijing
    seq, number = _next_number(year)
    case = Case(
        number=number,
        year=year,
        seq=seq,
        channel=channel,
        category=category,
        urgency=urgency,
        summary=summary,
        content=content,
        place=place.strip(),
        occurred_on=occurred_on,
        subject_persons=subject_persons.strip(),
        reply_wanted=reply_wanted,
        reply_method=reply_method,
        registered_by=actor,
        registered_at=now,
        search_text=search.case_search_text(
            number=number,
            summary=summary,
            content=content,
            place=place,
            subject_persons=subject_persons,
        ),
    )
    case.full_clean(exclude=["registered_by"])
    case.save()
    case.subject_units.set(subject_units)
    person = Complainant(case=case, anonymous=complainant.anonymous, **fields)
    person.full_clean(exclude=["case"])
    person.save()
    clocks.deadline_start(case=case, stage=Stage.ACCEPTANCE, start=now)
    _event(case, "case.registered", actor, at=now, data={"channel": channel}, public=True)

    from xiaoneng.cases.selectors import case_find_duplicates

    duplicates = case_find_duplicates(case=case)
    if duplicates:
        Case.objects.filter(pk=case.pk).update(duplicate_flag=True)
        case.duplicate_flag = True
        for other in duplicates:
            CaseLink.objects.create(
                from_case=case,
                to_case=other,
                kind=LinkKind.DUPLICATE,
                created_by=None,
                created_at=now,
            )
        _event(
            case,
            "case.duplicate_flagged",
            None,
            at=now,
            data={"cases": [c.number for c in duplicates]},
        )
    _audit(
        "register", actor, case, {"channel": channel, "duplicates": [c.number for c in duplicates]}
    )
    return case


# --- acceptance (受理) -------------------------------------------------------------------------


@transaction.atomic
def case_accept(
    *, actor: User, case: Case, version: int | None = None, now: datetime | None = None
) -> Case:
    now = _now(now)
    case = _lock_case(case, version)
    case.status = _check_case("accept", case, actor)
    case.accepted_at = now
    _bump(case, "status", "accepted_at")
    clocks.deadlines_complete(case=case, stages={Stage.ACCEPTANCE}, at=now)
    _event(case, "case.accepted", actor, at=now, public=True)
    _notify(_office(Role.SUPERVISOR), "case.to_dispatch", case)
    _audit("accept", actor, case)
    return case


@transaction.atomic
def case_reject(
    *,
    actor: User,
    case: Case,
    reason: str,
    referral: str = "",
    version: int | None = None,
    now: datetime | None = None,
) -> Case:
    """Not accepted (不予受理): a reason is required and, where another body is competent,
    the referral."""
    now = _now(now)
    case = _lock_case(case, version)
    target = _check_case("reject", case, actor)
    case.not_accepted_reason = _required(
        reason, "reason", _("Give the reason for not accepting the case.")
    )
    case.referral = referral.strip()
    case.status, case.accepted_at, case.closed_at = target, now, now
    _bump(case, "status", "accepted_at", "closed_at", "not_accepted_reason", "referral")
    clocks.deadlines_complete(case=case, at=now)
    _event(
        case,
        "case.not_accepted",
        actor,
        at=now,
        data={"reason": case.not_accepted_reason, "referral": case.referral},
        public=True,
    )
    _audit("reject", actor, case, {"referral": case.referral})
    return case


# --- dispatch (交办) ---------------------------------------------------------------------------


@dataclass(frozen=True)
class UnitPart:
    unit: Unit
    part: str = ""
    amount: int | None = None  # working days for this unit's part; None: the stage's rule


def _create_assignment(case: Case, part: UnitPart, role: str, now: datetime) -> Assignment:
    if not part.unit.is_active:
        raise ValidationError({"units": _("%(unit)s is deactivated.") % {"unit": part.unit.name}})
    assignment = Assignment.objects.create(
        case=case, unit=part.unit, role=role, part=part.part.strip(), dispatched_at=now
    )
    clocks.deadline_start(case=case, stage=Stage.SIGNING, start=now, assignment=assignment)
    clocks.deadline_start(
        case=case,
        stage=Stage.HANDLING,
        start=now,
        assignment=assignment,
        amount=part.amount,
        unit=None,
    )
    return assignment


@transaction.atomic
def case_dispatch(
    *,
    actor: User,
    case: Case,
    mode: str,
    lead: UnitPart,
    co_units: Sequence[UnitPart] = (),
    supervision_level: str = "",
    supervision_text: str = "",
    supervision_days: int | None = None,
    version: int | None = None,
    now: datetime | None = None,
) -> Case:
    """Dispatch: investigate itself (查办, the office's own unit handles it), transfer (转办)
    to one unit, joint handling (联办) with a lead and co-units, or supervised handling (督办),
    a transfer under a supervision notice."""
    now = _now(now)
    case = _lock_case(case, version)
    target = _check_case("dispatch", case, actor)
    if mode not in DispatchMode.values:
        raise ValidationError({"mode": _("Choose a dispatch mode.")})
    if mode == DispatchMode.JOINT and not co_units:
        raise ValidationError(
            {"co_units": _("Joint handling needs at least one co-handling unit.")}
        )
    if mode != DispatchMode.JOINT and co_units:
        raise ValidationError({"co_units": _("Only joint handling has co-handling units.")})
    unit_ids = [lead.unit.pk, *(p.unit.pk for p in co_units)]
    if len(set(unit_ids)) != len(unit_ids):
        raise ValidationError({"co_units": _("Each unit can take only one part.")})
    if mode == DispatchMode.INVESTIGATE and actor.unit_id != lead.unit.pk:
        raise ValidationError(
            {"lead": _("When the office investigates itself, the handling unit is the office.")}
        )
    role = AssignmentRole.LEAD if mode == DispatchMode.JOINT else AssignmentRole.SOLE
    lead_assignment = _create_assignment(case, lead, role, now)
    for part in co_units:
        _create_assignment(case, part, AssignmentRole.CO, now)
    case.status, case.dispatch_mode, case.dispatched_at = target, mode, now
    _bump(case, "status", "dispatch_mode", "dispatched_at")
    _event(
        case,
        "case.dispatched",
        actor,
        at=now,
        public=True,
        data={"mode": mode, "lead": lead.unit.name, "co_units": [p.unit.name for p in co_units]},
    )
    for unit_id in unit_ids:
        _notify(_unit_staff(unit_id, [Role.UNIT_LIAISON, Role.UNIT_HEAD]), "case.dispatched", case)
    if mode == DispatchMode.SUPERVISED:
        _supervise(
            case,
            actor,
            level=supervision_level or SupervisionLevel.GENERAL,
            text=supervision_text,
            days=supervision_days,
            now=now,
        )
    _audit(
        "dispatch", actor, case, {"mode": mode, "units": unit_ids, "lead": lead_assignment.unit_id}
    )
    return case


def _supervise(
    case: Case, actor: User, *, level: str, text: str, days: int | None, now: datetime
) -> SupervisionNotice:
    if level not in SupervisionLevel.values:
        raise ValidationError({"supervision_level": _("Choose a supervision level.")})
    text = _required(text, "supervision_text", _("State what the supervision notice requires."))
    deadline = clocks.deadline_start(case=case, stage=Stage.SUPERVISION, start=now, amount=days)
    notice = SupervisionNotice.objects.create(
        case=case, level=level, text=text, due_at=deadline.due_at, issued_by=actor, issued_at=now
    )
    Case.objects.filter(pk=case.pk).update(is_supervised=True)
    case.is_supervised = True
    _event(
        case,
        "case.supervised",
        actor,
        at=now,
        data={"level": level, "due": deadline.due_at.isoformat()},
    )
    for assignment in case.assignments.filter(status__in=ASSIGNMENT_OPEN):
        _notify(
            _unit_staff(assignment.unit_id, [Role.UNIT_LIAISON, Role.UNIT_HEAD]),
            "case.supervised",
            case,
            level=level,
        )
    return notice


@transaction.atomic
def case_supervise(
    *,
    actor: User,
    case: Case,
    level: str,
    text: str,
    days: int | None = None,
    version: int | None = None,
    now: datetime | None = None,
) -> SupervisionNotice:
    """Issue a supervision notice (督办通知) on a case already being handled."""
    now = _now(now)
    case = _lock_case(case, version)
    _check_case("supervise", case, actor)
    notice = _supervise(case, actor, level=level, text=text, days=days, now=now)
    _bump(case, "is_supervised")
    _audit("supervise", actor, case, {"level": level})
    return notice


# --- the unit's work -------------------------------------------------------------------------


def _lock_assignment(assignment: Assignment | int, version: int | None) -> tuple[Assignment, Case]:
    pk = assignment.pk if isinstance(assignment, Assignment) else assignment
    case_id = Assignment.objects.values_list("case_id", flat=True).get(pk=pk)
    case = _lock_case(case_id, None)
    locked = Assignment.objects.select_for_update().select_related("unit").get(pk=pk)
    if version is not None and locked.version != version:
        raise ConflictError(
            _(
                "Someone else acted on this case while you were looking at it. Reload the page "
                "to see what changed, then try again."
            ),
            code="conflict",
        )
    return locked, case


def _save_assignment(assignment: Assignment, *fields: str) -> None:
    assignment.version = F("version") + 1
    assignment.save(update_fields=[*fields, "version"])
    assignment.refresh_from_db(fields=["version"])


@transaction.atomic
def assignment_sign(
    *,
    actor: User,
    assignment: Assignment,
    handler: User | None = None,
    version: int | None = None,
    now: datetime | None = None,
) -> Assignment:
    """The unit signs for its part (签收); the lead's (or sole unit's) signature starts the case."""
    now = _now(now)
    assignment, case = _lock_assignment(assignment, version)
    assignment.status = _check_assignment("sign", assignment, actor)
    assignment.signed_at = now
    if handler is None and actor.has_role(Role.HANDLER):
        handler = actor  # a handler who signs for the part handles it
    if handler is not None:
        _validate_handler(assignment, handler)
        assignment.handler = handler
    _save_assignment(assignment, "status", "signed_at", "handler")
    clocks.deadlines_complete(case=case, stages={Stage.SIGNING}, assignment=assignment, at=now)
    if case.status == CaseStatus.DISPATCHED and assignment.role != AssignmentRole.CO:
        case.status = CaseStatus.IN_PROGRESS
        _bump(case, "status")
    _event(
        case,
        "case.signed",
        actor,
        at=now,
        assignment=assignment,
        data={"unit": assignment.unit.name},
        public=assignment.role != AssignmentRole.CO,
    )
    if handler is not None and handler != actor:
        _notify([handler], "case.handler_assigned", case)
    _audit("sign", actor, case, {"unit": assignment.unit_id}, unit=assignment.unit)
    return assignment


def _validate_handler(assignment: Assignment, handler: User) -> None:
    if (
        not handler.is_active
        or not user_scope(user=handler).can_act_unit(assignment.unit_id)
        or not handler.has_role(Role.HANDLER, Role.UNIT_LIAISON, Role.UNIT_HEAD)
    ):
        raise ValidationError(
            {"handler": _("The handler must be an active member of the handling unit.")}
        )


@transaction.atomic
def assignment_assign_handler(
    *,
    actor: User,
    assignment: Assignment,
    handler: User,
    version: int | None = None,
    now: datetime | None = None,
) -> Assignment:
    now = _now(now)
    assignment, case = _lock_assignment(assignment, version)
    _check_assignment("assign_handler", assignment, actor)
    _validate_handler(assignment, handler)
    assignment.handler = handler
    _save_assignment(assignment, "handler")
    _event(
        case,
        "case.handler_assigned",
        actor,
        at=now,
        assignment=assignment,
        data={"handler": handler.name},
    )
    _notify([handler], "case.handler_assigned", case)
    _audit(
        "assign_handler",
        actor,
        case,
        {"unit": assignment.unit_id, "handler": handler.pk},
        unit=assignment.unit,
    )
    return assignment


@transaction.atomic
def assignment_progress(
    *, actor: User, assignment: Assignment, note: str, now: datetime | None = None
) -> CaseEvent:
    """Record progress (办理进展) on the unit's part."""
    now = _now(now)
    assignment, case = _lock_assignment(assignment, None)
    _check_assignment("progress", assignment, actor)
    note = _required(note, "note", _("Describe the progress."))
    event = _event(case, "case.progress", actor, at=now, assignment=assignment, data={"note": note})
    _audit("progress", actor, case, {"unit": assignment.unit_id}, unit=assignment.unit)
    return event


@transaction.atomic
def assignment_return(
    *,
    actor: User,
    assignment: Assignment,
    reason: str,
    version: int | None = None,
    now: datetime | None = None,
) -> CaseReturn:
    """The unit returns a case that is not its business (退单); the office rules on it."""
    now = _now(now)
    assignment, case = _lock_assignment(assignment, version)
    assignment.status = _check_assignment("return", assignment, actor)
    reason = _required(reason, "reason", _("Say why the case is not your unit's business."))
    assignment.return_reason = reason
    _save_assignment(assignment, "status", "return_reason")
    record = CaseReturn.objects.create(
        assignment=assignment, reason=reason, requested_by=actor, requested_at=now
    )
    Case.objects.filter(pk=case.pk).update(
        return_count=F("return_count") + 1, version=F("version") + 1
    )
    _event(
        case,
        "case.returned",
        actor,
        at=now,
        assignment=assignment,
        data={"unit": assignment.unit.name, "reason": reason},
    )
    _notify(
        _office(Role.SUPERVISOR, Role.OFFICE_DIRECTOR),
        "case.returned",
        case,
        unit=assignment.unit.name,
    )
    _audit("return", actor, case, {"unit": assignment.unit_id}, unit=assignment.unit)
    return record


@transaction.atomic
def case_return_rule(
    *,
    actor: User,
    case_return: CaseReturn,
    ruling: str,
    note: str = "",
    new_unit: Unit | None = None,
    new_amount: int | None = None,
    now: datetime | None = None,
) -> CaseReturn:
    """The office's ruling on a return: re-dispatch the part to another unit, or insist that
    the unit keeps it (arbitration)."""
    now = _now(now)
    record = CaseReturn.objects.select_for_update().get(pk=case_return.pk)
    assignment, case = _lock_assignment(record.assignment_id, None)
    _check_case("ruling", case, actor)
    if record.ruling or assignment.status != AssignmentStatus.RETURN_REQUESTED:
        raise InvalidTransition(
            _("This return has already been ruled on."), code="invalid_transition"
        )
    if ruling not in ReturnRuling.values:
        raise ValidationError({"ruling": _("Choose a ruling.")})
    record.ruling, record.ruled_by, record.ruled_at, record.ruling_note = (
        ruling,
        actor,
        now,
        note.strip(),
    )
    record.save(update_fields=["ruling", "ruled_by", "ruled_at", "ruling_note"])
    if ruling == ReturnRuling.INSIST:
        assignment.status = (
            AssignmentStatus.IN_PROGRESS if assignment.signed_at else AssignmentStatus.PENDING_SIGN
        )
        _save_assignment(assignment, "status")
        _notify(
            _unit_staff(assignment.unit_id, [Role.UNIT_LIAISON, Role.UNIT_HEAD]),
            "case.return_refused",
            case,
        )
        data = {"unit": assignment.unit.name, "ruling": ruling}
    else:
        if new_unit is None:
            raise ValidationError({"new_unit": _("Choose the unit that takes the case over.")})
        if (
            new_unit.pk == assignment.unit_id
            or case.assignments.filter(unit=new_unit, status__in=ASSIGNMENT_OPEN).exists()
        ):
            raise ValidationError({"new_unit": _("That unit already has a part in this case.")})
        assignment.status = AssignmentStatus.WITHDRAWN
        _save_assignment(assignment, "status")
        clocks.deadlines_complete(case=case, assignment=assignment, at=now)
        replacement = _create_assignment(
            case, UnitPart(new_unit, assignment.part, new_amount), assignment.role, now
        )
        if assignment.role != AssignmentRole.CO and case.status == CaseStatus.IN_PROGRESS:
            case.status = CaseStatus.DISPATCHED
            _bump(case, "status")
        _notify(
            _unit_staff(new_unit.pk, [Role.UNIT_LIAISON, Role.UNIT_HEAD]), "case.dispatched", case
        )
        data = {"unit": assignment.unit.name, "ruling": ruling, "new_unit": replacement.unit.name}
    _event(
        case, f"case.return_{ruling}", actor, at=now, assignment=assignment, data=data, public=False
    )
    _audit(
        "return_rule",
        actor,
        case,
        {
            "ruling": ruling,
            "unit": assignment.unit_id,
            "new_unit": new_unit.pk if new_unit else None,
        },
    )
    return record


@transaction.atomic
def assignment_reply(
    *,
    actor: User,
    assignment: Assignment,
    reply_text: str,
    finding: str = "",
    measures: str = "",
    version: int | None = None,
    now: datetime | None = None,
) -> Assignment:
    """The unit submits its reply (办结上报). A co-unit's reply concludes its part; the lead's
    (or sole unit's) reply, which needs every co-unit's part first, concludes the case and goes
    to the office for review — through the unit head first where that is configured."""
    now = _now(now)
    assignment, case = _lock_assignment(assignment, version)
    _check_assignment("reply", assignment, actor)
    assignment.reply_text = _required(reply_text, "reply_text", _("Write the reply."))
    is_lead = assignment.role != AssignmentRole.CO
    if is_lead:
        if finding not in Finding.values:
            raise ValidationError({"finding": _("State whether the complaint was substantiated.")})
        pending = case.assignments.filter(role=AssignmentRole.CO, status__in=ASSIGNMENT_OPEN)
        if pending.exists():
            raise ValidationError(
                _("The co-handling units have not all replied yet: %(units)s.")
                % {"units": "、".join(a.unit.name for a in pending.select_related("unit"))},
                code="co_units_pending",
            )
    assignment.finding, assignment.measures = finding, measures.strip()
    if clocks.case_settings().unit_head_approval:
        assignment.status = AssignmentStatus.AWAITING_HEAD
        _save_assignment(assignment, "status", "reply_text", "finding", "measures")
        _event(case, "case.reply_to_head", actor, at=now, assignment=assignment)
        _notify(_unit_staff(assignment.unit_id, [Role.UNIT_HEAD]), "case.head_approval", case)
        _audit(
            "reply",
            actor,
            case,
            {"unit": assignment.unit_id, "to_head": True},
            unit=assignment.unit,
        )
        return assignment
    _conclude_part(case, assignment, actor, now)
    _audit(
        "reply", actor, case, {"unit": assignment.unit_id, "finding": finding}, unit=assignment.unit
    )
    return assignment


def _conclude_part(case: Case, assignment: Assignment, actor: User, now: datetime) -> None:
    assignment.status, assignment.replied_at = AssignmentStatus.REPLIED, now
    _save_assignment(assignment, "status", "replied_at", "reply_text", "finding", "measures")
    clocks.deadlines_complete(
        case=case, stages={Stage.HANDLING, Stage.SIGNING}, assignment=assignment, at=now
    )
    _event(
        case,
        "case.replied",
        actor,
        at=now,
        assignment=assignment,
        data={"unit": assignment.unit.name},
    )
    if assignment.role == AssignmentRole.CO:
        lead = _lead(case)
        if lead is not None:
            _notify(
                _unit_staff(lead.unit_id, [Role.UNIT_LIAISON])
                + ([lead.handler] if lead.handler else []),
                "case.co_replied",
                case,
                unit=assignment.unit.name,
            )
        return
    case.status, case.concluded_at = CaseStatus.REPLIED, now
    case.finding, case.measures, case.reply_text = (
        assignment.finding,
        assignment.measures,
        assignment.reply_text,
    )
    _bump(case, "status", "concluded_at", "finding", "measures", "reply_text")
    clocks.deadlines_complete(case=case, stages={Stage.SUPERVISION}, at=now)
    clocks.deadline_start(case=case, stage=Stage.REVIEW, start=now)
    _event(case, "case.concluded", actor, at=now, assignment=assignment, public=True)
    _notify(_office(Role.SUPERVISOR), "case.to_review", case)


@transaction.atomic
def assignment_head_decide(
    *,
    actor: User,
    assignment: Assignment,
    approve: bool,
    note: str = "",
    version: int | None = None,
    now: datetime | None = None,
) -> Assignment:
    """The unit head signs off the reply, or sends it back within the unit."""
    now = _now(now)
    assignment, case = _lock_assignment(assignment, version)
    _check_assignment("head_approve" if approve else "head_reject", assignment, actor)
    if approve:
        _event(case, "case.head_approved", actor, at=now, assignment=assignment)
        _conclude_part(case, assignment, actor, now)
    else:
        note = _required(note, "note", _("Say what the reply lacks."))
        assignment.status = AssignmentStatus.IN_PROGRESS
        _save_assignment(assignment, "status")
        _event(
            case, "case.head_rejected", actor, at=now, assignment=assignment, data={"note": note}
        )
        _notify(
            [assignment.handler]
            if assignment.handler
            else _unit_staff(assignment.unit_id, [Role.UNIT_LIAISON]),
            "case.head_rejected",
            case,
        )
    _audit(
        "head_decide",
        actor,
        case,
        {"unit": assignment.unit_id, "approve": approve},
        unit=assignment.unit,
    )
    return assignment


# --- the office's review, callback and close-out ---------------------------------------------


def _reopen_for_redo(
    case: Case,
    actor: User,
    now: datetime,
    *,
    units: Iterable[int] | None,
    reason: str,
    days: int | None,
) -> list[Assignment]:
    """Send the case back (退回重办): the lead (or sole) unit and the chosen co-units work again
    with a fresh handling clock."""
    assignments = list(
        case.assignments.filter(status__in=[AssignmentStatus.REPLIED, AssignmentStatus.CONCLUDED])
    )
    lead = [a for a in assignments if a.role != AssignmentRole.CO]
    chosen = [
        a for a in assignments if a.role == AssignmentRole.CO and a.unit_id in set(units or ())
    ]
    reopened = lead + chosen
    for assignment in reopened:
        assignment.status = AssignmentStatus.IN_PROGRESS
        _save_assignment(assignment, "status")
        clocks.deadline_start(
            case=case, stage=Stage.HANDLING, start=now, assignment=assignment, amount=days
        )
        recipients = _unit_staff(assignment.unit_id, [Role.UNIT_LIAISON]) + (
            [assignment.handler] if assignment.handler else []
        )
        _notify(recipients, "case.redo", case, reason=reason)
    case.status = CaseStatus.IN_PROGRESS
    case.redo_count = F("redo_count") + 1
    _bump(case, "status", "redo_count")
    case.refresh_from_db(fields=["redo_count"])
    return reopened


@transaction.atomic
def case_review(
    *,
    actor: User,
    case: Case,
    approve: bool,
    reason: str = "",
    redo_units: Iterable[int] | None = None,
    redo_days: int | None = None,
    version: int | None = None,
    now: datetime | None = None,
) -> Case:
    """The office reviews the concluded case (审核): pass, and the callback clock starts; or
    return it for redo with reasons."""
    now = _now(now)
    case = _lock_case(case, version)
    _check_case("review_pass" if approve else "review_return", case, actor)
    clocks.deadlines_complete(case=case, stages={Stage.REVIEW}, at=now)
    if approve:
        case.status, case.reviewed_at = CaseStatus.CALLBACK, now
        _bump(case, "status", "reviewed_at")
        case.assignments.filter(status=AssignmentStatus.REPLIED).update(
            status=AssignmentStatus.CONCLUDED
        )
        clocks.deadline_start(case=case, stage=Stage.CALLBACK, start=now)
        _event(case, "case.review_passed", actor, at=now, public=True)
    else:
        reason = _required(reason, "reason", _("Give the reasons for returning the case for redo."))
        _reopen_for_redo(case, actor, now, units=redo_units, reason=reason, days=redo_days)
        _event(case, "case.review_returned", actor, at=now, data={"reason": reason}, public=True)
    _audit("review", actor, case, {"approve": approve})
    return case


@transaction.atomic
def case_callback(
    *,
    actor: User,
    case: Case,
    satisfaction: str,
    solved: str = "",
    note: str = "",
    version: int | None = None,
    now: datetime | None = None,
) -> Callback:
    """Record the callback (回访): whether the problem was solved and, separately, whether the
    complainant is satisfied."""
    now = _now(now)
    case = _lock_case(case, version)
    _check_case("callback", case, actor)
    if satisfaction not in Satisfaction.values:
        raise ValidationError({"satisfaction": _("Record the complainant's satisfaction.")})
    if satisfaction != Satisfaction.UNREACHABLE and solved not in Solved.values:
        raise ValidationError({"solved": _("Record whether the problem was solved.")})
    callback = _record_callback(
        case, actor, satisfaction=satisfaction, solved=solved, note=note, now=now
    )
    _audit("callback", actor, case, {"satisfaction": satisfaction, "solved": solved})
    return callback


def _record_callback(
    case: Case,
    actor: User,
    *,
    satisfaction: str,
    solved: str,
    note: str,
    now: datetime,
    event_code: str = "case.callback",
    event_data: dict | None = None,
) -> Callback:
    """The callback's result on the locked ``case``, its callback clock stopped and its
    timeline entry written (the office's ``case_callback`` and the complainant's rating on
    the portal, ``xiaoneng.cases.public``)."""
    callback = Callback.objects.create(
        case=case,
        satisfaction=satisfaction,
        solved=solved,
        # Units read the notes: the complainant's identity is masked in them.
        note=scrub_identity(note.strip(), Identity.of(case.complainant)),
        called_by=actor,
        called_at=now,
    )
    case.satisfaction, case.solved, case.callback_at = satisfaction, solved, now
    _bump(case, "satisfaction", "solved", "callback_at")
    clocks.deadlines_complete(case=case, stages={Stage.CALLBACK}, at=now)
    _event(
        case,
        event_code,
        actor,
        at=now,
        data={**(event_data or {}), "satisfaction": satisfaction, "solved": solved},
        public=True,
    )
    return callback


@transaction.atomic
def case_redo(
    *,
    actor: User,
    case: Case,
    reason: str,
    units: Iterable[int] | None = None,
    days: int | None = None,
    version: int | None = None,
    now: datetime | None = None,
) -> Case:
    """Reopen a case after a dissatisfied callback (重办)."""
    now = _now(now)
    case = _lock_case(case, version)
    _check_case("redo", case, actor)
    if case.satisfaction != Satisfaction.DISSATISFIED:
        raise InvalidTransition(
            _("Only a case whose callback was dissatisfied is redone."), code="invalid_transition"
        )
    reason = _required(reason, "reason", _("Say what must be redone."))
    _reopen_for_redo(case, actor, now, units=units, reason=reason, days=days)
    _event(case, "case.redo", actor, at=now, data={"reason": reason}, public=True)
    _audit("redo", actor, case)
    return case


def _close(case: Case, actor: User, now: datetime, code: str) -> None:
    case.status, case.closed_at = CaseStatus.CLOSED, now
    _bump(case, "status", "closed_at", "close_explanation")
    clocks.deadlines_complete(case=case, at=now)
    case.assignments.filter(status__in=[AssignmentStatus.REPLIED]).update(
        status=AssignmentStatus.CONCLUDED
    )
    _event(case, code, actor, at=now, public=True)


@transaction.atomic
def case_close_out(
    *,
    actor: User,
    case: Case,
    explanation: str = "",
    version: int | None = None,
    now: datetime | None = None,
) -> Case:
    """Close the case out (销号) after the callback. A dissatisfied callback needs an
    explanation; a major issue needs the director's sign-off instead (``case_close_request``)."""
    now = _now(now)
    case = _lock_case(case, version)
    _check_case("close_out", case, actor)
    if case.is_major:
        raise InvalidTransition(
            _("A major issue is closed out only with the director's sign-off."),
            code="major_needs_signoff",
        )
    if not case.callback_at and case.reply_wanted and not case.complainant.anonymous:
        raise ValidationError(
            _("Call the complainant back before closing the case out."), code="no_callback"
        )
    if case.satisfaction == Satisfaction.DISSATISFIED:
        case.close_explanation = _required(
            explanation,
            "explanation",
            _("Explain why the case is closed although the complainant is dissatisfied."),
        )
    else:
        case.close_explanation = explanation.strip()
    _close(case, actor, now, "case.closed")
    _audit("close_out", actor, case, {"satisfaction": case.satisfaction})
    return case


@transaction.atomic
def case_close_request(
    *,
    actor: User,
    case: Case,
    explanation: str,
    version: int | None = None,
    now: datetime | None = None,
) -> Case:
    """Propose the close-out of a major issue to the director, with the evidence summary."""
    now = _now(now)
    case = _lock_case(case, version)
    target = _check_case("close_request", case, actor)
    if not case.is_major:
        raise InvalidTransition(
            _("Only a major issue needs the director's sign-off."), code="not_major"
        )
    if case.milestones.filter(done_at__isnull=True).exists():
        raise ValidationError(
            _("Every milestone must be reached before the close-out is proposed."),
            code="milestones_open",
        )
    if not case.attachments.filter(kind=AttachmentKind.EVIDENCE).exists():
        raise ValidationError(
            _("Attach the evidence that the issue is resolved."), code="no_evidence"
        )
    case.close_explanation = _required(
        explanation, "explanation", _("Summarise how the issue was resolved.")
    )
    case.status = target
    _bump(case, "status", "close_explanation")
    _event(case, "case.close_requested", actor, at=now)
    _notify(_office(Role.OFFICE_DIRECTOR), "case.close_signoff", case)
    _audit("close_request", actor, case)
    return case


@transaction.atomic
def case_close_signoff(
    *,
    actor: User,
    case: Case,
    approve: bool,
    note: str = "",
    version: int | None = None,
    now: datetime | None = None,
) -> Case:
    """The director signs off the close-out of a major issue (销号), or refuses it."""
    now = _now(now)
    case = _lock_case(case, version)
    _check_case("close_signoff" if approve else "close_refuse", case, actor)
    if approve:
        _close(case, actor, now, "case.close_signed")
    else:
        note = _required(note, "note", _("Say what is missing before the issue can be closed out."))
        case.status = CaseStatus.CALLBACK
        _bump(case, "status")
        _event(case, "case.close_refused", actor, at=now, data={"note": note})
    _audit("close_signoff", actor, case, {"approve": approve})
    return case


# --- clocks: suspension and extension --------------------------------------------------------


@transaction.atomic
def case_suspend(
    *, actor: User, case: Case, reason: str, version: int | None = None, now: datetime | None = None
) -> Case:
    """Suspend every clock of the case (中止), e.g. while waiting for the complainant."""
    now = _now(now)
    case = _lock_case(case, version)
    _check_case("suspend", case, actor)
    if case.suspended_at:
        raise InvalidTransition(_("The case is already suspended."), code="invalid_transition")
    case.suspend_reason = _required(
        reason, "reason", _("Give the reason for suspending the clock.")
    )
    case.suspended_at = now
    _bump(case, "suspended_at", "suspend_reason")
    clocks.deadlines_suspend(case=case, at=now)
    _event(case, "case.suspended", actor, at=now, data={"reason": case.suspend_reason}, public=True)
    _audit("suspend", actor, case)
    return case


@transaction.atomic
def case_resume(
    *, actor: User, case: Case, version: int | None = None, now: datetime | None = None
) -> Case:
    now = _now(now)
    case = _lock_case(case, version)
    _check_case("resume", case, actor)
    if not case.suspended_at:
        raise InvalidTransition(_("The case is not suspended."), code="invalid_transition")
    clocks.deadlines_resume(case=case, at=now)
    case.suspended_at, case.suspend_reason = None, ""
    _bump(case, "suspended_at", "suspend_reason")
    _event(case, "case.resumed", actor, at=now, public=True)
    _audit("resume", actor, case)
    return case


@transaction.atomic
def extension_request(
    *, actor: User, assignment: Assignment, amount: int, reason: str, now: datetime | None = None
) -> ExtensionRequest:
    """The unit asks for more handling time (延期申请)."""
    now = _now(now)
    assignment, case = _lock_assignment(assignment, None)
    _check_assignment("extension_request", assignment, actor)
    deadline = Deadline.objects.filter(
        assignment=assignment, stage=Stage.HANDLING, completed_at__isnull=True
    ).first()
    if deadline is None:
        raise InvalidTransition(
            _("There is no running handling deadline to extend."), code="no_deadline"
        )
    if ExtensionRequest.objects.filter(deadline=deadline, status=RequestStatus.PENDING).exists():
        raise InvalidTransition(
            _("An extension request is already waiting for a decision."), code="pending"
        )
    _check_extension_amount(deadline, amount)
    reason = _required(reason, "reason", _("Give the reason for the extension."))
    request = ExtensionRequest.objects.create(
        deadline=deadline, amount=amount, reason=reason, requested_by=actor, requested_at=now
    )
    _event(
        case,
        "case.extension_requested",
        actor,
        at=now,
        assignment=assignment,
        data={"days": amount},
    )
    _notify(_office(Role.OFFICE_DIRECTOR), "case.extension_requested", case, days=amount)
    _audit("extension_request", actor, case, {"days": amount}, unit=assignment.unit)
    return request


def _check_extension_amount(deadline: Deadline, amount: int) -> None:
    limit = clocks.case_settings().handling_limit_max
    if not isinstance(amount, int) or amount < 1:
        raise ValidationError({"amount": _("Ask for at least one working day.")})
    if deadline.amount + deadline.extended_by + amount > limit:
        raise ValidationError(
            {
                "amount": _("The handling time cannot exceed %(limit)s working days in all.")
                % {"limit": limit}
            }
        )


@transaction.atomic
def extension_decide(
    *,
    actor: User,
    request: ExtensionRequest,
    approve: bool,
    note: str = "",
    now: datetime | None = None,
) -> ExtensionRequest:
    """The office director approves or refuses an extension."""
    now = _now(now)
    request = (
        ExtensionRequest.objects.select_for_update().select_related("deadline").get(pk=request.pk)
    )
    case = _lock_case(request.deadline.case_id, None)
    _check_case("extension_decide", case, actor)
    if request.status != RequestStatus.PENDING:
        raise InvalidTransition(
            _("This request has already been decided."), code="invalid_transition"
        )
    deadline = Deadline.objects.select_for_update().get(pk=request.deadline_id)
    if approve:
        _check_extension_amount(deadline, request.amount)
        clocks.deadline_extend(deadline=deadline, amount=request.amount)
    elif not note.strip():
        raise ValidationError({"note": _("Give the reason for refusing.")})
    request.status = RequestStatus.APPROVED if approve else RequestStatus.REFUSED
    request.decided_by, request.decided_at, request.decision_note = actor, now, note.strip()
    request.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    _event(
        case,
        "case.extension_approved" if approve else "case.extension_refused",
        actor,
        at=now,
        assignment=deadline.assignment,
        data={"days": request.amount, "due": deadline.due_at.isoformat()},
    )
    _notify([request.requested_by], "case.extension_decided", case, approved=approve)
    _audit("extension_decide", actor, case, {"approve": approve, "days": request.amount})
    return request


# --- major issues, accountability, instructions, links ---------------------------------------


@transaction.atomic
def case_mark_major(
    *,
    actor: User,
    case: Case,
    leader: User,
    version: int | None = None,
    now: datetime | None = None,
) -> Case:
    """Put the case under the 挂号、销号 regime with a responsible leader (包案领导)."""
    now = _now(now)
    case = _lock_case(case, version)
    _check_case("mark_major", case, actor)
    if not leader.is_active or not leader.has_role(Role.LEADER, Role.OFFICE_DIRECTOR):
        raise ValidationError(
            {"leader": _("The responsible leader must be an active leader or the office director.")}
        )
    case.is_major, case.major_leader = True, leader
    _bump(case, "is_major", "major_leader")
    _event(case, "case.major_marked", actor, at=now, data={"leader": leader.name})
    _notify([leader], "case.major_leader", case)
    _audit("mark_major", actor, case, {"leader": leader.pk})
    return case


@transaction.atomic
def milestone_add(
    *, actor: User, case: Case, title: str, due_on: date, now: datetime | None = None
) -> Milestone:
    now = _now(now)
    case = _lock_case(case, None)
    _check_case("milestone", case, actor)
    if not case.is_major:
        raise InvalidTransition(_("Milestones belong to major issues."), code="not_major")
    milestone = Milestone.objects.create(
        case=case, title=_required(title, "title", _("Name the milestone.")), due_on=due_on
    )
    _event(
        case,
        "case.milestone_added",
        actor,
        at=now,
        data={"title": milestone.title, "due": due_on.isoformat()},
    )
    _audit("milestone_add", actor, case, {"milestone": milestone.pk})
    return milestone


@transaction.atomic
def milestone_reach(
    *, actor: User, milestone: Milestone, evidence: str, now: datetime | None = None
) -> Milestone:
    now = _now(now)
    case = _lock_case(milestone.case_id, None)
    _check_case("milestone", case, actor)
    milestone = Milestone.objects.select_for_update().get(pk=milestone.pk)
    if milestone.done_at:
        raise InvalidTransition(
            _("This milestone has already been reached."), code="invalid_transition"
        )
    milestone.evidence = _required(
        evidence, "evidence", _("Describe the evidence that the milestone is reached.")
    )
    milestone.done_at = now
    milestone.save(update_fields=["evidence", "done_at"])
    _event(case, "case.milestone_reached", actor, at=now, data={"title": milestone.title})
    _audit("milestone_reach", actor, case, {"milestone": milestone.pk})
    return milestone


@transaction.atomic
def accountability_record(
    *,
    actor: User,
    case: Case,
    kind: str,
    unit: Unit,
    decided_on: date,
    person: User | None = None,
    person_name: str = "",
    document_number: str = "",
    note: str = "",
    now: datetime | None = None,
) -> Accountability:
    """Record an accountability decision against a person and/or unit of a substantiated case."""
    now = _now(now)
    case = _lock_case(case, None)
    _check_case("accountability", case, actor)
    if case.finding not in (Finding.SUBSTANTIATED, Finding.PARTLY):
        raise InvalidTransition(
            _("Accountability applies to substantiated cases only."), code="not_substantiated"
        )
    if kind not in AccountabilityKind.values:
        raise ValidationError({"kind": _("Choose the accountability measure.")})
    record = Accountability.objects.create(
        case=case,
        kind=kind,
        unit=unit,
        person=person,
        person_name=(person.name if person else person_name).strip(),
        decided_on=decided_on,
        document_number=document_number.strip(),
        note=note.strip(),
        recorded_by=actor,
        recorded_at=now,
    )
    _event(
        case,
        "case.accountability",
        actor,
        at=now,
        data={"kind": kind, "unit": unit.name, "person": record.person_name},
    )
    _audit(
        "accountability",
        actor,
        case,
        {"kind": kind, "unit": unit.pk, "person": person.pk if person else None},
    )
    return record


@transaction.atomic
def instruction_add(
    *, actor: User, case: Case, text: str, now: datetime | None = None
) -> Instruction:
    """A leader's written instruction (批示): in the timeline, and sent to everyone handling."""
    now = _now(now)
    case = _lock_case(case, None)
    _check_case("instruct", case, actor)
    instruction = Instruction.objects.create(
        case=case,
        leader=actor,
        text=_required(text, "text", _("Write the instruction.")),
        created_at=now,
    )
    _event(case, "case.instruction", actor, at=now, data={"text": instruction.text})
    recipients = _office(Role.SUPERVISOR, Role.OFFICE_DIRECTOR)
    for assignment in case.assignments.filter(status__in=ASSIGNMENT_OPEN).select_related("handler"):
        recipients += _unit_staff(assignment.unit_id, [Role.UNIT_LIAISON, Role.UNIT_HEAD])
        if assignment.handler:
            recipients.append(assignment.handler)
    _notify({u.pk: u for u in recipients}.values(), "case.instruction", case, leader=actor.name)
    _audit("instruct", actor, case)
    return instruction


@transaction.atomic
def case_link(
    *,
    actor: User,
    case: Case,
    other: Case,
    kind: str = LinkKind.RELATED,
    now: datetime | None = None,
) -> CaseLink:
    now = _now(now)
    case = _lock_case(case, None)
    _check_case("link", case, actor)
    if other.pk == case.pk:
        raise ValidationError({"other": _("A case cannot be linked to itself.")})
    if kind not in (LinkKind.RELATED, LinkKind.DUPLICATE):
        raise ValidationError({"kind": _("Choose how the cases are related.")})
    link, created = CaseLink.objects.get_or_create(
        from_case=case, to_case=other, kind=kind, defaults={"created_by": actor, "created_at": now}
    )
    if created:
        _event(case, "case.linked", actor, at=now, data={"other": other.number, "kind": kind})
        _audit("link", actor, case, {"other": other.number, "kind": kind})
    return link


@transaction.atomic
def case_merge(
    *, actor: User, case: Case, into: Case, version: int | None = None, now: datetime | None = None
) -> Case:
    """Merge a repeated complaint into another case (并案): its clocks stop, its history stays
    readable on both, and it follows the other case from now on."""
    now = _now(now)
    first, second = sorted([case.pk, into.pk])
    _lock_case(first, None)
    _lock_case(second, None)
    case = _lock_case(case, version)
    into = Case.objects.get(pk=into.pk)
    target = _check_case("merge", case, actor)
    if into.pk == case.pk or into.status in (CaseStatus.MERGED, CaseStatus.NOT_ACCEPTED):
        raise ValidationError({"into": _("Choose an open case to merge into.")})
    if case.merged_cases.exists():
        raise ValidationError(
            {"into": _("Other cases were merged into this one; merge into it instead.")}
        )
    for assignment in case.assignments.filter(status__in=ASSIGNMENT_OPEN):
        assignment.status = AssignmentStatus.WITHDRAWN
        _save_assignment(assignment, "status")
    case.status, case.merged_into, case.closed_at = target, into, now
    _bump(case, "status", "merged_into", "closed_at")
    clocks.deadlines_complete(case=case, at=now)
    CaseLink.objects.get_or_create(
        from_case=case,
        to_case=into,
        kind=LinkKind.MERGED,
        defaults={"created_by": actor, "created_at": now},
    )
    _event(case, "case.merged", actor, at=now, data={"into": into.number}, public=True)
    _event(into, "case.merged_in", actor, at=now, data={"case": case.number})
    _audit("merge", actor, case, {"into": into.number})
    return case


# --- complainant identity -------------------------------------------------------------------


def complainant_reveal(*, actor: User, case: Case) -> Complainant:
    """The complainant's identity in full, for office roles only; every call is audited."""
    _check_case("reveal_identity", case, actor)
    complainant = case.complainant
    audit_view_protected(
        actor=actor,
        obj=case,
        fields=["name", "phone", "id_number", "address", "email"],
        reason_code="view",
    )
    return complainant


# --- configuration: categories, time limits, case settings -----------------------------------

_CONFIG_ROLES = frozenset({Role.OFFICE_DIRECTOR})


def _require_config(actor: User) -> None:
    if not actor.roles & _CONFIG_ROLES:
        raise CaseActionDenied("configure")


@transaction.atomic
def category_create(
    *,
    actor: User,
    code: str,
    name: str,
    name_en: str = "",
    parent: Category | None = None,
    order: int = 0,
) -> Category:
    _require_config(actor)
    category = Category(
        code=code.strip().upper(),
        name=name.strip(),
        name_en=name_en.strip(),
        parent=parent,
        order=order,
    )
    category.full_clean()
    category.save()
    audit_log(
        action="cases.category.create", actor=actor, obj=category, data={"code": category.code}
    )
    return category


@transaction.atomic
def category_update(
    *,
    actor: User,
    category: Category,
    name: str,
    name_en: str = "",
    parent: Category | None = None,
    order: int = 0,
    is_active: bool = True,
) -> Category:
    _require_config(actor)
    category = Category.objects.select_for_update().get(pk=category.pk)
    if parent is not None and (parent.pk == category.pk or parent.parent_id == category.pk):
        raise ValidationError({"parent": _("A category cannot be placed under itself.")})
    category.name, category.name_en, category.parent = name.strip(), name_en.strip(), parent
    category.order, category.is_active = order, is_active
    category.full_clean()
    category.save()
    audit_log(
        action="cases.category.update",
        actor=actor,
        obj=category,
        data={"code": category.code, "active": is_active},
    )
    return category


@transaction.atomic
def time_limit_set(
    *,
    actor: User,
    stage: str,
    amount: int,
    unit: str,
    category: Category | None = None,
    urgency: str = "",
) -> TimeLimit:
    """Create or change the rule for (stage, category, urgency)."""
    _require_config(actor)
    rule = (
        TimeLimit.objects.select_for_update()
        .filter(stage=stage, category=category, urgency=urgency)
        .order_by("pk")
        .first()
    )  # no join to Category: FOR UPDATE refuses an outer join
    rule = rule or TimeLimit(stage=stage, category=category, urgency=urgency)
    rule.amount, rule.unit = amount, unit
    rule.full_clean(validate_constraints=False)
    rule.save()
    audit_log(
        action="cases.timelimit.set",
        actor=actor,
        obj=rule,
        data={
            "stage": stage,
            "category": category.code if category else None,
            "urgency": urgency,
            "amount": amount,
            "unit": unit,
        },
    )
    return rule


@transaction.atomic
def time_limit_delete(*, actor: User, rule: TimeLimit) -> None:
    _require_config(actor)
    data = {
        "stage": rule.stage,
        "category": rule.category.code if rule.category else None,
        "urgency": rule.urgency,
        "amount": rule.amount,
        "unit": rule.unit,
    }
    TimeLimit.objects.filter(pk=rule.pk).delete()
    audit_log(
        action="cases.timelimit.delete",
        actor=actor,
        obj=None,
        data=data,
        object_type="cases.timelimit",
        object_id=str(rule.pk),
    )


_SETTINGS_FIELDS = (
    "unit_head_approval",
    "warning_share",
    "reminder_days_before",
    "supervision_delay_days",
    "handling_limit_max",
    "duplicate_window_days",
)


@transaction.atomic
def case_settings_update(*, actor: User, version: int | None = None, **changes) -> CaseSettings:
    _require_config(actor)
    clocks.case_settings()
    current = CaseSettings.objects.select_for_update().get(pk=1)
    if version is not None and current.version != version:
        raise ConflictError(
            _(
                "Someone else changed these settings while you were editing them. "
                "Reload the page to see their change, then apply yours again."
            ),
            code="conflict",
        )
    before = {f: str(getattr(current, f)) for f in changes}
    for field, value in changes.items():
        if field not in _SETTINGS_FIELDS:
            raise ValueError(field)
        setattr(current, field, value)
    current.full_clean()
    current.version = F("version") + 1
    current.save()
    current.refresh_from_db()
    audit_log(
        action="cases.settings.update",
        actor=actor,
        obj=current,
        data={
            "changes": {
                f: [before[f], str(getattr(current, f))]
                for f in changes
                if before[f] != str(getattr(current, f))
            }
        },
    )
    return current


def case_register_with_attachments(*, files: Sequence = (), **registration) -> Case:
    """Register a case with its original materials in one transaction: a file that the
    attachment checks refuse leaves no case, no number used and no file on disk."""
    from xiaoneng.cases.attachments import attachment_add

    stored: list = []
    try:
        with transaction.atomic():
            case = case_register(**registration)
            for upload in files:
                try:
                    stored.append(
                        attachment_add(
                            actor=registration["actor"],
                            case=case,
                            file=upload,
                            kind=AttachmentKind.ORIGINAL,
                            now=registration.get("now"),
                        )
                    )
                except ValidationError as exc:
                    raise ValidationError({"attachments": exc.messages}) from exc
    except BaseException:
        # The rows roll back with the transaction; the files already written must go too.
        for attachment in stored:
            attachment.file.storage.delete(attachment.file.name)
        raise
    return case


# --- saved ledger views ----------------------------------------------------------------------

SAVED_VIEWS_MAX = 30


@transaction.atomic
def saved_view_save(*, user: User, name: str, query: str) -> SavedView:
    """Save (or replace) a named ledger filter of ``user``; the page number is not kept."""
    from django.http import QueryDict

    name = _required(name, "name", _("Name the view."))
    params = QueryDict(query, mutable=True)
    params.pop("page", None)
    query = params.urlencode()
    if len(query) > 1000:
        raise ValidationError({"name": _("This filter is too long to save.")})
    view = SavedView.objects.filter(user=user, name=name).first()
    if view is None and SavedView.objects.filter(user=user).count() >= SAVED_VIEWS_MAX:
        raise ValidationError(
            {
                "name": _("You can keep at most %(max)s saved views; delete one first.")
                % {"max": SAVED_VIEWS_MAX}
            }
        )
    view = view or SavedView(user=user, name=name)
    view.query = query
    view.full_clean(validate_constraints=False)
    view.save()
    return view


@transaction.atomic
def saved_view_delete(*, user: User, view: SavedView) -> None:
    SavedView.objects.filter(pk=view.pk, user=user).delete()
