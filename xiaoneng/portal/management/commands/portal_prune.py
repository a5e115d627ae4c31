"""Delete the portal's expired CAPTCHAs and old rate-limit events (run hourly or daily from
cron or a timer; the limits stay correct without it, the tables only grow)."""

from django.core.management.base import BaseCommand

from xiaoneng.portal.services import portal_prune


class Command(BaseCommand):
    help = "Delete expired CAPTCHA challenges and rate-limit events older than their windows."

    def handle(self, *args, **options):
        counts = portal_prune()
        self.stdout.write(
            f"Deleted {counts['captchas']} CAPTCHA challenges and "
            f"{counts['rate_events']} rate-limit events."
        )
