from django.db import models
from django.utils.translation import gettext_lazy as _


class TokenKind(models.TextChoices):
    """Whom a token acts for: the person who created it, or a service account."""

    PERSONAL = "personal", _("Personal token")
    SYSTEM = "system", _("System token")
