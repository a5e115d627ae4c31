"""Attachments of a case: upload (the office on the case, a unit on its own part), download
through the permission check, release to the handling unit and redacted copies.

The case page shows the panel with ``{% include "cases/partials/attachment_panel.html" %}``
and the context of ``attachment_panel_context(case=…, user=…)``."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from xiaoneng.cases import attachments as files
from xiaoneng.cases import selectors
from xiaoneng.cases.services import CaseActionDenied
from xiaoneng.core.forms import BootstrapMixin, apply_service_error
from xiaoneng.org.choices import UNIT_ROLES


def _is_htmx(request) -> bool:
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def _case_url(case) -> str:
    return f"/cases/{case.pk}/"


class AttachmentUploadForm(BootstrapMixin, forms.Form):
    file = forms.FileField(label=gettext_lazy("File"), allow_empty_file=True)
    kind = forms.ChoiceField(label=gettext_lazy("Kind of material"))
    assignment = forms.IntegerField(required=False, widget=forms.HiddenInput)
    releasable = forms.BooleanField(
        label=gettext_lazy("Release to the handling unit"), required=False
    )

    def __init__(self, *args, office: bool, parts=(), **kwargs):
        super().__init__(*args, **kwargs)
        kinds = files.OFFICE_KINDS if office else files.UNIT_KINDS
        self.fields["kind"].choices = [(k.value, k.label) for k in kinds]
        if office:
            del self.fields["assignment"]
        else:
            del self.fields["releasable"]
            if len(parts) > 1:
                field = self.fields["assignment"]
                field.label = _("Your unit's part")
                field.widget = forms.Select(
                    choices=[(p.pk, f"{p.unit} · {p.get_role_display()}") for p in parts]
                )
        self.fields["file"].help_text = _(
            "Up to %(limit)s: images, PDF, audio, MP4 video, Word or Excel documents, plain text."
        ) % {"limit": filesizeformat(files.max_bytes())}
        self.style_fields()


class RedactedCopyForm(BootstrapMixin, forms.Form):
    file = forms.FileField(label=gettext_lazy("Redacted copy"), allow_empty_file=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style_fields()


def attachment_panel_context(*, case, user, form=None, notice: str = "", assignments=None) -> dict:
    """What the attachment panel of the case page shows to ``user``."""
    office = selectors.is_office(user)
    actions = selectors.case_actions(case=case, user=user)
    parts = [
        a
        for a in selectors.assignment_open_for(case=case, user=user, assignments=assignments)
        if "attach" in selectors.assignment_actions(assignment=a, user=user)
    ]
    can_upload = ("attach" in actions) if office else bool(parts)
    if form is None and can_upload:
        form = AttachmentUploadForm(
            office=office, parts=parts, initial={"assignment": parts[0].pk if parts else None}
        )
    return {
        "case": case,
        "attachments": selectors.case_attachments(case=case, user=user),
        "can_release": "release_attachment" in actions,
        "can_redact": "attach" in actions,
        "upload_form": form if can_upload else None,
        "upload_parts": parts if not office else [],
        "notice": notice,
        "panel_errors": [],
    }


# --- download --------------------------------------------------------------------------------


@login_required
@require_GET
def attachment_download(request, pk: int):
    attachment = files.attachment_get(user=request.user, pk=pk)
    handle = files.attachment_download(actor=request.user, attachment=attachment)
    response = FileResponse(handle, content_type=files.serve_content_type(attachment))
    response["Content-Disposition"] = files.content_disposition(attachment)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


# --- upload ----------------------------------------------------------------------------------


def _unit_part(case, user, raw_id):
    """The unit's part the upload belongs to: the one named in the form, else the user's only
    open part. A part of another case is a 404."""
    if raw_id:
        for assignment in selectors.case_assignments(case=case):
            if assignment.pk == raw_id:
                return assignment
        raise Http404
    parts = selectors.assignment_open_for(case=case, user=user)
    return parts[0] if len(parts) == 1 else None


def _upload_response(request, case, form, *, ok: bool):
    if _is_htmx(request):
        notice = _("The file is attached.") if ok else ""
        context = attachment_panel_context(
            case=case, user=request.user, form=None if ok else form, notice=notice
        )
        return render(request, "cases/partials/attachment_panel.html", context)
    if ok:
        messages.success(request, _("The file is attached."))
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    return redirect(_case_url(case))


@login_required
@require_POST
def attachment_upload(request, pk: int):
    user = request.user
    office = selectors.is_office(user)
    if not office and not user.roles & UNIT_ROLES:
        raise Http404
    case = selectors.case_get(user=user, pk=pk)
    parts = [] if office else selectors.assignment_open_for(case=case, user=user)
    form = AttachmentUploadForm(request.POST, request.FILES, office=office, parts=parts)
    if not form.is_valid():
        return _upload_response(request, case, form, ok=False)
    data = form.cleaned_data
    assignment = None
    if not office:
        assignment = _unit_part(case, user, data.get("assignment"))
        if assignment is None:
            form.add_error(None, _("Choose your unit's part of the case."))
            return _upload_response(request, case, form, ok=False)
    try:
        files.attachment_add(
            actor=user,
            case=case,
            file=data["file"],
            kind=data["kind"],
            assignment=assignment,
            releasable=data.get("releasable", False),
        )
    except CaseActionDenied:
        raise Http404 from None
    except ValidationError as exc:
        apply_service_error(form, exc)
        return _upload_response(request, case, form, ok=False)
    return _upload_response(request, case, form, ok=True)


# --- release and redacted copies (office) ----------------------------------------------------


def _office_attachment(request, pk: int):
    if not selectors.is_office(request.user):
        raise Http404
    return files.attachment_get(user=request.user, pk=pk)


@login_required
@require_POST
def attachment_release(request, pk: int):
    """Release a file the office added to the handling unit, or withdraw it. The form says
    which (``releasable`` = 1 or 0), so a double click does not undo itself; without it the
    value is toggled."""
    attachment = _office_attachment(request, pk)
    value = request.POST.get("releasable")
    releasable = (
        not attachment.releasable
        if value is None
        else value.strip().lower() in {"1", "true", "on", "yes"}
    )
    error = ""
    try:
        attachment = files.attachment_release(
            actor=request.user, attachment=attachment, releasable=releasable
        )
    except CaseActionDenied:
        raise Http404 from None
    except ValidationError as exc:
        error = " ".join(exc.messages)
    case = selectors.case_get(user=request.user, pk=attachment.case_id)
    if _is_htmx(request):
        attachment.case = case
        return render(
            request,
            "cases/partials/attachment_row.html",
            {
                "attachment": attachment,
                "case": case,
                "can_release": True,
                "can_redact": "attach" in selectors.case_actions(case=case, user=request.user),
                "row_error": error,
            },
        )
    if error:
        messages.error(request, error)
    elif attachment.releasable:
        messages.success(request, _("The file is released to the handling unit."))
    else:
        messages.success(request, _("The file is no longer released to the handling unit."))
    return redirect(_case_url(case))


@login_required
@require_POST
def attachment_redact(request, pk: int):
    """Upload a redacted copy of an original; the copy is released to the handling unit."""
    original = _office_attachment(request, pk)
    form = RedactedCopyForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            files.attachment_add_redacted(
                actor=request.user, attachment=original, file=form.cleaned_data["file"]
            )
        except CaseActionDenied:
            raise Http404 from None
        except ValidationError as exc:
            apply_service_error(form, exc)
    case = selectors.case_get(user=request.user, pk=original.case_id)
    ok = not form.errors
    if _is_htmx(request):
        notice = _("The redacted copy is attached and released to the handling unit.")
        context = attachment_panel_context(
            case=case, user=request.user, notice=notice if ok else ""
        )
        context["panel_errors"] = [e for errors in form.errors.values() for e in errors]
        return render(request, "cases/partials/attachment_panel.html", context)
    if ok:
        messages.success(
            request, _("The redacted copy is attached and released to the handling unit.")
        )
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    return redirect(_case_url(case))


urlpatterns = [
    path("attachments/<int:pk>/", attachment_download, name="attachment_download"),
    path("attachments/<int:pk>/release/", attachment_release, name="attachment_release"),
    path("attachments/<int:pk>/redacted/", attachment_redact, name="attachment_redact"),
    path("<int:pk>/attachments/", attachment_upload, name="attachment_upload"),
]
