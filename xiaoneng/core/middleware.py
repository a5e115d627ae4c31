"""Per-request context: a request id, the client address and, for a call of the REST API, the
token it acts through; for logs and the audit trail."""

from __future__ import annotations

import contextvars
import re
import uuid
from dataclasses import dataclass, replace

from django.conf import settings


@dataclass(frozen=True)
class RequestContext:
    request_id: str
    ip: str | None
    #: The API token of the call (its id and prefix, never the secret); None on the screens.
    api_token: tuple[tuple[str, object], ...] | None = None


_current: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar(
    "xiaoneng_request", default=None
)
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def current_request_context() -> RequestContext | None:
    return _current.get()


def request_context_set_api_token(*, token_id: int, prefix: str) -> None:
    """Record that the current request acts through an API token, so that every audit row
    written while serving it names the token."""
    context = _current.get()
    if context is not None:
        _current.set(replace(context, api_token=(("id", token_id), ("prefix", prefix))))


def client_ip(request) -> str | None:
    """The client's address: REMOTE_ADDR, or the address the trusted proxies saw."""
    hops = settings.TRUSTED_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if hops and forwarded:
        parts = [p.strip() for p in forwarded.split(",") if p.strip()]
        if len(parts) >= hops:
            return parts[-hops]
    return request.META.get("REMOTE_ADDR") or None


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        token = _current.set(RequestContext(request_id=request_id, ip=client_ip(request)))
        try:
            response = self.get_response(request)
        finally:
            _current.reset(token)
        response["X-Request-ID"] = request_id
        return response
