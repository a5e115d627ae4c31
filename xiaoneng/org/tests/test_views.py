import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from xiaoneng.org.choices import Role, UnitKind
from xiaoneng.org.models import RoleAssignment, Unit, User
from xiaoneng.org.services import unit_update, user_set_roles
from xiaoneng.org.tests.factories import UnitFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(client):
    # Assert on the English source strings, whatever the catalogue holds.
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def spare_unit(district):
    """A unit nobody belongs to (so that deactivating it would succeed)."""
    return UnitFactory(code="TZ-SPARE", name="备用单位", parent=district)


@pytest.fixture
def target(unit_b):
    """A plain account that the screens act on."""
    return UserFactory(username="target", name="目标用户", unit=unit_b, roles=[Role.HANDLER])


@pytest.fixture
def world(office, unit_a, unit_b, section_a, spare_unit, target):
    return {"unit": spare_unit, "user": target}


def snapshot():
    return (
        sorted(Unit.objects.values_list("id", "code", "name", "version", "is_active", "parent_id")),
        sorted(
            User.objects.values_list("id", "username", "name", "version", "is_active", "password")
        ),
        sorted(RoleAssignment.objects.values_list("user_id", "role")),
    )


def _payload(name: str, world, import_file) -> dict:
    unit, person = world["unit"], world["user"]
    return {
        "org:unit_create": {
            "code": "NEW-1",
            "name": "新单位",
            "kind": UnitKind.DEPARTMENT,
            "order": 1,
            "parent": unit.parent_id,
        },
        "org:unit_update": {
            "code": unit.code,
            "name": "改名",
            "kind": unit.kind,
            "order": 3,
            "parent": unit.parent_id,
            "version": unit.version,
        },
        "org:user_create": {
            "username": "newbie",
            "name": "新人",
            "unit": person.unit_id,
            "roles": [Role.HANDLER],
            "password": "",
        },
        "org:user_update": {"name": "改名", "unit": person.unit_id, "version": person.version},
        "org:user_roles": {"roles": [Role.SUPERVISOR, Role.AUDIT_ADMIN], "version": person.version},
        "org:import": {"file": import_file()},
    }.get(name, {})


# (URL name, method, object it needs)
ENDPOINTS = [
    ("org:unit_list", "get", None),
    ("org:unit_create", "get", None),
    ("org:unit_create", "post", None),
    ("org:unit_update", "get", "unit"),
    ("org:unit_update", "post", "unit"),
    ("org:unit_deactivate", "post", "unit"),
    ("org:unit_activate", "post", "unit"),
    ("org:user_list", "get", None),
    ("org:user_create", "get", None),
    ("org:user_create", "post", None),
    ("org:user_detail", "get", "user"),
    ("org:user_update", "get", "user"),
    ("org:user_update", "post", "user"),
    ("org:user_roles", "get", "user"),
    ("org:user_roles", "post", "user"),
    ("org:user_deactivate", "post", "user"),
    ("org:user_activate", "post", "user"),
    ("org:user_password_reset", "post", "user"),
    ("org:import", "get", None),
    ("org:import", "post", None),
    ("org:import_template", "get", None),
]
SECADMIN_ALLOWED = {
    ("org:user_list", "get"),
    ("org:user_detail", "get"),
    ("org:user_roles", "get"),
    ("org:user_roles", "post"),
}
IDS = [f"{name}-{method}" for name, method, _needs in ENDPOINTS]


@pytest.fixture
def import_file():
    def make():
        import io

        from django.core.files.uploadedfile import SimpleUploadedFile
        from openpyxl import Workbook

        wb = Workbook()
        ws = wb.active
        ws.title = "单位 Units"
        ws.append(["编码", "名称", "简称", "类型", "上级编码", "排序"])
        ws.append(["IMP-1", "导入单位", "", "部门", "TZ", 1])
        buffer = io.BytesIO()
        wb.save(buffer)
        return SimpleUploadedFile("u.xlsx", buffer.getvalue())

    return make


