"""Make the audit table append-only on PostgreSQL.

* UPDATE and DELETE on ``audit_auditentry`` are always rejected (statement-level triggers, so
  even a statement that matches no row fails).
* TRUNCATE is rejected unless the session has set ``xiaoneng.audit_maintenance = 'on'``.
  Django's ``flush`` (run by the test runner between transactional tests) truncates every
  table in one statement; the test settings switch the session setting on through
  ``settings.AUDIT_ALLOW_TRUNCATE`` (see ``xiaoneng.audit.apps``). Production never sets it.

Rows are never deleted: retention of at least 180 days is met by keeping everything. A later
migration that must change rows has to disable these triggers explicitly (``ALTER TABLE
audit_auditentry DISABLE TRIGGER USER``) and re-enable them, which is itself visible in the
migration history; any change to a row is detected by ``audit_verify``.

On SQLite nothing is installed; the hash chain and ``audit_verify`` still detect tampering.
"""

from django.db import migrations

INSTALL = """
CREATE OR REPLACE FUNCTION audit_entry_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE'
       AND coalesce(current_setting('xiaoneng.audit_maintenance', true), '') = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'audit log is append-only: % on % is not allowed', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'Audit entries are never changed or deleted.';
END;
$$;

CREATE TRIGGER audit_entry_no_update_delete
    BEFORE UPDATE OR DELETE ON audit_auditentry
    FOR EACH STATEMENT EXECUTE FUNCTION audit_entry_append_only();

CREATE TRIGGER audit_entry_no_truncate
    BEFORE TRUNCATE ON audit_auditentry
    FOR EACH STATEMENT EXECUTE FUNCTION audit_entry_append_only();
"""

UNINSTALL = """
DROP TRIGGER IF EXISTS audit_entry_no_truncate ON audit_auditentry;
DROP TRIGGER IF EXISTS audit_entry_no_update_delete ON audit_auditentry;
DROP FUNCTION IF EXISTS audit_entry_append_only();
"""


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(INSTALL, params=None)


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(UNINSTALL, params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunPython(install, uninstall, elidable=False)]
