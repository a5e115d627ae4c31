"""A paginator for lists that may hold a million rows: it counts at most ``cap`` rows, so a
page costs the same whatever the size of the result; beyond the cap the list says "more than
N" and offers its first N rows (the export holds every one)."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.utils.functional import cached_property

#: Rows counted at most (200 pages of 50).
COUNT_CAP = 10_000
#: Rows counted at most for a text search (20 pages of 50): a frequent word matches a large
#: share of the cases, and the database would otherwise read ten times as many rows to count
#: them; whoever searches refines the words rather than paging beyond.
SEARCH_COUNT_CAP = 1_000


class CappedPaginator(Paginator):
    def __init__(
        self, object_list, per_page, cap: int | None = None, *, searching: bool = False, **kwargs
    ):
        super().__init__(object_list, per_page, **kwargs)
        if cap is None:
            cap = SEARCH_COUNT_CAP if searching else COUNT_CAP
        self.cap = cap

    @cached_property
    def _capped_count(self) -> int:
        # COUNT(*) over a LIMIT subquery: the database stops after cap + 1 rows.
        return self.object_list.order_by()[: self.cap + 1].count()

    @cached_property
    def count(self) -> int:
        return min(self._capped_count, self.cap)

    @property
    def capped(self) -> bool:
        """More rows than were counted: the list shows the first ``cap``."""
        return self._capped_count > self.cap
