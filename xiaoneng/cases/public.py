"""The public channel of the complaint centre: what the portal may do to a case, and what it
may show of one.

The portal (``xiaoneng.portal``) owns the complainant's access (query code and password) and
calls these functions once it has checked it. Nothing here checks a staff role: the
complainant acts on their own case. What they add is recorded under the portal's account
(``public_account``), an account without roles that cannot sign in, so that attachments and
callbacks keep pointing at a real account and the audit log names the channel; the
registration itself has no staff actor (``registered_by`` stays empty), as for every case
filed from outside.

The public projection (``case_public_view``) shows the state, the public timeline entries,
the running clocks the complainant waits on, and the reply once the office has approved it;
never internal notes, other people's data or (unless the office shows them) staff names.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from PIL import Image, UnidentifiedImageError

from xiaoneng.cases import attachments as files_module
from xiaoneng.cases.choices import (
    OPEN_STATUSES,
    RATING_SATISFACTION,
    AssignmentRole,
    AssignmentStatus,
    AttachmentKind,
    CaseStatus,
    Channel,
    Finding,
    RatingLevel,
    Satisfaction,
    Solved,
    Stage,
    Urgency,
)
from xiaoneng.cases.deadlines import case_settings, deadline_colour, time_limit_for
from xiaoneng.cases.models import Attachment, Callback, Case, CaseEvent, Category, TimeLimit
from xiaoneng.cases.protection import Identity, scrub_identity
from xiaoneng.cases.services import (
    ComplainantData,
    InvalidTransition,
    _audit,
    _event,
    _lock_case,
    _notify,
    _now,
    _office,
    _record_callback,
    case_register,
)
from xiaoneng.org.choices import Role
from xiaoneng.org.models import Unit, User
from xiaoneng.workdays.calendar import due_day
from xiaoneng.workdays.choices import DeadlineStatus, DeadlineUnit

#: The login name and name of the account the portal's actions are recorded under.
PUBLIC_USERNAME = "portal.public"
PUBLIC_ACCOUNT_NAME = "投诉人（门户网站）"

#: What the public may attach: photos, PDF documents and sound recordings (by content).
PUBLIC_FILE_TYPES = (
    files_module.JPEG,
    files_module.PNG,
    files_module.GIF,
    files_module.WEBP,
    files_module.PDF,
    files_module.MP3,
    files_module.M4A,
    files_module.AMR,
    files_module.AMR_WB,
    files_module.WAV,
    files_module.OGG,
)
_IMAGE_TYPES = (files_module.JPEG, files_module.PNG, files_module.GIF, files_module.WEBP)
#: A photo larger than this (in pixels) is refused: decoding it would cost too much memory.
MAX_IMAGE_PIXELS = 50_000_000
#: At most this many characters in one addition of information.
SUPPLEMENT_MAX_CHARS = 3000


def public_account() -> User:
    """The portal's account, created on first use: inactive, without a usable password and
    without roles. An account of that login name that is anything else is refused rather
    than used, so a staff account can never act for the public."""
    user = User.objects.filter(username=PUBLIC_USERNAME).first()
    if user is None:
        candidate = User(username=PUBLIC_USERNAME, name=PUBLIC_ACCOUNT_NAME, is_active=False)
        candidate.set_unusable_password()
        try:
            with transaction.atomic():
                candidate.save()
            user = candidate
        except IntegrityError:  # created by a concurrent request
            user = User.objects.get(username=PUBLIC_USERNAME)
    if user.is_active or user.has_usable_password() or user.roles:
        raise ImproperlyConfigured(
            f"The account {PUBLIC_USERNAME!r} is reserved for the public portal: it must be "
            "inactive, without a password and without roles."
        )
    return user


# --- files -----------------------------------------------------------------------------------


def _attachment_error(message) -> ValidationError:
    return ValidationError({"attachments": ValidationError(message, code="attachment")})


def _check_image(name: str, data: bytes) -> None:
    """The photo must decode as what its bytes claim, within a sane size."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            if width * height > MAX_IMAGE_PIXELS:
                raise _attachment_error(
                    _("“%(name)s” has too many pixels; send a smaller photo.") % {"name": name}
                )
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise _attachment_error(
            _("“%(name)s” could not be read as an image.") % {"name": name}
        ) from None


