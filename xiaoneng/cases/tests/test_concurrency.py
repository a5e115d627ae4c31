"""Concurrent work on cases, on PostgreSQL (SQLite serialises writers, so races cannot happen
there): register numbers stay gap-free and unique, and of two people acting on one case at
once exactly one wins while the other gets a clear conflict and nothing is applied twice.

Every thread works in its own database connection and closes it at the end.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from xiaoneng.audit.models import AuditEntry
from xiaoneng.audit.selectors import audit_chain_verify
from xiaoneng.cases import services as s
from xiaoneng.cases.choices import AssignmentStatus, CaseStatus, Stage
from xiaoneng.cases.models import Case, CaseEvent, CaseSequence, Category, Deadline
from xiaoneng.org.services import ConflictError

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL"),
]

TZ = ZoneInfo("Asia/Shanghai")
THREADS = 8
PER_THREAD = 10


def at(*args) -> datetime:
    return datetime(*args, tzinfo=TZ)


class Rollback(Exception):
    """Raised inside a registration's transaction after it has taken its number."""


@pytest.fixture
def tx_category(transactional_db) -> Category:
    # The seeded categories do not survive the flush after an earlier transactional test.
    category, _created = Category.objects.get_or_create(code="TWCP", defaults={"name": "推诿扯皮"})
    return category


def _register(clerk, category, *, label: str, now: datetime, summary: str | None = None) -> Case:
    return s.case_register(
        actor=clerk,
        channel="phone",
        category=category,
        summary=summary if summary is not None else f"并发登记 {label}",
        content=f"并发登记测试内容 {label}。",
        complainant=s.ComplainantData(anonymous=True),
        now=now,
    )


