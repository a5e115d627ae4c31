"""Sign-in, passwords, locks and the security policy. Every state change is here: each service
validates, saves and writes its audit row in one transaction.

Sign-in does not reveal which login names exist: an unknown name gets the same message as a
wrong password, costs the same password-hashing time, and is counted and locked after the same
number of failures as a real account (see :class:`~xiaoneng.accounts.models.AccountLock`), so
even the lockout message appears identically for both."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from xiaoneng.accounts.choices import POLICY_PROFILES, LoginFailureReason
from xiaoneng.accounts.models import (
    PASSWORD_HISTORY_KEPT,
    POLICY_FIELDS,
    POLICY_PK,
    AccountLock,
    LoginFailure,
    PasswordHistory,
    SecurityPolicy,
)
from xiaoneng.accounts.selectors import (
    ip_failure_count,
    password_change_reason,
    security_policy,
    security_policy_cache_clear,
)
from xiaoneng.audit.services import audit_log
from xiaoneng.org.choices import Role
from xiaoneng.org.services import ConflictError

#: Longest login name kept from an attempt (longer input is cut, never rejected differently).
USERNAME_MAX = 150


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


def _clean_ip(ip: str | None) -> str | None:
    if not ip:
        return None
    try:
        return str(ipaddress.ip_address(ip.strip()))
    except ValueError:
        return None


def _require_security_admin(actor) -> None:
    """Only the security administrator changes the policy and unlocks accounts. ``actor=None``
    is the command line."""
    if actor is not None and not actor.has_role(Role.SECURITY_ADMIN):
        raise PermissionDenied


# --- sign-in -------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoginResult:
    """The outcome of :func:`login_attempt`. ``code`` is one of ``OK``, ``INVALID``,
    ``LOCKED``, ``THROTTLED``; ``message`` is what the person is told."""

    OK = "ok"
    INVALID = "invalid"
    LOCKED = "locked"
    THROTTLED = "throttled"

    code: str
    user: object | None = None
    locked_until: datetime | None = None
    retry_minutes: int = 0

    @property
    def ok(self) -> bool:
        return self.code == self.OK

    @property
    def message(self) -> str:
        if self.code == self.LOCKED and self.locked_until is not None:
            until = date_format(timezone.localtime(self.locked_until), "Y-m-d H:i")
            return _(
                "Too many failed sign-ins: this login name is locked until %(time)s. Try again "
                "later, or ask the security administrator to unlock the account."
            ) % {"time": until}
        if self.code == self.THROTTLED:
            return ngettext(
                "Too many failed sign-ins from your network address. "
                "Try again in %(minutes)d minute.",
                "Too many failed sign-ins from your network address. "
                "Try again in %(minutes)d minutes.",
                self.retry_minutes,
            ) % {"minutes": self.retry_minutes}
        if self.code == self.OK:
            return ""
        return _("Wrong login name or password.")


def login_attempt(
    *, username: str, password: str, ip: str | None, now: datetime | None = None
) -> LoginResult:
    """Check one sign-in attempt against the password, the account's lock and the per-address
    limit, count a failure or clear the counter, and audit the outcome. The caller logs the
    person in when the result is ``ok``."""
    now = _now(now)
    username = (username or "").strip()[:USERNAME_MAX]
    ip = _clean_ip(ip)
    if not username or not password:
        return LoginResult(LoginResult.INVALID)
    policy = security_policy()

    if ip and policy.ip_failure_threshold:
        since = now - timedelta(minutes=policy.ip_failure_window_minutes)
        if ip_failure_count(ip=ip, since=since) >= policy.ip_failure_threshold:
            with transaction.atomic():
                audit_log(
                    action="auth.login_failed",
                    success=False,
                    data={"username": username, "reason": "ip_throttled"},
                )
            return LoginResult(
                LoginResult.THROTTLED, retry_minutes=policy.ip_failure_window_minutes
            )

    user_model = get_user_model()
    with transaction.atomic():
        user = user_model.objects.select_related("unit").filter(username=username).first()
        AccountLock.objects.get_or_create(username=username, defaults={"user": user})
        lock = AccountLock.objects.select_for_update().get(username=username)

        reset = {}
        if lock.locked_until is not None and lock.locked_until <= now:
            reset = {"failure_count": 0, "locked_at": None, "locked_until": None}
        elif lock.last_failure_at is not None and lock.last_failure_at <= now - timedelta(
            minutes=policy.lockout_minutes
        ):
            # Failures older than the lockout duration no longer add up.
            reset = {"failure_count": 0}
        if user is not None and lock.user_id is None:
            reset["user"] = user
        if reset:
            for field, value in reset.items():
                setattr(lock, field, value)
            lock.save(update_fields=list(reset))

        if lock.is_locked(now):
            _record_failure(
                username=username,
                user=user,
                ip=ip,
                now=now,
                reason=LoginFailureReason.LOCKED,
                failures=lock.failure_count,
            )
            return LoginResult(LoginResult.LOCKED, locked_until=lock.locked_until)

        if user is None:
            # The same hashing work as a real check, so timing does not tell which names exist.
            user_model().set_password(password)
            reason = LoginFailureReason.UNKNOWN_USER
        elif not user.check_password(password):
            reason = LoginFailureReason.WRONG_PASSWORD
        elif not user.is_active:
            reason = LoginFailureReason.INACTIVE
        else:
            if lock.failure_count or lock.locked_until:
                AccountLock.objects.filter(pk=lock.pk).update(
                    failure_count=0, last_failure_at=None, locked_at=None, locked_until=None
                )
            audit_log(
                action="auth.login",
                actor=user,
                obj=user,
                unit=user.unit,
                data={"username": user.username},
            )
            return LoginResult(LoginResult.OK, user=user)

        # A failure. The row is locked, and F() keeps the count right even where
        # select_for_update is a no-op (SQLite serialises writers instead).
        AccountLock.objects.filter(pk=lock.pk).update(
            failure_count=F("failure_count") + 1, last_failure_at=now
        )
        lock.refresh_from_db()
        locks_now = lock.failure_count >= policy.lockout_threshold and not lock.is_locked(now)
        if locks_now:
            lock.locked_at = now
            lock.locked_until = now + timedelta(minutes=policy.lockout_minutes)
            lock.save(update_fields=["locked_at", "locked_until"])
        # The audit rows last: audit_log serialises writers on the chain head.
        _record_failure(
            username=username,
            user=user,
            ip=ip,
            now=now,
            reason=reason,
            failures=lock.failure_count,
        )
        if locks_now:
            audit_log(
                action="auth.lockout",
                obj=user,
                unit=user.unit if user else None,
                data={
                    "username": username,
                    "failures": lock.failure_count,
                    "minutes": policy.lockout_minutes,
                    "locked_until": lock.locked_until.isoformat(),
                },
            )
        if lock.is_locked(now):
            return LoginResult(LoginResult.LOCKED, locked_until=lock.locked_until)
        return LoginResult(LoginResult.INVALID)


def _record_failure(
    *, username: str, user, ip: str | None, now: datetime, reason: str, failures: int
) -> None:
    LoginFailure.objects.create(ip=ip, username=username, reason=reason, created_at=now)
    audit_log(
        action="auth.login_failed",
        obj=user,
        unit=user.unit if user else None,
        success=False,
        data={"username": username, "reason": str(reason), "failures": failures},
    )


def session_logout(*, user) -> None:
    """Audit a sign-out; the view ends the session."""
    with transaction.atomic():
        audit_log(
            action="auth.logout",
            actor=user,
            obj=user,
            unit=user.unit,
            data={"username": user.username},
        )


def session_timeout(*, user, reason: str, minutes: int) -> None:
    """Audit a session ended by the policy (``reason`` is ``idle`` or ``lifetime``); the
    middleware ends the session."""
    with transaction.atomic():
        audit_log(
            action="auth.session_timeout",
            actor=user,
            obj=user,
            unit=user.unit,
            data={"username": user.username, "reason": reason, "limit_minutes": minutes},
        )


@transaction.atomic
def account_unlock(*, actor, user, now: datetime | None = None) -> None:
    """Lift the lock on ``user`` before it expires and clear the failure counter."""
    _require_security_admin(actor)
    now = _now(now)
    lock = AccountLock.objects.select_for_update().filter(username=user.username).first()
    if lock is None or not lock.is_locked(now):
        raise ValidationError(_("This account is not locked."), code="not_locked")
    data = {
        "username": user.username,
        "failures": lock.failure_count,
        "locked_until": lock.locked_until.isoformat(),
    }
    lock.failure_count = 0
    lock.last_failure_at = None
    lock.locked_at = None
    lock.locked_until = None
    lock.save(update_fields=["failure_count", "last_failure_at", "locked_at", "locked_until"])
    audit_log(action="auth.unlock", actor=actor, obj=user, unit=user.unit, data=data)


@transaction.atomic
def login_records_prune(*, now: datetime | None = None, keep_days: int = 30) -> int:
    """Delete failed-sign-in rows older than ``keep_days`` and the idle counters of login
    names that belong to no account. Returns how many rows went. (The audit log keeps every
    attempt.)"""
    cutoff = _now(now) - timedelta(days=keep_days)
    failures, _detail = LoginFailure.objects.filter(created_at__lt=cutoff).delete()
    stale = AccountLock.objects.filter(user__isnull=True, last_failure_at__lt=cutoff).exclude(
        locked_until__gte=cutoff
    )
    locks, _detail = stale.delete()
    return failures + locks


# --- passwords -----------------------------------------------------------------------------


def password_history_push(*, user, now: datetime | None = None) -> None:
    """Keep ``user``'s current password hash in the history before it is replaced."""
    if not user.password or not user.has_usable_password():
        return
    PasswordHistory.objects.create(user=user, password=user.password, created_at=_now(now))
    old = list(
        PasswordHistory.objects.filter(user=user)
        .order_by("-created_at", "-id")
        .values_list("id", flat=True)[PASSWORD_HISTORY_KEPT:]
    )
    if old:
        PasswordHistory.objects.filter(id__in=old).delete()


