"""The staff screens of the complaint centre: registration, work queues, case list, case page
and the audited reveal of the complainant's identity."""

import threading
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from xiaoneng.audit.models import AuditEntry
from xiaoneng.cases import attachments
from xiaoneng.cases import services as s
from xiaoneng.cases.models import Attachment, Case, CaseSequence, Category, Complainant
from xiaoneng.cases.views.pages import TOKENS_KEY

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Shanghai")
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}

#: What the complainant fixture holds; none of it may reach a page unmasked.
PROTECTED = ("张三丰", "13812345678", "330102199001011234", "天洲区青石镇幸福路8号")

ALL_PERSONAS = (
    "clerk",
    "supervisor",
    "director",
    "leader",
    "liaison_a",
    "handler_a",
    "unit_head_a",
    "handler_b",
    "inspector",
    "sysadmin",
    "secadmin",
    "auditadmin",
)
OFFICE = ("clerk", "supervisor", "director")
NO_CASES = ("inspector", "sysadmin", "secadmin", "auditadmin")


def at(*args):
    return datetime(*args, tzinfo=TZ)


@pytest.fixture
def dispatched(register, clerk, supervisor, unit_a):
    """A case transferred to unit A, waiting to be signed for."""
    case = register()
    s.case_accept(actor=clerk, case=case)
    s.case_dispatch(actor=supervisor, case=case, mode="transfer", lead=s.UnitPart(unit_a))
    case.refresh_from_db()
    return case


def _login(client, request, persona):
    user = request.getfixturevalue(persona)
    client.force_login(user)
    return user


# --- who may open what ----------------------------------------------------------------------


def _pages(case):
    return {
        "queues": reverse("cases:queues"),
        "case_list": reverse("cases:case_list"),
        "case_create": reverse("cases:case_create"),
        "case_detail": reverse("cases:case_detail", args=[case.pk]),
    }


#: persona → (queues, case_list, case_create, case_detail) status codes.
PAGE_MATRIX = {
    "clerk": (200, 200, 200, 200),
    "supervisor": (200, 200, 404, 200),
    "director": (200, 200, 404, 200),
    "leader": (200, 200, 404, 200),
    "liaison_a": (200, 200, 404, 200),
    "handler_a": (200, 200, 404, 200),
    "unit_head_a": (200, 200, 404, 200),
    "handler_b": (200, 200, 404, 404),
    "inspector": (404, 404, 404, 404),
    "sysadmin": (404, 404, 404, 404),
    "secadmin": (404, 404, 404, 404),
    "auditadmin": (404, 404, 404, 404),
}


@pytest.mark.parametrize("persona", ALL_PERSONAS)
def test_permission_matrix_of_every_page(client, request, persona, dispatched):
    _login(client, request, persona)
    pages = _pages(dispatched)
    statuses = tuple(
        client.get(pages[name]).status_code
        for name in ("queues", "case_list", "case_create", "case_detail")
    )
    assert statuses == PAGE_MATRIX[persona]


def test_anonymous_visitors_are_sent_to_sign_in(client, dispatched):
    for url in _pages(dispatched).values():
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))
    reveal = reverse("cases:complainant_reveal", args=[dispatched.pk])
    response = client.post(reveal)
    assert response.status_code == 302
    assert not AuditEntry.objects.filter(action="cases.case.view_protected").exists()


def test_a_case_that_does_not_exist_is_404(client, clerk):
    client.force_login(clerk)
    assert client.get(reverse("cases:case_detail", args=[999999])).status_code == 404


def test_a_foreign_unit_does_not_see_the_case_in_its_list(client, handler_b, handler_a, dispatched):
    client.force_login(handler_b)
    response = client.get(reverse("cases:case_list"))
    assert dispatched.number.encode() not in response.content
    client.force_login(handler_a)
    response = client.get(reverse("cases:case_list"))
    assert [row["case"].number for row in response.context["rows"]] == [dispatched.number]


# --- complainant protection -----------------------------------------------------------------


@pytest.mark.parametrize("persona", [p for p in ALL_PERSONAS if p not in NO_CASES])
def test_no_page_shows_the_complainant_unmasked(client, request, persona, dispatched):
    _login(client, request, persona)
    urls = [reverse("cases:queues"), reverse("cases:case_list")]
    for code in ("to_accept", "to_dispatch", "to_sign", "to_handle", "overdue"):
        urls.append(reverse("cases:queues") + f"?queue={code}")
    if persona != "handler_b":
        urls.append(reverse("cases:case_detail", args=[dispatched.pk]))
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        for value in PROTECTED:
            assert value.encode() not in response.content, (url, value)


