from django.db import models
from django.utils.translation import gettext_lazy as _


class PolicyProfile(models.TextChoices):
    """The shipped security-policy profiles. Applying one fills every policy field."""

    STANDARD = "standard", _("Standard")
    DJBH3 = "djbh3", _("MLPS level 3")


#: The values each shipped profile puts into the policy. ``djbh3`` follows what assessors
#: commonly expect for 等保三级 (GB/T 22239-2019): at least 8 characters from 3 of the 4
#: character classes, a change every 90 days, lockout after 5 failures for 30 minutes and a
#: short idle timeout. A new installation starts with ``djbh3``.
POLICY_PROFILES: dict[str, dict[str, int]] = {
    PolicyProfile.STANDARD: {
        "password_min_length": 8,
        "password_classes": 2,
        "password_max_age_days": 0,
        "password_history": 0,
        "lockout_threshold": 10,
        "lockout_minutes": 15,
        "ip_failure_threshold": 20,
        "ip_failure_window_minutes": 15,
        "idle_timeout_minutes": 60,
        "session_lifetime_hours": 12,
    },
    PolicyProfile.DJBH3: {
        "password_min_length": 8,
        "password_classes": 3,
        "password_max_age_days": 90,
        "password_history": 5,
        "lockout_threshold": 5,
        "lockout_minutes": 30,
        "ip_failure_threshold": 20,
        "ip_failure_window_minutes": 15,
        "idle_timeout_minutes": 15,
        "session_lifetime_hours": 8,
    },
}
DEFAULT_PROFILE = PolicyProfile.DJBH3


class LoginFailureReason(models.TextChoices):
    """Why a sign-in attempt failed (stored; the person only ever sees a generic message)."""

    UNKNOWN_USER = "unknown_user", _("Unknown login name")
    WRONG_PASSWORD = "wrong_password", _("Wrong password")
    INACTIVE = "inactive", _("Account deactivated")
    LOCKED = "locked", _("Account locked")