def password_change(*, user, old_password: str, new_password: str, now: datetime | None = None):
    """Change one's own password: the current one must be right and the new one must pass
    the password validators (policy, history, common passwords). Clears a forced change."""
    now = _now(now)
    user_model = get_user_model()
    with transaction.atomic():
        user = (
            user_model.objects.select_for_update(of=("self",))
            .select_related("unit")
            .get(pk=user.pk)
        )
        wrong_old = not check_password(old_password, user.password)
        if not wrong_old:
            try:
                validate_password(new_password, user)
            except ValidationError as error:
                raise ValidationError({"new_password": error.error_list}) from error
            forced = password_change_reason(user=user, now=now)
            password_history_push(user=user, now=now)
            user.set_password(new_password)
            user.password_changed_at = now
            user.must_change_password = False
            user.version = F("version") + 1
            user.save(
                update_fields=["password", "password_changed_at", "must_change_password", "version"]
            )
            user.refresh_from_db()
            audit_log(
                action="auth.password_change",
                actor=user,
                obj=user,
                unit=user.unit,
                data={"username": user.username, "forced": forced or None},
            )
            return user
    with transaction.atomic():
        audit_log(
            action="auth.password_change",
            actor=user,
            obj=user,
            unit=user.unit,
            success=False,
            data={"username": user.username, "reason": "wrong_password"},
        )
    raise ValidationError(
        {
            "old_password": ValidationError(
                _("Your current password is wrong."), code="password_incorrect"
            )
        }
    )


