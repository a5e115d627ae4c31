"""Write the OpenAPI schema of /api/v1/ (docs/openapi.json), or check that it is current."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from xiaoneng.api.openapi import SCHEMA_PATH, schema_text


class Command(BaseCommand):
    help = "Write the OpenAPI schema of the REST API to docs/openapi.json (or --output)."

    def add_arguments(self, parser):
        parser.add_argument("--output", default=str(SCHEMA_PATH), help="Where to write it.")
        parser.add_argument(
            "--check",
            action="store_true",
            help="Write nothing; fail when the file differs from the generated schema.",
        )

    def handle(self, *args, output: str, check: bool, **options):
        path = Path(output)
        text = schema_text()
        if check:
            current = path.read_text(encoding="utf-8") if path.exists() else ""
            if current != text:
                raise CommandError(
                    f"{path} is out of date: run `xiaoneng openapi_schema` and commit it."
                )
            self.stdout.write(f"{path} is up to date.")
            return
        path.write_text(text, encoding="utf-8")
        self.stdout.write(f"Wrote {path}.")