def _call(client, name, method, needs, world, import_file):
    kwargs = {"pk": world[needs].pk} if needs else {}
    url = reverse(name, kwargs=kwargs)
    if method == "get":
        return client.get(url)
    return client.post(url, _payload(name, world, import_file))


@pytest.mark.parametrize(("name", "method", "needs"), ENDPOINTS, ids=IDS)
def test_anonymous_is_sent_to_login(client, world, import_file, name, method, needs):
    before = snapshot()
    response = _call(client, name, method, needs, world, import_file)
    assert response.status_code == 302
    assert response.url.startswith(reverse(settings.LOGIN_URL))
    assert snapshot() == before


@pytest.mark.parametrize("persona", ["handler_a", "clerk", "leader", "auditadmin", "inspector"])
@pytest.mark.parametrize(("name", "method", "needs"), ENDPOINTS, ids=IDS)
def test_other_roles_get_404_and_change_nothing(
    request, client, world, import_file, persona, name, method, needs
):
    client.force_login(request.getfixturevalue(persona))
    before = snapshot()
    response = _call(client, name, method, needs, world, import_file)
    assert response.status_code == 404
    assert snapshot() == before


@pytest.mark.parametrize(("name", "method", "needs"), ENDPOINTS, ids=IDS)
def test_security_admin_reads_accounts_and_edits_admin_roles_only(
    client, secadmin, world, import_file, name, method, needs
):
    client.force_login(secadmin)
    before = snapshot()
    response = _call(client, name, method, needs, world, import_file)
    if (name, method) in SECADMIN_ALLOWED:
        assert response.status_code == 200
    else:
        assert response.status_code == 404
    # Even the allowed POST changes nothing here: the target holds a business role, so the
    # administrator role is refused (separated duties) and the business role is not theirs.
    assert snapshot() == before


SYSADMIN_STATUS = {
    ("org:unit_create", "post"): 302,
    ("org:unit_update", "post"): 302,
    ("org:unit_deactivate", "post"): 302,
    ("org:unit_activate", "post"): 302,
    ("org:user_update", "post"): 302,
    ("org:user_roles", "post"): 200,  # the administrator role is refused on the form
    ("org:user_deactivate", "post"): 302,
    ("org:user_activate", "post"): 302,
}


@pytest.mark.parametrize(("name", "method", "needs"), ENDPOINTS, ids=IDS)
def test_system_admin_may_use_every_screen(
    client, sysadmin, world, import_file, name, method, needs
):
    client.force_login(sysadmin)
    response = _call(client, name, method, needs, world, import_file)
    assert response.status_code == SYSADMIN_STATUS.get((name, method), 200)


def test_get_never_reaches_a_post_only_view(client, sysadmin, world):
    client.force_login(sysadmin)
    before = snapshot()
    response = client.get(reverse("org:unit_deactivate", kwargs={"pk": world["unit"].pk}))
    assert response.status_code == 405
    response = client.get(reverse("org:user_password_reset", kwargs={"pk": world["user"].pk}))
    assert response.status_code == 405
    assert snapshot() == before


def test_unknown_objects_are_404(client, sysadmin):
    client.force_login(sysadmin)
    assert client.get(reverse("org:unit_update", kwargs={"pk": 999999})).status_code == 404
    assert client.get(reverse("org:user_detail", kwargs={"pk": 999999})).status_code == 404


