import time
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from xiaoneng.accounts.middleware import (
    ACTIVITY_WRITE_SECONDS,
    BACKGROUND_HEADER,
    SESSION_LAST_ACTIVITY,
    SESSION_LOGIN_AT,
)
from xiaoneng.accounts.services import security_policy_apply_profile

HOME = "/"
LOGIN = "/accounts/login/"
PASSWORD_CHANGE = "/accounts/password/"
HTMX = {"HTTP_HX_REQUEST": "true"}


def _sign_in(client, user, password):
    response = client.post(LOGIN, {"username": user.username, "password": password})
    assert response.status_code == 302, response.content
    return response


def _set_clock(client, **values):
    session = client.session
    for key, value in values.items():
        session[key] = value
    session.save()


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


@pytest.mark.django_db
class TestIdleTimeout:
    def test_active_session_carries_on(self, client, clerk, password):
        _sign_in(client, clerk, password)
        _set_clock(client, **{SESSION_LAST_ACTIVITY: time.time() - 14 * 60})
        assert client.get(HOME).status_code == 200
        assert time.time() - client.session[SESSION_LAST_ACTIVITY] < 5  # activity recorded

    def test_idle_session_is_ended(self, client, clerk, password, audit):
        _sign_in(client, clerk, password)
        _set_clock(client, **{SESSION_LAST_ACTIVITY: time.time() - 15 * 60 - 5})
        response = client.get(HOME)
        assert response.status_code == 302
        assert response["Location"] == f"{LOGIN}?next=/"
        assert "_auth_user_id" not in client.session
        page = client.get(response["Location"])
        assert _messages(page) == [
            "You were logged out after 15 minutes without activity. Please log in again."
        ]
        [entry] = audit.of("auth.session_timeout")
        assert entry["actor"] == clerk
        assert entry["data"] == {"username": "clerk", "reason": "idle", "limit_minutes": 15}

    def test_idle_limit_comes_from_the_policy(self, client, clerk, password, secadmin):
        security_policy_apply_profile(actor=secadmin, profile="standard")  # 60 minutes
        _sign_in(client, clerk, password)
        _set_clock(client, **{SESSION_LAST_ACTIVITY: time.time() - 30 * 60})
        assert client.get(HOME).status_code == 200
        _set_clock(client, **{SESSION_LAST_ACTIVITY: time.time() - 61 * 60})
        assert client.get(HOME)["Location"].startswith(LOGIN)

    def test_htmx_request_gets_hx_redirect(self, client, clerk, password):
        _sign_in(client, clerk, password)
        _set_clock(client, **{SESSION_LAST_ACTIVITY: time.time() - 3600})
        response = client.get(
            "/inbox/", HTTP_HX_CURRENT_URL="http://testserver/calendar/?year=2026", **HTMX
        )
        assert response.status_code == 200
        assert response["HX-Redirect"] == f"{LOGIN}?next=/calendar/%3Fyear%3D2026"
        assert response.content == b""
        assert "_auth_user_id" not in client.session

    def test_htmx_from_another_site_has_no_next(self, client, clerk, password):
        _sign_in(client, clerk, password)
        _set_clock(client, **{SESSION_LAST_ACTIVITY: time.time() - 3600})
        response = client.get("/inbox/", HTTP_HX_CURRENT_URL="https://evil.example/", **HTMX)
        assert response["HX-Redirect"] == LOGIN

    def test_post_after_timeout_has_no_next(self, client, clerk, password):
        _sign_in(client, clerk, password)
        _set_clock(client, **{SESSION_LAST_ACTIVITY: time.time() - 3600})
        assert client.post(reverse("accounts:logout"))["Location"] == LOGIN

    def test_activity_is_written_at_most_every_few_seconds(self, client, clerk, password):
        _sign_in(client, clerk, password)
        recent = time.time() - ACTIVITY_WRITE_SECONDS / 2
        _set_clock(client, **{SESSION_LAST_ACTIVITY: recent})
        client.get(HOME)
        assert client.session[SESSION_LAST_ACTIVITY] == recent

    def test_background_requests_do_not_count_as_activity(self, client, clerk, password):
        _sign_in(client, clerk, password)
        earlier = time.time() - 10 * 60
        _set_clock(client, **{SESSION_LAST_ACTIVITY: earlier})
        header = "HTTP_" + BACKGROUND_HEADER.upper().replace("-", "_")
        assert client.get("/inbox/", **{header: "1"}).status_code == 200
        assert client.session[SESSION_LAST_ACTIVITY] == earlier

    def test_session_without_clocks_starts_them(self, client, clerk):
        client.force_login(clerk)
        assert client.get(HOME).status_code == 200
        assert SESSION_LOGIN_AT in client.session and SESSION_LAST_ACTIVITY in client.session

    def test_anonymous_requests_are_untouched(self, client):
        assert client.get(HOME)["Location"] == f"{LOGIN}?next=/"


