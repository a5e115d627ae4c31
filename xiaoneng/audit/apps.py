from django.apps import AppConfig
from django.conf import settings
from django.db.backends.signals import connection_created
from django.utils.translation import gettext_lazy as _


def allow_audit_truncate(sender, connection, **kwargs) -> None:
    """Switch on ``xiaoneng.audit_maintenance`` for a new PostgreSQL connection when
    ``settings.AUDIT_ALLOW_TRUNCATE`` is true, so that the append-only trigger lets a
    ``TRUNCATE`` of the audit table through (the test runner's flush between transactional
    tests). Never set it in production. UPDATE and DELETE stay rejected either way."""
    if connection.vendor != "postgresql" or not getattr(settings, "AUDIT_ALLOW_TRUNCATE", False):
        return
    with connection.cursor() as cursor:
        cursor.execute("SET xiaoneng.audit_maintenance = 'on'")


class AuditConfig(AppConfig):
    name = "xiaoneng.audit"
    label = "audit"
    verbose_name = _("Audit log")

    def ready(self) -> None:
        # Connected always, but acts only while the setting is true when a connection opens,
        # so the setting may be switched on after start-up (e.g. in pytest_configure).
        connection_created.connect(allow_audit_truncate, dispatch_uid="xiaoneng.audit.truncate")
