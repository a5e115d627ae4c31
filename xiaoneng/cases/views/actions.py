"""The forms of every lifecycle action of a case, shown on the case page, and the POST views
behind them. One URL per action, POST only, named ``cases:action_<code>``:

    /cases/<pk>/actions/<code>/                     actions on the case as a whole
    /cases/assignments/<pk>/actions/<code>/         a unit's actions on its part
    /cases/returns/<pk>/actions/ruling/             the office's ruling on a return (退单)
    /cases/extensions/<pk>/actions/decide/          the director's decision on an extension

Each view finds the record through the viewer's scope (404 outside it), checks that the viewer
holds a role for the action (404 otherwise), parses the form and calls the service. Success:
back to the case page with a message (HTMX: ``HX-Redirect``). A form error, an impossible
transition or a stale version: the action's card again, with the errors and what was typed
(HTMX: the card alone, swapped in place; without JavaScript: a small page with the card).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from xiaoneng.cases import selectors
from xiaoneng.cases import services as s
from xiaoneng.cases.choices import Finding, ReturnRuling, Satisfaction
from xiaoneng.cases.forms import actions as f
from xiaoneng.cases.models import Assignment, Case
from xiaoneng.org.services import ConflictError

CASE, ASSIGNMENT, RETURN, EXTENSION = "case", "assignment", "return", "extension"
SUBSTANTIATED = (Finding.SUBSTANTIATED, Finding.PARTLY)


@dataclass(frozen=True)
class ActionSpec:
    """One lifecycle action as the screens offer it."""

    code: str
    level: str  # CASE, ASSIGNMENT, RETURN or EXTENSION: what the URL's pk names
    form: type[f.ActionForm]
    run: Callable  # run(actor, form): calls the service
    title: str
    submit: str
    done: str  # the message after success
    permission: str  # the transition-table action whose roles may take it
    icon: str = "check2-circle"
    button: str = "btn-primary"
    intro: str = ""


# --- the service calls ---------------------------------------------------------------------------


def _version(form) -> int:
    return form.cleaned_data["version"]


def _accept(actor, form):
    s.case_accept(actor=actor, case=form.case, version=_version(form))


def _reject(actor, form):
    d = form.cleaned_data
    s.case_reject(
        actor=actor,
        case=form.case,
        reason=d["reason"],
        referral=d["referral"],
        version=_version(form),
    )


def _dispatch(actor, form):
    d = form.cleaned_data
    s.case_dispatch(
        actor=actor,
        case=form.case,
        mode=d["mode"],
        lead=d["lead"],
        co_units=d["co_units"],
        supervision_level=d["supervision_level"],
        supervision_text=d["supervision_text"],
        supervision_days=d["supervision_days"],
        version=_version(form),
    )


def _supervise(actor, form):
    d = form.cleaned_data
    s.case_supervise(
        actor=actor,
        case=form.case,
        level=d["supervision_level"],
        text=d["supervision_text"],
        days=d["supervision_days"],
        version=_version(form),
    )


def _review(actor, form):
    d = form.cleaned_data
    s.case_review(
        actor=actor,
        case=form.case,
        approve=d["decision"] == "pass",
        reason=d["reason"],
        redo_units=d.get("redo_units") or [],
        redo_days=d["redo_days"],
        version=_version(form),
    )


def _callback(actor, form):
    d = form.cleaned_data
    s.case_callback(
        actor=actor,
        case=form.case,
        satisfaction=d["satisfaction"],
        solved=d["solved"],
        note=d["note"],
        version=_version(form),
    )


def _redo(actor, form):
    d = form.cleaned_data
    s.case_redo(
        actor=actor,
        case=form.case,
        reason=d["reason"],
        units=d.get("units") or [],
        days=d["days"],
        version=_version(form),
    )


def _close_out(actor, form):
    s.case_close_out(
        actor=actor,
        case=form.case,
        explanation=form.cleaned_data["explanation"],
        version=_version(form),
    )


def _close_request(actor, form):
    s.case_close_request(
        actor=actor,
        case=form.case,
        explanation=form.cleaned_data["explanation"],
        version=_version(form),
    )


def _close_signoff(actor, form):
    d = form.cleaned_data
    s.case_close_signoff(
        actor=actor,
        case=form.case,
        approve=d["decision"] == "approve",
        note=d["note"],
        version=_version(form),
    )


def _suspend(actor, form):
    s.case_suspend(
        actor=actor, case=form.case, reason=form.cleaned_data["reason"], version=_version(form)
    )


def _resume(actor, form):
    s.case_resume(actor=actor, case=form.case, version=_version(form))


def _mark_major(actor, form):
    s.case_mark_major(
        actor=actor, case=form.case, leader=form.cleaned_data["leader"], version=_version(form)
    )


def _milestone(actor, form):
    d = form.cleaned_data
    s.milestone_add(actor=actor, case=form.case, title=d["title"], due_on=d["due_on"])


def _milestone_reach(actor, form):
    d = form.cleaned_data
    s.milestone_reach(actor=actor, milestone=d["milestone"], evidence=d["evidence"])


def _accountability(actor, form):
    d = form.cleaned_data
    s.accountability_record(
        actor=actor,
        case=form.case,
        kind=d["kind"],
        unit=d["unit"],
        decided_on=d["decided_on"],
        person=d["person"],
        person_name=d["person_name"],
        document_number=d["document_number"],
        note=d["note"],
    )


def _instruct(actor, form):
    s.instruction_add(actor=actor, case=form.case, text=form.cleaned_data["text"])


def _link(actor, form):
    d = form.cleaned_data
    s.case_link(actor=actor, case=form.case, other=d["other"], kind=d["kind"])


def _merge(actor, form):
    s.case_merge(
        actor=actor, case=form.case, into=form.cleaned_data["into"], version=_version(form)
    )


def _ruling(actor, form):
    d = form.cleaned_data
    redispatch = d["ruling"] == ReturnRuling.REDISPATCH
    s.case_return_rule(
        actor=actor,
        case_return=form.obj,
        ruling=d["ruling"],
        note=d["note"],
        new_unit=d["new_unit"] if redispatch else None,
        new_amount=d["new_days"] if redispatch else None,
    )


def _extension_decide(actor, form):
    d = form.cleaned_data
    s.extension_decide(
        actor=actor, request=form.obj, approve=d["decision"] == "approve", note=d["note"]
    )


def _sign(actor, form):
    s.assignment_sign(
        actor=actor,
        assignment=form.assignment,
        handler=form.cleaned_data["handler"],
        version=_version(form),
    )


def _assign_handler(actor, form):
    s.assignment_assign_handler(
        actor=actor,
        assignment=form.assignment,
        handler=form.cleaned_data["handler"],
        version=_version(form),
    )


def _progress(actor, form):
    s.assignment_progress(actor=actor, assignment=form.assignment, note=form.cleaned_data["note"])


def _return(actor, form):
    s.assignment_return(
        actor=actor,
        assignment=form.assignment,
        reason=form.cleaned_data["reason"],
        version=_version(form),
    )


def _reply(actor, form):
    d = form.cleaned_data
    s.assignment_reply(
        actor=actor,
        assignment=form.assignment,
        reply_text=d["reply_text"],
        finding=d.get("finding", ""),
        measures=d["measures"],
        version=_version(form),
    )


def _head_approve(actor, form):
    s.assignment_head_decide(
        actor=actor, assignment=form.assignment, approve=True, version=_version(form)
    )


def _head_reject(actor, form):
    s.assignment_head_decide(
        actor=actor,
        assignment=form.assignment,
        approve=False,
        note=form.cleaned_data["note"],
        version=_version(form),
    )


def _extension_request(actor, form):
    d = form.cleaned_data
    s.extension_request(
        actor=actor, assignment=form.assignment, amount=d["amount"], reason=d["reason"]
    )


# --- the actions ------------------------------------------------------------------------------

_SPECS = [
    # On the case as a whole.
    ActionSpec(
        "accept", CASE, f.AcceptForm, _accept,
        _("Accept the case"), _("Accept"), _("The case was accepted."), "accept",
        icon="check2-circle",
        intro=_("The case is the office's business: accept it and send it on to dispatch."),
    ),
    ActionSpec(
        "reject", CASE, f.RejectForm, _reject,
        _("Do not accept the case"), _("Do not accept"), _("The case was not accepted."),
        "reject", icon="x-circle", button="btn-outline-danger",
    ),
    ActionSpec(
        "dispatch", CASE, f.DispatchForm, _dispatch,
        _("Dispatch the case"), _("Dispatch"), _("The case was dispatched."), "dispatch",
        icon="send",
    ),
    ActionSpec(
        "supervise", CASE, f.SuperviseForm, _supervise,
        _("Issue a supervision notice (督办)"), _("Issue the notice"),
        _("The supervision notice was issued."), "supervise", icon="flag",
    ),
    ActionSpec(
        "review", CASE, f.ReviewForm, _review,
        _("Review the unit's reply"), _("Record the review"), _("The review was recorded."),
        "review_pass", icon="clipboard-check",
    ),
    ActionSpec(
        "callback", CASE, f.CallbackForm, _callback,
        _("Record the callback (回访)"), _("Record the callback"),
        _("The callback was recorded."), "callback", icon="telephone",
    ),
    ActionSpec(
        "redo", CASE, f.RedoForm, _redo,
        _("Reopen for redo (重办)"), _("Reopen for redo"), _("The case was reopened for redo."),
        "redo", icon="arrow-counterclockwise", button="btn-outline-danger",
    ),
    ActionSpec(
        "close_out", CASE, f.CloseOutForm, _close_out,
        _("Close the case out (销号)"), _("Close out"), _("The case was closed out."),
        "close_out", icon="archive",
    ),
    ActionSpec(
        "close_request", CASE, f.CloseRequestForm, _close_request,
        _("Propose the close-out to the director"), _("Propose the close-out"),
        _("The close-out was proposed to the director."), "close_request", icon="archive",
    ),
    ActionSpec(
        "close_signoff", CASE, f.CloseSignoffForm, _close_signoff,
        _("Sign off the close-out"), _("Record the decision"),
        _("Your decision on the close-out was recorded."), "close_signoff", icon="pen",
    ),
    ActionSpec(
        "suspend", CASE, f.SuspendForm, _suspend,
        _("Suspend the clock (中止)"), _("Suspend"), _("The clock was suspended."), "suspend",
        icon="pause-circle", button="btn-outline-secondary",
    ),
    ActionSpec(
        "resume", CASE, f.ResumeForm, _resume,
        _("Resume the clock"), _("Resume"), _("The clock was resumed."), "resume",
        icon="play-circle",
    ),
    ActionSpec(
        "mark_major", CASE, f.MarkMajorForm, _mark_major,
        _("Register as a major issue (重大问题)"), _("Register as major"),
        _("The case was registered as a major issue."), "mark_major", icon="exclamation-diamond",
    ),
    ActionSpec(
        "milestone", CASE, f.MilestoneForm, _milestone,
        _("Set a milestone"), _("Set the milestone"), _("The milestone was set."), "milestone",
        icon="signpost",
    ),
    ActionSpec(
        "milestone_reach", CASE, f.MilestoneReachForm, _milestone_reach,
        _("Record a milestone as reached"), _("Record"),
        _("The milestone was recorded as reached."), "milestone", icon="signpost-2",
    ),
    ActionSpec(
        "accountability", CASE, f.AccountabilityForm, _accountability,
        _("Record an accountability decision"), _("Record the decision"),
        _("The accountability decision was recorded."), "accountability", icon="person-x",
    ),
    ActionSpec(
        "instruct", CASE, f.InstructForm, _instruct,
        _("Write an instruction (批示)"), _("Send the instruction"),
        _("Your instruction was added to the case."), "instruct", icon="chat-square-quote",
    ),
    ActionSpec(
        "link", CASE, f.LinkForm, _link,
        _("Link to another case"), _("Link"), _("The cases were linked."), "link",
        icon="link-45deg", button="btn-outline-secondary",
    ),
    ActionSpec(
        "merge", CASE, f.MergeForm, _merge,
        _("Merge into another case (并案)"), _("Merge"), _("The case was merged."), "merge",
        icon="union", button="btn-outline-danger",
        intro=_("The case stops here and follows the other case; its history stays readable."),
    ),
    ActionSpec(
        "ruling", RETURN, f.RulingForm, _ruling,
        _("Rule on the unit's return (退单)"), _("Record the ruling"),
        _("The ruling on the return was recorded."), "ruling", icon="signpost-split",
    ),
    ActionSpec(
        "extension_decide", EXTENSION, f.ExtensionDecideForm, _extension_decide,
        _("Decide the extension request"), _("Record the decision"),
        _("Your decision on the extension was recorded."), "extension_decide", icon="hourglass",
    ),
    # A unit's actions on its part.
    ActionSpec(
        "sign", ASSIGNMENT, f.SignForm, _sign,
        _("Sign for the case (签收)"), _("Sign for"), _("Your unit signed for the case."), "sign",
        icon="pen",
    ),
    ActionSpec(
        "assign_handler", ASSIGNMENT, f.AssignHandlerForm, _assign_handler,
        _("Assign the handler"), _("Assign"), _("The handler was assigned."), "assign_handler",
        icon="person-check", button="btn-outline-primary",
    ),
    ActionSpec(
        "progress", ASSIGNMENT, f.ProgressForm, _progress,
        _("Record progress"), _("Record"), _("The progress was recorded."), "progress",
        icon="journal-text", button="btn-outline-primary",
    ),
    ActionSpec(
        "reply", ASSIGNMENT, f.ReplyForm, _reply,
        _("Submit the reply (办结上报)"), _("Submit the reply"), _("Your reply was submitted."),
        "reply", icon="reply",
    ),
    ActionSpec(
        "return", ASSIGNMENT, f.ReturnForm, _return,
        _("Return the case (退单)"), _("Return"),
        _("The case was returned to the office for a ruling."), "return", icon="arrow-return-left",
        button="btn-outline-danger",
    ),
    ActionSpec(
        "head_approve", ASSIGNMENT, f.HeadApproveForm, _head_approve,
        _("Approve the reply"), _("Approve"), _("You approved the reply."), "head_approve",
        icon="check2-square",
    ),
    ActionSpec(
        "head_reject", ASSIGNMENT, f.HeadRejectForm, _head_reject,
        _("Send the reply back"), _("Send back"), _("The reply was sent back within the unit."),
        "head_reject", icon="arrow-return-left", button="btn-outline-danger",
    ),
    ActionSpec(
        "extension_request", ASSIGNMENT, f.ExtensionRequestForm, _extension_request,
        _("Ask for more time (延期申请)"), _("Ask"), _("Your extension request was sent."),
        "extension_request", icon="hourglass-split", button="btn-outline-primary",
    ),
]  # fmt: skip
ACTIONS: dict[str, ActionSpec] = {spec.code: spec for spec in _SPECS}


# --- the cards on the case page ---------------------------------------------------------------


@dataclass
class ActionPanel:
    """One action's card: its form, where it posts, and how it looks."""

    spec: ActionSpec
    form: f.ActionForm
    url: str
    dom_id: str
    case: Case
    subtitle: str = ""
    conflict: str = ""
    details: list = field(default_factory=list)  # (label, value) rows about the subject

    @property
    def code(self) -> str:
        return self.spec.code

    @property
    def open(self) -> bool:
        return bool(self.conflict) or self.form.is_bound

    @property
    def case_url(self) -> str:
        return case_url(self.case)

    @property
    def fields_template(self) -> str:
        if self.spec.code == "dispatch":
            return "cases/partials/action_dispatch.html"
        return "cases/partials/action_fields.html"


