"""The staff screens of API access: everyone's own personal tokens, the system
administrator's service accounts and their system tokens, the security administrator's
overview of every token, and the interactive API documentation's assets.

A new token's secret is shown once, on the page the creation redirects to, and never again
(only its digest is stored)."""

from __future__ import annotations

from pathlib import Path

import ninja
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from xiaoneng.api.forms import ServiceAccountForm, TokenForm, TokenSearchForm
from xiaoneng.api.selectors import (
    is_service_account,
    service_account_get,
    service_account_list,
    token_get_revocable,
    token_list_all,
    token_list_personal,
    token_list_system,
)
from xiaoneng.api.services import (
    TokenActionDenied,
    service_account_create,
    service_account_set_active,
    token_create,
    token_revoke,
)
from xiaoneng.core.forms import apply_service_error
from xiaoneng.org.choices import Role

#: Session key of the secret of a token just created: {"id": token id, "secret": …}.
NEW_TOKEN_KEY = "api_new_token"
OVERVIEW_PAGE_SIZE = 50


def _remember_secret(request, token, secret: str) -> None:
    request.session[NEW_TOKEN_KEY] = {"id": token.pk, "secret": secret}


def _pop_secret(request, tokens) -> dict | None:
    """The secret of a token just created, if it is one of ``tokens``; removed from the
    session as it is shown."""
    pending = request.session.get(NEW_TOKEN_KEY)
    if not pending:
        return None
    ids = {t.pk for t in tokens}
    if pending.get("id") not in ids:
        return None
    del request.session[NEW_TOKEN_KEY]
    return pending


def _no_store(response):
    add_never_cache_headers(response)
    return response


def _system_admin(request) -> None:
    if not request.user.has_role(Role.SYSTEM_ADMIN):
        raise Http404


# --- personal tokens -----------------------------------------------------------------------------


@login_required
def token_list(request):
    """The signed-in person's own tokens, and a form to create one."""
    user = request.user
    if is_service_account(user=user):
        raise Http404
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            token, secret = token_create(
                actor=user,
                name=form.cleaned_data["name"],
                expires_in_days=form.cleaned_data["expires_in_days"],
            )
        except TokenActionDenied:
            raise Http404 from None
        except ValidationError as exc:
            apply_service_error(form, exc)
        else:
            _remember_secret(request, token, secret)
            messages.success(request, _("The token “%(name)s” was created.") % {"name": token.name})
            return redirect("api:token_list")
    tokens = list(token_list_personal(user=user))
    context = {
        "form": form,
        "tokens": tokens,
        "new_token": _pop_secret(request, tokens),
        "now": timezone.now(),
        "is_system_admin": user.has_role(Role.SYSTEM_ADMIN),
        "is_security_admin": user.has_role(Role.SECURITY_ADMIN),
    }
    return _no_store(render(request, "api/token_list.html", context))


@login_required
@require_POST
def token_revoke_view(request, pk: int):
    token = token_get_revocable(user=request.user, pk=pk)
    try:
        token_revoke(actor=request.user, token=token)
    except TokenActionDenied:
        raise Http404 from None
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, _("The token %(prefix)s… was revoked.") % {"prefix": token.prefix}
        )
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("api:token_list")
    return redirect(target)


# --- service accounts (system administrator) ------------------------------------------------------


@login_required
def service_account_list_view(request):
    _system_admin(request)
    form = ServiceAccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            account = service_account_create(
                actor=request.user,
                username=data["username"],
                name=data["name"],
                unit=data["unit"],
                roles=data["roles"],
                description=data["description"],
            )
        except TokenActionDenied:
            raise Http404 from None
        except ValidationError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(
                request,
                _("The service account %(username)s was created; now create its token.")
                % {"username": account.user.username},
            )
            return redirect("api:service_account_detail", pk=account.pk)
    context = {"form": form, "accounts": list(service_account_list())}
    return render(request, "api/service_account_list.html", context)


@login_required
def service_account_detail(request, pk: int):
    _system_admin(request)
    account = service_account_get(pk=pk)
    form = TokenForm(request.POST or None, system=True)
    if request.method == "POST" and form.is_valid():
        try:
            token, secret = token_create(
                actor=request.user,
                name=form.cleaned_data["name"],
                expires_in_days=form.cleaned_data["expires_in_days"],
                service_account=account,
            )
        except TokenActionDenied:
            raise Http404 from None
        except ValidationError as exc:
            apply_service_error(form, exc)
        else:
            _remember_secret(request, token, secret)
            messages.success(request, _("The token “%(name)s” was created.") % {"name": token.name})
            return redirect("api:service_account_detail", pk=account.pk)
    tokens = list(token_list_system(account=account))
    context = {
        "account": account,
        "person": account.user,
        "roles": [Role(code).label for code in sorted(account.user.roles)],
        "form": form,
        "tokens": tokens,
        "new_token": _pop_secret(request, tokens),
        "now": timezone.now(),
    }
    return _no_store(render(request, "api/service_account_detail.html", context))


@login_required
@require_POST
def service_account_active(request, pk: int):
    _system_admin(request)
    account = service_account_get(pk=pk)
    active = request.POST.get("active") == "1"
    try:
        service_account_set_active(actor=request.user, account=account, active=active)
    except TokenActionDenied:
        raise Http404 from None
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("The service account is active again.")
            if active
            else _("The service account is deactivated; its tokens no longer work."),
        )
    return redirect("api:service_account_detail", pk=account.pk)


# --- every token (security administrator) ------------------------------------------------


@login_required
def token_overview(request):
    if not request.user.has_role(Role.SECURITY_ADMIN):
        raise Http404
    form = TokenSearchForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    tokens = token_list_all(active_only=not data.get("all"), search=data.get("q") or "")
    page_obj = Paginator(tokens, OVERVIEW_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page_obj": page_obj,
        "now": timezone.now(),
        "query": request.GET.urlencode(),
    }
    return render(request, "api/token_overview.html", context)


# --- the assets of the interactive documentation -----------------------------------------

_NINJA_STATIC = Path(ninja.__file__).resolve().parent / "static" / "ninja"
DOCS_ASSETS = {
    "swagger-ui.css": "text/css",
    "swagger-ui-bundle.js": "text/javascript",
    "favicon.png": "image/png",
}


@login_required
@require_GET
def docs_asset(request, name: str):
    """Swagger UI's files, from the installed django-ninja package (no CDN)."""
    if name not in DOCS_ASSETS:
        raise Http404
    response = FileResponse((_NINJA_STATIC / name).open("rb"), content_type=DOCS_ASSETS[name])
    response["Cache-Control"] = f"private, max-age={24 * 3600}"
    return response


urlpatterns = [
    path("tokens/", token_list, name="token_list"),
    path("tokens/all/", token_overview, name="token_overview"),
    path("tokens/<int:pk>/revoke/", token_revoke_view, name="token_revoke"),
    path("service-accounts/", service_account_list_view, name="service_account_list"),
    path("service-accounts/<int:pk>/", service_account_detail, name="service_account_detail"),
    path(
        "service-accounts/<int:pk>/active/",
        service_account_active,
        name="service_account_active",
    ),
    path("docs-assets/<str:name>", docs_asset, name="docs_asset"),
]
