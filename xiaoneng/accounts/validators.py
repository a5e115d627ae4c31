from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from xiaoneng.accounts.models import PasswordHistory
from xiaoneng.accounts.selectors import security_policy

#: A login name shorter than this is not searched for inside the password.
USERNAME_CHECK_MIN = 3


def character_classes(password: str) -> int:
    """How many of lower-case letters, upper-case letters, digits and symbols (anything else,
    Chinese characters included) ``password`` contains."""
    lower = upper = digit = other = False
    for char in password:
        if char.islower():
            lower = True
        elif char.isupper():
            upper = True
        elif char.isdigit():
            digit = True
        else:
            other = True
    return lower + upper + digit + other


def password_reused(*, password: str, user, history: int) -> bool:
    """Whether ``password`` is ``user``'s current password or one of the previous ones within
    the last ``history`` passwords (the current one counts as the first)."""
    encoded = [user.password] if user.password and user.has_usable_password() else []
    previous = max(history - 1, 0)
    if previous:
        encoded += list(
            PasswordHistory.objects.filter(user=user)
            .order_by("-created_at", "-id")
            .values_list("password", flat=True)[:previous]
        )
    # hashers.check_password, not user.check_password: validating must not re-hash and save.
    return any(check_password(password, value) for value in encoded)


class PolicyPasswordValidator:
    """Checks a new password against the security policy in force: length, character classes,
    no login name inside it, and (for an existing account) not one of the recent passwords.
    The current password is never accepted as the new one."""

    def validate(self, password, user=None):
        policy = security_policy()
        errors = []
        minimum = policy.password_min_length
        if len(password) < minimum:
            errors.append(
                ValidationError(
                    ngettext(
                        "The password must have at least %(n)d character.",
                        "The password must have at least %(n)d characters.",
                        minimum,
                    )
                    % {"n": minimum},
                    code="password_too_short",
                )
            )
        classes = policy.password_classes
        if character_classes(password) < classes:
            errors.append(
                ValidationError(
                    ngettext(
                        "The password must contain at least %(n)d of these: lower-case "
                        "letters, upper-case letters, digits, symbols.",
                        "The password must contain at least %(n)d of these: lower-case "
                        "letters, upper-case letters, digits, symbols.",
                        classes,
                    )
                    % {"n": classes},
                    code="password_too_few_classes",
                )
            )
        username = (getattr(user, "username", "") or "").strip().lower()
        if len(username) >= USERNAME_CHECK_MIN and username in password.lower():
            errors.append(
                ValidationError(
                    _("The password must not contain your login name."),
                    code="password_contains_username",
                )
            )
        if user is not None and user.pk is not None:
            history = policy.password_history
            if password_reused(password=password, user=user, history=history):
                if history > 1:
                    message = ngettext(
                        "You have used this password recently. Choose one that is not among "
                        "your last %(n)d password.",
                        "You have used this password recently. Choose one that is not among "
                        "your last %(n)d passwords.",
                        history,
                    ) % {"n": history}
                else:
                    message = _("The new password must be different from your current password.")
                errors.append(ValidationError(message, code="password_reused"))
        if errors:
            raise ValidationError(errors)

    def get_help_text(self):
        policy = security_policy()
        texts = [
            ngettext(
                "Your password must have at least %(n)d character.",
                "Your password must have at least %(n)d characters.",
                policy.password_min_length,
            )
            % {"n": policy.password_min_length},
            ngettext(
                "It must contain at least %(n)d of these: lower-case letters, upper-case "
                "letters, digits, symbols.",
                "It must contain at least %(n)d of these: lower-case letters, upper-case "
                "letters, digits, symbols.",
                policy.password_classes,
            )
            % {"n": policy.password_classes},
            _("It must not contain your login name."),
        ]
        if policy.password_history > 1:
            texts.append(
                ngettext(
                    "It must not repeat any of your last %(n)d password.",
                    "It must not repeat any of your last %(n)d passwords.",
                    policy.password_history,
                )
                % {"n": policy.password_history}
            )
        return " ".join(texts)
