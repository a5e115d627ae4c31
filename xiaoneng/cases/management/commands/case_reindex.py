"""Fill the search column (``Case.search_text``) of every case, in chunks."""

from django.core.management.base import BaseCommand
from django.db import transaction

from xiaoneng.cases.models import Case
from xiaoneng.cases.search import case_search_text


class Command(BaseCommand):
    help = "Re-segment the searchable text of every case (the ledger's text search)."

    def add_arguments(self, parser):
        parser.add_argument("--chunk", type=int, default=2000, help="Cases per transaction.")

    def handle(self, *args, chunk: int, **options):
        fields = ("pk", "number", "summary", "content", "place", "subject_persons")
        last_pk = 0
        total = 0
        while True:
            rows = list(
                Case.objects.filter(pk__gt=last_pk).order_by("pk").values_list(*fields)[:chunk]
            )
            if not rows:
                break
            cases = [
                Case(
                    pk=pk,
                    search_text=case_search_text(
                        number=number,
                        summary=summary,
                        content=content,
                        place=place,
                        subject_persons=persons,
                    ),
                )
                for pk, number, summary, content, place, persons in rows
            ]
            with transaction.atomic():
                Case.objects.bulk_update(cases, ["search_text"])
            total += len(cases)
            last_pk = rows[-1][0]
        self.stdout.write(f"{total} cases reindexed.")
