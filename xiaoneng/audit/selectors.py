"""Reads of the audit log: who may read it, the filtered list, and chain verification."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Max, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from xiaoneng.audit.chain import (
    GENESIS_HASH,
    HASHED_FIELDS,
    ExportedHead,
    entry_hash,
    stored_values,
)
from xiaoneng.audit.models import AuditEntry, AuditHead
from xiaoneng.org.choices import Role
from xiaoneng.org.selectors import unit_descendant_ids

# --- access --------------------------------------------------------------------------------


def audit_reader_allowed(*, user) -> bool:
    """Only the audit administrator reads the audit log (三员分立); superusers do not."""
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and user.has_role(Role.AUDIT_ADMIN)
    )


# --- the list ------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditEntryFilters:
    """What the audit screen filters by. Dates are calendar days in the site's time zone
    (Asia/Shanghai), both ends included. ``action`` is a code or a code prefix (``org.user``
    matches ``org.user.create`` but not ``org.username``). ``unit_id`` includes the unit's
    sections."""

    actor: str = ""
    unit_id: int | None = None
    action: str = ""
    success: bool | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    object_type: str = ""
    object_id: str = ""


def _local_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_default_timezone())


def audit_entry_list(*, filters: AuditEntryFilters | None = None) -> QuerySet[AuditEntry]:
    """Audit entries, newest first, narrowed by ``filters``; actor and unit joined."""
    filters = filters or AuditEntryFilters()
    qs = AuditEntry.objects.select_related("actor", "unit")
    actor = filters.actor.strip()
    if actor:
        qs = qs.filter(Q(actor_name__icontains=actor) | Q(actor__username__icontains=actor))
    if filters.unit_id is not None:
        qs = qs.filter(unit_id__in=sorted(unit_descendant_ids(unit_ids={filters.unit_id})))
    action = filters.action.strip().removesuffix("*").rstrip(".")
    if action:
        qs = qs.filter(Q(action=action) | Q(action__startswith=action + "."))
    if filters.success is not None:
        qs = qs.filter(success=filters.success)
    if filters.date_from is not None:
        qs = qs.filter(time__gte=_local_midnight(filters.date_from))
    if filters.date_to is not None:
        qs = qs.filter(time__lt=_local_midnight(filters.date_to + dt.timedelta(days=1)))
    if filters.object_type.strip():
        qs = qs.filter(object_type=filters.object_type.strip())
    if filters.object_id.strip():
        qs = qs.filter(object_id=filters.object_id.strip())
    return qs.order_by("-position")


def audit_entry_get(*, position: int) -> AuditEntry | None:
    return AuditEntry.objects.select_related("actor", "unit").filter(position=position).first()


@dataclass(frozen=True)
class EntryCheck:
    """The result of checking one entry on its own: its hash, and its link to the entry
    before it (``None`` when that entry is missing)."""

    hash_ok: bool
    link_ok: bool | None


def audit_entry_check(*, entry: AuditEntry) -> EntryCheck:
    if entry.position == 1:
        previous = GENESIS_HASH
    else:
        previous = (
            AuditEntry.objects.filter(position=entry.position - 1)
            .values_list("hash", flat=True)
            .first()
        )
    return EntryCheck(
        hash_ok=entry_hash(stored_values(entry)) == entry.hash,
        link_ok=None if previous is None else previous == entry.prev_hash,
    )


# --- the chain -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ChainProblem:
    """The first thing found wrong with the chain: a stable ``code``, the ``position`` it
    concerns, and the values involved."""

    code: str
    position: int
    expected: str = ""
    found: str = ""

    @property
    def message(self) -> str:
        params = {"position": self.position, "expected": self.expected, "found": self.found}
        match self.code:
            case "gap":
                text = gettext(
                    "Entry %(position)s is missing: the chain continues at position %(found)s."
                )
            case "hash_mismatch":
                text = gettext(
                    "Entry %(position)s has been altered: its content no longer matches its hash."
                )
            case "prev_hash_mismatch":
                text = gettext(
                    "Entry %(position)s does not link to the entry before it: its previous "
                    "hash does not match that entry's hash."
                )
            case "head_missing":
                text = gettext(
                    "The exported head (position %(position)s) is no longer in the chain, "
                    "which ends at position %(found)s: entries have been removed from the end."
                )
            case "head_hash_mismatch":
                text = gettext(
                    "Entry %(position)s differs from the exported head: the chain has been "
                    "rewritten."
                )
            case "recorded_head_missing":
                text = gettext(
                    "The chain ends at position %(found)s but entry %(position)s was written: "
                    "entries have been removed from the end."
                )
            case "recorded_head_mismatch":
                text = gettext(
                    "Entry %(position)s differs from the recorded head of the chain: the "
                    "chain has been rewritten."
                )
            case _:
                text = gettext("Entry %(position)s: %(code)s")
                params["code"] = self.code
        return text % params


@dataclass(frozen=True)
class ChainVerification:
    """The result of walking the chain. ``count`` entries verified; ``head_position`` and
    ``head_hash`` are those of the last verified entry (0 and the genesis hash when none)."""

    count: int
    head_position: int
    head_hash: str
    problem: ChainProblem | None
    checked_exported_head: bool = False

    @property
    def ok(self) -> bool:
        return self.problem is None

    def as_data(self) -> dict[str, Any]:
        """Codes and values for the audit row that records the verification."""
        data: dict[str, Any] = {
            "ok": self.ok,
            "count": self.count,
            "head_position": self.head_position,
            "head_hash": self.head_hash,
            "exported_head": self.checked_exported_head,
        }
        if self.problem is not None:
            data["problem"] = self.problem.code
            data["position"] = self.problem.position
        return data


_CHAIN_COLUMNS = (*HASHED_FIELDS, "hash")


def audit_chain_verify(
    *, head: ExportedHead | None = None, chunk_size: int = 5000
) -> ChainVerification:
    """Walk the chain in position order and recompute every hash.

    Reads ``chunk_size`` rows at a time by position (keyset pagination: constant memory, no
    long-lived cursor), up to the last position that existed when the walk began. Stops at
    the first problem: a gap in positions (the chain must start at 1), an entry whose hash
    does not match its content, or one whose ``prev_hash`` is not the hash of the entry
    before it. Then checks that the recorded head (``AuditHead``) and, when given, a head
    exported earlier are still in the chain with the same hash, which detects entries
    removed from or rewritten at the end."""
    recorded = AuditHead.objects.filter(pk=1).values_list("position", "hash").first()
    last_position = AuditEntry.objects.aggregate(last=Max("position"))["last"] or 0
    targets = {}
    if recorded is not None and recorded[0] > 0:
        targets["recorded"] = recorded
    if head is not None:
        targets["exported"] = (head.position, head.hash)
    seen: dict[str, str] = {}

    count, previous_hash, expected_position = 0, GENESIS_HASH, 1
    problem: ChainProblem | None = None
    after = 0
    while problem is None and after < last_position:
        rows = list(
            AuditEntry.objects.filter(position__gt=after, position__lte=last_position)
            .order_by("position")
            .values_list(*_CHAIN_COLUMNS)[:chunk_size]
        )
        if not rows:
            break
        for row in rows:
            values = dict(zip(_CHAIN_COLUMNS, row, strict=True))
            position = values["position"]
            if position != expected_position:
                problem = ChainProblem("gap", expected_position, found=str(position))
            elif entry_hash(values) != values["hash"]:
                problem = ChainProblem("hash_mismatch", position, found=values["hash"])
            elif values["prev_hash"] != previous_hash:
                problem = ChainProblem(
                    "prev_hash_mismatch",
                    position,
                    expected=previous_hash,
                    found=values["prev_hash"],
                )
            if problem is not None:
                break
            for name, (target_position, _hash) in targets.items():
                if position == target_position:
                    seen[name] = values["hash"]
            count += 1
            previous_hash = values["hash"]
            expected_position += 1
        after = rows[-1][0]

    if problem is None:
        for name in ("exported", "recorded"):
            if name not in targets:
                continue
            target_position, target_hash = targets[name]
            if name not in seen:
                problem = ChainProblem(
                    f"{'head' if name == 'exported' else 'recorded_head'}_missing",
                    target_position,
                    expected=target_hash,
                    found=str(count),
                )
            elif seen[name] != target_hash:
                problem = ChainProblem(
                    f"{'head_hash' if name == 'exported' else 'recorded_head'}_mismatch",
                    target_position,
                    expected=target_hash,
                    found=seen[name],
                )
            if problem is not None:
                break

    return ChainVerification(
        count=count,
        head_position=count,
        head_hash=previous_hash,
        problem=problem,
        checked_exported_head=head is not None,
    )


def audit_head() -> AuditEntry | None:
    """The last entry of the chain."""
    return AuditEntry.objects.order_by("-position").first()
