"""Concurrent calls on PostgreSQL (SQLite serialises writers, so races cannot happen there):
the rate limit loses no count when several worker processes hit it at once."""

from __future__ import annotations

import threading
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from xiaoneng.open311.models import RateCounter
from xiaoneng.open311.ratelimit import rate_limit_hit

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL"),
]

THREADS, PER_THREAD, LIMIT = 8, 10, 50
NOW = datetime(2026, 3, 2, 9, 30, 5, tzinfo=ZoneInfo("Asia/Shanghai"))


def test_concurrent_hits_are_all_counted_and_exactly_the_limit_passes(transactional_db):
    allowed: list[bool] = []
    lock = threading.Lock()
    start = threading.Barrier(THREADS)

    def worker() -> None:
        try:
            start.wait()
            for _ in range(PER_THREAD):
                decision = rate_limit_hit(bucket="key:1", limit=LIMIT, now=NOW)
                with lock:
                    allowed.append(decision.allowed)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert RateCounter.objects.get(bucket="key:1").hits == THREADS * PER_THREAD
    assert allowed.count(True) == LIMIT
