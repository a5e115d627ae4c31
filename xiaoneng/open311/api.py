"""The Open311 GeoReport v2 endpoints (``/open311/v2/``): discovery, services, service
definitions, filing and reading requests, and tokens, each in JSON or XML by the path's
suffix. Every answer, including every error, is in the specification's format: a failure is
an array of ``{code, description}`` (``<errors><error>`` in XML) with the HTTP status as its
code — never an HTML page.

Before an endpoint runs, each call is checked in this order: the method (405), the body's
size and encoding (413, 400), the rate limit of its API key or, without a key, of its address
(429 with Retry-After), the API key itself (403), the jurisdiction (404)."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import wraps

from django.core.exceptions import (
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    ValidationError,
)
from django.http import HttpRequest, HttpResponse, QueryDict
from django.http.multipartparser import MultiPartParserError
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from xiaoneng.core.middleware import client_ip
from xiaoneng.open311 import selectors as sel
from xiaoneng.open311.choices import LIST_DATATYPES, ServiceType
from xiaoneng.open311.formats import JSON, XML, render
from xiaoneng.open311.models import ApiClient, Open311Settings
from xiaoneng.open311.ratelimit import RateDecision, rate_limit_hit
from xiaoneng.open311.services import (
    RequestInput,
    RequestRefused,
    client_touch,
    service_request_create,
)

logger = logging.getLogger(__name__)

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
#: The largest request body accepted (a description of 4,000 characters fits many times).
MAX_BODY_BYTES = 64 * 1024
FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})
#: GET requests: the longest span between start_date and end_date, and the default window.
MAX_SPAN = timedelta(days=90)
MAX_IDS = 100
_ID = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
_ATTRIBUTE = re.compile(r"^attribute\[([^\[\]]{1,50})\](\[\])?$")


class ApiError(Exception):
    """An answer in the specification's error format."""

    def __init__(self, status: int, *descriptions: str, headers: dict | None = None):
        super().__init__(status, descriptions)
        self.status, self.descriptions, self.headers = status, descriptions, headers or {}


@dataclass(frozen=True)
class Call:
    request: HttpRequest
    fmt: str
    params: QueryDict
    settings: Open311Settings
    client: ApiClient | None
    rate: RateDecision


def _error_response(fmt: str, error: ApiError) -> HttpResponse:
    body = [{"code": error.status, "description": d} for d in error.descriptions]
    response = render(fmt, "errors", body, status=error.status)
    for name, value in error.headers.items():
        response[name] = value
    return response


def _params(request: HttpRequest) -> QueryDict:
    """The call's parameters: the query string, and for a POST the form-encoded body on
    top of it."""
    try:
        if request.method != "POST":
            return request.GET
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            raise ApiError(400, _("The Content-Length header is not a number.")) from None
        if length > MAX_BODY_BYTES:
            raise ApiError(413, _body_too_large())
        if request.content_type not in FORM_TYPES:
            raise ApiError(
                400,
                _("Send the parameters form-encoded (application/x-www-form-urlencoded)."),
            )
        merged = request.GET.copy()
        for key, values in request.POST.lists():
            merged.setlist(key, values)
        return merged
    except RequestDataTooBig:
        raise ApiError(413, _body_too_large()) from None
    except (TooManyFieldsSent, MultiPartParserError, SuspiciousOperation):
        raise ApiError(400, _("The request body could not be read.")) from None


def _body_too_large() -> str:
    return _("The request body is too large: at most %(size)s KB.") % {
        "size": MAX_BODY_BYTES // 1024
    }


def _single(params: QueryDict, name: str) -> str:
    value = params.get(name, "")
    if "\x00" in value:
        raise ApiError(400, _("%(field)s: %(message)s") % _invalid(name))
    return value.strip()


def _invalid(name: str) -> dict:
    return {"field": name, "message": _("This contains characters that are not allowed.")}


def _prepare(request, fmt: str, methods: tuple[str, ...], reads_requests: bool) -> Call:
    allowed = methods + (("HEAD",) if "GET" in methods else ())
    if request.method not in allowed:
        raise ApiError(
            405,
            _("This resource does not answer %(method)s.") % {"method": request.method[:10]},
            headers={"Allow": ", ".join(allowed)},
        )
    params = _params(request)
    settings = sel.settings_get()
    key = _single(params, "api_key")
    client = sel.client_authenticate(key=key) if key else None
    if client is not None:
        rate = rate_limit_hit(bucket=f"key:{client.pk}", limit=settings.rate_limit_key)
    else:
        address = client_ip(request) or "unknown"
        rate = rate_limit_hit(bucket=f"ip:{address}", limit=settings.rate_limit_ip)
    if not rate.allowed:
        raise ApiError(
            429,
            _("Too many requests: at most %(limit)s a minute. Try again in %(seconds)s seconds.")
            % {"limit": rate.limit, "seconds": rate.retry_after},
            headers={"Retry-After": str(rate.retry_after)},
        )
    if key and client is None:
        raise ApiError(403, _("The api_key is not valid."))
    jurisdiction = _single(params, "jurisdiction_id")
    if jurisdiction and jurisdiction != settings.jurisdiction_id:
        raise ApiError(
            404,
            _("jurisdiction_id %(id)s was not found.") % {"id": jurisdiction[:100]},
        )
    if reads_requests and client is None and not settings.requests_public:
        raise ApiError(403, _("Reading requests needs an api_key."))
    if client is not None:
        client_touch(client=client)
    return Call(request, fmt, params, settings, client, rate)


