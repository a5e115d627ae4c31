"""Cases: registration, the ledger's list, one case, its timeline, its complainant's identity
(office roles, audited) and its files. Every read goes through the selectors of the screens,
with the same scope and the same masking."""

from datetime import date
from typing import Literal

from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpResponse
from django.utils.translation import gettext as _
from ninja import File, Form, Path, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.responses import Status
from pydantic import Field

from xiaoneng.api import errors, pagination, serializers
from xiaoneng.api.endpoints.common import (
    CASE_ROLES,
    actor,
    invalid,
    require_roles,
    responses,
    unit_by_code,
    units_by_code,
    visible_case,
    with_fields,
)
from xiaoneng.api.pipeline import never_replayed
from xiaoneng.api.schemas import (
    AttachmentOut,
    CaseOut,
    CasePage,
    CaseRegisterIn,
    Code,
    IdentityOut,
    PersonOut,
    Text,
    TimelineEntryOut,
)
from xiaoneng.cases import attachments as files
from xiaoneng.cases.choices import (
    AttachmentKind,
    CaseStatus,
    Channel,
    Finding,
    Satisfaction,
    Solved,
    Urgency,
)
from xiaoneng.cases.ledger import DEFAULT_SORT, SORTS, ledger_cases, ledger_page_cases, ledger_rows
from xiaoneng.cases.selectors import (
    assignment_action_permitted,
    assignment_open_for,
    case_assignments,
    case_attachments,
    case_get,
    case_timeline,
    category_get_by_code,
    is_office,
    unit_handlers,
)
from xiaoneng.cases.services import ComplainantData, case_register, complainant_reveal
from xiaoneng.org.choices import OFFICE_ROLES, UNIT_ROLES, Role

router = Router(tags=["cases"])

CaseId = Path(..., ge=1, le=2**63 - 1, description="The case's id.")
SORT_KEYS = tuple(key for name in SORTS for key in (name, "-" + name))

#: Service field names → the request's (the complainant's fields are nested).
REGISTER_FIELDS = {
    "complainant_name": "complainant.name",
    "name": "complainant.name",
    "phone": "complainant.phone",
    "id_number": "complainant.id_number",
    "address": "complainant.address",
    "email": "complainant.email",
    "anonymous": "complainant.anonymous",
}


def case_url(case) -> str:
    return f"/api/v1/cases/{case.pk}"


# --- registration (挂号) ----------------------------------------------------------------------


@router.post(
    "/cases",
    response=responses(201, CaseOut),
    summary="Register a case",
    operation_id="case_register",
)
def register(request, response: HttpResponse, body: CaseRegisterIn):
    """Register (挂号) a complaint received by phone, letter, visit or from another system (the
    default channel is ``api``); intake clerks only. The acceptance clock starts, and a
    possible repeat of an open case is flagged and linked. Answers 201 with the case and its
    URL in ``Location``."""
    user = actor(request)
    require_roles(user, {Role.INTAKE_CLERK})
    category = category_get_by_code(code=body.category)
    if category is None:
        raise invalid("category", _("No category has this code; see /categories."))
    person = body.complainant
    try:
        case = case_register(
            actor=user,
            channel=body.channel,
            category=category,
            summary=body.summary,
            content=body.content,
            complainant=ComplainantData(
                anonymous=person.anonymous,
                name=person.name,
                phone=person.phone,
                id_number=person.id_number,
                address=person.address,
                email=person.email,
            ),
            urgency=body.urgency,
            subject_units=units_by_code(body.subject_units, "subject_units"),
            subject_persons=body.subject_persons,
            place=body.place,
            occurred_on=body.occurred_on,
            reply_wanted=body.reply_wanted,
            reply_method=body.reply_method,
        )
    except ValidationError as exc:
        raise with_fields(exc, REGISTER_FIELDS) from None
    response["Location"] = case_url(case)
    return Status(201, serializers.case_detail(case_get(user=user, pk=case.pk), user=user))


# --- the list (the ledger's filters) -----------------------------------------------------------


