"""Concurrent writers on PostgreSQL: the head lock keeps the chain gap-free and linked."""

import threading

import pytest
from django.db import connection, transaction

from xiaoneng.audit.models import AuditEntry, AuditHead
from xiaoneng.audit.selectors import audit_chain_verify
from xiaoneng.audit.services import audit_log

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL"),
]

THREADS = 8
PER_THREAD = 25


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_keep_the_chain_intact(audit_truncate_allowed, handler_a):
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def writer(number: int) -> None:
        try:
            barrier.wait(timeout=30)
            for index in range(PER_THREAD):
                with transaction.atomic():
                    audit_log(
                        action="test.concurrency.write",
                        actor=handler_a,
                        data={"thread": number, "index": index},
                    )
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not errors, errors
    total = THREADS * PER_THREAD
    positions = list(AuditEntry.objects.order_by("position").values_list("position", flat=True))
    assert positions == list(range(1, total + 1))
    written = set(AuditEntry.objects.values_list("data__thread", "data__index"))
    assert written == {(t, i) for t in range(THREADS) for i in range(PER_THREAD)}
    result = audit_chain_verify()
    assert result.ok, result.problem
    assert result.count == total
    head = AuditHead.objects.get()
    assert (head.position, head.hash) == (total, result.head_hash)