def _store_public(case: Case, upload, actor: User, now: datetime) -> Attachment:
    """One file from the public: checked by content (the attachment checks of the office,
    narrowed to photos, PDF and audio), photos stripped of their metadata (the GPS position
    among it), stored as original material that units see only once the office releases
    it."""
    try:
        name, file_type, data = files_module._inspect(upload)
    except ValidationError as exc:
        raise _attachment_error(exc.messages[0]) from exc
    if file_type not in PUBLIC_FILE_TYPES:
        raise _attachment_error(
            _(
                "“%(name)s” cannot be attached: send photos (JPEG, PNG, GIF, WebP), PDF "
                "documents or sound recordings (MP3, M4A, AMR, WAV, OGG)."
            )
            % {"name": name}
        )
    if file_type in _IMAGE_TYPES:
        _check_image(name, data)
    return files_module._store(
        actor=actor,
        case=case,
        name=name,
        file_type=file_type,
        data=data,
        kind=AttachmentKind.ORIGINAL,
        assignment=None,
        releasable=False,
        now=now,
    )


def files_discard(stored: Sequence[Attachment]) -> None:
    """Remove the stored files of attachments whose rows were rolled back."""
    for attachment in stored:
        attachment.file.storage.delete(attachment.file.name)


# --- filing, adding information, rating --------------------------------------------------------


def case_register_public(
    *,
    category: Category,
    summary: str,
    content: str,
    complainant: ComplainantData,
    subject_units: Sequence[Unit] = (),
    subject_persons: str = "",
    place: str = "",
    occurred_on: date | None = None,
    reply_wanted: bool = True,
    reply_method: str = "",
    files: Sequence = (),
    now: datetime | None = None,
) -> tuple[Case, list[Attachment]]:
    """Register a complaint filed on the portal (channel "web") with its files, and tell the
    intake clerks. Returns the case and its stored attachments; the caller that wraps this
    in a larger transaction discards the files (``files_discard``) if that one fails. A
    refused file leaves no case and no file."""
    now = _now(now)
    stored: list[Attachment] = []
    try:
        with transaction.atomic():
            case = case_register(
                actor=None,
                channel=Channel.WEB,
                category=category,
                summary=summary,
                content=content,
                complainant=complainant,
                urgency=Urgency.NORMAL,
                subject_units=subject_units,
                subject_persons=subject_persons,
                place=place,
                occurred_on=occurred_on,
                reply_wanted=reply_wanted,
                reply_method=reply_method,
                now=now,
            )
            if files:
                account = public_account()
                for upload in files:
                    stored.append(_store_public(case, upload, account, now))
            _notify(_office(Role.INTAKE_CLERK), "case.web_registered", case)
    except BaseException:
        files_discard(stored)
        raise
    return case, stored


def case_supplement_public(
    *, case: Case, text: str, files: Sequence = (), now: datetime | None = None
) -> CaseEvent:
    """The complainant adds information (补充材料) to their open case: the text goes on the
    timeline, the files become original material, and the office is told."""
    now = _now(now)
    stored: list[Attachment] = []
    try:
        with transaction.atomic():
            case = _lock_case(case, None)
            if case.status not in OPEN_STATUSES:
                raise InvalidTransition(
                    _("This case is no longer open; information can no longer be added."),
                    code="case_closed",
                )
            text = (text or "").strip()
            if not text and not files:
                raise ValidationError({"text": _("Write what you want to add, or attach a file.")})
            if len(text) > SUPPLEMENT_MAX_CHARS:
                raise ValidationError(
                    {"text": _("Write at most %(max)s characters.") % {"max": SUPPLEMENT_MAX_CHARS}}
                )
            account = public_account()
            # Units read the timeline: the complainant's identity is masked in the text.
            text = scrub_identity(text, Identity.of(case.complainant))
            event = _event(
                case,
                "case.supplemented",
                account,
                at=now,
                data={"text": text, "files": len(files)},
                public=True,
            )
            for upload in files:
                stored.append(_store_public(case, upload, account, now))
            _notify(_office(Role.INTAKE_CLERK, Role.SUPERVISOR), "case.supplemented", case)
            _audit("supplement", account, case, {"files": len(stored)})
    except BaseException:
        files_discard(stored)
        raise
    return event


def case_rating_round(case: Case) -> int:
    """Which reply of the case a rating is about: each redo brings a new reply to rate."""
    return case.redo_count


