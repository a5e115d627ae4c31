"""The staff screens of the complaint centre, read side and registration: registration (挂号),
the work queues, the case list and the case page, and the audited reveal of the
complainant's identity.

Who may open them: office roles, leaders and unit roles (liaison, handler, unit head); the
efficiency supervisors and the three administrators get a 404, like anyone outside a case's
scope. Registration is for intake clerks only.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.sessions.backends.db import SessionStore as DbSessionStore
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import formats, timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.decorators.http import require_POST

from xiaoneng.cases.choices import (
    AccountabilityKind,
    AttachmentKind,
    Channel,
    DispatchMode,
    LinkKind,
    RatingLevel,
    ReturnRuling,
    Satisfaction,
    Solved,
    Stage,
    SupervisionLevel,
)
from xiaoneng.cases.deadlines import case_settings, deadline_colour
from xiaoneng.cases.forms.pages import (
    CaseFilterForm,
    CaseRegisterForm,
    QueueFilterForm,
    category_tree,
)
from xiaoneng.cases.models import (
    Case,
)
from xiaoneng.cases.selectors import (
    assignment_actions,
    assignment_open_for,
    case_actions,
    case_assignments,
    case_filter,
    case_get,
    case_links,
    case_list,
    case_open_deadlines,
    case_related,
    case_rows,
    case_timeline,
    complainant_masked,
    deadline_row,
    is_office,
    queue_cases,
    queues_for,
)
from xiaoneng.cases.services import (
    CaseActionDenied,
    ComplainantData,
    case_register_with_attachments,
    complainant_reveal,
)
from xiaoneng.cases.views.attachments import attachment_panel_context
from xiaoneng.core.forms import apply_service_error
from xiaoneng.core.pagination import CappedPaginator
from xiaoneng.org.choices import OFFICE_ROLES, READ_ALL_ROLES, UNIT_ROLES, Role
from xiaoneng.org.selectors import unit_tree
from xiaoneng.workdays.calendar import CALENDAR_TZ, due_day
from xiaoneng.workdays.choices import DeadlineStatus

#: Roles that work with cases at all; everyone else gets a 404 on every case screen.
CASE_ROLES = OFFICE_ROLES | UNIT_ROLES | READ_ALL_ROLES

QUEUE_PAGE_SIZE = 25
LIST_PAGE_SIZE = 50

QUEUE_LABELS = {
    "to_accept": gettext_lazy("To accept"),
    "to_dispatch": gettext_lazy("To dispatch"),
    "returned": gettext_lazy("Returned by units (退单)"),
    "to_review": gettext_lazy("To review"),
    "to_callback": gettext_lazy("To call back"),
    "overdue": gettext_lazy("Overdue"),
    "to_sign_off": gettext_lazy("To sign off"),
    "to_sign": gettext_lazy("To sign for"),
    "to_handle": gettext_lazy("To handle"),
    "to_approve": gettext_lazy("To approve"),
    "unit_overdue": gettext_lazy("Overdue"),
}

QUEUE_ICONS = {
    "to_accept": "inbox",
    "to_dispatch": "send",
    "returned": "arrow-return-left",
    "to_review": "clipboard-check",
    "to_callback": "telephone",
    "overdue": "alarm",
    "to_sign_off": "pen",
    "to_sign": "box-arrow-in-down",
    "to_handle": "tools",
    "to_approve": "check2-square",
    "unit_overdue": "alarm",
}


def _case_roles_required(*roles: str):
    """Signed-in users holding one of ``roles``; anyone else signed in gets a 404."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.has_role(*roles):
                raise Http404
            return view(request, *args, **kwargs)

        return login_required(wrapped)

    return decorator


def _is_htmx(request) -> bool:
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


# --- the work queues ------------------------------------------------------------------------


