import io

import pytest
from django.core.management import CommandError, call_command

from xiaoneng.org.choices import Role
from xiaoneng.org.models import User

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Boot-strap#2026x"


def run(monkeypatch, *args, stdin: str = NEW_PASSWORD + "\n") -> str:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    out = io.StringIO()
    call_command("create_admin", *args, stdout=out)
    return out.getvalue()


def test_creates_a_system_admin_on_an_empty_installation(monkeypatch):
    output = run(
        monkeypatch,
        "--role",
        "system_admin",
        "--username",
        "sysadmin",
        "--name",
        "系统管理员",
        "--password-stdin",
    )
    user = User.objects.get(username="sysadmin")
    assert user.name == "系统管理员"
    assert user.roles == {Role.SYSTEM_ADMIN}
    assert user.unit is None
    assert user.check_password(NEW_PASSWORD)
    assert user.must_change_password
    assert not user.is_superuser
    assert not user.is_staff
    assert "Created sysadmin" in output


def test_creates_an_admin_in_a_unit(monkeypatch, office):
    run(
        monkeypatch,
        "--role",
        "audit_admin",
        "--username",
        "auditor",
        "--name",
        "审计员",
        "--unit",
        "TZ-XNB",
        "--password-stdin",
    )
    user = User.objects.get(username="auditor")
    assert (user.unit, user.roles) == (office, {Role.AUDIT_ADMIN})


def test_unknown_unit_and_missing_name(monkeypatch):
    with pytest.raises(CommandError, match="No unit"):
        run(
            monkeypatch,
            "--role",
            "system_admin",
            "--username",
            "a",
            "--name",
            "A",
            "--unit",
            "NOPE",
            "--password-stdin",
        )
    with pytest.raises(CommandError, match="--name"):
        run(monkeypatch, "--role", "system_admin", "--username", "a", "--password-stdin")
    assert not User.objects.filter(username="a").exists()


def test_only_admin_roles(monkeypatch):
    with pytest.raises(CommandError):
        run(monkeypatch, "--role", "handler", "--username", "h", "--name", "H", "--password-stdin")


def test_weak_password_refused(monkeypatch):
    with pytest.raises(CommandError):
        run(
            monkeypatch,
            "--role",
            "security_admin",
            "--username",
            "s",
            "--name",
            "S",
            "--password-stdin",
            stdin="123\n",
        )
    assert not User.objects.filter(username="s").exists()


def test_no_terminal_and_no_stdin_flag(monkeypatch):
    with pytest.raises(CommandError, match="password-stdin"):
        run(monkeypatch, "--role", "security_admin", "--username", "s", "--name", "S")


def test_existing_business_account_needs_replace_roles(monkeypatch, handler_a):
    with pytest.raises(CommandError, match="--replace-roles"):
        run(monkeypatch, "--role", "security_admin", "--username", "handler_a")
    assert set(handler_a.role_assignments.values_list("role", flat=True)) == {Role.HANDLER}
    run(monkeypatch, "--role", "security_admin", "--username", "handler_a", "--replace-roles")
    assert set(handler_a.role_assignments.values_list("role", flat=True)) == {Role.SECURITY_ADMIN}


def test_recovers_a_deactivated_admin_and_sets_the_password(monkeypatch, secadmin, password):
    User.objects.filter(pk=secadmin.pk).update(is_active=False)
    output = run(
        monkeypatch,
        "--role",
        "security_admin",
        "--username",
        "secadmin",
        "--set-password",
        "--password-stdin",
    )
    secadmin.refresh_from_db()
    assert secadmin.is_active
    assert secadmin.check_password(NEW_PASSWORD)
    assert secadmin.must_change_password
    assert "already holds" in output


def test_existing_admin_keeps_the_password_without_set_password(monkeypatch, sysadmin, password):
    run(monkeypatch, "--role", "system_admin", "--username", "sysadmin", "--name", "新名字")
    sysadmin.refresh_from_db()
    assert sysadmin.check_password(password)
    assert sysadmin.name == "新名字"


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_prompts_twice_on_a_terminal(monkeypatch):
    answers = iter([NEW_PASSWORD, NEW_PASSWORD])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    monkeypatch.setattr("sys.stdin", _Terminal())
    call_command(
        "create_admin",
        "--role",
        "audit_admin",
        "--username",
        "aud",
        "--name",
        "审计",
        stdout=io.StringIO(),
    )
    assert User.objects.get(username="aud").check_password(NEW_PASSWORD)


def test_prompt_mismatch_refused(monkeypatch):
    answers = iter([NEW_PASSWORD, "something-else"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    monkeypatch.setattr("sys.stdin", _Terminal())
    with pytest.raises(CommandError, match="differ"):
        call_command("create_admin", "--role", "audit_admin", "--username", "aud", "--name", "审计")
    assert not User.objects.filter(username="aud").exists()
