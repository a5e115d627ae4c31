import datetime as dt
import decimal
import json

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.http import HttpResponse
from django.test import RequestFactory
from django.utils import translation

from xiaoneng.audit import services
from xiaoneng.audit.actions import action_label, known_actions, register_actions
from xiaoneng.audit.chain import (
    GENESIS_HASH,
    canonical_json,
    entry_hash,
    normalise_data,
    normalise_ip,
    stored_values,
)
from xiaoneng.audit.models import AuditEntry, AuditHead
from xiaoneng.audit.services import audit_log, audit_view_protected
from xiaoneng.core.middleware import RequestContextMiddleware
from xiaoneng.org.choices import UnitKind
from xiaoneng.org.models import Unit, User
from xiaoneng.org.services import unit_create

pytestmark = pytest.mark.django_db

RICH_DATA = {
    "名称": "天洲区人力资源和社会保障局",
    "z": 1,
    "a": {"nested": {"列表": [1, "二", None, True, False, {"k": "v"}]}, "b": None},
    "count": 42,
    "big": 2**70,
    "negative": -7,
    "ratio": 0.1,
    "integral_float": 3.0,
    "huge_float": 1e23,
    "tiny": 1.5e-10,
    "flag": True,
    "off": False,
    "nothing": None,
    "empty": {},
    "quote": 'say "你好"\n\t\\',
    "emoji": "✅",
}


def _fresh(entry):
    return AuditEntry.objects.get(pk=entry.pk)


class TestChain:
    def test_positions_follow_and_each_entry_links_to_the_one_before(self):
        first = audit_log(action="test.event.one")
        second = audit_log(action="test.event.two")
        third = audit_log(action="test.event.three")

        rows = list(AuditEntry.objects.order_by("position"))
        assert [r.position for r in rows] == [1, 2, 3]
        assert rows[0].prev_hash == GENESIS_HASH
        assert rows[1].prev_hash == first.hash
        assert rows[2].prev_hash == second.hash
        assert [r.hash for r in rows] == [first.hash, second.hash, third.hash]
        assert len({r.hash for r in rows}) == 3
        head = AuditHead.objects.get()
        assert (head.position, head.hash) == (3, third.hash)

    def test_the_hash_is_sha256_of_the_canonical_fields(self):
        entry = _fresh(audit_log(action="test.event.one", data={"b": 1, "a": "二"}))
        payload = {
            "position": 1,
            "time": entry.time.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "actor_id": None,
            "actor_name": "",
            "unit_id": None,
            "unit_name": "",
            "action": "test.event.one",
            "object_type": "",
            "object_id": "",
            "object_repr": "",
            "success": True,
            "ip": None,
            "request_id": "",
            "data": {"a": "二", "b": 1},
            "prev_hash": GENESIS_HASH,
        }
        import hashlib

        text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        assert entry.hash == hashlib.sha256(text.encode()).hexdigest()
        assert '"a":"二"' in canonical_json(entry.data)

    def test_hash_round_trips_through_the_database(self, handler_a):
        entry = audit_log(
            action="test.event.rich",
            actor=handler_a,
            data=RICH_DATA,
            ip="2001:DB8:0:0:1:0:0:1",
            request_id="req-0123456789",
            object_repr="对象「一」",
        )
        fresh = _fresh(entry)

        assert fresh.data == entry.data == normalise_data(RICH_DATA)
        assert fresh.data["big"] == 2**70
        assert fresh.data["integral_float"] == 3 and isinstance(fresh.data["integral_float"], int)
        assert fresh.data["huge_float"] == int(1e23)
        assert fresh.data["a"]["nested"]["列表"] == [1, "二", None, True, False, {"k": "v"}]
        assert fresh.time == entry.time
        assert fresh.ip == "2001:db8::1:0:0:1"
        assert entry_hash(stored_values(fresh)) == fresh.hash == entry.hash

    def test_data_is_normalised_to_json_before_it_is_stored(self):
        entry = audit_log(
            action="test.event.types",
            data={
                "day": dt.date(2026, 3, 2),
                "amount": decimal.Decimal("12.50"),
                "pair": ("a", 1),
                1: "int key",
            },
        )
        expected = {"day": "2026-03-02", "amount": "12.50", "pair": ["a", 1], "1": "int key"}
        assert entry.data == expected
        assert _fresh(entry).data == expected
        assert entry_hash(stored_values(_fresh(entry))) == entry.hash

    @pytest.mark.parametrize("data", [{"x": object()}, {"x": float("nan")}, {"x": float("inf")}])
    def test_data_json_cannot_hold_is_refused(self, data):
        with pytest.raises(ValueError):
            audit_log(action="test.event.bad", data=data)
        assert not AuditEntry.objects.exists()

    @pytest.mark.parametrize(
        "action", ["", "login", "Org.user.create", "org..user", "org.user.", "1x.y"]
    )
    def test_malformed_action_codes_are_refused(self, action):
        with pytest.raises(ValueError):
            audit_log(action=action)
        assert not AuditEntry.objects.exists()

    def test_a_rolled_back_transaction_leaves_no_gap(self):
        audit_log(action="test.event.one")
        with pytest.raises(RuntimeError), transaction.atomic():
            audit_log(action="test.event.lost")
            raise RuntimeError
        last = audit_log(action="test.event.two")

        assert list(AuditEntry.objects.order_by("position").values_list("position", "action")) == [
            (1, "test.event.one"),
            (2, "test.event.two"),
        ]
        assert AuditHead.objects.get().position == 2
        assert last.prev_hash == AuditEntry.objects.get(position=1).hash

    def test_a_missing_head_row_continues_from_the_last_entry(self):
        audit_log(action="test.event.one")
        second = audit_log(action="test.event.two")
        AuditHead.objects.all().delete()

        third = audit_log(action="test.event.three")

        assert third.position == 3
        assert third.prev_hash == second.hash
        assert AuditHead.objects.get().position == 3


