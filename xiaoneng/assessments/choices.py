from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class TargetKind(models.TextChoices):
    UNIT = "unit", _("Units")
    PERSON = "person", _("Individuals")


class PeriodKind(models.TextChoices):
    YEAR = "year", _("Year")
    HALF = "half", _("Half-year")
    QUARTER = "quarter", _("Quarter")


class SchemeStatus(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("assessment", "Draft")
    SCORING = "scoring", _("Scoring")
    PUBLICITY = "publicity", _("Public notice (公示)")
    FINAL = "final", _("Final")


class IndicatorKind(models.TextChoices):
    GROUP = "group", _("Group of indicators")
    COMPUTED = "computed", _("Computed from the platform's data")
    EVALUATED = "evaluated", _("Scored by evaluators")
    ADJUSTMENT = "adjustment", _("Bonus and deduction items (加减分)")
    VETO = "veto", _("Veto item (一票否决)")


class Rule(models.TextChoices):
    LINEAR = "linear", _("Linear between two bounds")
    TIERS = "tiers", _("Tiers")
    PER_OCCURRENCE = "per_occurrence", _("Deduction per occurrence, with a cap")


class TierDirection(models.TextChoices):
    AT_LEAST = "at_least", _("Value at least the threshold")
    AT_MOST = "at_most", _("Value at most the threshold")


class NoData(models.TextChoices):
    FULL = "full", _("Full marks")
    ZERO = "zero", _("No points")


class Aggregation(models.TextChoices):
    MEAN = "mean", _("Mean")
    TRIMMED = "trimmed", _("Trimmed mean (highest and lowest dropped)")


class Grade(models.TextChoices):
    EXCELLENT = "excellent", _("Excellent (优秀)")
    GOOD = "good", _("Good (良好)")
    FAIR = "fair", _("Fair (一般)")
    POOR = "poor", _("Poor (较差)")
    COMPETENT = "competent", _("Competent (称职)")
    BASIC = "basic", _("Basically competent (基本称职)")
    INCOMPETENT = "incompetent", _("Incompetent (不称职)")


#: The grades of each kind of target, best first.
GRADES: dict[str, tuple[str, ...]] = {
    TargetKind.UNIT: (Grade.EXCELLENT, Grade.GOOD, Grade.FAIR, Grade.POOR),
    TargetKind.PERSON: (Grade.EXCELLENT, Grade.COMPETENT, Grade.BASIC, Grade.INCOMPETENT),
}


class RequestStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class AppealStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    UPHELD = "upheld", _("Upheld")
    REJECTED = "rejected", _("Rejected")


class AppealRemedy(models.TextChoices):
    RECOMPUTE = "recompute", _("Recompute the indicator from the current data")
    OVERRIDE = "override", _("Set the indicator's points")
    NONE = "none", _("No change to the scores")


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")
