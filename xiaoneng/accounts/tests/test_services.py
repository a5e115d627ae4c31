import io
import threading
from datetime import timedelta

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone, translation

from xiaoneng.accounts.choices import POLICY_PROFILES, PolicyProfile
from xiaoneng.accounts.models import AccountLock, LoginFailure, PasswordHistory, SecurityPolicy
from xiaoneng.accounts.selectors import (
    account_lock_list,
    password_change_reason,
    security_policy,
    security_policy_scope,
)
from xiaoneng.accounts.services import (
    LoginResult,
    account_unlock,
    login_attempt,
    login_records_prune,
    password_change,
    security_policy_apply_profile,
    security_policy_update,
)
from xiaoneng.accounts.tests.conftest import ref
from xiaoneng.accounts.validators import character_classes
from xiaoneng.org.services import ConflictError
from xiaoneng.org.tests.factories import UserFactory

IP = "10.1.2.3"
WRONG = "Wrong-guess#1"


def _fail(username, times, *, now, ip=IP):
    return [login_attempt(username=username, password=WRONG, ip=ip, now=now) for _ in range(times)]


def _codes(results):
    return [r.code for r in results]


@pytest.mark.django_db
class TestSecurityPolicy:
    def test_new_installation_uses_the_djbh3_profile_without_writing(self):
        policy = security_policy()
        assert policy.values() == POLICY_PROFILES[PolicyProfile.DJBH3]
        assert policy.profile == PolicyProfile.DJBH3
        assert policy.version == 1
        assert SecurityPolicy.objects.count() == 0

    def test_shipped_profiles(self):
        assert POLICY_PROFILES["standard"] == {
            "password_min_length": 8,
            "password_classes": 2,
            "password_max_age_days": 0,
            "password_history": 0,
            "lockout_threshold": 10,
            "lockout_minutes": 15,
            "ip_failure_threshold": 20,
            "ip_failure_window_minutes": 15,
            "idle_timeout_minutes": 60,
            "session_lifetime_hours": 12,
        }
        assert POLICY_PROFILES["djbh3"] == {
            "password_min_length": 8,
            "password_classes": 3,
            "password_max_age_days": 90,
            "password_history": 5,
            "lockout_threshold": 5,
            "lockout_minutes": 30,
            "ip_failure_threshold": 20,
            "ip_failure_window_minutes": 15,
            "idle_timeout_minutes": 15,
            "session_lifetime_hours": 8,
        }

    def test_cached_for_the_request(self, django_assert_num_queries):
        with security_policy_scope(), django_assert_num_queries(1):
            assert security_policy() is security_policy()
        with django_assert_num_queries(2):  # outside a request every call reads
            security_policy()
            security_policy()

    def test_update_bumps_version_audits_before_and_after_and_refreshes_the_cache(
        self, secadmin, audit
    ):
        with security_policy_scope():
            assert security_policy().lockout_threshold == 5  # cached now
            policy = security_policy_update(
                actor=secadmin, version=1, lockout_threshold=3, idle_timeout_minutes=20
            )
            assert security_policy().lockout_threshold == 3
            assert security_policy().idle_timeout_minutes == 20
        assert policy.version == 2
        assert policy.updated_by == secadmin
        assert policy.profile == ""
        [entry] = audit.of("accounts.policy.update")
        assert entry["actor"] == secadmin
        assert entry["data"]["changed"] == ["lockout_threshold", "idle_timeout_minutes"]
        assert entry["data"]["before"]["lockout_threshold"] == 5
        assert entry["data"]["after"]["lockout_threshold"] == 3
        assert entry["data"]["before"]["idle_timeout_minutes"] == 15
        assert entry["data"]["after"]["idle_timeout_minutes"] == 20

    def test_stale_version_is_a_conflict_and_changes_nothing(self, secadmin, audit):
        security_policy_update(actor=secadmin, version=1, lockout_threshold=3)
        with pytest.raises(ConflictError):
            security_policy_update(actor=secadmin, version=1, lockout_threshold=7)
        policy = SecurityPolicy.objects.get()
        assert policy.lockout_threshold == 3
        assert policy.version == 2
        assert len(audit.of("accounts.policy.update")) == 1

    def test_no_change_writes_nothing(self, secadmin, audit):
        policy = security_policy_update(actor=secadmin, version=1, lockout_threshold=5)
        assert policy.version == 1
        assert len(audit) == 0

    @pytest.mark.parametrize(
        "fields",
        [
            {"password_min_length": 6},
            {"password_classes": 5},
            {"lockout_threshold": 0},
            {"idle_timeout_minutes": 600, "session_lifetime_hours": 8},
        ],
    )
    def test_invalid_values_are_refused(self, secadmin, fields):
        with pytest.raises(ValidationError):
            security_policy_update(actor=secadmin, version=1, **fields)
        assert security_policy().values() == POLICY_PROFILES["djbh3"]

    def test_apply_profile(self, secadmin, audit):
        policy = security_policy_apply_profile(actor=secadmin, profile="standard", version=1)
        assert policy.values() == POLICY_PROFILES["standard"]
        assert policy.profile == "standard"
        [entry] = audit.of("accounts.policy.update")
        assert entry["data"]["profile"] == "standard"
        assert entry["data"]["after"] == POLICY_PROFILES["standard"]
        assert entry["data"]["before"] == POLICY_PROFILES["djbh3"]

    def test_apply_profile_with_a_stale_version_changes_nothing(self, secadmin):
        security_policy_update(actor=secadmin, version=1, lockout_threshold=3)
        with pytest.raises(ConflictError):
            security_policy_apply_profile(actor=secadmin, profile="standard", version=1)
        assert SecurityPolicy.objects.get().lockout_threshold == 3

    def test_unknown_profile(self, secadmin):
        with pytest.raises(ValidationError):
            security_policy_apply_profile(actor=secadmin, profile="lax")

    @pytest.mark.parametrize("persona", ["clerk", "sysadmin", "auditadmin", "handler_a"])
    def test_only_the_security_administrator_changes_the_policy(self, persona, request, audit):
        actor = request.getfixturevalue(persona)
        with pytest.raises(PermissionDenied):
            security_policy_update(actor=actor, version=1, lockout_threshold=3)
        with pytest.raises(PermissionDenied):
            security_policy_apply_profile(actor=actor, profile="standard", version=1)
        assert SecurityPolicy.objects.count() == 0
        assert len(audit) == 0


