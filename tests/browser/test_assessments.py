"""A unit assessment from scheme to locked result in a real browser: the supervisor defines
the group and the scheme with its indicators on the screens, an evaluator scores, the
computation runs with its progress bar, the director publishes the results for public
notice, a unit head reads the unit's score card and its cases, and the director locks the
results. Each persona works in a browser context of their own."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from xiaoneng.assessments.choices import SchemeStatus
from xiaoneng.assessments.models import Result, Scheme
from xiaoneng.cases import services as cs
from xiaoneng.cases.defaults import seed_categories
from xiaoneng.cases.models import Category
from xiaoneng.org.choices import Role
from xiaoneng.org.tests.factories import UserFactory

TZ = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def categories(transactional_db):
    seed_categories(Category)
    return Category


@pytest.fixture
def immediate_tasks(settings):
    """No worker runs beside the live server: the computation runs as soon as it is queued."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def closed_case(clerk, supervisor, unit, handler, day: datetime, satisfaction: str):
    case = cs.case_register(
        actor=clerk,
        channel="phone",
        category=Category.objects.get(code="TWCP"),
        summary=f"{unit.short_name}窗口推诿",
        content="办事窗口多次推诿。",
        complainant=cs.ComplainantData(name="张三", phone="13800000000"),
        now=day,
    )
    cs.case_accept(actor=clerk, case=case, now=day + timedelta(hours=1))
    cs.case_dispatch(
        actor=supervisor,
        case=case,
        mode="transfer",
        lead=cs.UnitPart(unit),
        now=day + timedelta(hours=2),
    )
    cs.assignment_sign(
        actor=handler, assignment=case.assignments.get(), now=day + timedelta(hours=3)
    )
    cs.assignment_reply(
        actor=handler,
        assignment=case.assignments.get(),
        reply_text="已整改",
        finding="unsubstantiated",
        now=day + timedelta(days=2),
    )
    cs.case_review(actor=supervisor, case=case, approve=True, now=day + timedelta(days=2, hours=1))
    case.refresh_from_db()
    cs.case_callback(
        actor=clerk,
        case=case,
        satisfaction=satisfaction,
        solved="solved",
        now=day + timedelta(days=3),
    )
    return case