def action_url(code: str, pk: int) -> str:
    return reverse(f"cases:action_{code}", kwargs={"pk": pk})


def case_url(case: Case) -> str:
    return reverse("cases:case_detail", kwargs={"pk": case.pk})


def _target(spec: ActionSpec, *, case, assignment, obj):
    return {CASE: case, ASSIGNMENT: assignment, RETURN: obj, EXTENSION: obj}[spec.level]


def _dom_id(spec: ActionSpec, target) -> str:
    """The card's id on the page; its fields' ids start with it, so that the many forms of
    one page never share an id."""
    code = spec.code.replace("_", "-")
    return f"action-{code}" if spec.level == CASE else f"action-{code}-{target.pk}"


def _form(spec: ActionSpec, data=None, *, case, user, assignment=None, obj=None):
    dom_id = _dom_id(spec, _target(spec, case=case, assignment=assignment, obj=obj))
    return spec.form(
        data,
        case=case,
        user=user,
        assignment=assignment,
        obj=obj,
        auto_id=f"{dom_id}-%s",
    )


def _panel(spec, *, case, user, assignment=None, obj=None, form=None, conflict="") -> ActionPanel:
    if form is None:
        form = _form(spec, case=case, user=user, assignment=assignment, obj=obj)
    target = _target(spec, case=case, assignment=assignment, obj=obj)
    panel = ActionPanel(
        spec=spec,
        form=form,
        url=action_url(spec.code, target.pk),
        dom_id=_dom_id(spec, target),
        case=case,
        conflict=conflict,
    )
    if spec.level == RETURN:
        panel.subtitle = obj.assignment.unit.name
        panel.details = [(_("Reason given by the unit"), obj.reason)]
    elif spec.level == EXTENSION:
        assignment = obj.deadline.assignment
        panel.subtitle = assignment.unit.name if assignment else ""
        panel.details = [
            (_("Extra working days"), obj.amount),
            (_("Reason"), obj.reason),
        ]
    return panel


