"""Records as the API returns them: the same selectors and the same masking as the screens,
put into the shapes of ``schemas.py``. Nothing here decides who sees what; the selectors do."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from xiaoneng.cases.choices import AssignmentStatus, CaseStatus
from xiaoneng.cases.deadlines import case_settings, deadline_colour
from xiaoneng.cases.models import Assignment, Attachment, Case, Deadline
from xiaoneng.cases.selectors import (
    assignment_actions,
    case_actions,
    case_assignments,
    case_links,
    case_open_deadlines,
    case_related,
    complainant_masked,
)
from xiaoneng.workdays.calendar import CALENDAR_TZ, due_day
from xiaoneng.workdays.choices import DeadlineUnit


def local(value: datetime | None) -> datetime | None:
    """A time in China Standard Time, as the screens show it."""
    return timezone.localtime(value, CALENDAR_TZ) if value is not None else None


def unit_ref(unit) -> dict | None:
    if unit is None:
        return None
    return {"id": unit.pk, "code": unit.code, "name": unit.name}


def _name(user) -> str | None:
    return user.name if user is not None else None


def complainant(masked: dict | None) -> dict | None:
    if masked is None:
        return None
    if masked.get("anonymous"):
        return {"anonymous": True}
    return {
        "anonymous": False,
        "name": masked.get("name") or "",
        "phone": masked.get("phone") or "",
        "id_number": masked.get("id_number") or "",
        "address": masked.get("address") or "",
    }


def deadline(item: Deadline, *, now: datetime, share) -> dict:
    running = item.completed_at is None
    return {
        "id": item.pk,
        "stage": item.stage,
        "assignment_id": item.assignment_id,
        "unit": item.assignment.unit.name if item.assignment_id else None,
        "started_at": local(item.started_at),
        "due_at": local(item.due_at),
        "last_day": None if item.unit == DeadlineUnit.HOURS else due_day(due=item.due_at),
        "amount": item.amount,
        "counted_in": item.unit,
        "extended_by": item.extended_by,
        "estimated": item.estimated,
        "suspended": item.suspended_at is not None,
        "completed_at": local(item.completed_at),
        "status": deadline_colour(deadline=item, now=now, warning_share=share) if running else None,
    }


def _latest_per_stage(deadlines) -> list[Deadline]:
    """Each stage's current clock (a redo starts a new handling clock; the timeline keeps the
    history), as the case page shows them."""
    latest: dict[str, Deadline] = {}
    for item in sorted(deadlines, key=lambda d: (d.started_at, d.pk)):
        latest[item.stage] = item
    return sorted(latest.values(), key=lambda d: (d.started_at, d.pk))


def assignment(item: Assignment, *, user, now: datetime, share) -> dict:
    clocks = list(item.deadlines.all())
    for clock in clocks:
        clock.assignment = item  # spare a query per clock for its unit's name
    return {
        "id": item.pk,
        "unit": unit_ref(item.unit),
        "role": item.role,
        "status": item.status,
        "status_label": str(AssignmentStatus(item.status).label),
        "part": item.part,
        "handler": _name(item.handler),
        "dispatched_at": local(item.dispatched_at),
        "signed_at": local(item.signed_at),
        "replied_at": local(item.replied_at),
        "finding": item.finding,
        "reply_text": item.reply_text,
        "measures": item.measures,
        "return_reason": item.return_reason
        if item.status == AssignmentStatus.RETURN_REQUESTED
        else "",
        "version": item.version,
        "actions": sorted(assignment_actions(assignment=item, user=user)),
        "deadlines": [deadline(d, now=now, share=share) for d in _latest_per_stage(clocks)],
    }


def case_detail(case: Case, *, user, now: datetime | None = None) -> dict:
    """The case as its page shows it to ``user``: the complainant masked, the related records
    limited to what the user's scope allows, and the actions the user may take now."""
    now = now or timezone.now()
    share = case_settings().warning_share
    related = case_related(case=case, user=user)
    links = []
    for link in case_links(case=case, user=user):
        outgoing = link.from_case_id == case.pk
        other = link.to_case if outgoing else link.from_case
        links.append(
            {"kind": link.kind, "case_id": other.pk, "number": other.number, "outgoing": outgoing}
        )
    return {
        "id": case.pk,
        "number": case.number,
        "status": case.status,
        "status_label": str(CaseStatus(case.status).label),
        "channel": case.channel,
        "category": {"code": case.category.code, "name": case.category.name},
        "urgency": case.urgency,
        "summary": case.summary,
        "content": case.content,
        "place": case.place,
        "occurred_on": case.occurred_on,
        "subject_units": [unit_ref(u) for u in related["subject_units"]],
        "subject_persons": case.subject_persons,
        "reply_wanted": case.reply_wanted,
        "reply_method": case.reply_method,
        "complainant": complainant(complainant_masked(case=case)),
        "registered_at": local(case.registered_at),
        "registered_by": _name(case.registered_by),
        "accepted_at": local(case.accepted_at),
        "not_accepted_reason": case.not_accepted_reason,
        "referral": case.referral,
        "dispatch_mode": case.dispatch_mode,
        "dispatched_at": local(case.dispatched_at),
        "is_major": case.is_major,
        "major_leader": _name(case.major_leader),
        "finding": case.finding,
        "measures": case.measures,
        "reply_text": case.reply_text,
        "concluded_at": local(case.concluded_at),
        "reviewed_at": local(case.reviewed_at),
        "satisfaction": case.satisfaction,
        "solved": case.solved,
        "callback_at": local(case.callback_at),
        "closed_at": local(case.closed_at),
        "close_explanation": case.close_explanation,
        "merged_into": case.merged_into.number if case.merged_into_id else None,
        "suspended_at": local(case.suspended_at),
        "suspend_reason": case.suspend_reason,
        "return_count": case.return_count,
        "redo_count": case.redo_count,
        "is_supervised": case.is_supervised,
        "duplicate_flag": case.duplicate_flag,
        "version": case.version,
        "actions": sorted(case_actions(case=case, user=user)),
        "assignments": [
            assignment(a, user=user, now=now, share=share) for a in case_assignments(case=case)
        ],
        "deadlines": [
            deadline(clock, now=now, share=share)
            for clock in sorted(
                (row["deadline"] for row in case_open_deadlines(case=case, now=now)),
                key=lambda d: (d.due_at, d.pk),
            )
        ],
        "callbacks": [
            {
                "id": c.pk,
                "satisfaction": c.satisfaction,
                "solved": c.solved,
                "note": c.note,
                "called_by": c.called_by.name,
                "called_at": local(c.called_at),
            }
            for c in related["callbacks"]
        ],
        "supervision_notices": [
            {
                "id": n.pk,
                "level": n.level,
                "text": n.text,
                "due_at": local(n.due_at),
                "issued_by": n.issued_by.name,
                "issued_at": local(n.issued_at),
            }
            for n in related["supervision_notices"]
        ],
        "extension_requests": [
            {
                "id": r.pk,
                "unit": r.deadline.assignment.unit.name if r.deadline.assignment_id else None,
                "amount": r.amount,
                "reason": r.reason,
                "requested_by": r.requested_by.name,
                "requested_at": local(r.requested_at),
                "status": r.status,
                "decided_by": _name(r.decided_by),
                "decided_at": local(r.decided_at),
                "decision_note": r.decision_note,
            }
            for r in related["extension_requests"]
        ],
        "returns": [
            {
                "id": r.pk,
                "assignment_id": r.assignment_id,
                "unit": r.assignment.unit.name,
                "reason": r.reason,
                "requested_by": r.requested_by.name,
                "requested_at": local(r.requested_at),
                "ruling": r.ruling,
                "ruled_at": local(r.ruled_at),
                "ruling_note": r.ruling_note,
            }
            for r in related["returns"]
        ],
        "milestones": [
            {
                "id": m.pk,
                "title": m.title,
                "due_on": m.due_on,
                "done_at": local(m.done_at),
                "evidence": m.evidence,
            }
            for m in related["milestones"]
        ],
        "instructions": [
            {"id": i.pk, "leader": i.leader.name, "text": i.text, "created_at": local(i.created_at)}
            for i in related["instructions"]
        ],
        "accountabilities": [
            {
                "id": a.pk,
                "kind": a.kind,
                "unit": a.unit.name,
                "person": a.person_name,
                "decided_on": a.decided_on,
                "document_number": a.document_number,
                "note": a.note,
            }
            for a in related["accountabilities"]
        ],
        "links": links,
    }