@_case_roles_required(*CASE_ROLES)
def queues(request):
    """The worker's landing page: one tab per queue of the user's roles with its count, and
    the cases of the chosen queue."""
    codes = queues_for(user=request.user)
    if not codes:
        raise Http404
    filter_form = QueueFilterForm(request.GET or None)
    q = filter_form.cleaned_data["q"].strip() if filter_form.is_valid() else ""
    tabs = [
        {
            "code": code,
            "label": QUEUE_LABELS[code],
            "icon": QUEUE_ICONS[code],
            "count": queue_cases(user=request.user, queue=code).count(),
        }
        for code in codes
    ]
    active = request.GET.get("queue", "")
    if active not in codes:
        # The first queue with work in it (or the first queue when all are empty).
        active = next((tab["code"] for tab in tabs if tab["count"]), codes[0])
    cases = queue_cases(user=request.user, queue=active)
    if q:
        cases = cases.filter(Q(number__icontains=q) | Q(summary__icontains=q))
    page_obj = CappedPaginator(cases.order_by("registered_at", "id"), QUEUE_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        "tabs": tabs,
        "active": active,
        "active_label": QUEUE_LABELS[active],
        "filter_form": filter_form if filter_form.is_bound else QueueFilterForm(),
        "q": q,
        "page_obj": page_obj,
        "rows": case_rows(cases=list(page_obj.object_list), user=request.user),
        "can_register": request.user.has_role(Role.INTAKE_CLERK),
    }
    if _is_htmx(request):
        return render(request, "cases/partials/queue_results.html", context)
    return render(request, "cases/queue_list.html", context)


# --- the case list --------------------------------------------------------------------------


@_case_roles_required(*CASE_ROLES)
def case_list_view(request):
    """Every case the user may see, newest first, with simple filters."""
    filter_form = CaseFilterForm(
        request.GET or None, category_tree=category_tree(active_only=False)
    )
    data = filter_form.cleaned_data if filter_form.is_valid() else {}
    cases = case_filter(case_list(user=request.user, status=data.get("status") or None), data)
    page_obj = CappedPaginator(
        cases.order_by("-registered_at", "-id"), LIST_PAGE_SIZE, searching=bool(data.get("q"))
    ).get_page(request.GET.get("page"))
    context = {
        "filter_form": filter_form,
        "page_obj": page_obj,
        "rows": case_rows(cases=list(page_obj.object_list), user=request.user),
        "can_register": request.user.has_role(Role.INTAKE_CLERK),
    }
    if _is_htmx(request):
        return render(request, "cases/partials/case_table.html", context)
    return render(request, "cases/case_list.html", context)


# --- registration (挂号) ----------------------------------------------------------------------

#: Session key of the one-time registration form tokens: {token: None (unused) or case pk}.
TOKENS_KEY = "cases_register_tokens"
MAX_TOKENS = 20


class _AlreadyRegistered(Exception):
    def __init__(self, case_pk: int):
        super().__init__(case_pk)
        self.case_pk = case_pk


def _token_issue(request) -> str:
    """A new one-time token for a registration form, remembered in the session."""
    token = secrets.token_urlsafe(16)
    tokens = dict(request.session.get(TOKENS_KEY, {}))
    tokens[token] = None
    while len(tokens) > MAX_TOKENS:
        tokens.pop(next(iter(tokens)))
    request.session[TOKENS_KEY] = tokens
    return token


def _tokens_locked(request) -> dict:
    """The session's tokens read afresh with the session row locked (database sessions), so
    that two submissions of one form (a double click) queue and the second sees the first."""
    store = request.session
    if isinstance(store, DbSessionStore) and store.session_key:
        row = store.model.objects.select_for_update().filter(session_key=store.session_key).first()
        if row is not None:
            return dict(store.decode(row.session_data).get(TOKENS_KEY, {}))
    return dict(store.get(TOKENS_KEY, {}))


def _register_with_attachments(*, actor, data: dict) -> Case:
    return case_register_with_attachments(
        files=data["attachments"],
        actor=actor,
        channel=data["channel"],
        category=data["category"],
        summary=data["summary"],
        content=data["content"],
        complainant=ComplainantData(
            anonymous=data["anonymous"],
            name=data["complainant_name"],
            phone=data["complainant_phone"],
            id_number=data["complainant_id_number"],
            address=data["complainant_address"],
            email=data["complainant_email"],
        ),
        urgency=data["urgency"],
        subject_units=data["subject_units"],
        subject_persons=data["subject_persons"],
        place=data["place"],
        occurred_on=data["occurred_on"],
        reply_wanted=data["reply_wanted"],
        reply_method=data["reply_method"],
    )


def _register_once(request, token: str, data: dict) -> Case:
    """Register the case unless this form's token was used already."""
    with transaction.atomic():
        tokens = _tokens_locked(request)
        if token not in tokens:
            raise ValidationError(_("This form has expired. Check the entries and send it again."))
        if tokens[token] is not None:
            raise _AlreadyRegistered(tokens[token])
        case = _register_with_attachments(actor=request.user, data=data)
        tokens[token] = case.pk
        request.session[TOKENS_KEY] = tokens
        request.session.save()
    return case


def _already_registered(request, case_pk: int):
    case = case_get(user=request.user, pk=case_pk)
    messages.info(
        request,
        _("This form was sent twice; case %(number)s was registered only once.")
        % {"number": case.number},
    )
    return redirect("cases:case_detail", pk=case.pk)


