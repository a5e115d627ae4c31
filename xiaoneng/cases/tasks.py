"""Background tasks of the cases app (django-tasks). The ``worker`` command enqueues
``escalate_deadlines`` every ``XIAONENG_WORKER_INTERVAL`` seconds through
``escalation_schedule`` and runs the queue."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django_tasks import TaskResult, TaskResultStatus, task

from xiaoneng.cases.escalation import deadlines_escalate

logger = logging.getLogger(__name__)

#: How long the results of successful escalation runs are kept in the queue table (the
#: steps themselves are in the reminders, the timelines and the audit log).
RESULT_RETENTION = timedelta(days=7)
#: Key of the PostgreSQL advisory lock that serialises the schedulers of several workers.
_SCHEDULE_LOCK = 0x786E_6573  # "xnes"


@task()
def write_ledger_export(export_id: int) -> dict[str, object]:
    """Write a ledger export too large to write while its reader waits."""
    from xiaoneng.cases.exports import ledger_export_run

    export = ledger_export_run(export=export_id)
    return {"export": export.pk, "status": export.status, "rows": export.rows}


@task()
def escalate_deadlines() -> dict[str, int]:
    """Run the deadline escalation chain once; returns the counts per kind."""
    return deadlines_escalate().as_dict()


def queue_in_database() -> bool:
    """Whether tasks wait in the database queue (django-tasks-db) for ``worker`` to run."""
    from django_tasks_db import DatabaseBackend

    return isinstance(escalate_deadlines.get_backend(), DatabaseBackend)


def escalation_schedule(*, interval: int, now: datetime | None = None) -> TaskResult | None:
    """Enqueue ``escalate_deadlines`` once per period of ``interval`` seconds (periods start
    at whole multiples of ``interval`` since the epoch), however many workers call this. On
    the database backend nothing is enqueued while an earlier run still waits in the queue or
    when one was enqueued in the current period already, and successful runs older than
    ``RESULT_RETENTION`` are pruned; returns the new task, or None."""
    backend = escalate_deadlines.get_backend()
    if not queue_in_database():
        # No shared queue to look at (e.g. the immediate backend runs the task right here).
        return escalate_deadlines.enqueue()

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
            task_path=escalate_deadlines.module_path,
            backend_name=backend.alias,
        ).exists()
        if already:
            return None
        result = escalate_deadlines.enqueue()
        DBTaskResult.objects.filter(
            task_path=escalate_deadlines.module_path,
            status=TaskResultStatus.SUCCESSFUL,
            finished_at__lt=now - RESULT_RETENTION,
        ).delete()
    logger.info("Deadline escalation enqueued (task %s).", result.id)
    return result


def escalation_last_runs(*, limit: int = 5) -> list:
    """The latest escalation tasks in the database queue, newest first (for ``worker
    --status``); empty on another backend."""
    if not queue_in_database():
        return []
    from django_tasks_db.models import DBTaskResult

    return list(
        DBTaskResult.objects.filter(task_path=escalate_deadlines.module_path).order_by(
            "-enqueued_at"
        )[:limit]
    )
