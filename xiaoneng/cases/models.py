"""The complaint and report centre: cases (件), the units handling them, their deadlines and
their timeline. Ledger records are never deleted (PROTECT everywhere); text shown to people is
rendered from codes at display time, never stored translated."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, validate_email
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from xiaoneng.cases.choices import (
    AccountabilityKind,
    AssignmentRole,
    AssignmentStatus,
    AttachmentKind,
    CaseStatus,
    Channel,
    DispatchMode,
    ExportStatus,
    Finding,
    LinkKind,
    ReminderKind,
    ReplyMethod,
    RequestStatus,
    ReturnRuling,
    Satisfaction,
    Solved,
    Stage,
    SupervisionLevel,
    Urgency,
)
from xiaoneng.cases.protection import normalise_id_number, normalise_phone
from xiaoneng.core.fields import BlindIndexField, EncryptedTextField
from xiaoneng.org.models import Unit
from xiaoneng.workdays.choices import DeadlineUnit

USER = settings.AUTH_USER_MODEL


class Category(models.Model):
    """A node of the configurable complaint-category tree (推诿扯皮, 门难进 …)."""

    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent category"),
    )
    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=64)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    order = models.PositiveIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return self.name


class CaseSettings(models.Model):
    """The office's settings for case handling (one row)."""

    unit_head_approval = models.BooleanField(
        _("unit head signs off replies"),
        default=False,
        help_text=_("When on, a unit's reply goes to its unit head before it reaches the office."),
    )
    warning_share = models.DecimalField(
        _("warning at share of time used"),
        max_digits=3,
        decimal_places=2,
        default=Decimal("0.80"),
        validators=[MinValueValidator(Decimal("0.10")), MaxValueValidator(Decimal("0.99"))],
    )
    reminder_days_before = models.PositiveSmallIntegerField(
        _("reminder this many working days before a deadline"), default=1
    )
    supervision_delay_days = models.PositiveSmallIntegerField(
        _("propose supervised handling this many working days after a deadline"), default=5
    )
    handling_limit_max = models.PositiveSmallIntegerField(
        _("longest handling time with extensions (working days)"), default=60
    )
    duplicate_window_days = models.PositiveSmallIntegerField(
        _("look for repeated complaints this many days back"), default=90
    )
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        verbose_name = _("case settings")
        verbose_name_plural = _("case settings")
        constraints = [models.CheckConstraint(condition=Q(id=1), name="cases_settings_single_row")]

    def __str__(self) -> str:
        return str(_("Case settings"))


