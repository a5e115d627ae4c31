import datetime as dt
import io
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from xiaoneng.audit import services
from xiaoneng.audit.models import AuditEntry
from xiaoneng.audit.services import audit_log
from xiaoneng.audit.views import PAGE_SIZE
from xiaoneng.org.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LIST = reverse("audit:entry_list")
VERIFY = reverse("audit:chain_verify")
HEAD = reverse("audit:head_export")


def _positions(response) -> list[int]:
    return [entry.position for entry in response.context["page_obj"].object_list]


@pytest.fixture
def superuser(office):
    """A Django superuser without the audit administrator role."""
    return UserFactory(
        username="root", name="超级用户", unit=office, is_superuser=True, is_staff=True
    )


@pytest.fixture
def entries(handler_a, handler_b, unit_a, unit_b, section_a, clerk):
    """Five entries from different people, units and actions."""
    return [
        audit_log(action="org.user.create", actor=clerk, unit=unit_a, data={"username": "x"}),
        audit_log(action="org.user.update", actor=handler_a),
        audit_log(action="auth.login_failed", success=False, data={"username": "ghost"}),
        audit_log(action="org.unit.update", actor=handler_b),
        audit_log(action="auth.login", actor=clerk, unit=section_a),
    ]


# --- who may open the screen ---------------------------------------------------------------


DENIED = ["handler_a", "clerk", "sysadmin", "secadmin", "leader", "superuser"]


class TestPermissions:
    @pytest.mark.parametrize(
        ("method", "url"),
        [
            ("get", LIST),
            ("get", reverse("audit:entry_detail", args=[1])),
            ("post", VERIFY),
            ("post", HEAD),
        ],
    )
    def test_anonymous_is_sent_to_the_login_page(self, client, entries, method, url):
        response = getattr(client, method)(url)
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('accounts:login')}?next={url}"
        assert AuditEntry.objects.count() == 5

    @pytest.mark.parametrize("persona", DENIED)
    @pytest.mark.parametrize(
        ("method", "url"),
        [
            ("get", LIST),
            ("get", reverse("audit:entry_detail", args=[1])),
            ("post", VERIFY),
            ("post", HEAD),
        ],
    )
    def test_everyone_but_the_audit_admin_gets_404(
        self, client, entries, request, persona, method, url
    ):
        client.force_login(request.getfixturevalue(persona))
        response = getattr(client, method)(url)
        assert response.status_code == 404
        assert AuditEntry.objects.count() == 5  # nothing verified or exported

    def test_an_inactive_audit_admin_is_refused(self, client, auditadmin):
        client.force_login(auditadmin)
        auditadmin.is_active = False
        auditadmin.save()
        assert client.get(LIST).status_code in (302, 404)

    def test_the_audit_admin_sees_the_log(self, client, auditadmin, entries):
        client.force_login(auditadmin)
        response = client.get(LIST)
        assert response.status_code == 200
        assert _positions(response) == [5, 4, 3, 2, 1]
        assert response.context["page_obj"].paginator.count == 5
        content = response.content.decode()
        assert "Account created" in content and "org.user.create" in content
        assert "吴承办" in content

    def test_reading_the_log_is_not_audited(self, client, auditadmin, entries):
        client.force_login(auditadmin)
        client.get(LIST)
        client.get(reverse("audit:entry_detail", args=[2]))
        assert AuditEntry.objects.count() == 5

    def test_verify_and_export_need_post(self, client, auditadmin):
        client.force_login(auditadmin)
        assert client.get(VERIFY).status_code == 405
        assert client.get(HEAD).status_code == 405
        assert not AuditEntry.objects.exists()


# --- filters -------------------------------------------------------------------------------


