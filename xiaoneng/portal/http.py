"""The portal's request handling shared by its views: security headers, a CSRF check that
lets the view answer with the form (and everything typed in it) instead of an error page,
an upload budget enforced while the request is read, and the session's access to cases."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from functools import wraps

from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.middleware.csrf import CsrfViewMiddleware
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

logger = logging.getLogger(__name__)

#: The portal's Content Security Policy: its own scripts, styles and fonts only; images also
#: inline (the CAPTCHA); no frames, no plug-ins, forms only to itself.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "img-src 'self' data:",
        "script-src 'self'",
        "style-src 'self'",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
)
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"

#: The upload budget of one request: files, bytes per file, bytes in all.
MAX_FILES = 5
MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_TOTAL_BYTES = 20 * 1024 * 1024


def security_headers(response):
    response.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
    response.setdefault("Cross-Origin-Resource-Policy", "same-origin")
    return response


class _CsrfCheck(CsrfViewMiddleware):
    """Django's CSRF check, answering with the reason instead of the 403 page."""

    def _reject(self, request, reason):
        logger.warning("Portal form refused by the CSRF check: %s", reason)
        return reason


@dataclass
class SkippedFile:
    name: str
    reason: str  # "count", "size" or "total"


@dataclass
class UploadBudget:
    skipped: list[SkippedFile] = field(default_factory=list)


class BudgetUploadHandler(FileUploadHandler):
    """Stops reading a file past the budget: its bytes are discarded as they arrive (never
    written to disk in full), the form's other fields are still read, and the view tells
    the person which files were not received."""

    def __init__(self, request, budget: UploadBudget):
        super().__init__(request)
        self.budget = budget
        self.files = 0
        self.total = 0
        self.current = 0
        self.name = ""

    def _skip(self, reason: str):
        self.budget.skipped.append(SkippedFile(self.name, reason))
        raise SkipFile

    def new_file(self, field_name, file_name, *args, **kwargs):
        self.name, self.current = file_name or "", 0
        if not file_name:
            return
        self.files += 1
        if self.files > MAX_FILES:
            self._skip("count")

    def receive_data_chunk(self, raw_data, start):
        self.current += len(raw_data)
        self.total += len(raw_data)
        if self.current > MAX_FILE_BYTES:
            self._skip("size")
        if self.total > MAX_TOTAL_BYTES:
            self._skip("total")
        return raw_data

    def file_complete(self, file_size):
        return None  # the next handler (memory or temporary file) makes the file


def public_view(*, uploads: bool = False):
    """A public page: the security headers on every answer; on POST, the CSRF check's
    verdict in ``request.portal_csrf_failed`` (the view re-renders its form with a message)
    and, with ``uploads``, the upload budget in ``request.portal_upload``."""

    def decorator(view):
        @csrf_exempt
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            request.portal_csrf_failed = False
            request.portal_upload = UploadBudget()
            if request.method == "POST":
                if uploads:
                    request.upload_handlers.insert(
                        0, BudgetUploadHandler(request, request.portal_upload)
                    )
                reason = _CsrfCheck(lambda r: None).process_view(request, None, (), {})
                request.portal_csrf_failed = reason is not None
            return security_headers(view(request, *args, **kwargs))

        return wrapped

    return decorator


# --- the session's access to cases ----------------------------------------------------------

SESSION_KEY = "portal_cases"
#: How long a case stays open in the browser after the last page of it was shown.
ACCESS_MINUTES = 30
#: At most this many cases open in one browser session.
ACCESS_MAX = 5


def _grants(request) -> dict[str, float]:
    now = timezone.now().timestamp()
    raw = request.session.get(SESSION_KEY, {})
    if not isinstance(raw, dict):
        return {}
    return {code: t for code, t in raw.items() if isinstance(t, int | float) and t > now}


def access_grant(request, code: str) -> None:
    """Open the case ``code`` in this browser (after its password or link was checked). The
    session gets a new key, so a key planted before cannot ride on the access."""
    grants = _grants(request)
    request.session.cycle_key()
    grants[code] = (timezone.now() + timedelta(minutes=ACCESS_MINUTES)).timestamp()
    newest = sorted(grants.items(), key=lambda item: item[1], reverse=True)[:ACCESS_MAX]
    request.session[SESSION_KEY] = dict(newest)


def access_granted(request, code: str) -> bool:
    """Whether the case is open in this browser; each page shown extends the access."""
    grants = _grants(request)
    if code not in grants:
        return False
    grants[code] = (timezone.now() + timedelta(minutes=ACCESS_MINUTES)).timestamp()
    request.session[SESSION_KEY] = grants
    return True


def access_revoke(request, code: str) -> None:
    grants = _grants(request)
    grants.pop(code, None)
    request.session[SESSION_KEY] = grants