@pytest.mark.django_db
class TestLoginAttempt:
    def test_success_is_audited(self, clerk, password, audit):
        result = login_attempt(username="clerk", password=password, ip=IP)
        assert result.ok
        assert result.user == clerk
        [entry] = audit
        assert entry["action"] == "auth.login"
        assert entry["actor"] == clerk
        assert entry["data"] == {"username": "clerk"}

    def test_failure_is_audited_with_the_login_name_but_not_the_password(self, clerk, audit):
        result = login_attempt(username="clerk", password=WRONG, ip=IP)
        assert result.code == LoginResult.INVALID
        [entry] = audit
        assert entry["action"] == "auth.login_failed"
        assert entry["success"] is False
        assert entry["data"] == {"username": "clerk", "reason": "wrong_password", "failures": 1}
        assert WRONG not in repr(entry)
        failure = LoginFailure.objects.get()
        assert (failure.username, failure.ip, failure.reason) == ("clerk", IP, "wrong_password")

    def test_lockout_after_exactly_the_policy_threshold(self, clerk, password, audit):
        now = timezone.now()
        threshold = security_policy().lockout_threshold
        assert threshold == 5
        results = _fail("clerk", threshold, now=now)
        assert _codes(results) == ["invalid"] * (threshold - 1) + ["locked"]
        assert len(audit.of("auth.lockout")) == 1
        lockout = audit.of("auth.lockout")[0]
        assert lockout["obj"] == ref(clerk)
        assert lockout["data"]["failures"] == threshold
        lock = AccountLock.objects.get(username="clerk")
        assert lock.user == clerk
        assert lock.locked_until == now + timedelta(minutes=30)

    def test_threshold_comes_from_the_policy(self, clerk, secadmin):
        security_policy_apply_profile(actor=secadmin, profile="standard")
        results = _fail("clerk", 10, now=timezone.now())
        assert _codes(results) == ["invalid"] * 9 + ["locked"]

    def test_locked_account_refuses_the_right_password_until_the_lock_expires(
        self, clerk, password, audit
    ):
        now = timezone.now()
        _fail("clerk", 5, now=now)
        refused = login_attempt(username="clerk", password=password, ip=IP, now=now)
        assert refused.code == LoginResult.LOCKED
        assert refused.user is None
        assert audit.of("auth.login_failed")[-1]["data"]["reason"] == "locked"
        still = now + timedelta(minutes=29, seconds=59)
        assert login_attempt(username="clerk", password=password, ip=None, now=still).code == (
            "locked"
        )
        later = now + timedelta(minutes=30)
        assert login_attempt(username="clerk", password=password, ip=None, now=later).ok
        lock = AccountLock.objects.get(username="clerk")
        assert (lock.failure_count, lock.locked_until) == (0, None)

    def test_after_an_expired_lock_the_count_starts_again(self, clerk):
        now = timezone.now()
        _fail("clerk", 5, now=now)
        later = now + timedelta(minutes=31)
        assert _codes(_fail("clerk", 4, now=later, ip=None)) == ["invalid"] * 4

    def test_old_failures_stop_counting(self, clerk):
        now = timezone.now()
        _fail("clerk", 4, now=now)
        later = now + timedelta(minutes=31)
        assert login_attempt(username="clerk", password=WRONG, ip=None, now=later).code == (
            "invalid"
        )
        assert AccountLock.objects.get(username="clerk").failure_count == 1

    def test_success_clears_the_counter(self, clerk, password):
        now = timezone.now()
        _fail("clerk", 4, now=now)
        assert login_attempt(username="clerk", password=password, ip=IP, now=now).ok
        assert _codes(_fail("clerk", 4, now=now)) == ["invalid"] * 4

    def test_unknown_login_name_gets_the_wrong_password_message(self, clerk):
        with translation.override("en"):
            unknown = login_attempt(username="nobody", password=WRONG, ip=IP)
            wrong = login_attempt(username="clerk", password=WRONG, ip=IP)
            assert unknown.code == wrong.code == LoginResult.INVALID
            assert unknown.message == wrong.message == "Wrong login name or password."

    def test_unknown_login_name_is_locked_like_a_real_one(self, clerk, audit):
        now = timezone.now()
        unknown = _fail("nobody", 5, now=now)
        real = _fail("clerk", 5, now=now, ip="10.9.9.9")
        assert _codes(unknown) == _codes(real)
        with translation.override("en"):
            assert unknown[-1].message == real[-1].message
            assert "locked until" in real[-1].message
        assert audit.of("auth.login_failed")[0]["data"]["reason"] == "unknown_user"
        assert list(account_lock_list()) == [AccountLock.objects.get(username="clerk")]

    def test_inactive_account_cannot_log_in(self, clerk, password, audit):
        clerk.is_active = False
        clerk.save()
        result = login_attempt(username="clerk", password=password, ip=IP)
        assert result.code == LoginResult.INVALID
        assert audit.of("auth.login_failed")[0]["data"]["reason"] == "inactive"

    def test_per_address_throttle(self, clerk, password, audit):
        now = timezone.now()
        for n in range(20):  # one guess each at twenty names: no account lock
            login_attempt(username=f"guess{n}", password=WRONG, ip=IP, now=now)
        refused = login_attempt(username="clerk", password=password, ip=IP, now=now)
        assert refused.code == LoginResult.THROTTLED
        assert audit[-1]["data"] == {"username": "clerk", "reason": "ip_throttled"}
        with translation.override("en"):
            assert refused.message == (
                "Too many failed sign-ins from your network address. Try again in 15 minutes."
            )
        assert login_attempt(username="clerk", password=password, ip="10.1.2.4", now=now).ok
        later = now + timedelta(minutes=15, seconds=1)
        assert login_attempt(username="clerk", password=password, ip=IP, now=later).ok

    def test_throttle_can_be_switched_off(self, clerk, password, secadmin):
        security_policy_update(actor=secadmin, version=1, ip_failure_threshold=0)
        now = timezone.now()
        for n in range(25):
            login_attempt(username=f"guess{n}", password=WRONG, ip=IP, now=now)
        assert login_attempt(username="clerk", password=password, ip=IP, now=now).ok

    def test_authenticate_goes_through_the_policy(self, clerk, password):
        for _ in range(5):
            assert authenticate(username="clerk", password=WRONG) is None
        assert authenticate(username="clerk", password=password) is None
        assert AccountLock.objects.get(username="clerk").locked_until is not None

    def test_prune(self, clerk):
        now = timezone.now()
        _fail("nobody", 1, now=now - timedelta(days=40))
        _fail("clerk", 1, now=now - timedelta(days=40))
        _fail("clerk", 1, now=now)
        # Two old failure rows and the counter of the name that belongs to no account.
        assert login_records_prune(now=now) == 3
        assert LoginFailure.objects.count() == 1
        assert list(AccountLock.objects.values_list("username", flat=True)) == ["clerk"]


