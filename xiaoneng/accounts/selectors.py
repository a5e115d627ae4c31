"""Reads of the security policy, password state and sign-in locks."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils import timezone

from xiaoneng.accounts.models import POLICY_PK, AccountLock, LoginFailure, SecurityPolicy

_request_cache: ContextVar[dict | None] = ContextVar("xiaoneng_security_policy", default=None)


def security_policy(*, fresh: bool = False) -> SecurityPolicy:
    """The policy in force: one primary-key read, cached for the rest of the request (see
    :func:`security_policy_scope`; outside a request every call reads). ``fresh`` reads again.

    Caching per request rather than per process keeps every worker on the saved policy at once
    (a shorter idle timeout applies to the very next request) at the price of one cheap query.
    Before the security administrator first saves it, this is the default profile, unsaved:
    reading never writes. Treat the result as read-only."""
    holder = _request_cache.get()
    if holder is not None and not fresh and "policy" in holder:
        return holder["policy"]
    policy = SecurityPolicy.objects.filter(pk=POLICY_PK).first() or SecurityPolicy(pk=POLICY_PK)
    if holder is not None:
        holder["policy"] = policy
    return policy


@contextmanager
def security_policy_scope() -> Iterator[None]:
    """Cache the policy inside this block (SessionPolicyMiddleware wraps each request in it)."""
    token = _request_cache.set({})
    try:
        yield
    finally:
        _request_cache.reset(token)


def security_policy_cache_clear() -> None:
    """Forget the cached policy (after a change)."""
    holder = _request_cache.get()
    if holder is not None:
        holder.clear()


def password_expires_at(*, user, policy: SecurityPolicy | None = None) -> datetime | None:
    """When ``user``'s password expires under the policy, or ``None`` if it never does.

    An account whose password change was never recorded counts from its creation."""
    policy = policy or security_policy()
    if not policy.password_max_age_days:
        return None
    changed = user.password_changed_at or user.date_joined
    return changed + timedelta(days=policy.password_max_age_days)


def password_change_reason(
    *, user, policy: SecurityPolicy | None = None, now: datetime | None = None
) -> str:
    """``"must_change"`` when an administrator set the password, ``"expired"`` when it is older
    than the policy allows, ``""`` when the person may carry on."""
    if not user.is_authenticated:
        return ""
    if user.must_change_password:
        return "must_change"
    expires = password_expires_at(user=user, policy=policy)
    if expires is not None and expires <= (now or timezone.now()):
        return "expired"
    return ""


def ip_failure_count(*, ip: str, since: datetime) -> int:
    """Failed sign-ins from ``ip`` since ``since``."""
    return LoginFailure.objects.filter(ip=ip, created_at__gte=since).count()


def account_lock_list(*, now: datetime | None = None) -> QuerySet[AccountLock]:
    """The accounts locked right now, soonest release first. Locks on login names that belong
    to no account are left out: they are attempts, recorded in the audit log."""
    now = now or timezone.now()
    return (
        AccountLock.objects.filter(locked_until__gt=now, user__isnull=False)
        .select_related("user", "user__unit")
        .order_by("locked_until", "username")
    )


def account_get(*, user_id: int | None = None, username: str | None = None):
    """The account with this id or login name (to unlock it), or ``None``."""
    qs = get_user_model().objects.select_related("unit")
    if user_id is not None:
        return qs.filter(pk=user_id).first()
    if username:
        return qs.filter(username=username).first()
    return None