@_case_roles_required(Role.INTAKE_CLERK)
def case_create(request):
    """Registration of a case from a staff channel (phone, letter, visit, …)."""
    trees = {
        "unit_tree": unit_tree(include_inactive=False),
        "category_tree": category_tree(active_only=True),
    }
    token = request.POST.get("form_token", "") if request.method == "POST" else ""
    if request.method == "POST":
        known = request.session.get(TOKENS_KEY, {})
        if known.get(token) is not None:
            return _already_registered(request, known[token])
        form = CaseRegisterForm(request.POST, request.FILES, **trees)
        if token not in known:
            form.is_valid()
            form.add_error(None, _("This form has expired. Check the entries and send it again."))
        elif form.is_valid():
            try:
                case = _register_once(request, token, form.cleaned_data)
            except _AlreadyRegistered as exc:
                return _already_registered(request, exc.case_pk)
            except CaseActionDenied:
                raise Http404 from None
            except ValidationError as exc:
                apply_service_error(form, exc)
            else:
                messages.success(
                    request, _("Case %(number)s was registered.") % {"number": case.number}
                )
                if case.duplicate_flag:
                    messages.warning(
                        request,
                        _("It may repeat an open case; the linked cases are shown below."),
                    )
                return redirect("cases:case_detail", pk=case.pk)
        if token not in request.session.get(TOKENS_KEY, {}):
            token = _token_issue(request)
    else:
        form = CaseRegisterForm(
            initial={"channel": Channel.PHONE, "reply_wanted": True, "urgency": "normal"},
            **trees,
        )
        token = _token_issue(request)
    context = {
        "form": form,
        "form_token": token,
        # Files are not kept when the form comes back with errors.
        "files_dropped": bool(request.FILES),
    }
    return render(request, "cases/case_create.html", context)


# --- the case page --------------------------------------------------------------------------

_DETAIL_LABELS = {
    "channel": gettext_lazy("Channel"),
    "cases": gettext_lazy("Cases"),
    "reason": gettext_lazy("Reason"),
    "referral": gettext_lazy("Referred to"),
    "mode": gettext_lazy("Dispatch mode"),
    "lead": gettext_lazy("Lead unit"),
    "co_units": gettext_lazy("Co-handling units"),
    "level": gettext_lazy("Level"),
    "due": gettext_lazy("Due"),
    "unit": gettext_lazy("Unit"),
    "new_unit": gettext_lazy("New unit"),
    "handler": gettext_lazy("Handler"),
    "note": gettext_lazy("Note"),
    "ruling": gettext_lazy("Ruling"),
    "satisfaction": gettext_lazy("Satisfaction"),
    "rating": gettext_lazy("Rating"),
    "solved": gettext_lazy("Problem solved"),
    "days": gettext_lazy("Working days"),
    "leader": gettext_lazy("Leader"),
    "title": gettext_lazy("Milestone"),
    "kind": gettext_lazy("Kind"),
    "person": gettext_lazy("Person"),
    "text": gettext_lazy("Text"),
    "other": gettext_lazy("Other case"),
    "into": gettext_lazy("Merged into"),
    "case": gettext_lazy("Case"),
    "stage": gettext_lazy("Stage"),
    "original_name": gettext_lazy("File"),
    "redacted_from": gettext_lazy("Redacted copy of"),
}
_DETAIL_CHOICES = {
    "channel": Channel,
    "mode": DispatchMode,
    "level": SupervisionLevel,
    "ruling": ReturnRuling,
    "satisfaction": Satisfaction,
    "rating": RatingLevel,
    "solved": Solved,
    "stage": Stage,
}
_KIND_CHOICES = {
    "case.accountability": AccountabilityKind,
    "case.linked": LinkKind,
    "case.attachment_added": AttachmentKind,
    "case.attachment_released": AttachmentKind,
}
#: Free text shown as a paragraph rather than inline.
_LONG_TEXT = {"reason", "note", "text"}


def _display_due(value: str) -> str:
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
        else:
            day = due_day(due=datetime.fromisoformat(value))
    except (TypeError, ValueError):
        return str(value)
    return formats.date_format(day, "DATE_FORMAT")


def _display_value(code: str, key: str, value) -> str:
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, list | tuple):
        return pgettext("list separator", ", ").join(str(v) for v in value)
    if key == "due":
        return _display_due(str(value))
    choices = _KIND_CHOICES.get(code) if key == "kind" else _DETAIL_CHOICES.get(key)
    if choices is not None:
        return str(dict(choices.choices).get(value, value))
    return str(value)


