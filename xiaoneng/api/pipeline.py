"""What happens to every call of the REST API before and after its endpoint, in this order:

1. the body's declared size is checked (413 ``payload_too_large``): JSON bodies up to
   ``API_MAX_BODY_BYTES`` (1 MiB), uploads up to the attachment limit plus 1 MiB of form;
2. the bearer token is found and checked (its absence or a bad token is answered 401 by the
   endpoint's authentication), its last use recorded, and the request context told which
   token acts, so that every audit row of the call names it;
3. the token's calls in the current minute are counted (429 ``rate_limited`` with
   ``Retry-After`` beyond ``API_RATE_LIMIT_PER_MINUTE``);
4. a POST needs an ``Idempotency-Key``: a request already answered under that key gets the
   stored answer again (``Idempotent-Replayed: true``), the same key with another request is
   refused (422 ``idempotency_key_reused``), a key whose request is still running is a 409;
   otherwise the endpoint runs in one transaction together with storing its answer. An
   endpoint marked ``never_replayed`` (the complainant's identity) has its answer never
   stored: a repeated request runs again, and is audited again;
5. the endpoint runs; any exception becomes a JSON error (``errors.py``), never a page.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import re

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _
from ninja.security import HttpBearer

from xiaoneng.api import errors
from xiaoneng.api.selectors import TokenCheck, token_check
from xiaoneng.api.services import (
    idempotency_release,
    idempotency_reserve,
    idempotency_store,
    rate_limit_hit,
    token_touch,
)
from xiaoneng.cases.attachments import max_bytes as attachment_max_bytes
from xiaoneng.core.middleware import client_ip, request_context_set_api_token

logger = logging.getLogger("xiaoneng.api")

DEFAULT_MAX_BODY_BYTES = 1024 * 1024
#: Room for the form fields and multipart framing around an uploaded file.
UPLOAD_OVERHEAD_BYTES = 1024 * 1024
IDEMPOTENCY_HEADER = "Idempotency-Key"
_KEY_SHAPE = re.compile(r"^[\x21-\x7e]{1,255}$")
_BEARER = re.compile(r"^Bearer\s+(\S+)\s*$", re.IGNORECASE)


def max_body_bytes() -> int:
    return int(getattr(settings, "API_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES))


def max_upload_bytes() -> int:
    return attachment_max_bytes() + UPLOAD_OVERHEAD_BYTES


# --- the token ----------------------------------------------------------------------------------


def request_token_check(request: HttpRequest) -> TokenCheck | None:
    """The check of the request's bearer token (None without an Authorization header),
    computed once per request."""
    if not hasattr(request, "_xn_token_check"):
        header = request.headers.get("Authorization", "")
        match = _BEARER.match(header)
        if not header:
            request._xn_token_check = None
        elif match is None:
            request._xn_token_check = TokenCheck(None, "invalid_token")
        else:
            request._xn_token_check = token_check(raw=match.group(1))
    return request._xn_token_check


class TokenAuth(HttpBearer):
    """``Authorization: Bearer xn_…``: a personal or system token (see the token screens)."""

    openapi_scheme = "bearer"

    def __call__(self, request: HttpRequest):
        check = request_token_check(request)
        if check is None:
            raise errors.not_authenticated()
        if check.token is None:
            raise errors.not_authenticated(check.code)
        return check.token

    def authenticate(self, request: HttpRequest, token: str):  # pragma: no cover - see __call__
        return None


# --- the request's fingerprint -------------------------------------------------------------------


def _body_digest(request: HttpRequest) -> bytes:
    """What identifies the request's body: for JSON, its canonical form (key order and spacing
    do not matter); for a multipart upload, the fields and each file's content."""
    if request.content_type == "multipart/form-data":
        digest = hashlib.sha256()
        for name in sorted(request.POST):
            for value in request.POST.getlist(name):
                digest.update(f"field\0{name}\0{value}\0".encode("utf-8", "backslashreplace"))
        for name in sorted(request.FILES):
            for upload in request.FILES.getlist(name):
                head = f"file\0{name}\0{upload.name}\0{upload.size}\0"
                digest.update(head.encode("utf-8", "backslashreplace"))
                for chunk in upload.chunks():
                    digest.update(chunk)
                upload.seek(0)
        return digest.digest()
    body = request.body
    try:
        canonical = json.dumps(
            json.loads(body), sort_keys=True, separators=(",", ":"), ensure_ascii=True
        ).encode()
    except (ValueError, UnicodeDecodeError, RecursionError):
        canonical = body
    return hashlib.sha256(canonical).digest()


def request_fingerprint(request: HttpRequest) -> str:
    digest = hashlib.sha256()
    head = f"{request.method}\0{request.path}\0{request.META.get('QUERY_STRING', '')}\0"
    digest.update(head.encode("utf-8", "backslashreplace"))
    digest.update(_body_digest(request))
    return digest.hexdigest()


# --- the wrapper ---------------------------------------------------------------------------------


def _declared_length(request: HttpRequest) -> int:
    try:
        return max(0, int(request.META.get("CONTENT_LENGTH") or 0))
    except ValueError:
        return 0


def _too_large(limit: int) -> HttpResponse:
    return errors.respond(errors.payload_too_large(limit))


