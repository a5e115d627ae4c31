"""The database-backed rate limit."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from xiaoneng.open311.models import RateCounter
from xiaoneng.open311.ratelimit import rate_limit_hit

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 3, 2, 9, 30, 15, tzinfo=TZ)


def test_counts_per_bucket_and_minute():
    decisions = [rate_limit_hit(bucket="key:1", limit=2, now=T0) for _ in range(3)]
    assert [(d.allowed, d.hits) for d in decisions] == [(True, 1), (True, 2), (False, 3)]
    assert decisions[-1].retry_after == 45
    assert rate_limit_hit(bucket="ip:10.0.0.1", limit=2, now=T0).hits == 1
    later = rate_limit_hit(bucket="key:1", limit=2, now=T0 + timedelta(seconds=45))
    assert (later.allowed, later.hits, later.retry_after) == (True, 1, 60)


def test_old_windows_are_pruned_when_a_new_one_starts():
    rate_limit_hit(bucket="key:1", limit=5, now=T0)
    rate_limit_hit(bucket="key:2", limit=5, now=T0 + timedelta(minutes=30))
    assert RateCounter.objects.count() == 2
    rate_limit_hit(bucket="key:1", limit=5, now=T0 + timedelta(hours=1, minutes=5))
    assert sorted(RateCounter.objects.values_list("bucket", flat=True)) == ["key:1", "key:2"]
    assert RateCounter.objects.filter(window_start__lt=T0 + timedelta(minutes=1)).count() == 0