def endpoint(*methods: str, reads_requests: bool = False) -> Callable:
    """Wrap a GeoReport endpoint: the checks of ``_prepare``, then the view, whose
    ``ApiError`` (and any unexpected failure) becomes an error answer in the call's format."""

    def decorate(view: Callable) -> Callable:
        @csrf_exempt
        @wraps(view)
        def wrapper(request, fmt: str = JSON, **kwargs) -> HttpResponse:
            try:
                call = _prepare(request, fmt, methods, reads_requests)
                response = view(call, **kwargs)
            except ApiError as error:
                return _error_response(fmt, error)
            except Exception:
                logger.exception("Open311 call failed: %s %s", request.method, request.path)
                return _error_response(
                    fmt,
                    ApiError(
                        500,
                        _(
                            "The request could not be processed. Try again later; if it "
                            "keeps failing, tell the office."
                        ),
                    ),
                )
            response["X-RateLimit-Limit"] = str(call.rate.limit)
            response["X-RateLimit-Remaining"] = str(max(0, call.rate.limit - call.rate.hits))
            if reads_requests:
                response["Cache-Control"] = "no-store"
            return response

        return wrapper

    return decorate


# --- discovery and services ------------------------------------------------------------------


def _base_url(call: Call) -> str:
    if call.settings.endpoint_url:
        return call.settings.endpoint_url.rstrip("/")
    services = reverse("open311:services", kwargs={"fmt": JSON})
    return call.request.build_absolute_uri(services).rsplit("/", 1)[0]


def _stamp(moment: datetime | None) -> str | None:
    return timezone.localtime(moment).isoformat(timespec="seconds") if moment else None


