"""The lifecycle actions of a case, one POST endpoint each, all answering with the case as
it stands afterwards (200, the same shape as GET /cases/{case_id}).

    /cases/{case_id}/<action>                                   the case as a whole
    /cases/{case_id}/assignments/{assignment_id}/<action>       a unit's part of it
    /cases/{case_id}/returns/{return_id}/ruling                 the office's ruling on a return
    /cases/{case_id}/extensions/{extension_id}/decision         the director's decision
    /cases/{case_id}/milestones/{milestone_id}/reach            a major issue's milestone

Each finds the case through the caller's scope (404 outside it), checks that the caller holds
a role for the action (403 otherwise) and calls the same service as the screen's form; the
service checks the state and the rules (409 or 422) and writes the audit row. Sending the
``version`` read last turns a concurrent change into a 409 ``conflict``."""

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext as _
from ninja import Path, Router

from xiaoneng.api import errors, serializers
from xiaoneng.api.endpoints.common import (
    actor,
    invalid,
    responses,
    unit_by_code,
    units_by_code,
    visible_case,
)
from xiaoneng.api.schemas import (
    AccountabilityIn,
    CallbackIn,
    CaseOut,
    DecisionIn,
    DispatchIn,
    ExplanationIn,
    ExtensionDecisionIn,
    ExtensionRequestIn,
    HandlerIn,
    HeadDecisionIn,
    InstructionIn,
    LinkIn,
    MarkMajorIn,
    MergeIn,
    MilestoneIn,
    MilestoneReachIn,
    ProgressIn,
    ReasonIn,
    RedoIn,
    RejectIn,
    ReplyIn,
    ReviewIn,
    RulingIn,
    SignIn,
    SuperviseIn,
    SuspendIn,
    VersionIn,
)
from xiaoneng.cases import services as s
from xiaoneng.cases.choices import DispatchMode, ReturnRuling
from xiaoneng.cases.selectors import (
    assignment_action_permitted,
    case_action_permitted,
    case_assignments,
    case_co_assignments,
    case_get,
    case_get_by_number,
    case_return_get,
    case_unit_members,
    extension_request_get,
    milestones_open,
)
from xiaoneng.org.selectors import user_get

router = Router(tags=["actions"])

CASE_ID = Path(..., ge=1, le=2**63 - 1, description="The case's id.")
RECORD_ID = Path(..., ge=1, le=2**63 - 1)


# --- resolving what a body names -----------------------------------------------------------------


def _person(pk: int | None, field: str):
    if pk is None:
        return None
    person = user_get(pk=pk)
    if person is None:
        raise invalid(field, _("No account has this id."))
    return person


def _co_unit_ids(case, codes: list[str], field: str) -> list[int]:
    """The co-handling units (by code) that may redo their part."""
    if not codes:
        return []
    replied = {a.unit.code.upper(): a.unit_id for a in case_co_assignments(case=case)}
    wanted = [unit.code.upper() for unit in units_by_code(codes, field)]
    strangers = [code for code in wanted if code not in replied]
    if strangers:
        raise invalid(
            field,
            _("Not a co-handling unit that has replied: %(codes)s.")
            % {"codes": ", ".join(strangers)},
        )
    return [replied[code] for code in wanted]


def _other_case(user, number: str, field: str):
    other = case_get_by_number(user=user, number=number)
    if other is None:
        raise invalid(field, _("There is no case with this register number."))
    return other


def _dispatch_parts(user, body: DispatchIn) -> tuple[s.UnitPart, list[s.UnitPart]]:
    if body.mode == DispatchMode.INVESTIGATE:
        if user.unit is None:
            raise invalid("lead_unit", _("Your account belongs to no unit."))
        lead_unit = user.unit
    else:
        lead_unit = unit_by_code(body.lead_unit, "lead_unit")
        if lead_unit is None:
            raise invalid("lead_unit", _("Choose the handling unit."))
    lead = s.UnitPart(lead_unit, body.lead_part, body.lead_days)
    co_units = [
        s.UnitPart(unit, row.part, row.days)
        for unit, row in zip(
            units_by_code([row.unit for row in body.co_units], "co_units"),
            body.co_units,
            strict=True,
        )
    ]
    return lead, co_units


# --- the actions on the case as a whole ----------------------------------------------------------


def _dispatch(user, case, body: DispatchIn):
    lead, co_units = _dispatch_parts(user, body)
    s.case_dispatch(
        actor=user,
        case=case,
        mode=body.mode,
        lead=lead,
        co_units=co_units,
        supervision_level=body.supervision_level,
        supervision_text=body.supervision_text,
        supervision_days=body.supervision_days,
        version=body.version,
    )


