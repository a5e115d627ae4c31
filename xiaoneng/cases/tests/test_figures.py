"""The pre-aggregated statistics: kept current by every case service in its own transaction,
equal to a recomputation, rebuilt from scratch, and read over any period."""

import threading
from datetime import date

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from xiaoneng.cases.figures import figures_rebuild, figures_verify
from xiaoneng.cases.models import CaseFigures, FiguresDay, FiguresMonth
from xiaoneng.cases.statistics import Period, _split, case_statistics
from xiaoneng.cases.tests.test_statistics import MARCH, NOW, at

pytestmark = pytest.mark.django_db


def test_the_sums_follow_every_step_of_the_lifecycle(march):
    # The March fixture takes cases through acceptance, refusal, dispatch, return and
    # ruling, extension, reply late and on time, review, callback, redo, suspension and
    # close-out: after all of it the sums equal a recomputation from the cases.
    assert figures_verify() == []
    assert CaseFigures.objects.count() == len(march)


def test_a_rebuild_gives_the_same_statistics(march, leader):
    before = case_statistics(user=leader, group_by="unit", now=NOW, **MARCH)
    FiguresDay.objects.update(received=0)  # damage the sums
    FiguresMonth.objects.update(concluded=99)
    assert figures_verify() != []
    assert figures_rebuild() == len(march)
    assert figures_verify() == []
    after = case_statistics(user=leader, group_by="unit", now=NOW, **MARCH)
    assert [r.counts for r in after.rows] == [r.counts for r in before.rows]
    assert after.total.counts == before.total.counts


def test_the_command_checks_and_rebuilds(march, capsys):
    call_command("figures_rebuild", "--verify")
    assert "agree" in capsys.readouterr().out
    FiguresMonth.objects.update(received=0)
    with pytest.raises(CommandError, match="differ"):
        call_command("figures_rebuild", "--verify")
    call_command("figures_rebuild")
    assert f"from {len(march)} cases" in capsys.readouterr().out
    call_command("figures_rebuild", "--verify")


def test_a_figure_changes_in_the_transaction_of_the_change(office_desk, leader, unit_a, handler_a):
    case = office_desk.concluded(unit_a, handler_a, 3, "substantiated")

    def satisfied():
        stats = case_statistics(user=leader, group_by="unit", now=NOW, **MARCH)
        return stats.total.counts["satisfied"]

    assert satisfied() == 0
    office_desk.callback(case, "satisfied", "solved")
    assert satisfied() == 1  # read straight after the service, no task in between


@pytest.mark.parametrize(
    ("start", "end", "days", "months"),
    [
        (date(2025, 3, 1), date(2025, 3, 31), [], (date(2025, 3, 1), date(2025, 3, 1))),
        (date(2025, 1, 1), date(2025, 12, 31), [], (date(2025, 1, 1), date(2025, 12, 1))),
        (
            date(2025, 2, 15),
            date(2025, 4, 30),
            [(date(2025, 2, 15), date(2025, 2, 28))],
            (date(2025, 3, 1), date(2025, 4, 1)),
        ),
        (
            date(2025, 2, 15),
            date(2025, 5, 3),
            [(date(2025, 2, 15), date(2025, 2, 28)), (date(2025, 5, 1), date(2025, 5, 3))],
            (date(2025, 3, 1), date(2025, 4, 1)),
        ),
        (date(2025, 3, 5), date(2025, 3, 20), [(date(2025, 3, 5), date(2025, 3, 20))], None),
        (date(2025, 3, 5), date(2025, 4, 20), [(date(2025, 3, 5), date(2025, 4, 20))], None),
        (date(2024, 2, 1), date(2024, 2, 29), [], (date(2024, 2, 1), date(2024, 2, 1))),
    ],
)
def test_a_period_is_read_as_whole_months_and_days(start, end, days, months):
    assert _split(Period(start, end)) == (days, months)


def test_any_period_adds_up_from_months_and_days(march, leader):
    def received(start, end):
        stats = case_statistics(user=leader, start=start, end=end, group_by="month", now=NOW)
        return stats.total.counts["received"], [r.counts["received"] for r in stats.rows]

    # March: days 3–14 registered one case each (10 cases); X1 on 20 February.
    assert received(date(2025, 2, 20), date(2025, 3, 5)) == (4, [1, 3])
    assert received(date(2025, 3, 6), date(2025, 3, 12)) == (5, [5])
    assert received(date(2025, 2, 1), date(2025, 3, 31)) == (11, [1, 10])
    assert received(date(2025, 3, 14), date(2025, 4, 2)) == (1, [1, 0])


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_registrations_into_the_same_sums_add_up(register, category):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL's concurrent writers")
    register(now=at(2025, 3, 3, 9), summary="先有一件")  # the day's row exists already
    barrier = threading.Barrier(4)
    errors = []

    def work(n):
        try:
            barrier.wait(timeout=10)
            register(now=at(2025, 3, 3, 10 + n), summary=f"并发第{n}件", content=f"内容{n}")
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    row = FiguresDay.objects.get(day=date(2025, 3, 3), category_id=category.pk)
    assert row.received == 5
    assert FiguresMonth.objects.get(month=date(2025, 3, 1), category_id=category.pk).received == 5
    assert figures_verify() == []


def test_a_case_counts_on_its_local_day_and_month(register, category):
    # 23:30 on 31 March in Beijing is 15:30 UTC: the case belongs to 31 March and to March,
    # both when its service keeps the sums and after a rebuild in the database.
    register(now=at(2025, 3, 31, 23, 30), summary="月末深夜登记的件")
    register(now=at(2025, 4, 1, 0, 10), summary="月初凌晨登记的件")
    for _ in range(2):
        days = dict(
            FiguresDay.objects.filter(category_id=category.pk).values_list("day", "received")
        )
        assert days == {date(2025, 3, 31): 1, date(2025, 4, 1): 1}
        months = dict(
            FiguresMonth.objects.filter(category_id=category.pk).values_list("month", "received")
        )
        assert months == {date(2025, 3, 1): 1, date(2025, 4, 1): 1}
        assert figures_rebuild() == 2
