"""The portal's reads: the public view of a case, the periods of the statistics, the
blocklist's matching and the time limits in words."""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import translation

from xiaoneng.cases import services as s
from xiaoneng.cases.public import case_public_view, limit_text
from xiaoneng.portal import selectors
from xiaoneng.portal import services as ps
from xiaoneng.portal.choices import BlockKind

pytestmark = pytest.mark.django_db


def test_a_case_not_accepted_shows_the_reason_and_where_to_go(file_complaint, clerk):
    filing = file_complaint()
    s.case_reject(
        actor=clerk, case=filing.case, reason="属于劳动仲裁事项", referral="区劳动人事争议仲裁院"
    )
    filing.case.refresh_from_db()
    with translation.override("en"):
        view = case_public_view(case=filing.case)
    assert (view.status_label, view.not_accepted_reason, view.referral) == (
        "Not accepted",
        "属于劳动仲裁事项",
        "区劳动人事争议仲裁院",
    )
    assert (view.is_open, view.can_rate, view.deadlines, view.reply_text) == (False, False, [], "")
    assert [e.code for e in view.timeline] == ["case.registered", "case.not_accepted"]
    assert [d["value"] for d in view.timeline[1].details] == [
        "属于劳动仲裁事项",
        "区劳动人事争议仲裁院",
    ]


def test_the_public_view_leaves_internal_steps_out(
    file_complaint, clerk, supervisor, handler_a, unit_a, clock
):
    case = file_complaint().case
    s.case_accept(actor=clerk, case=case, now=clock.tick())
    s.case_dispatch(
        actor=supervisor, case=case, mode="transfer", lead=s.UnitPart(unit_a), now=clock.tick()
    )
    assignment = case.assignments.get()
    s.assignment_sign(actor=handler_a, assignment=assignment, now=clock.tick())
    s.assignment_progress(
        actor=handler_a, assignment=assignment, note="已约谈窗口负责人", now=clock.tick()
    )
    s.case_suspend(actor=supervisor, case=case, reason="等待投诉人补充材料", now=clock.tick())
    case.refresh_from_db()
    view = case_public_view(case=case)
    assert [e.code for e in view.timeline] == [
        "case.registered",
        "case.accepted",
        "case.dispatched",
        "case.signed",
        "case.suspended",
    ]
    assert all(e.actor == "" for e in view.timeline)
    assert [(d.stage, d.suspended) for d in view.deadlines] == [("handling", True)]
    named = case_public_view(case=case, staff_names=True)
    assert [e.actor for e in named.timeline] == ["", "李受理", "王督办", "吴承办", "王督办"]


def test_the_statistics_periods(settings):
    today = date(2025, 5, 20)
    periods = {
        code: (p.start, p.end)
        for code in ("this_month", "last_month", "this_quarter", "this_year", "last_year", "?")
        for p in [selectors.statistics_period(code, today=today)]
    }
    assert periods == {
        "this_month": (date(2025, 5, 1), today),
        "last_month": (date(2025, 4, 1), date(2025, 4, 30)),
        "this_quarter": (date(2025, 4, 1), today),
        "this_year": (date(2025, 1, 1), today),
        "last_year": (date(2024, 1, 1), date(2024, 12, 31)),
        "?": (date(2025, 5, 1), today),
    }
    assert selectors.statistics_period("last_month", today=date(2025, 1, 9)).start == date(
        2024, 12, 1
    )


def test_block_matching(clerk):
    ps.block_create(actor=clerk, kind=BlockKind.IP, value="2001:db8::/48", reason="测试")
    ps.block_create(actor=clerk, kind=BlockKind.PHONE, value="13812345678", reason="测试")
    ps.block_create(actor=clerk, kind=BlockKind.KEYWORD, value="Spam", reason="测试")
    assert selectors.block_match(ip="2001:db8::1").value == "2001:db8::/48"
    assert selectors.block_match(ip="203.0.113.7") is None
    assert selectors.block_match(ip="not-an-ip") is None
    assert selectors.block_match(ip=None, phone="+86 138 1234 5678").value == "13812345678"
    assert selectors.block_match(ip=None, texts=("this is SPAM",)).value == "Spam"
    assert selectors.block_match(ip=None, phone="", texts=("正常投诉",)) is None


def test_time_limits_in_words():
    with translation.override("en"):
        assert [limit_text(1, "working_days"), limit_text(3, "natural_days")] == [
            "1 working day",
            "3 calendar days",
        ]
        assert limit_text(48, "hours") == "48 hours"
