"""The complaint centre's main journey in a real browser: one case walked through every stage
by the real roles, all through the screens (registration form, work queues, the action cards
on the case page), and a unit handler signing for a case on a phone.

The personas each work in a browser context of their own (``page_as``); the supervisor uses
the test's own ``page``, so its last state (the closed case's timeline) is the test's final
screenshot. Nothing here calls a service to move the case; the database is read only at the
end, to check what the screens reported."""

from __future__ import annotations

import re

import pytest
from django.utils import translation
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from xiaoneng.cases.choices import AssignmentRole, AssignmentStatus, CaseStatus
from xiaoneng.cases.defaults import seed_categories
from xiaoneng.cases.models import Case, Category
from xiaoneng.cases.registry import EVENT_LABELS
from xiaoneng.cases.services import (
    ComplainantData,
    UnitPart,
    case_accept,
    case_dispatch,
    case_register,
)

PHONE = {"width": 390, "height": 844}

SUMMARY = "办理社保转移被多次推诿"
CONTENT = "今年三月起去区人社局办理社保转移，窗口三次让我找别的部门，至今没有办成。"


@pytest.fixture
def categories(transactional_db):
    """The live server's tests empty every table afterwards, the migration's categories
    included: put the default tree back."""
    seed_categories(Category)
    return Category


# --- helpers ---------------------------------------------------------------------------------


def case_status(pg):
    return pg.get_by_test_id("case-header").get_by_test_id("case-status")


def expect_status(pg, status: str) -> None:
    expect(case_status(pg)).to_have_attribute("data-status", status)


def assignment_box(pg, unit):
    return pg.locator(f"[data-testid='assignment'][data-unit='{unit.code}']")


def open_card(pg, code: str):
    """Unfold the action card ``code`` (a <details>) and return its form."""
    card = pg.get_by_test_id("case-actions").get_by_test_id(f"action-{code}")
    expect(card).to_have_count(1)
    if card.get_attribute("open") is None:
        card.locator(":scope > summary").click()
    form = card.get_by_test_id(f"action-form-{code}")
    expect(form).to_be_visible()
    return form


def submit(pg, form) -> None:
    """Send an action form (HTMX) and wait for the case page it redirects to. A form that
    comes back with errors instead fails the test with what the card says."""
    card_text = ""
    try:
        with pg.expect_navigation():
            form.locator("button[type='submit']").click()
    except PlaywrightError:
        card_text = pg.get_by_test_id("case-actions").inner_text()
    assert not card_text, f"the action did not go through:\n{card_text}"
    expect(pg.locator("main .alert-success")).to_be_visible()


def open_from_queue(pg, live_server, queue: str, number: str) -> None:
    """Open the work queue ``queue`` and follow the case's link from it."""
    pg.goto(f"{live_server.url}/cases/queues/?queue={queue}")
    expect(pg.get_by_test_id("queue-active")).to_have_attribute("data-queue", queue)
    row = pg.get_by_test_id("queue-cases").locator(f"[data-number='{number}']")
    with pg.expect_navigation():
        row.get_by_role("link", name=number).click()
    expect(pg.get_by_test_id("case-number")).to_have_text(number)


def to_top(pg) -> None:
    """Scroll to the top before a full-page screenshot (the sticky top bar and action column
    would otherwise be drawn where the page was scrolled to)."""
    pg.evaluate("window.scrollTo(0, 0)")


def open_case(pg, url: str) -> None:
    pg.goto(url)
    expect(pg.get_by_test_id("case-header")).to_be_visible()


# --- the whole lifecycle -----------------------------------------------------------------------