class TestUnitScreens:
    def test_tree_lists_units_indented_with_member_counts(
        self, client, sysadmin, unit_a, section_a, handler_a, liaison_a
    ):
        client.force_login(sysadmin)
        response = client.get(reverse("org:unit_list"))
        tree = response.context["tree"]
        codes = [(unit.code, depth) for unit, depth in tree]
        assert codes.index(("TZ-RSJ", 1)) + 1 == codes.index(("TZ-RSJ-BGS", 2))
        counts = {unit.code: unit.member_count for unit, _depth in tree}
        assert counts["TZ-RSJ"] == 2
        assert counts["TZ-RSJ-BGS"] == 0
        assert counts["TZ-XNB"] == 1  # the system administrator

    def test_tree_query_count_does_not_grow_with_units(
        self, client, sysadmin, district, django_assert_max_num_queries
    ):
        client.force_login(sysadmin)
        client.get(reverse("org:unit_list"))  # first request of the session: warm-up
        with CaptureQueriesContext(connection) as few:
            client.get(reverse("org:unit_list"))
        for n in range(20):
            UnitFactory(parent=district, code=f"MORE-{n}")
        with CaptureQueriesContext(connection) as many:
            client.get(reverse("org:unit_list"))
        assert len(few) == len(many)

    def test_create_unit_through_the_form(self, client, sysadmin, unit_a):
        client.force_login(sysadmin)
        response = client.post(
            reverse("org:unit_create"),
            {
                "parent": unit_a.pk,
                "code": "TZ-RSJ-ZHK",
                "name": "综合科",
                "short_name": "",
                "kind": UnitKind.SECTION,
                "order": 5,
            },
        )
        assert response.status_code == 302
        unit = Unit.objects.get(code="TZ-RSJ-ZHK")
        assert unit.parent == unit_a
        assert unit.kind == UnitKind.SECTION
        assert unit.order == 5

    def test_duplicate_code_shows_an_error_on_the_form(self, client, sysadmin, unit_a):
        client.force_login(sysadmin)
        response = client.post(
            reverse("org:unit_create"),
            {"code": unit_a.code, "name": "重复", "kind": UnitKind.DEPARTMENT, "order": 0},
        )
        assert response.status_code == 200
        assert response.context["form"].errors["code"]
        assert Unit.objects.filter(code=unit_a.code).count() == 1

    def test_stale_form_shows_conflict_and_keeps_the_input(self, client, sysadmin, unit_a):
        client.force_login(sysadmin)
        url = reverse("org:unit_update", kwargs={"pk": unit_a.pk})
        form = client.get(url).context["form"]
        stale_version = form.initial["version"]
        unit_update(actor=sysadmin, unit=unit_a, name="别人改的名称")
        response = client.post(
            url,
            {
                "parent": unit_a.parent_id,
                "code": unit_a.code,
                "name": "我输入的名称",
                "kind": unit_a.kind,
                "order": 7,
                "version": stale_version,
            },
        )
        assert response.status_code == 200
        content = response.content.decode()
        assert "Someone else changed this record" in content
        assert 'value="我输入的名称"' in content
        unit_a.refresh_from_db()
        assert unit_a.name == "别人改的名称"

    def test_parent_cycle_is_an_error_on_the_form(self, client, sysadmin, unit_a, section_a):
        client.force_login(sysadmin)
        response = client.post(
            reverse("org:unit_update", kwargs={"pk": unit_a.pk}),
            {
                "parent": section_a.pk,
                "code": unit_a.code,
                "name": unit_a.name,
                "kind": unit_a.kind,
                "order": 0,
                "version": unit_a.version,
            },
        )
        assert response.status_code == 200
        assert response.context["form"].errors["parent"]
        unit_a.refresh_from_db()
        assert unit_a.parent.code == "TZ"

    def test_deactivation_refused_with_members_shows_message(
        self, client, sysadmin, unit_b, handler_b
    ):
        client.force_login(sysadmin)
        response = client.post(
            reverse("org:unit_deactivate", kwargs={"pk": unit_b.pk}), follow=True
        )
        assert "still has active accounts" in response.content.decode()
        unit_b.refresh_from_db()
        assert unit_b.is_active

    def test_deactivate_and_reactivate(self, client, sysadmin, spare_unit):
        client.force_login(sysadmin)
        client.post(reverse("org:unit_deactivate", kwargs={"pk": spare_unit.pk}))
        spare_unit.refresh_from_db()
        assert not spare_unit.is_active
        client.post(reverse("org:unit_activate", kwargs={"pk": spare_unit.pk}))
        spare_unit.refresh_from_db()
        assert spare_unit.is_active


