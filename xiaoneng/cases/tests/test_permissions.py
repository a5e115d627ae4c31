"""The permission matrix of the case services and the scope of the case selectors.

Every service an actor calls is tried by every persona on a case in the state where the action
is possible. The table says who may act (SPEC.md §1 roles, ``transitions.py``); anyone else
gets ``CaseActionDenied`` (404 in the views) and nothing changes: no case, assignment, clock,
event, request, notification or audit row.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.http import Http404

from xiaoneng.audit.models import AuditEntry
from xiaoneng.cases import services as s
from xiaoneng.cases.choices import AttachmentKind, CaseStatus
from xiaoneng.cases.models import (
    Accountability,
    Assignment,
    Attachment,
    Callback,
    Case,
    CaseEvent,
    CaseLink,
    CaseReturn,
    CaseSettings,
    Category,
    Deadline,
    ExtensionRequest,
    Instruction,
    Milestone,
    SupervisionNotice,
    TimeLimit,
)
from xiaoneng.cases.selectors import case_get, case_list, complainant_masked
from xiaoneng.notifications.models import Notification

TZ = ZoneInfo("Asia/Shanghai")

PERSONAS = [
    "clerk",
    "supervisor",
    "director",
    "leader",
    "liaison_a",
    "handler_a",
    "unit_head_a",
    "handler_b",
    "inspector",
    "sysadmin",
    "secadmin",
    "auditadmin",
]

OFFICE = {"clerk", "supervisor", "director"}
REVIEWERS = {"supervisor", "director"}
UNIT_A = {"liaison_a", "handler_a", "unit_head_a"}
UNIT_A_MANAGERS = {"liaison_a", "unit_head_a"}

#: Who may call each service (everyone else is denied).
ALLOWED: dict[str, set[str]] = {
    "case_register": {"clerk"},
    "case_accept": {"clerk", "director"},
    "case_reject": {"clerk", "director"},
    "case_dispatch": REVIEWERS,
    "case_supervise": REVIEWERS,
    "assignment_sign": UNIT_A,
    "assignment_assign_handler": UNIT_A_MANAGERS,
    "assignment_progress": UNIT_A,
    "assignment_return": UNIT_A_MANAGERS,
    "case_return_rule": REVIEWERS,
    "assignment_reply": UNIT_A,
    "assignment_head_decide": {"unit_head_a"},
    "case_review": REVIEWERS,
    "case_callback": OFFICE,
    "case_redo": REVIEWERS,
    "case_close_out": REVIEWERS,
    "case_close_request": REVIEWERS,
    "case_close_signoff": {"director"},
    "case_suspend": REVIEWERS,
    "case_resume": REVIEWERS,
    "extension_request": UNIT_A,
    "extension_decide": {"director"},
    "case_mark_major": REVIEWERS,
    "milestone_add": REVIEWERS,
    "milestone_reach": REVIEWERS,
    "accountability_record": REVIEWERS,
    "instruction_add": {"leader"},
    "case_link": OFFICE,
    "case_merge": OFFICE,
    "complainant_reveal": OFFICE,
    # Configuration of the case centre: the office director only.
    "category_create": {"director"},
    "category_update": {"director"},
    "time_limit_set": {"director"},
    "time_limit_delete": {"director"},
    "case_settings_update": {"director"},
}

pytestmark = pytest.mark.django_db


class Flow:
    """Builds a case up to a given state with the right personas, on a clock that moves an
    hour per step (Monday 3 March 2025 onwards, no holiday near)."""

    def __init__(self, p: dict, register: Callable, units: dict):
        self.p = p
        self._register = register
        self.units = units
        self._now = datetime(2025, 3, 3, 8, tzinfo=TZ)

    def tick(self) -> datetime:
        self._now += timedelta(hours=1)
        return self._now

    def registered(self, **overrides) -> Case:
        return self._register(now=self.tick(), **overrides)

    def another(self) -> Case:
        return self.registered(
            summary="另一件不相干的事",
            content="与第一件完全无关的内容。",
            complainant=s.ComplainantData(anonymous=True),
            subject_units=[],
        )

    def accepted(self, *, major: bool = False) -> Case:
        case = self.registered()
        s.case_accept(actor=self.p["clerk"], case=case, now=self.tick())
        if major:
            s.case_mark_major(
                actor=self.p["supervisor"], case=case, leader=self.p["leader"], now=self.tick()
            )
        return case

    def dispatched(self, **kw) -> tuple[Case, Assignment]:
        case = self.accepted(**kw)
        s.case_dispatch(
            actor=self.p["supervisor"],
            case=case,
            mode="transfer",
            lead=s.UnitPart(self.units["unit_a"], "查明推诿原因"),
            now=self.tick(),
        )
        return case, case.assignments.get()

    def in_progress(self, **kw) -> tuple[Case, Assignment]:
        case, assignment = self.dispatched(**kw)
        s.assignment_sign(actor=self.p["liaison_a"], assignment=assignment, now=self.tick())
        return case, assignment

    def replied(self, **kw) -> tuple[Case, Assignment]:
        case, assignment = self.in_progress(**kw)
        s.assignment_reply(
            actor=self.p["handler_a"],
            assignment=assignment,
            reply_text="已批评教育窗口人员",
            finding="substantiated",
            measures="窗口首问负责制",
            now=self.tick(),
        )
        return case, assignment

    def callback(self, *, satisfaction: str = "", **kw) -> Case:
        case, _assignment = self.replied(**kw)
        s.case_review(actor=self.p["supervisor"], case=case, approve=True, now=self.tick())
        if satisfaction:
            s.case_callback(
                actor=self.p["clerk"],
                case=case,
                satisfaction=satisfaction,
                solved="solved" if satisfaction == "satisfied" else "unsolved",
                now=self.tick(),
            )
        return case

    def major_ready_to_close(self) -> Case:
        case = self.callback(satisfaction="satisfied", major=True)
        milestone = s.milestone_add(
            actor=self.p["supervisor"], case=case, title="完成整改", due_on=date(2025, 3, 31)
        )
        s.milestone_reach(
            actor=self.p["supervisor"], milestone=milestone, evidence="整改报告", now=self.tick()
        )
        Attachment.objects.create(
            case=case,
            kind=AttachmentKind.EVIDENCE,
            file="cases/2025/03/evidence",
            original_name="整改报告.pdf",
            content_type="application/pdf",
            size=1024,
            sha256="0" * 64,
            uploaded_by=self.p["supervisor"],
            uploaded_at=self.tick(),
        )
        return case


# Each scenario builds the state and returns (case, the call as a given actor, what a
# successful call leaves behind: an event code, or a check of its own).


def _register(f: Flow):
    def call(actor):
        return s.case_register(
            actor=actor,
            channel="phone",
            category=Category.objects.get(code="TWCP"),
            summary="窗口态度差",
            content="工作人员对群众不理不睬。",
            complainant=s.ComplainantData(anonymous=True),
            now=f.tick(),
        )

    return None, call, "case.registered"


def _accept(f: Flow):
    case = f.registered()
    return case, lambda actor: s.case_accept(actor=actor, case=case, now=f.tick()), "case.accepted"


def _reject(f: Flow):
    case = f.registered()
    return (
        case,
        lambda actor: s.case_reject(
            actor=actor, case=case, reason="不属于效能投诉", referral="区信访局", now=f.tick()
        ),
        "case.not_accepted",
    )


def _dispatch(f: Flow):
    case = f.accepted()
    return (
        case,
        lambda actor: s.case_dispatch(
            actor=actor,
            case=case,
            mode="transfer",
            lead=s.UnitPart(f.units["unit_a"]),
            now=f.tick(),
        ),
        "case.dispatched",
    )


def _supervise(f: Flow):
    case, _a = f.dispatched()
    return (
        case,
        lambda actor: s.case_supervise(
            actor=actor, case=case, level="key", text="五日内报告办理情况", now=f.tick()
        ),
        "case.supervised",
    )


def _sign(f: Flow):
    case, assignment = f.dispatched()
    return (
        case,
        lambda actor: s.assignment_sign(actor=actor, assignment=assignment, now=f.tick()),
        "case.signed",
    )


def _assign_handler(f: Flow):
    case, assignment = f.dispatched()
    return (
        case,
        lambda actor: s.assignment_assign_handler(
            actor=actor, assignment=assignment, handler=f.p["handler_a"], now=f.tick()
        ),
        "case.handler_assigned",
    )


def _progress(f: Flow):
    case, assignment = f.in_progress()
    return (
        case,
        lambda actor: s.assignment_progress(
            actor=actor, assignment=assignment, note="已约谈窗口负责人", now=f.tick()
        ),
        "case.progress",
    )


def _return(f: Flow):
    case, assignment = f.dispatched()
    return (
        case,
        lambda actor: s.assignment_return(
            actor=actor, assignment=assignment, reason="不属于本单位职责", now=f.tick()
        ),
        "case.returned",
    )


def _return_rule(f: Flow):
    case, assignment = f.dispatched()
    record = s.assignment_return(
        actor=f.p["liaison_a"], assignment=assignment, reason="不属于本单位职责", now=f.tick()
    )
    return (
        case,
        lambda actor: s.case_return_rule(
            actor=actor, case_return=record, ruling="insist", note="属本单位职责", now=f.tick()
        ),
        "case.return_insist",
    )


def _reply(f: Flow):
    case, assignment = f.in_progress()
    return (
        case,
        lambda actor: s.assignment_reply(
            actor=actor,
            assignment=assignment,
            reply_text="已整改",
            finding="partly",
            now=f.tick(),
        ),
        "case.replied",
    )


def _head_decide(f: Flow):
    CaseSettings.objects.update_or_create(id=1, defaults={"unit_head_approval": True})
    case, assignment = f.in_progress()
    s.assignment_reply(
        actor=f.p["handler_a"],
        assignment=assignment,
        reply_text="已整改",
        finding="partly",
        now=f.tick(),
    )
    return (
        case,
        lambda actor: s.assignment_head_decide(
            actor=actor, assignment=assignment, approve=True, now=f.tick()
        ),
        "case.head_approved",
    )


def _review(f: Flow):
    case, _a = f.replied()
    return (
        case,
        lambda actor: s.case_review(actor=actor, case=case, approve=True, now=f.tick()),
        "case.review_passed",
    )


def _callback(f: Flow):
    case = f.callback()
    return (
        case,
        lambda actor: s.case_callback(
            actor=actor, case=case, satisfaction="basically", solved="partly", now=f.tick()
        ),
        "case.callback",
    )


def _redo(f: Flow):
    case = f.callback(satisfaction="dissatisfied")
    return (
        case,
        lambda actor: s.case_redo(actor=actor, case=case, reason="问题仍未解决", now=f.tick()),
        "case.redo",
    )


def _close_out(f: Flow):
    case = f.callback(satisfaction="satisfied")
    return case, lambda actor: s.case_close_out(actor=actor, case=case, now=f.tick()), "case.closed"


def _close_request(f: Flow):
    case = f.major_ready_to_close()
    return (
        case,
        lambda actor: s.case_close_request(
            actor=actor, case=case, explanation="整改到位，群众满意", now=f.tick()
        ),
        "case.close_requested",
    )


def _close_signoff(f: Flow):
    case = f.major_ready_to_close()
    s.case_close_request(
        actor=f.p["supervisor"], case=case, explanation="整改到位，群众满意", now=f.tick()
    )
    return (
        case,
        lambda actor: s.case_close_signoff(actor=actor, case=case, approve=True, now=f.tick()),
        "case.close_signed",
    )


def _suspend(f: Flow):
    case, _a = f.in_progress()
    return (
        case,
        lambda actor: s.case_suspend(
            actor=actor, case=case, reason="等待群众补充材料", now=f.tick()
        ),
        "case.suspended",
    )


def _resume(f: Flow):
    case, _a = f.in_progress()
    s.case_suspend(actor=f.p["supervisor"], case=case, reason="等待群众补充材料", now=f.tick())
    return case, lambda actor: s.case_resume(actor=actor, case=case, now=f.tick()), "case.resumed"


def _extension_request(f: Flow):
    case, assignment = f.in_progress()
    return (
        case,
        lambda actor: s.extension_request(
            actor=actor, assignment=assignment, amount=5, reason="需现场核查", now=f.tick()
        ),
        "case.extension_requested",
    )


def _extension_decide(f: Flow):
    case, assignment = f.in_progress()
    request = s.extension_request(
        actor=f.p["liaison_a"], assignment=assignment, amount=5, reason="需现场核查", now=f.tick()
    )
    return (
        case,
        lambda actor: s.extension_decide(actor=actor, request=request, approve=True, now=f.tick()),
        "case.extension_approved",
    )


def _mark_major(f: Flow):
    case = f.accepted()
    return (
        case,
        lambda actor: s.case_mark_major(actor=actor, case=case, leader=f.p["leader"], now=f.tick()),
        "case.major_marked",
    )


def _milestone_add(f: Flow):
    case = f.accepted(major=True)
    return (
        case,
        lambda actor: s.milestone_add(
            actor=actor, case=case, title="完成整改", due_on=date(2025, 3, 31), now=f.tick()
        ),
        "case.milestone_added",
    )


def _milestone_reach(f: Flow):
    case = f.accepted(major=True)
    milestone = s.milestone_add(
        actor=f.p["supervisor"], case=case, title="完成整改", due_on=date(2025, 3, 31)
    )
    return (
        case,
        lambda actor: s.milestone_reach(
            actor=actor, milestone=milestone, evidence="整改报告", now=f.tick()
        ),
        "case.milestone_reached",
    )


def _accountability(f: Flow):
    case, _a = f.replied()
    return (
        case,
        lambda actor: s.accountability_record(
            actor=actor,
            case=case,
            kind="criticism",
            unit=f.units["unit_a"],
            person_name="窗口工作人员甲",
            decided_on=date(2025, 3, 10),
            document_number="天人社〔2025〕3号",
            now=f.tick(),
        ),
        "case.accountability",
    )


def _instruction(f: Flow):
    case, _a = f.dispatched()
    return (
        case,
        lambda actor: s.instruction_add(
            actor=actor, case=case, text="请认真核查，限期整改。", now=f.tick()
        ),
        "case.instruction",
    )


def _link(f: Flow):
    case = f.registered()
    other = f.another()
    return (
        case,
        lambda actor: s.case_link(actor=actor, case=case, other=other, now=f.tick()),
        "case.linked",
    )


def _merge(f: Flow):
    into = f.another()
    case = f.registered()
    return (
        case,
        lambda actor: s.case_merge(actor=actor, case=case, into=into, now=f.tick()),
        "case.merged",
    )


def _revealed(case: Case, actor) -> None:
    entry = AuditEntry.objects.filter(action="cases.case.view_protected").latest("position")
    assert (entry.actor_id, entry.object_id) == (actor.pk, str(case.pk))


def _reveal(f: Flow):
    case = f.registered()
    return case, lambda actor: s.complainant_reveal(actor=actor, case=case), _revealed


def _category_create(f: Flow):
    return (
        None,
        lambda actor: s.category_create(actor=actor, code="NEW", name="新类别"),
        lambda case, actor: Category.objects.get(code="NEW"),
    )


def _category_update(f: Flow):
    category = Category.objects.get(code="QT")

    def done(case, actor):
        assert Category.objects.get(code="QT").name == "其他问题"

    return (
        None,
        lambda actor: s.category_update(actor=actor, category=category, name="其他问题"),
        done,
    )


def _time_limit_set(f: Flow):
    return (
        None,
        lambda actor: s.time_limit_set(
            actor=actor, stage="handling", amount=20, unit="working_days"
        ),
        lambda case, actor: TimeLimit.objects.get(stage="handling", amount=20),
    )


def _time_limit_delete(f: Flow):
    rule = TimeLimit.objects.create(stage="handling", amount=20)

    def done(case, actor):
        assert not TimeLimit.objects.exists()

    return None, lambda actor: s.time_limit_delete(actor=actor, rule=rule), done


def _settings_update(f: Flow):
    def done(case, actor):
        assert CaseSettings.objects.get().handling_limit_max == 50

    return None, lambda actor: s.case_settings_update(actor=actor, handling_limit_max=50), done


SCENARIOS: dict[str, Callable] = {
    "case_register": _register,
    "case_accept": _accept,
    "case_reject": _reject,
    "case_dispatch": _dispatch,
    "case_supervise": _supervise,
    "assignment_sign": _sign,
    "assignment_assign_handler": _assign_handler,
    "assignment_progress": _progress,
    "assignment_return": _return,
    "case_return_rule": _return_rule,
    "assignment_reply": _reply,
    "assignment_head_decide": _head_decide,
    "case_review": _review,
    "case_callback": _callback,
    "case_redo": _redo,
    "case_close_out": _close_out,
    "case_close_request": _close_request,
    "case_close_signoff": _close_signoff,
    "case_suspend": _suspend,
    "case_resume": _resume,
    "extension_request": _extension_request,
    "extension_decide": _extension_decide,
    "case_mark_major": _mark_major,
    "milestone_add": _milestone_add,
    "milestone_reach": _milestone_reach,
    "accountability_record": _accountability,
    "instruction_add": _instruction,
    "case_link": _link,
    "case_merge": _merge,
    "complainant_reveal": _reveal,
    "category_create": _category_create,
    "category_update": _category_update,
    "time_limit_set": _time_limit_set,
    "time_limit_delete": _time_limit_delete,
    "case_settings_update": _settings_update,
}


def snapshot() -> dict:
    """Everything a case action could change."""
    return {
        "cases": list(
            Case.objects.order_by("id").values_list(
                "id",
                "status",
                "version",
                "is_major",
                "is_supervised",
                "suspended_at",
                "merged_into_id",
                "satisfaction",
                "finding",
            )
        ),
        "assignments": list(
            Assignment.objects.order_by("id").values_list("id", "status", "version", "handler_id")
        ),
        "deadlines": list(
            Deadline.objects.order_by("id").values_list(
                "id", "due_at", "completed_at", "suspended_at", "extended_by"
            )
        ),
        "events": CaseEvent.objects.count(),
        "requests": list(ExtensionRequest.objects.order_by("id").values_list("id", "status")),
        "returns": list(CaseReturn.objects.order_by("id").values_list("id", "ruling")),
        "milestones": list(Milestone.objects.order_by("id").values_list("id", "done_at")),
        "categories": list(Category.objects.order_by("id").values_list("code", "name")),
        "time_limits": list(TimeLimit.objects.order_by("id").values_list("id", "amount")),
        "settings": list(CaseSettings.objects.values_list("version", "handling_limit_max")),
        "rows": {
            model.__name__: model.objects.count()
            for model in (
                Accountability,
                Callback,
                CaseLink,
                Instruction,
                SupervisionNotice,
                Notification,
                AuditEntry,
            )
        },
    }


@pytest.fixture
def people(request) -> dict:
    return {name: request.getfixturevalue(name) for name in PERSONAS}


@pytest.fixture
def flow(people, register, unit_a, unit_b, section_a) -> Flow:
    return Flow(people, register, {"unit_a": unit_a, "unit_b": unit_b})


def test_the_matrix_covers_every_service_an_actor_calls():
    services = {
        name
        for name, fn in inspect.getmembers(s, inspect.isfunction)
        if fn.__module__ == s.__name__
        and not name.startswith("_")
        and "actor" in inspect.signature(fn).parameters
    }
    assert services == set(ALLOWED) == set(SCENARIOS)


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("action", list(ALLOWED))
def test_permission_matrix(action, persona, flow, people):
    case, call, done = SCENARIOS[action](flow)
    actor = people[persona]
    if persona in ALLOWED[action]:
        before = CaseEvent.objects.filter(code=done).count() if isinstance(done, str) else 0
        call(actor)
        if isinstance(done, str):
            events = CaseEvent.objects.filter(code=done)
            assert events.count() == before + 1
            assert events.latest("id").actor == actor
        else:
            done(case, actor)
    else:
        before = snapshot()
        with pytest.raises(s.CaseActionDenied):
            call(actor)
        assert snapshot() == before


def test_the_role_and_scope_are_checked_before_the_state(flow, people):
    """Someone without the right gets the same denial whatever state the case is in, so a
    wrong-state message never reveals a case outside their scope."""
    case, assignment = flow.dispatched()  # the part waits to be signed for
    before = snapshot()
    with pytest.raises(s.CaseActionDenied):
        s.assignment_reply(
            actor=people["handler_b"], assignment=assignment, reply_text="x", finding="partly"
        )
    with pytest.raises(s.CaseActionDenied):
        s.case_review(actor=people["handler_a"], case=case, approve=True)
    with pytest.raises(s.CaseActionDenied):
        s.case_close_signoff(actor=people["supervisor"], case=case, approve=True)
    assert snapshot() == before
    # The right person in the wrong state is told the state is wrong.
    with pytest.raises(s.InvalidTransition):
        s.case_review(actor=people["supervisor"], case=case, approve=True)
    with pytest.raises(s.InvalidTransition):
        s.assignment_reply(
            actor=people["handler_a"], assignment=assignment, reply_text="x", finding="partly"
        )
    assert snapshot() == before


def test_a_web_case_registered_by_a_staff_member_needs_the_clerk_role(handler_b, category):
    with pytest.raises(s.CaseActionDenied):
        s.case_register(
            actor=handler_b,
            channel="web",
            category=category,
            summary="窗口态度差",
            content="工作人员对群众不理不睬。",
            complainant=s.ComplainantData(anonymous=True),
        )
    # The portal registers in the complainant's own name, without a staff account.
    case = s.case_register(
        actor=None,
        channel="web",
        category=category,
        summary="窗口态度差",
        content="工作人员对群众不理不睬。",
        complainant=s.ComplainantData(anonymous=True),
    )
    assert list(Case.objects.values_list("number", "registered_by")) == [(case.number, None)]


# --- selectors: who sees which case ---------------------------------------------------------


@pytest.fixture
def three_cases(flow, supervisor, section_a):
    """A case only registered, one dispatched to unit A, one to a section of unit A."""
    registered = flow.registered()
    dispatched, _a = flow.dispatched()
    in_section = flow.accepted()
    s.case_dispatch(
        actor=supervisor,
        case=in_section,
        mode="transfer",
        lead=s.UnitPart(section_a),
        now=flow.tick(),
    )
    return registered, dispatched, in_section


SEES = {
    # Office roles and leaders: every case; unit roles: their units' cases (a unit head also
    # the sections of the unit); a foreign unit, the inspector and the administrators: none.
    "clerk": {"registered", "dispatched", "in_section"},
    "supervisor": {"registered", "dispatched", "in_section"},
    "director": {"registered", "dispatched", "in_section"},
    "leader": {"registered", "dispatched", "in_section"},
    "liaison_a": {"dispatched"},
    "handler_a": {"dispatched"},
    "unit_head_a": {"dispatched", "in_section"},
    "handler_b": set(),
    "inspector": set(),
    "sysadmin": set(),
    "secadmin": set(),
    "auditadmin": set(),
}


@pytest.mark.parametrize("persona", PERSONAS)
def test_case_list_and_case_get_keep_to_the_scope(persona, people, three_cases):
    names = dict(zip(("registered", "dispatched", "in_section"), three_cases, strict=True))
    user = people[persona]
    visible = set(case_list(user=user).values_list("pk", flat=True))
    assert visible == {names[n].pk for n in SEES[persona]}
    for name, case in names.items():
        if name in SEES[persona]:
            assert case_get(user=user, pk=case.pk) == case
        else:
            with pytest.raises(Http404):
                case_get(user=user, pk=case.pk)
    assert set(case_list(user=user, status=CaseStatus.REGISTERED).values_list("pk", flat=True)) == (
        {names["registered"].pk} if "registered" in SEES[persona] else set()
    )


def test_case_get_answers_404_for_a_missing_or_malformed_id(clerk):
    for pk in (999999, "abc", None):
        with pytest.raises(Http404):
            case_get(user=clerk, pk=pk)


def test_the_masked_complainant_never_shows_the_identity(register, complainant):
    case = register()
    masked = complainant_masked(case=case)
    assert masked == {
        "anonymous": False,
        "name": "张**",
        "phone": "138****5678",
        "id_number": "33**************34",
        "address": "天洲区***",
    }
    shown = "".join(str(v) for v in masked.values())
    for secret in (
        complainant.name,
        complainant.phone,
        complainant.id_number,
        complainant.address,
        "12345678",
        "1990010112",
        "三丰",
    ):
        assert secret not in shown


def test_an_anonymous_complainant_is_masked_as_anonymous(register):
    case = register(complainant=s.ComplainantData(anonymous=True))
    assert complainant_masked(case=case) == {"anonymous": True}


def test_short_values_are_masked_entirely(register):
    case = register(complainant=s.ComplainantData(name="李", phone="110", id_number="A12345"))
    masked = complainant_masked(case=case)
    assert (masked["name"], masked["phone"], masked["id_number"]) == ("李*", "***", "******")
