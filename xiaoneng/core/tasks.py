"""Periodic background work (django-tasks): ``periodic_enqueue`` puts a task in the queue once
per period however many workers ask, and ``housekeeping`` deletes the bookkeeping that has
expired. The ``worker`` command calls both (see docs/operations.md)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django_tasks import TaskResult, TaskResultStatus, task

#: How long the results of successful periodic runs are kept in the queue table.
RESULT_RETENTION = timedelta(days=7)
#: Seconds between two housekeeping runs.
HOUSEKEEPING_INTERVAL = 3600
#: Failed sign-in rows are kept this many days (the audit log keeps every attempt).
LOGIN_RECORDS_DAYS = 30
#: Key of the PostgreSQL advisory lock that serialises the schedulers of several workers.
_SCHEDULE_LOCK = 0x786E_6573  # "xnes"


def queue_in_database(periodic) -> bool:
    """Whether ``periodic``'s tasks wait in the database queue (django-tasks-db) for the
    ``worker`` command to run them."""
    from django_tasks_db import DatabaseBackend

    return isinstance(periodic.get_backend(), DatabaseBackend)


def periodic_enqueue(periodic, *, interval: int, now: datetime | None = None) -> TaskResult | None:
    """Enqueue the task ``periodic`` once per period of ``interval`` seconds (periods start
    at whole multiples of ``interval`` since the epoch), however many workers call this. On
    the database backend nothing is enqueued while an earlier run still waits in the queue or
    when one was enqueued in the current period already, and its successful runs older than
    ``RESULT_RETENTION`` are pruned; returns the new task, or None."""
    backend = periodic.get_backend()
    if not queue_in_database(periodic):
        # No shared queue to look at (e.g. the immediate backend runs the task right here).
        return periodic.enqueue()

    from django_tasks_db.models import DBTaskResult

    now = now or timezone.now()
    period_start = datetime.fromtimestamp(now.timestamp() // interval * interval, tz=UTC)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_SCHEDULE_LOCK])
        # (On SQLite the transaction itself begins IMMEDIATE: writers are serialised.)
        already = DBTaskResult.objects.filter(
            Q(status=TaskResultStatus.READY) | Q(enqueued_at__gte=period_start),
            task_path=periodic.module_path,
            backend_name=backend.alias,
        ).exists()
        if already:
            return None
        result = periodic.enqueue()
        DBTaskResult.objects.filter(
            task_path=periodic.module_path,
            status=TaskResultStatus.SUCCESSFUL,
            finished_at__lt=now - RESULT_RETENTION,
        ).delete()
    return result


@task()
def housekeeping() -> dict[str, int]:
    """Delete what has expired: the API's idempotency records and rate-limit windows, the
    portal's CAPTCHAs and rate-limit events, old failed sign-ins, and ledger exports past
    their retention (with their files). Returns how many of each went."""
    from xiaoneng.accounts.services import login_records_prune
    from xiaoneng.api.services import api_records_purge
    from xiaoneng.cases.exports import ledger_exports_prune
    from xiaoneng.portal.services import portal_prune

    return {
        **api_records_purge(),
        **portal_prune(),
        "login_records": login_records_prune(keep_days=LOGIN_RECORDS_DAYS),
        "ledger_exports": ledger_exports_prune(),
    }


def housekeeping_schedule(*, now: datetime | None = None) -> TaskResult | None:
    """Enqueue ``housekeeping`` once per ``HOUSEKEEPING_INTERVAL``."""
    return periodic_enqueue(housekeeping, interval=HOUSEKEEPING_INTERVAL, now=now)
