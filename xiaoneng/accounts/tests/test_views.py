import pytest
from django.urls import reverse
from django.utils import timezone

from xiaoneng.accounts.choices import POLICY_PROFILES
from xiaoneng.accounts.middleware import SESSION_LAST_ACTIVITY, SESSION_LOGIN_AT
from xiaoneng.accounts.models import AccountLock, SecurityPolicy
from xiaoneng.accounts.services import login_attempt, security_policy_update
from xiaoneng.accounts.tests.conftest import ref

LOGIN = "/accounts/login/"
WRONG = "Wrong-guess#1"
NEW = "Fresh-Secret#42"
OUTSIDERS = ["clerk", "sysadmin", "auditadmin", "handler_a"]


def _lock(username: str) -> None:
    for _ in range(5):
        login_attempt(username=username, password=WRONG, ip=None)


def _error_text(response) -> str:
    return " ".join(str(e) for e in response.context["form"].non_field_errors())


@pytest.mark.django_db
class TestLogin:
    def test_page(self, client):
        response = client.get(reverse("accounts:login"))
        assert response.status_code == 200
        content = response.content.decode()
        assert "Xiaoneng efficiency platform" in content
        assert 'name="username"' in content and 'name="password"' in content
        assert 'data-testid="language-select"' in content  # base.html's language switch
        assert response.headers["Cache-Control"].startswith("max-age=0")

    def test_success_logs_in_audits_and_starts_the_session_clocks(
        self, client, clerk, password, audit
    ):
        anonymous_key = client.session.session_key
        response = client.post(LOGIN, {"username": "clerk", "password": password})
        assert response.status_code == 302
        assert response["Location"] == reverse("core:home")
        assert client.session["_auth_user_id"] == str(clerk.pk)
        assert client.session.session_key != anonymous_key
        assert SESSION_LOGIN_AT in client.session and SESSION_LAST_ACTIVITY in client.session
        [entry] = audit
        assert entry["action"] == "auth.login"
        assert entry["actor"] == clerk

    def test_wrong_password_and_unknown_name_get_the_same_answer(self, client, clerk):
        wrong = client.post(LOGIN, {"username": "clerk", "password": WRONG})
        unknown = client.post(LOGIN, {"username": "nobody", "password": WRONG})
        assert wrong.status_code == unknown.status_code == 200
        assert _error_text(wrong) == _error_text(unknown) == "Wrong login name or password."
        assert "_auth_user_id" not in client.session

    def test_locked_account_refused_with_the_right_password(self, client, clerk, password):
        _lock("clerk")
        response = client.post(LOGIN, {"username": "clerk", "password": password})
        assert response.status_code == 200
        assert "locked until" in _error_text(response)
        assert "_auth_user_id" not in client.session

    def test_inactive_account(self, client, clerk, password):
        clerk.is_active = False
        clerk.save()
        response = client.post(LOGIN, {"username": "clerk", "password": password})
        assert _error_text(response) == "Wrong login name or password."
        assert "_auth_user_id" not in client.session

    def test_per_address_throttle_uses_the_client_address(self, client, clerk, password):
        for n in range(20):
            client.post(LOGIN, {"username": f"guess{n}", "password": WRONG}, REMOTE_ADDR="10.0.0.7")
        refused = client.post(
            LOGIN, {"username": "clerk", "password": password}, REMOTE_ADDR="10.0.0.7"
        )
        assert "network address" in _error_text(refused)
        other = client.post(
            LOGIN, {"username": "clerk", "password": password}, REMOTE_ADDR="10.0.0.8"
        )
        assert other.status_code == 302

    def test_safe_next_is_honoured(self, client, clerk, password):
        response = client.post(
            LOGIN + "?next=/accounts/password/", {"username": "clerk", "password": password}
        )
        assert response["Location"] == "/accounts/password/"

    @pytest.mark.parametrize(
        "evil",
        ["https://evil.example/", "//evil.example/x", "http://evil.example", "javascript:alert(1)"],
    )
    def test_open_redirect_refused(self, client, clerk, password, evil):
        page = client.get(LOGIN, {"next": evil})
        assert evil not in page.content.decode()
        response = client.post(LOGIN, {"username": "clerk", "password": password, "next": evil})
        assert response.status_code == 302
        assert response["Location"] == reverse("core:home")

    def test_logged_in_visitor_is_sent_on(self, client, clerk):
        client.force_login(clerk)
        response = client.get(LOGIN)
        assert response["Location"] == reverse("core:home")


