"""Shared fixtures: a small district and one named persona per role.

天洲区 (district) ├─ 区效能办 (the efficiency office)
               ├─ 区人社局 (unit A) └─ 人社局办公室 (a section of unit A)
               └─ 区财政局 (unit B)
"""

import pytest
from django.conf import settings
from django.utils import translation

from xiaoneng.org.choices import Role, UnitKind
from xiaoneng.org.tests.factories import TEST_PASSWORD, UnitFactory, UserFactory

# The test runner empties tables with TRUNCATE after transactional tests; on PostgreSQL the
# audit table's trigger refuses that unless the maintenance switch is on (read per connection).
settings.AUDIT_ALLOW_TRUNCATE = True


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _default_language():
    """Every test starts in the site's default language (Simplified Chinese), whatever the
    test before it activated in this thread."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _fresh_calendar():
    """Each test reads the working-day calendar of its own database: overrides another test
    made and rolled back must not linger in this process's engine."""
    from xiaoneng.workdays.calendar import invalidate_calendar_cache

    invalidate_calendar_cache()
    yield
    invalidate_calendar_cache()


@pytest.fixture
def steady_calendar(monkeypatch):
    """For query-count tests: after the first read, the calendar does not re-check its
    overrides during the test, so two counts taken seconds apart compare like with like."""
    monkeypatch.setattr("xiaoneng.workdays.calendar.CHECK_INTERVAL_SECONDS", 3600.0)


@pytest.fixture
def password():
    return TEST_PASSWORD


@pytest.fixture
def district(db):
    return UnitFactory(code="TZ", name="天洲区", kind=UnitKind.DISTRICT)


@pytest.fixture
def office(district):
    return UnitFactory(code="TZ-XNB", name="天洲区效能办", short_name="区效能办", parent=district)


@pytest.fixture
def unit_a(district):
    return UnitFactory(
        code="TZ-RSJ", name="天洲区人力资源和社会保障局", short_name="区人社局", parent=district
    )


@pytest.fixture
def section_a(unit_a):
    return UnitFactory(
        code="TZ-RSJ-BGS", name="区人社局办公室", kind=UnitKind.SECTION, parent=unit_a
    )


@pytest.fixture
def unit_b(district):
    return UnitFactory(code="TZ-CZJ", name="天洲区财政局", short_name="区财政局", parent=district)


def _persona(username, name, unit, *roles):
    return UserFactory(username=username, name=name, unit=unit, roles=list(roles))


@pytest.fixture
def clerk(office):
    return _persona("clerk", "李受理", office, Role.INTAKE_CLERK)


@pytest.fixture
def supervisor(office):
    return _persona("supervisor", "王督办", office, Role.SUPERVISOR)


@pytest.fixture
def director(office):
    return _persona("director", "赵主任", office, Role.OFFICE_DIRECTOR)


@pytest.fixture
def leader(district):
    return _persona("leader", "陈区长", district, Role.LEADER)


@pytest.fixture
def liaison_a(unit_a):
    return _persona("liaison_a", "周联络", unit_a, Role.UNIT_LIAISON)


@pytest.fixture
def handler_a(unit_a):
    return _persona("handler_a", "吴承办", unit_a, Role.HANDLER)


@pytest.fixture
def unit_head_a(unit_a, section_a):
    return _persona("head_a", "郑局长", unit_a, Role.UNIT_HEAD)


@pytest.fixture
def handler_b(unit_b):
    return _persona("handler_b", "孙承办", unit_b, Role.HANDLER)


@pytest.fixture
def inspector(district):
    return _persona("inspector", "钱监督", district, Role.INSPECTOR)


@pytest.fixture
def sysadmin(office):
    return _persona("sysadmin", "冯系统", office, Role.SYSTEM_ADMIN)


@pytest.fixture
def secadmin(office):
    return _persona("secadmin", "褚安全", office, Role.SECURITY_ADMIN)


@pytest.fixture
def auditadmin(office):
    return _persona("auditadmin", "卫审计", office, Role.AUDIT_ADMIN)