class TestSnapshots:
    def test_actor_name_and_unit_are_taken_from_the_actor(self, handler_a, unit_a):
        entry = audit_log(action="test.event.one", actor=handler_a)

        fresh = _fresh(entry)
        assert fresh.actor == handler_a
        assert fresh.actor_name == "吴承办"
        assert fresh.unit == unit_a
        assert fresh.unit_name == "天洲区人力资源和社会保障局"

    def test_snapshots_do_not_follow_later_renames(self, handler_a, unit_a):
        entry = audit_log(action="test.event.one", actor=handler_a)
        User.objects.filter(pk=handler_a.pk).update(name="吴新名")
        Unit.objects.filter(pk=unit_a.pk).update(name="改名后的单位")

        fresh = _fresh(entry)
        assert (fresh.actor_name, fresh.unit_name) == ("吴承办", "天洲区人力资源和社会保障局")
        assert entry_hash(stored_values(fresh)) == fresh.hash

    def test_given_name_and_unit_win_over_the_actor(self, handler_a, unit_b):
        entry = audit_log(
            action="test.event.one", actor=handler_a, actor_name="代理人", unit=unit_b
        )
        assert (entry.actor_name, entry.unit_id, entry.unit_name) == (
            "代理人",
            unit_b.pk,
            "天洲区财政局",
        )

    def test_anonymous_event_with_object_overrides(self):
        entry = audit_log(
            action="auth.login_failed",
            actor=AnonymousUser(),
            success=False,
            object_type="org.user",
            object_repr="nobody",
            data={"username": "nobody", "reason": "unknown_user"},
        )
        fresh = _fresh(entry)
        assert fresh.actor is None
        assert fresh.actor_name == ""
        assert fresh.unit is None
        assert (fresh.object_type, fresh.object_id, fresh.object_repr) == ("org.user", "", "nobody")
        assert fresh.success is False

    def test_object_is_described_by_its_model_label_pk_and_str(self, handler_a):
        entry = audit_log(action="test.event.one", obj=handler_a)
        assert (entry.object_type, entry.object_id, entry.object_repr) == (
            "org.user",
            str(handler_a.pk),
            "吴承办",
        )

    def test_long_and_unstorable_texts_fit_their_columns(self):
        entry = audit_log(
            action="test.event.one",
            object_repr="长" * 300,
            actor_name="a\x00b",
            data={"user\x00name": json.loads('"\\ud800x"'), "ok": "😀"},
        )
        fresh = _fresh(entry)
        assert fresh.object_repr == "长" * 200
        assert fresh.actor_name == "a\ufffdb"
        assert fresh.data == {"user\ufffdname": "\ufffdx", "ok": "😀"}
        assert entry_hash(stored_values(fresh)) == fresh.hash


