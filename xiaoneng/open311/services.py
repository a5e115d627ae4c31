"""Every change the Open311 interface makes: the office's settings and services, the API
clients and their keys, and the requests clients file, which become cases through
``cases.services.case_register``. Each service is keyword-only, runs in one transaction,
validates before saving and writes its audit row last."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from xiaoneng.audit.services import audit_log
from xiaoneng.cases.choices import Channel
from xiaoneng.cases.models import Category
from xiaoneng.cases.protection import Identity, scrub_identity
from xiaoneng.cases.services import ComplainantData, case_register
from xiaoneng.open311.choices import LIST_DATATYPES, AttributeDatatype, ServiceType
from xiaoneng.open311.models import (
    ApiClient,
    Open311Settings,
    Service,
    ServiceAttribute,
    ServiceRequest,
)
from xiaoneng.open311.selectors import key_hash, service_attributes, settings_get
from xiaoneng.org.choices import Role
from xiaoneng.org.models import Unit, User
from xiaoneng.org.services import ConflictError, user_create, user_set_active

KEY_PREFIX = "o311_"
#: The longest description a client may send (the specification's limit).
DESCRIPTION_MAX = 4000
#: ``last_used_at`` is rewritten at most this often, to spare a write per request.
TOUCH_INTERVAL = timedelta(seconds=60)
_PHONE = re.compile(r"^[0-9+\-() ]{3,32}$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class Open311Denied(PermissionDenied):
    """The actor may not change the Open311 configuration or clients (views answer 404)."""


class RequestRefused(PermissionDenied):
    """The office does not take this request: new requests are switched off, or the client
    is no longer allowed to file (the interface answers 403)."""


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


def _require(actor: User | None, role: str) -> None:
    """``actor=None`` is the command line."""
    if actor is not None and not actor.has_role(role):
        raise Open311Denied(role)


def _conflict() -> ConflictError:
    return ConflictError(
        _(
            "Someone else changed this record while you were editing it. "
            "Reload the page to see their change, then apply yours again."
        ),
        code="conflict",
    )


def _changes(before: dict, after: dict) -> dict:
    return {k: [str(before[k]), str(after[k])] for k in after if before[k] != after[k]}


# --- settings ------------------------------------------------------------------------------

SETTINGS_FIELDS = (
    "jurisdiction_id",
    "accepting_requests",
    "requests_public",
    "contact",
    "key_service",
    "endpoint_url",
    "endpoint_type",
    "rate_limit_key",
    "rate_limit_ip",
)


@transaction.atomic
def settings_update(
    *, actor: User | None, version: int | None = None, now: datetime | None = None, **changes
) -> Open311Settings:
    """Change the Open311 settings (the office director)."""
    _require(actor, Role.OFFICE_DIRECTOR)
    try:
        with transaction.atomic():
            Open311Settings.objects.get_or_create(pk=1)
    except IntegrityError:
        pass  # created by a concurrent save; locked below
    current = Open311Settings.objects.select_for_update().get(pk=1)
    if version is not None and current.version != version:
        raise _conflict()
    before = {f: getattr(current, f) for f in changes}
    for name, value in changes.items():
        if name not in SETTINGS_FIELDS:
            raise ValueError(name)
        setattr(current, name, value.strip() if isinstance(value, str) else value)
    current.full_clean()
    current.changed_at = _now(now)
    current.version = F("version") + 1
    current.save()
    current.refresh_from_db()
    audit_log(
        action="open311.settings.update",
        actor=actor,
        obj=current,
        data={"changes": _changes(before, {f: getattr(current, f) for f in changes})},
    )
    return current


# --- services and their attributes -----------------------------------------------------------

SERVICE_FIELDS = (
    "category",
    "service_name",
    "description",
    "type",
    "keywords",
    "group",
    "service_notice",
    "order",
    "is_active",
)


def _service_values(service: Service) -> dict:
    return {
        f: (service.category.code if f == "category" else getattr(service, f))
        for f in SERVICE_FIELDS
    }


@transaction.atomic
def service_create(
    *,
    actor: User | None,
    service_code: str,
    category: Category,
    service_name: str,
    description: str = "",
    type: str = ServiceType.REALTIME,
    keywords: str = "",
    group: str = "",
    service_notice: str = "",
    order: int = 0,
    is_active: bool = True,
) -> Service:
    """Offer a complaint category to Open311 clients under ``service_code``."""
    _require(actor, Role.OFFICE_DIRECTOR)
    service = Service(
        service_code=service_code.strip(),
        category=category,
        service_name=service_name.strip(),
        description=description.strip(),
        type=type,
        keywords=keywords.strip(),
        group=group.strip(),
        service_notice=service_notice.strip(),
        order=order,
        is_active=is_active,
    )
    if Service.objects.filter(service_code__iexact=service.service_code).exists():
        raise ValidationError({"service_code": _("Another service already has this code.")})
    service.full_clean(validate_unique=False)
    if is_active and not category.is_active:
        raise ValidationError({"category": _("This category is no longer in use.")})
    service.save()
    audit_log(
        action="open311.service.create",
        actor=actor,
        obj=service,
        data={"service_code": service.service_code, **_service_values(service)},
    )
    return service


@transaction.atomic
def service_update(
    *, actor: User | None, service: Service, version: int | None = None, **changes
) -> Service:
    """Change a service; its code stays, because clients and filed requests refer to it."""
    _require(actor, Role.OFFICE_DIRECTOR)
    service = Service.objects.select_for_update().select_related("category").get(pk=service.pk)
    if version is not None and service.version != version:
        raise _conflict()
    before = _service_values(service)
    for name, value in changes.items():
        if name not in SERVICE_FIELDS:
            raise ValueError(name)
        setattr(service, name, value.strip() if isinstance(value, str) else value)
    service.full_clean(validate_unique=False)
    if service.is_active and not service.category.is_active:
        raise ValidationError({"category": _("This category is no longer in use.")})
    service.version = F("version") + 1
    service.save()
    service.refresh_from_db()
    audit_log(
        action="open311.service.update",
        actor=actor,
        obj=service,
        data={
            "service_code": service.service_code,
            "changes": _changes(before, _service_values(service)),
        },
    )
    return service


def _check_values(values: list[dict]) -> None:
    keys = [str(v.get("key", "")).strip() for v in values]
    if any(not k for k in keys) or len(set(keys)) != len(keys):
        raise ValidationError({"values": _("Each choice needs its own key.")})


@transaction.atomic
def attribute_save(
    *,
    actor: User | None,
    service: Service,
    attribute: ServiceAttribute | None = None,
    code: str,
    description: str,
    order: int,
    datatype: str = AttributeDatatype.STRING,
    variable: bool = True,
    required: bool = False,
    datatype_description: str = "",
    values: list[dict] | None = None,
) -> ServiceAttribute:
    """Add a question to a service's definition, or change one."""
    _require(actor, Role.OFFICE_DIRECTOR)
    service = Service.objects.select_for_update().get(pk=service.pk)
    creating = attribute is None
    if creating:
        attribute = ServiceAttribute(service=service)
    else:
        attribute = ServiceAttribute.objects.select_for_update().get(
            pk=attribute.pk, service=service
        )
    values = list(values or [])
    _check_values(values)
    if datatype in LIST_DATATYPES and not values:
        raise ValidationError({"values": _("A list needs at least one choice.")})
    if datatype not in LIST_DATATYPES:
        values = []
    if not variable:
        required = False
    attribute.code, attribute.description = code.strip(), description.strip()
    attribute.order, attribute.datatype, attribute.variable = order, datatype, variable
    attribute.required, attribute.values = required, values
    attribute.datatype_description = datatype_description.strip()
    attribute.full_clean(exclude=["service"], validate_constraints=False)
    others = service.attributes.exclude(pk=attribute.pk)
    if others.filter(code__iexact=attribute.code).exists():
        raise ValidationError({"code": _("Another question of this service has this code.")})
    if others.filter(order=attribute.order).exists():
        raise ValidationError({"order": _("Another question of this service has this place.")})
    attribute.save()
    audit_log(
        action="open311.attribute.create" if creating else "open311.attribute.update",
        actor=actor,
        obj=service,
        data={
            "service_code": service.service_code,
            "code": attribute.code,
            "datatype": datatype,
            "required": required,
            "values": [v["key"] for v in values],
        },
    )
    return attribute


