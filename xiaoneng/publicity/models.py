"""Typical case bulletins (典型案件通报): drafted from closed cases, approved and numbered by
the office director (效能通报〔2026〕第3期), then published internally or on the portal. Never
deleted; the complainant is never part of them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from xiaoneng.publicity.choices import BulletinKind, BulletinStatus, Visibility

USER = settings.AUTH_USER_MODEL

#: The issue number of a bulletin: an identifier in the official-document convention, not
#: interface text (like a case's register number).
NUMBER_FORMAT = "效能通报〔{year}〕第{seq}期"


def bulletin_number(year: int, seq: int) -> str:
    return NUMBER_FORMAT.format(year=year, seq=seq)


class BulletinSequence(models.Model):
    """The last bulletin number issued in a year; locked while a number is taken."""

    year = models.PositiveSmallIntegerField(_("year"), primary_key=True)
    last = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("bulletin number sequence")
        verbose_name_plural = _("bulletin number sequences")

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class Bulletin(models.Model):
    """A bulletin: its text (paragraphs separated by blank lines), the cases it reports, and
    its way from draft to publication. The number is given at approval."""

    kind = models.CharField(
        _("kind"), max_length=20, choices=BulletinKind.choices, default=BulletinKind.TYPICAL_CASE
    )
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"))
    status = models.CharField(
        _("status"), max_length=20, choices=BulletinStatus.choices, default=BulletinStatus.DRAFT
    )
    visibility = models.CharField(
        _("visibility"), max_length=20, choices=Visibility.choices, default=Visibility.INTERNAL
    )
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True)
    seq = models.PositiveIntegerField(_("sequence"), null=True, blank=True)
    number = models.CharField(_("issue number"), max_length=40, blank=True)
    issuer_name = models.CharField(_("issued by (office)"), max_length=100, blank=True)
    cases = models.ManyToManyField(
        "cases.Case",
        through="BulletinCase",
        related_name="bulletins",
        verbose_name=_("source cases"),
    )
    drafted_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("drafted by")
    )
    drafted_at = models.DateTimeField(_("drafted"))
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    approved_by = models.ForeignKey(
        USER,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
    )
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    published_by = models.ForeignKey(
        USER,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("published by"),
    )
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    reject_note = models.TextField(_("reason for sending back"), blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        ordering = ["-drafted_at", "-id"]
        verbose_name = _("bulletin")
        verbose_name_plural = _("bulletins")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "year", "seq"],
                condition=Q(seq__isnull=False),
                name="publicity_bulletin_number_unique",
            ),
        ]
        indexes = [models.Index(fields=["status", "drafted_at"], name="publicity_status_idx")]

    def __str__(self) -> str:
        return self.number or self.title

    def render_number(self) -> str:
        """The issue number from the year and the sequence ('' before approval)."""
        if self.year is None or self.seq is None:
            return ""
        return bulletin_number(self.year, self.seq)


class BulletinCase(models.Model):
    """A case reported in a bulletin (a case in a bulletin can never be deleted)."""

    bulletin = models.ForeignKey(
        Bulletin, on_delete=models.PROTECT, related_name="case_links", verbose_name=_("bulletin")
    )
    case = models.ForeignKey(
        "cases.Case", on_delete=models.PROTECT, related_name="+", verbose_name=_("case")
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("source case")
        verbose_name_plural = _("source cases")
        constraints = [
            models.UniqueConstraint(fields=["bulletin", "case"], name="publicity_bulletin_case")
        ]

    def __str__(self) -> str:
        return f"{self.bulletin_id} · {self.case_id}"
