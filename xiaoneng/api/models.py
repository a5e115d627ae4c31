"""API access: tokens (stored hashed), the service accounts that system tokens act for, and
the two short-lived tables behind every call: the idempotency records of POST requests and
the per-token rate-limit windows.

A token acts as one staff account, with that account's roles and unit scope read afresh on
every call: a personal token as the person who created it, a system token as a service
account (an ordinary account with an unusable password, so that nobody signs in with it).
Tokens are revoked, never deleted, so that the audit trail keeps naming them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from xiaoneng.api.choices import TokenKind

USER = settings.AUTH_USER_MODEL


class ServiceAccount(models.Model):
    """A staff account that an external system (the 12345 hotline, a business system) uses
    through the API. Its unit and roles are those of ``user`` and are managed like a person's."""

    user = models.OneToOneField(
        USER, on_delete=models.PROTECT, related_name="service_account", verbose_name=_("account")
    )
    description = models.CharField(_("description"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created"))

    class Meta:
        ordering = ["user__username"]
        verbose_name = _("service account")
        verbose_name_plural = _("service accounts")

    def __str__(self) -> str:
        return self.user.username


class ApiToken(models.Model):
    """A bearer token. Only the SHA-256 digest of the secret is stored; ``prefix`` (its first
    characters) lets people tell their tokens apart and appears in the audit trail."""

    kind = models.CharField(_("kind"), max_length=20, choices=TokenKind.choices)
    user = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="api_tokens", verbose_name=_("acts as")
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=16)
    digest = models.CharField(_("digest"), max_length=64, unique=True)
    created_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created"))
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    last_used_ip = models.GenericIPAddressField(_("last used from"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        USER,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("revoked by"),
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        indexes = [models.Index(fields=["user", "revoked_at"], name="api_token_user_idx")]

    def __str__(self) -> str:
        return f"{self.prefix}… {self.name}"

    @property
    def label(self) -> str:
        """How the token is named in the audit trail: its prefix, never the secret."""
        return f"{self.prefix}…"

    def is_active_at(self, now) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


class IdempotencyRecord(models.Model):
    """The outcome of one POST sent with an ``Idempotency-Key``: a replay of the same request
    gets the stored response, the same key with another request is refused. A record without
    ``status_code`` is a request still running. Records are kept for a day."""

    token = models.ForeignKey(
        ApiToken,
        on_delete=models.CASCADE,  # a short-lived record, never a ledger record
        related_name="+",
        verbose_name=_("token"),
    )
    key = models.CharField(_("key"), max_length=255)
    fingerprint = models.CharField(_("request fingerprint"), max_length=64)
    method = models.CharField(_("method"), max_length=10)
    path = models.CharField(_("path"), max_length=500)
    status_code = models.PositiveSmallIntegerField(_("status code"), null=True, blank=True)
    content_type = models.CharField(_("content type"), max_length=100, blank=True)
    body = models.BinaryField(_("response body"), blank=True, default=b"")
    location = models.CharField(_("location"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created"))

    class Meta:
        verbose_name = _("idempotency record")
        verbose_name_plural = _("idempotency records")
        constraints = [
            models.UniqueConstraint(fields=["token", "key"], name="api_idempotency_unique_key")
        ]
        indexes = [models.Index(fields=["token", "created_at"], name="api_idempotency_age_idx")]

    def __str__(self) -> str:
        return f"{self.token_id} {self.key}"


class RateWindow(models.Model):
    """How many calls a token made in one fixed window (a minute); shared by every worker
    process through the database."""

    token = models.ForeignKey(
        ApiToken,
        on_delete=models.CASCADE,  # a counter, never a ledger record
        related_name="+",
        verbose_name=_("token"),
    )
    window = models.DateTimeField(_("window start"))
    count = models.PositiveIntegerField(_("calls"), default=0)

    class Meta:
        verbose_name = _("rate-limit window")
        verbose_name_plural = _("rate-limit windows")
        constraints = [
            models.UniqueConstraint(fields=["token", "window"], name="api_ratewindow_unique")
        ]

    def __str__(self) -> str:
        return f"{self.token_id} {self.window:%H:%M} {self.count}"
