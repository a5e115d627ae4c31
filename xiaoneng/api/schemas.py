"""The shapes of the API's requests and answers (they make the OpenAPI schema).

Units and categories are named by their codes (stable across installations, e.g. ``TZ-RSJ``
and ``TWCP``), everything else by its id. Times are ISO 8601 in China Standard Time. Every
text field refuses NUL characters, as the screens do."""

from datetime import date, datetime
from typing import Annotated, Literal

from django.utils.translation import gettext
from ninja import Schema
from pydantic import AfterValidator, ConfigDict, Field, StringConstraints

from xiaoneng.cases.choices import (
    AccountabilityKind,
    AssignmentRole,
    AssignmentStatus,
    AttachmentKind,
    CaseStatus,
    Channel,
    DispatchMode,
    Finding,
    LinkKind,
    ReplyMethod,
    RequestStatus,
    ReturnRuling,
    Satisfaction,
    Solved,
    Stage,
    SupervisionLevel,
    Urgency,
)
from xiaoneng.workdays.choices import DayKind, DeadlineStatus, DeadlineUnit


def _clean_text(value: str) -> str:
    if "\x00" in value:
        raise ValueError(gettext("Null characters are not allowed."))
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(gettext("Enter valid text.")) from None
    return value


def Text(max_length: int | None = None, min_length: int | None = None):
    """A text field of at most ``max_length`` characters."""
    return Annotated[
        str,
        StringConstraints(max_length=max_length, min_length=min_length),
        AfterValidator(_clean_text),
    ]


Code = Text(32, 1)
Days = Annotated[int, Field(ge=1, le=365)]
Id = Annotated[int, Field(ge=1, le=2**63 - 1)]


class In(Schema):
    """A request body: unknown fields are refused, so that a misspelt field is noticed."""

    model_config = ConfigDict(extra="forbid")


class Versioned(In):
    version: Id | None = Field(
        None,
        description="The record's version as last read; when given, a change made by someone "
        "else since then is refused with 409 conflict.",
    )


# --- errors -------------------------------------------------------------------------------------


class ErrorOut(Schema):
    code: str = Field(description="Stable machine-readable code, e.g. not_found.")
    message: str = Field(description="The error in the language of Accept-Language.")
    fields: dict[str, list[str]] | None = Field(
        None, description="Messages per invalid field of the request."
    )


# --- reference data -----------------------------------------------------------------------------


class UnitRef(Schema):
    id: int
    code: str
    name: str


class UnitOut(UnitRef):
    short_name: str
    kind: str
    parent_code: str | None
    depth: int
    is_active: bool


class CategoryOut(Schema):
    id: int
    code: str
    name: str
    name_en: str
    parent_code: str | None
    depth: int
    is_active: bool


class CategoryRef(Schema):
    code: str
    name: str


class PersonOut(Schema):
    id: int
    username: str
    name: str
    unit: UnitRef | None


class TokenInfo(Schema):
    id: int
    kind: str
    prefix: str
    name: str
    expires_at: datetime | None


class MeOut(Schema):
    id: int
    username: str
    name: str
    unit: UnitRef | None
    roles: list[str]
    service_account: bool
    token: TokenInfo


# --- calendar -----------------------------------------------------------------------------------


class DueDateOut(Schema):
    start: datetime
    amount: int
    unit: DeadlineUnit
    due_at: datetime = Field(description="The first instant after the period (exclusive end).")
    last_day: date = Field(description="The last day of the period.")
    estimated: bool = Field(description="Unknown years were counted Monday to Friday.")
    unknown_years: list[int]


class CalendarDayOut(Schema):
    date: date
    kind: DayKind
    name: str | None
    local_override: bool


class CalendarYearOut(Schema):
    year: int
    known: bool = Field(description="The official holiday schedule of the year is known.")
    built_in: bool
    working_days: int
    days: list[CalendarDayOut] = Field(
        description="Public holidays, make-up working days and the office's local exceptions."
    )


# --- cases: answers -----------------------------------------------------------------------------


class ComplainantOut(Schema):
    """Masked as on every screen; the office reveals the identity with /identity."""

    anonymous: bool
    name: str | None = None
    phone: str | None = None
    id_number: str | None = None
    address: str | None = None


class IdentityOut(Schema):
    anonymous: bool
    name: str
    phone: str
    id_number: str
    address: str
    email: str


class DeadlineOut(Schema):
    id: int
    stage: Stage
    assignment_id: int | None
    unit: str | None
    started_at: datetime
    due_at: datetime
    last_day: date | None
    amount: int
    counted_in: DeadlineUnit
    extended_by: int
    estimated: bool
    suspended: bool
    completed_at: datetime | None
    status: DeadlineStatus | None = Field(description="normal, warning or overdue while running.")


