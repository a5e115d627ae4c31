import pytest

from xiaoneng.org.selectors import user_scope


@pytest.mark.django_db
class TestUserScope:
    def test_office_roles_see_and_act_on_every_unit(self, clerk, supervisor, director):
        for user in (clerk, supervisor, director):
            scope = user_scope(user=user)
            assert scope.view_all and scope.act_all

    def test_leader_sees_every_unit_but_acts_on_none(self, leader, unit_a):
        scope = user_scope(user=leader)
        assert scope.view_all
        assert not scope.act_all
        assert not scope.can_act_unit(unit_a.id)

    def test_handler_sees_only_own_unit(self, handler_a, unit_a, unit_b, section_a):
        scope = user_scope(user=handler_a)
        assert scope.view_unit_ids == {unit_a.id}
        assert not scope.can_view_unit(unit_b.id)
        assert not scope.can_view_unit(section_a.id)

    def test_unit_head_also_sees_sections(self, unit_head_a, unit_a, section_a, unit_b):
        scope = user_scope(user=unit_head_a)
        assert scope.view_unit_ids == {unit_a.id, section_a.id}
        assert not scope.can_view_unit(unit_b.id)

    def test_admins_and_inspector_see_no_business_records(
        self, sysadmin, secadmin, auditadmin, inspector
    ):
        for user in (sysadmin, secadmin, auditadmin, inspector):
            scope = user_scope(user=user)
            assert scope.sees_nothing
            assert not scope.act_all

    def test_additional_unit_is_in_scope(self, handler_a, unit_b, unit_a):
        handler_a.additional_units.add(unit_b)
        assert user_scope(user=handler_a).view_unit_ids == {unit_a.id, unit_b.id}

    def test_scope_filters_a_queryset(self, handler_a, unit_a, unit_b):
        from xiaoneng.org.models import Unit

        visible = user_scope(user=handler_a).filter(Unit.objects.all(), "pk")
        assert list(visible) == [unit_a]

    def test_deactivated_user_sees_nothing(self, clerk):
        clerk.is_active = False
        assert user_scope(user=clerk).sees_nothing