class CaseFilters(Schema):
    q: Text(100) = Field("", description="Words of the number, summary, content or place.")
    number: Text(20) = Field("", description="Part of the register number.")
    registered_from: date | None = None
    registered_to: date | None = None
    channel: Channel | None = None
    category: Code | None = Field(None, description="Category code.")
    urgency: Urgency | None = None
    status: list[CaseStatus] = Field(default_factory=list, max_length=20)
    colour: Literal["overdue", "due_soon", "on_time"] | None = Field(
        None, description="The stage colour of the running clocks."
    )
    handling_unit: Code | None = Field(None, description="Code of a unit handling the case.")
    subject_unit: Code | None = Field(None, description="Code of a unit complained about.")
    major: Literal["yes", "no"] | None = None
    supervised: Literal["yes", "no"] | None = None
    finding: list[Finding] = Field(default_factory=list, max_length=10)
    satisfaction: list[Satisfaction] = Field(default_factory=list, max_length=10)
    solved: Solved | None = None
    on_time: bool = Field(False, description="Only cases concluded within their time limits.")
    returned: bool = Field(False, description="Only cases a unit returned (退单).")
    redone: bool = Field(False, description="Only cases redone at least once.")
    sort: Literal[SORT_KEYS] = DEFAULT_SORT  # type: ignore[valid-type]
    limit: int = Field(50, ge=1, le=200)
    cursor: Text(1000) | None = Field(None, description="next_cursor of the previous page.")


@router.get(
    "/cases",
    response=responses(200, CasePage),
    summary="List cases (the ledger)",
    operation_id="case_list",
)
def case_list(request, filters: Query[CaseFilters]):
    """Every case the caller may see, narrowed by the ledger's filters and sorted by one of
    its columns, a page at a time (follow ``next_cursor``). The complainant is shown masked
    to office roles and not at all to units, as in the ledger."""
    user = actor(request)
    require_roles(user, CASE_ROLES)
    data = filters.model_dump(exclude={"limit", "cursor"})
    if filters.category:
        data["category"] = category_get_by_code(code=filters.category)
        if data["category"] is None:
            raise invalid("category", _("No category has this code; see /categories."))
    data["handling_unit"] = unit_by_code(filters.handling_unit, "handling_unit")
    data["subject_unit"] = unit_by_code(filters.subject_unit, "subject_unit")
    data = {key: value for key, value in data.items() if value not in (None, "", [], False)}
    qs = ledger_page_cases(ledger_cases(user=user, filters=data))
    try:
        cases, next_cursor = pagination.page(
            qs, sort=filters.sort, limit=filters.limit, cursor=filters.cursor
        )
    except pagination.CursorError:
        raise invalid("cursor", pagination.cursor_message()) from None
    rows = ledger_rows(cases=cases, user=user)
    return {"items": [serializers.case_row(row) for row in rows], "next_cursor": next_cursor}


# --- one case -----------------------------------------------------------------------------------


@router.get(
    "/cases/{case_id}",
    response=responses(200, CaseOut),
    summary="Read a case",
    operation_id="case_read",
)
def case_read(request, case_id: int = CaseId):
    """The case as its page shows it to the caller: the complainant masked, the handling
    units with their clocks, what the caller may do now (``actions`` and each assignment's
    ``actions``), and the related records the caller's scope allows."""
    user = actor(request)
    return serializers.case_detail(visible_case(user, case_id), user=user)


@router.get(
    "/cases/{case_id}/timeline",
    response=responses(200, list[TimelineEntryOut]),
    summary="The case's timeline",
    operation_id="case_timeline",
)
def timeline(request, case_id: int = CaseId):
    """What happened to the case, oldest first, each entry labelled in the request's language;
    a unit sees its own internal notes only, as on the case page."""
    user = actor(request)
    case = visible_case(user, case_id)
    return [serializers.timeline_entry(row) for row in case_timeline(case=case, user=user)]


@router.post(
    "/cases/{case_id}/identity",
    response=responses(200, IdentityOut),
    summary="Reveal the complainant's identity",
    operation_id="case_identity",
)
@never_replayed  # a stored answer would hold the identity and replay it unaudited
def identity(request, case_id: int = CaseId):
    """The complainant's identity in full, for office roles; every call is recorded in the
    audit log like the "Show identity" button."""
    user = actor(request)
    case = visible_case(user, case_id)
    require_roles(user, OFFICE_ROLES)
    person = complainant_reveal(actor=user, case=case)
    return {
        "anonymous": person.anonymous,
        "name": person.name,
        "phone": person.phone,
        "id_number": person.id_number,
        "address": person.address,
        "email": person.email,
    }