def _review(user, case, body: ReviewIn):
    s.case_review(
        actor=user,
        case=case,
        approve=body.approve,
        reason=body.reason,
        redo_units=_co_unit_ids(case, body.redo_units, "redo_units"),
        redo_days=body.redo_days,
        version=body.version,
    )


def _redo(user, case, body: RedoIn):
    s.case_redo(
        actor=user,
        case=case,
        reason=body.reason,
        units=_co_unit_ids(case, body.units, "units"),
        days=body.days,
        version=body.version,
    )


def _mark_major(user, case, body: MarkMajorIn):
    s.case_mark_major(
        actor=user, case=case, leader=_person(body.leader, "leader"), version=body.version
    )


def _accountability(user, case, body: AccountabilityIn):
    person = _person(body.person, "person")
    if person is not None and person.pk not in {p.pk for p in case_unit_members(case=case)}:
        raise invalid("person", _("The person must belong to a unit that handled the case."))
    s.accountability_record(
        actor=user,
        case=case,
        kind=body.kind,
        unit=unit_by_code(body.unit, "unit"),
        decided_on=body.decided_on,
        person=person,
        person_name=body.person_name,
        document_number=body.document_number,
        note=body.note,
    )


@dataclass(frozen=True)
class CaseAction:
    path: str
    body: type
    permission: str  # the transition-table action whose roles may take it
    run: Callable  # run(actor, case, body)
    summary: str
    description: str


CASE_ACTIONS = (
    CaseAction(
        "accept", VersionIn, "accept",
        lambda u, c, b: s.case_accept(actor=u, case=c, version=b.version),
        "Accept a case (受理)",
        "Intake clerks and the office director accept a registered case; it goes to dispatch.",
    ),
    CaseAction(
        "reject", RejectIn, "reject",
        lambda u, c, b: s.case_reject(
            actor=u, case=c, reason=b.reason, referral=b.referral, version=b.version
        ),
        "Do not accept a case (不予受理)",
        "With the reason and, where another body is competent, the referral.",
    ),
    CaseAction(
        "dispatch", DispatchIn, "dispatch", _dispatch,
        "Dispatch a case (交办)",
        "Investigate itself (the office's own unit), transfer to one unit, joint handling "
        "with a lead unit and co-units, or supervised handling under a supervision notice.",
    ),
    CaseAction(
        "supervise", SuperviseIn, "supervise",
        lambda u, c, b: s.case_supervise(
            actor=u, case=c, level=b.level, text=b.text, days=b.days, version=b.version
        ),
        "Issue a supervision notice (督办)",
        "On a case being handled, with its level and deadline.",
    ),
    CaseAction(
        "review", ReviewIn, "review_pass", _review,
        "Review the reply (审核)",
        "Pass the units' reply (the callback clock starts) or return it for redo with the "
        "reasons.",
    ),
    CaseAction(
        "callback", CallbackIn, "callback",
        lambda u, c, b: s.case_callback(
            actor=u, case=c, satisfaction=b.satisfaction, solved=b.solved, note=b.note,
            version=b.version,
        ),
        "Record the callback (回访)",
        "Whether the problem was solved and, separately, whether the complainant is satisfied.",
    ),
    CaseAction(
        "redo", RedoIn, "redo", _redo,
        "Reopen for redo (重办)",
        "After a dissatisfied callback: the lead unit (and the chosen co-units) work again.",
    ),
    CaseAction(
        "close-out", ExplanationIn, "close_out",
        lambda u, c, b: s.case_close_out(
            actor=u, case=c, explanation=b.explanation, version=b.version
        ),
        "Close a case out (销号)",
        "After the callback; a dissatisfied complainant needs an explanation, a major issue "
        "the director's sign-off instead (close-request).",
    ),
    CaseAction(
        "close-request", ExplanationIn, "close_request",
        lambda u, c, b: s.case_close_request(
            actor=u, case=c, explanation=b.explanation, version=b.version
        ),
        "Propose the close-out of a major issue",
        "To the director, with how the issue was resolved (milestones reached, evidence "
        "attached).",
    ),
    CaseAction(
        "close-signoff", DecisionIn, "close_signoff",
        lambda u, c, b: s.case_close_signoff(
            actor=u, case=c, approve=b.approve, note=b.note, version=b.version
        ),
        "Sign off the close-out of a major issue",
        "The office director approves (the case is closed out) or refuses with a note.",
    ),
    CaseAction(
        "suspend", SuspendIn, "suspend",
        lambda u, c, b: s.case_suspend(actor=u, case=c, reason=b.reason, version=b.version),
        "Suspend the clocks (中止)",
        "Every running clock of the case stops, e.g. while waiting for the complainant.",
    ),
    CaseAction(
        "resume", VersionIn, "resume",
        lambda u, c, b: s.case_resume(actor=u, case=c, version=b.version),
        "Resume the clocks",
        "The suspended clocks run again with the time they had left.",
    ),
    CaseAction(
        "mark-major", MarkMajorIn, "mark_major", _mark_major,
        "Register as a major issue (重大问题挂号)",
        "With its responsible leader (包案领导, see /leaders).",
    ),
    CaseAction(
        "milestones", MilestoneIn, "milestone",
        lambda u, c, b: s.milestone_add(actor=u, case=c, title=b.title, due_on=b.due_on),
        "Set a milestone of a major issue",
        "A step with its date; the close-out waits until every milestone is reached.",
    ),
    CaseAction(
        "accountability", AccountabilityIn, "accountability", _accountability,
        "Record an accountability decision (问责)",
        "For a substantiated case, against a unit and optionally a person.",
    ),
    CaseAction(
        "instructions", InstructionIn, "instruct",
        lambda u, c, b: s.instruction_add(actor=u, case=c, text=b.text),
        "Write a leader's instruction (批示)",
        "Leaders only; everyone handling the case is notified.",
    ),
    CaseAction(
        "links", LinkIn, "link",
        lambda u, c, b: s.case_link(
            actor=u, case=c, other=_other_case(u, b.other, "other"), kind=b.kind
        ),
        "Link to another case",
        "A related case or a repeated complaint, by register number.",
    ),
    CaseAction(
        "merge", MergeIn, "merge",
        lambda u, c, b: s.case_merge(
            actor=u, case=c, into=_other_case(u, b.into, "into"), version=b.version
        ),
        "Merge into another case (并案)",
        "The case stops and follows the other case; its history stays readable on both.",
    ),
)  # fmt: skip