def _case_panel_codes(case: Case, allowed: set[str]) -> list[str]:
    """The case-level cards to show, in the order of the work."""
    shown = []

    def offer(code: str, condition: bool = True) -> None:
        if condition:
            shown.append(code)

    offer("accept", "accept" in allowed)
    offer("reject", "reject" in allowed)
    offer("dispatch", "dispatch" in allowed)
    offer("review", bool({"review_pass", "review_return"} & allowed))
    offer("callback", "callback" in allowed)
    offer("redo", "redo" in allowed and case.satisfaction == Satisfaction.DISSATISFIED)
    offer("close_out", "close_out" in allowed and not case.is_major)
    offer("close_request", "close_request" in allowed and case.is_major)
    offer("close_signoff", bool({"close_signoff", "close_refuse"} & allowed))
    offer("supervise", "supervise" in allowed)
    offer("instruct", "instruct" in allowed)
    offer("mark_major", "mark_major" in allowed and not case.is_major)
    offer("milestone", "milestone" in allowed and case.is_major)
    offer("accountability", "accountability" in allowed and case.finding in SUBSTANTIATED)
    offer("suspend", "suspend" in allowed and not case.suspended_at)
    offer("resume", "resume" in allowed and bool(case.suspended_at))
    offer("link", "link" in allowed)
    offer("merge", "merge" in allowed)
    return shown


