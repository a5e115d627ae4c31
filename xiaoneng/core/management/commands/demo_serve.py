"""``make demo``'s last step: the background worker and the development web server together.

The worker runs as a child process in its own session (so that Ctrl-C in the terminal reaches
it only through this command, once); the web server runs in the foreground. When the server
stops (Ctrl-C, or it fails to start) or this command gets SIGTERM, the server and then the
worker are sent SIGTERM; the worker finishes its current task first.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from django.core.management import call_command
from django.core.management.base import BaseCommand

#: Seconds the worker gets to finish its current task before it is killed.
WORKER_STOP_TIMEOUT = 20


def _manage(*args: str) -> list[str]:
    """The command line of a management command in a child process of the same Python."""
    return [sys.executable, "-m", "django", *args]


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    return env


class Command(BaseCommand):
    help = "Run the demo: print the demo logins, start the worker, then serve on 127.0.0.1:$PORT."

    def add_arguments(self, parser):
        parser.add_argument(
            "--port",
            default=os.environ.get("PORT", "8000"),
            help="Port of the web server (default: $PORT or 8000).",
        )

    def handle(self, *args, port: str = "8000", **options):
        call_command("demo_load", "--if-empty", stdout=self.stdout, stderr=self.stderr)
        worker = subprocess.Popen(  # noqa: S603 (our own interpreter and command)
            _manage("worker"), env=_child_env(), start_new_session=True
        )
        self.stdout.write(f"Worker started (process {worker.pid}).")
        self.stdout.flush()
        previous = signal.signal(signal.SIGTERM, self._sigterm)
        web = None
        try:
            web = subprocess.Popen(  # noqa: S603
                _manage("runserver", f"127.0.0.1:{port}", "--noreload"), env=_child_env()
            )
            web.wait()
        except KeyboardInterrupt:
            pass  # Ctrl-C reached the server too; it is stopping on its own
        finally:
            signal.signal(signal.SIGTERM, previous)
            if web is not None:
                self._stop(web, signal.SIGTERM, "web server")
            self._stop(worker, signal.SIGTERM, "worker")

    @staticmethod
    def _sigterm(signum, frame):
        raise KeyboardInterrupt

    def _stop(self, process: subprocess.Popen, signum: int, name: str) -> None:
        if process.poll() is None:
            process.send_signal(signum)
        try:
            process.wait(timeout=WORKER_STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.stderr.write(f"The {name} did not stop in time; killing it.")
            process.kill()
            process.wait()
        self.stdout.write(f"The {name} stopped (exit status {process.returncode}).")