class TimeLimit(models.Model):
    """The time limit of one stage, optionally for one category and/or urgency. The most
    specific rule wins; without any rule the built-in defaults apply."""

    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices)
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("category")
    )
    urgency = models.CharField(_("urgency"), max_length=20, choices=Urgency.choices, blank=True)
    amount = models.PositiveSmallIntegerField(
        _("amount"), validators=[MinValueValidator(1), MaxValueValidator(365)]
    )
    unit = models.CharField(
        _("counted in"),
        max_length=20,
        choices=DeadlineUnit.choices,
        default=DeadlineUnit.WORKING_DAYS,
    )

    class Meta:
        ordering = ["stage", "category", "urgency"]
        verbose_name = _("time limit")
        verbose_name_plural = _("time limits")
        constraints = [
            models.UniqueConstraint(
                fields=["stage", "category", "urgency"],
                condition=Q(category__isnull=False),
                name="cases_timelimit_unique",
            ),
            models.UniqueConstraint(
                fields=["stage", "urgency"],
                condition=Q(category__isnull=True),
                name="cases_timelimit_unique_any_category",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_stage_display()} {self.amount} {self.get_unit_display()}"


class CaseSequence(models.Model):
    """The last register number issued in a year; locked while a number is taken."""

    year = models.PositiveSmallIntegerField(_("year"), primary_key=True)
    last = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("register number sequence")
        verbose_name_plural = _("register number sequences")

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class Case(models.Model):
    """One complaint or report (件), from registration (挂号) to close-out (销号)."""

    number = models.CharField(_("register number"), max_length=20, unique=True)
    year = models.PositiveSmallIntegerField(_("year"))
    seq = models.PositiveIntegerField(_("sequence"))
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=CaseStatus.choices, default=CaseStatus.REGISTERED
    )
    # What the complaint is about.
    category = models.ForeignKey(Category, on_delete=models.PROTECT, verbose_name=_("category"))
    urgency = models.CharField(
        _("urgency"), max_length=20, choices=Urgency.choices, default=Urgency.NORMAL
    )
    summary = models.CharField(_("summary"), max_length=200)
    content = models.TextField(_("content"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    occurred_on = models.DateField(_("date of the events"), null=True, blank=True)
    subject_units = models.ManyToManyField(
        Unit, blank=True, related_name="complained_cases", verbose_name=_("units complained about")
    )
    subject_persons = models.CharField(_("persons complained about"), max_length=200, blank=True)
    reply_wanted = models.BooleanField(_("reply wanted"), default=True)
    reply_method = models.CharField(
        _("reply by"), max_length=20, choices=ReplyMethod.choices, blank=True
    )
    # Registration and acceptance.
    registered_by = models.ForeignKey(
        USER,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("registered by"),
    )
    registered_at = models.DateTimeField(_("registered"))
    accepted_at = models.DateTimeField(_("acceptance decided"), null=True, blank=True)
    not_accepted_reason = models.TextField(_("reason for not accepting"), blank=True)
    referral = models.CharField(_("referred to"), max_length=200, blank=True)
    # Dispatch.
    dispatch_mode = models.CharField(
        _("dispatch mode"), max_length=20, choices=DispatchMode.choices, blank=True
    )
    dispatched_at = models.DateTimeField(_("dispatched"), null=True, blank=True)
    # Major issue regime (挂号、销号).
    is_major = models.BooleanField(_("major issue"), default=False)
    major_leader = models.ForeignKey(
        USER,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="major_cases",
        verbose_name=_("responsible leader"),
    )
    # Outcome (consolidated by the lead unit, reviewed by the office).
    finding = models.CharField(_("finding"), max_length=20, choices=Finding.choices, blank=True)
    measures = models.TextField(_("measures taken"), blank=True)
    reply_text = models.TextField(_("reply to the complainant"), blank=True)
    concluded_at = models.DateTimeField(_("concluded"), null=True, blank=True)
    reviewed_at = models.DateTimeField(_("review passed"), null=True, blank=True)
    # Callback (回访): asked separately whether solved and whether satisfied.
    satisfaction = models.CharField(
        _("satisfaction"), max_length=20, choices=Satisfaction.choices, blank=True
    )
    solved = models.CharField(_("solved"), max_length=20, choices=Solved.choices, blank=True)
    callback_at = models.DateTimeField(_("called back"), null=True, blank=True)
    # Close-out (销号).
    closed_at = models.DateTimeField(_("closed out"), null=True, blank=True)
    close_explanation = models.TextField(_("close-out explanation"), blank=True)
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_cases",
        verbose_name=_("merged into"),
    )
    # Clock suspension (中止) of the whole case.
    suspended_at = models.DateTimeField(_("suspended since"), null=True, blank=True)
    suspend_reason = models.CharField(_("reason for suspension"), max_length=200, blank=True)
    # Counters that the ledger and the assessment read.
    return_count = models.PositiveSmallIntegerField(_("times returned by units"), default=0)
    redo_count = models.PositiveSmallIntegerField(_("times redone"), default=0)
    is_supervised = models.BooleanField(_("under supervised handling"), default=False)
    duplicate_flag = models.BooleanField(_("may repeat an open case"), default=False)
    version = models.PositiveIntegerField(_("version"), default=1)
    search_text = models.TextField(_("search text"), blank=True, default="")

    class Meta:
        ordering = ["-registered_at", "-id"]
        verbose_name = pgettext_lazy("complaint", "case")
        verbose_name_plural = pgettext_lazy("complaint", "cases")
        constraints = [
            models.UniqueConstraint(fields=["year", "seq"], name="cases_case_year_seq_unique"),
        ]
        indexes = [
            models.Index(fields=["status", "registered_at"], name="cases_case_status_idx"),
            models.Index(fields=["registered_at"], name="cases_case_registered_idx"),
            models.Index(fields=["category", "registered_at"], name="cases_case_category_idx"),
        ]

    def __str__(self) -> str:
        return self.number


class Complainant(models.Model):
    """Who complained. Protected: the identity is encrypted at rest with a key kept outside
    the database (``xiaoneng.core.crypto``), shown in full only to office roles, each view
    audited. Python code reads and writes the fields as plain text; repeated complaints by
    the same person are found through the blind indexes of the phone and ID numbers
    (``protection.same_complainant_q``), computed when the row is saved."""

    case = models.OneToOneField(
        Case, on_delete=models.PROTECT, related_name="complainant", verbose_name=_("case")
    )
    anonymous = models.BooleanField(_("anonymous"), default=False)
    name = EncryptedTextField(pgettext_lazy("person", "name"), max_length=64, blank=True)
    phone = EncryptedTextField(_("phone"), max_length=32, blank=True)
    id_number = EncryptedTextField(_("ID number"), max_length=32, blank=True)
    address = EncryptedTextField(_("address"), max_length=200, blank=True)
    email = EncryptedTextField(_("e-mail"), max_length=254, blank=True, validators=[validate_email])
    phone_index = BlindIndexField(
        _("phone blind index"), source="phone", kind="phone", normaliser=normalise_phone
    )
    id_number_index = BlindIndexField(
        _("ID number blind index"),
        source="id_number",
        kind="id_number",
        normaliser=normalise_id_number,
    )

    class Meta:
        verbose_name = _("complainant")
        verbose_name_plural = _("complainants")

    def __str__(self) -> str:
        return str(_("Complainant of %(case)s") % {"case": self.case_id})


class Assignment(models.Model):
    """One unit's part in handling a case: the sole unit of a transfer, or the lead or a
    co-unit of a joint handling, each with its own part, reply and deadline."""

    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, related_name="assignments", verbose_name=_("case")
    )
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="case_assignments", verbose_name=_("unit")
    )
    role = models.CharField(_("role"), max_length=10, choices=AssignmentRole.choices)
    part = models.TextField(_("part to handle"), blank=True)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=AssignmentStatus.choices,
        default=AssignmentStatus.PENDING_SIGN,
    )
    handler = models.ForeignKey(
        USER,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="case_assignments",
        verbose_name=_("handler"),
    )
    dispatched_at = models.DateTimeField(_("dispatched"))
    signed_at = models.DateTimeField(_("signed for"), null=True, blank=True)
    finding = models.CharField(_("finding"), max_length=20, choices=Finding.choices, blank=True)
    measures = models.TextField(_("measures taken"), blank=True)
    reply_text = models.TextField(_("reply"), blank=True)
    replied_at = models.DateTimeField(_("replied"), null=True, blank=True)
    return_reason = models.TextField(_("reason for returning"), blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        ordering = ["case", "id"]
        verbose_name = _("handling assignment")
        verbose_name_plural = _("handling assignments")
        indexes = [models.Index(fields=["unit", "status"], name="cases_assign_unit_status_idx")]

    def __str__(self) -> str:
        return f"{self.case_id} · {self.unit}"


class Deadline(models.Model):
    """A running (or finished) time limit of one stage of a case or of one assignment."""

    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, related_name="deadlines", verbose_name=_("case")
    )
    assignment = models.ForeignKey(
        Assignment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="deadlines",
        verbose_name=_("assignment"),
    )
    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices)
    started_at = models.DateTimeField(_("started"))
    due_at = models.DateTimeField(_("due"))
    amount = models.PositiveSmallIntegerField(_("amount"))
    unit = models.CharField(_("counted in"), max_length=20, choices=DeadlineUnit.choices)
    extended_by = models.PositiveSmallIntegerField(_("extended by"), default=0)
    estimated = models.BooleanField(_("estimated"), default=False)
    suspended_at = models.DateTimeField(_("suspended since"), null=True, blank=True)
    remaining = models.IntegerField(_("remaining when suspended"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)

    class Meta:
        ordering = ["due_at"]
        verbose_name = _("deadline")
        verbose_name_plural = _("deadlines")
        indexes = [
            models.Index(fields=["completed_at", "due_at"], name="cases_deadline_open_idx"),
            # The running clocks only (a small share of all): "overdue now" and the queues.
            models.Index(
                fields=["due_at", "case"],
                condition=Q(completed_at__isnull=True, suspended_at__isnull=True),
                name="cases_deadline_running_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.stage} {self.due_at:%Y-%m-%d}"

    @property
    def is_open(self) -> bool:
        return self.completed_at is None


class Reminder(models.Model):
    """One step of the escalation chain, sent once per deadline (the unique constraint makes
    the periodic task idempotent)."""

    deadline = models.ForeignKey(
        Deadline, on_delete=models.PROTECT, related_name="reminders", verbose_name=_("deadline")
    )
    kind = models.CharField(_("kind"), max_length=30, choices=ReminderKind.choices)
    sent_at = models.DateTimeField(_("sent"))

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        constraints = [
            models.UniqueConstraint(fields=["deadline", "kind"], name="cases_reminder_once")
        ]

    def __str__(self) -> str:
        return f"{self.deadline_id} {self.kind}"


class ExtensionRequest(models.Model):
    """A unit's request for more handling time (延期申请), decided by the office director."""

    deadline = models.ForeignKey(
        Deadline,
        on_delete=models.PROTECT,
        related_name="extension_requests",
        verbose_name=_("deadline"),
    )
    amount = models.PositiveSmallIntegerField(
        _("extra working days"), validators=[MinValueValidator(1)]
    )
    reason = models.TextField(_("reason"))
    requested_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("requested by")
    )
    requested_at = models.DateTimeField(_("requested"))
    status = models.CharField(
        _("status"), max_length=20, choices=RequestStatus.choices, default=RequestStatus.PENDING
    )
    decided_by = models.ForeignKey(
        USER,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)

    class Meta:
        ordering = ["-requested_at"]
        verbose_name = _("extension request")
        verbose_name_plural = _("extension requests")

    def __str__(self) -> str:
        return f"{self.deadline_id} +{self.amount}"


class CaseReturn(models.Model):
    """A unit's return of a case that is not its business (退单), and the office's ruling."""

    assignment = models.ForeignKey(
        Assignment, on_delete=models.PROTECT, related_name="returns", verbose_name=_("assignment")
    )
    reason = models.TextField(_("reason"))
    requested_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("returned by")
    )
    requested_at = models.DateTimeField(_("returned"))
    ruling = models.CharField(_("ruling"), max_length=20, choices=ReturnRuling.choices, blank=True)
    ruled_by = models.ForeignKey(
        USER,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("ruled by"),
    )
    ruled_at = models.DateTimeField(_("ruled"), null=True, blank=True)
    ruling_note = models.TextField(_("ruling note"), blank=True)

    class Meta:
        ordering = ["-requested_at"]
        verbose_name = _("case return")
        verbose_name_plural = _("case returns")

    def __str__(self) -> str:
        return f"{self.assignment_id} {self.ruling or '?'}"


class SupervisionNotice(models.Model):
    """A supervision notice (督办通知) with its level and deadline."""

    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, related_name="supervision_notices", verbose_name=_("case")
    )
    level = models.CharField(_("level"), max_length=20, choices=SupervisionLevel.choices)
    text = models.TextField(_("requirements"))
    due_at = models.DateTimeField(_("due"))
    issued_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("issued by")
    )
    issued_at = models.DateTimeField(_("issued"))

    class Meta:
        ordering = ["-issued_at"]
        verbose_name = _("supervision notice")
        verbose_name_plural = _("supervision notices")

    def __str__(self) -> str:
        return f"{self.case_id} {self.level}"