class TestAccountScreens:
    def test_create_account_with_a_chosen_password(self, client, sysadmin, unit_a, unit_b):
        client.force_login(sysadmin)
        response = client.post(
            reverse("org:user_create"),
            {
                "username": "zhangsan",
                "name": "张三",
                "unit": unit_a.pk,
                "additional_units": [unit_b.pk],
                "title": "科员",
                "phone": "13800000000",
                "email": "zs@example.gov.cn",
                "roles": [Role.HANDLER, Role.UNIT_LIAISON],
                "password": "Chosen-pass#2026",
                "language": "en",
            },
        )
        person = User.objects.get(username="zhangsan")
        assert response.status_code == 302
        assert response.url == reverse("org:user_detail", kwargs={"pk": person.pk})
        assert person.unit == unit_a
        assert list(person.additional_units.all()) == [unit_b]
        assert person.roles == {Role.HANDLER, Role.UNIT_LIAISON}
        assert person.check_password("Chosen-pass#2026")
        assert person.must_change_password
        assert person.language == "en"

    def test_create_account_with_a_generated_password_shown_once(self, client, sysadmin, unit_a):
        client.force_login(sysadmin)
        response = client.post(
            reverse("org:user_create"),
            {"username": "lisi", "name": "李四", "unit": unit_a.pk, "password": ""},
        )
        assert response.status_code == 200
        password = response.context["password"]
        assert "no-store" in response["Cache-Control"]
        person = User.objects.get(username="lisi")
        assert person.check_password(password)
        assert person.must_change_password
        assert (
            password
            not in client.get(reverse("org:user_detail", kwargs={"pk": person.pk})).content.decode()
        )

    def test_create_form_offers_no_admin_role(self, client, sysadmin):
        client.force_login(sysadmin)
        form = client.get(reverse("org:user_create")).context["form"]
        offered = {value for value, _label in form.fields["roles"].choices}
        assert Role.SYSTEM_ADMIN not in offered
        assert Role.HANDLER in offered

    def test_invalid_input_shows_errors_not_500(self, client, sysadmin, unit_a, handler_a):
        client.force_login(sysadmin)
        response = client.post(
            reverse("org:user_create"),
            {
                "username": "bad name!",
                "name": "",
                "unit": "abc",
                "email": "nope",
                "password": "123",
            },
        )
        assert response.status_code == 200
        errors = response.context["form"].errors
        assert {"username", "name", "unit", "email"} <= set(errors)
        response = client.post(
            reverse("org:user_create"),
            {"username": handler_a.username, "name": "重名", "unit": unit_a.pk, "password": "123"},
        )
        assert response.status_code == 200
        assert response.context["form"].errors
        assert User.objects.filter(username=handler_a.username).count() == 1

    def test_edit_account_with_stale_version(self, client, sysadmin, handler_a, unit_a):
        client.force_login(sysadmin)
        url = reverse("org:user_update", kwargs={"pk": handler_a.pk})
        stale = client.get(url).context["form"].initial["version"]
        response = client.post(url, {"name": "新名字", "unit": unit_a.pk, "version": stale})
        assert response.status_code == 302
        response = client.post(url, {"name": "又一个名字", "unit": unit_a.pk, "version": stale})
        assert response.status_code == 200
        assert "Someone else changed this record" in response.content.decode()
        handler_a.refresh_from_db()
        assert handler_a.name == "新名字"

    def test_reset_password_shows_it_once(self, client, sysadmin, handler_a, password):
        client.force_login(sysadmin)
        response = client.post(reverse("org:user_password_reset", kwargs={"pk": handler_a.pk}))
        assert response.status_code == 200
        new_password = response.context["password"]
        handler_a.refresh_from_db()
        assert handler_a.check_password(new_password)
        assert not handler_a.check_password(password)
        assert handler_a.must_change_password

    def test_admin_account_password_cannot_be_reset_on_the_web(
        self, client, sysadmin, secadmin, password
    ):
        client.force_login(sysadmin)
        response = client.post(
            reverse("org:user_password_reset", kwargs={"pk": secadmin.pk}), follow=True
        )
        assert "command line" in response.content.decode()
        secadmin.refresh_from_db()
        assert secadmin.check_password(password)

    def test_deactivate_and_reactivate_account(self, client, sysadmin, handler_a):
        client.force_login(sysadmin)
        client.post(reverse("org:user_deactivate", kwargs={"pk": handler_a.pk}))
        handler_a.refresh_from_db()
        assert not handler_a.is_active
        client.post(reverse("org:user_activate", kwargs={"pk": handler_a.pk}))
        handler_a.refresh_from_db()
        assert handler_a.is_active


