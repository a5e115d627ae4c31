"""Delete the API's expired bookkeeping (idempotency records, rate-limit windows)."""

from django.core.management.base import BaseCommand

from xiaoneng.api.services import api_records_purge


class Command(BaseCommand):
    help = "Delete idempotency records older than a day and past rate-limit windows."

    def handle(self, *args, **options):
        counts = api_records_purge()
        self.stdout.write(
            f"Deleted {counts['idempotency_records']} idempotency records and "
            f"{counts['rate_windows']} rate-limit windows."
        )