@transaction.atomic
def case_rate_public(
    *, case: Case, rating: str, solved: str, comment: str = "", now: datetime | None = None
) -> Callback:
    """The complainant rates the approved reply on the national five-level scale. The rating
    is recorded as the callback's result (非常满意/满意 → satisfied, 基本满意 → basically
    satisfied, 不满意/非常不满意 → dissatisfied) with whether the problem was solved; a
    dissatisfied rating goes to the office, which may reopen the case for redo."""
    now = _now(now)
    case = _lock_case(case, None)
    if case.status != CaseStatus.CALLBACK:
        raise InvalidTransition(
            _("The reply can be rated once the office has approved it, until the case is closed."),
            code="not_ratable",
        )
    if rating not in RatingLevel.values:
        raise ValidationError({"rating": _("Choose how satisfied you are with the reply.")})
    if solved not in Solved.values:
        raise ValidationError({"solved": _("Say whether your problem was solved.")})
    satisfaction = RATING_SATISFACTION[RatingLevel(rating)]
    account = public_account()
    callback = _record_callback(
        case,
        account,
        satisfaction=satisfaction,
        solved=solved,
        note=comment,
        now=now,
        event_code="case.rated",
        event_data={"rating": rating},
    )
    if satisfaction == Satisfaction.DISSATISFIED:
        _notify(_office(Role.SUPERVISOR, Role.OFFICE_DIRECTOR), "case.rated_dissatisfied", case)
    _audit(
        "rate", account, case, {"rating": rating, "satisfaction": satisfaction, "solved": solved}
    )
    return callback


# --- what the public sees of a case ---------------------------------------------------------

#: The state of a case in the complainant's words.
PUBLIC_STATUS = {
    CaseStatus.REGISTERED: gettext_lazy("Received, awaiting the decision on acceptance"),
    CaseStatus.NOT_ACCEPTED: gettext_lazy("Not accepted"),
    CaseStatus.ACCEPTED: gettext_lazy("Accepted"),
    CaseStatus.DISPATCHED: gettext_lazy("Being handled"),
    CaseStatus.IN_PROGRESS: gettext_lazy("Being handled"),
    CaseStatus.REPLIED: gettext_lazy("Being handled"),
    CaseStatus.CALLBACK: gettext_lazy("Replied"),
    CaseStatus.CLOSE_PENDING: gettext_lazy("Replied"),
    CaseStatus.CLOSED: gettext_lazy("Closed"),
    CaseStatus.MERGED: gettext_lazy("Merged with another complaint"),
}

#: The timeline entries shown to the complainant, in their words. Everything else (internal
#: steps, notes, returns, instructions, accountability) stays inside.
PUBLIC_EVENTS = {
    "case.registered": gettext_lazy("Complaint received"),
    "case.accepted": gettext_lazy("Accepted"),
    "case.not_accepted": gettext_lazy("Not accepted"),
    "case.dispatched": gettext_lazy("Passed to the responsible unit"),
    "case.signed": gettext_lazy("The responsible unit took up the case"),
    "case.concluded": gettext_lazy("The unit replied; the office is reviewing the reply"),
    "case.review_passed": gettext_lazy("The office approved the reply"),
    "case.review_returned": gettext_lazy("The office sent the case back for further handling"),
    "case.callback": gettext_lazy("The office called you back"),
    "case.rated": gettext_lazy("You rated the reply"),
    "case.redo": gettext_lazy("Reopened for further handling"),
    "case.closed": gettext_lazy("Closed"),
    "case.close_signed": gettext_lazy("Closed"),
    "case.suspended": gettext_lazy("Handling paused"),
    "case.resumed": gettext_lazy("Handling resumed"),
    "case.merged": gettext_lazy("Merged with another complaint about the same matter"),
    "case.supplemented": gettext_lazy("You added information"),
}

