"""The escalation chain of case deadlines (SPEC §1, reminder chain), run by the periodic task
``xiaoneng.cases.tasks.escalate_deadlines``.

For every open, not suspended deadline of an open case, three steps, each taken once:

``before_due``
    a reminder while the deadline's last day is at most ``CaseSettings.reminder_days_before``
    working days away (``count_working_days(start=now, end=<last day>) <= N``) and it has not
    passed yet;
``overdue_notice``
    the reminder notice (催办) from the first moment after the last day (``now >= due_at``);
``supervision_proposed``
    a proposal for supervised handling once a further period of
    ``CaseSettings.supervision_delay_days`` working days after the last day has passed, counted
    like every period (the last day itself does not count; the period ends at the end of its
    N-th working day). It only proposes: the supervisors and the office director decide.

Each step writes a ``Reminder`` row (unique per deadline and kind: that makes the chain
idempotent, also with several workers at once), a timeline event, the notifications and an
audit row, in one transaction per deadline (the audit rows last), so that one failing
deadline does not lose the others.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from xiaoneng.audit.services import audit_log
from xiaoneng.cases.choices import OPEN_STATUSES, ReminderKind, Stage
from xiaoneng.cases.deadlines import case_settings
from xiaoneng.cases.models import CaseEvent, CaseSettings, Deadline, Reminder
from xiaoneng.notifications.services import notify
from xiaoneng.org.choices import Role
from xiaoneng.org.models import User
from xiaoneng.org.selectors import users_with_role
from xiaoneng.workdays import calendar as workdays
from xiaoneng.workdays.choices import DeadlineUnit

logger = logging.getLogger(__name__)

#: Deadlines read and escalated per query.
CHUNK_SIZE = 200

#: Timeline event and notification code of each step.
CODES = {
    ReminderKind.BEFORE_DUE: "case.reminder_before_due",
    ReminderKind.OVERDUE_NOTICE: "case.overdue_notice",
    ReminderKind.SUPERVISION_PROPOSED: "case.supervision_proposed",
}

#: Who answers for a case-level stage in the office.
_STAGE_OFFICE_ROLE = {
    Stage.ACCEPTANCE: Role.INTAKE_CLERK,
    Stage.CALLBACK: Role.INTAKE_CLERK,
    Stage.REVIEW: Role.SUPERVISOR,
    Stage.SUPERVISION: Role.SUPERVISOR,
}


@dataclass
class EscalationResult:
    """How many steps of each kind one run took, and how many deadlines failed."""

    before_due: int = 0
    overdue_notice: int = 0
    supervision_proposed: int = 0
    failed: int = 0

    @property
    def sent(self) -> int:
        return self.before_due + self.overdue_notice + self.supervision_proposed

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def _last_day_start(deadline: Deadline) -> datetime:
    """00:00 local time of the deadline's last day."""
    last_day = workdays.due_day(due=deadline.due_at)
    return datetime.combine(last_day, datetime.min.time(), tzinfo=workdays.CALENDAR_TZ)


def _kinds_due(deadline: Deadline, now: datetime, config: CaseSettings) -> list[str]:
    """The steps the deadline has reached at ``now``, in chain order."""
    if now < deadline.due_at:
        days_left = workdays.count_working_days(start=now, end=_last_day_start(deadline))
        return [ReminderKind.BEFORE_DUE] if days_left <= config.reminder_days_before else []
    kinds = [ReminderKind.OVERDUE_NOTICE]
    if config.supervision_delay_days == 0:
        kinds.append(ReminderKind.SUPERVISION_PROPOSED)
    else:
        proposal_due = workdays.compute_due(
            start=_last_day_start(deadline),
            amount=config.supervision_delay_days,
            unit=DeadlineUnit.WORKING_DAYS,
        ).due
        if now >= proposal_due:
            kinds.append(ReminderKind.SUPERVISION_PROPOSED)
    return kinds


class _People:
    """The recipients of one run, each list read once."""

    def __init__(self) -> None:
        self._cache: dict[tuple[str, int | None], list[User]] = {}

    def with_role(self, role: str, unit_id: int | None = None) -> list[User]:
        key = (role, unit_id)
        if key not in self._cache:
            self._cache[key] = list(users_with_role(role=role, unit_id=unit_id))
        return self._cache[key]

    def for_step(self, deadline: Deadline, kind: str) -> list[User]:
        people: list[User] = []
        assignment = deadline.assignment
        if assignment is not None:
            people += self.with_role(Role.UNIT_LIAISON, assignment.unit_id)
            if assignment.handler is not None:
                people.append(assignment.handler)
            if kind != ReminderKind.BEFORE_DUE:
                people += self.with_role(Role.UNIT_HEAD, assignment.unit_id)
        else:
            people += self.with_role(_STAGE_OFFICE_ROLE.get(deadline.stage, Role.SUPERVISOR))
        if kind == ReminderKind.SUPERVISION_PROPOSED:
            people += self.with_role(Role.SUPERVISOR) + self.with_role(Role.OFFICE_DIRECTOR)
        return people


