"""Reads of the inbox. Every user sees only their own notifications."""

from __future__ import annotations

from django.db.models import QuerySet

from xiaoneng.notifications.models import Notification


def unread_count(*, user) -> int:
    """How many unread notifications ``user`` has: one COUNT on the (recipient, read_at)
    index, because the top bar shows it on every page."""
    if user is None or not user.is_authenticated:
        return 0
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def notification_list(*, user, unread_only: bool = False) -> QuerySet[Notification]:
    """``user``'s own notifications, newest first."""
    if user is None or not user.is_authenticated:
        return Notification.objects.none()
    qs = Notification.objects.filter(recipient=user)
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return qs.order_by("-created_at", "-id")
