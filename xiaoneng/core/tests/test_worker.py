"""The background worker: one escalation on demand, the escalation task through the database
queue, one enqueue per interval however many workers run, and the long-running process
(PostgreSQL: a real child process sharing the test database) stopping cleanly on SIGTERM."""

import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta
from io import StringIO
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult

from xiaoneng.cases import services as s
from xiaoneng.cases.models import Category, Reminder
from xiaoneng.cases.tasks import escalate_deadlines, escalation_schedule

ROOT = Path(__file__).resolve().parents[3]
TZ = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def overdue_case(clerk, supervisor, director):
    """A case registered on Fri 26 Sept 2025 and never decided: long past its acceptance
    deadline (30 Sept) and the supervision delay after it."""
    category = Category.objects.get_or_create(code="TWCP", defaults={"name": "推诿扯皮"})[0]
    return s.case_register(
        actor=clerk,
        channel="phone",
        category=category,
        summary="办理社保转移被多次推诿",
        content="窗口三次让我找别的部门。",
        complainant=s.ComplainantData(name="张三丰", phone="13812345678"),
        now=datetime(2025, 9, 26, 10, tzinfo=TZ),
    )


@pytest.fixture
def in_process_queue(monkeypatch):
    """Let db_worker run inside the test's transaction: its connection recycling would close
    the test's connection (autocommit is off there), and it installs its own SIGINT/SIGTERM
    handlers, which pytest's are put back over afterwards."""
    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)
    saved = {n: signal.getsignal(n) for n in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    yield
    for signum, handler in saved.items():
        signal.signal(signum, handler)


def run_queue():
    call_command(
        "db_worker", batch=True, reload=False, startup_delay=False, stdout=StringIO(), verbosity=0
    )


def kinds():
    return sorted(Reminder.objects.values_list("kind", flat=True))


@pytest.mark.django_db
def test_once_escalates_now_and_reports_the_counts(overdue_case):
    out = StringIO()
    call_command("worker", "--once", stdout=out)
    assert out.getvalue() == (
        "Deadline escalation: 0 reminders before due, 1 reminder notices, "
        "1 supervision proposals, 0 failed.\n"
    )
    assert kinds() == ["overdue_notice", "supervision_proposed"]
    out = StringIO()
    call_command("worker", "--once", stdout=out)
    assert "0 reminder notices, 0 supervision proposals" in out.getvalue()


@pytest.mark.django_db
def test_the_task_runs_through_the_database_queue(overdue_case, in_process_queue):
    result = escalate_deadlines.enqueue()
    assert DBTaskResult.objects.get().status == TaskResultStatus.READY
    assert kinds() == []
    run_queue()
    result.refresh()
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value == {
        "before_due": 0,
        "overdue_notice": 1,
        "supervision_proposed": 1,
        "failed": 0,
    }
    assert kinds() == ["overdue_notice", "supervision_proposed"]


@pytest.mark.django_db
def test_the_escalation_is_enqueued_once_per_interval(in_process_queue):
    interval = 600
    # Two workers ticking in the same interval: one task.
    assert escalation_schedule(interval=interval) is not None
    assert escalation_schedule(interval=interval) is None
    run_queue()
    # Run, but still the same interval: nothing new.
    assert escalation_schedule(interval=interval) is None
    # The next interval.
    later = timezone.now() + timedelta(seconds=interval)
    assert escalation_schedule(interval=interval, now=later) is not None
    # A run still waiting in the queue is not doubled, whatever the interval.
    much_later = later + timedelta(seconds=10 * interval)
    assert escalation_schedule(interval=interval, now=much_later) is None
    assert DBTaskResult.objects.count() == 2


@pytest.mark.django_db
def test_successful_runs_are_kept_for_a_week(in_process_queue):
    escalation_schedule(interval=60)
    run_queue()
    first = DBTaskResult.objects.get()
    later = first.finished_at + timedelta(days=7)
    assert escalation_schedule(interval=60, now=later) is not None
    run_queue()
    assert DBTaskResult.objects.filter(pk=first.pk).exists()
    assert escalation_schedule(interval=60, now=later + timedelta(minutes=1)) is not None
    # Both earlier runs finished more than a week before that moment; the new one waits.
    assert list(DBTaskResult.objects.values_list("status", flat=True)) == ["READY"]


@pytest.mark.django_db
def test_status_tells_whether_the_worker_is_running(in_process_queue):
    with pytest.raises(CommandError, match="No deadline escalation has been queued yet"):
        call_command("worker", "--status", stdout=StringIO())
    escalation_schedule(interval=60)
    with pytest.raises(CommandError, match="finished in the last 180 seconds"):
        call_command("worker", "--status", stdout=StringIO())
    run_queue()
    out = StringIO()
    call_command("worker", "--status", stdout=out)
    lines = out.getvalue().splitlines()
    assert "SUCCESSFUL" in lines[0]
    assert lines[0].endswith(
        "0 reminders before due, 0 reminder notices, 0 supervision proposals, 0 failed"
    )
    assert lines[-1] == "The worker is running."
    DBTaskResult.objects.update(finished_at=timezone.now() - timedelta(seconds=181))
    with pytest.raises(CommandError):
        call_command("worker", "--status", stdout=StringIO())


def test_a_bad_interval_is_refused():
    with pytest.raises(CommandError, match="at least 1 second"):
        call_command("worker", "--interval", "0")


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_the_worker_process_escalates_and_stops_cleanly_on_sigterm(overdue_case):
    if connection.vendor != "postgresql":
        pytest.skip("the child process needs a database it can share")
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "1",
        "DATABASE_URL": (
            f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:"
            f"{db['PORT'] or 5432}/{db['NAME']}"
        ),
        "XIAONENG_WORKER_INTERVAL": "1",
        "TASKS_BACKEND": "database",
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "django", "worker"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while len(kinds()) < 2 and time.monotonic() < deadline and worker.poll() is None:
            time.sleep(0.2)
        assert kinds() == ["overdue_notice", "supervision_proposed"]
        time.sleep(1.5)  # let it tick again: the second run finds nothing to do
        worker.send_signal(signal.SIGTERM)
        output, _ = worker.communicate(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    assert worker.returncode == 0, output
    assert "deadline escalation every 1 s, task backend DatabaseBackend" in output
    assert (
        "Deadline escalation: 0 reminders before due, 1 reminder notices (催办), "
        "1 supervision proposals, 0 failed." in output
    )
    assert "stopped." in output
    assert kinds() == ["overdue_notice", "supervision_proposed"]
    assert DBTaskResult.objects.filter(status=TaskResultStatus.SUCCESSFUL).count() >= 2
    assert not DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING).exists()


class FakeProcess:
    """Stands in for a child process: the web server 'exits' when waited on."""

    started: list = []

    def __init__(self, args, env=None, start_new_session=False):
        self.args, self.env, self.new_session = args, env, start_new_session
        self.pid, self.returncode, self.signals = 4242, None, []
        FakeProcess.started.append(self)

    def wait(self, timeout=None):
        if self.returncode is None:
            self.returncode = 0
        return self.returncode

    def poll(self):
        return self.returncode

    def send_signal(self, signum):
        self.signals.append(signum)
        self.returncode = 0


def test_demo_serve_runs_the_worker_beside_the_web_server_and_stops_it(monkeypatch):
    from xiaoneng.core.management.commands import demo_serve

    loaded = []
    FakeProcess.started = []
    monkeypatch.setattr(demo_serve.subprocess, "Popen", FakeProcess)
    monkeypatch.setattr(demo_serve, "call_command", lambda *a, **k: loaded.append(a))
    monkeypatch.setenv("PORT", "8123")
    out = StringIO()
    call_command("demo_serve", stdout=out)

    assert loaded == [("demo_load", "--if-empty")]  # prints the demo logins
    worker, web = FakeProcess.started
    assert worker.args == [sys.executable, "-m", "django", "worker"]
    assert worker.new_session is True  # Ctrl-C reaches it only through demo_serve
    assert worker.env["DJANGO_SETTINGS_MODULE"]
    assert web.args == [
        sys.executable,
        "-m",
        "django",
        "runserver",
        "127.0.0.1:8123",
        "--noreload",
    ]
    # The server stopped by itself: nothing to send it; the worker gets SIGTERM.
    assert (web.signals, worker.signals) == ([], [signal.SIGTERM])
    assert out.getvalue().splitlines()[-1] == "The worker stopped (exit status 0)."


@pytest.mark.django_db
def test_housekeeping_runs_once_an_hour_and_deletes_only_what_expired(
    in_process_queue, supervisor, settings, tmp_path
):
    from django.core.files.base import ContentFile

    from xiaoneng.accounts.models import LoginFailure
    from xiaoneng.cases.models import LedgerExport
    from xiaoneng.core.tasks import housekeeping_schedule

    settings.MEDIA_ROOT = tmp_path / "media"
    now = timezone.now()
    for days in (31, 1):  # a failed sign-in past the 30 days kept, and a recent one
        LoginFailure.objects.create(
            ip="192.0.2.7",
            username="nobody",
            reason="wrong_password",
            created_at=now - timedelta(days),
        )
    exports = []
    for days in (8, 1):  # an export past its 7 days, and a recent one
        export = LedgerExport.objects.create(
            requested_by=supervisor, requested_at=now - timedelta(days), status="done"
        )
        export.file.save("ledger.xlsx", ContentFile(b"PK"), save=True)
        exports.append(export)
    expired_file = Path(exports[0].file.path)

    assert housekeeping_schedule() is not None
    assert housekeeping_schedule() is None  # a second worker in the same hour
    run_queue()
    result = DBTaskResult.objects.get(task_path="xiaoneng.core.tasks.housekeeping")
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value["login_records"] == 1
    assert result.return_value["ledger_exports"] == 1
    assert list(LoginFailure.objects.values_list("created_at", flat=True)) == [
        now - timedelta(days=1)
    ]
    assert list(LedgerExport.objects.values_list("pk", flat=True)) == [exports[1].pk]
    assert not expired_file.exists()
    assert Path(exports[1].file.path).exists()
    # The next hour: enqueued again.
    assert housekeeping_schedule(now=now + timedelta(hours=1)) is not None
