"""The ledger (台账): filters, Chinese text search, sorting, scope and the printable register."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from xiaoneng.cases import services as s
from xiaoneng.cases.choices import AssignmentRole
from xiaoneng.cases.models import Case, Category, Deadline
from xiaoneng.cases.search import search_terms, segment

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Shanghai")
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
URL = "/cases/ledger/"


def at(*args):
    return datetime(*args, tzinfo=TZ)


def login(user, password) -> Client:
    client = Client()
    assert client.login(username=user.username, password=password)
    return client


def numbers(response) -> list[str]:
    return [row["case"].number for row in response.context["rows"]]


@pytest.fixture
def cases(register, clerk, supervisor, director, leader, liaison_a, handler_b, unit_a, unit_b):
    """Four cases:

    - ``overdue``: registered 1 Sept 2025 and never accepted (its acceptance clock ran out);
    - ``closed``: a letter about 道路 (category 不作为), transferred to unit B, substantiated,
      redone once, the complainant satisfied, closed out;
    - ``fresh``: registered now, urgent, supervised handling by unit A, a major issue, then
      returned by unit A (退单);
    - ``soon``: registered now by web, its acceptance clock nearly used up (due soon).
    """
    overdue = register(now=at(2025, 9, 1, 9), summary="办理社保转移被多次推诿扯皮")

    closed = register(
        now=at(2025, 10, 10, 9),
        channel="letter",
        category=Category.objects.get(code="BZW"),
        summary="道路坑洼多年没人修",
        content="村口道路坑洼，反映多次无果。",
        complainant=s.ComplainantData(name="李四", phone="13900001111"),
        subject_units=[unit_b],
    )
    s.case_accept(actor=clerk, case=closed, now=at(2025, 10, 10, 10))
    s.case_dispatch(
        actor=supervisor,
        case=closed,
        mode="transfer",
        lead=s.UnitPart(unit_b),
        now=at(2025, 10, 10, 11),
    )
    part = closed.assignments.get()
    s.assignment_sign(actor=handler_b, assignment=part, now=at(2025, 10, 13, 9))
    s.assignment_reply(
        actor=handler_b,
        assignment=part,
        reply_text="已修复",
        finding="substantiated",
        now=at(2025, 10, 14, 9),
    )
    s.case_review(
        actor=supervisor, case=closed, approve=False, reason="没有照片", now=at(2025, 10, 15, 9)
    )
    s.assignment_reply(
        actor=handler_b,
        assignment=part,
        reply_text="已修复，附照片",
        finding="substantiated",
        now=at(2025, 10, 16, 9),
    )
    s.case_review(actor=supervisor, case=closed, approve=True, now=at(2025, 10, 17, 9))
    s.case_callback(
        actor=clerk, case=closed, satisfaction="satisfied", solved="solved", now=at(2025, 10, 20, 9)
    )
    s.case_close_out(actor=supervisor, case=closed, now=at(2025, 10, 21, 9))

    now = timezone.now()
    fresh = register(
        channel="visit",
        urgency="urgent",
        summary="窗口态度差",
        content="窗口工作人员态度恶劣。",
        complainant=s.ComplainantData(name="王五", phone="13700002222"),
    )
    s.case_accept(actor=clerk, case=fresh)
    s.case_dispatch(
        actor=supervisor,
        case=fresh,
        mode="supervised",
        lead=s.UnitPart(unit_a),
        supervision_level="general",
        supervision_text="限期办结",
    )
    s.case_mark_major(actor=director, case=fresh, leader=leader)
    s.assignment_return(
        actor=liaison_a,
        assignment=fresh.assignments.get(role=AssignmentRole.SOLE),
        reason="不属于本单位职责",
    )

    soon = register(
        channel="web",
        summary="网上申报系统打不开",
        content="网上办事大厅一直报错。",
        complainant=s.ComplainantData(anonymous=True),
        subject_units=[],
    )
    # Nine of the ten days of its acceptance clock used: past the 80 % warning share.
    Deadline.objects.filter(case=soon).update(
        started_at=now - timedelta(days=9), due_at=now + timedelta(days=1)
    )
    return {
        "overdue": overdue.number,
        "closed": closed.number,
        "fresh": fresh.number,
        "soon": soon.number,
    }


# --- search ------------------------------------------------------------------------------


def test_segment_and_search_terms():
    assert segment("办理社保转移被多次推诿扯皮") == "办理 社保 转移 被 多次 推诿 扯皮"
    assert search_terms("推诿 扯皮，推诿") == ["推诿", "扯皮"]
    assert search_terms("  ，。 ") == []
    assert segment("ABC-12 号") == "abc 12 号"


def test_the_search_column_never_holds_the_complainant(register):
    case = register(summary="推诿扯皮")
    assert "张三丰" not in case.search_text and "13812345678" not in case.search_text
    assert case.search_text.startswith(" " + segment(case.number) + " ")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("推诿", ["overdue"]),
        ("推诿扯皮", ["overdue"]),
        ("社保 推诿", ["overdue"]),
        ("社保 道路", []),
        ("坑洼", ["closed"]),
        ("恶劣", ["fresh"]),  # in the content only
        ("2025 000002", ["closed"]),  # the register number
        ("诿扯", []),  # not the start of a word
    ],
)
def test_text_search_matches_every_term(cases, supervisor, password, query, expected):
    response = login(supervisor, password).get(URL, {"q": query})
    assert response.status_code == 200
    assert numbers(response) == [cases[key] for key in expected]


def test_reindex_command_fills_the_search_column(cases, supervisor, password, capsys):
    Case.objects.update(search_text="")
    call_command("case_reindex", chunk=2)
    assert "4 cases reindexed." in capsys.readouterr().out
    response = login(supervisor, password).get(URL, {"q": "推诿"})
    assert numbers(response) == [cases["overdue"]]


# --- filters -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ["soon", "fresh", "closed", "overdue"]),
        ({"channel": "letter"}, ["closed"]),
        ({"category": "BZW"}, ["closed"]),
        ({"urgency": "urgent"}, ["fresh"]),
        ({"status": "closed"}, ["closed"]),
        ({"status": "registered"}, ["soon", "overdue"]),
        ({"registered_from": "2025-10-10", "registered_to": "2025-10-10"}, ["closed"]),
        ({"registered_to": "2025-10-09"}, ["overdue"]),
        ({"colour": "overdue"}, ["overdue"]),
        ({"colour": "due_soon"}, ["soon"]),
        ({"colour": "on_time"}, ["fresh"]),
        ({"handling_unit": "unit_b"}, ["closed"]),
        ({"handling_unit": "unit_a"}, ["fresh"]),
        ({"subject_unit": "unit_a"}, ["fresh", "overdue"]),
        ({"major": "yes"}, ["fresh"]),
        ({"major": "no"}, ["soon", "closed", "overdue"]),
        ({"supervised": "yes"}, ["fresh"]),
        ({"finding": "substantiated"}, ["closed"]),
        ({"satisfaction": "satisfied"}, ["closed"]),
        ({"returned": "on"}, ["fresh"]),
        ({"redone": "on"}, ["closed"]),
        ({"channel": "phone", "colour": "overdue", "q": "社保"}, ["overdue"]),
    ],
)
def test_each_filter_narrows_to_the_expected_cases(
    cases, supervisor, password, unit_a, unit_b, params, expected
):
    params = dict(params)
    if params.get("category"):
        params["category"] = Category.objects.get(code=params["category"]).pk
    for key in ("handling_unit", "subject_unit"):
        if key in params:
            params[key] = {"unit_a": unit_a, "unit_b": unit_b}[params[key]].pk
    response = login(supervisor, password).get(URL, params)
    assert response.status_code == 200
    assert numbers(response) == [cases[key] for key in expected]


def test_number_filter(cases, supervisor, password):
    response = login(supervisor, password).get(URL, {"number": cases["closed"].lower()})
    assert numbers(response) == [cases["closed"]]


def test_bad_filter_input_is_reported_and_kept(cases, supervisor, password):
    response = login(supervisor, password).get(
        URL, {"registered_from": "2025-13-45", "channel": "letter"}, **EN
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-testid="filter-errors"' in body and "Enter a valid date." in body
    assert 'value="2025-13-45"' in body
    # The valid filters still apply.
    assert numbers(response) == [cases["closed"]]


# --- sorting -----------------------------------------------------------------------------


def test_sorting_by_whitelisted_columns(cases, supervisor, password):
    client = login(supervisor, password)
    by_number = numbers(client.get(URL, {"sort": "number"}))
    assert by_number == [cases[k] for k in ("overdue", "closed", "fresh", "soon")]
    assert numbers(client.get(URL, {"sort": "-number"})) == by_number[::-1]
    assert numbers(client.get(URL, {"sort": "registered_at"})) == by_number
    first = numbers(client.get(URL, {"sort": "-return_count"}))[0]
    assert first == cases["fresh"]
    assert numbers(client.get(URL, {"sort": "-redo_count"}))[0] == cases["closed"]


def test_an_unknown_sort_falls_back_to_the_newest_first(cases, supervisor, password):
    response = login(supervisor, password).get(URL, {"sort": "complainant__name"})
    assert response.status_code == 200
    assert numbers(response) == [cases[k] for k in ("soon", "fresh", "closed", "overdue")]


# --- scope and masking -------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["handler_b", "handler_a", "inspector", "sysadmin"])
def test_roles_without_the_ledger_get_404(request, persona, password):
    user = request.getfixturevalue(persona)
    for name in ("cases:ledger", "cases:ledger_export", "cases:ledger_print"):
        assert login(user, password).get(reverse(name)).status_code == 404


def test_anonymous_is_sent_to_login():
    response = Client().get(URL)
    assert response.status_code == 302 and "/login" in response["Location"]


def test_unit_roles_see_their_units_cases_without_any_complainant(
    cases, liaison_a, unit_head_a, password
):
    for user in (liaison_a, unit_head_a):
        response = login(user, password).get(URL)
        assert numbers(response) == [cases["fresh"]]
        body = response.content.decode()
        assert 'data-testid="ledger-complainant-column"' not in body
        for text in ("王五", "王*", "13700002222", "137****2222"):
            assert text not in body
        # Another unit's case cannot be found by its number or its text either.
        assert numbers(login(user, password).get(URL, {"q": "坑洼"})) == []
        assert numbers(login(user, password).get(URL, {"number": cases["closed"]})) == []


def test_office_roles_see_the_masked_complainant(cases, supervisor, password):
    body = login(supervisor, password).get(URL).content.decode()
    assert 'data-testid="ledger-complainant-column"' in body
    assert "王*" in body and "张**" in body
    assert "王五" not in body and "张三丰" not in body and "13700002222" not in body


def test_leader_sees_every_case(cases, leader, password):
    assert len(numbers(login(leader, password).get(URL))) == 4


# --- query count -------------------------------------------------------------------------


def _bulk_register(register, count):
    for index in range(count):
        register(
            summary="批量案件推诿", content="内容", now=at(2025, 1, 6, 9) + timedelta(minutes=index)
        )


def _page_queries(client, django_assert_max_num_queries, limit):
    with django_assert_max_num_queries(limit) as captured:
        response = client.get(URL, {"q": "推诿", "colour": "overdue"})
    assert response.status_code == 200
    return len(captured.captured_queries), response


def test_the_page_runs_a_fixed_number_of_queries(
    register, supervisor, password, django_assert_max_num_queries, steady_calendar
):
    client = login(supervisor, password)
    _bulk_register(register, 5)
    client.get(URL)  # the first request of a session loads what later ones find cached
    few, response = _page_queries(client, django_assert_max_num_queries, 30)
    assert len(response.context["rows"]) == 5
    _bulk_register(register, 55)
    many, response = _page_queries(client, django_assert_max_num_queries, few)
    assert len(response.context["rows"]) == 50
    # Never more for a longer page (one query may fall away: the working-day calendar checks
    # for changed overrides at most every few seconds, so a request may or may not do it).
    assert many <= few


def test_a_long_result_is_counted_up_to_a_cap(register, supervisor, password, monkeypatch):
    monkeypatch.setattr("xiaoneng.core.pagination.COUNT_CAP", 4)
    monkeypatch.setattr("xiaoneng.cases.views.ledger.PAGE_SIZE", 2)
    _bulk_register(register, 5)
    client = login(supervisor, password)
    response = client.get(URL, {"channel": "phone"})
    paginator = response.context["page_obj"].paginator
    assert (paginator.count, paginator.capped, paginator.num_pages) == (4, True, 2)
    assert 'data-testid="ledger-count"' in response.content.decode()
    assert (
        "the first 4 are listed"
        in client.get(URL, {"channel": "phone"}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    )
    last = client.get(URL, {"channel": "phone", "page": 2}).context["rows"]
    assert len(last) == 2  # the 5th case lies beyond the cap
    monkeypatch.setattr("xiaoneng.core.pagination.COUNT_CAP", 5)
    exact = client.get(URL, {"channel": "phone"}).context["page_obj"].paginator
    assert (exact.count, exact.capped, exact.num_pages) == (5, False, 3)


def test_a_text_search_is_counted_up_to_a_lower_cap(register, supervisor, password, monkeypatch):
    monkeypatch.setattr("xiaoneng.core.pagination.SEARCH_COUNT_CAP", 3)
    _bulk_register(register, 5)
    client = login(supervisor, password)
    searched = client.get(URL, {"q": "批量"}).context["page_obj"].paginator
    assert (searched.count, searched.capped) == (3, True)
    listed = client.get(URL, {"channel": "phone"}).context["page_obj"].paginator
    assert (listed.count, listed.capped) == (5, False)
    case_list = client.get(reverse("cases:case_list"), {"q": "批量"}).context["page_obj"]
    assert (case_list.paginator.count, case_list.paginator.capped) == (3, True)


# --- the printable register --------------------------------------------------------------


def test_print_view_has_the_filtered_rows(cases, supervisor, password):
    response = login(supervisor, password).get(
        reverse("cases:ledger_print"), {"status": "registered"}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert body.count('data-testid="print-row"') == 2
    assert cases["soon"] in body and cases["overdue"] in body and "@page" in body
    assert 'data-testid="print-truncated"' not in body


def test_print_view_stops_at_its_limit(register, supervisor, password, monkeypatch):
    monkeypatch.setattr("xiaoneng.cases.views.ledger.PRINT_LIMIT", 3)
    _bulk_register(register, 4)
    body = login(supervisor, password).get(reverse("cases:ledger_print")).content.decode()
    assert body.count('data-testid="print-row"') == 3
    assert 'data-testid="print-truncated"' in body


def test_ledger_is_in_the_menu(supervisor, liaison_a, password):
    assert 'href="/cases/ledger/"' in login(supervisor, password).get(URL).content.decode()
    assert 'href="/cases/ledger/"' in login(liaison_a, password).get(URL).content.decode()


def test_htmx_request_gets_the_table_only(cases, supervisor, password):
    response = login(supervisor, password).get(URL, {"channel": "letter"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert 'data-testid="ledger-table"' in body and "<html" not in body
    assert "channel=letter" in body  # the export link keeps the filters


def test_column_headers_toggle_the_sort_and_keep_the_filters(cases, supervisor, password):
    response = login(supervisor, password).get(URL, {"sort": "number", "channel": "phone"})
    links = response.context["sort_links"]
    assert links["number"] == {"query": "?sort=-number&channel=phone", "direction": "asc"}
    assert links["registered_at"]["query"] == "?sort=-registered_at&channel=phone"
    assert 'aria-sort="ascending"' in response.content.decode()


# --- the major-issue register ------------------------------------------------------------


def test_major_register_lists_major_issues_with_milestones(
    cases, supervisor, director, leader, liaison_a, handler_b, password
):
    fresh = Case.objects.get(number=cases["fresh"])
    today = timezone.localdate()
    late = s.milestone_add(
        actor=supervisor, case=fresh, title="约谈窗口负责人", due_on=today - timedelta(days=2)
    )
    s.milestone_add(
        actor=supervisor, case=fresh, title="完成整改", due_on=today + timedelta(days=5)
    )
    s.milestone_reach(actor=supervisor, milestone=late, evidence="约谈记录")
    url = reverse("cases:ledger_major")
    for user in (supervisor, leader, liaison_a):
        response = login(user, password).get(url)
        assert response.status_code == 200
        rows = response.context["rows"]
        assert [row["case"].number for row in rows] == [cases["fresh"]]
        assert rows[0]["reached"] == 1
        # Reached today, two days after its day: reached, but late.
        assert [
            (m["milestone"].title, m["late"], m["done_day"]) for m in rows[0]["milestones"]
        ] == [("约谈窗口负责人", True, today), ("完成整改", False, None)]
        body = response.content.decode()
        assert body.count('data-testid="major-milestone"') == 2
        assert leader.name in body
    assert login(handler_b, password).get(url).status_code == 404
    # The filters of the ledger apply.
    response = login(supervisor, password).get(url, {"q": "坑洼"})
    assert response.context["rows"] == []


def test_major_register_marks_a_milestone_late(register, supervisor, leader, password):
    case = register()
    s.case_mark_major(actor=supervisor, case=case, leader=leader)
    s.milestone_add(
        actor=supervisor, case=case, title="整改", due_on=timezone.localdate() - timedelta(days=1)
    )
    response = login(supervisor, password).get(reverse("cases:ledger_major"))
    assert [m["late"] for m in response.context["rows"][0]["milestones"]] == [True]
    assert 'data-late="1"' in response.content.decode()


def test_major_register_runs_a_fixed_number_of_queries(
    register, supervisor, leader, password, django_assert_max_num_queries, steady_calendar
):
    client = login(supervisor, password)
    url = reverse("cases:ledger_major")

    def add_major(count):
        for _index in range(count):
            case = register(summary="重大问题")
            s.case_mark_major(actor=supervisor, case=case, leader=leader)
            s.milestone_add(actor=supervisor, case=case, title="整改", due_on=timezone.localdate())

    add_major(1)
    client.get(url)
    with django_assert_max_num_queries(30) as captured:
        assert len(client.get(url).context["rows"]) == 1
    few = len(captured.captured_queries)
    add_major(4)
    with django_assert_max_num_queries(few):
        assert len(client.get(url).context["rows"]) == 5


def test_saved_views_are_personal_and_reopen_the_filter(client, clerk, supervisor):
    from xiaoneng.cases.models import SavedView

    client.force_login(clerk)
    response = client.post(
        "/cases/ledger/views/", {"name": "本月超期", "query": "colour=overdue&page=3&q=推诿"}
    )
    assert response.status_code == 302
    view = SavedView.objects.get(user=clerk)
    assert (view.name, view.query) == ("本月超期", "colour=overdue&q=%E6%8E%A8%E8%AF%BF")
    assert response["Location"] == "/cases/ledger/?" + view.query
    page = client.get("/cases/ledger/").content.decode()
    assert 'data-testid="saved-view"' in page and "本月超期" in page
    # Saving under the same name replaces the filter instead of adding a second view.
    client.post(
        "/cases/ledger/views/", {"name": "本月超期", "query": "colour=due_soon"}, follow=True
    )
    assert list(SavedView.objects.values_list("query", flat=True)) == ["colour=due_soon"]
    # Another person neither sees nor deletes it.
    client.force_login(supervisor)
    assert "本月超期" not in client.get("/cases/ledger/").content.decode()
    assert client.post(f"/cases/ledger/views/{view.pk}/delete/").status_code == 404
    assert SavedView.objects.count() == 1
    client.force_login(clerk)
    assert client.post(f"/cases/ledger/views/{view.pk}/delete/").status_code == 302
    assert SavedView.objects.count() == 0


def test_a_view_without_a_name_is_refused(client, clerk):
    from xiaoneng.cases.models import SavedView

    client.force_login(clerk)
    response = client.post(
        "/cases/ledger/views/", {"name": "  ", "query": "colour=overdue"}, follow=True
    )
    assert response.status_code == 200
    assert SavedView.objects.count() == 0
    assert client.get("/cases/ledger/views/").status_code == 405
