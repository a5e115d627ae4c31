"""Session rules of the security policy: idle timeout, maximum session length and forced
password changes."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.messages.storage import default_storage
from django.http import HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from xiaoneng.accounts.selectors import (
    password_change_reason,
    security_policy,
    security_policy_scope,
)
from xiaoneng.accounts.services import session_timeout

#: Session keys: when the person signed in and when they last did something (Unix seconds).
SESSION_LOGIN_AT = "xn_login_at"
SESSION_LAST_ACTIVITY = "xn_last_activity"
#: The last-activity time is rewritten at most this often, to spare a session write per request.
ACTIVITY_WRITE_SECONDS = 30
#: Requests the page makes by itself (polling a counter) send this header with any value: they
#: are subject to the timeouts but do not count as activity, so they never keep a session alive.
BACKGROUND_HEADER = "X-Xiaoneng-Background"


def session_start(request) -> None:
    """Start the policy clocks of a fresh sign-in (the login view calls this)."""
    now = time.time()
    request.session[SESSION_LOGIN_AT] = now
    request.session[SESSION_LAST_ACTIVITY] = now
    request.session.set_expiry(security_policy().session_lifetime_hours * 3600)


def is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def _redirect(request, url: str, level: int, text: str) -> HttpResponse:
    """Redirect with a message; HTMX requests get ``HX-Redirect`` so the whole page moves.

    This middleware runs before MessageMiddleware, so the message store is opened here and
    written to the response directly."""
    if is_htmx(request):
        response = HttpResponse(headers={"HX-Redirect": url})
    else:
        response = HttpResponseRedirect(url)
    if hasattr(request, "_messages"):
        messages.add_message(request, level, text)
    else:
        storage = default_storage(request)
        storage.add(level, text)
        storage.update(response)
    return response


def _return_path(request) -> str:
    """Where to come back to after signing in again: the page (for HTMX, the page the
    fragment belongs to) when it was a GET on this site."""
    if is_htmx(request):
        current = request.headers.get("HX-Current-URL", "")
        if not url_has_allowed_host_and_scheme(
            current, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return ""
        parts = urlsplit(current)
        return parts.path + (f"?{parts.query}" if parts.query else "")
    return request.get_full_path() if request.method == "GET" else ""


def _with_next(url: str, next_path: str) -> str:
    if not next_path:
        return url
    query = QueryDict(mutable=True)
    query["next"] = next_path
    return f"{url}?{query.urlencode(safe='/')}"


class SessionPolicyMiddleware:
    """Enforces the idle timeout, the maximum session length and forced password changes of
    the security policy, and caches the policy for the request. Sits after
    AuthenticationMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with security_policy_scope():
            user = getattr(request, "user", None)
            if (
                user is not None
                and not request.path.startswith(settings.STATIC_URL)
                and user.is_authenticated
            ):
                response = self._enforce(request, user)
                if response is not None:
                    return response
            return self.get_response(request)

    def _enforce(self, request, user) -> HttpResponse | None:
        policy = security_policy()
        session = request.session
        now = time.time()
        login_at = session.get(SESSION_LOGIN_AT)
        if login_at is None:
            # A session started elsewhere (the Django admin, a test's force_login).
            session[SESSION_LOGIN_AT] = login_at = now
        last = session.get(SESSION_LAST_ACTIVITY, now)

        idle = policy.idle_timeout_minutes
        if now - last > idle * 60:
            text = ngettext(
                "You were logged out after %(n)d minute without activity. Please log in again.",
                "You were logged out after %(n)d minutes without activity. Please log in again.",
                idle,
            ) % {"n": idle}
            return self._end(request, user, "idle", idle, text)
        hours = policy.session_lifetime_hours
        if now - login_at > hours * 3600:
            text = ngettext(
                "You were logged out because your session reached its maximum length of "
                "%(n)d hour. Please log in again.",
                "You were logged out because your session reached its maximum length of "
                "%(n)d hours. Please log in again.",
                hours,
            ) % {"n": hours}
            return self._end(request, user, "lifetime", hours * 60, text)
        background = BACKGROUND_HEADER in request.headers
        if SESSION_LAST_ACTIVITY not in session or (
            now - last >= ACTIVITY_WRITE_SECONDS and not background
        ):
            session[SESSION_LAST_ACTIVITY] = now

        reason = password_change_reason(user=user, policy=policy)
        if reason and not self._exempt_from_password_change(request):
            if reason == "expired":
                days = policy.password_max_age_days
                text = ngettext(
                    "Your password is older than %(n)d day. Choose a new one to continue.",
                    "Your password is older than %(n)d days. Choose a new one to continue.",
                    days,
                ) % {"n": days}
            else:
                text = _(
                    "Your password was set by an administrator. Choose your own password "
                    "to continue."
                )
            url = _with_next(reverse("accounts:password_change"), _return_path(request))
            return _redirect(request, url, messages.WARNING, text)
        return None

    def _end(self, request, user, reason: str, minutes: int, text: str) -> HttpResponse:
        session_timeout(user=user, reason=reason, minutes=minutes)
        next_path = _return_path(request)
        logout(request)
        url = _with_next(resolve_url(settings.LOGIN_URL), next_path)
        return _redirect(request, url, messages.WARNING, text)

    @staticmethod
    def _exempt_from_password_change(request) -> bool:
        return request.path in {
            reverse("accounts:password_change"),
            reverse("accounts:logout"),
            reverse("set_language"),
        }