@transaction.atomic
def attribute_delete(*, actor: User | None, attribute: ServiceAttribute) -> None:
    """Remove a question; answers already given stay with the requests that carry them."""
    _require(actor, Role.OFFICE_DIRECTOR)
    service = Service.objects.select_for_update().get(pk=attribute.service_id)
    code = attribute.code
    ServiceAttribute.objects.filter(pk=attribute.pk).delete()
    audit_log(
        action="open311.attribute.delete",
        actor=actor,
        obj=service,
        data={"service_code": service.service_code, "code": code},
    )


# --- API clients and their keys --------------------------------------------------------------


@dataclass(frozen=True)
class IssuedKey:
    """A client and its new key: the key is shown once and never stored."""

    client: ApiClient
    key: str


def _new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


@transaction.atomic
def client_create(
    *,
    actor: User | None,
    name: str,
    unit: Unit,
    contact: str = "",
    now: datetime | None = None,
) -> IssuedKey:
    """Register an API client (the system administrator, or the command line): its service
    account in ``unit`` (the office that receives the cases), and its first key."""
    _require(actor, Role.SYSTEM_ADMIN)
    now = _now(now)
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Name the client.")})
    if len(name) > 50:
        raise ValidationError({"name": _("Keep the name within 50 characters.")})
    if ApiClient.objects.filter(name__iexact=name).exists():
        raise ValidationError({"name": _("Another client already has this name.")})
    account = user_create(
        actor=actor,
        username=f"open311-{secrets.token_hex(5)}",
        name=f"{name} (Open311)",
        unit=unit,
        password=None,
        roles=(),
        must_change_password=False,
    )
    key = _new_key()
    client = ApiClient(
        name=name,
        contact=contact.strip(),
        account=account,
        key_prefix=key[:12],
        key_hash=key_hash(key),
        created_by=actor,
        created_at=now,
        key_issued_at=now,
    )
    client.full_clean(exclude=["account", "created_by"])
    client.save()
    audit_log(
        action="open311.client.create",
        actor=actor,
        obj=client,
        data={"name": name, "account": account.username, "key_prefix": client.key_prefix},
    )
    return IssuedKey(client=client, key=key)


