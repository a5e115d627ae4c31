"""Every write of API access: tokens (created, revoked, marked as used), service accounts,
and the bookkeeping of each call (rate-limit windows, idempotency records). Token and account
changes are audited; the bookkeeping of calls is not (the calls' own actions are)."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from xiaoneng.api.choices import TokenKind
from xiaoneng.api.models import ApiToken, IdempotencyRecord, RateWindow, ServiceAccount
from xiaoneng.api.selectors import (
    PREFIX_LENGTH,
    TOKEN_PREFIX,
    is_service_account,
    token_digest,
    token_may_revoke,
)
from xiaoneng.audit.services import audit_log
from xiaoneng.org.choices import ADMIN_ROLES, Role
from xiaoneng.org.models import Unit, User
from xiaoneng.org.services import user_create, user_set_active

#: How long a personal token may live (days); it always expires.
PERSONAL_EXPIRY_DAYS = (30, 90, 180, 365)
#: How long a system token may live (days); ``None``: until revoked.
SYSTEM_EXPIRY_DAYS = (90, 180, 365, 730, None)
#: Usable tokens one account may hold at once.
MAX_ACTIVE_TOKENS = 10
#: A request still marked as running after this long was interrupted; its key may be reused.
IDEMPOTENCY_STALE = timedelta(minutes=5)
#: Idempotency records are kept this long.
IDEMPOTENCY_TTL = timedelta(hours=24)
#: The last-use time of a token is rewritten at most this often.
TOUCH_INTERVAL = timedelta(seconds=60)
RATE_WINDOW_SECONDS = 60
DEFAULT_RATE_LIMIT = 120


class TokenActionDenied(PermissionDenied):
    """The actor may not manage this token or account (the screens answer 404)."""


# --- tokens ----------------------------------------------------------------------------------


def _new_secret() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def _active_tokens(user: User, now: datetime):
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True).exclude(expires_at__lte=now)


@transaction.atomic
def token_create(
    *,
    actor: User,
    name: str,
    expires_in_days: int | None,
    service_account: ServiceAccount | None = None,
    now: datetime | None = None,
) -> tuple[ApiToken, str]:
    """Create a token and return it with its secret, which is shown once and never stored.

    Without ``service_account``: a personal token of ``actor``, acting with the actor's own
    roles and units; it must expire. With it: a system token of that service account, created
    by the system administrator; it may run until revoked."""
    now = now or timezone.now()
    if not actor.is_active or is_service_account(user=actor):
        raise TokenActionDenied("token_create")
    if service_account is None:
        kind, owner, allowed = TokenKind.PERSONAL, actor, PERSONAL_EXPIRY_DAYS
    else:
        if not actor.has_role(Role.SYSTEM_ADMIN):
            raise TokenActionDenied("token_create")
        kind, owner, allowed = TokenKind.SYSTEM, service_account.user, SYSTEM_EXPIRY_DAYS
        if not owner.is_active:
            raise ValidationError(
                _("The service account is deactivated; activate it first."), code="inactive"
            )
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Say what the token is for.")})
    if expires_in_days not in allowed:
        raise ValidationError({"expires_in_days": _("Choose how long the token is valid.")})
    locked_owner = User.objects.select_for_update().get(pk=owner.pk)  # counts below queue
    if _active_tokens(locked_owner, now).count() >= MAX_ACTIVE_TOKENS:
        raise ValidationError(
            _("An account holds at most %(max)s valid tokens; revoke one first.")
            % {"max": MAX_ACTIVE_TOKENS},
            code="too_many_tokens",
        )
    secret = _new_secret()
    token = ApiToken(
        kind=kind,
        user=owner,
        name=name,
        prefix=secret[:PREFIX_LENGTH],
        digest=token_digest(secret),
        created_by=actor,
        created_at=now,
        expires_at=now + timedelta(days=expires_in_days) if expires_in_days else None,
    )
    token.full_clean()
    token.save()
    audit_log(
        action="api.token.create",
        actor=actor,
        obj=token,
        data={
            "kind": kind,
            "prefix": token.prefix,
            "name": name,
            "acts_as": owner.username,
            "expires_at": token.expires_at,
        },
    )
    return token, secret


@transaction.atomic
def token_revoke(*, actor: User, token: ApiToken, now: datetime | None = None) -> ApiToken:
    """Revoke a token at once: the next call with it is refused."""
    now = now or timezone.now()
    token = ApiToken.objects.select_for_update().select_related("user").get(pk=token.pk)
    if not token_may_revoke(user=actor, token=token):
        raise TokenActionDenied("token_revoke")
    if token.revoked_at is not None:
        raise ValidationError(_("This token is already revoked."), code="revoked")
    token.revoked_at, token.revoked_by = now, actor
    token.save(update_fields=["revoked_at", "revoked_by"])
    audit_log(
        action="api.token.revoke",
        actor=actor,
        obj=token,
        data={"kind": token.kind, "prefix": token.prefix, "acts_as": token.user.username},
    )
    return token


def token_touch(*, token: ApiToken, ip: str | None, now: datetime | None = None) -> None:
    """Remember when and from where the token was last used (at most once a minute)."""
    now = now or timezone.now()
    if token.last_used_at is not None and now - token.last_used_at < TOUCH_INTERVAL:
        return
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now, last_used_ip=ip or None)
    token.last_used_at, token.last_used_ip = now, ip


# --- service accounts ------------------------------------------------------------------------


def _require_system_admin(actor: User) -> None:
    if not actor.is_active or not actor.has_role(Role.SYSTEM_ADMIN):
        raise TokenActionDenied("service_account")


@transaction.atomic
def service_account_create(
    *,
    actor: User,
    username: str,
    name: str,
    unit: Unit | None,
    roles: Iterable[str],
    description: str = "",
    now: datetime | None = None,
) -> ServiceAccount:
    """Create the account an external system calls the API with. It holds business roles in a
    unit like a person, but has no password: nobody signs in with it."""
    now = now or timezone.now()
    _require_system_admin(actor)
    roles = set(roles)
    if not roles:
        raise ValidationError({"roles": _("Give the service account at least one role.")})
    if roles & ADMIN_ROLES:
        raise ValidationError(
            {
                "roles": _(
                    "A service account holds business roles only, never an administrator role."
                )
            }
        )
    user = user_create(
        actor=actor,
        username=username,
        name=name,
        unit=unit,
        password=None,
        roles=roles,
        must_change_password=False,
    )
    account = ServiceAccount(
        user=user, description=description.strip(), created_by=actor, created_at=now
    )
    account.full_clean(exclude=["user"])
    account.save()
    audit_log(
        action="api.service_account.create",
        actor=actor,
        obj=account,
        unit=unit,
        data={"username": user.username, "roles": sorted(roles)},
    )
    return account


@transaction.atomic
def service_account_set_active(
    *, actor: User, account: ServiceAccount, active: bool
) -> ServiceAccount:
    """Deactivate (or reactivate) a service account: its tokens stop (or start again) working
    with it."""
    _require_system_admin(actor)
    user_set_active(actor=actor, user=account.user, active=active)
    account.user.refresh_from_db()
    return account


# --- the bookkeeping of each call ---------------------------------------------------------------


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int


def rate_limit() -> int:
    """Calls a token may make per minute (``settings.API_RATE_LIMIT_PER_MINUTE``)."""
    return max(1, int(getattr(settings, "API_RATE_LIMIT_PER_MINUTE", DEFAULT_RATE_LIMIT)))


def rate_limit_hit(*, token: ApiToken, now: datetime | None = None) -> RateDecision:
    """Count one call of ``token`` in the current fixed one-minute window (a row per token and
    window, incremented in the database so that every worker process shares it) and say
    whether it is within the limit."""
    now = now or timezone.now()
    epoch = int(now.timestamp())
    start = epoch - epoch % RATE_WINDOW_SECONDS
    window = datetime.fromtimestamp(start, tz=now.tzinfo or timezone.get_current_timezone())
    limit = rate_limit()
    with transaction.atomic():
        updated = RateWindow.objects.filter(token=token, window=window).update(count=F("count") + 1)
        if not updated:
            try:
                with transaction.atomic():
                    RateWindow.objects.create(token=token, window=window, count=1)
            except IntegrityError:  # another worker opened the window first
                RateWindow.objects.filter(token=token, window=window).update(count=F("count") + 1)
            else:
                RateWindow.objects.filter(token=token, window__lt=window).delete()
        count = RateWindow.objects.filter(token=token, window=window).values_list(
            "count", flat=True
        )[0]
    return RateDecision(
        allowed=count <= limit,
        limit=limit,
        remaining=max(0, limit - count),
        reset_seconds=start + RATE_WINDOW_SECONDS - epoch,
    )


@dataclass(frozen=True)
class Reservation:
    """``record`` is this request's own new record, or ``existing`` the record another
    request with the same key left (finished or still running)."""

    record: IdempotencyRecord | None = None
    existing: IdempotencyRecord | None = None


def idempotency_reserve(
    *,
    token: ApiToken,
    key: str,
    fingerprint: str,
    method: str,
    path: str,
    now: datetime | None = None,
) -> Reservation:
    """Claim ``key`` for this request, committed at once so that a concurrent request with
    the same key sees it (the unique constraint decides who was first). Records older than a
    day are forgotten, and a record left running by an interrupted request is taken over."""
    now = now or timezone.now()
    IdempotencyRecord.objects.filter(token=token, created_at__lt=now - IDEMPOTENCY_TTL).delete()
    for _attempt in range(2):
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    token=token,
                    key=key,
                    fingerprint=fingerprint,
                    method=method,
                    path=path[:500],
                    created_at=now,
                )
            return Reservation(record=record)
        except IntegrityError:
            existing = IdempotencyRecord.objects.filter(token=token, key=key).first()
            if existing is None:
                continue  # removed meanwhile; claim it again
            if existing.status_code is None and now - existing.created_at > IDEMPOTENCY_STALE:
                IdempotencyRecord.objects.filter(pk=existing.pk, status_code__isnull=True).delete()
                continue
            return Reservation(existing=existing)
    existing = IdempotencyRecord.objects.filter(token=token, key=key).first()
    return Reservation(existing=existing)


def idempotency_store(
    *, record: IdempotencyRecord, status_code: int, content_type: str, body: bytes, location: str
) -> None:
    """Keep the response of the request that claimed the key."""
    IdempotencyRecord.objects.filter(pk=record.pk).update(
        status_code=status_code,
        content_type=content_type[:100],
        body=body,
        location=location[:500],
    )


def idempotency_release(*, record: IdempotencyRecord) -> None:
    """Forget the key of a request that failed on the server, so that it may be retried."""
    IdempotencyRecord.objects.filter(pk=record.pk).delete()


def api_records_purge(*, now: datetime | None = None) -> dict[str, int]:
    """Forget the bookkeeping no call needs any more: idempotency records older than a day
    and rate-limit windows before the current one, of every token (each token's own are also
    forgotten as it is used; this catches tokens no longer used)."""
    now = now or timezone.now()
    keys, _detail = IdempotencyRecord.objects.filter(created_at__lt=now - IDEMPOTENCY_TTL).delete()
    windows, _detail = RateWindow.objects.filter(
        window__lt=now - timedelta(seconds=RATE_WINDOW_SECONDS)
    ).delete()
    return {"idempotency_records": keys, "rate_windows": windows}