class Callback(models.Model):
    """One callback to the complainant (回访); a redone case has several."""

    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, related_name="callbacks", verbose_name=_("case")
    )
    satisfaction = models.CharField(_("satisfaction"), max_length=20, choices=Satisfaction.choices)
    solved = models.CharField(_("solved"), max_length=20, choices=Solved.choices, blank=True)
    note = models.TextField(_("note"), blank=True)
    called_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("called back by")
    )
    called_at = models.DateTimeField(_("called back"))

    class Meta:
        ordering = ["called_at"]
        verbose_name = _("callback")
        verbose_name_plural = _("callbacks")

    def __str__(self) -> str:
        return f"{self.case_id} {self.satisfaction}"


class Accountability(models.Model):
    """An accountability decision (问责) for a substantiated case, against a person or a unit."""

    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, related_name="accountabilities", verbose_name=_("case")
    )
    kind = models.CharField(_("measure"), max_length=30, choices=AccountabilityKind.choices)
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="accountabilities", verbose_name=_("unit")
    )
    person = models.ForeignKey(
        USER,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="accountabilities",
        verbose_name=_("person (account)"),
    )
    person_name = models.CharField(_("person"), max_length=64, blank=True)
    decided_on = models.DateField(_("decision date"))
    document_number = models.CharField(_("document number"), max_length=64, blank=True)
    note = models.TextField(_("note"), blank=True)
    recorded_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )
    recorded_at = models.DateTimeField(_("recorded"))

    class Meta:
        ordering = ["decided_on", "id"]
        verbose_name = _("accountability decision")
        verbose_name_plural = _("accountability decisions")

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind}"


