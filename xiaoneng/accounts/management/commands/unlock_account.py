"""Lift the sign-in lock on an account from the command line: for when the security
administrator is the one locked out. Audited as ``auth.unlock`` with no actor."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from xiaoneng.accounts.selectors import account_get
from xiaoneng.accounts.services import account_unlock


class Command(BaseCommand):
    help = "Lift the sign-in lock on an account before it expires."

    def add_arguments(self, parser):
        parser.add_argument("username", help="Login name of the locked account.")

    def handle(self, *args, username: str, **options):
        user = account_get(username=username)
        if user is None:
            raise CommandError(f"No account with the login name {username!r}.")
        try:
            account_unlock(actor=None, user=user)
        except ValidationError as error:
            raise CommandError(f"{username} is not locked.") from error
        self.stdout.write(f"Unlocked {username}.")
