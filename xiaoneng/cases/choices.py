from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Channel(models.TextChoices):
    PHONE = "phone", _("Phone")
    LETTER = "letter", _("Letter")
    VISIT = "visit", _("Visit")
    WEB = "web", _("Web portal")
    API = "api", pgettext_lazy("channel", "API")
    FINDING = "finding", _("Supervisor's finding")
    REFERRAL = "referral", _("Leader's referral")
    MEDIA = "media", _("Media")


class Urgency(models.TextChoices):
    NORMAL = "normal", _("Normal")
    URGENT = "urgent", _("Urgent")
    VERY_URGENT = "very_urgent", _("Very urgent")


class CaseStatus(models.TextChoices):
    REGISTERED = "registered", _("Registered")
    NOT_ACCEPTED = "not_accepted", _("Not accepted")
    ACCEPTED = "accepted", _("Accepted")
    DISPATCHED = "dispatched", _("Dispatched")
    IN_PROGRESS = "in_progress", _("In progress")
    REPLIED = "replied", _("Reply submitted")
    CALLBACK = "callback", _("Awaiting callback")
    CLOSE_PENDING = "close_pending", _("Awaiting close-out sign-off")
    CLOSED = "closed", _("Closed out")
    MERGED = "merged", _("Merged")


#: States in which a case is still being worked on.
OPEN_STATUSES = frozenset(
    {
        CaseStatus.REGISTERED,
        CaseStatus.ACCEPTED,
        CaseStatus.DISPATCHED,
        CaseStatus.IN_PROGRESS,
        CaseStatus.REPLIED,
        CaseStatus.CALLBACK,
        CaseStatus.CLOSE_PENDING,
    }
)


class DispatchMode(models.TextChoices):
    INVESTIGATE = "investigate", _("Investigate itself (查办)")
    TRANSFER = "transfer", _("Transfer to a unit (转办)")
    JOINT = "joint", _("Joint handling (联办)")
    SUPERVISED = "supervised", _("Supervised handling (督办)")


class AssignmentRole(models.TextChoices):
    SOLE = "sole", _("Handling unit")
    LEAD = "lead", _("Lead unit")
    CO = "co", _("Co-handling unit")


class AssignmentStatus(models.TextChoices):
    PENDING_SIGN = "pending_sign", _("To sign for")
    IN_PROGRESS = "in_progress", _("In progress")
    AWAITING_HEAD = "awaiting_head", _("Awaiting the unit head's approval")
    REPLIED = "replied", _("Replied")
    RETURN_REQUESTED = "return_requested", _("Returned, awaiting the office's ruling")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    CONCLUDED = "concluded", _("Concluded")


#: Assignment states in which the unit still owes work.
ASSIGNMENT_OPEN = frozenset(
    {
        AssignmentStatus.PENDING_SIGN,
        AssignmentStatus.IN_PROGRESS,
        AssignmentStatus.AWAITING_HEAD,
        AssignmentStatus.RETURN_REQUESTED,
    }
)


class Finding(models.TextChoices):
    SUBSTANTIATED = "substantiated", _("Substantiated")
    PARTLY = "partly", _("Partly substantiated")
    UNSUBSTANTIATED = "unsubstantiated", _("Not substantiated")


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")
    BASICALLY = "basically", _("Basically satisfied")
    DISSATISFIED = "dissatisfied", _("Dissatisfied")
    UNREACHABLE = "unreachable", _("Could not be reached")


class RatingLevel(models.TextChoices):
    """The national five-level rating scale (好差评, GB/T 39734) a complainant rates a reply on
    the portal with; ``RATING_SATISFACTION`` maps it onto the callback's three answers."""

    VERY_SATISFIED = "very_satisfied", _("Very satisfied")
    SATISFIED = "satisfied", _("Satisfied")
    BASICALLY = "basically", _("Basically satisfied")
    DISSATISFIED = "dissatisfied", _("Dissatisfied")
    VERY_DISSATISFIED = "very_dissatisfied", _("Very dissatisfied")


RATING_SATISFACTION = {
    RatingLevel.VERY_SATISFIED: Satisfaction.SATISFIED,
    RatingLevel.SATISFIED: Satisfaction.SATISFIED,
    RatingLevel.BASICALLY: Satisfaction.BASICALLY,
    RatingLevel.DISSATISFIED: Satisfaction.DISSATISFIED,
    RatingLevel.VERY_DISSATISFIED: Satisfaction.DISSATISFIED,
}


class Solved(models.TextChoices):
    SOLVED = "solved", _("Solved")
    PARTLY = "partly", _("Partly solved")
    UNSOLVED = "unsolved", _("Not solved")


class ReplyMethod(models.TextChoices):
    PHONE = "phone", _("Phone")
    SMS = "sms", _("Text message")
    LETTER = "letter", _("Letter")
    EMAIL = "email", _("E-mail")
    PORTAL = "portal", _("On the portal")


class Stage(models.TextChoices):
    ACCEPTANCE = "acceptance", _("Acceptance decision")
    SIGNING = "signing", _("Signing for")
    HANDLING = "handling", _("Handling")
    REVIEW = "review", _("Office review")
    CALLBACK = "callback", _("Callback")
    SUPERVISION = "supervision", _("Supervision notice")


class SupervisionLevel(models.TextChoices):
    GENERAL = "general", _("General (一般)")
    KEY = "key", _("Key (重点)")
    LISTED = "listed", _("Listed (挂牌)")


class AccountabilityKind(models.TextChoices):
    CRITICISM = "criticism", _("Criticism and education (批评教育)")
    WRITTEN_REVIEW = "written_review", _("Written self-criticism (书面检查)")
    ADMONITION = "admonition", _("Admonishing talk (诫勉谈话)")
    CIRCULATED = "circulated", _("Circulated criticism (通报批评)")
    EFFICIENCY_WARNING = "efficiency_warning", _("Efficiency warning (效能告诫)")
    REASSIGNMENT = "reassignment", _("Removal from post (调离岗位)")
    DISCIPLINE_REFERRAL = "discipline_referral", _("Referral to the discipline commission")


class RequestStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    REFUSED = "refused", _("Refused")


class ReturnRuling(models.TextChoices):
    REDISPATCH = "redispatch", _("Re-dispatched to another unit")
    INSIST = "insist", _("The unit keeps the case")


class ReminderKind(models.TextChoices):
    BEFORE_DUE = "before_due", _("Reminder before the deadline")
    OVERDUE_NOTICE = "overdue_notice", _("Reminder notice (催办)")
    SUPERVISION_PROPOSED = "supervision_proposed", _("Supervised handling proposed")


class LinkKind(models.TextChoices):
    DUPLICATE = "duplicate", _("Repeats")
    RELATED = "related", _("Related")
    MERGED = "merged", _("Merged into")


class AttachmentKind(models.TextChoices):
    ORIGINAL = "original", _("Original material")
    REDACTED = "redacted", _("Redacted copy")
    EVIDENCE = "evidence", _("Evidence")
    REPLY = "reply", _("Reply material")


class ExportStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting")
    RUNNING = "running", _("Being written")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Failed")
