"""The append-only triggers (PostgreSQL only; SQLite relies on the hash chain alone)."""

import pytest
from django.db import DatabaseError, connection, connections, transaction

from xiaoneng.audit.models import AuditEntry
from xiaoneng.audit.services import audit_log

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL"),
    pytest.mark.django_db,
]


@pytest.fixture
def entry():
    audit_log(action="test.event.one")
    return audit_log(action="test.event.two", data={"名": "值"})


def _rejected(statement, *args, **kwargs):
    """Run ``statement`` in a savepoint and expect the trigger to reject it."""
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        statement(*args, **kwargs)


def _sql(sql):
    with connection.cursor() as cursor:
        cursor.execute(sql)


def _maintenance(value: str) -> None:
    # Pending deferred FK checks of the inserted rows would block TRUNCATE; run them now.
    _sql("SET CONSTRAINTS ALL IMMEDIATE")
    _sql(f"SET LOCAL xiaoneng.audit_maintenance = '{value}'")


def _unchanged(entry):
    fresh = AuditEntry.objects.get(pk=entry.pk)
    assert (fresh.object_repr, fresh.hash, fresh.data) == (
        entry.object_repr,
        entry.hash,
        entry.data,
    )
    assert AuditEntry.objects.count() == 2


def test_the_triggers_are_installed():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = 'audit_auditentry'::regclass "
            "AND NOT tgisinternal ORDER BY tgname"
        )
        names = [row[0] for row in cursor.fetchall()]
    assert names == ["audit_entry_no_truncate", "audit_entry_no_update_delete"]


def test_raw_update_is_rejected(entry):
    _rejected(_sql, "UPDATE audit_auditentry SET object_repr = 'forged'")
    _unchanged(entry)


def test_an_update_matching_no_row_is_rejected_too(entry):
    _rejected(_sql, "UPDATE audit_auditentry SET object_repr = 'x' WHERE position = -1")


def test_raw_delete_is_rejected(entry):
    _rejected(_sql, "DELETE FROM audit_auditentry WHERE position = 2")
    _unchanged(entry)


def test_orm_save_is_rejected(entry):
    entry.object_repr = "forged"
    _rejected(entry.save)
    entry.object_repr = ""
    _unchanged(entry)


def test_orm_queryset_update_is_rejected(entry):
    _rejected(AuditEntry.objects.filter(pk=entry.pk).update, success=False)
    _unchanged(entry)


def test_orm_delete_is_rejected(entry):
    _rejected(entry.delete)
    _rejected(AuditEntry.objects.all().delete)
    _unchanged(entry)


def test_truncate_is_rejected_outside_maintenance(entry):
    _maintenance("off")
    _rejected(_sql, "TRUNCATE audit_auditentry")
    _unchanged(entry)


def test_truncate_of_all_tables_at_once_is_rejected_outside_maintenance(entry):
    """What Django's flush does."""
    _maintenance("off")
    _rejected(_sql, "TRUNCATE audit_auditentry, audit_audithead")
    _unchanged(entry)


def test_truncate_passes_in_maintenance(entry):
    _maintenance("on")
    _sql("TRUNCATE audit_auditentry")
    assert not AuditEntry.objects.exists()


def test_inserting_still_works(entry):
    later = audit_log(action="test.event.three")
    assert later.position == 3


@pytest.mark.parametrize(("allow", "expected"), [(True, "on"), (False, None)])
def test_audit_allow_truncate_switches_maintenance_on_for_new_connections(
    settings, allow, expected
):
    settings.AUDIT_ALLOW_TRUNCATE = allow
    fresh = connections.create_connection("default")
    try:
        with fresh.cursor() as cursor:
            cursor.execute("SELECT current_setting('xiaoneng.audit_maintenance', true)")
            value = cursor.fetchone()[0]
    finally:
        fresh.close()
    assert (value or None) == expected
