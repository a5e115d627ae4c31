"""Delete old failed-sign-in rows (run daily from cron or a timer). The audit log keeps every
attempt; these rows only feed the per-address limit and the lock counters."""

from django.core.management.base import BaseCommand

from xiaoneng.accounts.services import login_records_prune


class Command(BaseCommand):
    help = "Delete failed-sign-in records older than --days (default 30)."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=30)

    def handle(self, *args, days: int, **options):
        count = login_records_prune(keep_days=days)
        self.stdout.write(f"Deleted {count} records.")
