import pytest
from django.core.exceptions import ValidationError

from xiaoneng.org.choices import Role, UnitKind
from xiaoneng.org.models import RoleAssignment, Unit, User
from xiaoneng.org.services import (
    ConflictError,
    temporary_password_generate,
    unit_create,
    unit_set_active,
    unit_update,
    user_create,
    user_reset_password,
    user_set_active,
    user_set_roles,
    user_update,
    validate_role_set,
)
from xiaoneng.org.tests.factories import UnitFactory, UserFactory

pytestmark = pytest.mark.django_db


def roles_of(user) -> set[str]:
    return set(RoleAssignment.objects.filter(user=user).values_list("role", flat=True))


class TestRoleSeparation:
    @pytest.mark.parametrize(
        "roles",
        [
            {Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN},
            {Role.SECURITY_ADMIN, Role.AUDIT_ADMIN},
            {Role.SYSTEM_ADMIN, Role.AUDIT_ADMIN},
            {Role.SYSTEM_ADMIN, Role.HANDLER},
            {Role.AUDIT_ADMIN, Role.LEADER},
            {Role.SECURITY_ADMIN, Role.INTAKE_CLERK},
        ],
    )
    def test_admin_roles_exclude_each_other_and_business_roles(self, roles):
        with pytest.raises(ValidationError) as excinfo:
            validate_role_set(roles)
        assert excinfo.value.code == "separated_duties"

    def test_one_admin_role_alone_or_business_roles_together_are_fine(self):
        assert validate_role_set([Role.AUDIT_ADMIN]) == {Role.AUDIT_ADMIN}
        assert validate_role_set([Role.HANDLER, Role.UNIT_LIAISON]) == {
            Role.HANDLER,
            Role.UNIT_LIAISON,
        }

    def test_unknown_role_refused(self):
        with pytest.raises(ValidationError):
            validate_role_set(["superhero"])

    def test_system_admin_grants_business_roles(self, sysadmin, handler_a):
        user_set_roles(actor=sysadmin, user=handler_a, roles=[Role.HANDLER, Role.UNIT_LIAISON])
        assert roles_of(handler_a) == {Role.HANDLER, Role.UNIT_LIAISON}

    @pytest.mark.parametrize("role", [Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN])
    def test_system_admin_cannot_grant_admin_roles(self, sysadmin, office, role):
        person = UserFactory(unit=office, roles=[])
        with pytest.raises(ValidationError) as excinfo:
            user_set_roles(actor=sysadmin, user=person, roles=[role])
        assert excinfo.value.code == "admin_roles"
        assert roles_of(person) == set()

    def test_system_admin_cannot_remove_an_admin_role(self, sysadmin, auditadmin):
        with pytest.raises(ValidationError):
            user_set_roles(actor=sysadmin, user=auditadmin, roles=[])
        assert roles_of(auditadmin) == {Role.AUDIT_ADMIN}

    def test_system_admin_cannot_create_an_admin(self, sysadmin, office):
        with pytest.raises(ValidationError):
            user_create(
                actor=sysadmin, username="x1", name="X", unit=office, roles=[Role.AUDIT_ADMIN]
            )
        assert not User.objects.filter(username="x1").exists()

    def test_security_admin_grants_admin_roles(self, secadmin, office):
        person = UserFactory(unit=office, roles=[])
        user_set_roles(actor=secadmin, user=person, roles=[Role.AUDIT_ADMIN])
        assert roles_of(person) == {Role.AUDIT_ADMIN}

    def test_security_admin_cannot_grant_business_roles(self, secadmin, handler_a):
        with pytest.raises(ValidationError) as excinfo:
            user_set_roles(actor=secadmin, user=handler_a, roles=[Role.HANDLER, Role.SUPERVISOR])
        assert excinfo.value.code == "business_roles"
        assert roles_of(handler_a) == {Role.HANDLER}

    def test_security_admin_cannot_make_a_business_user_an_admin(self, secadmin, handler_a):
        with pytest.raises(ValidationError) as excinfo:
            user_set_roles(actor=secadmin, user=handler_a, roles=[Role.HANDLER, Role.AUDIT_ADMIN])
        assert excinfo.value.code == "separated_duties"
        assert roles_of(handler_a) == {Role.HANDLER}

    @pytest.mark.parametrize(
        ("persona", "roles"),
        [
            ("sysadmin", [Role.SYSTEM_ADMIN, Role.LEADER]),
            ("sysadmin", []),
            ("secadmin", [Role.SYSTEM_ADMIN]),
            ("secadmin", []),
        ],
    )
    def test_nobody_changes_own_roles(self, request, persona, roles):
        actor = request.getfixturevalue(persona)
        before = roles_of(actor)
        with pytest.raises(ValidationError):
            user_set_roles(actor=actor, user=actor, roles=roles)
        assert roles_of(actor) == before

    def test_command_line_may_set_any_single_admin_role(self, office):
        person = UserFactory(unit=office, roles=[])
        user_set_roles(actor=None, user=person, roles=[Role.SYSTEM_ADMIN])
        assert roles_of(person) == {Role.SYSTEM_ADMIN}

    def test_stale_roles_form_conflicts(self, sysadmin, handler_a):
        version = handler_a.version
        user_set_roles(actor=sysadmin, user=handler_a, roles=[Role.HANDLER, Role.UNIT_HEAD])
        with pytest.raises(ConflictError):
            user_set_roles(actor=sysadmin, user=handler_a, roles=[Role.LEADER], version=version)
        assert roles_of(handler_a) == {Role.HANDLER, Role.UNIT_HEAD}


