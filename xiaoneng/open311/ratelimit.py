"""The per-key and per-address rate limit: a counter per one-minute window, kept in the
database so that every worker process counts against the same limit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

from xiaoneng.open311.models import RateCounter

WINDOW_SECONDS = 60
#: Windows older than this are deleted when a new window starts.
KEEP = timedelta(hours=1)


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    hits: int
    limit: int
    retry_after: int  # seconds until the window ends


def _now() -> datetime:
    return timezone.now()


def rate_limit_hit(*, bucket: str, limit: int, now: datetime | None = None) -> RateDecision:
    """Count one request for ``bucket`` and say whether it stays within ``limit`` requests in
    the current minute. One atomic upsert, so concurrent workers never lose a count."""
    now = now or _now()
    window = now.replace(second=0, microsecond=0)
    table = connection.ops.quote_name(RateCounter._meta.db_table)
    sql = (
        f"INSERT INTO {table} (bucket, window_start, hits) VALUES (%s, %s, 1) "  # noqa: S608
        f"ON CONFLICT (bucket, window_start) DO UPDATE SET hits = {table}.hits + 1 "
        "RETURNING hits"
    )
    stamp = connection.ops.adapt_datetimefield_value(window)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [bucket[:80], stamp])
        hits = cursor.fetchone()[0]
        if hits == 1:
            RateCounter.objects.filter(window_start__lt=window - KEEP).delete()
    elapsed = (now - window).total_seconds()
    return RateDecision(
        allowed=hits <= limit,
        hits=hits,
        limit=limit,
        retry_after=max(1, int(WINDOW_SECONDS - elapsed)),
    )