def _not_allowed(allowed) -> HttpResponse:
    return errors.error_response(
        405,
        "method_not_allowed",
        _("This method is not allowed here."),
        headers={"Allow": ", ".join(sorted(allowed))},
    )


def _replay(record) -> HttpResponse:
    response = HttpResponse(
        bytes(record.body), status=record.status_code, content_type=record.content_type
    )
    response["Idempotent-Replayed"] = "true"
    if record.location:
        response["Location"] = record.location
    return response


def never_replayed(endpoint):
    """Mark an endpoint whose answer must not be stored for replays: it may only be read with
    an audit row each time (the complainant's identity). Its POST still needs an
    Idempotency-Key; a repeated request runs the endpoint again."""
    endpoint.never_replayed = True
    return endpoint


def _run_once(view, request: HttpRequest, token, args, kwargs, *, replay: bool) -> HttpResponse:
    """Step 4: the POST under its idempotency key."""
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if key is None:
        return errors.error_response(
            400,
            "idempotency_key_missing",
            _("Send an Idempotency-Key header with every POST request, e.g. a new UUID."),
        )
    if not _KEY_SHAPE.match(key):
        return errors.error_response(
            400,
            "idempotency_key_invalid",
            _("The Idempotency-Key must be 1 to 255 visible ASCII characters."),
        )
    fingerprint = request_fingerprint(request)
    reservation = idempotency_reserve(
        token=token, key=key, fingerprint=fingerprint, method=request.method, path=request.path
    )
    existing = reservation.existing
    if existing is not None:
        if existing.fingerprint != fingerprint:
            return errors.error_response(
                422,
                "idempotency_key_reused",
                _("This Idempotency-Key was used for a different request; use a new key."),
            )
        if existing.status_code is None:
            return errors.error_response(
                409,
                "idempotency_key_in_use",
                _("A request with this Idempotency-Key is still being processed; retry shortly."),
                headers={"Retry-After": "1"},
            )
        return _replay(existing)
    record = reservation.record
    if record is None:  # lost every race for the key: let the client retry
        return errors.error_response(
            409,
            "idempotency_key_in_use",
            _("A request with this Idempotency-Key is still being processed; retry shortly."),
            headers={"Retry-After": "1"},
        )
    kept = False
    try:
        with transaction.atomic():
            response = view(request, *args, **kwargs)
            if response.status_code >= 500 or response.streaming:
                transaction.set_rollback(True)
            elif replay:
                idempotency_store(
                    record=record,
                    status_code=response.status_code,
                    content_type=response.get("Content-Type", ""),
                    body=response.content,
                    location=response.get("Location", ""),
                )
                kept = True
    finally:
        if not kept:
            idempotency_release(record=record)
    return response


def _serve(view, request: HttpRequest, args, kwargs, *, methods, uploads, replay) -> HttpResponse:
    if methods and request.method not in methods and request.method != "OPTIONS":
        return _not_allowed(methods)
    multipart = request.content_type == "multipart/form-data"
    limit = max_upload_bytes() if uploads and multipart else max_body_bytes()
    if _declared_length(request) > limit:
        return _too_large(limit)
    check = request_token_check(request)
    token = check.token if check is not None else None
    if token is None:
        return view(request, *args, **kwargs)  # the endpoint's authentication answers 401
    request_context_set_api_token(token_id=token.pk, prefix=token.prefix)
    token_touch(token=token, ip=client_ip(request))
    decision = rate_limit_hit(token=token)
    rate_headers = {
        "X-RateLimit-Limit": str(decision.limit),
        "X-RateLimit-Remaining": str(decision.remaining),
        "X-RateLimit-Reset": str(decision.reset_seconds),
    }
    if not decision.allowed:
        response = errors.error_response(
            429,
            "rate_limited",
            _("Too many requests with this token; retry in %(seconds)s seconds.")
            % {"seconds": decision.reset_seconds},
            headers={"Retry-After": str(decision.reset_seconds)},
        )
    elif request.method == "POST":
        response = _run_once(view, request, token, args, kwargs, replay=replay)
    else:
        response = view(request, *args, **kwargs)
    for name, value in rate_headers.items():
        response[name] = value
    return response


def api_view(
    view, *, methods: frozenset[str] = frozenset(), uploads: bool = False, replay: bool = True
):
    """``view`` (a ninja path view) behind the steps of this module's docstring; without
    ``replay`` its POST answers are never stored (see ``never_replayed``)."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            response = _serve(
                view, request, args, kwargs, methods=methods, uploads=uploads, replay=replay
            )
        except (MultiPartParserError, SuspiciousOperation) as exc:
            if isinstance(exc, RequestDataTooBig):
                return _too_large(min(max_body_bytes(), settings.DATA_UPLOAD_MAX_MEMORY_SIZE))
            return errors.respond(errors.unreadable_body())
        except Http404:
            return errors.respond(errors.not_found())
        except Exception:
            logger.exception("Unexpected error in %s %s", request.method, request.path)
            return errors.respond(errors.server_error())
        if isinstance(response, HttpResponseNotAllowed):
            return _not_allowed(set(response["Allow"].replace(" ", "").split(",")))
        response["Cache-Control"] = "no-store"
        return response

    return wrapped


def not_found_view(request: HttpRequest, *args, **kwargs) -> HttpResponse:
    """Any other path under the API: a JSON 404, never the site's HTML page."""
    return errors.error_response(404, "not_found", _("There is no such API endpoint."))
