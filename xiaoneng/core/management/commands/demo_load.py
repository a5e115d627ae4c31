from django.core.management.base import BaseCommand
from django.utils import translation

from xiaoneng.core.demo import (
    DEMO_PASSWORD,
    demo_cases_load,
    demo_is_loaded,
    demo_load,
    demo_login_table,
)


class Command(BaseCommand):
    help = "Load the demo district 天洲区 (re-runnable) and print the demo logins."

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Load only when the database holds no demo district yet.",
        )
        parser.add_argument("--quiet-logins", action="store_true", help="Do not print the logins.")

    def handle(self, *args, if_empty=False, quiet_logins=False, **options):
        if if_empty and demo_is_loaded():
            self.stdout.write("Demo district already loaded.")
        else:
            created = demo_load()
            self.stdout.write(
                f"Demo district loaded: {created['units']} units, "
                f"{created['accounts']} accounts created."
            )
            cases = demo_cases_load()
            if cases:
                self.stdout.write(f"Demo cases registered: {cases}.")
            from xiaoneng.assessments.demo import demo_assessment_load

            if demo_assessment_load():
                self.stdout.write("Demo assessment scheme created and computed.")
        if quiet_logins:
            return
        with translation.override("zh-hans"):
            rows = demo_login_table()
        width = max(len(r[0]) for r in rows)
        self.stdout.write("")
        self.stdout.write(f"Demo logins (password for every account: {DEMO_PASSWORD})")
        for login, name, what in rows:
            self.stdout.write(f"  {login.ljust(width)}  {name}  {what}")
        self.stdout.write("")