@pytest.mark.django_db
class TestAccountUnlock:
    def test_security_admin_unlocks(self, clerk, secadmin, password, audit):
        now = timezone.now()
        _fail("clerk", 5, now=now)
        assert list(account_lock_list(now=now)) == [AccountLock.objects.get(username="clerk")]
        account_unlock(actor=secadmin, user=clerk, now=now)
        assert list(account_lock_list(now=now)) == []
        assert login_attempt(username="clerk", password=password, ip=None, now=now).ok
        [entry] = audit.of("auth.unlock")
        assert entry["actor"] == secadmin
        assert entry["obj"] == ref(clerk)
        assert entry["data"]["failures"] == 5

    def test_unlocking_an_unlocked_account_is_refused(self, clerk, secadmin):
        with pytest.raises(ValidationError):
            account_unlock(actor=secadmin, user=clerk)

    @pytest.mark.parametrize("persona", ["clerk", "sysadmin", "auditadmin", "handler_a"])
    def test_others_cannot_unlock(self, persona, request, handler_b):
        actor = request.getfixturevalue(persona)
        now = timezone.now()
        _fail("handler_b", 5, now=now)
        with pytest.raises(PermissionDenied):
            account_unlock(actor=actor, user=handler_b, now=now)
        assert AccountLock.objects.get(username="handler_b").is_locked(now)