def test_one_joint_case_through_every_stage_with_the_real_roles(
    page,
    live_server,
    login,
    page_as,
    snap,
    snap_page,
    categories,
    password,
    clerk,
    supervisor,
    liaison_a,
    handler_a,
    handler_b,
    unit_a,
    unit_b,
):
    # 1. The intake clerk registers a phone complaint through the registration form.
    desk = page_as(clerk, password)
    desk.goto(f"{live_server.url}/cases/queues/")
    with desk.expect_navigation():
        desk.get_by_test_id("case-create-link").click()
    form = desk.get_by_test_id("case-register-form")
    form.locator("select[name='channel']").select_option("phone")
    form.locator("input[name='complainant_name']").fill("张三丰")
    form.locator("input[name='complainant_phone']").fill("13812345678")
    form.locator("select[name='category']").select_option(label="推诿扯皮")
    form.locator("input[name='summary']").fill(SUMMARY)
    form.locator("textarea[name='content']").fill(CONTENT)
    form.locator(f"input[name='subject_units'][value='{unit_a.pk}']").check()
    to_top(desk)
    snap_page(desk, "1-registration-form")
    with desk.expect_navigation():
        desk.get_by_test_id("case-register-submit").click()
    expect_status(desk, CaseStatus.REGISTERED)
    number = desk.get_by_test_id("case-number").inner_text().strip()
    assert re.fullmatch(r"XN-\d{4}-\d{6}", number), number
    case_url = desk.url
    expect(desk.get_by_test_id("case-summary")).to_have_text(SUMMARY)
    expect(desk.get_by_test_id("case-channel")).not_to_be_empty()
    expect(desk.get_by_test_id("subject-units")).to_have_text(unit_a.name)

    # 2. The clerk accepts it.
    submit(desk, open_card(desk, "accept"))
    expect_status(desk, CaseStatus.ACCEPTED)

    # 3. The supervisor finds it in the dispatch queue and dispatches it as joint handling:
    #    区人社局 leads, 区财政局 handles a part of it.
    login(page, live_server, supervisor, password)
    office = page
    open_from_queue(office, live_server, "to_dispatch", number)
    expect_status(office, CaseStatus.ACCEPTED)
    form = open_card(office, "dispatch")
    form.locator("input[name='mode'][value='joint']").check()
    form.locator("select[name='lead_unit']").select_option(str(unit_a.pk))
    form.locator("textarea[name='lead_part']").fill("查明窗口推诿原因并整改")
    form.locator("select[name='co_unit_1']").select_option(str(unit_b.pk))
    form.locator("textarea[name='co_part_1']").fill("核实社保转移涉及的收费")
    submit(office, form)
    expect_status(office, CaseStatus.DISPATCHED)
    expect(assignment_box(office, unit_a)).to_have_attribute("data-status", "pending_sign")
    expect(assignment_box(office, unit_b)).to_have_attribute("data-status", "pending_sign")
    to_top(office)
    snap("3-after-dispatch")

    # 4. Each unit signs for its part: the lead's liaison (naming the handler), then the
    #    co-unit's handler.
    lead_liaison = page_as(liaison_a, password)
    open_from_queue(lead_liaison, live_server, "to_sign", number)
    form = open_card(lead_liaison, "sign")
    form.locator("select[name='handler']").select_option(str(handler_a.pk))
    submit(lead_liaison, form)
    expect_status(lead_liaison, CaseStatus.IN_PROGRESS)
    expect(assignment_box(lead_liaison, unit_a)).to_have_attribute("data-status", "in_progress")

    co_handler = page_as(handler_b, password)
    open_from_queue(co_handler, live_server, "to_sign", number)
    submit(co_handler, open_card(co_handler, "sign"))
    expect(assignment_box(co_handler, unit_b)).to_have_attribute("data-status", "in_progress")
    expect_status(co_handler, CaseStatus.IN_PROGRESS)

    # 5. The co-unit replies on its part, then the lead replies for the case.
    submit(co_handler, _reply_form(co_handler, "收费符合规定，无违规收费。"))
    expect(assignment_box(co_handler, unit_b)).to_have_attribute("data-status", "replied")
    expect_status(co_handler, CaseStatus.IN_PROGRESS)

    lead = page_as(handler_a, password)
    open_from_queue(lead, live_server, "to_handle", number)
    submit(
        lead,
        _reply_form(
            lead,
            "经查属实，已对窗口人员批评教育。",
            finding="substantiated",
            measures="窗口推行首问负责制。",
        ),
    )
    expect_status(lead, CaseStatus.REPLIED)

    # 6. The supervisor reviews the reply and returns it once for redo, with a reason.
    open_from_queue(office, live_server, "to_review", number)
    form = open_card(office, "review")
    form.locator("input[name='decision'][value='return']").check()
    form.locator("textarea[name='reason']").fill("整改措施不具体，请补充。")
    submit(office, form)
    expect_status(office, CaseStatus.IN_PROGRESS)
    expect(office.get_by_test_id("case-redo-count")).to_have_text("1")
    expect(assignment_box(office, unit_a)).to_have_attribute("data-status", "in_progress")
    expect(assignment_box(office, unit_b)).to_have_attribute("data-status", "replied")

    # 7. The lead replies again (the form starts from its last reply).
    open_case(lead, case_url)
    expect(open_card(lead, "reply").locator("textarea[name='reply_text']")).to_have_value(
        "经查属实，已对窗口人员批评教育。"
    )
    form = _reply_form(lead, "补充：已完成窗口整改，并为群众办理转移。", finding="substantiated")
    submit(lead, form)
    expect_status(lead, CaseStatus.REPLIED)

    # 8. The supervisor passes the review.
    open_case(office, case_url)
    form = open_card(office, "review")
    form.locator("input[name='decision'][value='pass']").check()
    submit(office, form)
    expect_status(office, CaseStatus.CALLBACK)

    # 9. The clerk calls the complainant back: dissatisfied.
    open_from_queue(desk, live_server, "to_callback", number)
    _callback(desk, "dissatisfied", "unsolved", "群众表示转移仍未办成。")
    expect(
        desk.locator("[data-testid='callback'][data-satisfaction='dissatisfied']")
    ).to_have_count(1)
    expect_status(desk, CaseStatus.CALLBACK)

    # 10. The supervisor reopens the case for redo.
    open_case(office, case_url)
    expect(office.get_by_test_id("action-close_out")).to_have_count(1)
    form = open_card(office, "redo")
    form.locator("textarea[name='reason']").fill("群众反映仍未办成，请重办。")
    submit(office, form)
    expect_status(office, CaseStatus.IN_PROGRESS)
    expect(office.get_by_test_id("case-redo-count")).to_have_text("2")

    # 11. The lead replies once more.
    open_case(lead, case_url)
    submit(lead, _reply_form(lead, "已为群众办结社保转移。", finding="substantiated"))
    expect_status(lead, CaseStatus.REPLIED)

    # 12. Review passed, 13. callback satisfied, 14. closed out.
    open_case(office, case_url)
    form = open_card(office, "review")
    form.locator("input[name='decision'][value='pass']").check()
    submit(office, form)
    expect_status(office, CaseStatus.CALLBACK)

    open_case(desk, case_url)
    _callback(desk, "satisfied", "solved", "")
    expect(desk.locator("[data-testid='callback'][data-satisfaction='satisfied']")).to_have_count(1)
    expect(desk.get_by_test_id("action-redo")).to_have_count(0)  # a clerk never reopens

    open_case(office, case_url)
    expect(office.get_by_test_id("action-redo")).to_have_count(0)  # satisfied: no redo
    submit(office, open_card(office, "close_out"))
    expect_status(office, CaseStatus.CLOSED)
    for code in ("review", "callback", "redo", "close_out"):
        expect(office.get_by_test_id(f"action-{code}")).to_have_count(0)

    # The timeline shows every step, in order, with its actor and time.
    expected = [
        ("case.registered", clerk),
        ("case.accepted", clerk),
        ("case.dispatched", supervisor),
        ("case.signed", liaison_a),
        ("case.signed", handler_b),
        ("case.replied", handler_b),
        ("case.replied", handler_a),
        ("case.concluded", handler_a),
        ("case.review_returned", supervisor),
        ("case.replied", handler_a),
        ("case.concluded", handler_a),
        ("case.review_passed", supervisor),
        ("case.callback", clerk),
        ("case.redo", supervisor),
        ("case.replied", handler_a),
        ("case.concluded", handler_a),
        ("case.review_passed", supervisor),
        ("case.callback", clerk),
        ("case.closed", supervisor),
    ]
    open_case(office, case_url)
    events = office.get_by_test_id("timeline").get_by_test_id("timeline-event")
    expect(events).to_have_count(len(expected))
    shown = [
        (
            events.nth(i).get_attribute("data-code"),
            events.nth(i).get_by_test_id("timeline-actor").inner_text().strip(),
        )
        for i in range(len(expected))
    ]
    assert shown == [(code, actor.name) for code, actor in expected]
    times = [
        events.nth(i).get_by_test_id("timeline-time").get_attribute("datetime")
        for i in range(len(expected))
    ]
    assert times == sorted(times), times
    with translation.override(office.locator("html").get_attribute("lang")):
        labels = [str(EVENT_LABELS[code]) for code, _actor in expected]
    for i, label in enumerate(labels):
        expect(events.nth(i).locator(":scope > .fw-semibold")).to_have_text(label)
        expect(events.nth(i).get_by_test_id("timeline-time")).to_have_text(
            re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$")
        )
    to_top(office)
    snap("14-closed-timeline")

    # What the screens reported is what the database holds.
    case = Case.objects.get(number=number)
    assert (case.status, case.finding, case.satisfaction, case.solved, case.redo_count) == (
        CaseStatus.CLOSED,
        "substantiated",
        "satisfied",
        "solved",
        2,
    )
    assert (case.channel, case.summary, case.category.code) == ("phone", SUMMARY, "TWCP")
    assert list(case.subject_units.values_list("pk", flat=True)) == [unit_a.pk]
    assert case.registered_by == clerk
    parts = {a.role: a for a in case.assignments.select_related("unit", "handler")}
    assert (parts[AssignmentRole.LEAD].unit, parts[AssignmentRole.LEAD].handler) == (
        unit_a,
        handler_a,
    )
    assert parts[AssignmentRole.CO].unit == unit_b
    assert {a.status for a in parts.values()} == {AssignmentStatus.CONCLUDED}
    assert list(case.events.values_list("code", "actor_id")) == [
        (code, actor.pk) for code, actor in expected
    ]