class TestFilters:
    @pytest.fixture(autouse=True)
    def _login(self, client, auditadmin):
        client.force_login(auditadmin)

    @pytest.mark.parametrize(
        ("query", "positions"),
        [
            ({"actor": "吴承办"}, [2]),
            ({"actor": "handler"}, [4, 2]),  # by login name
            ({"actor": "clerk"}, [5, 1]),
            ({"action": "org.user.create"}, [1]),
            ({"action": "org.user"}, [2, 1]),
            ({"action": "org"}, [4, 2, 1]),
            ({"action": "org.u"}, []),  # a prefix ends at a dot
            ({"action": "auth.*"}, [5, 3]),
            ({"success": "no"}, [3]),
            ({"success": "yes"}, [5, 4, 2, 1]),
            ({"action": "org", "actor": "吴"}, [2]),
        ],
    )
    def test_filters_narrow_rows_exactly(self, client, entries, query, positions):
        response = client.get(LIST, query)
        assert response.status_code == 200
        assert _positions(response) == positions

    def test_unit_includes_its_sections(self, client, entries, unit_a, unit_b, section_a):
        assert _positions(client.get(LIST, {"unit": unit_a.pk})) == [5, 2, 1]
        assert _positions(client.get(LIST, {"unit": section_a.pk})) == [5]
        assert _positions(client.get(LIST, {"unit": unit_b.pk})) == [4]

    def test_object_filter(self, client, handler_a, clerk):
        audit_log(action="org.user.update", actor=clerk, obj=handler_a)
        audit_log(action="org.user.update", actor=clerk, obj=clerk)
        response = client.get(LIST, {"object_type": "org.user", "object_id": str(handler_a.pk)})
        assert _positions(response) == [1]

    def test_dates_are_shanghai_calendar_days(self, client, monkeypatch):
        times = iter(
            [
                dt.datetime(2026, 3, 1, 15, 59, 59, 999999, tzinfo=dt.UTC),  # 3-01 23:59 Shanghai
                dt.datetime(2026, 3, 1, 16, 0, tzinfo=dt.UTC),  # 3-02 00:00 Shanghai
                dt.datetime(2026, 3, 2, 15, 59, 59, tzinfo=dt.UTC),  # 3-02 23:59 Shanghai
                dt.datetime(2026, 3, 2, 16, 0, tzinfo=dt.UTC),  # 3-03 00:00 Shanghai
            ]
        )
        monkeypatch.setattr(services, "_now", lambda: next(times))
        for _ in range(4):
            audit_log(action="test.event.dated")

        assert _positions(client.get(LIST, {"date_from": "2026-03-02"})) == [4, 3, 2]
        assert _positions(client.get(LIST, {"date_to": "2026-03-01"})) == [1]
        assert _positions(
            client.get(LIST, {"date_from": "2026-03-02", "date_to": "2026-03-02"})
        ) == [3, 2]

    def test_an_inverted_date_range_is_an_error_not_a_filter(self, client, entries):
        response = client.get(LIST, {"date_from": "2026-03-05", "date_to": "2026-03-01"})
        assert response.status_code == 200
        assert response.context["form"].errors["date_to"]
        assert _positions(response) == [5, 4, 3, 2, 1]

    def test_a_free_typed_action_prefix_stays_selected(self, client, entries):
        response = client.get(LIST, {"action": "auth"})
        assert '<option value="auth" selected>' in response.content.decode()
        response = client.get(LIST, {"action": "cases.case"})
        assert (
            '<option value="cases.case" selected>cases.case</option>' in response.content.decode()
        )

    def test_pages_hold_fifty_and_keep_the_filters(self, client):
        for n in range(PAGE_SIZE + 5):
            audit_log(action="test.event.bulk", data={"n": n})
        audit_log(action="other.event.one")

        first = client.get(LIST, {"action": "test.event", "success": "yes"})
        assert len(_positions(first)) == PAGE_SIZE
        assert _positions(first)[0] == PAGE_SIZE + 5
        content = first.content.decode()
        assert 'href="?action=test.event&amp;success=yes&amp;page=2"' in content

        second = client.get(LIST, {"action": "test.event", "success": "yes", "page": 2})
        assert _positions(second) == [5, 4, 3, 2, 1]

    def test_the_number_of_queries_does_not_grow_with_the_page(
        self, client, handler_a, unit_a, django_assert_max_num_queries, steady_calendar
    ):
        audit_log(action="org.user.update", actor=handler_a)

        def count_queries() -> int:
            with CaptureQueriesContext(connection) as queries:
                assert client.get(LIST, {"unit": unit_a.pk}).status_code == 200
            return len(queries)

        count_queries()  # warm the per-process caches (security policy, calendar)
        few = count_queries()
        for n in range(PAGE_SIZE + 10):
            audit_log(action="org.user.update", actor=handler_a, obj=handler_a, data={"n": n})
        many = count_queries()

        assert few == many
        with django_assert_max_num_queries(15):
            client.get(LIST, {"unit": unit_a.pk})


# --- rendering, detail, verify, export ------------------------------------------------------