# --- security policy -----------------------------------------------------------------------


def _policy_for_update() -> SecurityPolicy:
    SecurityPolicy.objects.get_or_create(pk=POLICY_PK)
    return SecurityPolicy.objects.select_for_update().get(pk=POLICY_PK)


def _policy_save(
    *, actor, version: int | None, values: dict, profile: str = "", now: datetime | None = None
) -> SecurityPolicy:
    unknown = set(values) - set(POLICY_FIELDS)
    if unknown:
        raise ValueError(", ".join(sorted(unknown)))
    with transaction.atomic():
        policy = _policy_for_update()
        if version is not None and policy.version != version:
            raise ConflictError(
                _(
                    "Someone else changed the security policy while you were editing it. Nothing "
                    "was saved: reload the page to see the current values, then apply your "
                    "change again."
                ),
                code="conflict",
            )
        before = policy.values()
        for field, value in values.items():
            setattr(policy, field, value)
        policy.full_clean(exclude=["updated_by"])
        after = policy.values()
        if before == after:
            return policy
        policy.version = F("version") + 1
        policy.updated_at = _now(now)
        policy.updated_by = actor
        policy.save()
        policy.refresh_from_db()
        audit_log(
            action="accounts.policy.update",
            actor=actor,
            obj=policy,
            data={
                "profile": profile or None,
                "changed": [f for f in POLICY_FIELDS if before[f] != after[f]],
                "before": before,
                "after": after,
            },
        )
    security_policy_cache_clear()
    return policy


def security_policy_update(
    *, actor, version: int | None, now: datetime | None = None, **fields: int
) -> SecurityPolicy:
    """Change policy fields. ``version`` is the one the form was loaded with: if someone saved
    in between, :class:`ConflictError` is raised and nothing is changed."""
    _require_security_admin(actor)
    return _policy_save(actor=actor, version=version, values=fields, now=now)


def security_policy_apply_profile(
    *, actor, profile: str, version: int | None = None, now: datetime | None = None
) -> SecurityPolicy:
    """Fill every policy field from a shipped profile (``standard`` or ``djbh3``)."""
    _require_security_admin(actor)
    if profile not in POLICY_PROFILES:
        raise ValidationError(_("Unknown security profile."), code="unknown_profile")
    return _policy_save(
        actor=actor,
        version=version,
        values=dict(POLICY_PROFILES[profile]),
        profile=profile,
        now=now,
    )