def action_panels(
    *,
    user,
    case: Case,
    case_actions: set[str] | None = None,
    assignment_actions: dict[int, set[str]] | None = None,
    my_assignments: list[Assignment] | None = None,
) -> dict:
    """Every card the user may use on the case now: ``{"case": [...], "assignments":
    [{"assignment": a, "panels": [...]}, ...]}``. The sets of allowed actions come from the
    case page's context; they are computed here when the page did not pass them."""
    if case_actions is None:
        case_actions = selectors.case_actions(case=case, user=user)
    if my_assignments is None:
        my_assignments = selectors.assignment_open_for(case=case, user=user)
    if assignment_actions is None:
        assignment_actions = {
            a.pk: selectors.assignment_actions(assignment=a, user=user) for a in my_assignments
        }
    panels = [
        _panel(ACTIONS[code], case=case, user=user)
        for code in _case_panel_codes(case, set(case_actions))
    ]
    if "milestone" in case_actions and case.is_major and selectors.milestones_open(case=case):
        panels.append(_panel(ACTIONS["milestone_reach"], case=case, user=user))
    if "ruling" in case_actions:
        for record in selectors.case_returns_pending(case=case):
            panels.append(_panel(ACTIONS["ruling"], case=case, user=user, obj=record))
    if "extension_decide" in case_actions:
        for request in selectors.extension_requests_pending(case=case):
            panels.append(_panel(ACTIONS["extension_decide"], case=case, user=user, obj=request))
    groups = []
    for assignment in my_assignments:
        allowed = assignment_actions.get(assignment.pk, set())
        codes = [
            code
            for code in (
                "sign",
                "assign_handler",
                "progress",
                "reply",
                "head_approve",
                "head_reject",
                "extension_request",
                "return",
            )
            if code in allowed
        ]
        if codes:
            groups.append(
                {
                    "assignment": assignment,
                    "panels": [
                        _panel(ACTIONS[code], case=case, user=user, assignment=assignment)
                        for code in codes
                    ],
                }
            )
    return {"case": panels, "assignments": groups}


