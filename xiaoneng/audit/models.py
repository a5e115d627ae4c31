"""The audit log: one append-only, hash-chained table for every state change, sign-in,
failed sign-in, export and view of protected data.

Retention: entries are never deleted. The specification asks for at least 180 days; keeping
every entry satisfies that and keeps the chain verifiable from its first entry. On PostgreSQL
triggers (migration 0002) reject UPDATE and DELETE on the table and TRUNCATE outside
maintenance; on every database ``audit_verify`` detects a changed, removed or inserted entry,
and a head exported with ``audit_export_head`` detects a removed or rewritten tail.
"""

from __future__ import annotations

import json

from django.apps import apps
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from xiaoneng.audit.actions import action_label
from xiaoneng.audit.chain import GENESIS_HASH


class AuditEntry(models.Model):
    """One event in the audit log. Written only by ``services.audit_log``; never changed.

    ``position`` orders the chain (1, 2, 3, … without gaps); ``hash`` is the SHA-256 of the
    entry's fields and ``prev_hash``, the hash of the entry before it. Names of the actor and
    unit are snapshots taken when the event happened. ``data`` holds codes and values, never
    translated sentences: the screen renders them in the reader's language."""

    position = models.BigIntegerField(_("position"), unique=True, editable=False)
    time = models.DateTimeField(_("time"), editable=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        db_index=False,  # covered by the (…, position) index below
        related_name="+",
        verbose_name=_("actor"),
    )
    actor_name = models.CharField(_("actor name"), max_length=150, blank=True)
    unit = models.ForeignKey(
        "org.Unit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        db_index=False,  # covered by the (…, position) index below
        related_name="+",
        verbose_name=_("unit"),
    )
    unit_name = models.CharField(_("unit name"), max_length=200, blank=True)
    action = models.CharField(_("action"), max_length=100, db_index=True)
    object_type = models.CharField(_("object type"), max_length=100, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    success = models.BooleanField(_("succeeded"), default=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)
    prev_hash = models.CharField(_("previous hash"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64)

    class Meta:
        db_table = "audit_auditentry"
        ordering = ["-position"]
        get_latest_by = "position"
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        indexes = [
            models.Index(fields=["time"], name="audit_entry_time_idx"),
            models.Index(fields=["actor", "position"], name="audit_entry_actor_idx"),
            models.Index(fields=["unit", "position"], name="audit_entry_unit_idx"),
            models.Index(fields=["object_type", "object_id"], name="audit_entry_object_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(position__gte=1), name="audit_entry_position_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.position} {self.action}"

    @property
    def action_label(self) -> str:
        return action_label(self.action)

    @property
    def object_type_label(self) -> str:
        """The object's model name in the reader's language, or the stored code."""
        if not self.object_type:
            return ""
        try:
            return str(apps.get_model(self.object_type)._meta.verbose_name)
        except (LookupError, ValueError):
            return self.object_type

    @property
    def data_pretty(self) -> str:
        return json.dumps(self.data, ensure_ascii=False, indent=2, sort_keys=True)


class AuditHead(models.Model):
    """The end of the chain: a single row (id 1) locked by every writer, so that positions
    are assigned one after another and each entry links to the one before it.

    Not evidence itself (it is updated in place); the verifier only checks that the entry it
    names is still in the chain."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    position = models.BigIntegerField(_("position"), default=0)
    hash = models.CharField(_("hash"), max_length=64, default=GENESIS_HASH)

    class Meta:
        verbose_name = _("audit chain head")
        verbose_name_plural = _("audit chain heads")
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="audit_head_single_row"),
        ]

    def __str__(self) -> str:
        return f"#{self.position} {self.hash[:12]}"