#: The values of a public entry that may be shown (everything else in its data is internal).
_PUBLIC_DETAILS = {
    "case.not_accepted": ("reason", "referral"),
    "case.dispatched": ("lead", "co_units"),
    "case.signed": ("unit",),
    "case.suspended": ("reason",),
    "case.rated": ("rating", "solved"),
    "case.callback": ("satisfaction", "solved"),
    "case.supplemented": ("text",),
}
_DETAIL_LABELS = {
    "reason": gettext_lazy("Reason"),
    "referral": gettext_lazy("Referred to"),
    "lead": gettext_lazy("Unit"),
    "co_units": gettext_lazy("Co-handling units"),
    "unit": gettext_lazy("Unit"),
    "rating": gettext_lazy("Rating"),
    "satisfaction": gettext_lazy("Satisfaction"),
    "solved": gettext_lazy("Problem solved"),
    "text": gettext_lazy("Text"),
}
_DETAIL_CHOICES = {"rating": RatingLevel, "satisfaction": Satisfaction, "solved": Solved}

#: The clocks the complainant waits on.
PUBLIC_DEADLINES = {
    Stage.ACCEPTANCE: gettext_lazy("Decision on acceptance"),
    Stage.HANDLING: gettext_lazy("Handling by the responsible unit"),
}

#: Once the office has approved the reply, it is shown.
REPLIED_STATUSES = (CaseStatus.CALLBACK, CaseStatus.CLOSE_PENDING, CaseStatus.CLOSED)


@dataclass(frozen=True)
class PublicEntry:
    at: datetime
    code: str
    label: str
    unit: str
    actor: str
    details: list[dict] = field(default_factory=list)


@dataclass(frozen=True)
class PublicDeadline:
    stage: str
    label: str
    last_day: date | None
    due_time: datetime | None
    status: str
    suspended: bool


@dataclass(frozen=True)
class PublicCase:
    status: str
    status_label: str
    category: Category
    summary: str
    content: str
    place: str
    occurred_on: date | None
    registered_at: datetime
    subject_units: list[str]
    timeline: list[PublicEntry]
    deadlines: list[PublicDeadline]
    reply_text: str
    finding_label: str
    reviewed_at: datetime | None
    not_accepted_reason: str
    referral: str
    is_open: bool
    can_rate: bool
    rating_round: int


def _detail_value(key: str, value) -> str:
    if isinstance(value, list | tuple):
        return "、".join(str(v) for v in value)
    choices = _DETAIL_CHOICES.get(key)
    if choices is not None:
        return str(dict(choices.choices).get(value, value))
    return str(value)


def _public_entry(event: CaseEvent, *, staff_names: bool, portal_id: int | None) -> PublicEntry:
    staff = event.actor_id is not None and event.actor_id != portal_id
    details = [
        {"key": key, "label": _DETAIL_LABELS[key], "value": _detail_value(key, event.data[key])}
        for key in _PUBLIC_DETAILS.get(event.code, ())
        if event.data.get(key) not in (None, "", [], ())
    ]
    return PublicEntry(
        at=event.created_at,
        code=event.code,
        label=str(PUBLIC_EVENTS[event.code]),
        unit=event.actor_unit.name if staff and event.actor_unit else "",
        actor=event.actor_name if staff and staff_names else "",
        details=details,
    )


def _public_deadlines(case: Case, now: datetime) -> list[PublicDeadline]:
    share = case_settings().warning_share
    rows = []
    deadlines = case.deadlines.filter(
        completed_at__isnull=True, stage__in=list(PUBLIC_DEADLINES)
    ).select_related("assignment")
    for deadline in deadlines.order_by("due_at", "id"):
        assignment = deadline.assignment
        if deadline.stage == Stage.ACCEPTANCE and assignment is not None:
            continue
        if deadline.stage == Stage.HANDLING and (
            assignment is None
            or assignment.role == AssignmentRole.CO
            or assignment.status == AssignmentStatus.WITHDRAWN
        ):
            continue
        by_hours = deadline.unit == DeadlineUnit.HOURS
        rows.append(
            PublicDeadline(
                stage=deadline.stage,
                label=str(PUBLIC_DEADLINES[deadline.stage]),
                last_day=None if by_hours else due_day(due=deadline.due_at),
                due_time=deadline.due_at if by_hours else None,
                status=DeadlineStatus(
                    deadline_colour(deadline=deadline, now=now, warning_share=share)
                ),
                suspended=deadline.suspended_at is not None,
            )
        )
    return rows


