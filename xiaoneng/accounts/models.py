from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from xiaoneng.accounts.choices import (
    DEFAULT_PROFILE,
    POLICY_PROFILES,
    LoginFailureReason,
)

#: The policy fields a profile fills and the security administrator edits, in display order.
POLICY_FIELDS: tuple[str, ...] = tuple(POLICY_PROFILES[DEFAULT_PROFILE])
#: The one row of :class:`SecurityPolicy`.
POLICY_PK = 1
#: How many previous password hashes are kept per account, whatever the policy says, so that
#: raising the history count later takes effect at once.
PASSWORD_HISTORY_KEPT = 24


_DEFAULTS = POLICY_PROFILES[DEFAULT_PROFILE]


def _range(low: int, high: int) -> list:
    return [MinValueValidator(low), MaxValueValidator(high)]


class SecurityPolicy(models.Model):
    """The installation's sign-in and password rules (one row, primary key 1).

    The row is created the first time the security administrator saves the policy; until then
    the selector returns the default profile (MLPS level 3) unsaved, so reading never writes.
    Changes go through the services, which check ``version`` so that a stale form never
    overwrites someone else's change."""

    password_min_length = models.PositiveSmallIntegerField(
        _("minimum password length"),
        default=_DEFAULTS["password_min_length"],
        validators=_range(8, 64),
    )
    password_classes = models.PositiveSmallIntegerField(
        _("required character classes"),
        default=_DEFAULTS["password_classes"],
        validators=_range(1, 4),
        help_text=_(
            "How many of the four classes (lower-case letters, upper-case letters, digits, "
            "symbols) a password must contain."
        ),
    )
    password_max_age_days = models.PositiveSmallIntegerField(
        _("maximum password age (days)"),
        default=_DEFAULTS["password_max_age_days"],
        validators=_range(0, 3650),
        help_text=_("0 means passwords never expire."),
    )
    password_history = models.PositiveSmallIntegerField(
        _("password history"),
        default=_DEFAULTS["password_history"],
        validators=_range(0, PASSWORD_HISTORY_KEPT),
        help_text=_("A new password may not repeat any of this many previous passwords."),
    )
    lockout_threshold = models.PositiveSmallIntegerField(
        _("failed sign-ins before lockout"),
        default=_DEFAULTS["lockout_threshold"],
        validators=_range(1, 100),
    )
    lockout_minutes = models.PositiveSmallIntegerField(
        _("lockout duration (minutes)"),
        default=_DEFAULTS["lockout_minutes"],
        validators=_range(1, 1440),
    )
    ip_failure_threshold = models.PositiveSmallIntegerField(
        _("failed sign-ins per network address"),
        default=_DEFAULTS["ip_failure_threshold"],
        validators=_range(0, 10000),
        help_text=_(
            "Sign-in is refused from an address with this many failures in the window, "
            "whatever the login name. 0 switches the limit off."
        ),
    )
    ip_failure_window_minutes = models.PositiveSmallIntegerField(
        _("network address window (minutes)"),
        default=_DEFAULTS["ip_failure_window_minutes"],
        validators=_range(1, 1440),
    )
    idle_timeout_minutes = models.PositiveSmallIntegerField(
        _("idle session timeout (minutes)"),
        default=_DEFAULTS["idle_timeout_minutes"],
        validators=_range(1, 1440),
    )
    session_lifetime_hours = models.PositiveSmallIntegerField(
        _("maximum session length (hours)"),
        default=_DEFAULTS["session_lifetime_hours"],
        validators=_range(1, 168),
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    updated_at = models.DateTimeField(_("updated"), null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("updated by"),
    )

    class Meta:
        verbose_name = _("security policy")
        verbose_name_plural = _("security policy")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(id=POLICY_PK), name="accounts_policy_single_row"
            )
        ]

    def __str__(self) -> str:
        return str(_("Security policy"))

    def clean(self) -> None:
        if (
            self.idle_timeout_minutes
            and self.session_lifetime_hours
            and self.idle_timeout_minutes > self.session_lifetime_hours * 60
        ):
            raise ValidationError(
                {
                    "idle_timeout_minutes": _(
                        "The idle timeout cannot be longer than the maximum session length."
                    )
                }
            )

    def values(self) -> dict[str, int]:
        """The policy fields and their values."""
        return {field: getattr(self, field) for field in POLICY_FIELDS}

    @property
    def profile(self) -> str:
        """The shipped profile these values equal, or ``""`` when they were customised."""
        values = self.values()
        for code, profile_values in POLICY_PROFILES.items():
            if profile_values == values:
                return code
        return ""


class PasswordHistory(models.Model):
    """A previous password hash of an account, to refuse its reuse. Part of the account's
    state, not a ledger record: accounts are deactivated, never deleted, and the audit log
    keeps the history of password changes."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="password_history",
        verbose_name=_("user"),
    )
    password = models.CharField(_("password hash"), max_length=128)
    created_at = models.DateTimeField(_("recorded"), db_index=True)

    class Meta:
        ordering = ["user", "-created_at", "-id"]
        verbose_name = _("previous password")
        verbose_name_plural = _("previous passwords")
        indexes = [models.Index(fields=["user", "-created_at"], name="accounts_pwhist_user_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} @ {self.created_at:%Y-%m-%d %H:%M}"


class AccountLock(models.Model):
    """The failed-sign-in counter and lock of one login name.

    Keyed by the login name as typed, not by the account, so that names that do not exist are
    counted and locked exactly like real ones: the sign-in page then behaves identically for
    both and never reveals which login names exist. ``user`` is filled when the name belongs
    to an account. The login service reads and updates the row under ``select_for_update``,
    so parallel wrong guesses are all counted. Like the password history this is state of the
    account, not a ledger record (the audit log is), so it goes with the account."""

    username = models.CharField(_("login name"), max_length=150, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("user"),
    )
    failure_count = models.PositiveIntegerField(_("consecutive failures"), default=0)
    last_failure_at = models.DateTimeField(_("last failure"), null=True, blank=True)
    locked_at = models.DateTimeField(_("locked"), null=True, blank=True)
    locked_until = models.DateTimeField(_("locked until"), null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["username"]
        verbose_name = _("sign-in lock")
        verbose_name_plural = _("sign-in locks")

    def __str__(self) -> str:
        return self.username

    def is_locked(self, now) -> bool:
        return self.locked_until is not None and self.locked_until > now


class LoginFailure(models.Model):
    """One failed sign-in attempt, counted per network address to slow guessing across
    accounts. Inserting a row per failure lets parallel attempts all count without locking.
    Old rows are removed by ``login_records_prune``."""

    ip = models.GenericIPAddressField(_("network address"), null=True, blank=True)
    username = models.CharField(_("login name"), max_length=150)
    reason = models.CharField(_("reason"), max_length=20, choices=LoginFailureReason.choices)
    created_at = models.DateTimeField(_("time"), db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("failed sign-in")
        verbose_name_plural = _("failed sign-ins")
        indexes = [models.Index(fields=["ip", "created_at"], name="accounts_failure_ip_idx")]

    def __str__(self) -> str:
        return f"{self.username} @ {self.ip}"
