"""Reading cases through the API: the ledger's filters, cursor pagination in every sort
order, one case, its timeline and its files, with the screens' scope and masking."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from xiaoneng.api.pagination import sort_columns
from xiaoneng.audit.models import AuditEntry
from xiaoneng.cases import services as s
from xiaoneng.cases.ledger import SORTS
from xiaoneng.cases.models import Case

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def many(clerk, supervisor, category, unit_a, unit_b):
    """Nine cases registered an hour apart: every third about unit B, every other urgent, the
    first four closed out (not accepted) at different times, the fifth dispatched to unit A."""
    start = datetime(2026, 3, 2, 9, tzinfo=TZ)
    cases = []
    for i in range(9):
        case = s.case_register(
            actor=clerk,
            channel="phone" if i % 2 else "letter",
            category=category,
            summary=f"第{i}件投诉",
            content=f"投诉内容{i}",
            complainant=s.ComplainantData(name=f"投诉人{i}", phone=f"1380000000{i}"),
            urgency="urgent" if i % 2 else "normal",
            subject_units=[unit_b if i % 3 == 0 else unit_a],
            now=start + timedelta(hours=i),
        )
        cases.append(case)
    for i, case in enumerate(cases[:4]):
        s.case_reject(
            actor=clerk, case=case, reason="不属受理范围", now=start + timedelta(days=1, hours=-i)
        )
    s.case_accept(actor=clerk, case=cases[4])
    s.case_dispatch(actor=supervisor, case=cases[4], mode="transfer", lead=s.UnitPart(unit_a))
    return cases


def _numbers(page) -> list[str]:
    return [row["number"] for row in page["items"]]


def test_the_list_applies_the_ledgers_filters(as_user, supervisor, many):
    client = as_user(supervisor)
    everything = client.get("/cases").json()
    assert _numbers(everything) == [c.number for c in reversed(many)]
    assert everything["next_cursor"] is None

    urgent = client.get("/cases", {"urgency": "urgent", "channel": "phone"}).json()
    assert _numbers(urgent) == [many[i].number for i in (7, 5, 3, 1)]
    declined = client.get("/cases", {"status": ["not_accepted"], "sort": "registered_at"}).json()
    assert _numbers(declined) == [many[i].number for i in range(4)]
    about_b = client.get("/cases", {"subject_unit": "TZ-CZJ"}).json()
    assert _numbers(about_b) == [many[i].number for i in (6, 3, 0)]
    handled_by_a = client.get("/cases", {"handling_unit": "tz-rsj"}).json()
    assert _numbers(handled_by_a) == [many[4].number]
    by_day = client.get(
        "/cases", {"registered_from": "2026-03-02", "registered_to": "2026-03-02", "q": "第8件"}
    ).json()
    assert _numbers(by_day) == [many[8].number]


def test_office_rows_show_the_complainant_masked_units_not_at_all(
    as_user, supervisor, liaison_a, many
):
    [row] = as_user(supervisor).get("/cases", {"number": many[4].number}).json()["items"]
    assert row["complainant"] == {
        "anonymous": False,
        "name": "投***",
        "phone": "138****0004",
        "id_number": "",
        "address": "",
    }
    assert row["handling_units"] == [
        {
            "code": "TZ-RSJ",
            "name": "天洲区人力资源和社会保障局",
            "role": "sole",
            "status": "pending_sign",
        }
    ]
    assert row["deadline"]["stage"] == "signing"
    # Unit A sees only the case it handles, without the complainant.
    unit_page = as_user(liaison_a).get("/cases").json()
    assert _numbers(unit_page) == [many[4].number]
    assert unit_page["items"][0]["complainant"] is None


@pytest.mark.parametrize("sort", sorted(key for name in SORTS for key in (name, "-" + name)))
def test_cursor_pages_follow_every_sort_order_without_gaps_or_repeats(
    as_user, supervisor, many, sort
):
    client = as_user(supervisor)
    whole = _numbers(client.get("/cases", {"sort": sort, "limit": 200}).json())
    assert sorted(whole) == sorted(c.number for c in many)
    paged, cursor = [], None
    for _page in range(10):
        params = {"sort": sort, "limit": 2, **({"cursor": cursor} if cursor else {})}
        page = client.get("/cases", params).json()
        paged += _numbers(page)
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert paged == whole
    columns, descending = sort_columns(sort)
    assert columns[-1] == "id"


def test_closed_cases_sort_by_their_close_out_time_and_open_ones_last(as_user, supervisor, many):
    client = as_user(supervisor)
    ascending = _numbers(client.get("/cases", {"sort": "closed_at", "limit": 200}).json())
    assert ascending[:4] == [many[i].number for i in (3, 2, 1, 0)]
    descending = _numbers(client.get("/cases", {"sort": "-closed_at", "limit": 200}).json())
    assert descending[-4:] == [many[i].number for i in (0, 1, 2, 3)]


def test_a_cursor_of_another_sort_or_forged_is_refused(as_user, supervisor, many):
    client = as_user(supervisor)
    cursor = client.get("/cases", {"limit": 2}).json()["next_cursor"]
    response = client.get("/cases", {"sort": "number", "cursor": cursor}, language="en")
    assert response.status_code == 422
    assert response.json()["fields"] == {
        "cursor": ["This cursor does not belong to this list; start again without it."]
    }
    for forged in ("%%%", "eyJzb3J0IjoiLXJlZ2lzdGVyZWRfYXQiLCJhZnRlciI6WzEsMl19", "x" * 50):
        assert client.get("/cases", {"cursor": forged}).status_code == 422


def test_the_timeline_hides_the_units_internal_notes_from_other_units(
    as_user, handling, handler_a, supervisor, unit_b, liaison_a
):
    part = handling.assignments.get()
    s.assignment_progress(actor=handler_a, assignment=part, note="内部记录")
    office = as_user(supervisor).get(f"/cases/{handling.pk}/timeline").json()
    unit = as_user(liaison_a).get(f"/cases/{handling.pk}/timeline").json()
    assert [e["code"] for e in office][-1] == "case.progress"
    assert [e["code"] for e in unit][-1] == "case.progress"
    # The file name of the office's original is not shown to the unit.
    added = [e for e in unit if e["code"] == "case.attachment_added"]
    assert "original_name" not in added[0]["data"]
    assert [e for e in office if e["code"] == "case.attachment_added"][0]["data"][
        "original_name"
    ] == "记录.txt"


def test_revealing_the_identity_is_audited(as_user, clerk, handling):
    before = AuditEntry.objects.filter(action="cases.case.view_protected").count()
    response = as_user(clerk).post(f"/cases/{handling.pk}/identity")
    assert response.status_code == 200
    assert response.json() == {
        "anonymous": False,
        "name": "张三丰",
        "phone": "13812345678",
        "id_number": "330102199001011234",
        "address": "天洲区青石镇幸福路8号",
        "email": "",
    }
    rows = AuditEntry.objects.filter(action="cases.case.view_protected")
    assert rows.count() == before + 1
    assert rows.order_by("-position").first().data["api_token"]["prefix"].startswith("xn_")


def test_files_are_listed_uploaded_and_downloaded_within_scope(as_user, clerk, handler_a, handling):
    office, unit = as_user(clerk), as_user(handler_a)
    [original] = office.get(f"/cases/{handling.pk}/attachments").json()
    assert (original["kind"], original["original_name"]) == ("original", "记录.txt")
    assert unit.get(f"/cases/{handling.pk}/attachments").json() == []
    assert unit.get(f"/cases/{handling.pk}/attachments/{original['id']}").status_code == 404

    response = unit.upload(
        f"/cases/{handling.pk}/attachments",
        {"file": SimpleUploadedFile("整改报告.txt", "整改已完成。\n".encode()), "kind": "reply"},
    )
    assert response.status_code == 201, response.content
    mine = response.json()
    assert (mine["kind"], mine["releasable"], mine["size"]) == ("reply", False, 19)
    assert response["Location"] == f"/api/v1/cases/{handling.pk}/attachments/{mine['id']}"
    download = unit.get(f"/cases/{handling.pk}/attachments/{mine['id']}")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == "整改已完成。\n".encode()
    assert download["Content-Type"].startswith("text/plain")
    assert AuditEntry.objects.filter(action="cases.attachment.download").count() == 1

    refused = unit.upload(
        f"/cases/{handling.pk}/attachments",
        {"file": SimpleUploadedFile("x.exe", b"MZ\x90\x00\x03binary"), "kind": "reply"},
    )
    assert refused.status_code == 422
    assert list(refused.json()["fields"]) == ["file"]


def test_the_case_shows_what_the_caller_may_do(as_user, supervisor, handler_a, handling):
    office = as_user(supervisor).get(f"/cases/{handling.pk}").json()
    assert "supervise" in office["actions"] and "dispatch" not in office["actions"]
    assert office["assignments"][0]["actions"] == []
    unit = as_user(handler_a).get(f"/cases/{handling.pk}").json()
    assert unit["actions"] == []
    assert unit["assignments"][0]["actions"] == ["attach", "extension_request", "progress", "reply"]
    assert [d["stage"] for d in unit["assignments"][0]["deadlines"]] == ["signing", "handling"]
    assert unit["assignments"][0]["deadlines"][1]["status"] == "normal"
    assert Case.objects.get().version == office["version"]


def test_the_list_runs_a_fixed_number_of_queries(
    as_user, supervisor, clerk, category, unit_a, many, steady_calendar
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = as_user(supervisor)
    client.get("/cases", {"limit": 50})  # the token's first call writes its last use

    def count() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as queries:
            page = client.get("/cases", {"limit": 50}).json()
        return len(queries), len(page["items"])

    few, rows = count()
    assert rows == 9
    for i in range(12):
        s.case_register(
            actor=clerk,
            channel="phone",
            category=category,
            summary=f"追加{i}",
            content=f"追加内容{i}",
            complainant=s.ComplainantData(name=f"追加人{i}", phone=f"1390000000{i % 10}"),
            subject_units=[unit_a],
        )
    many_queries, rows = count()
    assert rows == 21
    assert many_queries <= few