class TestScreens:
    @pytest.fixture(autouse=True)
    def _login(self, client, auditadmin):
        client.force_login(auditadmin)

    def test_unknown_codes_are_shown_as_the_code(self, client):
        audit_log(action="cases.case.teleport")
        content = client.get(LIST).content.decode()
        assert "cases.case.teleport" in content

    def test_labels_follow_the_readers_language(self, client, auditadmin, entries):
        english = client.get(LIST).content.decode()
        assert "Failed login" in english
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
        chinese = client.get(LIST)
        assert chinese.status_code == 200
        assert chinese.headers["Content-Language"] == "zh-hans"

    def test_detail_shows_data_and_hashes(self, client, entries):
        response = client.get(reverse("audit:entry_detail", args=[1]))
        assert response.status_code == 200
        content = response.content.decode()
        assert entries[0].hash in content
        assert entries[0].prev_hash in content
        assert "&quot;username&quot;: &quot;x&quot;" in content
        assert response.context["check"].hash_ok is True
        assert "matches the content" in content

    def test_detail_as_htmx_partial(self, client, entries):
        response = client.get(reverse("audit:entry_detail", args=[2]), HTTP_HX_REQUEST="true")
        assert response.status_code == 200
        assert [t.name for t in response.templates][0] == "audit/partials/entry_detail.html"
        assert "<html" not in response.content.decode()

    def test_detail_of_a_missing_position_is_404(self, client, entries):
        assert client.get(reverse("audit:entry_detail", args=[99])).status_code == 404

    def test_verify_shows_ok_and_is_audited(self, client, auditadmin, entries):
        response = client.post(VERIFY)
        assert response.status_code == 200
        result = response.context["result"]
        assert (result.ok, result.count, result.head_hash) == (True, 5, entries[-1].hash)
        assert 'data-testid="verify-ok"' in response.content.decode()
        entry = AuditEntry.objects.get(position=6)
        assert (entry.action, entry.actor, entry.success) == ("audit.verify", auditadmin, True)
        assert entry.data["count"] == 5

    def test_verify_names_the_broken_position(self, client, entries, behind_the_app):
        behind_the_app("UPDATE audit_auditentry SET actor_name = 'x' WHERE position = 2")
        response = client.post(VERIFY, HTTP_HX_REQUEST="true")
        assert response.status_code == 200
        content = response.content.decode()
        assert 'data-testid="verify-broken" data-position="2"' in content
        assert "<html" not in content
        entry = AuditEntry.objects.get(action="audit.verify")
        assert entry.success is False
        assert (entry.data["problem"], entry.data["position"]) == ("hash_mismatch", 2)

    def test_verify_with_an_uploaded_head(self, client, entries, behind_the_app):
        head = services.audit_head_export(destination="file")  # position 6
        upload = io.BytesIO(json.dumps(head.as_dict()).encode())
        upload.name = "head.json"
        response = client.post(VERIFY, {"head": upload})
        assert response.context["result"].ok
        assert response.context["result"].checked_exported_head

        behind_the_app("DELETE FROM audit_auditentry WHERE position >= 6")
        upload.seek(0)
        response = client.post(VERIFY, {"head": upload})
        problem = response.context["result"].problem
        # the recorded head would catch it too; the exported head is checked first
        assert (problem.code, problem.position) == ("head_missing", 6)

    def test_a_bad_upload_is_refused_without_verifying(self, client, entries):
        upload = io.BytesIO(b"not json")
        upload.name = "head.json"
        response = client.post(VERIFY, {"head": upload})
        assert response.status_code == 400
        assert "This is not an exported head." in response.content.decode()
        assert AuditEntry.objects.count() == 5

    def test_head_export_downloads_json_and_is_audited(self, client, auditadmin, entries):
        response = client.post(HEAD)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/json"
        assert response["Content-Disposition"] == (
            'attachment; filename="xiaoneng-audit-head-6.json"'
        )
        head = json.loads(response.content)
        entry = AuditEntry.objects.get(position=6)
        assert (head["position"], head["hash"]) == (6, entry.hash)
        assert (entry.action, entry.actor, entry.data) == (
            "audit.export_head",
            auditadmin,
            {"destination": "download"},
        )

    def test_the_menu_links_the_screen_for_the_audit_admin_only(self, client, sysadmin):
        assert f'href="{LIST}"' in client.get(reverse("core:home")).content.decode()
        client.force_login(sysadmin)
        assert f'href="{LIST}"' not in client.get(reverse("core:home")).content.decode()


# --- Django admin: read-only, audit admin only ----------------------------------------------


class TestDjangoAdmin:
    CHANGELIST = "/django-admin/audit/auditentry/"

    def test_the_audit_admin_reads_but_cannot_change(self, client, auditadmin, entries):
        auditadmin.is_staff = True
        auditadmin.save()
        client.force_login(auditadmin)
        assert client.get(self.CHANGELIST).status_code == 200
        assert client.get(f"{self.CHANGELIST}{entries[0].pk}/change/").status_code == 200
        assert client.get(f"{self.CHANGELIST}add/").status_code == 403
        assert client.get(f"{self.CHANGELIST}{entries[0].pk}/delete/").status_code == 403
        response = client.post(f"{self.CHANGELIST}{entries[0].pk}/change/", {"actor_name": "x"})
        assert response.status_code == 403
        assert AuditEntry.objects.get(pk=entries[0].pk).actor_name == "李受理"

    def test_a_superuser_without_the_role_cannot_see_it(self, client, superuser, entries):
        client.force_login(superuser)
        assert client.get(self.CHANGELIST).status_code == 403