@pytest.mark.django_db
class TestLogout:
    def test_get_is_refused(self, client, clerk):
        client.force_login(clerk)
        assert client.get(reverse("accounts:logout")).status_code == 405
        assert "_auth_user_id" in client.session

    def test_post_logs_out_and_audits(self, client, clerk, audit):
        client.force_login(clerk)
        response = client.post(reverse("accounts:logout"), follow=True)
        assert response.redirect_chain == [(reverse("accounts:login"), 302)]
        assert "_auth_user_id" not in client.session
        assert "You have logged out." in response.content.decode()
        [entry] = audit.of("auth.logout")
        assert entry["actor"] == clerk

    def test_anonymous_post(self, client, audit):
        response = client.post(reverse("accounts:logout"))
        assert response["Location"] == reverse("accounts:login")
        assert len(audit) == 0


@pytest.mark.django_db
class TestPasswordChange:
    URL = "/accounts/password/"

    def test_anonymous_is_sent_to_login(self, client):
        response = client.get(self.URL)
        assert response["Location"] == f"{LOGIN}?next={self.URL}"

    def test_page_shows_the_policy(self, client, clerk):
        client.force_login(clerk)
        content = client.get(self.URL).content.decode()
        assert "at least 8 characters" in content
        assert "at least 3 of these" in content

    def test_success_keeps_the_session(self, client, clerk, password, audit):
        clerk.must_change_password = True
        clerk.save()
        client.force_login(clerk)
        response = client.post(
            self.URL,
            {"old_password": password, "new_password1": NEW, "new_password2": NEW},
            follow=True,
        )
        assert response.redirect_chain == [(reverse("core:home"), 302)]
        assert response.status_code == 200
        assert "Your password has been changed." in response.content.decode()
        clerk.refresh_from_db()
        assert clerk.check_password(NEW)
        assert clerk.must_change_password is False
        assert client.get(reverse("core:home")).status_code == 200  # still signed in
        assert audit.actions() == ["auth.password_change"]

    def test_mismatch(self, client, clerk, password):
        client.force_login(clerk)
        response = client.post(
            self.URL, {"old_password": password, "new_password1": NEW, "new_password2": NEW + "x"}
        )
        assert response.context["form"].errors == {
            "new_password2": ["The two new passwords differ."]
        }
        clerk.refresh_from_db()
        assert clerk.check_password(password)

    def test_errors_are_shown_on_the_fields(self, client, clerk, password):
        client.force_login(clerk)
        response = client.post(
            self.URL, {"old_password": WRONG, "new_password1": NEW, "new_password2": NEW}
        )
        assert response.context["form"].errors == {
            "old_password": ["Your current password is wrong."]
        }
        response = client.post(
            self.URL, {"old_password": password, "new_password1": "short", "new_password2": "short"}
        )
        errors = response.context["form"].errors["new_password1"]
        assert "The password must have at least 8 characters." in errors


