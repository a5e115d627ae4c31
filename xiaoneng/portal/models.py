"""The public portal's own records: how a complainant reaches their case (query code and
password), the one-time use of each complaint form, the ratings given on the portal, the
anti-abuse machinery (CAPTCHA challenges, rate-limit events, the office's blocklist) and the
portal's settings. Case data itself lives in ``xiaoneng.cases``."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from xiaoneng.cases.choices import RatingLevel, Solved
from xiaoneng.portal.choices import BlockKind

USER = settings.AUTH_USER_MODEL


class PortalSettings(models.Model):
    """The office's settings of the portal (one row): what the public is shown."""

    show_handler_names = models.BooleanField(
        _("show the names of the staff who acted"),
        default=False,
        help_text=_(
            "When on, the complainant sees on their case page who took each step; otherwise "
            "only the unit."
        ),
    )
    hotline = models.CharField(_("complaint hotline"), max_length=64, blank=True)
    email = models.EmailField(_("e-mail address"), blank=True)
    address = models.CharField(_("address for letters and visits"), max_length=200, blank=True)
    address_en = models.CharField(_("address (English)"), max_length=200, blank=True)
    office_hours = models.CharField(_("reception hours"), max_length=200, blank=True)
    office_hours_en = models.CharField(_("reception hours (English)"), max_length=200, blank=True)
    notice = models.TextField(_("notice on the portal's home page"), blank=True)
    notice_en = models.TextField(_("notice (English)"), blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        verbose_name = _("portal settings")
        verbose_name_plural = _("portal settings")
        constraints = [models.CheckConstraint(condition=Q(id=1), name="portal_settings_single_row")]

    def __str__(self) -> str:
        return str(_("Portal settings"))


class PublicAccess(models.Model):
    """How the complainant follows a case filed on the portal: an unguessable query code,
    a password (stored only as a hash) and the hash of the secret link's token."""

    case = models.OneToOneField(
        "cases.Case", on_delete=models.PROTECT, related_name="public_access", verbose_name=_("case")
    )
    code = models.CharField(_("query code"), max_length=16, unique=True)
    password_hash = models.CharField(_("password hash"), max_length=256)
    token_hash = models.CharField(_("link token hash"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("created"))

    class Meta:
        verbose_name = _("public access to a case")
        verbose_name_plural = _("public access to cases")

    def __str__(self) -> str:
        return self.code


class Submission(models.Model):
    """One use of a complaint form: the form's one-time nonce is unique, so a form sent twice
    (a double click, a reload, a retried request) registers one case."""

    nonce = models.CharField(_("form nonce"), max_length=64, unique=True)
    case = models.OneToOneField(
        "cases.Case",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("case"),
    )
    submitted_at = models.DateTimeField(_("submitted"))

    class Meta:
        verbose_name = _("complaint form submission")
        verbose_name_plural = _("complaint form submissions")

    def __str__(self) -> str:
        return self.nonce


class PublicRating(models.Model):
    """The complainant's rating of a reply on the five-level scale, once per reply (a redone
    case brings a new reply: ``round`` is the case's redo count when it was rated). The
    callback it was recorded as is kept beside it."""

    case = models.ForeignKey(
        "cases.Case", on_delete=models.PROTECT, related_name="+", verbose_name=_("case")
    )
    round = models.PositiveSmallIntegerField(_("reply round"))
    rating = models.CharField(_("rating"), max_length=20, choices=RatingLevel.choices)
    solved = models.CharField(_("problem solved"), max_length=20, choices=Solved.choices)
    comment = models.TextField(_("comment"), blank=True)
    callback = models.OneToOneField(
        "cases.Callback", on_delete=models.PROTECT, related_name="+", verbose_name=_("callback")
    )
    created_at = models.DateTimeField(_("rated"))

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("public rating")
        verbose_name_plural = _("public ratings")
        constraints = [
            models.UniqueConstraint(fields=["case", "round"], name="portal_rating_once_per_reply")
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.rating}"


class CaptchaChallenge(models.Model):
    """A CAPTCHA shown once: its answer is kept only as a keyed hash, it expires, and it is
    deleted the first time someone answers it (right or wrong)."""

    key = models.CharField(_("key"), max_length=64, unique=True)
    answer_hash = models.CharField(_("answer hash"), max_length=64)
    created_at = models.DateTimeField(_("created"))
    expires_at = models.DateTimeField(_("expires"), db_index=True)

    class Meta:
        verbose_name = _("CAPTCHA challenge")
        verbose_name_plural = _("CAPTCHA challenges")

    def __str__(self) -> str:
        return self.key


class RateEvent(models.Model):
    """One counted event of a rate limit (a complaint filed from an address, a wrong
    password for a query code …). ``key`` is a keyed hash of the address, phone number or
    code, never the value itself. Counted over a sliding window; old rows are pruned."""

    scope = models.CharField(_("limit"), max_length=32)
    key = models.CharField(_("key"), max_length=64)
    at = models.DateTimeField(_("time"))

    class Meta:
        verbose_name = _("rate-limit event")
        verbose_name_plural = _("rate-limit events")
        indexes = [models.Index(fields=["scope", "key", "at"], name="portal_rate_lookup_idx")]

    def __str__(self) -> str:
        return f"{self.scope} {self.at:%Y-%m-%d %H:%M}"


class BlockRule(models.Model):
    """A rule of the office's blocklist: submissions from an address or network, with a
    phone number, or containing a keyword are refused while the rule is in force (until it
    expires or is lifted). Never deleted: lifting keeps the record."""

    kind = models.CharField(_("kind"), max_length=20, choices=BlockKind.choices)
    value = models.CharField(_("value"), max_length=100)
    reason = models.CharField(_("reason"), max_length=200)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    created_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("added by")
    )
    created_at = models.DateTimeField(_("added"))
    lifted_by = models.ForeignKey(
        USER,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("lifted by"),
    )
    lifted_at = models.DateTimeField(_("lifted"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("blocklist rule")
        verbose_name_plural = _("blocklist rules")
        indexes = [models.Index(fields=["kind", "lifted_at"], name="portal_block_kind_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.value}"