@pytest.mark.parametrize("persona", ["leader", "liaison_a", "handler_a", "unit_head_a"])
def test_non_office_roles_see_a_masked_complainant_and_no_reveal_button(
    client, request, persona, dispatched
):
    _login(client, request, persona)
    response = client.get(reverse("cases:case_detail", args=[dispatched.pk]))
    content = response.content.decode()
    assert 'data-testid="complainant"' in content
    assert "张**" in content and "138****5678" in content
    assert 'data-testid="reveal-identity"' not in content
    assert response.context["can_reveal"] is False


@pytest.mark.parametrize("persona", OFFICE)
def test_office_roles_reveal_the_identity_and_each_view_is_audited(
    client, request, persona, dispatched
):
    user = _login(client, request, persona)
    page = client.get(reverse("cases:case_detail", args=[dispatched.pk]))
    assert b'data-testid="reveal-identity"' in page.content
    url = reverse("cases:complainant_reveal", args=[dispatched.pk])
    response = client.post(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"]
    for value in PROTECTED:
        assert value.encode() in response.content
    assert b'data-revealed="true"' in response.content
    entries = AuditEntry.objects.filter(action="cases.case.view_protected")
    assert entries.count() == 1
    assert entries.get().actor_id == user.pk


def test_reveal_without_htmx_shows_the_whole_page_with_the_identity(client, clerk, dispatched):
    client.force_login(clerk)
    response = client.post(reverse("cases:complainant_reveal", args=[dispatched.pk]))
    assert response.status_code == 200
    assert b'data-testid="case-number"' in response.content
    assert b"13812345678" in response.content


def test_reveal_answers_405_to_get_and_audits_nothing(client, clerk, dispatched):
    client.force_login(clerk)
    response = client.get(reverse("cases:complainant_reveal", args=[dispatched.pk]))
    assert response.status_code == 405
    assert not AuditEntry.objects.filter(action="cases.case.view_protected").exists()


@pytest.mark.parametrize("persona", [p for p in ALL_PERSONAS if p not in OFFICE])
def test_reveal_is_404_for_everyone_outside_the_office(client, request, persona, dispatched):
    _login(client, request, persona)
    response = client.post(reverse("cases:complainant_reveal", args=[dispatched.pk]))
    assert response.status_code == 404
    for value in PROTECTED:
        assert value.encode() not in response.content
    assert not AuditEntry.objects.filter(action="cases.case.view_protected").exists()


# --- registration ---------------------------------------------------------------------------


@pytest.fixture
def form_data(category, unit_a):
    return {
        "channel": "phone",
        "urgency": "urgent",
        "complainant_name": "张三丰",
        "complainant_phone": "13812345678",
        "complainant_id_number": "330102199001011234",
        "complainant_address": "天洲区青石镇幸福路8号",
        "complainant_email": "zsf@example.cn",
        "reply_wanted": "on",
        "reply_method": "phone",
        "subject_units": [str(unit_a.pk)],
        "subject_persons": "窗口工作人员",
        "category": str(category.pk),
        "summary": "办理社保转移被多次推诿",
        "content": "今年三月起去区人社局办理社保转移，窗口三次让我找别的部门。",
        "place": "区政务服务中心",
        "occurred_on": "2025-03-14",
    }


def _token(client) -> str:
    response = client.get(reverse("cases:case_create"))
    assert response.status_code == 200
    return response.context["form_token"]


def test_registration_through_the_form_creates_one_case(client, clerk, form_data, unit_a):
    client.force_login(clerk)
    form_data["form_token"] = _token(client)
    response = client.post(reverse("cases:case_create"), form_data, **EN)
    case = Case.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:case_detail", args=[case.pk])
    assert (case.channel, case.urgency, case.status, case.registered_by) == (
        "phone",
        "urgent",
        "registered",
        clerk,
    )
    assert (case.summary, case.place, str(case.occurred_on)) == (
        "办理社保转移被多次推诿",
        "区政务服务中心",
        "2025-03-14",
    )
    assert list(case.subject_units.all()) == [unit_a]
    assert (case.reply_wanted, case.reply_method, case.subject_persons) == (
        True,
        "phone",
        "窗口工作人员",
    )
    person = case.complainant
    assert (person.name, person.phone, person.id_number, person.email) == (
        "张三丰",
        "13812345678",
        "330102199001011234",
        "zsf@example.cn",
    )
    page = client.get(response["Location"], **EN)
    assert f"Case {case.number} was registered." in page.content.decode()
    assert page.context["case"] == case


def test_the_same_form_sent_twice_creates_one_case(client, clerk, form_data):
    client.force_login(clerk)
    form_data["form_token"] = _token(client)
    first = client.post(reverse("cases:case_create"), form_data)
    second = client.post(reverse("cases:case_create"), form_data, **EN)
    case = Case.objects.get()
    assert first["Location"] == second["Location"] == reverse("cases:case_detail", args=[case.pk])
    assert CaseSequence.objects.get().last == 1
    page = client.get(second["Location"], **EN)
    assert f"case {case.number} was registered only once" in page.content.decode()


def test_two_forms_register_two_cases(client, clerk, form_data):
    client.force_login(clerk)
    first_token, second_token = _token(client), _token(client)
    client.post(reverse("cases:case_create"), {**form_data, "form_token": first_token})
    client.post(
        reverse("cases:case_create"),
        {**form_data, "form_token": second_token, "summary": "另一件事", "content": "别的内容。"},
    )
    assert sorted(Case.objects.values_list("number", flat=True)) == [
        f"XN-{Case.objects.first().year}-000001",
        f"XN-{Case.objects.first().year}-000002",
    ]


def test_a_form_without_a_valid_token_registers_nothing(client, clerk, form_data):
    client.force_login(clerk)
    _token(client)
    response = client.post(
        reverse("cases:case_create"), {**form_data, "form_token": "forged"}, **EN
    )
    assert response.status_code == 200
    assert "This form has expired" in response.content.decode()
    assert Case.objects.count() == 0
    # The form comes back with a fresh token that works.
    token = response.context["form_token"]
    assert token != "forged" and token in client.session[TOKENS_KEY]
    client.post(reverse("cases:case_create"), {**form_data, "form_token": token})
    assert Case.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"summary": "  "}, "summary", "This field is required."),
        ({"content": ""}, "content", "This field is required."),
        ({"category": ""}, "category", "This field is required."),
        (
            {"complainant_name": "", "complainant_phone": ""},
            "complainant_name",
            "Give the complainant's name or phone number, or mark the complaint anonymous.",
        ),
        ({"complainant_phone": "abc"}, "complainant_phone", "Enter a phone number of digits only."),
        (
            {"complainant_id_number": "1234"},
            "complainant_id_number",
            "An ID number has 18 characters (or 15 digits).",
        ),
        ({"channel": "web"}, "channel", "Select a valid choice."),
        (
            {"anonymous": "on", "reply_method": "phone"},
            "reply_method",
            "An anonymous complainant can only be answered on the portal.",
        ),
        (
            {"occurred_on": "2999-01-01"},
            "occurred_on",
            "The date of the events cannot be in the future.",
        ),
        ({"subject_units": ["999999"]}, "subject_units", "Select a valid choice."),
    ],
)
def test_bad_input_shows_errors_keeps_the_input_and_creates_nothing(
    client, clerk, form_data, change, field, message
):
    client.force_login(clerk)
    token = _token(client)
    response = client.post(
        reverse("cases:case_create"), {**form_data, **change, "form_token": token}, **EN
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert any(message in error for error in form.errors[field]), form.errors
    assert f'data-testid="field-error-{field}"'.encode() in response.content
    assert Case.objects.count() == 0
    assert Complainant.objects.count() == 0
    # What the clerk typed is still there, and the token still works once.
    assert form_data["place"].encode() in response.content
    assert response.context["form_token"] == token


def test_an_inactive_category_cannot_be_chosen(client, clerk, form_data, category):
    Category.objects.filter(pk=category.pk).update(is_active=False)
    client.force_login(clerk)
    response = client.post(
        reverse("cases:case_create"), {**form_data, "form_token": _token(client)}, **EN
    )
    assert "category" in response.context["form"].errors
    assert Case.objects.count() == 0


def test_an_anonymous_complaint_keeps_no_identity(client, clerk, form_data):
    client.force_login(clerk)
    data = {**form_data, "anonymous": "on", "reply_method": "portal", "form_token": _token(client)}
    client.post(reverse("cases:case_create"), data)
    person = Case.objects.get().complainant
    assert (person.anonymous, person.name, person.phone, person.id_number) == (True, "", "", "")


def test_attachments_are_stored_with_the_case(client, clerk, form_data, monkeypatch):
    calls = []

    def fake_add(*, actor, case, file, kind, **kwargs):
        calls.append((actor, case.pk, file.name, file.read(), kind))

    monkeypatch.setattr(attachments, "attachment_add", fake_add)
    client.force_login(clerk)
    files = [
        SimpleUploadedFile("信件.pdf", b"%PDF-1.4 one", content_type="application/pdf"),
        SimpleUploadedFile("照片.png", b"\x89PNG two", content_type="image/png"),
    ]
    response = client.post(
        reverse("cases:case_create"),
        {**form_data, "attachments": files, "form_token": _token(client)},
    )
    case = Case.objects.get()
    assert response.status_code == 302
    assert calls == [
        (clerk, case.pk, "信件.pdf", b"%PDF-1.4 one", "original"),
        (clerk, case.pk, "照片.png", b"\x89PNG two", "original"),
    ]


def test_a_refused_attachment_leaves_no_case_and_no_number_used(
    client, clerk, form_data, monkeypatch
):
    def refuse(*, actor, case, file, kind, **kwargs):
        raise ValidationError("This type of file is not accepted.", code="file_type")

    monkeypatch.setattr(attachments, "attachment_add", refuse)
    client.force_login(clerk)
    token = _token(client)
    bad = SimpleUploadedFile("病毒.exe", b"MZ...", content_type="application/octet-stream")
    response = client.post(
        reverse("cases:case_create"),
        {**form_data, "attachments": [bad], "form_token": token},
        **EN,
    )
    assert response.status_code == 200
    assert response.context["form"].errors["attachments"] == ["This type of file is not accepted."]
    assert b'data-testid="files-dropped"' in response.content
    assert Case.objects.count() == 0
    assert Complainant.objects.count() == 0
    # The number was given back: the next registration gets 000001.
    monkeypatch.undo()
    client.post(reverse("cases:case_create"), {**form_data, "form_token": token})
    assert Case.objects.get().number.endswith("-000001")


def test_a_repeat_is_shown_with_its_linked_case(client, clerk, form_data, register):
    first = register()
    client.force_login(clerk)
    response = client.post(
        reverse("cases:case_create"),
        {**form_data, "form_token": _token(client)},
        follow=True,
        **EN,
    )
    content = response.content.decode()
    new = Case.objects.exclude(pk=first.pk).get()
    assert new.duplicate_flag is True
    assert 'data-testid="duplicate-alert"' in content
    assert 'data-testid="flag-duplicate"' in content
    assert reverse("cases:case_detail", args=[first.pk]) in content
    assert [row["other"] for row in response.context["duplicate_rows"]] == [first]


def test_the_form_offers_the_staff_channels_and_active_units_as_a_tree(
    client, clerk, unit_a, section_a, unit_b, office
):
    unit_b.is_active = False
    unit_b.save()
    client.force_login(clerk)
    form = client.get(reverse("cases:case_create")).context["form"]
    assert [value for value, _label in form.fields["channel"].choices] == [
        "phone",
        "letter",
        "visit",
        "finding",
        "referral",
        "media",
    ]
    labels = dict(form.fields["subject_units"].choices)
    assert str(unit_b.pk) not in labels
    assert labels[str(section_a.pk)] == "\u00a0" * 8 + section_a.name
    assert labels[str(unit_a.pk)] == "\u00a0" * 4 + unit_a.name


# --- work queues ----------------------------------------------------------------------------


@pytest.fixture
def queue_world(register, clerk, supervisor, liaison_a, unit_a, unit_b):
    """One case in each office queue, two for unit A, and one overdue."""
    anonymous = s.ComplainantData(anonymous=True)

    def new(summary, **kwargs):
        return register(
            summary=summary, content=f"{summary}的详细情况。", complainant=anonymous, **kwargs
        )

    def dispatch(case, unit):
        s.case_accept(actor=clerk, case=case)
        s.case_dispatch(actor=supervisor, case=case, mode="transfer", lead=s.UnitPart(unit))
        return case.assignments.get()

    cases = {
        "old": new("去年一月的投诉", now=at(2025, 1, 2, 9)),
        "registered": new("刚登记的投诉"),
        "accepted": new("已受理待交办"),
        "to_sign": new("待签收"),
        "handling": new("办理中"),
        "returned": new("被退单"),
        "replied": new("已上报"),
        "callback": new("待回访"),
    }
    s.case_accept(actor=clerk, case=cases["accepted"])
    dispatch(cases["to_sign"], unit_a)
    handling = dispatch(cases["handling"], unit_a)
    s.assignment_sign(actor=liaison_a, assignment=handling)
    s.extension_request(actor=liaison_a, assignment=handling, amount=5, reason="需现场核查")
    s.assignment_return(
        actor=_liaison_b(unit_b),
        assignment=dispatch(cases["returned"], unit_b),
        reason="不属于本单位职责",
    )
    for key in ("replied", "callback"):
        assignment = dispatch(cases[key], unit_a)
        s.assignment_sign(actor=liaison_a, assignment=assignment)
        s.assignment_reply(
            actor=liaison_a, assignment=assignment, reply_text="已办结", finding="unsubstantiated"
        )
    s.case_review(actor=supervisor, case=cases["callback"], approve=True)
    return cases


def _liaison_b(unit_b):
    from xiaoneng.org.choices import Role
    from xiaoneng.org.tests.factories import UserFactory

    return UserFactory(username="liaison_b", name="冯联络", unit=unit_b, roles=[Role.UNIT_LIAISON])


def _counts(response) -> dict:
    return {tab["code"]: tab["count"] for tab in response.context["tabs"]}


EXPECTED_COUNTS = {
    "clerk": {
        "to_accept": 2,
        "to_dispatch": 1,
        "returned": 1,
        "to_review": 1,
        "to_callback": 1,
        "overdue": 1,
    },
    "director": {
        "to_accept": 2,
        "to_dispatch": 1,
        "returned": 1,
        "to_review": 1,
        "to_callback": 1,
        "overdue": 1,
        "to_sign_off": 1,
    },
    "leader": {"overdue": 1},
    "liaison_a": {"to_sign": 1, "to_handle": 1, "unit_overdue": 0},
    "unit_head_a": {"to_sign": 1, "to_handle": 1, "to_approve": 0, "unit_overdue": 0},
    "handler_b": {"to_sign": 0, "to_handle": 0, "unit_overdue": 0},
}


@pytest.mark.parametrize("persona", sorted(EXPECTED_COUNTS))
def test_queue_counts_are_exact(client, request, persona, queue_world):
    _login(client, request, persona)
    response = client.get(reverse("cases:queues"))
    assert _counts(response) == EXPECTED_COUNTS[persona]
    for code, count in EXPECTED_COUNTS[persona].items():
        assert f'data-testid="queue-{code}" data-count="{count}"'.encode() in response.content


@pytest.mark.parametrize(
    ("persona", "queue", "keys"),
    [
        ("clerk", "to_accept", ["old", "registered"]),
        ("clerk", "to_dispatch", ["accepted"]),
        ("clerk", "returned", ["returned"]),
        ("clerk", "to_review", ["replied"]),
        ("clerk", "to_callback", ["callback"]),
        ("clerk", "overdue", ["old"]),
        ("director", "to_sign_off", ["handling"]),
        ("leader", "overdue", ["old"]),
        ("liaison_a", "to_sign", ["to_sign"]),
        ("liaison_a", "to_handle", ["handling"]),
    ],
)
def test_each_queue_lists_its_cases_oldest_first(
    client, request, persona, queue, keys, queue_world
):
    _login(client, request, persona)
    response = client.get(reverse("cases:queues"), {"queue": queue})
    assert response.context["active"] == queue
    assert [row["case"].number for row in response.context["rows"]] == [
        queue_world[key].number for key in keys
    ]


def test_the_queue_search_filters_by_number_and_summary(client, clerk, queue_world):
    client.force_login(clerk)
    url = reverse("cases:queues")
    by_summary = client.get(url, {"queue": "to_accept", "q": "刚登记"})
    assert [r["case"] for r in by_summary.context["rows"]] == [queue_world["registered"]]
    by_number = client.get(url, {"queue": "to_accept", "q": queue_world["old"].number})
    assert [r["case"] for r in by_number.context["rows"]] == [queue_world["old"]]
    htmx = client.get(url, {"queue": "to_accept", "q": "没有"}, HTTP_HX_REQUEST="true")
    assert b'data-testid="queue-empty"' in htmx.content
    assert b"<html" not in htmx.content


def test_an_unknown_queue_falls_back_to_the_first(client, liaison_a, queue_world):
    client.force_login(liaison_a)
    response = client.get(reverse("cases:queues"), {"queue": "to_accept"})
    assert response.context["active"] == "to_sign"


def test_queue_rows_show_the_most_urgent_deadline_colour(client, clerk, queue_world):
    client.force_login(clerk)
    response = client.get(reverse("cases:queues"), {"queue": "to_accept"})
    colours = {
        row["case"].number: row["deadline"]["status"].colour for row in response.context["rows"]
    }
    assert colours == {queue_world["old"].number: "red", queue_world["registered"].number: "green"}
    assert b'data-testid="deadline-badge" data-colour="red"' in response.content


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_queue_queries_do_not_grow_with_the_cases(
    client, clerk, register, django_assert_max_num_queries, steady_calendar
):
    anonymous = s.ComplainantData(anonymous=True)
    for n in range(2):
        register(summary=f"第{n}件", content=f"内容{n}", complainant=anonymous)
    client.force_login(clerk)
    url = reverse("cases:queues")
    client.get(url)  # warm-up: the session and the settings row
    few = _queries(client, url)
    for n in range(2, 20):
        register(summary=f"第{n}件", content=f"内容{n}", complainant=anonymous)
    with django_assert_max_num_queries(few):
        response = client.get(url)
    assert len(response.context["rows"]) == 20


def test_unit_queue_queries_do_not_grow_with_the_cases(
    client,
    clerk,
    supervisor,
    liaison_a,
    unit_a,
    register,
    django_assert_max_num_queries,
    steady_calendar,
):
    anonymous = s.ComplainantData(anonymous=True)

    def dispatched_case(n):
        case = register(summary=f"第{n}件", content=f"内容{n}", complainant=anonymous)
        s.case_accept(actor=clerk, case=case)
        s.case_dispatch(actor=supervisor, case=case, mode="transfer", lead=s.UnitPart(unit_a))

    for n in range(2):
        dispatched_case(n)
    client.force_login(liaison_a)
    url = reverse("cases:queues") + "?queue=to_sign"
    client.get(url)
    few = _queries(client, url)
    for n in range(2, 20):
        dispatched_case(n)
    with django_assert_max_num_queries(few):
        response = client.get(url)
    assert len(response.context["rows"]) == 20


# --- the case list --------------------------------------------------------------------------


def test_the_list_filters_by_status_channel_category_and_text(client, clerk, register, category):
    anonymous = s.ComplainantData(anonymous=True)
    other_category = Category.objects.exclude(pk=category.pk).filter(is_active=True).first()
    a = register(summary="电话投诉推诿", content="一", complainant=anonymous, now=at(2025, 9, 1, 9))
    b = register(
        summary="来信反映收费",
        content="二",
        channel="letter",
        category=other_category,
        complainant=anonymous,
        now=at(2025, 9, 2, 9),
    )
    c = register(summary="来访反映", content="三", channel="visit", complainant=anonymous)
    s.case_accept(actor=clerk, case=c)
    client.force_login(clerk)
    url = reverse("cases:case_list")

    def numbers(**params):
        return [row["case"].number for row in client.get(url, params).context["rows"]]

    assert numbers() == [c.number, b.number, a.number]  # newest first
    assert numbers(status="accepted") == [c.number]
    assert numbers(channel="letter") == [b.number]
    assert numbers(category=other_category.pk) == [b.number]
    assert numbers(q="推诿") == [a.number]
    assert numbers(q=b.number) == [b.number]
    assert numbers(status="nonsense") == [c.number, b.number, a.number]


def test_list_queries_do_not_grow_with_the_cases(
    client, clerk, register, django_assert_max_num_queries, steady_calendar
):
    anonymous = s.ComplainantData(anonymous=True)
    for n in range(2):
        register(summary=f"第{n}件", content=f"内容{n}", complainant=anonymous)
    client.force_login(clerk)
    url = reverse("cases:case_list")
    client.get(url)
    few = _queries(client, url)
    for n in range(2, 20):
        register(summary=f"第{n}件", content=f"内容{n}", complainant=anonymous)
    with django_assert_max_num_queries(few):
        response = client.get(url)
    assert len(response.context["rows"]) == 20


# --- the case page --------------------------------------------------------------------------


def test_the_case_page_context_names_the_action_partial_relies_on(client, liaison_a, dispatched):
    client.force_login(liaison_a)
    response = client.get(reverse("cases:case_detail", args=[dispatched.pk]))
    context = response.context
    assignment = dispatched.assignments.get()
    assert context["case"] == dispatched
    assert context["version"] == dispatched.version
    assert context["case_actions"] == set()
    assert context["assignment_actions"] == {
        assignment.pk: {"sign", "assign_handler", "return", "extension_request"}
    }
    assert context["my_assignments"] == [assignment]
    assert b'data-testid="case-actions"' in response.content


def test_office_roles_get_their_case_actions(client, clerk, register):
    case = register()
    client.force_login(clerk)
    response = client.get(reverse("cases:case_detail", args=[case.pk]))
    assert {"accept", "reject", "merge", "reveal_identity"} <= response.context["case_actions"]
    assert response.context["my_assignments"] == []


def test_the_case_page_shows_header_flags_and_deadlines(client, supervisor, register, leader):
    case = register(now=at(2025, 9, 26, 10), urgency="very_urgent")
    s.case_mark_major(actor=supervisor, case=case, leader=leader)
    client.force_login(supervisor)
    response = client.get(reverse("cases:case_detail", args=[case.pk]), **EN)
    content = response.content.decode()
    assert f'<h1 class="xn-page-title mb-0" data-testid="case-number">{case.number}</h1>' in content
    assert 'data-testid="case-status" data-status="registered"' in content
    assert 'data-testid="flag-major"' in content
    assert 'data-testid="flag-supervised"' not in content
    assert "Very urgent" in content
    # Acceptance within 3 working days of Friday 26 Sept 2025 (Sunday 28 a make-up day):
    # the last day is Tuesday 30 September, long past: red.
    [row] = response.context["open_deadlines"]
    assert (str(row["last_day"]), row["status"].colour) == ("2025-09-30", "red")
    assert 'data-testid="deadline-badge" data-colour="red"' in content


def test_the_timeline_shows_each_step_with_actor_unit_time_and_details(
    client, clerk, supervisor, liaison_a, register, unit_a
):
    case = register(now=at(2025, 9, 26, 10))
    s.case_accept(actor=clerk, case=case, now=at(2025, 9, 29, 9, 30))
    s.case_dispatch(
        actor=supervisor,
        case=case,
        mode="transfer",
        lead=s.UnitPart(unit_a),
        now=at(2025, 9, 30, 9),
    )
    assignment = case.assignments.get()
    s.assignment_return(
        actor=liaison_a, assignment=assignment, reason="不属于本局职责", now=at(2025, 10, 9, 9)
    )
    client.force_login(supervisor)
    response = client.get(reverse("cases:case_detail", args=[case.pk]), **EN)
    rows = response.context["timeline"]
    assert [row["event"].code for row in rows] == [
        "case.registered",
        "case.accepted",
        "case.dispatched",
        "case.returned",
    ]
    content = response.content.decode()
    assert content.count('data-testid="timeline-event"') == 4
    assert (
        '<time datetime="2025-09-29T09:30:00+08:00" data-testid="timeline-time">2025-09-29 09:30'
        in content
    )
    assert "李受理" in content and "周联络" in content
    assert unit_a.name in content
    returned = {d["key"]: d["value"] for d in rows[3]["details"]}
    assert returned == {"unit": unit_a.name, "reason": "不属于本局职责"}
    dispatched = {d["key"]: d["value"] for d in rows[2]["details"]}
    assert dispatched == {"mode": "Transfer to a unit (转办)", "lead": unit_a.name}
    assert {d["key"]: d["value"] for d in rows[0]["details"]} == {"channel": "Phone"}
    assert "Returned by the unit (退单)" in content
    assert 'data-testid="case-returns"' in content


def test_callbacks_show_the_satisfaction_labels(client, clerk, supervisor, liaison_a, dispatched):
    assignment = dispatched.assignments.get()
    s.assignment_sign(actor=liaison_a, assignment=assignment)
    s.assignment_reply(
        actor=liaison_a, assignment=assignment, reply_text="已办结", finding="partly"
    )
    s.case_review(actor=supervisor, case=dispatched, approve=True)
    s.case_callback(actor=clerk, case=dispatched, satisfaction="basically", solved="partly")
    client.force_login(supervisor)
    response = client.get(reverse("cases:case_detail", args=[dispatched.pk]), **EN)
    content = response.content.decode()
    event = next(r for r in response.context["timeline"] if r["event"].code == "case.callback")
    assert {d["key"]: d["value"] for d in event["details"]} == {
        "satisfaction": "Basically satisfied",
        "solved": "Partly solved",
    }
    assert 'data-testid="callback" data-satisfaction="basically"' in content
    assert "Partly substantiated" in content  # the outcome's finding


def test_attachments_are_listed_for_those_who_may_see_them(client, clerk, liaison_a, dispatched):
    for name, releasable in (("原件.pdf", False), ("脱敏件.pdf", True)):
        Attachment.objects.create(
            case=dispatched,
            kind="original" if not releasable else "redacted",
            file=f"cases/2025/09/{name}",
            original_name=name,
            content_type="application/pdf",
            size=1024,
            sha256="0" * 64,
            releasable=releasable,
            uploaded_by=clerk,
            uploaded_at=at(2025, 9, 1, 9),
        )
    client.force_login(clerk)
    office_page = client.get(reverse("cases:case_detail", args=[dispatched.pk])).content.decode()
    assert "原件.pdf" in office_page and "脱敏件.pdf" in office_page
    client.force_login(liaison_a)
    unit_page = client.get(reverse("cases:case_detail", args=[dispatched.pk])).content.decode()
    assert "原件.pdf" not in unit_page and "脱敏件.pdf" in unit_page


def test_a_unit_sees_only_its_own_returns(
    client, clerk, supervisor, liaison_a, handler_b, register, unit_a, unit_b
):
    case = register()
    s.case_accept(actor=clerk, case=case)
    s.case_dispatch(
        actor=supervisor,
        case=case,
        mode="joint",
        lead=s.UnitPart(unit_a, "主办"),
        co_units=[s.UnitPart(unit_b, "协办")],
    )
    co = case.assignments.get(unit=unit_b)
    s.assignment_return(actor=_liaison_b(unit_b), assignment=co, reason="财政局不管这个")
    client.force_login(liaison_a)
    response = client.get(reverse("cases:case_detail", args=[case.pk]))
    assert response.context["returns"] == []
    client.force_login(handler_b)
    response = client.get(reverse("cases:case_detail", args=[case.pk]))
    assert [r.reason for r in response.context["returns"]] == ["财政局不管这个"]


def test_landing_on_the_queues_opens_the_first_queue_with_work(client, liaison_a, dispatched):
    s.assignment_sign(actor=liaison_a, assignment=dispatched.assignments.get())
    client.force_login(liaison_a)
    response = client.get(reverse("cases:queues"))
    assert _counts(response) == {"to_sign": 0, "to_handle": 1, "unit_overdue": 0}
    assert response.context["active"] == "to_handle"


@pytest.mark.postgres_only
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_a_double_click_registers_one_case(clerk, unit_a):
    """Two submissions of one form at the same moment: the session row lock makes the second
    wait for the first and then find its token used."""
    category, _created = Category.objects.get_or_create(code="TWCP", defaults={"name": "推诿扯皮"})
    main = Client()
    main.force_login(clerk)
    token = main.get(reverse("cases:case_create")).context["form_token"]
    data = {
        "channel": "phone",
        "urgency": "normal",
        "complainant_phone": "13812345678",
        "reply_wanted": "on",
        "category": str(category.pk),
        "summary": "双击提交",
        "content": "同一张表单提交了两次。",
        "form_token": token,
    }
    barrier = threading.Barrier(2)
    results: list = []

    def submit() -> None:
        try:
            browser = Client()
            browser.cookies = main.cookies
            barrier.wait(timeout=30)
            results.append(browser.post(reverse("cases:case_create"), data))
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            results.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    case = Case.objects.get()
    assert [r.status_code for r in results] == [302, 302], results
    assert {r["Location"] for r in results} == {reverse("cases:case_detail", args=[case.pk])}
    assert CaseSequence.objects.get().last == 1


def _stored_files(root) -> list:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_registration_stores_real_attachments(client, clerk, form_data, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    client.force_login(clerk)
    letter = SimpleUploadedFile("来信.txt", "群众来信全文。".encode(), content_type="text/plain")
    response = client.post(
        reverse("cases:case_create"),
        {**form_data, "attachments": [letter], "form_token": _token(client)},
    )
    case = Case.objects.get()
    assert response.status_code == 302
    attachment = Attachment.objects.get()
    assert (attachment.case, attachment.kind, attachment.original_name, attachment.releasable) == (
        case,
        "original",
        "来信.txt",
        False,
    )
    assert len(_stored_files(settings.MEDIA_ROOT)) == 1
    page = client.get(response["Location"], **EN)
    event = next(r for r in page.context["timeline"] if r["event"].code == "case.attachment_added")
    assert {d["key"]: d["value"] for d in event["details"]} == {
        "original_name": "来信.txt",
        "kind": "Original material",
    }


def test_a_bad_real_attachment_leaves_nothing_behind(client, clerk, form_data, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    client.force_login(clerk)
    good = SimpleUploadedFile("来信.txt", "群众来信全文。".encode(), content_type="text/plain")
    bad = SimpleUploadedFile("程序.exe", b"MZ\x90\x00" + bytes(200), content_type="text/plain")
    response = client.post(
        reverse("cases:case_create"),
        {**form_data, "attachments": [good, bad], "form_token": _token(client)},
        **EN,
    )
    assert response.status_code == 200
    [error] = response.context["form"].errors["attachments"]
    assert "程序.exe" in error  # the message names the refused file
    assert (Case.objects.count(), Attachment.objects.count()) == (0, 0)
    assert _stored_files(settings.MEDIA_ROOT) == []