@pytest.mark.django_db
class TestAbsoluteLifetime:
    def test_session_older_than_the_lifetime_is_ended(self, client, clerk, password, audit):
        _sign_in(client, clerk, password)
        _set_clock(client, **{SESSION_LOGIN_AT: time.time() - 8 * 3600 - 5})
        response = client.get(HOME, follow=True)
        assert response.redirect_chain[0] == (f"{LOGIN}?next=/", 302)
        assert _messages(response) == [
            "You were logged out because your session reached its maximum length of 8 hours. "
            "Please log in again."
        ]
        [entry] = audit.of("auth.session_timeout")
        assert entry["data"]["reason"] == "lifetime"
        assert entry["data"]["limit_minutes"] == 480

    def test_login_sets_the_cookie_expiry_to_the_lifetime(self, client, clerk, password):
        _sign_in(client, clerk, password)
        assert client.session.get_expiry_age() == 8 * 3600


@pytest.mark.django_db
class TestForcedPasswordChange:
    def test_must_change_password_redirects_every_page(self, client, clerk, password):
        clerk.must_change_password = True
        clerk.save()
        _sign_in(client, clerk, password)
        response = client.get("/calendar/")
        assert response.status_code == 302
        assert response["Location"] == f"{PASSWORD_CHANGE}?next=/calendar/"
        page = client.get(response["Location"])
        assert page.status_code == 200
        assert _messages(page) == [
            "Your password was set by an administrator. Choose your own password to continue."
        ]

    def test_expired_password_redirects(self, client, clerk, password):
        clerk.password_changed_at = timezone.now() - timedelta(days=91)
        clerk.save()
        _sign_in(client, clerk, password)
        response = client.get(HOME, follow=True)
        assert response.redirect_chain == [(f"{PASSWORD_CHANGE}?next=/", 302)]
        assert _messages(response) == [
            "Your password is older than 90 days. Choose a new one to continue."
        ]

    def test_recent_password_is_fine(self, client, clerk, password):
        clerk.password_changed_at = timezone.now() - timedelta(days=89)
        clerk.save()
        _sign_in(client, clerk, password)
        assert client.get(HOME).status_code == 200

    def test_no_expiry_under_the_standard_profile(self, client, clerk, password, secadmin):
        security_policy_apply_profile(actor=secadmin, profile="standard")
        clerk.password_changed_at = timezone.now() - timedelta(days=1000)
        clerk.save()
        _sign_in(client, clerk, password)
        assert client.get(HOME).status_code == 200

    def test_htmx_gets_hx_redirect(self, client, clerk):
        clerk.must_change_password = True
        clerk.save()
        client.force_login(clerk)
        response = client.get("/inbox/", **HTMX)
        assert response["HX-Redirect"] == PASSWORD_CHANGE

    def test_exempt_pages(self, client, clerk):
        clerk.must_change_password = True
        clerk.save()
        client.force_login(clerk)
        assert client.get(PASSWORD_CHANGE).status_code == 200
        assert client.get("/static/core/staff.css").status_code in {200, 404}
        response = client.post(reverse("set_language"), {"language": "en", "next": PASSWORD_CHANGE})
        assert response["Location"] == PASSWORD_CHANGE
        response = client.post(reverse("accounts:logout"))
        assert response["Location"] == LOGIN

    def test_changing_the_password_lifts_the_redirect(self, client, clerk, password):
        clerk.must_change_password = True
        clerk.save()
        _sign_in(client, clerk, password)
        new = "Fresh-Secret#42"
        response = client.post(
            f"{PASSWORD_CHANGE}?next=/calendar/",
            {"old_password": password, "new_password1": new, "new_password2": new},
        )
        assert response["Location"] == "/calendar/"
        assert client.get(HOME).status_code == 200
