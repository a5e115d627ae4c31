"""System checks on the accounts themselves."""

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.db import DatabaseError


@register(Tags.security, deploy=True)
def check_no_active_superuser(app_configs=None, **kwargs):
    """In production, nobody holds Django's all-powerful superuser flag: the work is split
    between the system, security and audit administrators (三员分立)."""
    if settings.DEBUG:
        return []
    from xiaoneng.org.models import User

    try:
        names = list(
            User.objects.filter(is_superuser=True, is_active=True).values_list(
                "username", flat=True
            )[:5]
        )
    except DatabaseError:
        return []
    if not names:
        return []
    return [
        Error(
            "Active superuser accounts exist: " + ", ".join(names),
            hint="Deactivate them (or clear is_superuser) and use the system, security and "
            "audit administrator roles instead.",
            id="xiaoneng.E001",
        )
    ]
