import io
import zipfile

import pytest
from django.urls import reverse

from xiaoneng.audit.models import AuditEntry
from xiaoneng.publicity import services as s
from xiaoneng.publicity.choices import BulletinStatus
from xiaoneng.publicity.models import Bulletin

from .conftest import COMPLAINANT_NAME, COMPLAINANT_PHONE

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def draft(closed_case, clerk):
    return s.bulletin_draft(actor=clerk, cases=[closed_case()])


@pytest.fixture
def submitted(draft, clerk):
    return s.bulletin_submit(actor=clerk, bulletin=draft)


def snapshot(bulletin):
    bulletin = Bulletin.objects.get(pk=bulletin.pk)
    return (bulletin.status, bulletin.title, bulletin.body, bulletin.number, bulletin.version)


def urls(bulletin):
    pk = bulletin.pk
    return {
        "list": ("get", reverse("publicity:bulletin_list"), {}),
        "create": ("post", reverse("publicity:bulletin_create"), {"numbers": "XN-2025-000001"}),
        "detail": ("get", reverse("publicity:bulletin_detail", args=[pk]), {}),
        "edit": (
            "post",
            reverse("publicity:bulletin_edit", args=[pk]),
            {"title": "改", "body": "改", "version": bulletin.version},
        ),
        "submit": (
            "post",
            reverse("publicity:bulletin_submit", args=[pk]),
            {"version": bulletin.version},
        ),
        "approve": (
            "post",
            reverse("publicity:bulletin_approve", args=[pk]),
            {"version": bulletin.version},
        ),
        "reject": (
            "post",
            reverse("publicity:bulletin_reject", args=[pk]),
            {"note": "不行", "version": bulletin.version},
        ),
        "publish": (
            "post",
            reverse("publicity:bulletin_publish", args=[pk]),
            {"visibility": "public", "version": bulletin.version},
        ),
        "docx": ("get", reverse("publicity:bulletin_docx", args=[pk]), {}),
    }


def test_anonymous_visitors_are_sent_to_sign_in(client, draft):
    before = snapshot(draft)
    for method, url, data in urls(draft).values():
        response = getattr(client, method)(url, data)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("accounts:login"))
    assert snapshot(draft) == before


@pytest.mark.parametrize("persona", ["handler_a", "liaison_a", "inspector", "sysadmin"])
def test_everyone_outside_the_office_and_leaders_gets_404(client, request, draft, persona):
    client.force_login(request.getfixturevalue(persona))
    before = snapshot(draft)
    for name, (method, url, data) in urls(draft).items():
        assert getattr(client, method)(url, data).status_code == 404, name
    assert snapshot(draft) == before
    assert Bulletin.objects.count() == 1
    assert not AuditEntry.objects.filter(action="publicity.bulletin.export").exists()


def test_a_leader_reads_but_changes_nothing(client, leader, submitted):
    client.force_login(leader)
    before = snapshot(submitted)
    routes = urls(submitted)
    for name in ("list", "detail", "docx"):
        method, url, data = routes[name]
        assert getattr(client, method)(url, data).status_code == 200, name
    for name in ("create", "edit", "submit", "approve", "reject", "publish"):
        method, url, data = routes[name]
        assert getattr(client, method)(url, data).status_code == 404, name
    assert snapshot(submitted) == before
    page = client.get(reverse("publicity:bulletin_detail", args=[submitted.pk]))
    assert b'data-testid="bulletin-actions"' not in page.content


def test_a_supervisor_cannot_approve(client, supervisor, submitted):
    client.force_login(supervisor)
    before = snapshot(submitted)
    method, url, data = urls(submitted)["approve"]
    assert client.post(url, data).status_code == 404
    assert snapshot(submitted) == before