class AssignmentOut(Schema):
    id: int
    unit: UnitRef
    role: AssignmentRole
    status: AssignmentStatus
    status_label: str
    part: str
    handler: str | None
    dispatched_at: datetime
    signed_at: datetime | None
    replied_at: datetime | None
    finding: Finding | Literal[""]
    reply_text: str
    measures: str
    return_reason: str
    version: int
    actions: list[str] = Field(description="What the caller may do on this part now.")
    deadlines: list[DeadlineOut]


class CallbackOut(Schema):
    id: int
    satisfaction: Satisfaction
    solved: Solved | Literal[""]
    note: str
    called_by: str
    called_at: datetime


class SupervisionNoticeOut(Schema):
    id: int
    level: SupervisionLevel
    text: str
    due_at: datetime
    issued_by: str
    issued_at: datetime


class ExtensionRequestOut(Schema):
    id: int
    unit: str | None
    amount: int
    reason: str
    requested_by: str
    requested_at: datetime
    status: RequestStatus
    decided_by: str | None
    decided_at: datetime | None
    decision_note: str


class CaseReturnOut(Schema):
    id: int
    assignment_id: int
    unit: str
    reason: str
    requested_by: str
    requested_at: datetime
    ruling: ReturnRuling | Literal[""]
    ruled_at: datetime | None
    ruling_note: str


class MilestoneOut(Schema):
    id: int
    title: str
    due_on: date
    done_at: datetime | None
    evidence: str


class InstructionOut(Schema):
    id: int
    leader: str
    text: str
    created_at: datetime


class AccountabilityOut(Schema):
    id: int
    kind: AccountabilityKind
    unit: str
    person: str
    decided_on: date
    document_number: str
    note: str


class LinkOut(Schema):
    kind: LinkKind
    case_id: int
    number: str
    outgoing: bool


class CaseOut(Schema):
    id: int
    number: str
    status: CaseStatus
    status_label: str
    channel: Channel
    category: CategoryRef
    urgency: Urgency
    summary: str
    content: str
    place: str
    occurred_on: date | None
    subject_units: list[UnitRef]
    subject_persons: str
    reply_wanted: bool
    reply_method: ReplyMethod | Literal[""]
    complainant: ComplainantOut
    registered_at: datetime
    registered_by: str | None
    accepted_at: datetime | None
    not_accepted_reason: str
    referral: str
    dispatch_mode: DispatchMode | Literal[""]
    dispatched_at: datetime | None
    is_major: bool
    major_leader: str | None
    finding: Finding | Literal[""]
    measures: str
    reply_text: str
    concluded_at: datetime | None
    reviewed_at: datetime | None
    satisfaction: Satisfaction | Literal[""]
    solved: Solved | Literal[""]
    callback_at: datetime | None
    closed_at: datetime | None
    close_explanation: str
    merged_into: str | None
    suspended_at: datetime | None
    suspend_reason: str
    return_count: int
    redo_count: int
    is_supervised: bool
    duplicate_flag: bool
    version: int
    actions: list[str] = Field(description="Case-level actions the caller may take now.")
    assignments: list[AssignmentOut]
    deadlines: list[DeadlineOut] = Field(description="The running clocks.")
    callbacks: list[CallbackOut]
    supervision_notices: list[SupervisionNoticeOut]
    extension_requests: list[ExtensionRequestOut]
    returns: list[CaseReturnOut]
    milestones: list[MilestoneOut]
    instructions: list[InstructionOut]
    accountabilities: list[AccountabilityOut]
    links: list[LinkOut]


class CaseRowUnit(Schema):
    code: str
    name: str
    role: AssignmentRole
    status: AssignmentStatus


class CaseRowDeadline(Schema):
    stage: Stage
    due_at: datetime
    last_day: date | None
    status: DeadlineStatus


class CaseRow(Schema):
    id: int
    number: str
    status: CaseStatus
    status_label: str
    channel: Channel
    category: CategoryRef
    urgency: Urgency
    summary: str
    registered_at: datetime
    closed_at: datetime | None
    is_major: bool
    is_supervised: bool
    return_count: int
    redo_count: int
    subject_units: list[UnitRef]
    handling_units: list[CaseRowUnit]
    deadline: CaseRowDeadline | None = Field(description="The most urgent running clock.")
    complainant: ComplainantOut | None = Field(
        description="Masked, for office roles only (as in the ledger)."
    )


class CasePage(Schema):
    items: list[CaseRow]
    next_cursor: str | None = Field(
        description="Pass as ?cursor= for the next page; null on the last page."
    )


class TimelineEntryOut(Schema):
    id: int
    code: str
    label: str
    at: datetime
    actor: str
    actor_unit: str | None
    unit: str | None = Field(description="The handling unit the entry concerns, if any.")
    public: bool = Field(description="Shown to the complainant on the portal.")
    merged_from: str | None = Field(description="Register number of a case merged into this one.")
    data: dict


class AttachmentOut(Schema):
    id: int
    kind: AttachmentKind
    original_name: str
    content_type: str
    size: int
    sha256: str
    releasable: bool
    assignment_id: int | None
    uploaded_by: str
    uploaded_at: datetime