class TestRoleScreens:
    def test_system_admin_sees_business_role_checkboxes_only(self, client, sysadmin, handler_a):
        client.force_login(sysadmin)
        form = client.get(reverse("org:user_roles", kwargs={"pk": handler_a.pk})).context["form"]
        offered = {value for value, _label in form.fields["roles"].choices}
        assert offered == set(Role.values) - {
            Role.SYSTEM_ADMIN,
            Role.SECURITY_ADMIN,
            Role.AUDIT_ADMIN,
        }
        assert form.initial["roles"] == [Role.HANDLER]

    def test_security_admin_sees_admin_role_checkboxes_only(self, client, secadmin, handler_a):
        client.force_login(secadmin)
        form = client.get(reverse("org:user_roles", kwargs={"pk": handler_a.pk})).context["form"]
        offered = {value for value, _label in form.fields["roles"].choices}
        assert offered == {Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN}

    def test_system_admin_changes_business_roles(self, client, sysadmin, handler_a):
        client.force_login(sysadmin)
        response = client.post(
            reverse("org:user_roles", kwargs={"pk": handler_a.pk}),
            {"roles": [Role.UNIT_LIAISON, Role.UNIT_HEAD], "version": handler_a.version},
        )
        assert response.status_code == 302
        handler_a.refresh_from_db()
        assert set(handler_a.role_assignments.values_list("role", flat=True)) == {
            Role.UNIT_LIAISON,
            Role.UNIT_HEAD,
        }

    def test_security_admin_grants_an_admin_role(self, client, secadmin, office):
        person = UserFactory(username="future_auditor", unit=office, roles=[])
        client.force_login(secadmin)
        response = client.post(
            reverse("org:user_roles", kwargs={"pk": person.pk}),
            {"roles": [Role.AUDIT_ADMIN], "version": person.version},
        )
        assert response.status_code == 302
        assert set(person.role_assignments.values_list("role", flat=True)) == {Role.AUDIT_ADMIN}

    def test_security_admin_cannot_touch_business_roles_through_the_form(
        self, client, secadmin, handler_a
    ):
        client.force_login(secadmin)
        client.post(
            reverse("org:user_roles", kwargs={"pk": handler_a.pk}),
            {"roles": [Role.LEADER], "version": handler_a.version},
        )
        assert set(handler_a.role_assignments.values_list("role", flat=True)) == {Role.HANDLER}

    def test_security_admin_may_remove_an_admin_role(self, client, secadmin, auditadmin):
        client.force_login(secadmin)
        response = client.post(
            reverse("org:user_roles", kwargs={"pk": auditadmin.pk}),
            {"version": auditadmin.version},
        )
        assert response.status_code == 302
        assert not auditadmin.role_assignments.exists()

    def test_own_roles_cannot_be_changed(self, client, secadmin):
        client.force_login(secadmin)
        response = client.post(
            reverse("org:user_roles", kwargs={"pk": secadmin.pk}), {"version": secadmin.version}
        )
        assert response.status_code == 200
        assert "You cannot change your own roles." in response.content.decode()
        assert set(secadmin.role_assignments.values_list("role", flat=True)) == {
            Role.SECURITY_ADMIN
        }

    def test_stale_roles_form_conflicts(self, client, sysadmin, handler_a):
        client.force_login(sysadmin)
        stale = handler_a.version
        user_set_roles(actor=sysadmin, user=handler_a, roles=[Role.HANDLER, Role.UNIT_HEAD])
        response = client.post(
            reverse("org:user_roles", kwargs={"pk": handler_a.pk}),
            {"roles": [Role.HANDLER], "version": stale},
        )
        assert response.status_code == 200
        assert "Someone else changed this record" in response.content.decode()


