from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from xiaoneng.audit.chain import parse_exported_head
from xiaoneng.audit.services import audit_chain_verify_and_log


class Command(BaseCommand):
    help = (
        "Walk the audit chain in position order and recompute every hash. Prints OK with the "
        "number of entries and the head hash, or exits with status 1 naming the first broken "
        "position (altered entry, broken link, missing position, or entries removed from the "
        "end). With --head FILE, also checks that a head saved earlier with audit_export_head "
        "is still in the chain with the same hash. The verification is itself audited "
        "(audit.verify). Audit entries are never deleted; on PostgreSQL triggers reject "
        "UPDATE, DELETE and TRUNCATE of the audit table (TRUNCATE only passes when the session "
        "sets xiaoneng.audit_maintenance = 'on', as the test runner's flush does)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--head", type=Path, help="A head exported by audit_export_head.")
        parser.add_argument(
            "--chunk-size", type=int, default=5000, help="Rows read per query (default 5000)."
        )

    def handle(self, *args, head=None, chunk_size=5000, **options):
        if chunk_size < 1:
            raise CommandError(_("--chunk-size must be at least 1."))
        exported = None
        if head is not None:
            try:
                exported = parse_exported_head(head.read_bytes())
            except OSError as exc:
                raise CommandError(
                    _("Cannot read %(file)s: %(error)s") % {"file": head, "error": exc.strerror}
                ) from exc
            except ValueError as exc:
                raise CommandError(
                    _("%(file)s is not an exported head: %(error)s") % {"file": head, "error": exc}
                ) from exc
        result = audit_chain_verify_and_log(actor=None, head=exported, chunk_size=chunk_size)
        if not result.ok:
            raise CommandError(
                _("Audit chain broken at position %(position)s (%(code)s): %(message)s")
                % {
                    "position": result.problem.position,
                    "code": result.problem.code,
                    "message": result.problem.message,
                }
            )
        self.stdout.write(
            self.style.SUCCESS(
                ngettext(
                    "OK: %(count)s entry verified; head position %(position)s, hash %(hash)s.",
                    "OK: %(count)s entries verified; head position %(position)s, hash %(hash)s.",
                    result.count,
                )
                % {
                    "count": result.count,
                    "position": result.head_position,
                    "hash": result.head_hash,
                }
            )
        )
        if exported is not None:
            self.stdout.write(
                _("The exported head (position %(position)s) is in the chain.")
                % {"position": exported.position}
            )
