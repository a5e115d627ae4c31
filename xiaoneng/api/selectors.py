"""Reads of API access: finding the token of a request, and the lists of the token screens.
Who may see which token is decided here (the screens answer 404 outside it)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from xiaoneng.api.choices import TokenKind
from xiaoneng.api.models import ApiToken, ServiceAccount
from xiaoneng.org.choices import Role

#: Every token starts with this, so that secret scanners and people recognise it.
TOKEN_PREFIX = "xn_"
#: Characters of the token shown on the screens and written to the audit trail.
PREFIX_LENGTH = 10
_TOKEN_SHAPE = re.compile(r"^xn_[A-Za-z0-9_-]{20,100}$")


def token_digest(raw: str) -> str:
    """The stored form of a token: its SHA-256. The secret has 256 bits of randomness, so an
    unsalted digest cannot be reversed or guessed."""
    return hashlib.sha256(raw.encode("ascii")).hexdigest()


@dataclass(frozen=True)
class TokenCheck:
    """The result of checking a presented token: ``token`` when it may be used, else the
    stable ``code`` of the reason (``invalid_token``, ``token_revoked``, ``token_expired``,
    ``account_inactive``)."""

    token: ApiToken | None
    code: str = ""


def token_check(*, raw: str, now=None) -> TokenCheck:
    """Find the token ``raw`` and check that it may be used now (not revoked, not expired, its
    account active). One query."""
    raw = (raw or "").strip()
    if not _TOKEN_SHAPE.match(raw):
        return TokenCheck(None, "invalid_token")
    token = (
        ApiToken.objects.select_related("user", "user__unit")
        .filter(digest=token_digest(raw))
        .first()
    )
    if token is None:
        return TokenCheck(None, "invalid_token")
    now = now or timezone.now()
    if token.revoked_at is not None:
        return TokenCheck(None, "token_revoked")
    if token.expires_at is not None and token.expires_at <= now:
        return TokenCheck(None, "token_expired")
    if not token.user.is_active:
        return TokenCheck(None, "account_inactive")
    return TokenCheck(token)


# --- the screens ------------------------------------------------------------------------------


def is_service_account(*, user) -> bool:
    return ServiceAccount.objects.filter(user_id=user.pk).exists()


def token_list_personal(*, user) -> QuerySet[ApiToken]:
    """A person's own tokens, newest first (revoked ones too, for the record)."""
    return ApiToken.objects.filter(kind=TokenKind.PERSONAL, user=user).order_by(
        "-created_at", "-id"
    )


def service_account_list() -> QuerySet[ServiceAccount]:
    return ServiceAccount.objects.select_related("user", "user__unit", "created_by").order_by(
        "user__username"
    )


def service_account_get(*, pk: int) -> ServiceAccount:
    try:
        return ServiceAccount.objects.select_related("user", "user__unit").get(pk=pk)
    except (ServiceAccount.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def token_list_system(*, account: ServiceAccount) -> QuerySet[ApiToken]:
    return (
        ApiToken.objects.filter(kind=TokenKind.SYSTEM, user_id=account.user_id)
        .select_related("created_by", "revoked_by")
        .order_by("-created_at", "-id")
    )


def token_list_all(*, active_only: bool = True, search: str = "", now=None) -> QuerySet[ApiToken]:
    """Every token (the security administrator's overview), with its account."""
    qs = ApiToken.objects.select_related("user", "user__unit", "created_by").order_by(
        "-created_at", "-id"
    )
    if active_only:
        now = now or timezone.now()
        qs = qs.filter(revoked_at__isnull=True).filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=now)
        )
    search = search.strip()
    if search:
        qs = qs.filter(
            Q(prefix__istartswith=search)
            | Q(name__icontains=search)
            | Q(user__username__icontains=search)
            | Q(user__name__icontains=search)
        )
    return qs


def token_may_revoke(*, user, token: ApiToken) -> bool:
    """The owner revokes a personal token, the system administrator a system token, and the
    security administrator any token (a leaked token is a security incident)."""
    if user.has_role(Role.SECURITY_ADMIN):
        return True
    if token.kind == TokenKind.PERSONAL:
        return token.user_id == user.pk
    return user.has_role(Role.SYSTEM_ADMIN)


def token_get_revocable(*, user, pk: int) -> ApiToken:
    """The token if ``user`` may revoke it, else 404."""
    try:
        token = ApiToken.objects.select_related("user").get(pk=pk)
    except (ApiToken.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if not token_may_revoke(user=user, token=token):
        raise Http404
    return token
