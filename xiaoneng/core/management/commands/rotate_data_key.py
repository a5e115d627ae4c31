"""Re-encrypt protected data under the current data key (see docs/operations.md, "The data
key"). Put the new key first in XIAONENG_DATA_KEY, keep the old one after it, run this
command, then remove the old key once ``--check`` reports nothing left to rewrite."""

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from xiaoneng.core import crypto
from xiaoneng.core.services import DEFAULT_BATCH, data_key_rotate


class Command(BaseCommand):
    # --new-key must work before any key is configured; the rotation checks the key itself.
    requires_system_checks = []
    help = (
        "Re-encrypt every protected value under the current data key and recompute the blind "
        "indexes, so that a retired key can be removed. --check only counts what is left."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--check",
            action="store_true",
            help="Write nothing; exit with status 1 while values still need rewriting.",
        )
        parser.add_argument(
            "--batch-size", type=int, default=DEFAULT_BATCH, help="Rows per transaction."
        )
        parser.add_argument(
            "--new-key",
            action="store_true",
            help="Print a fresh random key (base64) for XIAONENG_DATA_KEY and exit.",
        )

    def handle(self, *args, check, batch_size, new_key: bool, **options):
        if new_key:
            self.stdout.write(crypto.new_key())
            return
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        try:
            report = data_key_rotate(batch_size=batch_size, check_only=check)
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from exc
        for model in report.models:
            verb = "to rewrite" if check else "rewritten"
            self.stdout.write(
                f"{model.label}: {model.rows} rows, {model.stale} {verb}, "
                f"{len(model.unreadable)} unreadable"
            )
            if model.unreadable:
                shown = ", ".join(str(pk) for pk in model.unreadable[:20])
                self.stderr.write(f"  unreadable rows (no configured key decrypts them): {shown}")
        self.stdout.write(f"Current key: {report.key_id}.")
        if report.unreadable:
            raise CommandError(
                f"{report.unreadable} rows could not be decrypted with any configured key: "
                "configure the key they were written with."
            )
        if check and report.stale:
            raise CommandError(f"{report.stale} rows still need rewriting under the current key.")