# --- a unit's actions on its part ----------------------------------------------------------------


@dataclass(frozen=True)
class AssignmentAction:
    path: str
    body: type
    permission: str
    run: Callable  # run(actor, assignment, body)
    summary: str
    description: str


ASSIGNMENT_ACTIONS = (
    AssignmentAction(
        "sign", SignIn, "sign",
        lambda u, a, b: s.assignment_sign(
            actor=u, assignment=a, handler=_person(b.handler, "handler"), version=b.version
        ),
        "Sign for the case (签收)",
        "The unit takes its part; the lead (or sole) unit's signature starts the handling. A "
        "handler who signs handles it.",
    ),
    AssignmentAction(
        "assign-handler", HandlerIn, "assign_handler",
        lambda u, a, b: s.assignment_assign_handler(
            actor=u, assignment=a, handler=_person(b.handler, "handler"), version=b.version
        ),
        "Assign the handler",
        "The unit's liaison or head names who handles the part (see /handlers).",
    ),
    AssignmentAction(
        "progress", ProgressIn, "progress",
        lambda u, a, b: s.assignment_progress(actor=u, assignment=a, note=b.note),
        "Record progress (办理进展)",
        "A note in the timeline, visible to the office and the unit itself.",
    ),
    AssignmentAction(
        "reply", ReplyIn, "reply",
        lambda u, a, b: s.assignment_reply(
            actor=u, assignment=a, reply_text=b.reply_text, finding=b.finding,
            measures=b.measures, version=b.version,
        ),
        "Submit the reply (办结上报)",
        "The lead (or sole) unit states the finding; its reply goes to the office for review "
        "(through the unit head first where the office requires it).",
    ),
    AssignmentAction(
        "return", ReasonIn, "return",
        lambda u, a, b: s.assignment_return(
            actor=u, assignment=a, reason=b.reason, version=b.version
        ),
        "Return the case (退单)",
        "The unit says why the case is not its business; the office rules on it.",
    ),
    AssignmentAction(
        "head-decision", HeadDecisionIn, "head_approve",
        lambda u, a, b: s.assignment_head_decide(
            actor=u, assignment=a, approve=b.approve, note=b.note, version=b.version
        ),
        "The unit head's decision on the reply",
        "Approve the reply (it goes to the office) or send it back within the unit.",
    ),
    AssignmentAction(
        "extension-request", ExtensionRequestIn, "extension_request",
        lambda u, a, b: s.extension_request(
            actor=u, assignment=a, amount=b.amount, reason=b.reason
        ),
        "Ask for more time (延期申请)",
        "Extra working days for the handling deadline; the office director decides.",
    ),
)  # fmt: skip


# --- the endpoints --------------------------------------------------------------------------------


def _answer(user, case_id: int) -> dict:
    return serializers.case_detail(case_get(user=user, pk=case_id), user=user)