class Instruction(models.Model):
    """A leader's written instruction (批示) on a case."""

    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, related_name="instructions", verbose_name=_("case")
    )
    leader = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("leader")
    )
    text = models.TextField(_("instruction"))
    created_at = models.DateTimeField(_("written"))

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("leader's instruction")
        verbose_name_plural = _("leaders' instructions")

    def __str__(self) -> str:
        return f"{self.case_id} {self.leader_id}"


class Milestone(models.Model):
    """A milestone of a major issue, with its date and the evidence that it was reached."""

    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, related_name="milestones", verbose_name=_("case")
    )
    title = models.CharField(_("milestone"), max_length=200)
    due_on = models.DateField(_("due on"))
    done_at = models.DateTimeField(_("reached"), null=True, blank=True)
    evidence = models.TextField(_("evidence"), blank=True)

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")

    def __str__(self) -> str:
        return self.title


def attachment_path(instance: Attachment, filename: str) -> str:
    # Generated names only: the uploaded name is kept in the database, never on disk.
    return f"cases/{instance.uploaded_at:%Y/%m}/{uuid.uuid4().hex}"


class Attachment(models.Model):
    """A file attached to a case, stored under a generated name outside the web root and
    served only through a permission-checking view. Units see only files released to them."""

    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, related_name="attachments", verbose_name=_("case")
    )
    assignment = models.ForeignKey(
        Assignment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="attachments",
        verbose_name=_("assignment"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=AttachmentKind.choices)
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    releasable = models.BooleanField(_("released to the handling unit"), default=False)
    uploaded_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("uploaded by")
    )
    uploaded_at = models.DateTimeField(_("uploaded"))

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.original_name


