"""Concurrent calls on PostgreSQL (SQLite serialises writers, so races cannot happen there):
a POST sent several times at once under one Idempotency-Key acts once, and the rate limit
counts every call of every worker."""

from __future__ import annotations

import json
import threading
import uuid

import pytest
from django.db import connection
from django.test import Client

from xiaoneng.api.models import RateWindow
from xiaoneng.api.services import token_create
from xiaoneng.cases.models import Case, Category

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL"),
]

THREADS = 6


def _together(work) -> list:
    """Run ``work(i)`` in THREADS threads released at once; each closes its connection."""
    barrier = threading.Barrier(THREADS)
    results: list = [None] * THREADS

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = work(i)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.fixture
def clerk_secret(transactional_db, clerk, settings):
    settings.API_RATE_LIMIT_PER_MINUTE = 10_000
    Category.objects.get_or_create(code="TWCP", defaults={"name": "推诿扯皮"})
    return token_create(actor=clerk, name="concurrency", expires_in_days=30)[1]


def test_one_key_sent_at_once_registers_one_case(clerk_secret):
    body = json.dumps(
        {
            "category": "TWCP",
            "summary": "并发重复提交",
            "content": "同一请求同时提交多次。",
            "complainant": {"anonymous": True},
        }
    )
    key = uuid.uuid4().hex

    def post(_i):
        response = Client().post(
            "/api/v1/cases",
            body,
            content_type="application/json",
            headers={"Authorization": f"Bearer {clerk_secret}", "Idempotency-Key": key},
        )
        return response.status_code, response.headers.get("Idempotent-Replayed"), response

    results = _together(post)
    assert Case.objects.count() == 1
    statuses = sorted(status for status, _replayed, _r in results)
    assert set(statuses) <= {201, 409}
    originals = [r for status, replayed, r in results if status == 201 and replayed is None]
    assert len(originals) == 1
    for status, _replayed, response in results:
        if status == 409:
            assert response.json()["code"] == "idempotency_key_in_use"
        else:
            assert response.json()["id"] == Case.objects.get().pk


def test_the_rate_limit_counts_every_call_of_every_worker(clerk_secret):
    def calls(_i):
        client = Client()
        return [
            client.get(
                "/api/v1/me", headers={"Authorization": f"Bearer {clerk_secret}"}
            ).status_code
            for _ in range(5)
        ]

    results = _together(calls)
    assert all(code == 200 for codes in results for code in codes)
    assert sum(RateWindow.objects.values_list("count", flat=True)) == THREADS * 5