# --- cases: requests ----------------------------------------------------------------------------


class ComplainantIn(In):
    anonymous: bool = False
    name: Text(64) = ""
    phone: Text(32) = ""
    id_number: Text(32) = ""
    address: Text(200) = ""
    email: Text(254) = ""


class CaseRegisterIn(In):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {
                "channel": "phone",
                "category": "TWCP",
                "urgency": "normal",
                "summary": "办理社保转移被多次推诿",
                "content": "今年三月起去区人社局办理社保转移，窗口三次让我找别的部门。",
                "subject_units": ["TZ-RSJ"],
                "complainant": {"name": "张三丰", "phone": "13812345678"},
            }
        },
    )

    channel: Channel = Channel.API
    category: Code = Field(description="Category code, see /categories.")
    urgency: Urgency = Urgency.NORMAL
    summary: Text(200, 1)
    content: Text(50000, 1)
    place: Text(200) = ""
    occurred_on: date | None = None
    subject_units: list[Code] = Field(
        default_factory=list, max_length=20, description="Codes of the units complained about."
    )
    subject_persons: Text(200) = ""
    reply_wanted: bool = True
    reply_method: ReplyMethod | Literal[""] = ""
    complainant: ComplainantIn


class ReasonIn(Versioned):
    reason: Text(5000, 1)


class RejectIn(ReasonIn):
    referral: Text(200) = ""


class CoUnitIn(In):
    unit: Code
    part: Text(5000) = ""
    days: Days | None = None


class DispatchIn(Versioned):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {"mode": "transfer", "lead_unit": "TZ-RSJ", "lead_part": "核实并答复"}
        },
    )

    mode: DispatchMode
    lead_unit: Code | None = Field(
        None, description="Handling (lead) unit; omitted when the office investigates itself."
    )
    lead_part: Text(5000) = ""
    lead_days: Days | None = Field(None, description="Working days; default: the time limit.")
    co_units: list[CoUnitIn] = Field(default_factory=list, max_length=10)
    supervision_level: SupervisionLevel | Literal[""] = ""
    supervision_text: Text(5000) = ""
    supervision_days: Days | None = None


class SuperviseIn(Versioned):
    level: SupervisionLevel
    text: Text(5000, 1)
    days: Days | None = None


class ReviewIn(Versioned):
    approve: bool
    reason: Text(5000) = Field("", description="Required when returning for redo.")
    redo_units: list[Code] = Field(
        default_factory=list,
        max_length=10,
        description="Co-handling units that redo their part too (the lead always does).",
    )
    redo_days: Days | None = None


class CallbackIn(Versioned):
    satisfaction: Satisfaction
    solved: Solved | Literal[""] = ""
    note: Text(5000) = ""


class RedoIn(Versioned):
    reason: Text(5000, 1)
    units: list[Code] = Field(default_factory=list, max_length=10)
    days: Days | None = None


class ExplanationIn(Versioned):
    explanation: Text(5000) = ""


class DecisionIn(Versioned):
    approve: bool
    note: Text(5000) = ""


class SuspendIn(Versioned):
    reason: Text(200, 1)


class VersionIn(Versioned):
    pass


class MarkMajorIn(Versioned):
    leader: Id = Field(description="Account id of the responsible leader, see /leaders.")


class MilestoneIn(In):
    title: Text(200, 1)
    due_on: date


class MilestoneReachIn(In):
    evidence: Text(5000, 1)


class AccountabilityIn(In):
    kind: AccountabilityKind
    unit: Code
    decided_on: date
    person: Id | None = Field(None, description="Account id of the person, if they have one.")
    person_name: Text(64) = ""
    document_number: Text(64) = ""
    note: Text(5000) = ""


class InstructionIn(In):
    text: Text(5000, 1)


class LinkIn(In):
    other: Text(20, 1) = Field(description="Register number of the other case.")
    kind: Literal["related", "duplicate"] = "related"


class MergeIn(Versioned):
    into: Text(20, 1) = Field(description="Register number of the case to merge into.")


class RulingIn(In):
    ruling: ReturnRuling
    note: Text(5000) = ""
    new_unit: Code | None = Field(None, description="Required to re-dispatch.")
    new_days: Days | None = None


class ExtensionDecisionIn(In):
    approve: bool
    note: Text(5000) = Field("", description="Required to refuse.")


class SignIn(Versioned):
    handler: Id | None = Field(None, description="Account id of the handler, see /handlers.")


class HandlerIn(Versioned):
    handler: Id


class ProgressIn(In):
    note: Text(5000, 1)


class ReplyIn(Versioned):
    reply_text: Text(20000, 1)
    finding: Finding | Literal[""] = Field("", description="Required of the lead (or sole) unit.")
    measures: Text(20000) = ""


class HeadDecisionIn(Versioned):
    approve: bool
    note: Text(5000) = Field("", description="Required to send the reply back.")


class ExtensionRequestIn(In):
    amount: Days
    reason: Text(5000, 1)