class TestAdminAccounts:
    def test_system_admin_cannot_reset_an_admins_password(self, sysadmin, secadmin, password):
        with pytest.raises(ValidationError) as excinfo:
            user_reset_password(actor=sysadmin, user=secadmin, password="New-pass#2026x")
        assert excinfo.value.code == "admin_account"
        secadmin.refresh_from_db()
        assert secadmin.check_password(password)

    def test_system_admin_cannot_deactivate_an_admin(self, sysadmin, auditadmin):
        with pytest.raises(ValidationError):
            user_set_active(actor=sysadmin, user=auditadmin, active=False)
        auditadmin.refresh_from_db()
        assert auditadmin.is_active

    def test_command_line_resets_an_admins_password(self, secadmin):
        user_reset_password(actor=None, user=secadmin, password="New-pass#2026x")
        secadmin.refresh_from_db()
        assert secadmin.check_password("New-pass#2026x")
        assert secadmin.must_change_password

    def test_system_admin_resets_a_business_password(self, sysadmin, handler_a):
        user_reset_password(actor=sysadmin, user=handler_a, password="New-pass#2026x")
        handler_a.refresh_from_db()
        assert handler_a.check_password("New-pass#2026x")
        assert handler_a.must_change_password

    def test_nobody_deactivates_themselves(self, sysadmin):
        with pytest.raises(ValidationError):
            user_set_active(actor=sysadmin, user=sysadmin, active=False)


class TestUnits:
    def test_deactivation_refused_while_accounts_are_active(self, sysadmin, unit_b, handler_b):
        with pytest.raises(ValidationError) as excinfo:
            unit_set_active(actor=sysadmin, unit=unit_b, active=False)
        assert "仍有在用账号" in excinfo.value.messages[0]
        unit_b.refresh_from_db()
        assert unit_b.is_active

    def test_deactivation_refused_while_sections_are_active(self, sysadmin, unit_a, section_a):
        with pytest.raises(ValidationError):
            unit_set_active(actor=sysadmin, unit=unit_a, active=False)
        unit_a.refresh_from_db()
        assert unit_a.is_active

    def test_deactivation_and_reactivation(self, sysadmin, unit_b):
        unit = unit_set_active(actor=sysadmin, unit=unit_b, active=False)
        assert not unit.is_active
        assert unit.version == 2
        unit = unit_set_active(actor=sysadmin, unit=unit_b, active=True)
        assert unit.is_active

    def test_stale_version_raises_conflict(self, sysadmin, unit_a):
        version = unit_a.version
        unit_update(actor=sysadmin, unit=unit_a, version=version, name="新名称")
        with pytest.raises(ConflictError):
            unit_update(actor=sysadmin, unit=unit_a, version=version, name="另一个名称")
        unit_a.refresh_from_db()
        assert unit_a.name == "新名称"
        assert unit_a.version == version + 1

    def test_stale_user_version_raises_conflict(self, sysadmin, handler_a):
        version = handler_a.version
        user_update(actor=sysadmin, user=handler_a, version=version, phone="1")
        with pytest.raises(ConflictError):
            user_update(actor=sysadmin, user=handler_a, version=version, phone="2")
        handler_a.refresh_from_db()
        assert handler_a.phone == "1"

    @pytest.mark.parametrize("target", ["unit_a", "section_a"])
    def test_cycle_in_parent_refused(self, request, sysadmin, unit_a, section_a, target):
        new_parent = request.getfixturevalue(target)
        with pytest.raises(ValidationError) as excinfo:
            unit_update(actor=sysadmin, unit=unit_a, parent=new_parent)
        assert "parent" in excinfo.value.message_dict
        unit_a.refresh_from_db()
        assert unit_a.parent.code == "TZ"

    def test_district_has_no_parent(self, sysadmin, district):
        with pytest.raises(ValidationError):
            unit_create(actor=sysadmin, code="X", name="X", kind=UnitKind.DISTRICT, parent=district)
        assert not Unit.objects.filter(code="X").exists()

    def test_account_needs_an_active_unit(self, sysadmin, office):
        dormant = UnitFactory(parent=office, is_active=False)
        with pytest.raises(ValidationError):
            user_create(actor=sysadmin, username="n1", name="N", unit=dormant)
        with pytest.raises(ValidationError):
            user_create(actor=sysadmin, username="n1", name="N", unit=None)


def test_generated_password_passes_the_validators_and_differs(settings):
    first = temporary_password_generate()
    second = temporary_password_generate()
    assert first != second
    assert len(first) >= 14
    assert any(c.isupper() for c in first)
    assert any(c.islower() for c in first)
    assert any(c.isdigit() for c in first)
