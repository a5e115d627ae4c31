"""Errors of the API, always JSON: ``{"code": …, "message": …, "fields": {…}}``.

``code`` is stable and meant for programs; ``message`` is a sentence in the language of the
request's ``Accept-Language`` (Simplified Chinese by default); ``fields`` names each invalid
field of the request with its messages. Every exception raised while serving a call ends up
here: the request's own mistakes are 4xx answers, anything unexpected a logged 500 answer
with the code ``server_error`` (never Django's HTML error page)."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from django.conf import settings
from django.core.exceptions import (
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
    ValidationError,
)
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from xiaoneng.org.services import ConflictError

logger = logging.getLogger("xiaoneng.api")

#: Where ninja found an invalid value (the first element of an error's location).
_SOURCES = {"body", "query", "path", "header", "form", "file", "cookie"}


class ApiError(Exception):
    """An answer other than success, with its HTTP status, stable code and message."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        fields: Mapping[str, list[str]] | None = None,
        headers: Mapping[str, str] | None = None,
    ):
        super().__init__(code)
        self.status, self.code, self.message = status, code, message
        self.fields = dict(fields) if fields else None
        self.headers = dict(headers or {})


def error_response(
    status: int,
    code: str,
    message: str,
    *,
    fields: Mapping[str, list[str]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> HttpResponse:
    payload: dict = {"code": code, "message": str(message)}
    if fields:
        payload["fields"] = {name: [str(m) for m in messages] for name, messages in fields.items()}
    response = JsonResponse(payload, status=status, json_dumps_params={"ensure_ascii": False})
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def not_authenticated(code: str = "not_authenticated") -> ApiError:
    messages = {
        "not_authenticated": _(
            "Send a token in the Authorization header: “Authorization: Bearer <token>”."
        ),
        "invalid_token": _("The token is not valid."),
        "token_revoked": _("The token has been revoked."),
        "token_expired": _("The token has expired."),
        "account_inactive": _("The account this token acts for is deactivated."),
    }
    return ApiError(
        401,
        code,
        messages.get(code, messages["invalid_token"]),
        headers={"WWW-Authenticate": 'Bearer realm="xiaoneng"'},
    )


def forbidden() -> ApiError:
    return ApiError(403, "forbidden", _("Your roles do not allow this action."))


def not_found() -> ApiError:
    return ApiError(404, "not_found", _("Not found."))


# --- validation messages ------------------------------------------------------------------------


def _pydantic_message(error: Mapping) -> str:
    """A translated message for one pydantic error (pydantic's own are English only)."""
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return _("This field is required.")
    if kind == "value_error" and ctx.get("error"):
        return str(ctx["error"])
    if kind == "string_too_long":
        return _("Ensure this value has at most %(max)s characters.") % {
            "max": ctx.get("max_length")
        }
    if kind == "string_too_short":
        return _("Ensure this value has at least %(min)s characters.") % {
            "min": ctx.get("min_length")
        }
    if kind in ("too_long",):
        return _("Give at most %(max)s items.") % {"max": ctx.get("max_length")}
    if kind in ("too_short",):
        return _("Give at least %(min)s items.") % {"min": ctx.get("min_length")}
    if kind in ("greater_than_equal", "greater_than"):
        bound = ctx.get("ge", ctx.get("gt"))
        if kind == "greater_than":
            return _("Ensure this value is greater than %(bound)s.") % {"bound": bound}
        return _("Ensure this value is greater than or equal to %(bound)s.") % {"bound": bound}
    if kind in ("less_than_equal", "less_than"):
        bound = ctx.get("le", ctx.get("lt"))
        if kind == "less_than":
            return _("Ensure this value is less than %(bound)s.") % {"bound": bound}
        return _("Ensure this value is less than or equal to %(bound)s.") % {"bound": bound}
    if kind.startswith("int_"):
        return _("Enter a whole number.")
    if kind.startswith("bool_"):
        return _("Enter true or false.")
    if kind.startswith("datetime_") or kind == "timezone_aware":
        return _("Enter a valid date and time, e.g. 2026-03-02T09:30:00+08:00.")
    if kind.startswith("date_"):
        return _("Enter a valid date, e.g. 2026-03-02.")
    if kind in ("enum", "literal_error"):
        return _("Choose one of: %(choices)s.") % {"choices": ctx.get("expected", "")}
    if kind.startswith("string_"):
        return _("Enter a text.")
    if kind in ("list_type", "set_type", "tuple_type"):
        return _("Enter a list.")
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return _("Enter an object.")
    if kind == "extra_forbidden":
        return _("This field is not accepted here.")
    if kind == "json_invalid":
        return _("The body is not valid JSON.")
    return _("Enter a valid value.")


def _field_name(loc) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in _SOURCES:
        source = parts.pop(0)
        # A body is read into one parameter (named "body" in every endpoint).
        if source in ("body", "form") and parts and parts[0] in ("body", "payload"):
            parts.pop(0)
        if not parts:
            return source
    return ".".join(parts) or "__all__"


def ninja_validation_fields(errors) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for error in errors:
        fields.setdefault(_field_name(error.get("loc", ())), []).append(_pydantic_message(error))
    return fields


def service_validation_error(exc: ValidationError) -> ApiError:
    """A service's ValidationError: field errors are a 422 naming the fields; an error about
    the state of the record (no field) is a 409 with the error's own code."""
    if isinstance(exc, ConflictError):
        return ApiError(409, "conflict", " ".join(exc.messages))
    if hasattr(exc, "error_dict"):
        fields = {
            ("__all__" if name == "__all__" else name): [str(m) for e in errors for m in e.messages]
            for name, errors in exc.error_dict.items()
        }
        return ApiError(
            422,
            "validation_error",
            _("The request is not valid; see the fields."),
            fields=fields,
        )
    codes = [e.code for e in exc.error_list if getattr(e, "code", None)]
    return ApiError(409, codes[0] if codes else "conflict", " ".join(exc.messages))


# --- the handlers of the NinjaAPI ----------------------------------------------------------------


def respond(exc: ApiError) -> HttpResponse:
    """The JSON answer of ``exc``."""
    return error_response(exc.status, exc.code, exc.message, fields=exc.fields, headers=exc.headers)


def register_handlers(api) -> None:
    """Make every exception an ``error_response``."""

    def on_api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
        return respond(exc)

    def on_ninja_validation(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        return respond(
            ApiError(
                422,
                "validation_error",
                _("The request is not valid; see the fields."),
                fields=ninja_validation_fields(exc.errors),
            )
        )

    def on_authentication(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return respond(not_authenticated())

    def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if exc.status_code == 400:
            return respond(ApiError(400, "invalid_json", _("The body is not valid JSON.")))
        return respond(ApiError(exc.status_code, "http_error", str(exc)))

    def on_404(request: HttpRequest, exc: Http404) -> HttpResponse:
        return respond(not_found())

    def on_permission(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        return respond(forbidden())

    def on_django_validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        return respond(service_validation_error(exc))

    def on_too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        return respond(payload_too_large(settings.DATA_UPLOAD_MAX_MEMORY_SIZE))

    def on_unreadable(request: HttpRequest, exc: Exception) -> HttpResponse:
        return respond(unreadable_body())

    def on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.exception("Unexpected error in %s %s", request.method, request.path)
        return respond(server_error())

    api.add_exception_handler(ApiError, on_api_error)
    api.add_exception_handler(NinjaValidationError, on_ninja_validation)
    api.add_exception_handler(AuthenticationError, on_authentication)
    api.add_exception_handler(HttpError, on_http_error)
    api.add_exception_handler(Http404, on_404)
    api.add_exception_handler(PermissionDenied, on_permission)
    api.add_exception_handler(ValidationError, on_django_validation)
    api.add_exception_handler(RequestDataTooBig, on_too_big)
    api.add_exception_handler(MultiPartParserError, on_unreadable)
    api.add_exception_handler(SuspiciousOperation, on_unreadable)
    api.add_exception_handler(Exception, on_unexpected)


def payload_too_large(limit: int) -> ApiError:
    return ApiError(
        413,
        "payload_too_large",
        _("The request body is larger than the limit of %(limit)s.")
        % {"limit": filesizeformat(limit)},
    )


def server_error() -> ApiError:
    return ApiError(
        500,
        "server_error",
        _("The server could not complete the request. It has been logged; try again later."),
    )


def unreadable_body() -> ApiError:
    return ApiError(400, "invalid_body", _("The request body could not be read."))
