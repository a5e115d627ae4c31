"""The inbox: thin views over the selectors and services."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST, require_safe

from xiaoneng.notifications.messages import render_notification
from xiaoneng.notifications.selectors import notification_list, unread_count
from xiaoneng.notifications.services import (
    notification_mark_all_read,
    notification_mark_read,
    notify,
)
from xiaoneng.org.choices import Role

PAGE_SIZE = 30


def _with_text(notification):
    notification.title, notification.body = render_notification(notification)
    return notification


def _is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def _redirect_to_first_safe(request, *targets: str):
    """Redirect to the first target on this site; the inbox when none is."""
    for target in targets:
        if target and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return redirect(target)
    return redirect("notifications:inbox")


@require_safe
@login_required
def inbox(request):
    unread_only = request.GET.get("filter") == "unread"
    paginator = Paginator(notification_list(user=request.user, unread_only=unread_only), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    for notification in page.object_list:
        _with_text(notification)
    return render(
        request,
        "notifications/inbox.html",
        {
            "page": page,
            "unread_only": unread_only,
            "next_url": request.get_full_path(),
            "can_send_test": request.user.has_role(Role.SYSTEM_ADMIN),
        },
    )


@require_POST
@login_required
def notification_read(request, pk: int):
    """Mark one notification read. HTMX gets the item back to swap in place; a plain form
    post is sent on to ``next`` if given, else to the notification's link, else the inbox."""
    notification = get_object_or_404(notification_list(user=request.user), pk=pk)
    notification_mark_read(user=request.user, notification=notification)
    if _is_htmx(request):
        unread = unread_count(user=request.user)
        response = render(
            request,
            "notifications/partials/notification_item.html",
            {"notification": _with_text(notification), "inbox_unread": unread, "oob_count": True},
        )
        response["HX-Trigger"] = json.dumps({"xn:inbox-unread": unread})
        return response
    return _redirect_to_first_safe(request, request.POST.get("next", ""), notification.url)


@require_POST
@login_required
def notification_read_all(request):
    count = notification_mark_all_read(user=request.user)
    if count:
        messages.success(
            request,
            ngettext(
                "%(count)d notification marked as read.",
                "%(count)d notifications marked as read.",
                count,
            )
            % {"count": count},
        )
    return redirect("notifications:inbox")


@require_POST
@login_required
def notification_test(request):
    """Send the system administrator a test notification (and e-mail, when switched on)."""
    if not request.user.has_role(Role.SYSTEM_ADMIN):
        raise Http404
    notify(recipients=[request.user], code="system.test")
    messages.success(request, _("A test notification has been sent to you."))
    return redirect("notifications:inbox")
