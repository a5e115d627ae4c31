import pytest

from xiaoneng.audit.models import AuditEntry
from xiaoneng.cases.deadlines import case_settings, time_limit_for
from xiaoneng.cases.models import Category, TimeLimit

pytestmark = pytest.mark.django_db

SETTINGS_FORM = {
    "unit_head_approval": "on",
    "warning_share": "0.75",
    "reminder_days_before": "2",
    "supervision_delay_days": "5",
    "handling_limit_max": "60",
    "duplicate_window_days": "90",
}


@pytest.mark.parametrize(
    "persona", ["clerk", "supervisor", "leader", "handler_a", "sysadmin", "auditadmin"]
)
def test_only_the_director_configures(client, request, persona):
    user = request.getfixturevalue(persona)
    client.force_login(user)
    assert client.get("/cases/settings/").status_code == 404
    response = client.post(
        "/cases/settings/time-limits/", {"stage": "handling", "amount": "5", "unit": "working_days"}
    )
    assert response.status_code == 404
    assert not TimeLimit.objects.exists()


def test_anonymous_is_sent_to_login(client):
    response = client.get("/cases/settings/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_director_saves_settings_and_a_stale_form_is_refused(client, director):
    client.force_login(director)
    assert client.get("/cases/settings/").status_code == 200
    version = case_settings().version
    response = client.post("/cases/settings/update/", {**SETTINGS_FORM, "version": version})
    assert response.status_code == 302
    current = case_settings()
    assert (
        current.unit_head_approval,
        str(current.warning_share),
        current.reminder_days_before,
    ) == (True, "0.75", 2)
    stale = client.post(
        "/cases/settings/update/", {**SETTINGS_FORM, "warning_share": "0.5", "version": version}
    )
    assert stale.status_code == 400
    assert 'data-testid="form-errors"' in stale.content.decode()
    assert str(case_settings().warning_share) == "0.75"
    assert AuditEntry.objects.filter(action="cases.settings.update").count() == 1


def test_a_time_limit_per_category_and_urgency_applies(client, director):
    client.force_login(director)
    category = Category.objects.get(code="CNKY")
    response = client.post(
        "/cases/settings/time-limits/",
        {
            "stage": "handling",
            "category": category.pk,
            "urgency": "urgent",
            "amount": "10",
            "unit": "working_days",
        },
    )
    assert response.status_code == 302
    assert time_limit_for(stage="handling", category_id=category.pk, urgency="urgent") == (
        10,
        "working_days",
    )
    assert time_limit_for(stage="handling", category_id=category.pk, urgency="normal") == (
        30,
        "working_days",
    )
    # Setting the same rule again changes it rather than adding a second one.
    client.post(
        "/cases/settings/time-limits/",
        {
            "stage": "handling",
            "category": category.pk,
            "urgency": "urgent",
            "amount": "7",
            "unit": "natural_days",
        },
    )
    assert list(TimeLimit.objects.values_list("amount", "unit")) == [(7, "natural_days")]
    rule = TimeLimit.objects.get()
    assert client.post(f"/cases/settings/time-limits/{rule.pk}/delete/").status_code == 302
    assert not TimeLimit.objects.exists()


def test_director_adds_and_deactivates_a_category(client, director):
    client.force_login(director)
    parent = Category.objects.get(code="SNB")
    response = client.post(
        "/cases/settings/categories/",
        {
            "code": "snb-zj",
            "name": "证照办理难",
            "name_en": "Licences hard to obtain",
            "parent": parent.pk,
            "order": "5",
        },
    )
    assert response.status_code == 302
    child = Category.objects.get(code="SNB-ZJ")
    assert (child.name, child.parent) == ("证照办理难", parent)
    client.post(
        f"/cases/settings/categories/{child.pk}/",
        {"code": "ignored", "name": "证照办理难", "name_en": "", "parent": parent.pk, "order": "5"},
    )
    child.refresh_from_db()
    assert (child.code, child.is_active) == ("SNB-ZJ", False)
    duplicate = client.post(
        "/cases/settings/categories/", {"code": "SNB-ZJ", "name": "重复", "order": "1"}
    )
    assert duplicate.status_code == 400
    assert Category.objects.filter(code="SNB-ZJ").count() == 1