class CaseLink(models.Model):
    """A link between two cases: a repeated complaint, a related one, or a merge (并案)."""

    from_case = models.ForeignKey(
        Case, on_delete=models.PROTECT, related_name="links_out", verbose_name=_("case")
    )
    to_case = models.ForeignKey(
        Case, on_delete=models.PROTECT, related_name="links_in", verbose_name=_("linked case")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=LinkKind.choices)
    created_by = models.ForeignKey(
        USER,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("linked by"),
    )
    created_at = models.DateTimeField(_("linked"))

    class Meta:
        verbose_name = _("case link")
        verbose_name_plural = _("case links")
        constraints = [
            models.UniqueConstraint(
                fields=["from_case", "to_case", "kind"], name="cases_link_unique"
            ),
            models.CheckConstraint(
                condition=~Q(from_case=models.F("to_case")), name="cases_link_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.from_case_id} {self.kind} {self.to_case_id}"


class CaseEvent(models.Model):
    """One entry of a case's timeline: what happened (a stable code), who did it, when, and
    the values needed to render it in the reader's language. ``public`` entries are shown to
    the complainant on the portal."""

    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, related_name="events", verbose_name=_("case")
    )
    assignment = models.ForeignKey(
        Assignment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="events",
        verbose_name=_("assignment"),
    )
    code = models.CharField(_("event"), max_length=50)
    actor = models.ForeignKey(
        USER,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    actor_name = models.CharField(_("actor's name"), max_length=64, blank=True)
    actor_unit = models.ForeignKey(
        Unit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor's unit"),
    )
    created_at = models.DateTimeField(_("time"))
    data = models.JSONField(_("data"), default=dict, blank=True)
    public = models.BooleanField(_("shown to the complainant"), default=False)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        indexes = [models.Index(fields=["case", "created_at"], name="cases_event_case_idx")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.code}"


class SavedView(models.Model):
    """A ledger filter a person saved under a name, to open again or share by its link."""

    user = models.ForeignKey(
        USER, on_delete=models.CASCADE, related_name="saved_views", verbose_name=_("user")
    )
    name = models.CharField(_("name"), max_length=60)
    query = models.CharField(_("filter"), max_length=1000)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("saved ledger view")
        verbose_name_plural = _("saved ledger views")
        constraints = [
            models.UniqueConstraint(fields=["user", "name"], name="cases_savedview_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


# --- pre-aggregated statistics (kept current by xiaoneng.cases.figures) ---------------------


class FigureCounts(models.Model):
    """The counted figures of the statistics (see xiaoneng.cases.statistics), all but
    "overdue now", which depends on the moment it is read and is counted live. Signed: the
    sums are updated by adding a case's new figures and subtracting its old ones."""

    received = models.IntegerField(default=0)
    accepted = models.IntegerField(default=0)
    dispatched = models.IntegerField(default=0)
    concluded = models.IntegerField(default=0)
    on_time = models.IntegerField(default=0)
    with_finding = models.IntegerField(default=0)
    substantiated = models.IntegerField(default=0)
    answered = models.IntegerField(default=0)
    satisfied = models.IntegerField(default=0)
    solved = models.IntegerField(default=0)
    supervised = models.IntegerField(default=0)
    returned = models.IntegerField(default=0)
    redone = models.IntegerField(default=0)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"


class CaseFigures(FigureCounts):
    """One case's contribution to the statistics as last written: its registration day, lead
    (or sole) handling unit (0 for none), category, and a 0/1 per figure. Derived data,
    rewritten in the transaction of every change to the case."""

    case = models.OneToOneField(
        Case,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="figures",
        verbose_name=_("case"),
    )
    day = models.DateField(_("registration day"))
    unit_id = models.IntegerField(_("lead unit"))
    category_id = models.IntegerField(_("category"))
    #: The earliest due time of the running clocks while the case is open (else empty): the
    #: case is "overdue now" once it has passed.
    running_due = models.DateTimeField(_("next due"), null=True, blank=True)

    class Meta:
        verbose_name = _("case's statistical figures")
        verbose_name_plural = _("cases' statistical figures")
        indexes = [
            models.Index(
                fields=["running_due", "day", "unit_id", "category_id"],
                condition=Q(running_due__isnull=False),
                name="cases_figures_running_idx",
            )
        ]


class FiguresDay(FigureCounts):
    """The figures of the cases registered on one day, per lead unit and category."""

    day = models.DateField(_("day"))
    unit_id = models.IntegerField(_("lead unit"))
    category_id = models.IntegerField(_("category"))

    class Meta:
        verbose_name = _("daily figures")
        verbose_name_plural = _("daily figures")
        constraints = [
            models.UniqueConstraint(
                fields=["day", "unit_id", "category_id"], name="cases_figuresday_key"
            )
        ]


class FiguresMonth(FigureCounts):
    """The figures of the cases registered in one month (``month`` is its first day), per
    lead unit and category."""

    month = models.DateField(_("month"))
    unit_id = models.IntegerField(_("lead unit"))
    category_id = models.IntegerField(_("category"))

    class Meta:
        verbose_name = _("monthly figures")
        verbose_name_plural = _("monthly figures")
        constraints = [
            models.UniqueConstraint(
                fields=["month", "unit_id", "category_id"], name="cases_figuresmonth_key"
            )
        ]


def export_path(instance: LedgerExport, filename: str) -> str:
    return f"exports/{instance.requested_at:%Y/%m}/{uuid.uuid4().hex}.xlsx"


class LedgerExport(models.Model):
    """A ledger export too large to write while the reader waits: the background worker
    writes it to a file under a generated name, which only the person who asked for it can
    download, until it expires."""

    requested_by = models.ForeignKey(
        USER, on_delete=models.CASCADE, related_name="+", verbose_name=_("requested by")
    )
    requested_at = models.DateTimeField(_("requested"))
    query = models.TextField(_("filter"), blank=True)
    filters = models.JSONField(_("filters as audited"), default=dict)
    description = models.TextField(_("filters in words"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=ExportStatus.choices, default=ExportStatus.QUEUED
    )
    total = models.PositiveIntegerField(_("rows expected"), default=0)
    rows = models.PositiveIntegerField(_("rows written"), default=0)
    file = models.FileField(_("file"), upload_to=export_path, max_length=200, blank=True)
    size = models.PositiveBigIntegerField(_("size (bytes)"), default=0)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("ledger export")
        verbose_name_plural = _("ledger exports")
        indexes = [models.Index(fields=["requested_by", "-requested_at"])]

    def __str__(self) -> str:
        return f"{self.requested_by_id} {self.requested_at:%Y-%m-%d %H:%M} {self.status}"

    @property
    def active(self) -> bool:
        return self.status in (ExportStatus.QUEUED, ExportStatus.RUNNING)

    @property
    def percent(self) -> int:
        if self.status == ExportStatus.DONE:
            return 100
        return min(99, int(100 * self.rows / self.total)) if self.total else 0
