from django.db import models
from django.utils.translation import gettext_lazy as _


class BlockKind(models.TextChoices):
    """What a blocklist rule matches in a submission from the portal."""

    IP = "ip", _("IP address or network")
    PHONE = "phone", _("Phone number")
    KEYWORD = "keyword", _("Keyword")


class StatisticsPeriod(models.TextChoices):
    """The periods the public statistics offer."""

    THIS_MONTH = "this_month", _("This month")
    LAST_MONTH = "last_month", _("Last month")
    THIS_QUARTER = "this_quarter", _("This quarter")
    THIS_YEAR = "this_year", _("This year")
    LAST_YEAR = "last_year", _("Last year")