# --- the views ---------------------------------------------------------------------------------


def _is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def _back_to_case(request, case: Case) -> HttpResponse:
    url = case_url(case)
    if _is_htmx(request):
        return HttpResponse(headers={"HX-Redirect": url})
    return redirect(url)


def _handle(request, spec: ActionSpec, *, case, assignment=None, obj=None) -> HttpResponse:
    conflict = ""
    form = _form(spec, request.POST, case=case, user=request.user, assignment=assignment, obj=obj)
    if form.is_valid():
        try:
            spec.run(request.user, form)
        except s.CaseActionDenied:
            raise Http404 from None
        except ConflictError as exc:
            conflict = " ".join(exc.messages)
        except ValidationError as exc:
            form.apply_service_error(exc)
        else:
            messages.success(request, spec.done)
            return _back_to_case(request, case)
    panel = _panel(
        spec,
        case=case,
        user=request.user,
        assignment=assignment,
        obj=obj,
        form=form,
        conflict=conflict,
    )
    context = {"case": case, "panel": panel, "case_url": case_url(case)}
    if _is_htmx(request):
        return render(request, "cases/partials/action_card.html", context)
    return render(request, "cases/partials/action_page.html", context)


def _case_view(spec: ActionSpec):
    @require_POST
    @login_required
    def view(request, pk: int):
        case = selectors.case_get(user=request.user, pk=pk)
        if not selectors.case_action_permitted(user=request.user, action=spec.permission):
            raise Http404
        return _handle(request, spec, case=case)

    view.__name__ = f"action_{spec.code}"
    return view


