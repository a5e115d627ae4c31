import pytest

from xiaoneng.org.checks import check_no_active_superuser
from xiaoneng.org.tests.factories import UserFactory


@pytest.mark.django_db
class TestNoActiveSuperuserCheck:
    def test_fails_in_production_when_an_active_superuser_exists(self, settings):
        settings.DEBUG = False
        UserFactory(username="root", is_superuser=True)
        errors = check_no_active_superuser()
        assert [e.id for e in errors] == ["xiaoneng.E001"]
        assert "root" in errors[0].msg

    def test_passes_when_the_superuser_is_deactivated(self, settings):
        settings.DEBUG = False
        UserFactory(username="root", is_superuser=True, is_active=False)
        assert check_no_active_superuser() == []

    def test_not_applied_in_development(self, settings):
        settings.DEBUG = True
        UserFactory(username="root", is_superuser=True)
        assert check_no_active_superuser() == []