def race(*calls: Callable[[], object]) -> list[tuple[str, object]]:
    """Run the calls in threads released together; each result is ("ok", value) or
    ("error", exception)."""
    barrier = threading.Barrier(len(calls))
    results: list[tuple[str, object] | None] = [None] * len(calls)

    def run(index: int, call: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = ("ok", call())
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            results[index] = ("error", exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    return results  # type: ignore[return-value]


def outcome(results) -> list[str]:
    """The outcomes, sorted: "ok", or the class name of the exception raised."""
    return sorted("ok" if kind == "ok" else type(value).__name__ for kind, value in results)


def loser(results) -> BaseException:
    (error,) = [value for kind, value in results if kind == "error"]
    return error


# --- register numbers -----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_concurrent_registrations_get_gap_free_unique_numbers(clerk, tx_category):
    """Eight clerks register ten cases each at once; each also has one registration fail
    after taking a number (too long a summary) and one rolled back by its caller. The
    failed ones give their numbers back."""
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []
    given_back: list[str] = []

    def clerk_at_work(thread: int) -> None:
        try:
            barrier.wait(timeout=30)
            for index in range(PER_THREAD + 2):
                now = at(2025, 6, 2, 9) + timedelta(minutes=thread * 20 + index)
                label = f"{thread}-{index}"
                if index == 3:
                    try:
                        _register(clerk, tx_category, label=label, now=now, summary="长" * 201)
                    except ValidationError:
                        given_back.append(label)
                elif index == 7:
                    try:
                        with transaction.atomic():
                            _register(clerk, tx_category, label=label, now=now)
                            raise Rollback
                    except Rollback:
                        given_back.append(label)
                else:
                    _register(clerk, tx_category, label=label, now=now)
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=clerk_at_work, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)

    assert not errors, errors
    assert len(given_back) == THREADS * 2
    total = THREADS * PER_THREAD
    rows = list(Case.objects.order_by("seq").values_list("seq", "number", "year"))
    assert rows == [(n, f"XN-2025-{n:06d}", 2025) for n in range(1, total + 1)]
    assert CaseSequence.objects.get(year=2025).last == total
    summaries = set(Case.objects.values_list("summary", flat=True))
    assert summaries == {
        f"并发登记 {t}-{i}"
        for t in range(THREADS)
        for i in range(PER_THREAD + 2)
        if i not in (3, 7)
    }
    assert Deadline.objects.filter(stage=Stage.ACCEPTANCE).count() == total
    assert AuditEntry.objects.filter(action="cases.case.register").count() == total
    chain = audit_chain_verify()
    assert chain.ok, chain.problem


@pytest.mark.django_db(transaction=True)
def test_a_failed_registration_gives_its_number_back(clerk, tx_category):
    first = _register(clerk, tx_category, label="1", now=at(2025, 6, 2, 9))
    with pytest.raises(Rollback), transaction.atomic():
        taken = _register(clerk, tx_category, label="2", now=at(2025, 6, 2, 10))
        assert taken.number == "XN-2025-000002"
        raise Rollback
    with pytest.raises(ValidationError):
        _register(clerk, tx_category, label="3", now=at(2025, 6, 2, 11), summary="长" * 201)
    second = _register(clerk, tx_category, label="4", now=at(2025, 6, 2, 12))
    assert (first.number, second.number) == ("XN-2025-000001", "XN-2025-000002")
    assert list(Case.objects.order_by("seq").values_list("number", "summary")) == [
        ("XN-2025-000001", "并发登记 1"),
        ("XN-2025-000002", "并发登记 4"),
    ]
    assert CaseSequence.objects.get(year=2025).last == 2


# --- two people acting on one case at once ---------------------------------------------------


def _replied_case(clerk, supervisor, liaison_a, handler_a, unit_a, category, start: datetime):
    case = _register(clerk, category, label=str(start), now=start)
    s.case_accept(actor=clerk, case=case, now=start + timedelta(hours=1))
    s.case_dispatch(
        actor=supervisor,
        case=case,
        mode="transfer",
        lead=s.UnitPart(unit_a),
        now=start + timedelta(hours=2),
    )
    assignment = case.assignments.get()
    s.assignment_sign(actor=liaison_a, assignment=assignment, now=start + timedelta(hours=3))
    s.assignment_reply(
        actor=handler_a,
        assignment=assignment,
        reply_text="已整改",
        finding="substantiated",
        now=start + timedelta(hours=4),
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.REPLIED
    return case


@pytest.mark.django_db(transaction=True)
def test_two_reviewers_passing_one_case_at_once_have_exactly_one_winner(
    clerk, supervisor, director, liaison_a, handler_a, unit_a, tx_category
):
    for round_ in range(5):
        start = at(2025, 6, 2 + round_, 9)
        case = _replied_case(clerk, supervisor, liaison_a, handler_a, unit_a, tx_category, start)
        version = case.version
        review_at = start + timedelta(hours=5)
        results = race(
            lambda case=case, version=version, review_at=review_at: s.case_review(
                actor=supervisor, case=case, approve=True, version=version, now=review_at
            ),
            lambda case=case, version=version, review_at=review_at: s.case_review(
                actor=director, case=case, approve=True, version=version, now=review_at
            ),
        )
        assert outcome(results) == ["ConflictError", "ok"]
        assert type(loser(results)) is ConflictError
        assert loser(results).code == "conflict"
        case.refresh_from_db()
        assert (case.status, case.version, case.reviewed_at) == (
            CaseStatus.CALLBACK,
            version + 1,
            review_at,
        )
        assert case.events.filter(code="case.review_passed").count() == 1
        assert Deadline.objects.filter(case=case, stage=Stage.CALLBACK).count() == 1
        assert Deadline.objects.get(case=case, stage=Stage.REVIEW).completed_at == review_at
        assert list(case.assignments.values_list("status", flat=True)) == [
            AssignmentStatus.CONCLUDED
        ]
        reviews = AuditEntry.objects.filter(action="cases.case.review", object_id=str(case.pk))
        assert reviews.count() == 1
        winner = next(v for k, v in results if k == "ok")
        assert case.events.get(code="case.review_passed").actor_id == (
            supervisor.pk if winner is results[0][1] else director.pk
        )


@pytest.mark.django_db(transaction=True)
def test_a_pass_and_a_return_at_once_apply_only_one(
    clerk, supervisor, director, liaison_a, handler_a, unit_a, tx_category
):
    start = at(2025, 6, 9, 9)
    case = _replied_case(clerk, supervisor, liaison_a, handler_a, unit_a, tx_category, start)
    review_at = start + timedelta(hours=5)
    # No version given: the loser finds the case no longer awaiting review.
    results = race(
        lambda: s.case_review(actor=supervisor, case=case, approve=True, now=review_at),
        lambda: s.case_review(
            actor=director, case=case, approve=False, reason="整改措施不具体", now=review_at
        ),
    )
    assert outcome(results) == ["InvalidTransition", "ok"]
    assert type(loser(results)) is s.InvalidTransition
    case.refresh_from_db()
    passed = case.events.filter(code="case.review_passed").count()
    returned = case.events.filter(code="case.review_returned").count()
    assert passed + returned == 1
    if passed:
        assert (case.status, case.redo_count) == (CaseStatus.CALLBACK, 0)
    else:
        assert (case.status, case.redo_count) == (CaseStatus.IN_PROGRESS, 1)
        assert Deadline.objects.filter(case=case, stage=Stage.HANDLING).count() == 2


@pytest.mark.parametrize(
    ("with_version", "expected"), [(True, ConflictError), (False, s.InvalidTransition)]
)
@pytest.mark.django_db(transaction=True)
def test_two_unit_staff_signing_at_once_sign_once(
    clerk, supervisor, liaison_a, handler_a, unit_a, tx_category, with_version, expected
):
    start = at(2025, 6, 2, 9)
    case = _register(clerk, tx_category, label="sign", now=start)
    s.case_accept(actor=clerk, case=case, now=start + timedelta(hours=1))
    s.case_dispatch(
        actor=supervisor,
        case=case,
        mode="transfer",
        lead=s.UnitPart(unit_a),
        now=start + timedelta(hours=2),
    )
    assignment = case.assignments.get()
    version = assignment.version if with_version else None
    sign_at = start + timedelta(hours=3)
    results = race(
        lambda: s.assignment_sign(
            actor=liaison_a, assignment=assignment, version=version, now=sign_at
        ),
        lambda: s.assignment_sign(
            actor=handler_a, assignment=assignment, version=version, now=sign_at
        ),
    )
    assert outcome(results) == [expected.__name__, "ok"]
    assert type(loser(results)) is expected
    assignment.refresh_from_db()
    case.refresh_from_db()
    assert (assignment.status, assignment.version, assignment.signed_at) == (
        AssignmentStatus.IN_PROGRESS,
        2,
        sign_at,
    )
    assert case.status == CaseStatus.IN_PROGRESS
    assert CaseEvent.objects.filter(case=case, code="case.signed").count() == 1
    signing = Deadline.objects.get(case=case, stage=Stage.SIGNING)
    assert signing.completed_at == sign_at
    assert AuditEntry.objects.filter(action="cases.case.sign").count() == 1