@pytest.mark.django_db
class TestPolicyScreen:
    URL = "/accounts/policy/"

    def _values(self, **changes):
        values = {**POLICY_PROFILES["djbh3"], **changes}
        return {"version": 1, **values}

    def test_anonymous_is_sent_to_login(self, client):
        assert client.get(self.URL)["Location"] == f"{LOGIN}?next={self.URL}"
        response = client.post(self.URL, self._values(lockout_threshold=3))
        assert response["Location"].startswith(LOGIN)
        assert SecurityPolicy.objects.count() == 0

    @pytest.mark.parametrize("persona", OUTSIDERS)
    def test_others_get_404_and_change_nothing(self, client, request, persona, audit):
        client.force_login(request.getfixturevalue(persona))
        assert client.get(self.URL).status_code == 404
        assert client.post(self.URL, self._values(lockout_threshold=3)).status_code == 404
        profile = client.post(
            reverse("accounts:policy_profile_apply"), {"profile": "standard", "version": 1}
        )
        assert profile.status_code == 404
        assert SecurityPolicy.objects.count() == 0
        assert len(audit) == 0

    def test_security_admin_sees_the_values(self, client, secadmin):
        client.force_login(secadmin)
        response = client.get(self.URL)
        assert response.status_code == 200
        form = response.context["form"]
        assert form.initial == {**POLICY_PROFILES["djbh3"], "version": 1}
        content = response.content.decode()
        assert "MLPS level 3" in content and "Standard" in content

    def test_security_admin_updates(self, client, secadmin, audit):
        client.force_login(secadmin)
        response = client.post(self.URL, self._values(lockout_threshold=3), follow=True)
        assert response.redirect_chain == [(self.URL, 302)]
        assert "The security policy has been saved." in response.content.decode()
        policy = SecurityPolicy.objects.get()
        assert (policy.lockout_threshold, policy.version, policy.updated_by) == (3, 2, secadmin)
        [entry] = audit.of("accounts.policy.update")
        assert entry["actor"] == secadmin
        assert entry["data"]["before"]["lockout_threshold"] == 5
        assert entry["data"]["after"]["lockout_threshold"] == 3

    def test_stale_form_is_a_conflict(self, client, secadmin):
        security_policy_update(actor=secadmin, version=1, lockout_threshold=3)
        client.force_login(secadmin)
        response = client.post(self.URL, self._values(lockout_threshold=7))
        assert response.status_code == 409
        assert "Someone else changed the security policy" in _error_text(response)
        policy = SecurityPolicy.objects.get()
        assert (policy.lockout_threshold, policy.version) == (3, 2)

    def test_invalid_values_are_shown(self, client, secadmin):
        client.force_login(secadmin)
        response = client.post(self.URL, self._values(idle_timeout_minutes=600))
        assert response.status_code == 200
        assert response.context["form"].errors == {
            "idle_timeout_minutes": [
                "The idle timeout cannot be longer than the maximum session length."
            ]
        }
        assert SecurityPolicy.objects.count() == 0

    def test_apply_profile(self, client, secadmin, audit):
        client.force_login(secadmin)
        response = client.post(
            reverse("accounts:policy_profile_apply"),
            {"profile": "standard", "version": 1},
            follow=True,
        )
        assert response.redirect_chain == [(self.URL, 302)]
        assert SecurityPolicy.objects.get().values() == POLICY_PROFILES["standard"]
        assert "has been applied" in response.content.decode()
        assert audit.of("accounts.policy.update")[0]["data"]["profile"] == "standard"

    def test_apply_profile_with_a_stale_version(self, client, secadmin):
        security_policy_update(actor=secadmin, version=1, lockout_threshold=3)
        client.force_login(secadmin)
        response = client.post(
            reverse("accounts:policy_profile_apply"),
            {"profile": "standard", "version": 1},
            follow=True,
        )
        assert "Someone else changed the security policy" in response.content.decode()
        assert SecurityPolicy.objects.get().lockout_threshold == 3

    def test_profile_apply_is_post_only(self, client, secadmin):
        client.force_login(secadmin)
        assert client.get(reverse("accounts:policy_profile_apply")).status_code == 405


@pytest.mark.django_db
class TestLocks:
    URL = "/accounts/locks/"

    def test_anonymous_is_sent_to_login(self, client, handler_b):
        _lock("handler_b")
        assert client.get(self.URL)["Location"] == f"{LOGIN}?next={self.URL}"
        response = client.post(reverse("accounts:account_unlock", args=[handler_b.pk]))
        assert response["Location"].startswith(LOGIN)
        assert AccountLock.objects.get(username="handler_b").is_locked(timezone.now())

    @pytest.mark.parametrize("persona", OUTSIDERS)
    def test_others_get_404_and_unlock_nothing(self, client, request, persona, handler_b):
        _lock("handler_b")
        client.force_login(request.getfixturevalue(persona))
        assert client.get(self.URL).status_code == 404
        response = client.post(reverse("accounts:account_unlock", args=[handler_b.pk]))
        assert response.status_code == 404
        assert AccountLock.objects.get(username="handler_b").is_locked(timezone.now())

    def test_security_admin_lists_and_unlocks(self, client, secadmin, handler_b, password, audit):
        _lock("handler_b")
        _lock("nobody")  # not an account: not listed
        client.force_login(secadmin)
        response = client.get(self.URL)
        assert [lock.username for lock in response.context["locks"]] == ["handler_b"]
        assert 'data-testid="unlock-handler_b"' in response.content.decode()
        response = client.post(reverse("accounts:account_unlock", args=[handler_b.pk]), follow=True)
        assert response.redirect_chain == [(self.URL, 302)]
        assert "has been unlocked" in response.content.decode()
        assert list(response.context["locks"]) == []
        [entry] = audit.of("auth.unlock")
        assert (entry["actor"], entry["obj"]) == (secadmin, ref(handler_b))
        assert login_attempt(username="handler_b", password=password, ip=None).ok

    def test_unlock_is_post_only(self, client, secadmin, handler_b):
        client.force_login(secadmin)
        response = client.get(reverse("accounts:account_unlock", args=[handler_b.pk]))
        assert response.status_code == 405

    def test_unlocking_an_unlocked_account(self, client, secadmin, handler_b):
        client.force_login(secadmin)
        response = client.post(reverse("accounts:account_unlock", args=[handler_b.pk]), follow=True)
        assert "This account is not locked." in response.content.decode()

    def test_unknown_account(self, client, secadmin):
        client.force_login(secadmin)
        assert client.post(reverse("accounts:account_unlock", args=[999999])).status_code == 404