class TestAccountList:
    def test_filters(self, client, sysadmin, handler_a, handler_b, liaison_a, unit_a, clerk):
        client.force_login(sysadmin)
        url = reverse("org:user_list")

        def names(**params):
            response = client.get(url, params)
            return {u.username for u in response.context["users"]}

        assert names(q="吴承") == {"handler_a"}
        assert names(q="liaison") == {"liaison_a"}
        assert names(role=Role.HANDLER) == {"handler_a", "handler_b"}
        assert names(unit=unit_a.pk) == {"handler_a", "liaison_a"}
        handler_b.is_active = False
        handler_b.save()
        assert names(role=Role.HANDLER, active="1") == {"handler_a"}
        assert names(role=Role.HANDLER, active="0") == {"handler_b"}
        assert "handler_a" in names(unit="not-a-number", role="nonsense")

    def test_htmx_request_gets_the_table_only(self, client, sysadmin, handler_a):
        client.force_login(sysadmin)
        response = client.get(reverse("org:user_list"), {"q": "handler"}, HTTP_HX_REQUEST="true")
        content = response.content.decode()
        assert "<html" not in content
        assert "handler_a" in content

    def test_paginated_by_50(self, client, sysadmin, office):
        for n in range(60):
            UserFactory(username=f"bulk{n:02d}", unit=office)
        client.force_login(sysadmin)
        response = client.get(reverse("org:user_list"))
        assert len(response.context["users"]) == 50
        response = client.get(reverse("org:user_list"), {"page": 2})
        assert len(response.context["users"]) == 11  # 60 + the system administrator

    def test_query_count_is_the_same_for_5_and_30_accounts(
        self, client, sysadmin, office, unit_a, django_assert_max_num_queries
    ):
        client.force_login(sysadmin)
        url = reverse("org:user_list")

        def make(count):
            for _n in range(count):
                UserFactory(
                    unit=unit_a, roles=[Role.HANDLER, Role.UNIT_LIAISON]
                ).additional_units.add(office)

        make(4)
        client.get(url)  # first request of the session: warm-up
        with django_assert_max_num_queries(12), CaptureQueriesContext(connection) as five:
            client.get(url, {"role": Role.HANDLER})
        make(25)
        with django_assert_max_num_queries(12), CaptureQueriesContext(connection) as thirty:
            response = client.get(url, {"role": Role.HANDLER})
        assert len(response.context["users"]) == 29
        assert len(five) == len(thirty)

    def test_security_admin_sees_the_list_without_management_buttons(
        self, client, secadmin, handler_a
    ):
        client.force_login(secadmin)
        response = client.get(reverse("org:user_list"))
        content = response.content.decode()
        assert "handler_a" in content
        assert reverse("org:user_create") not in content
        detail = client.get(
            reverse("org:user_detail", kwargs={"pk": handler_a.pk})
        ).content.decode()
        assert reverse("org:user_update", kwargs={"pk": handler_a.pk}) not in detail
        assert reverse("org:user_roles", kwargs={"pk": handler_a.pk}) in detail
