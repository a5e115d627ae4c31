import pytest
from django.db import connection
from django.test import Client


@pytest.fixture
def client():
    """A browser that asks for English, so tests can assert the source strings."""
    return Client(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def behind_the_app(db):
    """Run raw SQL on the audit table as someone with database access would, bypassing the
    application (and, on PostgreSQL, the append-only triggers). Only inside the test's
    transaction, which is rolled back afterwards, so the triggers come back."""

    def run(sql: str, params=()):
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # Pending deferred FK checks would block ALTER TABLE; run them now.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute("ALTER TABLE audit_auditentry DISABLE TRIGGER USER")
            cursor.execute(sql, params)

    return run


@pytest.fixture
def audit_truncate_allowed(transactional_db):
    """For transactional tests on PostgreSQL: let the flush after the test TRUNCATE the audit
    table even when settings.AUDIT_ALLOW_TRUNCATE was not switched on for the test run."""
    yield
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET xiaoneng.audit_maintenance = 'on'")