def case_row(row: dict) -> dict:
    """One row of the ledger (``ledger.ledger_rows``)."""
    case = row["case"]
    clock = row["deadline"]
    return {
        "id": case.pk,
        "number": case.number,
        "status": case.status,
        "status_label": str(CaseStatus(case.status).label),
        "channel": case.channel,
        "category": {"code": case.category.code, "name": case.category.name},
        "urgency": case.urgency,
        "summary": case.summary,
        "registered_at": local(case.registered_at),
        "closed_at": local(case.closed_at),
        "is_major": case.is_major,
        "is_supervised": case.is_supervised,
        "return_count": case.return_count,
        "redo_count": case.redo_count,
        "subject_units": [unit_ref(u) for u in case.subject_units.all()],
        "handling_units": [
            {"code": a.unit.code, "name": a.unit.name, "role": a.role, "status": a.status}
            for a in case.current_assignments
        ],
        "deadline": None
        if clock is None
        else {
            "stage": clock["deadline"].stage,
            "due_at": local(clock["deadline"].due_at),
            "last_day": clock["last_day"],
            "status": clock["status"],
        },
        "complainant": complainant(row.get("complainant")),
    }


def timeline_entry(row: dict) -> dict:
    event = row["event"]
    return {
        "id": event.pk,
        "code": event.code,
        "label": str(row["label"]),
        "at": local(event.created_at),
        "actor": event.actor_name,
        "actor_unit": event.actor_unit.name if event.actor_unit_id else None,
        "unit": event.assignment.unit.name if event.assignment_id else None,
        "public": event.public,
        "merged_from": row["merged_from"] or None,
        "data": event.data or {},
    }


def attachment(item: Attachment) -> dict:
    return {
        "id": item.pk,
        "kind": item.kind,
        "original_name": item.original_name,
        "content_type": item.content_type,
        "size": item.size,
        "sha256": item.sha256,
        "releasable": item.releasable,
        "assignment_id": item.assignment_id,
        "uploaded_by": item.uploaded_by.name,
        "uploaded_at": local(item.uploaded_at),
    }
