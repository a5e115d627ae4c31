"""Recompute the pre-aggregated statistics from the cases, or check them."""

from django.core.management.base import BaseCommand, CommandError

from xiaoneng.cases.figures import figures_rebuild, figures_verify


class Command(BaseCommand):
    help = (
        "Recompute the statistics' pre-aggregated sums from the cases (after a bulk import or "
        "to repair), or with --verify only compare them with a recomputation."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--verify", action="store_true", help="Compare only; exit 1 when they differ."
        )

    def handle(self, *args, verify: bool, **options):
        if verify:
            problems = figures_verify()
            for line in problems[:50]:
                self.stdout.write(line)
            if problems:
                raise CommandError(f"{len(problems)} sums differ from the cases.")
            self.stdout.write("The statistics' sums agree with the cases.")
            return
        count = figures_rebuild(
            progress=lambda n: (
                self.stdout.write(f"  {n} cases", ending="\r") if n % 50000 == 0 else None
            )
        )
        self.stdout.write(f"Statistics rebuilt from {count} cases.")