@transaction.atomic
def client_rotate_key(
    *, actor: User | None, client: ApiClient, now: datetime | None = None
) -> IssuedKey:
    """Issue a new key; the old one stops working at once. A revoked client is active again."""
    _require(actor, Role.SYSTEM_ADMIN)
    now = _now(now)
    client = ApiClient.objects.select_for_update().select_related("account").get(pk=client.pk)
    key = _new_key()
    reactivated = not client.is_active
    client.key_prefix, client.key_hash, client.key_issued_at = key[:12], key_hash(key), now
    client.is_active, client.revoked_at, client.revoked_by = True, None, None
    client.version = F("version") + 1
    client.save()
    client.refresh_from_db()
    if not client.account.is_active:
        client.account = user_set_active(actor=actor, user=client.account, active=True)
    audit_log(
        action="open311.client.rotate_key",
        actor=actor,
        obj=client,
        data={"name": client.name, "key_prefix": client.key_prefix, "reactivated": reactivated},
    )
    return IssuedKey(client=client, key=key)


@transaction.atomic
def client_revoke(*, actor: User | None, client: ApiClient, now: datetime | None = None):
    """Revoke the client's key and deactivate its service account; its cases stay."""
    _require(actor, Role.SYSTEM_ADMIN)
    now = _now(now)
    client = ApiClient.objects.select_for_update().select_related("account").get(pk=client.pk)
    if not client.is_active:
        raise ValidationError(_("This client's key is already revoked."), code="revoked")
    client.is_active, client.revoked_at, client.revoked_by = False, now, actor
    client.version = F("version") + 1
    client.save()
    client.refresh_from_db()
    if client.account.is_active:
        client.account = user_set_active(actor=actor, user=client.account, active=False)
    audit_log(
        action="open311.client.revoke",
        actor=actor,
        obj=client,
        data={"name": client.name, "key_prefix": client.key_prefix},
    )
    return client


def client_touch(*, client: ApiClient, now: datetime | None = None) -> None:
    """Note that the client used its key (at most once a minute; not audited)."""
    now = _now(now)
    ApiClient.objects.filter(pk=client.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - TOUCH_INTERVAL)
    ).update(last_used_at=now)


# --- filing a request --------------------------------------------------------------------------


