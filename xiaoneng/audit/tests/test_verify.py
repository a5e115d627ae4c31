import datetime as dt
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import translation

from xiaoneng.audit.chain import GENESIS_HASH, entry_hash, parse_exported_head, stored_values
from xiaoneng.audit.models import AuditEntry, AuditHead
from xiaoneng.audit.selectors import audit_chain_verify, audit_entry_check
from xiaoneng.audit.services import audit_head_export, audit_log

pytestmark = pytest.mark.django_db


@pytest.fixture
def chain(handler_a):
    """Six entries: positions 1–6."""
    return [
        audit_log(
            action="test.event.n", actor=handler_a if n % 2 else None, data={"n": n, "名": "值"}
        )
        for n in range(1, 7)
    ]


class TestIntactChain:
    def test_an_intact_chain_verifies(self, chain):
        result = audit_chain_verify()
        assert result.ok
        assert (result.count, result.head_position, result.head_hash) == (6, 6, chain[-1].hash)
        assert result.problem is None

    def test_an_empty_chain_verifies(self):
        result = audit_chain_verify()
        assert result.ok
        assert (result.count, result.head_position, result.head_hash) == (0, 0, GENESIS_HASH)

    @pytest.mark.parametrize("chunk_size", [1, 2, 5, 6, 1000])
    def test_chunking_does_not_change_the_result(self, chain, chunk_size):
        result = audit_chain_verify(chunk_size=chunk_size)
        assert (result.ok, result.count, result.head_hash) == (True, 6, chain[-1].hash)

    def test_chunks_are_read_with_a_fixed_number_of_queries(self, chain, django_assert_num_queries):
        # recorded head, last position, 3 chunks of 2 rows, the empty read is not needed
        with django_assert_num_queries(5):
            assert audit_chain_verify(chunk_size=2).ok


class TestTampering:
    def test_a_changed_entry_is_found_at_its_position(self, chain, behind_the_app):
        behind_the_app("UPDATE audit_auditentry SET object_repr = 'forged' WHERE position = 3")

        result = audit_chain_verify()

        assert not result.ok
        assert (result.problem.code, result.problem.position) == ("hash_mismatch", 3)
        assert result.count == 2
        assert result.head_hash == chain[1].hash
        assert "3" in result.problem.message

    def test_changed_data_is_found(self, chain, behind_the_app):
        behind_the_app(
            "UPDATE audit_auditentry SET data = %s WHERE position = 5", [json.dumps({"n": 50})]
        )
        problem = audit_chain_verify().problem
        assert (problem.code, problem.position) == ("hash_mismatch", 5)

    def test_a_changed_time_is_found(self, chain, behind_the_app):
        moved = chain[1].time + dt.timedelta(microseconds=1)
        behind_the_app(
            "UPDATE audit_auditentry SET time = %s WHERE position = 2",
            [connection.ops.adapt_datetimefield_value(moved)],
        )
        assert AuditEntry.objects.get(position=2).time == moved
        problem = audit_chain_verify().problem
        assert (problem.code, problem.position) == ("hash_mismatch", 2)

    def test_a_changed_outcome_is_found(self, chain, behind_the_app):
        behind_the_app("UPDATE audit_auditentry SET success = %s WHERE position = 2", [False])
        problem = audit_chain_verify().problem
        assert (problem.code, problem.position) == ("hash_mismatch", 2)

    def test_a_rewritten_entry_with_a_recomputed_hash_breaks_the_next_link(
        self, chain, behind_the_app
    ):
        forged = AuditEntry.objects.get(position=4)
        forged.object_repr = "forged"
        new_hash = entry_hash(stored_values(forged))
        behind_the_app(
            "UPDATE audit_auditentry SET object_repr = %s, hash = %s WHERE position = 4",
            ["forged", new_hash],
        )

        problem = audit_chain_verify().problem

        assert (problem.code, problem.position) == ("prev_hash_mismatch", 5)
        assert (problem.expected, problem.found) == (new_hash, chain[3].hash)

    def test_a_removed_entry_is_a_gap(self, chain, behind_the_app):
        behind_the_app("DELETE FROM audit_auditentry WHERE position = 3")

        result = audit_chain_verify()

        assert (result.problem.code, result.problem.position, result.problem.found) == (
            "gap",
            3,
            "4",
        )
        assert result.count == 2

    def test_removing_the_first_entries_is_a_gap_at_1(self, chain, behind_the_app):
        behind_the_app("DELETE FROM audit_auditentry WHERE position <= 2")
        problem = audit_chain_verify().problem
        assert (problem.code, problem.position) == ("gap", 1)

    def test_a_removed_tail_is_found_through_the_recorded_head(self, chain, behind_the_app):
        behind_the_app("DELETE FROM audit_auditentry WHERE position >= 5")

        result = audit_chain_verify()

        assert (result.problem.code, result.problem.position) == ("recorded_head_missing", 6)
        assert result.count == 4

    def test_a_removed_tail_is_found_through_an_exported_head(self, chain, behind_the_app):
        head = audit_head_export(destination="file")  # position 7
        # Whoever removes the tail also moves the recorded head back to hide it.
        behind_the_app("DELETE FROM audit_auditentry WHERE position >= 6")
        AuditHead.objects.update(position=5, hash=chain[4].hash)
        assert audit_chain_verify().ok

        result = audit_chain_verify(head=head)

        assert not result.ok
        assert (result.problem.code, result.problem.position) == ("head_missing", 7)
        assert result.problem.found == "5"

    def test_a_rewritten_tail_is_found_through_an_exported_head(self, chain, behind_the_app):
        head = audit_head_export(destination="file")  # position 7
        behind_the_app("DELETE FROM audit_auditentry WHERE position = 7")
        AuditHead.objects.update(position=6, hash=chain[5].hash)
        audit_log(action="test.event.forged")  # a new, well-chained position 7
        assert audit_chain_verify().ok

        problem = audit_chain_verify(head=head).problem

        assert (problem.code, problem.position) == ("head_hash_mismatch", 7)

    def test_an_exported_head_still_in_the_chain_passes(self, chain):
        head = audit_head_export(destination="file")
        audit_log(action="test.event.later")
        result = audit_chain_verify(head=head)
        assert result.ok and result.checked_exported_head
        assert result.count == 8


