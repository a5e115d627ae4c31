from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class OverrideKind(models.TextChoices):
    """What a database override makes of a day, whatever the official calendar says."""

    HOLIDAY = "holiday", pgettext_lazy("override kind", "Day off")
    WORKDAY = "workday", pgettext_lazy("override kind", "Working day")


class DayKind(models.TextChoices):
    """The type of one calendar day, for display (the engine keeps the same distinction)."""

    WORKDAY = "workday", _("Working day")
    WEEKEND = "weekend", _("Weekend")
    HOLIDAY = "holiday", _("Public holiday")
    MAKEUP_WORKDAY = "makeup_workday", _("Make-up working day")
    LOCAL_HOLIDAY = "local_holiday", _("Local day off")
    LOCAL_WORKDAY = "local_workday", _("Local working day")

    @property
    def is_working(self) -> bool:
        return self in _WORKING_KINDS


_WORKING_KINDS = frozenset({DayKind.WORKDAY, DayKind.MAKEUP_WORKDAY, DayKind.LOCAL_WORKDAY})


class DeadlineUnit(models.TextChoices):
    """How a time limit is counted."""

    WORKING_DAYS = "working_days", _("Working days")
    NATURAL_DAYS = "natural_days", _("Calendar days")
    HOURS = "hours", _("Hours")


class DeadlineStatus(models.TextChoices):
    """Where a running time limit stands. ``colour`` is the traffic-light name for display
    (green/yellow/red), ``css_class`` the matching Bootstrap contextual class."""

    NORMAL = "normal", _("On time")
    WARNING = "warning", _("Due soon")
    OVERDUE = "overdue", _("Overdue")

    @property
    def colour(self) -> str:
        return _STATUS_COLOURS[self]

    @property
    def css_class(self) -> str:
        return _STATUS_CSS[self]


_STATUS_COLOURS = {
    DeadlineStatus.NORMAL: "green",
    DeadlineStatus.WARNING: "yellow",
    DeadlineStatus.OVERDUE: "red",
}
_STATUS_CSS = {
    DeadlineStatus.NORMAL: "success",
    DeadlineStatus.WARNING: "warning",
    DeadlineStatus.OVERDUE: "danger",
}

#: Translated labels for the holiday names the ``chinesecalendar`` package uses (its English
#: names are codes here, never shown as they are).
HOLIDAY_LABELS = {
    "New Year's Day": _("New Year's Day"),
    "Spring Festival": _("Spring Festival"),
    "Tomb-sweeping Day": _("Qingming Festival"),
    "Labour Day": _("Labour Day"),
    "Dragon Boat Festival": _("Dragon Boat Festival"),
    "National Day": _("National Day"),
    "Mid-autumn Festival": _("Mid-Autumn Festival"),
    "Anti-Fascist 70th Day": _("70th anniversary of the victory of the War of Resistance"),
}
