"""The bulletin screens. Thin: find the bulletin through the viewer's scope (404 outside it),
check the role (404 without it), parse the form, call the service, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from xiaoneng.org.services import ConflictError
from xiaoneng.publicity import forms as f
from xiaoneng.publicity import selectors as sel
from xiaoneng.publicity import services as s
from xiaoneng.publicity.transitions import TRANSITIONS

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _require_reader(user) -> None:
    if not sel.can_read_bulletins(user):
        raise Http404


def _require_drafter(user) -> None:
    if not sel.can_draft_bulletins(user):
        raise Http404


def _errors(exc: ValidationError) -> list[str]:
    return list(exc.messages)


@login_required
@require_GET
def bulletin_list(request):
    _require_reader(request.user)
    filter_form = f.BulletinFilterForm(request.GET or None)
    status = filter_form.cleaned_data["status"] if filter_form.is_valid() else ""
    page = Paginator(sel.bulletin_list(user=request.user, status=status), 25).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "publicity/bulletin_list.html",
        {
            "filter_form": filter_form,
            "page_obj": page,
            "status": status,
            "can_draft": sel.can_draft_bulletins(request.user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def bulletin_create(request):
    _require_drafter(request.user)
    recent = sel.closed_cases_for_bulletin(user=request.user)
    choices = [(str(c.pk), f"{c.number} · {c.summary}") for c in recent]
    form = f.BulletinCreateForm(
        request.POST if request.method == "POST" else None, case_choices=choices
    )
    if request.method == "POST" and form.is_valid():
        pks = [int(pk) for pk in form.cleaned_data["cases"]]
        numbers = form.cleaned_data["number_list"]
        found = sel.cases_by_numbers(user=request.user, numbers=numbers)
        missing = [n for n in numbers if n not in found]
        if missing:
            form.add_error(
                "numbers",
                _("No case you may see has the register number %(numbers)s.")
                % {"numbers": _(", ").join(missing)},
            )
        else:
            try:
                bulletin = s.bulletin_draft(
                    actor=request.user,
                    cases=pks + [found[n].pk for n in numbers],
                    title=form.cleaned_data["title"],
                )
            except ValidationError as exc:
                for message in _errors(exc):
                    form.add_error(None, message)
            else:
                messages.success(request, _("The bulletin is drafted. Check and edit its text."))
                return redirect("publicity:bulletin_detail", pk=bulletin.pk)
    return render(request, "publicity/bulletin_create.html", {"form": form})


def _detail(request, bulletin, *, bound=None, status=200):
    actions = sel.bulletin_actions(user=request.user, bulletin=bulletin)
    action_forms = {
        "submit": f.VersionForm(initial={"version": bulletin.version}),
        "approve": f.VersionForm(initial={"version": bulletin.version}),
        "reject": f.BulletinRejectForm(initial={"version": bulletin.version}),
        "publish": f.BulletinPublishForm(initial={"version": bulletin.version}),
    }
    errors: list[str] = []
    if bound:
        action_forms.update(bound)
        for code, form in bound.items():
            if code not in actions:
                errors += [str(e) for e in form.non_field_errors()]
    return render(
        request,
        "publicity/bulletin_detail.html",
        {
            "bulletin": bulletin,
            "paragraphs": [p for p in bulletin.body.split("\n\n") if p.strip()],
            "source_cases": sel.bulletin_source_cases(bulletin=bulletin),
            "actions": actions,
            "action_forms": action_forms,
            "action_errors": errors,
        },
        status=status,
    )


@login_required
@require_GET
def bulletin_detail(request, pk):
    return _detail(request, sel.bulletin_get(user=request.user, pk=pk))


@login_required
@require_http_methods(["GET", "POST"])
def bulletin_edit(request, pk):
    bulletin = sel.bulletin_get(user=request.user, pk=pk)
    if not TRANSITIONS["update"].roles & request.user.roles:
        raise Http404
    if "update" not in sel.bulletin_actions(user=request.user, bulletin=bulletin):
        messages.error(request, _("Only a draft can be edited."))
        return redirect("publicity:bulletin_detail", pk=bulletin.pk)
    initial = {"title": bulletin.title, "body": bulletin.body, "version": bulletin.version}
    form = f.BulletinEditForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            s.bulletin_update(
                actor=request.user,
                bulletin=bulletin,
                title=d["title"],
                body=d["body"],
                version=d["version"],
            )
        except ConflictError as exc:
            form.add_error(None, exc.messages[0])
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, _errors(exc))
        else:
            messages.success(request, _("The bulletin is saved."))
            return redirect("publicity:bulletin_detail", pk=bulletin.pk)
    return render(request, "publicity/bulletin_edit.html", {"form": form, "bulletin": bulletin})


def _submit(actor, bulletin, d):
    s.bulletin_submit(actor=actor, bulletin=bulletin, version=d["version"])


def _approve(actor, bulletin, d):
    s.bulletin_approve(actor=actor, bulletin=bulletin, version=d["version"])


def _reject(actor, bulletin, d):
    s.bulletin_reject(actor=actor, bulletin=bulletin, note=d["note"], version=d["version"])


def _publish(actor, bulletin, d):
    s.bulletin_publish(
        actor=actor, bulletin=bulletin, visibility=d["visibility"], version=d["version"]
    )


ACTIONS = {
    "submit": (f.VersionForm, _submit),
    "approve": (f.VersionForm, _approve),
    "reject": (f.BulletinRejectForm, _reject),
    "publish": (f.BulletinPublishForm, _publish),
}


def _done_message(code: str) -> str:
    return {
        "submit": _("The bulletin is submitted to the director."),
        "approve": _("The bulletin is approved and numbered."),
        "reject": _("The bulletin is sent back to draft."),
        "publish": _("The bulletin is published."),
    }[code]


def _action_view(code: str):
    form_class, run = ACTIONS[code]

    @login_required
    @require_POST
    def view(request, pk):
        bulletin = sel.bulletin_get(user=request.user, pk=pk)
        if not TRANSITIONS[code].roles & request.user.roles:
            raise Http404
        form = form_class(request.POST)
        if form.is_valid():
            try:
                run(request.user, bulletin, form.cleaned_data)
            except s.BulletinActionDenied:
                raise Http404 from None
            except ValidationError as exc:
                if hasattr(exc, "error_dict"):
                    for field, errors in exc.message_dict.items():
                        form.add_error(field if field in form.fields else None, errors)
                else:
                    form.add_error(None, _errors(exc))
            else:
                messages.success(request, _done_message(code))
                return redirect("publicity:bulletin_detail", pk=bulletin.pk)
        bulletin.refresh_from_db()
        return _detail(request, bulletin, bound={code: form}, status=400)

    view.__name__ = f"bulletin_{code}"
    return view


bulletin_submit = _action_view("submit")
bulletin_approve = _action_view("approve")
bulletin_reject = _action_view("reject")
bulletin_publish = _action_view("publish")


@login_required
@require_GET
def bulletin_docx(request, pk):
    bulletin = sel.bulletin_get(user=request.user, pk=pk)
    try:
        content = s.bulletin_export(actor=request.user, bulletin=bulletin)
    except s.BulletinActionDenied:
        raise Http404 from None
    name = f"{bulletin.number or bulletin.title}.docx"
    response = HttpResponse(content, content_type=DOCX)
    response["Content-Disposition"] = content_disposition_header(True, name)
    return response
