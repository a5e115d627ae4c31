import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from xiaoneng.notifications import messages
from xiaoneng.notifications.messages import (
    register_messages,
    registered_codes,
    render_message,
    render_notification,
)
from xiaoneng.notifications.models import Notification


@pytest.fixture(autouse=True)
def _english():
    """These tests check rendering itself; the text is compared in English."""
    with translation.override("en"):
        yield


@pytest.fixture
def scratch_registry(monkeypatch):
    monkeypatch.setattr(messages, "_REGISTRY", {})
    return messages._REGISTRY


def test_foundation_messages_are_registered():
    assert {"org.account.created", "org.roles.changed", "system.test"} <= set(registered_codes())


def test_register_accepts_title_and_body_tuples(scratch_registry):
    register_messages({"case.dispatched": (_("Case %(number)s dispatched"), _("Due %(due)s"))})
    assert render_message("case.dispatched", {"number": "XN-7", "due": "2026-12-01"}) == (
        "Case XN-7 dispatched",
        "Due 2026-12-01",
    )


def test_register_same_code_twice_with_other_text_is_an_error(scratch_registry):
    register_messages({"case.dispatched": (_("One"), "")})
    register_messages({"case.dispatched": (_("One"), "")})  # identical: fine
    with pytest.raises(ImproperlyConfigured):
        register_messages({"case.dispatched": (_("Two"), "")})


@pytest.mark.parametrize("code", ["nodot", "Case.Dispatched", "case..x", "case.dispatched!"])
def test_register_rejects_malformed_codes(scratch_registry, code):
    with pytest.raises(ImproperlyConfigured):
        register_messages({code: ("Title", "")})


def test_missing_param_falls_back_to_code_not_crash():
    title, body = render_message("org.account.created", {})
    assert title == "Welcome to the efficiency platform"  # no placeholder in the title
    assert body == ""
    assert render_message("tests.nowhere", {"a": 1}) == ("tests.nowhere", "")


def test_missing_param_in_title_falls_back_to_the_code(scratch_registry):
    register_messages({"case.late": (_("Case %(number)s is late"), _("Since %(days)s days"))})
    assert render_message("case.late", {"days": 3}) == ("case.late", "Since 3 days")


def test_roles_changed_renders_role_labels():
    notification = Notification(
        code="org.roles.changed", params={"added": ["handler", "unit_liaison"], "removed": []}
    )
    with translation.override("en"):
        title, body = render_notification(notification)
    assert title == "Your roles have changed"
    assert body == "Roles added: Handler, Unit liaison. Roles removed: none."


def test_roles_changed_tolerates_unknown_role_codes():
    with translation.override("en"):
        _title, body = render_message("org.roles.changed", {"added": ["gone"], "removed": None})
    assert body == "Roles added: gone. Roles removed: none."


def test_render_follows_the_active_language(language_probe):
    with translation.override("en"):
        english = render_message(language_probe, {"number": 7})
    with translation.override("zh-hans"):
        chinese = render_message(language_probe, {"number": 7})
    assert english == ("Probe en 7", "Body en")
    assert chinese == ("Probe zh-hans 7", "Body zh-hans")


def test_foundation_message_renders_under_both_languages():
    for language in ("en", "zh-hans"):
        with translation.override(language):
            _title, body = render_message("org.account.created", {"username": "clerk"})
        # Interpolated in both languages; the Chinese wording comes with the catalogue.
        assert "clerk" in body