def test_a_unit_assessment_from_scheme_to_locked_result(
    page, live_server, login, page_as, snap, snap_page, categories, immediate_tasks, password,
    clerk, supervisor, director, leader, unit_head_a, handler_a, handler_b, unit_a, unit_b,
):  # fmt: skip
    year = timezone.localdate().year
    start = datetime(year, 3, 2, 9, tzinfo=TZ)
    case_a = closed_case(clerk, supervisor, unit_a, handler_a, start, "satisfied")
    closed_case(clerk, supervisor, unit_b, handler_b, start + timedelta(days=7), "dissatisfied")
    evaluator = UserFactory(username="pingwei", name="评委甲", unit=leader.unit,
                            roles=[Role.LEADER])  # fmt: skip

    # 1. The supervisor defines the group of units.
    office = page
    login(office, live_server, supervisor, password)
    office.goto(f"{live_server.url}/assessments/")
    office.goto(f"{live_server.url}/assessments/groups/new/")
    form = office.get_by_test_id("group-form")
    form.locator("input[name='name']").fill("区直部门")
    form.locator(f"input[name='units'][value='{unit_a.pk}']").check()
    form.locator(f"input[name='units'][value='{unit_b.pk}']").check()
    with office.expect_navigation():
        form.get_by_test_id("group-save").click()
    expect(office.get_by_test_id("group-table")).to_contain_text("区人社局")

    # 2. The scheme for this year.
    office.goto(f"{live_server.url}/assessments/")
    with office.expect_navigation():
        office.get_by_test_id("scheme-create-link").click()
    form = office.get_by_test_id("scheme-form")
    form.locator("input[name='name']").fill(f"{year}年度区直部门效能考核")
    form.locator("select[name='group']").select_option(label="区直部门")
    with office.expect_navigation():
        form.get_by_test_id("scheme-save").click()
    expect(office.get_by_test_id("scheme-status")).to_have_attribute("data-status", "draft")
    scheme = Scheme.objects.get()

    # 3. Its indicators: a closure rate computed from the cases, an evaluated indicator.
    with office.expect_navigation():
        office.get_by_test_id("add-indicator").click()
    form = office.get_by_test_id("indicator-form")
    form.locator("input[name='name']").fill("办结率")
    form.locator("select[name='kind']").select_option("computed")
    form.locator("input[name='weight']").fill("40")
    form.locator("select[name='source']").select_option("cases.closure_rate")
    expect(office.get_by_test_id("source-definition")).not_to_be_empty()
    form.locator("select[name='rule']").select_option("linear")
    form.locator("input[name='lower']").fill("60")
    form.locator("input[name='upper']").fill("100")
    # Fields of other kinds and rules are hidden.
    expect(form.locator("input[name='per']")).to_be_hidden()
    snap("1-indicator-form")
    with office.expect_navigation():
        form.get_by_test_id("indicator-save").click()
    with office.expect_navigation():
        office.get_by_test_id("add-indicator").click()
    form = office.get_by_test_id("indicator-form")
    form.locator("input[name='name']").fill("群众满意度")
    form.locator("select[name='kind']").select_option("evaluated")
    form.locator("input[name='weight']").fill("60")
    with office.expect_navigation():
        form.get_by_test_id("indicator-save").click()
    expect(office.get_by_test_id("indicator-row")).to_have_count(2)
    expect(office.get_by_test_id("readiness")).to_contain_text("群众满意度")
    evaluated = scheme.indicators.get(name="群众满意度")
    office.goto(f"{live_server.url}/assessments/{scheme.pk}/indicators/{evaluated.pk}/evaluators/")
    form = office.get_by_test_id("evaluator-form")
    form.locator("select[name='user']").select_option(str(evaluator.pk))
    with office.expect_navigation():
        form.get_by_test_id("evaluator-add").click()
    expect(office.get_by_test_id("evaluator-table")).to_contain_text("评委甲")
    office.goto(f"{live_server.url}/assessments/{scheme.pk}/")
    snap("2-draft-scheme")

    # 4. Scoring starts (the indicators are locked).
    office.once("dialog", lambda dialog: dialog.accept())
    with office.expect_navigation():
        office.get_by_test_id("start-scoring").click()
    expect(office.get_by_test_id("scheme-status")).to_have_attribute("data-status", "scoring")

    # 5. The evaluator gives the scores.
    judge = page_as(evaluator, password)
    judge.goto(f"{live_server.url}/assessments/")
    with judge.expect_navigation():
        judge.get_by_test_id("to-score").get_by_role("link").click()
    for label, value in (("区人社局", "95"), ("区财政局", "80")):
        row = judge.locator(f"[data-testid='evaluation-row'][data-target='{label}']")
        row.locator("input[name^='score_']").fill(value)
    with judge.expect_navigation():
        judge.get_by_test_id("evaluation-save").click()
    expect(judge.locator("main .alert-success")).to_be_visible()

    # 6. The supervisor computes the results: the progress bar reaches 100 %.
    office.reload()
    with office.expect_navigation():
        office.get_by_test_id("compute").click()
    progress = office.get_by_test_id("compute-progress")
    expect(progress).to_have_attribute("data-run-status", "done")
    expect(progress.locator(".progress")).to_have_attribute("aria-valuenow", "100")
    snap("3-computed")
    with office.expect_navigation():
        office.get_by_test_id("results-link").click()
    rows = office.get_by_test_id("ranking-row")
    expect(rows).to_have_count(2)
    # 区人社局: closure 100 % → 40, evaluated 95 → 57: 97; 区财政局: 40 + 48 = 88.
    expect(rows.nth(0)).to_have_attribute("data-target", "区人社局")
    expect(rows.nth(0)).to_have_attribute("data-total", "97.00")
    expect(rows.nth(1)).to_have_attribute("data-total", "88.00")
    expect(office.locator("#ranking-chart canvas")).to_have_count(1)
    snap("4-ranking")

    # 7. The director publishes the results for public notice until today.
    boss = page_as(director, password)
    boss.goto(f"{live_server.url}/assessments/{scheme.pk}/")
    form = boss.get_by_test_id("publicity-form")
    form.locator("input[name='publicity_end']").fill(timezone.localdate().isoformat())
    with boss.expect_navigation():
        form.locator("button[type='submit']").click()
    expect(boss.get_by_test_id("scheme-status")).to_have_attribute("data-status", "publicity")

    # 8. The unit head reads the unit's score card and the cases behind the closure rate.
    head = page_as(unit_head_a, password)
    head.goto(f"{live_server.url}/assessments/{scheme.pk}/")
    with head.expect_navigation():
        head.get_by_test_id("my-cards").get_by_role("link", name="区人社局").click()
    expect(head.get_by_test_id("card-total")).to_have_text("97.00")
    snap_page(head, "5-score-card")
    with head.expect_navigation():
        head.get_by_test_id("trace-link").first.click()
    expect(head.get_by_test_id("trace-row")).to_have_count(1)
    expect(head.get_by_test_id("trace-table")).to_contain_text(case_a.number)
    snap_page(head, "6-trace")

    # 9. The notice has run its course (its last day is yesterday now); the director locks.
    Scheme.objects.filter(pk=scheme.pk).update(
        publicity_end=timezone.localdate() - timedelta(days=1)
    )
    boss.reload()
    boss.once("dialog", lambda dialog: dialog.accept())
    with boss.expect_navigation():
        boss.get_by_test_id("finalize").click()
    expect(boss.get_by_test_id("scheme-status")).to_have_attribute("data-status", "final")
    expect(boss.get_by_test_id("final-note")).to_be_visible()
    scheme.refresh_from_db()
    assert scheme.status == SchemeStatus.FINAL
    assert list(
        Result.objects.filter(scheme=scheme).order_by("rank").values_list("target__label", "grade")
    ) == [("区人社局", "good"), ("区财政局", "good")]  # 20 % of two units: no 优秀 place
    office.goto(f"{live_server.url}/assessments/{scheme.pk}/results/")
    expect(office.get_by_test_id("provisional")).to_have_count(0)
