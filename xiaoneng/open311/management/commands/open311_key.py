"""Issue an Open311 API key from the command line: register a new client (with its service
account in the receiving unit) or, with --rotate, give an existing client a new key. The key
is printed once, on the last line, and never stored."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from xiaoneng.open311.models import ApiClient
from xiaoneng.open311.selectors import receiving_unit_default
from xiaoneng.open311.services import client_create, client_rotate_key
from xiaoneng.org.selectors import unit_code_map


class Command(BaseCommand):
    help = (
        "Print a new Open311 API key: for a new client named --name, or with --rotate for the "
        "existing client of that name (its old key stops working)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True, help="The client's name, e.g. 12345热线.")
        parser.add_argument(
            "--unit",
            metavar="CODE",
            help="Code of the receiving unit (default: the unit of the intake clerks).",
        )
        parser.add_argument("--contact", default="", help="Who runs the client.")
        parser.add_argument(
            "--rotate", action="store_true", help="Issue a new key for an existing client."
        )

    def handle(self, *args, **options):
        name = options["name"].strip()
        existing = ApiClient.objects.filter(name__iexact=name).first()
        try:
            if options["rotate"]:
                if existing is None:
                    raise CommandError(f"No Open311 client is named {name}.")
                issued = client_rotate_key(actor=None, client=existing)
                self.stdout.write(f"New key for {issued.client.name}; the old key is revoked.")
            else:
                if existing is not None:
                    raise CommandError(
                        f"A client named {existing.name} exists; pass --rotate for a new key."
                    )
                unit = self._unit(options["unit"])
                issued = client_create(actor=None, name=name, unit=unit, contact=options["contact"])
                self.stdout.write(
                    f"Registered {issued.client.name} with the service account "
                    f"{issued.client.account.username} in {unit.name}."
                )
        except ValidationError as exc:
            raise CommandError("\n".join(exc.messages)) from exc
        self.stdout.write("The key is shown only now; keep it safe:")
        self.stdout.write(issued.key)

    @staticmethod
    def _unit(code: str | None):
        if code:
            unit = unit_code_map().get(code.strip())
            if unit is None or not unit.is_active:
                raise CommandError(f"No active unit has the code {code}.")
            return unit
        unit = receiving_unit_default()
        if unit is None:
            raise CommandError(
                "Cannot tell which unit receives the cases: pass --unit with its code."
            )
        return unit