@pytest.mark.django_db
class TestCommands:
    def test_unlock_account(self, clerk, password, audit):
        now = timezone.now()
        _fail("clerk", 5, now=now)
        out = io.StringIO()
        call_command("unlock_account", "clerk", stdout=out)
        assert out.getvalue() == "Unlocked clerk.\n"
        assert login_attempt(username="clerk", password=password, ip=None).ok
        [entry] = audit.of("auth.unlock")
        assert entry["actor"] is None
        with pytest.raises(CommandError):
            call_command("unlock_account", "clerk")
        with pytest.raises(CommandError):
            call_command("unlock_account", "nobody")

    def test_prune(self, clerk):
        _fail("clerk", 1, now=timezone.now() - timedelta(days=10))
        out = io.StringIO()
        call_command("prune_login_records", "--days", "7", stdout=out)
        assert out.getvalue() == "Deleted 1 records.\n"
        assert LoginFailure.objects.count() == 0


@pytest.mark.django_db
class TestPasswordChange:
    NEW = "Fresh-Secret#42"

    def test_success(self, handler_a, password, audit):
        handler_a.must_change_password = True
        handler_a.save()
        old_hash = handler_a.password
        now = timezone.now()
        user = password_change(
            user=handler_a, old_password=password, new_password=self.NEW, now=now
        )
        assert user.check_password(self.NEW)
        assert user.password_changed_at == now
        assert user.must_change_password is False
        assert user.version == 2
        assert list(PasswordHistory.objects.values_list("password", flat=True)) == [old_hash]
        [entry] = audit
        assert entry["action"] == "auth.password_change"
        assert entry["actor"] == handler_a
        assert entry["data"] == {"username": "handler_a", "forced": "must_change"}

    def test_wrong_current_password(self, handler_a, audit):
        with pytest.raises(ValidationError) as raised:
            password_change(user=handler_a, old_password="nope", new_password=self.NEW)
        assert set(raised.value.error_dict) == {"old_password"}
        handler_a.refresh_from_db()
        assert not handler_a.check_password(self.NEW)
        [entry] = audit
        assert entry["success"] is False
        assert entry["data"]["reason"] == "wrong_password"

    @pytest.mark.parametrize(
        ("new", "code"),
        [
            ("Sh0rt#", "password_too_short"),
            ("alllowercase12", "password_too_few_classes"),
            ("Handler_A-2026!", "password_contains_username"),
        ],
    )
    def test_policy_validation(self, handler_a, password, new, code):
        with pytest.raises(ValidationError) as raised:
            password_change(user=handler_a, old_password=password, new_password=new)
        codes = [e.code for e in raised.value.error_dict["new_password"]]
        assert code in codes
        handler_a.refresh_from_db()
        assert handler_a.check_password(password)

    def test_the_current_password_is_refused(self, handler_a, password):
        with pytest.raises(ValidationError) as raised:
            password_change(user=handler_a, old_password=password, new_password=password)
        assert [e.code for e in raised.value.error_dict["new_password"]] == ["password_reused"]

    def test_history_refuses_the_last_n_passwords(self, handler_a, password):
        passwords = [password] + [f"Rotation-{n}#Pw" for n in range(1, 6)]
        for old, new in zip(passwords, passwords[1:], strict=False):
            password_change(user=handler_a, old_password=old, new_password=new)
        handler_a.refresh_from_db()
        # History 5: the current password and the four before it are refused.
        for reused in passwords[1:]:
            with pytest.raises(ValidationError):
                validate_password(reused, handler_a)
        validate_password(passwords[0], handler_a)  # six passwords ago: allowed again

    def test_common_password_refused(self, handler_a, password):
        with pytest.raises(ValidationError):
            password_change(user=handler_a, old_password=password, new_password="Password123")

    def test_character_classes(self):
        assert character_classes("abc") == 1
        assert character_classes("abcD") == 2
        assert character_classes("abcD1") == 3
        assert character_classes("abcD1#") == 4
        assert character_classes("密码abc") == 2


