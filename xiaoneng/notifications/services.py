"""Notifications to staff: the inbox and, when switched on, e-mail (SMS comes later)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.utils import timezone, translation

from xiaoneng.notifications.messages import is_registered, render_notification
from xiaoneng.notifications.models import Notification

logger = logging.getLogger(__name__)


def _is_relative_url(url: str) -> bool:
    return url.startswith("/") and not url.startswith("//") and "\\" not in url


@transaction.atomic
def notify(
    *, recipients: Iterable, code: str, params: dict[str, Any] | None = None, url: str = ""
) -> int:
    """Queue a notification for each recipient. ``code`` selects the message template,
    rendered in the recipient's language when displayed. ``params`` holds values, never
    translated text; ``url`` is a relative link to the object. Deactivated accounts receive
    nothing. When ``settings.NOTIFICATIONS_EMAIL`` is on, recipients with an e-mail address
    also get an e-mail once the caller's transaction commits. Returns the number created."""
    if not is_registered(code):
        raise ValueError(f"Unknown notification code {code!r}: register it in messages.py.")
    if url and not _is_relative_url(url):
        raise ValueError(f"A notification links to a relative URL, not {url!r}.")
    params = dict(params or {})
    unique: dict[int, Any] = {}
    for user in recipients:
        if user.is_active:
            unique.setdefault(user.pk, user)
    now = timezone.now()
    rows = Notification.objects.bulk_create(
        [
            Notification(recipient=user, code=code, params=params, url=url, created_at=now)
            for user in unique.values()
        ]
    )
    if getattr(settings, "NOTIFICATIONS_EMAIL", False):
        emailed = [n.pk for n in rows if n.recipient.email]
        if emailed:
            transaction.on_commit(partial(_send_emails, notification_ids=emailed))
    return len(rows)


def _send_emails(*, notification_ids: list[int]) -> None:
    """Send one e-mail per notification, each in its recipient's language. Runs after
    commit; a mail server failure is logged and never undoes or breaks the caller's work."""
    notifications = Notification.objects.select_related("recipient").filter(pk__in=notification_ids)
    site_url = getattr(settings, "XIAONENG_SITE_URL", "").rstrip("/")
    messages = []
    for notification in notifications:
        user = notification.recipient
        with translation.override(user.language or settings.LANGUAGE_CODE):
            title, body = render_notification(notification)
        link = site_url + notification.url if site_url and notification.url else ""
        text = "\n\n".join(part for part in (body, link) if part)
        messages.append(EmailMessage(subject=title, body=text, to=[user.email]))
    try:
        get_connection().send_messages(messages)
    except Exception:
        logger.exception("Cannot send %d notification e-mail(s)", len(messages))


def notification_mark_read(*, user, notification: Notification) -> Notification:
    """Mark one of ``user``'s own notifications read (again: no change)."""
    if notification.recipient_id != user.pk:
        raise PermissionDenied("Not your notification.")
    if notification.read_at is None:
        now = timezone.now()
        updated = Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=now
        )
        if updated:
            notification.read_at = now
        else:
            notification.refresh_from_db(fields=["read_at"])
    return notification


def notification_mark_all_read(*, user) -> int:
    """Mark every unread notification of ``user`` read; returns how many changed."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
