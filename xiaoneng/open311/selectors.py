"""Reads for the Open311 interface and its staff screens: the settings, the services and
their definitions, API-key checks, and the service requests in the GeoReport v2 shape.

What a caller sees of a request depends on who asks. The client that filed it sees it in
full: the description, the location, the media link and the office's public answers. Anyone
else (another client, or a caller without a key where reading is public) sees its number,
service, status and dates only: a complaint's details must not reach the people it is about.
The complainant's identity is never part of any answer, and is masked wherever it appears
inside the free text that is returned."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import datetime

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from xiaoneng.cases.choices import AssignmentRole, AssignmentStatus, CaseStatus
from xiaoneng.cases.models import Assignment, Case, CaseEvent, Deadline
from xiaoneng.cases.protection import Identity, scrub_identity
from xiaoneng.cases.public import PUBLIC_EVENTS, REPLIED_STATUSES
from xiaoneng.open311.models import (
    ApiClient,
    Open311Settings,
    Service,
    ServiceAttribute,
    ServiceRequest,
)
from xiaoneng.org.choices import Role
from xiaoneng.org.models import Unit
from xiaoneng.org.selectors import users_with_role

#: GeoReport v2 statuses.
OPEN, CLOSED = "open", "closed"
#: Case states reported as ``closed``: closed out, or not accepted. A merged case reports
#: the state of the case it was merged into.
CLOSED_STATES = frozenset({CaseStatus.CLOSED, CaseStatus.NOT_ACCEPTED})
#: The most requests one GET returns (the specification's default limit).
MAX_RESULTS = 1000


# --- settings, services, clients -----------------------------------------------------------


def settings_get() -> Open311Settings:
    """The settings row, or the defaults when nobody has saved them yet (reads never write)."""
    return Open311Settings.objects.filter(pk=1).first() or Open311Settings(pk=1)


def service_list(*, active_only: bool = True) -> QuerySet[Service]:
    qs = Service.objects.select_related("category").annotate(attribute_count=Count("attributes"))
    return qs.filter(is_active=True) if active_only else qs


def service_get(*, code: str, active_only: bool = True) -> Service | None:
    qs = Service.objects.select_related("category").filter(service_code=code)
    if active_only:
        qs = qs.filter(is_active=True)
    return qs.first()


def service_attributes(*, service: Service) -> list[ServiceAttribute]:
    return list(service.attributes.order_by("order", "code"))


def key_hash(key: str) -> str:
    """The stored form of an API key. Keys are long random strings, so one SHA-256 suffices
    (a slow password hash would only slow down every request)."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def client_authenticate(*, key: str) -> ApiClient | None:
    """The active client holding ``key``, or None. The client's service account must be
    active and must not have become an ordinary account (a role or a password), or the key
    stops working."""
    if not key or len(key) > 200:
        return None
    client = (
        ApiClient.objects.select_related("account", "account__unit")
        .filter(key_hash=key_hash(key), is_active=True)
        .first()
    )
    if client is None:
        return None
    account = client.account
    if not account.is_active or account.roles or account.has_usable_password():
        return None
    return client


def client_list() -> QuerySet[ApiClient]:
    return ApiClient.objects.select_related("account", "account__unit", "created_by").annotate(
        request_count=Count("requests")
    )


def client_get(*, pk: int) -> ApiClient | None:
    return ApiClient.objects.select_related("account", "account__unit").filter(pk=pk).first()


def receiving_unit_default() -> Unit | None:
    """The unit whose service accounts file the cases: the unit of the office's intake
    clerks, when they all belong to one."""
    unit_ids = {u.unit_id for u in users_with_role(role=Role.INTAKE_CLERK) if u.unit_id}
    if len(unit_ids) != 1:
        return None
    return Unit.objects.filter(pk=unit_ids.pop(), is_active=True).first()


# --- service requests ----------------------------------------------------------------------


def _closed_q() -> Q:
    return Q(case__status__in=CLOSED_STATES) | Q(
        case__status=CaseStatus.MERGED, case__merged_into__status__in=CLOSED_STATES
    )


def _requests() -> QuerySet[ServiceRequest]:
    case = OuterRef("case_id")
    events = CaseEvent.objects.filter(case_id=case).order_by("-created_at", "-id")
    return ServiceRequest.objects.select_related(
        "case",
        "case__merged_into",
        "case__complainant",
        "service",
        "client__account__unit",
    ).annotate(
        last_event_at=Subquery(events.values("created_at")[:1]),
        public_event_id=Subquery(
            events.filter(public=True, code__in=list(PUBLIC_EVENTS)).values("id")[:1]
        ),
        expected_at=Subquery(
            Deadline.objects.filter(
                case_id=case, completed_at__isnull=True, suspended_at__isnull=True
            )
            .order_by("-due_at")
            .values("due_at")[:1]
        ),
        agency_name=Subquery(
            Assignment.objects.filter(
                case_id=case, role__in=[AssignmentRole.LEAD, AssignmentRole.SOLE]
            )
            .exclude(status=AssignmentStatus.WITHDRAWN)
            .order_by("-id")
            .values("unit__name")[:1]
        ),
    )


