"""The one transition table of a bulletin: for each action, the states it starts from, the
state it leads to and the roles that may take it. Services enforce it; screens ask it what to
offer.

    draft ─submit→ submitted ─approve→ approved ─publish→ published
                   submitted ─reject→ draft
"""

from __future__ import annotations

from dataclasses import dataclass

from xiaoneng.org.choices import OFFICE_ROLES, Role
from xiaoneng.publicity.choices import BulletinStatus as S


@dataclass(frozen=True)
class Transition:
    sources: frozenset[str]
    target: str | None
    roles: frozenset[str]


DIRECTOR = frozenset({Role.OFFICE_DIRECTOR})

TRANSITIONS: dict[str, Transition] = {
    "update": Transition(frozenset({S.DRAFT}), None, frozenset(OFFICE_ROLES)),
    "submit": Transition(frozenset({S.DRAFT}), S.SUBMITTED, frozenset(OFFICE_ROLES)),
    "approve": Transition(frozenset({S.SUBMITTED}), S.APPROVED, DIRECTOR),
    "reject": Transition(frozenset({S.SUBMITTED}), S.DRAFT, DIRECTOR),
    "publish": Transition(frozenset({S.APPROVED}), S.PUBLISHED, DIRECTOR),
}

#: Who may draft a bulletin, and who may read every bulletin.
DRAFT_ROLES = frozenset(OFFICE_ROLES)
READ_ROLES = frozenset(OFFICE_ROLES | {Role.LEADER})


def action_allowed(action: str, *, status: str, roles) -> bool:
    t = TRANSITIONS[action]
    return status in t.sources and bool(t.roles & set(roles))