@dataclass(frozen=True)
class RequestInput:
    """The parameters of a GeoReport v2 POST, as the client sent them (strings)."""

    service_code: str = ""
    description: str = ""
    lat: str = ""
    long: str = ""
    address_string: str = ""
    address_id: str = ""
    email: str = ""
    device_id: str = ""
    account_id: str = ""
    first_name: str = ""
    last_name: str = ""
    phone: str = ""
    media_url: str = ""
    attributes: dict[str, list[str]] = field(default_factory=dict)


class _Errors:
    """Collects problems per parameter, so that the client hears about all of them at once."""

    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}

    def add(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)

    def raise_any(self) -> None:
        if self.errors:
            raise ValidationError(self.errors)


def _text(errors: _Errors, name: str, value: str, limit: int, *, multiline=False) -> str:
    value = (value or "").strip()
    if len(value) > limit:
        errors.add(name, _("Keep this within %(limit)s characters.") % {"limit": limit})
    if _CONTROL.search(value) or (not multiline and ("\n" in value or "\r" in value)):
        errors.add(name, _("This contains characters that are not allowed."))
    return value


def _coordinate(errors: _Errors, name: str, value: str, bound: int) -> Decimal | None:
    if not value:
        return None
    try:
        number = Decimal(value)
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite() or abs(number) > bound:
        errors.add(
            name,
            _("Give a number between -%(bound)s and %(bound)s (WGS84 degrees).") % {"bound": bound},
        )
        return None
    return number.quantize(Decimal("0.000001"))


def _full_name(first: str, last: str) -> str:
    if first and last:
        return f"{first} {last}" if (first + last).isascii() else f"{last}{first}"
    return first or last


def _answers(
    errors: _Errors, service: Service, given: dict[str, list[str]]
) -> tuple[dict, list[tuple[ServiceAttribute, str]]]:
    """Check the attribute answers against the service definition: (stored answers, lines
    for the case's content)."""
    questions = {a.code: a for a in service_attributes(service=service) if a.variable}
    stored: dict = {}
    lines: list[tuple[ServiceAttribute, str]] = []
    for code in given:
        if code not in questions:
            errors.add(f"attribute[{code}]", _("This service has no such attribute."))
    for code, question in questions.items():
        param = f"attribute[{code}]"
        raw = [v.strip() for v in given.get(code, []) if v.strip()]
        if not raw:
            if question.required:
                errors.add(param, _("This attribute is required."))
            continue
        names = {v["key"]: v["name"] for v in question.values}
        if question.datatype == AttributeDatatype.MULTIVALUELIST:
            chosen = list(dict.fromkeys(raw))
            if any(key not in names for key in chosen):
                errors.add(param, _("Choose from the keys the service definition lists."))
                continue
            stored[code] = chosen
            lines.append((question, ", ".join(names[key] for key in chosen)))
            continue
        if len(raw) > 1:
            errors.add(param, _("Give one value only."))
            continue
        value = raw[0]
        if question.datatype == AttributeDatatype.SINGLEVALUELIST:
            if value not in names:
                errors.add(param, _("Choose from the keys the service definition lists."))
                continue
            stored[code], display = value, names[value]
        elif question.datatype == AttributeDatatype.NUMBER:
            try:
                number = Decimal(value)
            except InvalidOperation:
                number = None
            if number is None or not number.is_finite() or len(value) > 40:
                errors.add(param, _("Give a number."))
                continue
            stored[code] = display = str(number)
        elif question.datatype == AttributeDatatype.DATETIME:
            moment = parse_datetime(value) if len(value) <= 40 else None
            if moment is None:
                errors.add(param, _("Give a date and time in ISO 8601 format."))
                continue
            if timezone.is_naive(moment):
                moment = timezone.make_aware(moment)
            stored[code] = display = timezone.localtime(moment).isoformat(timespec="minutes")
        else:
            multiline = question.datatype == AttributeDatatype.TEXT
            text = _text(errors, param, value, 4000 if multiline else 500, multiline=multiline)
            stored[code] = display = text
        lines.append((question, display))
    return stored, lines


def _question_line(question: ServiceAttribute, answer: str) -> str:
    separator = ": " if question.description.isascii() else "："
    return f"{question.description}{separator}{answer}"


def _summary(description: str, service: Service) -> str:
    first_line = description.strip().splitlines()[0].strip() if description.strip() else ""
    if not first_line:
        return service.service_name
    return first_line if len(first_line) <= 60 else first_line[:59] + "…"