def _send(deadline: Deadline, kind: str, now: datetime, people: _People) -> bool:
    """Take one step unless it was taken already. Inside the deadline's transaction."""
    try:
        with transaction.atomic():
            Reminder.objects.create(deadline=deadline, kind=kind, sent_at=now)
    except IntegrityError:
        return False  # another worker took this step first
    case, assignment = deadline.case, deadline.assignment
    due = workdays.due_day(due=deadline.due_at).isoformat()
    data = {"stage": deadline.stage, "due": due}
    if assignment is not None:
        data["unit"] = assignment.unit.name
    CaseEvent.objects.create(
        case=case, assignment=assignment, code=CODES[kind], created_at=now, data=data
    )
    recipients = people.for_step(deadline, kind)
    if recipients:
        notify(
            recipients=recipients,
            code=CODES[kind],
            params={"number": case.number, "stage": deadline.stage, "due": due},
            url=f"/cases/{case.pk}/",
        )
    return True


def _escalate_one(pk: int, now: datetime, config: CaseSettings, people: _People) -> list[str]:
    """Lock the deadline, check it again and take the steps it has reached."""
    with transaction.atomic():
        deadline = (
            Deadline.objects.select_for_update(of=("self",))
            .select_related("case", "assignment__unit", "assignment__handler")
            .filter(
                pk=pk,
                completed_at__isnull=True,
                suspended_at__isnull=True,
                case__status__in=OPEN_STATUSES,
            )
            .first()
        )
        if deadline is None:
            return []
        taken = set(Reminder.objects.filter(deadline=deadline).values_list("kind", flat=True))
        sent = [
            kind
            for kind in _kinds_due(deadline, now, config)
            if kind not in taken and _send(deadline, kind, now, people)
        ]
        # The audit rows last: the audit chain stays locked only until this commit.
        for kind in sent:
            audit_log(
                action="cases.case.escalate",
                obj=deadline.case,
                unit=deadline.assignment.unit if deadline.assignment else None,
                data={
                    "number": deadline.case.number,
                    "kind": kind,
                    "stage": deadline.stage,
                    "deadline": deadline.pk,
                },
            )
        return sent


def _candidates(now: datetime, config: CaseSettings) -> list[int]:
    """Ids of the deadlines that may have reached a step, earliest due first."""
    qs = Deadline.objects.filter(
        completed_at__isnull=True,
        suspended_at__isnull=True,
        case__status__in=OPEN_STATUSES,
    ).exclude(reminders__kind=ReminderKind.SUPERVISION_PROPOSED)
    try:
        # No deadline due later can be within the reminder window.
        horizon = workdays.add_working_days(start=now, n=config.reminder_days_before + 1)
    except ValidationError:
        horizon = None  # a year without a known calendar: look at every deadline
    if horizon is not None:
        qs = qs.filter(due_at__lte=horizon)
    return list(qs.order_by("due_at", "id").values_list("pk", flat=True))


def _chunks(ids: list[int], size: int) -> Iterable[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def deadlines_escalate(*, now: datetime | None = None) -> EscalationResult:
    """Take every step of the escalation chain that is due at ``now`` and not taken yet.
    Safe to run again and from several processes at once: each step happens once."""
    now = now or timezone.now()
    config = case_settings()
    people = _People()
    result = EscalationResult()
    for chunk in _chunks(_candidates(now, config), CHUNK_SIZE):
        deadlines = (
            Deadline.objects.filter(pk__in=chunk)
            .select_related("case", "assignment")
            .prefetch_related("reminders")
            .order_by("due_at", "id")
        )
        for deadline in deadlines:
            try:
                taken = {r.kind for r in deadline.reminders.all()}
                if all(k in taken for k in _kinds_due(deadline, now, config)):
                    continue
                sent = _escalate_one(deadline.pk, now, config, people)
            except Exception:
                logger.exception(
                    "Escalation of deadline %s (case %s) failed.", deadline.pk, deadline.case.number
                )
                result.failed += 1
                continue
            for kind in sent:
                setattr(result, kind, getattr(result, kind) + 1)
    logger.info(
        "Deadline escalation: %d reminders before due, %d reminder notices (催办), "
        "%d supervision proposals, %d failed.",
        result.before_due,
        result.overdue_notice,
        result.supervision_proposed,
        result.failed,
    )
    return result
