"""``open311_key``: the command that prints a new key."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from xiaoneng.audit.models import AuditEntry
from xiaoneng.open311.models import ApiClient
from xiaoneng.open311.selectors import client_authenticate

pytestmark = pytest.mark.django_db


def _run(*args) -> list[str]:
    out = StringIO()
    call_command("open311_key", *args, stdout=out)
    return out.getvalue().splitlines()


def test_the_command_prints_a_working_key(clerk, office):
    lines = _run("--name", "12345热线")
    client = ApiClient.objects.get()
    assert lines[0] == (
        f"Registered 12345热线 with the service account {client.account.username} in 天洲区效能办."
    )
    assert lines[1] == "The key is shown only now; keep it safe:"
    assert client_authenticate(key=lines[2]) == client
    assert client.created_by is None
    row = AuditEntry.objects.get(action="open311.client.create")
    assert row.actor is None and row.data["name"] == "12345热线"


def test_rotate_prints_a_new_key_and_the_old_one_stops(clerk, office):
    old = _run("--name", "12345热线")[-1]
    with pytest.raises(CommandError, match="pass --rotate"):
        _run("--name", "12345热线")
    lines = _run("--name", "12345热线", "--rotate")
    assert lines[0] == "New key for 12345热线; the old key is revoked."
    assert client_authenticate(key=old) is None
    assert client_authenticate(key=lines[-1]) == ApiClient.objects.get()


def test_the_unit_is_named_when_it_cannot_be_told(office, unit_b):
    with pytest.raises(CommandError, match="pass --unit"):
        _run("--name", "随手拍")
    with pytest.raises(CommandError, match="No active unit has the code NOPE"):
        _run("--name", "随手拍", "--unit", "NOPE")
    _run("--name", "随手拍", "--unit", unit_b.code)
    assert ApiClient.objects.get().account.unit == unit_b
    with pytest.raises(CommandError, match="No Open311 client is named 别的"):
        _run("--name", "别的", "--rotate")