class TestEntryCheck:
    def test_an_intact_entry_checks(self, chain):
        check = audit_entry_check(entry=AuditEntry.objects.get(position=1))
        assert (check.hash_ok, check.link_ok) == (True, True)
        check = audit_entry_check(entry=AuditEntry.objects.get(position=3))
        assert (check.hash_ok, check.link_ok) == (True, True)

    def test_a_changed_entry_and_a_missing_neighbour_show(self, chain, behind_the_app):
        behind_the_app("UPDATE audit_auditentry SET actor_name = 'x' WHERE position = 2")
        behind_the_app("DELETE FROM audit_auditentry WHERE position = 4")
        check = audit_entry_check(entry=AuditEntry.objects.get(position=2))
        assert (check.hash_ok, check.link_ok) == (False, True)
        check = audit_entry_check(entry=AuditEntry.objects.get(position=5))
        assert (check.hash_ok, check.link_ok) == (True, None)


class TestCommands:
    @pytest.fixture(autouse=True)
    def _english(self):
        with translation.override("en"):
            yield

    def test_verify_prints_ok_with_count_and_head(self, chain, capsys):
        call_command("audit_verify")
        out = capsys.readouterr().out
        assert "OK" in out
        assert "6 entries verified" in out
        assert chain[-1].hash in out
        entry = AuditEntry.objects.get(position=7)
        assert entry.action == "audit.verify"
        assert entry.actor is None
        assert entry.success is True
        assert entry.data == {
            "ok": True,
            "count": 6,
            "head_position": 6,
            "head_hash": chain[-1].hash,
            "exported_head": False,
        }

    def test_verify_fails_naming_the_first_broken_position(self, chain, behind_the_app):
        behind_the_app("UPDATE audit_auditentry SET action = 'test.event.x' WHERE position = 4")
        with pytest.raises(CommandError, match="position 4 \\(hash_mismatch\\)") as excinfo:
            call_command("audit_verify")
        assert excinfo.value.returncode == 1
        entry = AuditEntry.objects.get(action="audit.verify")
        assert entry.success is False
        assert (entry.data["problem"], entry.data["position"]) == ("hash_mismatch", 4)

    def test_export_head_to_a_file_and_verify_against_it(self, chain, tmp_path, capsys):
        path = tmp_path / "head.json"
        call_command("audit_export_head", output=path)
        assert "Head position 7" in capsys.readouterr().out

        raw = json.loads(path.read_text())
        assert set(raw) == {"position", "hash", "time", "exported_at"}
        assert (raw["position"], raw["hash"]) == (7, AuditEntry.objects.get(position=7).hash)
        assert AuditEntry.objects.get(position=7).data == {"destination": "file"}

        call_command("audit_verify", head=path)
        out = capsys.readouterr().out
        assert "OK" in out and "The exported head (position 7) is in the chain." in out

    def test_export_head_prints_json(self, chain, capsys):
        call_command("audit_export_head")
        head = parse_exported_head(capsys.readouterr().out)
        assert (head.position, head.hash) == (7, AuditEntry.objects.get(position=7).hash)

    def test_verify_against_a_head_of_a_truncated_chain_fails(
        self, chain, tmp_path, behind_the_app
    ):
        path = tmp_path / "head.json"
        call_command("audit_export_head", output=path)
        behind_the_app("DELETE FROM audit_auditentry WHERE position >= 6")
        AuditHead.objects.update(position=5, hash=chain[4].hash)

        with pytest.raises(CommandError, match="position 7 \\(head_missing\\)"):
            call_command("audit_verify", "--head", str(path))

    def test_verify_refuses_a_file_that_is_not_a_head(self, tmp_path):
        path = tmp_path / "head.json"
        path.write_text('{"position": "7"}')
        with pytest.raises(CommandError, match="not an exported head"):
            call_command("audit_verify", head=path)
        with pytest.raises(CommandError, match="Cannot read"):
            call_command("audit_verify", head=tmp_path / "missing.json")
        assert not AuditEntry.objects.exists()

    def test_export_to_an_unwritable_path_records_nothing(self, tmp_path):
        with pytest.raises(CommandError, match="Cannot write"):
            call_command("audit_export_head", output=tmp_path / "no" / "such" / "dir.json")
        assert not AuditEntry.objects.exists()


@pytest.mark.parametrize(
    "text",
    [
        "",
        "[]",
        "{}",
        '{"position": 0, "hash": "' + "a" * 64 + '"}',
        '{"position": true, "hash": "' + "a" * 64 + '"}',
        '{"position": 3, "hash": "' + "A" * 64 + '"}',
        '{"position": 3, "hash": "abc"}',
    ],
)
def test_parse_exported_head_refuses_what_is_not_a_head(text):
    with pytest.raises(ValueError):
        parse_exported_head(text)


def test_one_entry_is_singular(capsys):
    audit_log(action="test.event.one")
    with translation.override("en"):
        call_command("audit_verify")
    assert "OK: 1 entry verified" in capsys.readouterr().out