def case_public_view(
    *, case: Case, staff_names: bool = False, rated: bool = False, now: datetime | None = None
) -> PublicCase:
    """The complainant's view of their case. ``staff_names``: the office shows who acted
    (a portal setting); ``rated``: the current reply has been rated already."""
    now = _now(now)
    portal_id = User.objects.filter(username=PUBLIC_USERNAME).values_list("pk", flat=True).first()
    events = (
        CaseEvent.objects.filter(case=case, public=True, code__in=list(PUBLIC_EVENTS))
        .select_related("actor_unit")
        .order_by("created_at", "id")
    )
    replied = case.status in REPLIED_STATUSES and case.reviewed_at is not None
    return PublicCase(
        status=case.status,
        status_label=str(PUBLIC_STATUS[CaseStatus(case.status)]),
        category=case.category,
        summary=case.summary,
        content=case.content,
        place=case.place,
        occurred_on=case.occurred_on,
        registered_at=case.registered_at,
        subject_units=[u.name for u in case.subject_units.order_by("order", "code")],
        timeline=[_public_entry(e, staff_names=staff_names, portal_id=portal_id) for e in events],
        deadlines=_public_deadlines(case, now) if case.status in OPEN_STATUSES else [],
        reply_text=case.reply_text if replied else "",
        finding_label=str(Finding(case.finding).label) if replied and case.finding else "",
        reviewed_at=case.reviewed_at if replied else None,
        not_accepted_reason=case.not_accepted_reason
        if case.status == CaseStatus.NOT_ACCEPTED
        else "",
        referral=case.referral if case.status == CaseStatus.NOT_ACCEPTED else "",
        is_open=case.status in OPEN_STATUSES,
        can_rate=case.status == CaseStatus.CALLBACK and not rated,
        rating_round=case_rating_round(case),
    )


# --- the rules the public reads --------------------------------------------------------------

#: The stages whose limits the public rules list (signing and supervision are internal).
PUBLIC_LIMIT_STAGES = (Stage.ACCEPTANCE, Stage.HANDLING, Stage.REVIEW, Stage.CALLBACK)


def limit_text(amount: int, unit: str) -> str:
    """“3 working days”, in the reader's language."""
    if unit == DeadlineUnit.HOURS:
        return ngettext("%(n)s hour", "%(n)s hours", amount) % {"n": amount}
    if unit == DeadlineUnit.NATURAL_DAYS:
        return ngettext("%(n)s calendar day", "%(n)s calendar days", amount) % {"n": amount}
    return ngettext("%(n)s working day", "%(n)s working days", amount) % {"n": amount}


@dataclass(frozen=True)
class LimitRow:
    stage: str
    stage_label: str
    cells: list[str]  # the limit for each urgency, in the order of ``Urgency``


@dataclass(frozen=True)
class LimitException:
    category: Category
    stage_label: str
    urgency_label: str
    text: str


@dataclass(frozen=True)
class PublicLimits:
    rows: list[LimitRow]
    exceptions: list[LimitException]
    handling_max: str


def public_time_limits() -> PublicLimits:
    """The time limits as the system applies them (``deadlines.time_limit_for`` on the
    office's rules), per stage and urgency, and where a category has its own."""
    rules = list(TimeLimit.objects.all())
    urgencies = list(Urgency)
    general = {
        (stage, urgency): time_limit_for(
            stage=stage, category_id=None, urgency=urgency, rules=rules
        )
        for stage in PUBLIC_LIMIT_STAGES
        for urgency in urgencies
    }
    rows = [
        LimitRow(
            stage=stage,
            stage_label=str(Stage(stage).label),
            cells=[limit_text(*general[(stage, u)]) for u in urgencies],
        )
        for stage in PUBLIC_LIMIT_STAGES
    ]
    exceptions = []
    categories = Category.objects.filter(is_active=True).order_by("order", "code")
    if any(r.category_id is not None for r in rules):
        for category in categories:
            for stage in PUBLIC_LIMIT_STAGES:
                for urgency in urgencies:
                    own = time_limit_for(
                        stage=stage, category_id=category.pk, urgency=urgency, rules=rules
                    )
                    if own != general[(stage, urgency)]:
                        exceptions.append(
                            LimitException(
                                category=category,
                                stage_label=str(Stage(stage).label),
                                urgency_label=str(urgency.label),
                                text=limit_text(*own),
                            )
                        )
    return PublicLimits(
        rows=rows,
        exceptions=exceptions,
        handling_max=limit_text(case_settings().handling_limit_max, DeadlineUnit.WORKING_DAYS),
    )