def _assignment_view(spec: ActionSpec):
    @require_POST
    @login_required
    def view(request, pk: int):
        assignment = selectors.assignment_get(user=request.user, pk=pk)
        if not selectors.assignment_action_permitted(
            user=request.user, assignment=assignment, action=spec.permission
        ):
            raise Http404
        return _handle(request, spec, case=assignment.case, assignment=assignment)

    view.__name__ = f"action_{spec.code}"
    return view


def _record_view(spec: ActionSpec, get_record: Callable, case_of: Callable):
    @require_POST
    @login_required
    def view(request, pk: int):
        record = get_record(user=request.user, pk=pk)
        if not selectors.case_action_permitted(user=request.user, action=spec.permission):
            raise Http404
        return _handle(request, spec, case=case_of(record), obj=record)

    view.__name__ = f"action_{spec.code}"
    return view


def _slug(code: str) -> str:
    return code.replace("_", "-")


urlpatterns = [
    *(
        path(f"<int:pk>/actions/{_slug(spec.code)}/", _case_view(spec), name=f"action_{spec.code}")
        for spec in _SPECS
        if spec.level == CASE
    ),
    *(
        path(
            f"assignments/<int:pk>/actions/{_slug(spec.code)}/",
            _assignment_view(spec),
            name=f"action_{spec.code}",
        )
        for spec in _SPECS
        if spec.level == ASSIGNMENT
    ),
    path(
        "returns/<int:pk>/actions/ruling/",
        _record_view(ACTIONS["ruling"], selectors.case_return_get, lambda r: r.assignment.case),
        name="action_ruling",
    ),
    path(
        "extensions/<int:pk>/actions/decide/",
        _record_view(
            ACTIONS["extension_decide"], selectors.extension_request_get, lambda r: r.deadline.case
        ),
        name="action_extension_decide",
    ),
]