def _reply_form(pg, text: str, *, finding: str = "", measures: str = ""):
    form = open_card(pg, "reply")
    form.locator("textarea[name='reply_text']").fill(text)
    if finding:
        form.locator("select[name='finding']").select_option(finding)
    else:
        expect(form.locator("select[name='finding']")).to_have_count(0)  # a co-unit's part
    if measures:
        form.locator("textarea[name='measures']").fill(measures)
    return form


def _callback(pg, satisfaction: str, solved: str, note: str) -> None:
    form = open_card(pg, "callback")
    form.locator("select[name='satisfaction']").select_option(satisfaction)
    form.locator("select[name='solved']").select_option(solved)
    if note:
        form.locator("textarea[name='note']").fill(note)
    submit(pg, form)


# --- on a phone ------------------------------------------------------------------------------


def test_a_unit_handler_signs_for_a_case_on_a_phone(
    page, live_server, login, snap, categories, password, clerk, supervisor, handler_b, unit_b
):
    # Set-up through the services: a case transferred to 区财政局, waiting to be signed for.
    case = case_register(
        actor=clerk,
        channel="phone",
        category=Category.objects.get(code="SNB"),
        summary="财政补贴申请材料被反复退回",
        content="申请创业补贴，材料三次被退回，每次要求不同。",
        complainant=ComplainantData(name="李四", phone="13900001111"),
        subject_units=[unit_b],
    )
    case_accept(actor=clerk, case=case)
    case_dispatch(actor=supervisor, case=case, mode="transfer", lead=UnitPart(unit_b))

    page.set_viewport_size(PHONE)
    login(page, live_server, handler_b, password)
    page.goto(f"{live_server.url}/cases/queues/")
    tab = page.get_by_test_id("queue-to_sign")
    expect(tab).to_be_visible()
    expect(tab).to_have_attribute("data-count", "1")
    expect(page.get_by_test_id("queue-active")).to_have_attribute("data-queue", "to_sign")
    row = page.get_by_test_id("case-row").filter(has_text=case.number)
    expect(row).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    to_top(page)
    snap("queues")

    with page.expect_navigation():
        row.get_by_role("link", name=case.number).click()
    expect_status(page, CaseStatus.DISPATCHED)
    # The unit sees a masked complainant, and no way to reveal it.
    complainant = page.get_by_test_id("complainant")
    expect(complainant).to_contain_text("李*")
    expect(complainant).to_contain_text("139****1111")
    expect(complainant).not_to_contain_text("李四")
    expect(complainant).not_to_contain_text("13900001111")
    expect(page.get_by_test_id("reveal-identity")).to_have_count(0)
    # The actions are below the case on a phone; the header's button jumps to them.
    jump = page.get_by_test_id("case-header").locator("a[href='#case-side']")
    expect(jump).to_be_visible()
    jump.click()
    expect(page.get_by_test_id("action-sign").locator(":scope > summary")).to_be_in_viewport()
    form = open_card(page, "sign")
    button = form.locator("button[type='submit']")
    button.scroll_into_view_if_needed()
    expect(button).to_be_in_viewport()
    box = button.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    to_top(page)
    snap("sign-card")
    submit(page, form)
    expect_status(page, CaseStatus.IN_PROGRESS)
    expect(assignment_box(page, unit_b)).to_have_attribute("data-status", "in_progress")
    assert Case.objects.get(pk=case.pk).status == CaseStatus.IN_PROGRESS
