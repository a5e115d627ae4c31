"""The one transition table of the case lifecycle. Services enforce it; screens ask it which
actions to offer. Each action names the states it starts from, the state it leads to (None:
the state does not change) and the roles that may take it. Unit roles act only on
assignments of their own units; office roles on every case (see ``xiaoneng.org.selectors``).

    registered ─accept→ accepted ─dispatch→ dispatched ─(lead/sole unit signs)→ in_progress
        └─reject→ not_accepted                                              │
    in_progress ─(lead/sole unit's reply, after the unit head if configured)→ replied
    replied ─review_pass→ callback ─callback→ callback (result recorded)
            └─review_return→ in_progress (redo)
    callback ─close_out→ closed  (major: close_request → close_pending ─close_signoff→ closed)
             └─redo (after a dissatisfied callback)→ in_progress
    any open state ─merge→ merged
"""

from __future__ import annotations

from dataclasses import dataclass

from xiaoneng.cases.choices import OPEN_STATUSES
from xiaoneng.cases.choices import AssignmentStatus as A
from xiaoneng.cases.choices import CaseStatus as S
from xiaoneng.org.choices import Role

CLERK, SUPERVISOR, DIRECTOR = Role.INTAKE_CLERK, Role.SUPERVISOR, Role.OFFICE_DIRECTOR
LIAISON, HANDLER, HEAD, LEADER = Role.UNIT_LIAISON, Role.HANDLER, Role.UNIT_HEAD, Role.LEADER


@dataclass(frozen=True)
class Transition:
    sources: frozenset[str]
    target: str | None
    roles: frozenset[str]


def _t(sources, target, roles) -> Transition:
    return Transition(frozenset(sources), target, frozenset(roles))


_HANDLING = {S.DISPATCHED, S.IN_PROGRESS}
_WORKING = {S.ACCEPTED, S.DISPATCHED, S.IN_PROGRESS, S.REPLIED, S.CALLBACK}

#: Actions on the case as a whole.
CASE_TRANSITIONS: dict[str, Transition] = {
    "accept": _t({S.REGISTERED}, S.ACCEPTED, {CLERK, DIRECTOR}),
    "reject": _t({S.REGISTERED}, S.NOT_ACCEPTED, {CLERK, DIRECTOR}),
    "dispatch": _t({S.ACCEPTED}, S.DISPATCHED, {SUPERVISOR, DIRECTOR}),
    "supervise": _t(_HANDLING | {S.REPLIED}, None, {SUPERVISOR, DIRECTOR}),
    "review_pass": _t({S.REPLIED}, S.CALLBACK, {SUPERVISOR, DIRECTOR}),
    "review_return": _t({S.REPLIED}, S.IN_PROGRESS, {SUPERVISOR, DIRECTOR}),
    "callback": _t({S.CALLBACK}, None, {CLERK, SUPERVISOR, DIRECTOR}),
    "redo": _t({S.CALLBACK}, S.IN_PROGRESS, {SUPERVISOR, DIRECTOR}),
    "close_out": _t({S.CALLBACK}, S.CLOSED, {SUPERVISOR, DIRECTOR}),
    "close_request": _t({S.CALLBACK}, S.CLOSE_PENDING, {SUPERVISOR, DIRECTOR}),
    "close_signoff": _t({S.CLOSE_PENDING}, S.CLOSED, {DIRECTOR}),
    "close_refuse": _t({S.CLOSE_PENDING}, S.CALLBACK, {DIRECTOR}),
    "suspend": _t(_WORKING, None, {SUPERVISOR, DIRECTOR}),
    "resume": _t(_WORKING, None, {SUPERVISOR, DIRECTOR}),
    "mark_major": _t(OPEN_STATUSES, None, {SUPERVISOR, DIRECTOR}),
    "milestone": _t(OPEN_STATUSES, None, {SUPERVISOR, DIRECTOR}),
    "accountability": _t(OPEN_STATUSES | {S.CLOSED}, None, {SUPERVISOR, DIRECTOR}),
    "instruct": _t(OPEN_STATUSES | {S.CLOSED}, None, {LEADER}),
    "link": _t(OPEN_STATUSES | {S.CLOSED, S.NOT_ACCEPTED}, None, {CLERK, SUPERVISOR, DIRECTOR}),
    "merge": _t(OPEN_STATUSES - {S.CLOSE_PENDING}, S.MERGED, {CLERK, SUPERVISOR, DIRECTOR}),
    "ruling": _t(_HANDLING, None, {SUPERVISOR, DIRECTOR}),
    "extension_decide": _t(_HANDLING, None, {DIRECTOR}),
    "attach": _t(OPEN_STATUSES, None, {CLERK, SUPERVISOR, DIRECTOR}),
    "release_attachment": _t(OPEN_STATUSES | {S.CLOSED}, None, {CLERK, SUPERVISOR, DIRECTOR}),
    "reveal_identity": _t(set(S.values), None, {CLERK, SUPERVISOR, DIRECTOR}),
}

_UNIT_ACTORS = {LIAISON, HEAD}

#: Actions of a handling unit on its assignment: (assignment states, new assignment state,
#: roles of that unit). The case moves with its lead (or sole) assignment.
ASSIGNMENT_TRANSITIONS: dict[str, Transition] = {
    "sign": _t({A.PENDING_SIGN}, A.IN_PROGRESS, _UNIT_ACTORS | {HANDLER}),
    "assign_handler": _t({A.PENDING_SIGN, A.IN_PROGRESS}, None, _UNIT_ACTORS),
    "return": _t({A.PENDING_SIGN, A.IN_PROGRESS}, A.RETURN_REQUESTED, _UNIT_ACTORS),
    "progress": _t({A.IN_PROGRESS}, None, _UNIT_ACTORS | {HANDLER}),
    "reply": _t({A.IN_PROGRESS}, A.REPLIED, _UNIT_ACTORS | {HANDLER}),
    "head_approve": _t({A.AWAITING_HEAD}, A.REPLIED, {HEAD}),
    "head_reject": _t({A.AWAITING_HEAD}, A.IN_PROGRESS, {HEAD}),
    "extension_request": _t({A.PENDING_SIGN, A.IN_PROGRESS}, None, _UNIT_ACTORS | {HANDLER}),
    "attach": _t({A.IN_PROGRESS, A.AWAITING_HEAD}, None, _UNIT_ACTORS | {HANDLER}),
}


def case_action_allowed(action: str, *, status: str, roles: frozenset[str]) -> bool:
    t = CASE_TRANSITIONS[action]
    return status in t.sources and bool(t.roles & roles)


def assignment_action_allowed(action: str, *, status: str, roles: frozenset[str]) -> bool:
    t = ASSIGNMENT_TRANSITIONS[action]
    return status in t.sources and bool(t.roles & roles)
