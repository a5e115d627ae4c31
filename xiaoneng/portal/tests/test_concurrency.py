"""A complaint form sent twice at the same moment (a double click, a retried request) on
PostgreSQL, where the two requests really run side by side: one case, one receipt with the
password, the other the same code without it."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from xiaoneng.cases.models import Case
from xiaoneng.portal import services as ps
from xiaoneng.portal.forms import form_token_issue, form_token_nonce
from xiaoneng.portal.models import PublicAccess, Submission
from xiaoneng.portal.tests.conftest import ANSWER

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL"),
]

THREADS = 4


def test_a_form_sent_several_times_at_once_registers_one_case(
    transactional_db, captcha_answer, complaint, clerk
):
    nonce = form_token_nonce(form_token_issue())
    challenge = ps.captcha_issue(ip="203.0.113.7")
    barrier = threading.Barrier(THREADS)
    results, errors = [], []

    def send():
        try:
            barrier.wait()
            results.append(
                ps.complaint_submit(
                    nonce=nonce,
                    captcha_key=challenge.key,
                    captcha_answer=ANSWER,
                    ip="203.0.113.7",
                    complaint=complaint(),
                )
            )
        except Exception as exc:  # collected and reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert (Case.objects.count(), Submission.objects.count(), PublicAccess.objects.count()) == (
        1,
        1,
        1,
    )
    assert sorted(r.replay for r in results) == [False] + [True] * (THREADS - 1)
    assert {r.code for r in results} == {PublicAccess.objects.get().code}
    assert [bool(r.password) for r in results if not r.replay] == [True]
