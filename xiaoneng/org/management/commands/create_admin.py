"""Create a system, security or audit administrator from the command line, or give an existing
account one of these roles. This bootstraps a fresh installation without a superuser (the
production checks refuse an active superuser) and recovers a locked-out administrator."""

from __future__ import annotations

import getpass
import sys

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from xiaoneng.org.choices import ADMIN_ROLES, Role
from xiaoneng.org.models import User
from xiaoneng.org.selectors import unit_code_map
from xiaoneng.org.services import (
    user_create,
    user_reset_password,
    user_set_active,
    user_set_roles,
    user_update,
)

ROLE_CHOICES = sorted(ADMIN_ROLES)


class Command(BaseCommand):
    help = (
        "Create a system, security or audit administrator, or give an existing account one of "
        "these roles. Prompts for the password unless --password-stdin is given."
    )

    def add_arguments(self, parser):
        parser.add_argument("--role", required=True, choices=ROLE_CHOICES)
        parser.add_argument("--username", required=True, help="Login name.")
        parser.add_argument("--name", help="The person's name (required for a new account).")
        parser.add_argument("--unit", metavar="CODE", help="Code of the account's unit.")
        parser.add_argument(
            "--password-stdin",
            action="store_true",
            help="Read the password from the first line of standard input.",
        )
        parser.add_argument(
            "--set-password",
            action="store_true",
            help="Also set a new password on an existing account.",
        )
        parser.add_argument(
            "--replace-roles",
            action="store_true",
            help="Remove the other roles an existing account holds (an administrator holds "
            "no other role).",
        )

    def _read_password(self, options) -> str:
        if options["password_stdin"]:
            password = sys.stdin.readline().rstrip("\r\n")
        else:
            if not sys.stdin.isatty():
                raise CommandError("No terminal to prompt for a password: use --password-stdin.")
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("The two passwords differ.")
        if not password:
            raise CommandError("The password is empty.")
        return password

    def handle(self, *args, **options):
        role = options["role"]
        username = options["username"].strip()
        unit = None
        if options["unit"]:
            unit = unit_code_map().get(options["unit"].strip())
            if unit is None:
                raise CommandError(f"No unit has the code {options['unit']}.")
        existing = User.objects.filter(username=username).first()
        if existing is None and not (options["name"] or "").strip():
            raise CommandError("--name is required to create an account.")
        # Read the password before the transaction starts: no lock is held while typing.
        password = None
        if existing is None or options["set_password"] or options["password_stdin"]:
            password = self._read_password(options)
        try:
            with transaction.atomic():
                if existing is None:
                    self._create(username, role, unit, password, options)
                else:
                    self._update(existing, role, unit, password, options)
        except ValidationError as exc:
            raise CommandError("\n".join(exc.messages)) from exc

    def _create(self, username, role, unit, password, options) -> None:
        name = options["name"].strip()
        user_create(
            actor=None,
            username=username,
            name=name,
            unit=unit,
            password=password,
            roles=[role],
            must_change_password=True,
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Created {username} as {Role(role).label}. The password must be changed at "
                "the first sign-in."
            )
        )

    def _update(self, user: User, role: str, unit, password, options) -> None:
        held = set(user.role_assignments.values_list("role", flat=True))
        others = held - {role}
        if others and not options["replace_roles"]:
            raise CommandError(
                f"{user.username} holds other roles ({', '.join(sorted(others))}); an "
                "administrator holds no other role. Pass --replace-roles to remove them."
            )
        if held != {role}:
            user_set_roles(actor=None, user=user, roles=[role])
            self.stdout.write(f"{user.username} now holds only the role {Role(role).label}.")
        else:
            self.stdout.write(f"{user.username} already holds the role {Role(role).label}.")
        if options["name"] and options["name"].strip() != user.name:
            user = user_update(actor=None, user=user, name=options["name"].strip())
            self.stdout.write(f"Name of {user.username} changed.")
        if unit is not None and unit.pk != user.unit_id:
            user = user_update(actor=None, user=user, unit=unit)
            self.stdout.write(f"Unit of {user.username} changed to {unit.code}.")
        if not user.is_active:
            user_set_active(actor=None, user=user, active=True)
            self.stdout.write(f"{user.username} reactivated.")
        if password is not None:
            user_reset_password(actor=None, user=user, password=password)
            self.stdout.write(
                f"Password of {user.username} set; it must be changed at the next sign-in."
            )
        self.stdout.write(self.style.SUCCESS("Done."))
