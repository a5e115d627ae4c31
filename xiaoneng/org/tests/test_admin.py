import pytest
from django.urls import reverse

from xiaoneng.org.choices import Role
from xiaoneng.org.models import User
from xiaoneng.org.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client(client, office):
    user = UserFactory(username="root", unit=office, is_staff=True, is_superuser=True)
    client.force_login(user)
    return client


@pytest.mark.parametrize("model", ["unit", "user", "roleassignment"])
def test_admin_pages_load(superuser_client, handler_a, model):
    assert superuser_client.get(reverse(f"admin:org_{model}_changelist")).status_code == 200
    pk = {"unit": handler_a.unit_id, "user": handler_a.pk}.get(model)
    if pk is not None:
        url = reverse(f"admin:org_{model}_change", args=[pk])
        assert superuser_client.get(url).status_code == 200


def test_the_admin_site_cannot_write_units_or_accounts(superuser_client, unit_a, handler_a):
    assert superuser_client.get(reverse("admin:org_user_add")).status_code == 403
    assert superuser_client.get(reverse("admin:org_unit_add")).status_code == 403
    response = superuser_client.post(
        reverse("admin:org_user_change", args=[handler_a.pk]),
        {"username": "renamed", "name": "改名"},
    )
    assert response.status_code == 403
    handler_a.refresh_from_db()
    assert (handler_a.username, User.objects.filter(username="renamed").exists()) == (
        "handler_a",
        False,
    )


def test_roles_are_read_only_in_the_admin(superuser_client, handler_a):
    assert superuser_client.get(reverse("admin:org_roleassignment_add")).status_code == 403
    assert handler_a.roles == {Role.HANDLER}
