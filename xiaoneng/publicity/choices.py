from django.db import models
from django.utils.translation import gettext_lazy as _


class BulletinKind(models.TextChoices):
    TYPICAL_CASE = "typical_case", _("Typical case bulletin")


class BulletinStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted for approval")
    APPROVED = "approved", _("Approved")
    PUBLISHED = "published", _("Published")


class Visibility(models.TextChoices):
    INTERNAL = "internal", _("Internal")
    PUBLIC = "public", _("Public (on the portal)")
