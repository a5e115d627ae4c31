from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from xiaoneng.accounts.choices import POLICY_PROFILES, PolicyProfile
from xiaoneng.accounts.forms import (
    LoginForm,
    PasswordChangeForm,
    PolicyProfileForm,
    SecurityPolicyForm,
)
from xiaoneng.accounts.middleware import session_start
from xiaoneng.accounts.models import POLICY_FIELDS, SecurityPolicy
from xiaoneng.accounts.selectors import account_get, account_lock_list, security_policy
from xiaoneng.accounts.services import (
    account_unlock,
    login_attempt,
    password_change,
    security_policy_apply_profile,
    security_policy_update,
    session_logout,
)
from xiaoneng.core.middleware import client_ip
from xiaoneng.org.choices import Role
from xiaoneng.org.services import ConflictError

BACKEND = "xiaoneng.accounts.backends.PolicyBackend"


def _safe_next(request) -> str:
    """The ``next`` parameter if it points at this site, else ``""``."""
    url = request.POST.get("next") or request.GET.get("next") or ""
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return ""


def _require_security_admin(user) -> None:
    """Everyone but the security administrator gets "not found": the screen's existence is
    not advertised."""
    if not user.has_role(Role.SECURITY_ADMIN):
        raise Http404


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
def login_view(request):
    next_url = _safe_next(request)
    if request.method == "GET" and request.user.is_authenticated:
        return redirect(next_url or resolve_url(settings.LOGIN_REDIRECT_URL))
    form = LoginForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        result = login_attempt(
            username=form.cleaned_data["username"],
            password=form.cleaned_data["password"],
            ip=client_ip(request),
        )
        if result.ok:
            login(request, result.user, backend=BACKEND)
            session_start(request)
            return redirect(next_url or resolve_url(settings.LOGIN_REDIRECT_URL))
        form.add_error(None, result.message)
    return render(request, "accounts/login.html", {"form": form, "next": next_url})


@require_POST
def logout_view(request):
    if request.user.is_authenticated:
        session_logout(user=request.user)
        logout(request)
        messages.info(request, _("You have logged out."))
    return redirect(settings.LOGOUT_REDIRECT_URL)


@sensitive_post_parameters("old_password", "new_password1", "new_password2")
@never_cache
@login_required
def password_change_view(request):
    next_url = _safe_next(request)
    form = PasswordChangeForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            user = password_change(
                user=request.user,
                old_password=form.cleaned_data["old_password"],
                new_password=form.cleaned_data["new_password1"],
            )
        except ValidationError as error:
            form.add_service_error(error)
        else:
            update_session_auth_hash(request, user)
            messages.success(request, _("Your password has been changed."))
            return redirect(next_url or resolve_url(settings.LOGIN_REDIRECT_URL))
    return render(request, "accounts/password_change.html", {"form": form, "next": next_url})


def _policy_display(field: str, value: int) -> str:
    if value == 0 and field == "password_max_age_days":
        return _("never expire")
    if value == 0 and field == "ip_failure_threshold":
        return _("off")
    return str(value)


def _policy_rows(policy: SecurityPolicy) -> list[dict]:
    rows = []
    for field in POLICY_FIELDS:
        model_field = SecurityPolicy._meta.get_field(field)
        rows.append(
            {
                "field": field,
                "label": model_field.verbose_name,
                "current": _policy_display(field, getattr(policy, field)),
                "profiles": [
                    _policy_display(field, values[field]) for values in POLICY_PROFILES.values()
                ],
            }
        )
    return rows


@never_cache
@login_required
def policy_edit(request):
    _require_security_admin(request.user)
    status = 200
    if request.method == "POST":
        form = SecurityPolicyForm(request.POST)
        if form.is_valid():
            try:
                security_policy_update(
                    actor=request.user, version=form.cleaned_data["version"], **form.policy_values()
                )
            except ConflictError as error:
                form.add_error(None, error)
                status = 409
            except ValidationError as error:
                form.add_service_error(error)
            else:
                messages.success(request, _("The security policy has been saved."))
                return redirect("accounts:policy_edit")
        policy = security_policy(fresh=True)
    else:
        policy = security_policy(fresh=True)
        form = SecurityPolicyForm(initial={**policy.values(), "version": policy.version})
    profiles = [{"code": code, "label": PolicyProfile(code).label} for code in POLICY_PROFILES]
    context = {
        "form": form,
        "policy": policy,
        "profile_label": PolicyProfile(policy.profile).label if policy.profile else "",
        "profiles": profiles,
        "rows": _policy_rows(policy),
    }
    return render(request, "accounts/policy_form.html", context, status=status)


@require_POST
@login_required
def policy_profile_apply(request):
    _require_security_admin(request.user)
    form = PolicyProfileForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose one of the shipped profiles."))
        return redirect("accounts:policy_edit")
    try:
        security_policy_apply_profile(
            actor=request.user,
            profile=form.cleaned_data["profile"],
            version=form.cleaned_data["version"],
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            _("The profile “%(profile)s” has been applied.")
            % {"profile": PolicyProfile(form.cleaned_data["profile"]).label},
        )
    return redirect("accounts:policy_edit")


@never_cache
@login_required
def lock_list(request):
    _require_security_admin(request.user)
    return render(request, "accounts/lock_list.html", {"locks": list(account_lock_list())})


@require_POST
@login_required
def account_unlock_view(request, user_id: int):
    _require_security_admin(request.user)
    user = account_get(user_id=user_id)
    if user is None:
        raise Http404
    try:
        account_unlock(actor=request.user, user=user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            _("The account %(username)s (%(name)s) has been unlocked.")
            % {"username": user.username, "name": user.name},
        )
    return redirect("accounts:lock_list")
