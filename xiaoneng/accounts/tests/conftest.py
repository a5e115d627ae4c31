import pytest
from django.db import connection
from django.test import Client

from xiaoneng.accounts import services

try:
    from xiaoneng.audit.models import AuditEntry
except ImportError:  # the audit app not built yet: record the calls instead
    AuditEntry = None


@pytest.fixture
def client():
    """A browser that asks for English, so tests can assert the source strings."""
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def ref(obj) -> tuple[str, str]:
    """How an audit row names ``obj``."""
    return ("", "") if obj is None else (obj._meta.label_lower, str(obj.pk))


class AuditTrail:
    """The audit rows written during the test, oldest first, each as a dict with ``action``,
    ``actor``, ``obj`` (see :func:`ref`), ``success`` and ``data``. Reads the real audit table
    when it exists, else the calls recorded from ``services.audit_log``."""

    def __init__(self, calls: list | None, start: int):
        self._calls = calls
        self._start = start

    def _rows(self) -> list[dict]:
        if self._calls is not None:
            return [
                {
                    "action": c["action"],
                    "actor": c.get("actor"),
                    "obj": ref(c.get("obj")),
                    "success": c.get("success", True),
                    "data": c.get("data") or {},
                }
                for c in self._calls
            ]
        entries = AuditEntry.objects.filter(position__gt=self._start).select_related("actor")
        return [
            {
                "action": e.action,
                "actor": e.actor,
                "obj": (e.object_type, e.object_id),
                "success": e.success,
                "data": e.data,
            }
            for e in entries.order_by("position")
        ]

    def __iter__(self):
        return iter(self._rows())

    def __len__(self):
        return len(self._rows())

    def __getitem__(self, index):
        return self._rows()[index]

    def actions(self) -> list[str]:
        return [row["action"] for row in self._rows()]

    def of(self, action: str) -> list[dict]:
        return [row for row in self._rows() if row["action"] == action]


@pytest.fixture
def audit(db, monkeypatch):
    if AuditEntry is not None:
        last = AuditEntry.objects.order_by("-position").values_list("position", flat=True).first()
        return AuditTrail(None, last or 0)
    calls: list[dict] = []

    def record(**kwargs):
        calls.append(kwargs)

    monkeypatch.setattr(services, "audit_log", record)
    return AuditTrail(calls, 0)


@pytest.fixture
def audit_truncate_allowed(transactional_db):
    """Let the flush after a transactional test empty the append-only audit table."""
    yield
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET xiaoneng.audit_maintenance = 'on'")
