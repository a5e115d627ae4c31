"""Compute an assessment's results in the foreground, with a progress bar on the terminal."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from xiaoneng.assessments import services
from xiaoneng.assessments.choices import RunStatus
from xiaoneng.assessments.models import Scheme
from xiaoneng.org.models import User

BAR_WIDTH = 30


class Command(BaseCommand):
    help = "Compute the results of an assessment scheme now, in this process, showing progress."

    def add_arguments(self, parser):
        parser.add_argument("scheme", type=int, help="The id of the scheme (in scoring).")
        parser.add_argument(
            "--as",
            dest="username",
            required=True,
            help="The login name of the supervisor or director the computation is recorded for.",
        )

    def handle(self, *args, scheme, username, **options):
        try:
            actor = User.objects.get(username=username)
            target = Scheme.objects.get(pk=scheme)
        except (User.DoesNotExist, Scheme.DoesNotExist) as exc:
            raise CommandError(str(exc)) from exc
        try:
            run = services.compute_request(actor=actor, scheme=target, enqueue=False)
        except services.AssessmentActionDenied as exc:
            raise CommandError(f"{username} may not compute assessments.") from exc
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        run = services.compute_run(run=run, on_progress=self._bar)
        self.stdout.write("")
        if run.status != RunStatus.DONE:
            raise CommandError(f"Computation failed: {run.error}")
        results = run.scheme.results.count()
        self.stdout.write(f"Computed {results} results in {run.seconds} s (run {run.pk}).")

    def _bar(self, done: int, total: int) -> None:
        filled = BAR_WIDTH * done // max(total, 1)
        self.stdout.write(
            f"\r[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {done}/{total}", ending=""
        )
        self.stdout.flush()