@router.get(
    "/cases/{case_id}/assignments/{assignment_id}/handlers",
    response=responses(200, list[PersonOut]),
    summary="Who may handle a unit's part",
    operation_id="case_assignment_handlers",
)
def handlers(
    request,
    case_id: int = CaseId,
    assignment_id: int = Path(..., ge=1, le=2**63 - 1),
):
    """The active members of the handling unit who may be named handler (for ``sign`` and
    ``assign-handler``); for the unit's liaison, head and handlers only."""
    user = actor(request)
    case = visible_case(user, case_id)
    part = next((a for a in case_assignments(case=case) if a.pk == assignment_id), None)
    if part is None:
        raise errors.not_found()
    if not assignment_action_permitted(user=user, assignment=part, action="sign"):
        raise errors.forbidden()
    return [
        {"id": p.pk, "username": p.username, "name": p.name, "unit": serializers.unit_ref(p.unit)}
        for p in unit_handlers(unit_id=part.unit_id)
    ]


# --- files --------------------------------------------------------------------------------------


@router.get(
    "/cases/{case_id}/attachments",
    response=responses(200, list[AttachmentOut]),
    tags=["files"],
    summary="The case's files",
    operation_id="case_attachments",
)
def attachments(request, case_id: int = CaseId):
    """The files the caller may see: office roles every file; units the files released to
    them and their own units' files."""
    user = actor(request)
    case = visible_case(user, case_id)
    return [serializers.attachment(a) for a in case_attachments(case=case, user=user)]


UPLOAD_FILE = File(..., description="The file (multipart/form-data).")
UPLOAD_KIND = Form(..., description="original, evidence or reply material.")
UPLOAD_ASSIGNMENT = Form(
    None, ge=1, le=2**63 - 1, description="A unit's part (units with several parts)."
)
UPLOAD_RELEASABLE = Form(False, description="Office: release it to the handling unit.")


@router.post(
    "/cases/{case_id}/attachments",
    response=responses(201, AttachmentOut),
    tags=["files"],
    summary="Attach a file",
    operation_id="case_attachment_upload",
)
def attachment_upload(
    request,
    response: HttpResponse,
    case_id: int = CaseId,
    file: UploadedFile = UPLOAD_FILE,
    kind: AttachmentKind = UPLOAD_KIND,
    assignment: int | None = UPLOAD_ASSIGNMENT,
    releasable: bool = UPLOAD_RELEASABLE,
):
    """Attach a file, checked by its content (images, PDF, audio, MP4 video, Word, Excel,
    plain text) and limited in size like on the screens; images lose their metadata. The
    office attaches to any open case; a unit to its own open part."""
    user = actor(request)
    case = visible_case(user, case_id)
    office = is_office(user)
    if not office and not user.roles & UNIT_ROLES:
        raise errors.forbidden()
    part = None
    if not office:
        parts = assignment_open_for(case=case, user=user)
        if assignment is not None:
            part = next((a for a in parts if a.pk == assignment), None)
            if part is None:
                raise invalid("assignment", _("Choose your unit's part of the case."))
        elif len(parts) == 1:
            part = parts[0]
        else:
            raise invalid("assignment", _("Choose your unit's part of the case."))
    stored = files.attachment_add(
        actor=user,
        case=case,
        file=file,
        kind=kind,
        assignment=part,
        releasable=releasable if office else False,
    )
    response["Location"] = f"{case_url(case)}/attachments/{stored.pk}"
    return Status(201, serializers.attachment(stored))


@router.get(
    "/cases/{case_id}/attachments/{attachment_id}",
    response=responses(200, None),
    tags=["files"],
    summary="Download a file",
    operation_id="case_attachment_download",
    openapi_extra={
        "responses": {
            "200": {
                "description": "The file's content, with its type and name.",
                "content": {"application/octet-stream": {"schema": {"type": "string"}}},
            }
        }
    },
)
def attachment_download(
    request,
    case_id: int = CaseId,
    attachment_id: int = Path(..., ge=1, le=2**63 - 1),
):
    """The file, if the caller may see it; every download is recorded in the audit log."""
    user = actor(request)
    case = visible_case(user, case_id)
    item = files.attachment_get(user=user, pk=attachment_id)
    if item.case_id != case.pk:
        raise errors.not_found()
    handle = files.attachment_download(actor=user, attachment=item)
    result = FileResponse(handle, content_type=files.serve_content_type(item))
    result["Content-Disposition"] = files.content_disposition(item)
    result["X-Content-Type-Options"] = "nosniff"
    result["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return result
