"""The audit screen, for the audit administrator only: everyone else gets a 404.

Reading the log is not itself audited (every page would add a row); exporting the chain head
and verifying the chain are."""

from __future__ import annotations

import json
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from xiaoneng.audit.forms import AuditEntryFilterForm, ChainVerifyForm
from xiaoneng.audit.selectors import (
    audit_entry_check,
    audit_entry_get,
    audit_entry_list,
    audit_reader_allowed,
)
from xiaoneng.audit.services import audit_chain_verify_and_log, audit_head_export

PAGE_SIZE = 50


def audit_admin_required(view):
    """Anonymous → the login page; anyone but the audit administrator → 404."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not audit_reader_allowed(user=request.user):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapped


def _is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


@audit_admin_required
@require_GET
def entry_list(request):
    form = AuditEntryFilterForm(request.GET or None)
    page = Paginator(audit_entry_list(filters=form.filters()), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {"form": form, "page_obj": page, "verify_form": ChainVerifyForm()}
    return render(request, "audit/entry_list.html", context)


@audit_admin_required
@require_GET
def entry_detail(request, position: int):
    entry = audit_entry_get(position=position)
    if entry is None:
        raise Http404
    context = {"entry": entry, "check": audit_entry_check(entry=entry)}
    if _is_htmx(request):
        return render(request, "audit/partials/entry_detail.html", context)
    return render(request, "audit/entry_detail.html", context)


@audit_admin_required
@require_POST
def chain_verify(request):
    form = ChainVerifyForm(request.POST, request.FILES)
    result = None
    if form.is_valid():
        result = audit_chain_verify_and_log(actor=request.user, head=form.cleaned_data["head"])
    context = {"verify_form": form, "result": result}
    if _is_htmx(request):
        # htmx swaps only 2xx responses, so a bad upload is reported with 200 here.
        return render(request, "audit/partials/chain_verify_result.html", context)
    status = 200 if result is not None else 400
    return render(request, "audit/chain_verify.html", context, status=status)


@audit_admin_required
@require_POST
def head_export(request):
    head = audit_head_export(actor=request.user, destination="download")
    response = HttpResponse(
        json.dumps(head.as_dict(), indent=2) + "\n", content_type="application/json"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="xiaoneng-audit-head-{head.position}.json"'
    )
    return response
