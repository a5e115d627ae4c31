from django.conf import settings

from xiaoneng.core.navigation import nav_for


def shell(request):
    """What the base layout needs on every staff page: menu, unread count, calendar warning."""
    user = getattr(request, "user", None)
    context = {"site_name": settings.XIAONENG_SITE_NAME}
    if user is None or not user.is_authenticated:
        return context
    from xiaoneng.notifications.selectors import unread_count
    from xiaoneng.workdays.selectors import calendar_warning_for

    context.update(
        nav_items=nav_for(user, request.path),
        inbox_unread=unread_count(user=user),
        calendar_warning=calendar_warning_for(user=user),
    )
    return context
