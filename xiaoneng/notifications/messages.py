"""The registry of notification texts.

A notification stores a stable dotted ``code`` and its ``params``; the text is rendered here
when it is displayed or e-mailed, in the language active at that moment (the reader's).
Each app registers its messages in its ``AppConfig.ready()``::

    from django.utils.translation import gettext_lazy as _
    from xiaoneng.notifications.messages import register_messages

    register_messages({
        "case.dispatched": (
            _("Case %(number)s has been dispatched to your unit"),
            _("Please handle it before %(deadline)s."),
        ),
    })

A message is ``(title, body)`` or ``(title, body, prepare)``: ``title`` and ``body`` are
``gettext_lazy`` templates with ``%(name)s`` placeholders (write a literal percent sign as
``%%``); ``prepare(params) -> dict`` optionally turns stored values into display values (codes
into translated labels) and runs in the reader's language. A placeholder without a value
never breaks a page: the title falls back to the code and the body to nothing.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext

logger = logging.getLogger(__name__)

_CODE = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_]+)+$")


@dataclass(frozen=True)
class Message:
    """The templates of one notification code."""

    title: str | Promise
    body: str | Promise = ""
    prepare: Callable[[dict[str, Any]], dict[str, Any]] | None = None


_REGISTRY: dict[str, Message] = {}


def register_messages(messages: Mapping[str, Message | tuple]) -> None:
    """Register ``{code: (title, body[, prepare])}``. Codes are lowercase and dotted
    (``case.dispatched``); registering a code twice with different texts is an error."""
    for code, spec in messages.items():
        if not _CODE.match(code):
            raise ImproperlyConfigured(f"Invalid notification code {code!r}: use a.b.c.")
        message = spec if isinstance(spec, Message) else Message(*spec)
        existing = _REGISTRY.get(code)
        if existing is not None and existing != message:
            raise ImproperlyConfigured(f"Notification code {code!r} is registered twice.")
        _REGISTRY[code] = message


def is_registered(code: str) -> bool:
    return code in _REGISTRY


def registered_codes() -> list[str]:
    return sorted(_REGISTRY)


def _interpolate(template: str | Promise, values: Mapping[str, Any]) -> str:
    return str(template) % values


def render_message(code: str, params: Mapping[str, Any] | None) -> tuple[str, str]:
    """``(title, body)`` of ``code`` with ``params``, in the active language."""
    message = _REGISTRY.get(code)
    if message is None:
        logger.warning("Unknown notification code %s", code)
        return code, ""
    values: dict[str, Any] = dict(params or {})
    if message.prepare is not None:
        try:
            values = message.prepare(values)
        except (KeyError, TypeError, ValueError, AttributeError):
            logger.warning("Cannot prepare the parameters of notification %s", code, exc_info=True)
    try:
        title = _interpolate(message.title, values)
    except (KeyError, TypeError, ValueError):
        logger.warning("Cannot render the title of notification %s", code, exc_info=True)
        title = code
    body = ""
    if message.body:
        try:
            body = _interpolate(message.body, values)
        except (KeyError, TypeError, ValueError):
            logger.warning("Cannot render the body of notification %s", code, exc_info=True)
    return title, body


def render_notification(notification) -> tuple[str, str]:
    """``(title, body)`` of a stored notification, in the active language."""
    return render_message(notification.code, notification.params)


# --- the foundation's messages ----------------------------------------------------------


def _role_list(codes) -> str:
    from xiaoneng.org.choices import Role

    labels = [str(Role(code).label) if code in Role.values else str(code) for code in codes or ()]
    if not labels:
        return pgettext("roles", "none")
    return pgettext("list separator", ", ").join(labels)


def _prepare_roles_changed(params: dict[str, Any]) -> dict[str, Any]:
    return {
        **params,
        "added": _role_list(params.get("added")),
        "removed": _role_list(params.get("removed")),
    }


FOUNDATION_MESSAGES: dict[str, tuple] = {
    # params: username
    "org.account.created": (
        _("Welcome to the efficiency platform"),
        _("The administrator has created your account with the login name %(username)s."),
    ),
    # params: added, removed (lists of role codes)
    "org.roles.changed": (
        _("Your roles have changed"),
        _("Roles added: %(added)s. Roles removed: %(removed)s."),
        _prepare_roles_changed,
    ),
    # no params
    "system.test": (
        _("Test notification"),
        _("This is a test message. If you can read it, notifications reach you."),
    ),
}
