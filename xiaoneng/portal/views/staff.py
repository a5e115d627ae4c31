"""The office's screens for the portal, in the staff back office: the blocklist and a new
query password for a complainant who lost the receipt (office roles), and the portal
settings (the office director). Anyone else gets a 404."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from xiaoneng.cases.selectors import case_get
from xiaoneng.core.forms import apply_service_error
from xiaoneng.org.services import ConflictError
from xiaoneng.portal import selectors, services
from xiaoneng.portal.forms import BlockRuleForm, PortalSettingsForm
from xiaoneng.portal.models import BlockRule
from xiaoneng.portal.views.common import render_private


def _blocklist_page(request, form, *, status=200):
    show_all = request.GET.get("all") == "1"
    return render(
        request,
        "portal/block_list.html",
        {
            "form": form,
            "rules": selectors.block_list(include_inactive=show_all)[:500],
            "show_all": show_all,
        },
        status=status,
    )


@login_required
def block_list(request):
    if not selectors.can_manage_blocklist(request.user):
        raise Http404
    if request.method != "POST":
        return _blocklist_page(request, BlockRuleForm())
    form = BlockRuleForm(request.POST)
    if form.is_valid():
        try:
            rule = services.block_create(
                actor=request.user,
                kind=form.cleaned_data["kind"],
                value=form.cleaned_data["value"],
                reason=form.cleaned_data["reason"],
                expires_at=form.expires_at(),
            )
        except services.PortalDenied:
            raise Http404 from None
        except ValidationError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("“%(value)s” is blocked.") % {"value": rule.value})
            return redirect("portal:block_list")
    return _blocklist_page(request, form, status=400)


@login_required
@require_POST
def block_lift(request, pk: int):
    if not selectors.can_manage_blocklist(request.user):
        raise Http404
    rule = get_object_or_404(BlockRule, pk=pk)
    try:
        services.block_lift(actor=request.user, rule=rule)
    except services.PortalDenied:
        raise Http404 from None
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The rule on “%(value)s” is lifted.") % {"value": rule.value})
    return redirect("portal:block_list")


@login_required
@require_http_methods(["GET", "POST"])
def access_reissue(request, pk: int):
    """A new query password and link for a case filed on the portal: a page that explains
    and asks (GET), then the new credentials, shown once (POST)."""
    if not selectors.can_reissue_access(request.user):
        raise Http404
    case = case_get(user=request.user, pk=pk)
    context = {"case": case, "reissued": None, "error": ""}
    if request.method == "POST":
        try:
            reissued = services.access_reissue(actor=request.user, case=case)
        except services.PortalDenied:
            raise Http404 from None
        except ValidationError as exc:
            context["error"] = " ".join(exc.messages)
        else:
            context["reissued"] = reissued
            context["link"] = request.build_absolute_uri(
                reverse("portal:case_link", args=[reissued.token])
            )
            context["lookup_url"] = request.build_absolute_uri(reverse("portal:case_lookup"))
    return render_private(request, "portal/access_reissue.html", context)


@login_required
def settings_page(request):
    if not selectors.can_change_settings(request.user):
        raise Http404
    current = selectors.portal_settings()
    if request.method != "POST":
        form = PortalSettingsForm(instance=current, initial={"version": current.version})
        return render(request, "portal/settings.html", {"form": form})
    form = PortalSettingsForm(request.POST, instance=selectors.portal_settings())
    if form.is_valid():
        data = dict(form.cleaned_data)
        version = data.pop("version")
        try:
            services.portal_settings_update(actor=request.user, version=version, **data)
        except services.PortalDenied:
            raise Http404 from None
        except ConflictError as exc:
            form.add_error(None, exc.messages)
        except ValidationError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("The portal settings are saved."))
            return redirect("portal:settings")
    return render(request, "portal/settings.html", {"form": form}, status=400)
