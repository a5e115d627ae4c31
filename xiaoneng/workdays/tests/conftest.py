import pytest


@pytest.fixture
def audit_calls(monkeypatch):
    """The audit rows the workdays services write (the audit app is an interface here)."""
    calls = []

    def record(**kwargs):
        calls.append(kwargs)

    monkeypatch.setattr("xiaoneng.workdays.services.audit_log", record)
    return calls