@transaction.atomic
def service_request_create(
    *, client: ApiClient, data: RequestInput, now: datetime | None = None
) -> ServiceRequest:
    """File a GeoReport v2 request: it becomes a case on the API channel, registered by the
    client's service account; the complainant comes from the name, phone and e-mail sent
    (anonymous without them), the place from the address or the coordinates."""
    now = _now(now)
    if not settings_get().accepting_requests:
        raise RequestRefused(
            _("The office does not take new requests through this interface at present.")
        )
    if not client.is_active or not client.account.is_active:
        raise RequestRefused(_("This API key is no longer valid."))
    errors = _Errors()
    code = _text(errors, "service_code", data.service_code, 32)
    service = Service.objects.select_related("category").filter(service_code=code).first()
    if not code:
        errors.add("service_code", _("Name the service (service_code)."))
    elif service is None or not service.is_active or not service.category.is_active:
        errors.add("service_code", _("No service has this code."))
    description = _text(errors, "description", data.description, DESCRIPTION_MAX, multiline=True)
    address = _text(errors, "address_string", data.address_string, 200)
    address_id = _text(errors, "address_id", data.address_id, 64)
    lat = _coordinate(errors, "lat", (data.lat or "").strip(), 90)
    long = _coordinate(errors, "long", (data.long or "").strip(), 180)
    if (
        (lat is None) != (long is None)
        and "lat" not in errors.errors
        and ("long" not in errors.errors)
    ):
        errors.add("lat" if lat is None else "long", _("Give both lat and long."))
    if not (address or address_id) and (lat is None or long is None):
        errors.add(
            "lat",
            _("Give the location: lat and long, or address_string, or address_id."),
        )
    first = _text(errors, "first_name", data.first_name, 30)
    last = _text(errors, "last_name", data.last_name, 30)
    phone = _text(errors, "phone", data.phone, 32)
    if phone and not _PHONE.match(phone):
        errors.add("phone", _("Give a phone number (digits, spaces, + - and brackets)."))
    email = _text(errors, "email", data.email, 254)
    if email:
        try:
            EmailValidator()(email)
        except ValidationError:
            errors.add("email", _("Give a valid e-mail address."))
    name = _full_name(first, last)
    if email and not (name or phone):
        errors.add(
            "email",
            _(
                "Send the complainant's name or phone number with the e-mail address, or send "
                "none of them for an anonymous request."
            ),
        )
    media_url = _text(errors, "media_url", data.media_url, 500)
    if media_url:
        try:
            URLValidator(schemes=["http", "https"])(media_url)
        except ValidationError:
            errors.add("media_url", _("Give an http or https address."))
    device_id = _text(errors, "device_id", data.device_id, 100)
    account_id = _text(errors, "account_id", data.account_id, 100)
    stored, lines = _answers(errors, service, data.attributes) if service else ({}, [])
    errors.raise_any()

    content = "\n".join(
        [description or service.service_name]
        + ([""] + [_question_line(q, a) for q, a in lines] if lines else [])
        + (["", media_url] if media_url else [])
    )
    place = address or (f"{lat}, {long}" if lat is not None else "")
    case = case_register(
        actor=client.account,
        channel=Channel.API,
        category=service.category,
        summary=_summary(description, service),
        content=content,
        complainant=ComplainantData(
            anonymous=not (name or phone), name=name, phone=phone, email=email
        ),
        place=place,
        service_account=True,
        now=now,
    )
    # Like the case's own texts, what is kept here carries no identity: it lives only, and
    # encrypted, in the complainant's record.
    identity = Identity(name=name, phone=phone, email=email)
    request = ServiceRequest.objects.create(
        case=case,
        client=client,
        service=service,
        token=secrets.token_urlsafe(24),
        description=scrub_identity(description, identity),
        address_string=scrub_identity(address, identity),
        address_id=address_id,
        latitude=lat,
        longitude=long,
        media_url=media_url,
        attributes=stored,
        device_id=device_id,
        account_id=account_id,
        created_at=now,
    )
    audit_log(
        action="open311.request.create",
        actor=client.account,
        obj=case,
        data={
            "number": case.number,
            "client": client.pk,
            "client_name": client.name,
            "service_code": service.service_code,
        },
    )
    return request
