"""The background worker, run beside the web server (see docs/operations.md).

One process does two things until SIGTERM or SIGINT:

* a scheduler thread enqueues the deadline escalation every ``XIAONENG_WORKER_INTERVAL``
  seconds, at most once per interval however many workers run, and the housekeeping (expired
  API, portal, sign-in and export records) once an hour;
* the main thread runs the task queue: on the database backend, django-tasks-db's own worker
  loop (``db_worker``); the current task is finished before the process exits.

``--once`` runs the escalation once in this process and exits (cron, tests); ``--status``
shows the latest runs and fails when none finished recently (monitoring).
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
from datetime import timedelta

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections, connections
from django.utils import timezone
from django_tasks import TaskResultStatus

from xiaoneng.cases.tasks import (
    escalate_deadlines,
    escalation_last_runs,
    escalation_schedule,
    queue_in_database,
)
from xiaoneng.core.tasks import housekeeping_schedule

logger = logging.getLogger("xiaoneng.worker")


def _counts(result: dict[str, int]) -> str:
    return (
        f"{result['before_due']} reminders before due, "
        f"{result['overdue_notice']} reminder notices, "
        f"{result['supervision_proposed']} supervision proposals, "
        f"{result['failed']} failed"
    )


class Command(BaseCommand):
    help = (
        "Run the background worker: enqueue the deadline escalation every "
        "XIAONENG_WORKER_INTERVAL seconds and run the task queue, until SIGTERM or Ctrl-C."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--once",
            action="store_true",
            help="Run the deadline escalation once in this process, then exit.",
        )
        parser.add_argument(
            "--status",
            action="store_true",
            help=(
                "Show the latest escalation runs; exit with status 1 when none finished "
                "within the last three intervals."
            ),
        )
        parser.add_argument(
            "--interval",
            type=int,
            default=None,
            help="Seconds between two escalation runs (default: XIAONENG_WORKER_INTERVAL).",
        )

    def handle(self, *args, once=False, status=False, interval=None, **options):
        interval = interval if interval is not None else settings.XIAONENG_WORKER_INTERVAL
        if interval < 1:
            raise CommandError("The interval must be at least 1 second.")
        if once:
            result = escalate_deadlines.call()
            self.stdout.write(f"Deadline escalation: {_counts(result)}.")
            return
        if status:
            self._status(interval)
            return
        self._serve(interval, verbosity=options.get("verbosity", 1))

    # --- monitoring -------------------------------------------------------------------------

    def _status(self, interval: int) -> None:
        if not queue_in_database():
            raise CommandError("--status reads the database task queue (TASKS_BACKEND=database).")
        runs = escalation_last_runs()
        if not runs:
            raise CommandError("No deadline escalation has been queued yet: is the worker running?")
        for run in runs:
            successful = run.status == TaskResultStatus.SUCCESSFUL
            counts = f"  {_counts(run.return_value)}" if successful else ""
            self.stdout.write(
                f"{timezone.localtime(run.enqueued_at):%Y-%m-%d %H:%M:%S}  {run.status:<10}  "
                f"{','.join(run.worker_ids) or '-'}{counts}"
            )
        since = timezone.now() - timedelta(seconds=3 * interval)
        if not any(
            r.status == TaskResultStatus.SUCCESSFUL and r.finished_at >= since for r in runs
        ):
            raise CommandError(
                f"No deadline escalation finished in the last {3 * interval} seconds: "
                "is the worker running?"
            )
        self.stdout.write("The worker is running.")

    # --- the long-running worker ------------------------------------------------------------

    def _serve(self, interval: int, *, verbosity: int) -> None:
        backend = escalate_deadlines.get_backend()
        worker_id = f"{socket.gethostname()}:{os.getpid()}"[:64]
        database_queue = queue_in_database()
        logger.info(
            "Worker %s started: deadline escalation every %d s, task backend %s.",
            worker_id,
            interval,
            type(backend).__name__,
        )
        stop = threading.Event()
        scheduler = threading.Thread(
            target=self._schedule, args=(stop, interval), name="escalation-scheduler", daemon=True
        )
        scheduler.start()
        try:
            if database_queue:
                # db_worker handles SIGTERM/SIGINT itself: it finishes the running task, then
                # returns (or raises SystemExit(0) when idle); a second signal forces the exit.
                call_command(
                    "db_worker",
                    queue_name="*",
                    interval=1.0,
                    reload=False,
                    startup_delay=False,
                    worker_id=worker_id,
                    verbosity=verbosity,
                )
            else:
                # Tasks run elsewhere (e.g. immediately, in the scheduler thread): just wait.
                for signum in (signal.SIGTERM, signal.SIGINT):
                    signal.signal(signum, lambda *_: stop.set())
                while not stop.wait(1):
                    pass
        finally:
            stop.set()
            scheduler.join(timeout=30)
            logger.info("Worker %s stopped.", worker_id)

    def _schedule(self, stop: threading.Event, interval: int) -> None:
        """Enqueue the escalation at the start of every interval, and the housekeeping once an
        hour, until ``stop`` is set."""
        try:
            while not stop.is_set():
                close_old_connections()
                try:
                    escalation_schedule(interval=interval)
                except Exception:
                    logger.exception("Could not enqueue the deadline escalation.")
                try:
                    housekeeping_schedule()
                except Exception:
                    logger.exception("Could not enqueue the housekeeping.")
                stop.wait(interval - time.time() % interval + 0.01)
        finally:
            connections.close_all()
