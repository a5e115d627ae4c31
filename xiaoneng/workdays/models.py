from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from xiaoneng.workdays.choices import OverrideKind

#: The calendar engine covers these years; the package itself knows 2004–2026.
FIRST_YEAR = 2000
LAST_YEAR = 2100


class CalendarOverride(models.Model):
    """One day whose type the office sets itself, over the official calendar: a local day
    off (a district holiday, a typhoon closure) or an extra working day. It is also how the
    office enters a year's official schedule before the ``chinesecalendar`` package knows it
    (then it marks the year as entered, see ``CalendarYear``)."""

    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("type"), max_length=16, choices=OverrideKind.choices)
    name = models.CharField(_("name"), max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("entered by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("calendar override")
        verbose_name_plural = _("calendar overrides")

    def __str__(self) -> str:
        return f"{self.date.isoformat()} {self.get_kind_display()} {self.name}"


class CalendarYear(models.Model):
    """The office's statement that a year's official holiday schedule has been entered (as
    overrides), so that deadlines may run into a year the package does not know."""

    year = models.PositiveSmallIntegerField(
        _("year"),
        unique=True,
        validators=[MinValueValidator(FIRST_YEAR), MaxValueValidator(LAST_YEAR)],
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("entered by"),
    )
    entered_at = models.DateTimeField(_("entered"), auto_now_add=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["year"]
        verbose_name = _("entered calendar year")
        verbose_name_plural = _("entered calendar years")

    def __str__(self) -> str:
        return str(self.year)
