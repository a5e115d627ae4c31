"""Background tasks of the cases app (django-tasks). The ``worker`` command enqueues
``escalate_deadlines`` every ``XIAONENG_WORKER_INTERVAL`` seconds through
``escalation_schedule`` and runs the queue."""

from __future__ import annotations

import logging
from datetime import datetime

from django_tasks import TaskResult, task

from xiaoneng.cases.escalation import deadlines_escalate
from xiaoneng.core.tasks import periodic_enqueue
from xiaoneng.core.tasks import queue_in_database as periodic_queue_in_database

logger = logging.getLogger(__name__)


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
    return periodic_queue_in_database(escalate_deadlines)


def escalation_schedule(*, interval: int, now: datetime | None = None) -> TaskResult | None:
    """Enqueue ``escalate_deadlines`` once per period of ``interval`` seconds, however many
    workers call this (``core.tasks.periodic_enqueue``); returns the new task, or None."""
    result = periodic_enqueue(escalate_deadlines, interval=interval, now=now)
    if result is not None:
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