def _case_endpoint(spec: CaseAction):
    body_type = spec.body

    def act(request, body, case_id: int):
        user = actor(request)
        case = visible_case(user, case_id)
        if not case_action_permitted(user=user, action=spec.permission):
            raise errors.forbidden()
        spec.run(user, case, body)
        return _answer(user, case_id)

    if body_type is VersionIn:  # nothing but the optional version: the body may be left out

        def endpoint(request, body: VersionIn | None = None, case_id: int = CASE_ID):
            return act(request, body or VersionIn(), case_id)

    else:

        def endpoint(request, body: body_type, case_id: int = CASE_ID):
            return act(request, body, case_id)

    name = "case_" + spec.path.replace("-", "_")
    endpoint.__name__ = endpoint.__qualname__ = name
    router.post(
        f"/cases/{{case_id}}/{spec.path}",
        response=responses(200, CaseOut),
        summary=spec.summary,
        description=spec.description,
        operation_id=name,
    )(endpoint)


def _assignment_endpoint(spec: AssignmentAction):
    body_type = spec.body

    def endpoint(request, body: body_type, case_id: int = CASE_ID, assignment_id: int = RECORD_ID):
        user = actor(request)
        case = visible_case(user, case_id)
        part = next((a for a in case_assignments(case=case) if a.pk == assignment_id), None)
        if part is None:
            raise errors.not_found()
        if not assignment_action_permitted(user=user, assignment=part, action=spec.permission):
            raise errors.forbidden()
        spec.run(user, part, body)
        return _answer(user, case_id)

    name = "assignment_" + spec.path.replace("-", "_")
    endpoint.__name__ = endpoint.__qualname__ = name
    router.post(
        f"/cases/{{case_id}}/assignments/{{assignment_id}}/{spec.path}",
        response=responses(200, CaseOut),
        summary=spec.summary,
        description=spec.description,
        operation_id=name,
    )(endpoint)


for _spec in CASE_ACTIONS:
    _case_endpoint(_spec)
for _spec in ASSIGNMENT_ACTIONS:
    _assignment_endpoint(_spec)


@router.post(
    "/cases/{case_id}/milestones/{milestone_id}/reach",
    response=responses(200, CaseOut),
    summary="Record a milestone as reached",
    operation_id="case_milestone_reach",
)
def milestone_reach(
    request, body: MilestoneReachIn, case_id: int = CASE_ID, milestone_id: int = RECORD_ID
):
    """With the evidence that the milestone of a major issue is reached."""
    user = actor(request)
    case = visible_case(user, case_id)
    if not case_action_permitted(user=user, action="milestone"):
        raise errors.forbidden()
    milestone = next((m for m in milestones_open(case=case) if m.pk == milestone_id), None)
    if milestone is None:
        raise errors.not_found()
    s.milestone_reach(actor=user, milestone=milestone, evidence=body.evidence)
    return _answer(user, case_id)


@router.post(
    "/cases/{case_id}/returns/{return_id}/ruling",
    response=responses(200, CaseOut),
    summary="Rule on a unit's return (退单裁定)",
    operation_id="case_return_ruling",
)
def return_ruling(request, body: RulingIn, case_id: int = CASE_ID, return_id: int = RECORD_ID):
    """Re-dispatch the part to another unit, or rule that the unit keeps it."""
    user = actor(request)
    case = visible_case(user, case_id)
    record = case_return_get(user=user, pk=return_id)
    if record.assignment.case_id != case.pk:
        raise errors.not_found()
    if not case_action_permitted(user=user, action="ruling"):
        raise errors.forbidden()
    redispatch = body.ruling == ReturnRuling.REDISPATCH
    s.case_return_rule(
        actor=user,
        case_return=record,
        ruling=body.ruling,
        note=body.note,
        new_unit=unit_by_code(body.new_unit, "new_unit") if redispatch else None,
        new_amount=body.new_days if redispatch else None,
    )
    return _answer(user, case_id)


@router.post(
    "/cases/{case_id}/extensions/{extension_id}/decision",
    response=responses(200, CaseOut),
    summary="Decide an extension request",
    operation_id="case_extension_decision",
)
def extension_decision(
    request, body: ExtensionDecisionIn, case_id: int = CASE_ID, extension_id: int = RECORD_ID
):
    """The office director approves the extra working days or refuses with a reason."""
    user = actor(request)
    case = visible_case(user, case_id)
    request_ = extension_request_get(user=user, pk=extension_id)
    if request_.deadline.case_id != case.pk:
        raise errors.not_found()
    if not case_action_permitted(user=user, action="extension_decide"):
        raise errors.forbidden()
    s.extension_decide(actor=user, request=request_, approve=body.approve, note=body.note)
    return _answer(user, case_id)