def test_draft_from_register_numbers_then_the_whole_way(client, clerk, director, closed_case):
    case = closed_case()
    client.force_login(clerk)
    form = client.get(reverse("publicity:bulletin_create"))
    assert case.number.encode() in form.content
    response = client.post(
        reverse("publicity:bulletin_create"), {"numbers": f" {case.number.lower()} ", "title": ""}
    )
    bulletin = Bulletin.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("publicity:bulletin_detail", args=[bulletin.pk])
    page = client.get(response["Location"])
    assert "推行窗口首问负责制" in page.content.decode()
    assert COMPLAINANT_NAME not in page.content.decode()
    assert COMPLAINANT_PHONE not in page.content.decode()
    assert reverse("cases:case_detail", args=[case.pk]) in page.content.decode()
    assert b'data-testid="action-submit"' in page.content
    assert b'data-testid="action-approve"' not in page.content

    edit = reverse("publicity:bulletin_edit", args=[bulletin.pk])
    assert client.post(edit, {"title": "典型案件通报", "body": "一、甲\n\n正文", "version": 1})[
        "Location"
    ] == reverse("publicity:bulletin_detail", args=[bulletin.pk])
    client.post(reverse("publicity:bulletin_submit", args=[bulletin.pk]), {"version": 2})

    client.force_login(director)
    page = client.get(reverse("publicity:bulletin_detail", args=[bulletin.pk]))
    assert b'data-testid="action-approve"' in page.content
    client.post(reverse("publicity:bulletin_approve", args=[bulletin.pk]), {"version": 3})
    client.post(
        reverse("publicity:bulletin_publish", args=[bulletin.pk]),
        {"visibility": "internal", "version": 4},
    )
    bulletin.refresh_from_db()
    assert (bulletin.status, bulletin.visibility, bulletin.title) == (
        BulletinStatus.PUBLISHED,
        "internal",
        "典型案件通报",
    )
    assert bulletin.number.startswith("效能通报〔") and bulletin.number.endswith("〕第1期")

    listing = client.get(reverse("publicity:bulletin_list"), {"status": "published"})
    assert bulletin.number in listing.content.decode()
    assert (
        "典型案件通报"
        not in client.get(reverse("publicity:bulletin_list"), {"status": "draft"}).content.decode()
    )

    docx = client.get(reverse("publicity:bulletin_docx", args=[bulletin.pk]))
    assert docx.status_code == 200
    assert docx["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in docx["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(docx.content)) as z:
        assert bulletin.number in z.read("word/document.xml").decode()
    assert AuditEntry.objects.filter(action="publicity.bulletin.export", actor=director).exists()


def test_unknown_or_open_cases_are_refused_on_the_form(client, clerk, register):
    open_case = register()
    client.force_login(clerk)
    url = reverse("publicity:bulletin_create")
    response = client.post(url, {"numbers": "XN-1999-000001", "title": "我的标题"}, **EN)
    assert response.status_code == 200
    assert (
        "No case you may see has the register number XN-1999-000001." in response.content.decode()
    )
    assert "我的标题" in response.content.decode()
    response = client.post(url, {"numbers": open_case.number}, **EN)
    assert "is not closed out" in response.content.decode()
    response = client.post(url, {}, **EN)
    assert "Choose at least one closed case." in response.content.decode()
    assert Bulletin.objects.count() == 0


def test_a_stale_form_gets_a_conflict_message(client, clerk, supervisor, draft):
    s.bulletin_update(actor=supervisor, bulletin=draft, title="甲", body="甲", version=1)
    client.force_login(clerk)
    edit = reverse("publicity:bulletin_edit", args=[draft.pk])
    response = client.post(edit, {"title": "乙", "body": "乙的正文", "version": 1}, **EN)
    assert response.status_code == 200
    assert "Someone else changed this bulletin" in response.content.decode()
    assert "乙的正文" in response.content.decode()
    response = client.post(
        reverse("publicity:bulletin_submit", args=[draft.pk]), {"version": 1}, **EN
    )
    assert response.status_code == 400
    assert "Someone else changed this bulletin" in response.content.decode()
    assert snapshot(draft)[:3] == (BulletinStatus.DRAFT, "甲", "甲")


def test_a_wrong_state_is_a_message_not_an_error(client, director, draft):
    client.force_login(director)
    response = client.post(
        reverse("publicity:bulletin_approve", args=[draft.pk]), {"version": 1}, **EN
    )
    assert response.status_code == 400
    assert "This action is not possible while the bulletin is “Draft”." in response.content.decode()
    assert snapshot(draft)[0] == BulletinStatus.DRAFT


def test_the_menu_shows_bulletins_to_the_office_and_leaders(client, clerk, leader, handler_a):
    for user, shown in ((clerk, True), (leader, True), (handler_a, False)):
        client.force_login(user)
        page = client.get(reverse("core:home"))
        assert (reverse("publicity:bulletin_list").encode() in page.content) is shown