def request_search(
    *,
    numbers: Sequence[str] = (),
    service_codes: Sequence[str] = (),
    start: datetime | None = None,
    end: datetime | None = None,
    statuses: Iterable[str] = (),
) -> list[ServiceRequest]:
    """Requests by number (then nothing else filters), else by service, time of filing and
    status; the newest first, at most ``MAX_RESULTS``."""
    qs = _requests()
    if numbers:
        qs = qs.filter(case__number__in=list(numbers))
    else:
        if service_codes:
            qs = qs.filter(service__service_code__in=list(service_codes))
        if start is not None:
            qs = qs.filter(case__registered_at__gte=start)
        if end is not None:
            qs = qs.filter(case__registered_at__lte=end)
        statuses = set(statuses)
        if statuses == {CLOSED}:
            qs = qs.filter(_closed_q())
        elif statuses == {OPEN}:
            qs = qs.exclude(_closed_q())
    return list(qs.order_by("-case__registered_at", "-id")[:MAX_RESULTS])


def request_get(*, number: str) -> ServiceRequest | None:
    return _requests().filter(case__number=number).first()


def request_by_token(*, token: str) -> ServiceRequest | None:
    return ServiceRequest.objects.select_related("case").filter(token=token).first()


def request_status(case: Case) -> str:
    """``closed`` once the case is closed out or not accepted, else ``open``; a merged case
    follows the case it was merged into."""
    current = case.merged_into if case.status == CaseStatus.MERGED and case.merged_into else case
    return CLOSED if current.status in CLOSED_STATES else OPEN


def _identity(case: Case) -> Identity:
    try:
        return Identity.of(case.complainant)
    except Case.complainant.RelatedObjectDoesNotExist:
        return Identity()


def _label(event: CaseEvent | None) -> str:
    """What last happened, in the words the complainant reads on the portal."""
    return str(PUBLIC_EVENTS.get(event.code, "")) if event else ""


def _notes_for_filer(case: Case, event: CaseEvent | None) -> str:
    """The status notes the filing client reads: the office's public answer where there is
    one (the reason for not accepting, the reviewed reply, the reason a clock stopped), else
    what last happened."""
    if case.status == CaseStatus.NOT_ACCEPTED:
        notes = _("Not accepted: %(reason)s") % {"reason": case.not_accepted_reason}
        if case.referral:
            notes += " " + _("Referred to %(body)s.") % {"body": case.referral}
        return notes
    if case.status in REPLIED_STATUSES and case.reviewed_at and case.reply_text:
        return case.reply_text
    if case.suspended_at and case.suspend_reason:
        return _("Handling paused: %(reason)s") % {"reason": case.suspend_reason}
    return _label(event)


def _local(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return timezone.localtime(moment).isoformat(timespec="seconds")


#: The fields only the filing client reads.
FILER_FIELDS = ("description", "address", "address_id", "lat", "long", "media_url")


def _filer_fields(request: ServiceRequest, identity: Identity) -> dict:
    lat, long = request.latitude, request.longitude
    return {
        "description": scrub_identity(request.description, identity) or None,
        "address": scrub_identity(request.address_string, identity) or None,
        "address_id": request.address_id or None,
        "lat": float(lat) if lat is not None else None,
        "long": float(long) if long is not None else None,
        "media_url": request.media_url or None,
    }


def request_records(*, requests: Sequence[ServiceRequest], viewer: ApiClient | None) -> list[dict]:
    """The requests as GeoReport v2 records, field by field in the specification's order.
    ``viewer`` is the calling client (None without a key)."""
    event_ids = [r.public_event_id for r in requests if r.public_event_id]
    events = {e.pk: e for e in CaseEvent.objects.filter(pk__in=event_ids)}
    records = []
    for request in requests:
        case = request.case
        event = events.get(request.public_event_id)
        if viewer is not None and request.client_id == viewer.pk:
            private = _filer_fields(request, _identity(case))
            notes = scrub_identity(_notes_for_filer(case, event), _identity(case))
        else:
            private, notes = dict.fromkeys(FILER_FIELDS), _label(event)
        unit = request.client.account.unit
        records.append(
            {
                "service_request_id": case.number,
                "status": request_status(case),
                "status_notes": notes or None,
                "service_name": request.service.service_name,
                "service_code": request.service.service_code,
                "description": private["description"],
                "agency_responsible": request.agency_name or (unit.name if unit else None),
                "service_notice": request.service.service_notice or None,
                "requested_datetime": _local(case.registered_at),
                "updated_datetime": _local(request.last_event_at or case.registered_at),
                "expected_datetime": None if case.suspended_at else _local(request.expected_at),
                "address": private["address"],
                "address_id": private["address_id"],
                "zipcode": None,
                "lat": private["lat"],
                "long": private["long"],
                "media_url": private["media_url"],
            }
        )
    return records
