import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command

from xiaoneng.core.demo import DEMO_PASSWORD, demo_load
from xiaoneng.org.choices import Role, UnitKind
from xiaoneng.org.models import RoleAssignment, Unit, User
from xiaoneng.org.selectors import user_scope


@pytest.mark.django_db
def test_demo_district_has_the_promised_shape():
    demo_load()
    kinds = {kind: Unit.objects.filter(kind=kind).count() for kind in UnitKind.values}
    assert kinds[UnitKind.DISTRICT] == 1
    assert kinds[UnitKind.DEPARTMENT] == 34  # the office, 人社局, 财政局 and 31 more bureaus
    assert kinds[UnitKind.TOWN] == 8
    assert kinds[UnitKind.SUBDISTRICT] == 6
    assert Unit.objects.get(short_name="区效能办").parent.name == "天洲区"
    for unit in Unit.objects.filter(
        kind__in=[UnitKind.TOWN, UnitKind.SUBDISTRICT, UnitKind.DEPARTMENT]
    ).exclude(code="TZ-XNB"):
        roles = set(RoleAssignment.objects.filter(user__unit=unit).values_list("role", flat=True))
        assert roles >= {Role.UNIT_HEAD, Role.UNIT_LIAISON, Role.HANDLER}, unit.code
    for role in Role.values:
        assert RoleAssignment.objects.filter(role=role).exists(), role


@pytest.mark.django_db
def test_demo_load_is_rerunnable_and_deterministic():
    first = demo_load()
    snapshot = list(User.objects.order_by("username").values_list("username", "name", "unit__code"))
    second = demo_load()
    assert first == {"units": 89, "accounts": 200}
    assert second == {"units": 0, "accounts": 0}
    assert (
        list(User.objects.order_by("username").values_list("username", "name", "unit__code"))
        == snapshot
    )


@pytest.mark.django_db
def test_demo_logins_work_and_are_scoped(capsys):
    call_command("demo_load", "--if-empty")
    out = capsys.readouterr().out
    assert "clerk" in out and DEMO_PASSWORD in out
    handler = authenticate(username="rsj.handler1", password=DEMO_PASSWORD)
    assert handler is not None
    assert user_scope(user=handler).view_unit_ids == {Unit.objects.get(code="TZ-RSJ").id}
    head = User.objects.get(username="rsj.head")
    assert len(user_scope(user=head).view_unit_ids) == 4  # the bureau and its three sections


@pytest.mark.django_db
def test_demo_cases_fill_every_queue_once():
    from collections import Counter

    from xiaoneng.cases.models import Case
    from xiaoneng.core.demo import demo_cases_load

    demo_load()
    assert demo_cases_load() == 15
    assert demo_cases_load() == 0
    statuses = Counter(Case.objects.values_list("status", flat=True))
    assert statuses == {
        "registered": 2,
        "accepted": 2,
        "dispatched": 2,
        "in_progress": 5,
        "replied": 2,
        "callback": 1,
        "closed": 1,
    }
