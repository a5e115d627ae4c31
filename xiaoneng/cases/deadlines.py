"""Time limits of the case stages: which rule applies, and starting, finishing, suspending
and extending the clocks. Called by the case services inside their transactions."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from xiaoneng.cases.choices import Stage
from xiaoneng.cases.models import Case, CaseSettings, Deadline, TimeLimit
from xiaoneng.workdays import calendar as workdays
from xiaoneng.workdays.choices import DeadlineUnit

#: Built-in limits, in working days, used when the office has configured no rule.
DEFAULT_LIMITS: dict[str, int] = {
    Stage.ACCEPTANCE: 3,
    Stage.SIGNING: 1,
    Stage.HANDLING: 30,
    Stage.REVIEW: 5,
    Stage.CALLBACK: 3,
    Stage.SUPERVISION: 10,
}


def case_settings() -> CaseSettings:
    settings, _created = CaseSettings.objects.get_or_create(id=1)
    return settings


def time_limit_for(
    *, stage: str, category_id: int | None, urgency: str, rules: list[TimeLimit] | None = None
) -> tuple[int, str]:
    """(amount, unit) of the most specific rule: category and urgency, then category, then
    urgency, then the stage's general rule, then the built-in default. ``rules`` are all the
    rules, read once by a caller that resolves many combinations (the portal's table)."""
    if rules is None:
        rules = (
            TimeLimit.objects.filter(stage=stage)
            .filter(Q(category_id=category_id) | Q(category__isnull=True))
            .filter(Q(urgency=urgency) | Q(urgency=""))
        )
    else:
        rules = [
            r
            for r in rules
            if r.stage == stage
            and r.category_id in (category_id, None)
            and r.urgency in (urgency, "")
        ]
    best = None
    for rule in rules:
        score = (rule.category_id is not None) * 2 + (rule.urgency != "")
        if best is None or score > best[0]:
            best = (score, rule)
    if best is not None:
        return best[1].amount, best[1].unit
    return DEFAULT_LIMITS[stage], DeadlineUnit.WORKING_DAYS


def deadline_start(
    *,
    case: Case,
    stage: str,
    start: datetime,
    assignment=None,
    amount: int | None = None,
    unit: str | None = None,
) -> Deadline:
    if amount is None:
        amount, unit = time_limit_for(
            stage=stage, category_id=case.category_id, urgency=case.urgency
        )
    unit = unit or DeadlineUnit.WORKING_DAYS
    due = workdays.compute_due(start=start, amount=amount, unit=unit)
    return Deadline.objects.create(
        case=case,
        assignment=assignment,
        stage=stage,
        started_at=start,
        due_at=due.due,
        amount=amount,
        unit=unit,
        estimated=due.estimated,
    )


def deadlines_complete(
    *, case: Case, stages: set[str] | None = None, assignment=None, at: datetime | None = None
) -> int:
    """Stop the open clocks of ``stages`` (all if None), of one assignment if given."""
    qs = Deadline.objects.filter(case=case, completed_at__isnull=True)
    if stages is not None:
        qs = qs.filter(stage__in=stages)
    if assignment is not None:
        qs = qs.filter(assignment=assignment)
    return qs.update(completed_at=at or timezone.now())


def _remaining(deadline: Deadline, now: datetime) -> int:
    if deadline.unit == DeadlineUnit.WORKING_DAYS:
        last_day = workdays.due_day(due=deadline.due_at)
        end = timezone.make_aware(
            datetime.combine(last_day, datetime.min.time()), workdays.CALENDAR_TZ
        )
        return max(workdays.count_working_days(start=now, end=end), 0)
    return max(int((deadline.due_at - now).total_seconds()), 0)


def deadlines_suspend(*, case: Case, at: datetime) -> None:
    """Stop every open clock of the case, keeping what was left of each."""
    for deadline in Deadline.objects.filter(
        case=case, completed_at__isnull=True, suspended_at__isnull=True
    ):
        deadline.remaining = _remaining(deadline, at)
        deadline.suspended_at = at
        deadline.save(update_fields=["remaining", "suspended_at"])


def deadlines_resume(*, case: Case, at: datetime) -> None:
    """Restart the suspended clocks with what was left: the resumption day does not count."""
    for deadline in Deadline.objects.filter(
        case=case, completed_at__isnull=True, suspended_at__isnull=False
    ):
        remaining = deadline.remaining or 0
        if deadline.unit == DeadlineUnit.WORKING_DAYS:
            if remaining > 0:
                due = workdays.compute_due(start=at, amount=remaining, unit=deadline.unit)
                deadline.due_at, deadline.estimated = due.due, due.estimated
            else:
                local = at.astimezone(workdays.CALENDAR_TZ).date() + timedelta(days=1)
                deadline.due_at = timezone.make_aware(
                    datetime.combine(local, datetime.min.time()), workdays.CALENDAR_TZ
                )
        else:
            deadline.due_at = at + timedelta(seconds=remaining)
        deadline.suspended_at = None
        deadline.remaining = None
        deadline.save(update_fields=["due_at", "estimated", "suspended_at", "remaining"])


def deadline_extend(*, deadline: Deadline, amount: int) -> Deadline:
    """Move the deadline by ``amount`` working days after its current last day."""
    due = workdays.compute_due(
        start=deadline.due_at - timedelta(microseconds=1),
        amount=amount,
        unit=DeadlineUnit.WORKING_DAYS,
    )
    deadline.due_at = due.due
    deadline.estimated = deadline.estimated or due.estimated
    deadline.extended_by += amount
    deadline.save(update_fields=["due_at", "estimated", "extended_by"])
    return deadline


def deadline_colour(*, deadline: Deadline, now: datetime | None = None, warning_share=None) -> str:
    """normal / warning / overdue for an open deadline (a suspended one keeps its colour at
    the moment it was suspended)."""
    now = now or timezone.now()
    if deadline.suspended_at is not None:
        now = deadline.suspended_at
    share = warning_share if warning_share is not None else case_settings().warning_share
    return workdays.deadline_status(
        start=deadline.started_at,
        due=deadline.due_at,
        now=now,
        warning_share=share,
        unit=deadline.unit,
    )