class TestRequestContext:
    def test_ip_and_request_id_come_from_the_request(self, sysadmin, district):
        def view(request):
            unit_create(
                actor=sysadmin,
                code="TZ-NEW",
                name="新单位",
                kind=UnitKind.DEPARTMENT,
                parent=district,
            )
            return HttpResponse()

        request = RequestFactory().post(
            "/org/units/", REMOTE_ADDR="10.20.30.40", HTTP_X_REQUEST_ID="req-abcdef-0001"
        )
        RequestContextMiddleware(view)(request)

        entry = AuditEntry.objects.get(action="org.unit.create")
        assert (entry.ip, entry.request_id) == ("10.20.30.40", "req-abcdef-0001")
        assert entry.object_type == "org.unit"
        assert entry.object_repr == "新单位"
        assert entry.unit.code == "TZ-NEW"
        assert entry.unit_name == "新单位"
        assert (entry.actor, entry.actor_name) == (sysadmin, "冯系统")
        assert entry.data == {
            "code": "TZ-NEW",
            "name": "新单位",
            "kind": "department",
            "parent": "TZ",
        }

    def test_a_real_request_records_its_address_and_id(self, client, auditadmin):
        client.force_login(auditadmin)
        response = client.post(
            "/audit/verify/", REMOTE_ADDR="192.0.2.7", HTTP_X_REQUEST_ID="req-through-client-1"
        )
        assert response.status_code == 200
        entry = AuditEntry.objects.get(action="audit.verify")
        assert (entry.ip, entry.request_id) == ("192.0.2.7", "req-through-client-1")
        assert response["X-Request-ID"] == "req-through-client-1"

    def test_outside_a_request_there_is_no_address(self):
        entry = audit_log(action="test.event.one")
        assert (entry.ip, entry.request_id) == (None, "")

    def test_explicit_values_win_and_bad_addresses_are_dropped(self):
        entry = audit_log(action="test.event.one", ip="not-an-ip", request_id="given-id-1")
        assert (entry.ip, entry.request_id) == (None, "given-id-1")


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("10.0.0.1", "10.0.0.1"),
        (" 10.0.0.1 ", "10.0.0.1"),
        ("::ffff:10.0.0.1", "10.0.0.1"),
        ("2001:DB8::1", "2001:db8::1"),
        ("fe80::1%eth0", None),
        ("1.2.3.4, 5.6.7.8", None),
        ("", None),
        (None, None),
    ],
)
def test_ip_normalisation(raw, stored):
    assert normalise_ip(raw) == stored


class TestViewProtected:
    def test_records_the_fields_shown_and_why(self, clerk, handler_a, office):
        entry = audit_view_protected(
            actor=clerk, obj=handler_a, fields=["phone", "name", "phone"], reason_code="export"
        )
        assert entry.action == "org.user.view_protected"
        assert entry.data == {"fields": ["name", "phone"], "reason": "export"}
        assert (entry.object_type, entry.object_id) == ("org.user", str(handler_a.pk))
        assert (entry.actor, entry.unit) == (clerk, office)
        with translation.override("en"):
            assert action_label(entry.action) == "Viewed protected data: user"

    def test_refuses_no_fields_and_bad_reason_codes(self, clerk, handler_a):
        with pytest.raises(ValueError):
            audit_view_protected(actor=clerk, obj=handler_a, fields=[])
        with pytest.raises(ValueError):
            audit_view_protected(actor=clerk, obj=handler_a, fields=["phone"], reason_code="看")
        assert not AuditEntry.objects.exists()


class TestHeadExport:
    def test_the_exported_head_is_the_exports_own_entry(self, auditadmin):
        audit_log(action="test.event.one")
        head = services.audit_head_export(actor=auditadmin, destination="file")

        entry = AuditEntry.objects.get(position=2)
        assert (head.position, head.hash) == (2, entry.hash)
        assert entry.action == "audit.export_head"
        assert entry.data == {"destination": "file"}
        assert entry.actor == auditadmin
        assert head.time.endswith("Z")

    def test_unknown_destination_is_refused(self):
        with pytest.raises(ValueError):
            services.audit_head_export(destination="ftp")


class TestActions:
    def test_known_codes_have_labels_in_the_readers_language(self):
        with translation.override("en"):
            assert action_label("org.unit.create") == "Unit created"
            assert action_label("auth.login_failed") == "Failed login"
            assert ("audit.verify", "Audit chain verified") in known_actions()

    def test_unknown_codes_show_as_the_code(self):
        assert action_label("cases.case.teleport") == "cases.case.teleport"
        assert action_label("nosuchapp.model.view_protected") == "nosuchapp.model.view_protected"

    def test_other_apps_register_their_codes(self, monkeypatch):
        from xiaoneng.audit import actions

        monkeypatch.setattr(actions, "_REGISTRY", dict(actions._REGISTRY))
        register_actions({"cases.case.register": "Case registered"})
        register_actions({"cases.case.register": "Case registered"})
        assert action_label("cases.case.register") == "Case registered"
        with pytest.raises(ValueError):
            register_actions({"Bad Code": "x"})