@endpoint("GET")
def discovery(call: Call) -> HttpResponse:
    settings = call.settings
    changeset = _stamp(settings.changed_at)
    document = {
        "changeset": changeset,
        "contact": settings.contact or None,
        "key_service": settings.key_service or None,
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": _base_url(call),
                "changeset": changeset,
                "type": settings.endpoint_type,
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
    return render(call.fmt, "discovery", document)


@endpoint("GET")
def services(call: Call) -> HttpResponse:
    body = [
        {
            "service_code": service.service_code,
            "service_name": service.service_name,
            "description": service.description or None,
            "metadata": service.attribute_count > 0,
            "type": service.type,
            "keywords": service.keywords or None,
            "group": service.group or None,
        }
        for service in sel.service_list()
    ]
    return render(call.fmt, "services", body)


@endpoint("GET")
def service_definition(call: Call, service_code: str) -> HttpResponse:
    service = sel.service_get(code=service_code)
    if service is None:
        raise ApiError(404, _("service_code %(code)s was not found.") % {"code": service_code})
    attributes = []
    for attribute in sel.service_attributes(service=service):
        item = {
            "variable": attribute.variable,
            "code": attribute.code,
            "datatype": attribute.datatype,
            "required": attribute.required,
            "datatype_description": attribute.datatype_description or None,
            "order": attribute.order,
            "description": attribute.description,
        }
        if attribute.datatype in LIST_DATATYPES:
            item["values"] = [{"key": v["key"], "name": v["name"]} for v in attribute.values]
        attributes.append(item)
    return render(
        call.fmt,
        "service_definition",
        {"service_code": service.service_code, "attributes": attributes},
    )


# --- requests --------------------------------------------------------------------------------


def _list_param(call: Call, name: str, pattern: re.Pattern, limit: int) -> list[str]:
    raw = _single(call.params, name)
    values = [v.strip() for v in raw.split(",") if v.strip()]
    if len(values) > limit or any(not pattern.match(v) for v in values):
        raise ApiError(
            400,
            _("%(field)s: %(message)s")
            % {
                "field": name,
                "message": _("Give at most %(limit)s values separated by commas.")
                % {"limit": limit},
            },
        )
    return values


def _moment(call: Call, name: str) -> datetime | None:
    raw = _single(call.params, name)
    if not raw:
        return None
    moment = parse_datetime(raw) if len(raw) <= 40 else None
    if moment is None and len(raw) == 10:
        day = parse_date(raw)
        moment = datetime.combine(day, datetime.min.time()) if day else None
    if moment is None:
        raise ApiError(
            400,
            _("%(field)s: %(message)s")
            % {
                "field": name,
                "message": _("Give a date and time in W3C format, e.g. 2026-03-02T09:30:00+08:00."),
            },
        )
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def _window(call: Call) -> tuple[datetime, datetime]:
    start, end = _moment(call, "start_date"), _moment(call, "end_date")
    if start is None and end is None:
        end = timezone.now()
    if start is None:
        start = end - MAX_SPAN
    if end is None:
        end = start + MAX_SPAN
    if end < start:
        raise ApiError(400, _("end_date must not be before start_date."))
    if end - start > MAX_SPAN:
        raise ApiError(400, _("start_date and end_date may span at most 90 days."))
    return start, end


def _statuses(call: Call) -> set[str]:
    statuses = {s.strip() for s in _single(call.params, "status").split(",") if s.strip()}
    if statuses - {sel.OPEN, sel.CLOSED}:
        raise ApiError(
            400,
            _("%(field)s: %(message)s")
            % {"field": "status", "message": _("Give open, closed or both.")},
        )
    return statuses


def _request_list(call: Call) -> HttpResponse:
    numbers = _list_param(call, "service_request_id", _ID, MAX_IDS)
    if numbers:
        found = sel.request_search(numbers=numbers)
    else:
        codes = _list_param(call, "service_code", _ID, MAX_IDS)
        start, end = _window(call)
        found = sel.request_search(
            service_codes=codes, start=start, end=end, statuses=_statuses(call)
        )
    records = sel.request_records(requests=found, viewer=call.client)
    return render(call.fmt, "service_requests", records)


def _request_input(params: QueryDict) -> RequestInput:
    fields = {
        name: params.get(name, "")
        for name in RequestInput.__dataclass_fields__
        if name != "attributes"
    }
    attributes: dict[str, list[str]] = {}
    for key, values in params.lists():
        match = _ATTRIBUTE.match(key)
        if match:
            attributes.setdefault(match[1], []).extend(values)
    return RequestInput(**fields, attributes=attributes)


def _validation_descriptions(exc: ValidationError) -> list[str]:
    if not hasattr(exc, "error_dict"):
        return list(exc.messages)
    descriptions = []
    for name, errors in exc.error_dict.items():
        for error in errors:
            message = " ".join(error.messages)
            if name == "__all__":
                descriptions.append(message)
            else:
                descriptions.append(
                    _("%(field)s: %(message)s") % {"field": name, "message": message}
                )
    return descriptions


def _request_create(call: Call) -> HttpResponse:
    if call.client is None:
        raise ApiError(403, _("Filing a request needs an api_key."))
    data = _request_input(call.params)
    try:
        filed = service_request_create(client=call.client, data=data)
    except RequestRefused as exc:
        raise ApiError(403, str(exc)) from None
    except PermissionDenied:
        # The service account changed between the key check and the registration.
        raise ApiError(403, _("The api_key is not valid.")) from None
    except ValidationError as exc:
        raise ApiError(400, *_validation_descriptions(exc)) from None
    answer: dict = {}
    if filed.service.type == ServiceType.REALTIME:
        answer["service_request_id"] = filed.case.number
    elif filed.service.type == ServiceType.BATCH:
        answer["token"] = filed.token
    answer["service_notice"] = filed.service.service_notice or None
    answer["account_id"] = filed.account_id or None
    return render(call.fmt, "service_requests", [answer])


@endpoint("GET", "POST", reads_requests=True)
def requests(call: Call) -> HttpResponse:
    if call.request.method == "POST":
        return _request_create(call)
    return _request_list(call)


@endpoint("GET", reads_requests=True)
def request_detail(call: Call, service_request_id: str) -> HttpResponse:
    found = sel.request_get(number=service_request_id)
    if found is None:
        raise ApiError(404, _("Request %(id)s was not found.") % {"id": service_request_id})
    records = sel.request_records(requests=[found], viewer=call.client)
    return render(call.fmt, "service_requests", records)


@endpoint("GET", reads_requests=True)
def token(call: Call, token: str) -> HttpResponse:
    found = sel.request_by_token(token=token)
    if found is None:
        raise ApiError(404, _("Token %(token)s was not found.") % {"token": token})
    body = [{"service_request_id": found.case.number, "token": found.token}]
    return render(call.fmt, "service_requests", body)


@csrf_exempt
def not_found(request, path: str = "") -> HttpResponse:
    """Anything else under the interface: a 404 in the format the path asks for."""
    fmt = XML if path.endswith(".xml") else JSON
    return _error_response(
        fmt,
        ApiError(
            404,
            _("There is no such resource. The endpoints are listed in discovery.json."),
        ),
    )
