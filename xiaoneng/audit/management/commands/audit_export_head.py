import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from xiaoneng.audit.services import audit_head_export


class Command(BaseCommand):
    help = (
        "Print the head of the audit chain as JSON {position, hash, time, exported_at}, or "
        "write it to --output FILE. Keep it outside the database (another machine, paper, the "
        "archive); later 'audit_verify --head FILE' proves that the chain still contains it, "
        "i.e. that no entries were removed from or rewritten at the end. The export is itself "
        "audited (audit.export_head) and is the head it reports."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output", type=Path, help="Write the head to this file.")

    def handle(self, *args, output=None, **options):
        if output is None:
            head = audit_head_export(actor=None, destination="stdout")
            self.stdout.write(json.dumps(head.as_dict(), indent=2))
            return
        try:
            # Opened before the export is recorded, so an unwritable path records nothing.
            with output.open("w", encoding="utf-8") as file:
                head = audit_head_export(actor=None, destination="file")
                file.write(json.dumps(head.as_dict(), indent=2) + "\n")
        except OSError as exc:
            raise CommandError(
                _("Cannot write %(file)s: %(error)s") % {"file": output, "error": exc.strerror}
            ) from exc
        self.stdout.write(
            _("Head position %(position)s written to %(file)s.")
            % {"position": head.position, "file": output}
        )
