"""A request's status follows its case through the lifecycle, and the complainant's
identity never appears in any answer of the interface."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from xiaoneng.cases import services as cs
from xiaoneng.cases.models import Case, Deadline
from xiaoneng.open311.selectors import request_records, request_search

from .conftest import EMAIL, NAME, PHONE, body, file_request

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")
EN = {"Accept-Language": "en"}


def after(case, days, hours=0):
    """A moment after the case was filed (the interface files it at the present time)."""
    return case.registered_at + timedelta(days=days, hours=hours)


def _record(client, number, key=None, fmt="json"):
    params = {"api_key": key} if key else {}
    response = client.get(f"/open311/v2/requests/{number}.{fmt}", params, headers=EN)
    assert response.status_code == 200
    return response


def _view(client, number, key=None):
    (record,) = body(_record(client, number, key))
    return record


@pytest.fixture
def filed(client, cans, hotline):
    file_request(client, hotline.key)
    return Case.objects.get()


def _iso(moment):
    return moment.astimezone(TZ).isoformat(timespec="seconds")


def test_the_status_follows_the_case_to_its_close_out(
    client, filed, hotline, other_app, clerk, supervisor, handler_a, unit_a
):
    case, key = filed, hotline.key
    mine = _view(client, case.number, key)
    assert (mine["status"], mine["status_notes"]) == ("open", "Complaint received")
    acceptance = Deadline.objects.get(case=case, stage="acceptance")
    assert mine["expected_datetime"] == _iso(acceptance.due_at)
    assert mine["agency_responsible"] == "天洲区效能办"

    cs.case_accept(actor=clerk, case=case, now=after(case, 3))
    cs.case_dispatch(
        actor=supervisor,
        case=case,
        mode="transfer",
        lead=cs.UnitPart(unit_a),
        now=after(case, 3, 10),
    )
    mine = _view(client, case.number, key)
    handling = Deadline.objects.get(case=case, stage="handling")
    assert (mine["status"], mine["status_notes"]) == ("open", "Passed to the responsible unit")
    assert mine["agency_responsible"] == "天洲区人力资源和社会保障局"
    assert mine["expected_datetime"] == _iso(handling.due_at)
    assert mine["updated_datetime"] == _iso(after(case, 3, 10))

    assignment = case.assignments.get()
    cs.assignment_sign(actor=handler_a, assignment=assignment, now=after(case, 4))
    cs.assignment_progress(
        actor=handler_a, assignment=assignment, note="已约谈窗口负责人", now=after(case, 5)
    )
    mine = _view(client, case.number, key)
    # The internal progress note is not public: the notes still tell the last public step.
    assert mine["status_notes"] == "The responsible unit took up the case"
    assert "约谈" not in _record(client, case.number, key).content.decode()
    assert mine["updated_datetime"] == _iso(after(case, 5))

    reply = f"{NAME}同志：经核查，窗口已整改，联系电话{PHONE}的回访已安排。"
    cs.assignment_reply(
        actor=handler_a,
        assignment=assignment,
        reply_text=reply,
        finding="substantiated",
        now=after(case, 6),
    )
    mine = _view(client, case.number, key)
    # Not yet reviewed by the office: the unit's reply is not the answer yet.
    assert mine["status_notes"] == "The unit replied; the office is reviewing the reply"
    cs.case_review(actor=supervisor, case=case, approve=True, now=after(case, 9))
    mine = _view(client, case.number, key)
    assert mine["status"] == "open"
    assert mine["status_notes"] == "张**同志：经核查，窗口已整改，联系电话138****5678的回访已安排。"
    assert (
        _view(client, case.number, other_app.key)["status_notes"] == "The office approved the reply"
    )
    assert _view(client, case.number)["status_notes"] == "The office approved the reply"

    cs.case_callback(
        actor=clerk, case=case, satisfaction="satisfied", solved="solved", now=after(case, 10)
    )
    cs.case_close_out(actor=supervisor, case=case, now=after(case, 11))
    mine = _view(client, case.number, key)
    assert mine["status"] == "closed"
    assert mine["expected_datetime"] is None
    assert mine["updated_datetime"] == _iso(after(case, 11))
    assert _view(client, case.number)["status_notes"] == "Closed"
    closed = body(client.get("/open311/v2/requests.json", {"status": "closed"}))
    assert [r["service_request_id"] for r in closed] == [case.number]


def test_a_case_not_accepted_is_closed_with_its_reason_for_the_filer(
    client, filed, hotline, other_app, clerk
):
    case = filed
    cs.case_reject(
        actor=clerk, case=case, reason="属于民事纠纷", referral="区人民法院", now=after(case, 3)
    )
    mine = _view(client, filed.number, hotline.key)
    assert mine["status"] == "closed"
    assert mine["status_notes"] == "Not accepted: 属于民事纠纷 Referred to 区人民法院."
    theirs = _view(client, filed.number, other_app.key)
    assert (theirs["status"], theirs["status_notes"]) == ("closed", "Not accepted")


def test_a_suspended_case_has_no_expected_time(client, filed, hotline, clerk, supervisor, unit_a):
    case = filed
    cs.case_accept(actor=clerk, case=filed, now=after(case, 3))
    cs.case_suspend(actor=supervisor, case=filed, reason="等待投诉人补充材料", now=after(case, 4))
    mine = _view(client, filed.number, hotline.key)
    assert mine["expected_datetime"] is None
    assert mine["status_notes"] == "Handling paused: 等待投诉人补充材料"


def test_a_merged_request_follows_the_case_it_was_merged_into(
    client, filed, hotline, clerk, unit_a
):
    case = filed
    other = cs.case_register(
        actor=clerk,
        channel="phone",
        category=case.category,
        summary="同一件事的电话投诉",
        content="垃圾桶一直没人收。",
        complainant=cs.ComplainantData(phone="13900001111"),
        now=after(case, 0, 1),
    )
    cs.case_merge(actor=clerk, case=filed, into=other, now=after(case, 3))
    mine = _view(client, filed.number, hotline.key)
    assert (mine["status"], mine["status_notes"]) == (
        "open",
        "Merged with another complaint about the same matter",
    )
    cs.case_reject(actor=clerk, case=other, reason="重复", now=after(case, 4))
    assert _view(client, filed.number, hotline.key)["status"] == "closed"


def test_the_identity_never_appears_in_any_answer(
    client, cans, hotline, other_app, clerk, supervisor, handler_a, unit_a
):
    """The complainant's name, phone and e-mail, even when the complaint's own words and the
    reply repeat them, are in no answer: to the filer, to another client, to anyone."""
    file_request(
        client,
        hotline.key,
        description=f"我叫{NAME}，电话 138 1234 5678，邮箱 {EMAIL}，窗口不给办。",
        address_string=f"{NAME}家门口",
    )
    file_request(client, hotline.key, fmt="xml")
    case = Case.objects.order_by("id").first()
    cs.case_reject(
        actor=clerk, case=case, reason=f"{NAME}反映的问题不属于效能投诉", now=after(case, 3)
    )
    answers = []
    for key in (hotline.key, other_app.key, None):
        params = {"api_key": key} if key else {}
        for fmt in ("json", "xml"):
            answers.append(client.get(f"/open311/v2/requests.{fmt}", params).content)
            for number in Case.objects.values_list("number", flat=True):
                answers.append(client.get(f"/open311/v2/requests/{number}.{fmt}", params).content)
    assert len(answers) == 18
    for content in answers:
        for secret in (NAME, PHONE, "138 1234 5678", EMAIL, "smit333", "tt222111", "123456"):
            assert secret.encode() not in content, (secret, content.decode())
    stored = case.open311_request
    assert NAME not in stored.description + stored.address_string  # not even at rest
    mine = body(client.get(f"/open311/v2/requests/{case.number}.json", {"api_key": hotline.key}))
    assert mine[0]["description"] == "我叫张**，电话 138****5678，邮箱 ***@***，窗口不给办。"
    assert mine[0]["address"] == "张**家门口"


def test_the_list_reads_with_a_fixed_number_of_queries(
    client, cans, hotline, django_assert_max_num_queries
):
    for _ in range(5):
        file_request(client, hotline.key)
    found = request_search(numbers=list(Case.objects.values_list("number", flat=True)))
    with django_assert_max_num_queries(1):
        records = request_records(requests=found, viewer=hotline.client)
    assert len(records) == 5
    with django_assert_max_num_queries(12):
        response = client.get("/open311/v2/requests.json", {"api_key": hotline.key})
    assert len(body(response)) == 5