@pytest.mark.django_db
class TestPasswordChangeReason:
    def test_reasons(self, clerk):
        now = timezone.now()
        assert password_change_reason(user=clerk, now=now) == ""
        clerk.password_changed_at = now - timedelta(days=90)
        assert password_change_reason(user=clerk, now=now) == "expired"
        clerk.password_changed_at = now - timedelta(days=89)
        assert password_change_reason(user=clerk, now=now) == ""
        clerk.must_change_password = True
        assert password_change_reason(user=clerk, now=now) == "must_change"

    def test_unrecorded_change_counts_from_account_creation(self, clerk):
        now = timezone.now()
        clerk.password_changed_at = None
        clerk.date_joined = now - timedelta(days=100)
        assert password_change_reason(user=clerk, now=now) == "expired"

    def test_no_expiry_in_the_standard_profile(self, clerk, secadmin):
        security_policy_apply_profile(actor=secadmin, profile="standard")
        clerk.password_changed_at = timezone.now() - timedelta(days=1000)
        assert password_change_reason(user=clerk) == ""


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_parallel_wrong_guesses_all_count(audit_truncate_allowed):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks")
    UserFactory(username="target")
    now = timezone.now()
    barrier = threading.Barrier(8)
    results = []

    def guess():
        from django.db import connection as thread_connection

        try:
            barrier.wait()
            results.append(login_attempt(username="target", password=WRONG, ip=None, now=now))
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=guess) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # The row lock serialises the attempts: exactly five are counted and lock the account,
    # the three that queued behind the lock are refused as locked; all eight are recorded.
    lock = AccountLock.objects.get(username="target")
    assert lock.failure_count == 5
    assert lock.locked_until == now + timedelta(minutes=30)
    assert sorted(_codes(results)) == ["invalid"] * 4 + ["locked"] * 4
    assert LoginFailure.objects.count() == 8