def event_details(event) -> list[dict]:
    """The values of a timeline event, labelled in the reader's language (unknown keys and
    empty values are left out)."""
    details = []
    for key, value in (event.data or {}).items():
        if key not in _DETAIL_LABELS or value in ("", None, [], ()):
            continue
        details.append(
            {
                "key": key,
                "label": _DETAIL_LABELS[key],
                "value": _display_value(event.code, key, value),
                "long": key in _LONG_TEXT,
            }
        )
    return details


def _latest_per_stage(deadlines) -> list:
    """Each stage's current clock: a redo starts a new handling clock, and the page shows that
    one rather than every round's (the timeline keeps the history)."""
    latest = {}
    for deadline in deadlines:  # ordered by start
        latest[deadline.stage] = deadline
    return sorted(latest.values(), key=lambda d: d.started_at)


def case_page_context(*, request, case: Case, identity=None) -> dict:
    """Everything the case page (cases/case_detail.html) needs. The action partial
    (cases/partials/actions.html) relies on ``case``, ``case_actions``, ``assignment_actions``
    (assignment pk → set of action codes), ``my_assignments`` and ``version``; the attachment
    panel on ``attachment_panel_context``'s names."""
    user = request.user
    now = timezone.now()
    share = case_settings().warning_share
    assignments = case_assignments(case=case)
    assignment_rows = []
    for assignment in assignments:
        deadlines = [
            deadline_row(
                d,
                DeadlineStatus(deadline_colour(deadline=d, now=now, warning_share=share))
                if d.completed_at is None
                else None,
            )
            for d in _latest_per_stage(assignment.deadlines.all())
        ]
        assignment_rows.append({"assignment": assignment, "deadlines": deadlines})
    open_deadlines = [
        deadline_row(row["deadline"], DeadlineStatus(row["status"]))
        for row in case_open_deadlines(case=case, now=now, warning_share=share)
    ]
    links = case_links(case=case, user=user)
    link_rows = [
        {
            "link": link,
            "other": link.to_case if link.from_case_id == case.pk else link.from_case,
            "outgoing": link.from_case_id == case.pk,
        }
        for link in links
    ]
    timeline = [
        {**row, "details": event_details(row["event"])}
        for row in case_timeline(case=case, user=user)
    ]
    return {
        "case": case,
        "version": case.version,
        "case_actions": case_actions(case=case, user=user),
        "assignment_actions": {
            a.pk: assignment_actions(assignment=a, user=user) for a in assignments
        },
        "my_assignments": assignment_open_for(case=case, user=user, assignments=assignments),
        "assignment_rows": assignment_rows,
        "open_deadlines": open_deadlines,
        "complainant": complainant_masked(case=case),
        "identity": identity,
        "can_reveal": is_office(user),
        "link_rows": link_rows,
        "duplicate_rows": [r for r in link_rows if r["link"].kind == LinkKind.DUPLICATE],
        "timeline": timeline,
        "calendar_tz": CALENDAR_TZ,
        **case_related(case=case, user=user),
        # The attachment panel (cases/partials/attachment_panel.html, the attachments
        # engineer's): attachments (selectors.case_attachments), upload form, release rights.
        **attachment_panel_context(case=case, user=user, assignments=assignments),
    }


@_case_roles_required(*CASE_ROLES)
def case_detail(request, pk: int):
    case = case_get(user=request.user, pk=pk)
    return render(request, "cases/case_detail.html", case_page_context(request=request, case=case))


@require_POST
@_case_roles_required(*OFFICE_ROLES)
def complainant_reveal_view(request, pk: int):
    """Show the complainant's identity in full (office roles; every view is audited)."""
    case = case_get(user=request.user, pk=pk)
    try:
        identity = complainant_reveal(actor=request.user, case=case)
    except CaseActionDenied:
        raise Http404 from None
    if _is_htmx(request):
        response = render(
            request,
            "cases/partials/complainant_identity.html",
            {"case": case, "identity": identity},
        )
    else:
        response = render(
            request,
            "cases/case_detail.html",
            case_page_context(request=request, case=case, identity=identity),
        )
    add_never_cache_headers(response)
    return response


urlpatterns = [
    path("", case_list_view, name="case_list"),
    path("new/", case_create, name="case_create"),
    path("queues/", queues, name="queues"),
    path("<int:pk>/", case_detail, name="case_detail"),
    path("<int:pk>/identity/", complainant_reveal_view, name="complainant_reveal"),
]
