"""Reads of the unit tree and the one scope mechanism every later selector uses."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from xiaoneng.org.choices import ADMIN_ROLES, OFFICE_ROLES, READ_ALL_ROLES, Role
from xiaoneng.org.models import Unit, User


def unit_parent_map() -> dict[int, int | None]:
    """{unit id: parent id} for the whole tree, in one query."""
    return dict(Unit.objects.values_list("id", "parent_id"))


def unit_descendant_ids(
    *, unit_ids: set[int], parents: dict[int, int | None] | None = None
) -> set[int]:
    """The given units and every unit below them."""
    parents = unit_parent_map() if parents is None else parents
    children: dict[int | None, list[int]] = {}
    for child, parent in parents.items():
        children.setdefault(parent, []).append(child)
    result: set[int] = set()
    stack = list(unit_ids)
    while stack:
        current = stack.pop()
        if current in result:
            continue
        result.add(current)
        stack.extend(children.get(current, ()))
    return result


def unit_tree(
    *, include_inactive: bool = True, with_member_counts: bool = False
) -> list[tuple[Unit, int]]:
    """All units in tree order, each with its depth (0 for a root).

    ``with_member_counts`` annotates each unit with ``member_count``, the number of active
    accounts whose main unit it is (in the same single query)."""
    qs = Unit.objects.all()
    if with_member_counts:
        qs = qs.annotate(member_count=Count("members", filter=Q(members__is_active=True)))
    units = list(qs)
    if not include_inactive:
        units = [u for u in units if u.is_active]
    by_parent: dict[int | None, list[Unit]] = {}
    ids = {u.id for u in units}
    for unit in units:
        parent = unit.parent_id if unit.parent_id in ids else None
        by_parent.setdefault(parent, []).append(unit)
    ordered: list[tuple[Unit, int]] = []

    def walk(parent: int | None, depth: int) -> None:
        for unit in sorted(by_parent.get(parent, []), key=lambda u: (u.order, u.code)):
            ordered.append((unit, depth))
            walk(unit.id, depth + 1)

    walk(None, 0)
    return ordered


def unit_list(*, active_only: bool = False) -> QuerySet[Unit]:
    qs = Unit.objects.select_related("parent")
    return qs.filter(is_active=True) if active_only else qs


def unit_get(*, pk: int) -> Unit | None:
    return Unit.objects.select_related("parent").filter(pk=pk).first()


def unit_code_map() -> dict[str, Unit]:
    """{code: unit} for the whole tree, in one query (the bulk import resolves codes with it)."""
    return {unit.code: unit for unit in Unit.objects.select_related("parent")}


@dataclass(frozen=True)
class Scope:
    """Which units' business records a user may see and act on.

    ``view_all``/``act_all`` grant every unit; otherwise the id sets list the units.
    The three administrators get an empty scope: they manage the system, not its records.
    """

    view_all: bool
    act_all: bool
    view_unit_ids: frozenset[int]
    act_unit_ids: frozenset[int]

    @property
    def sees_nothing(self) -> bool:
        return not self.view_all and not self.view_unit_ids

    def can_view_unit(self, unit_id: int | None) -> bool:
        return self.view_all or (unit_id is not None and unit_id in self.view_unit_ids)

    def can_act_unit(self, unit_id: int | None) -> bool:
        return self.act_all or (unit_id is not None and unit_id in self.act_unit_ids)

    def unit_q(self, field: str, *, act: bool = False) -> Q:
        """A filter on ``field`` (a lookup path to a Unit) limited to this scope."""
        if self.act_all if act else self.view_all:
            return Q()
        ids = self.act_unit_ids if act else self.view_unit_ids
        if not ids:
            return Q(pk__in=[])
        return Q(**{f"{field}__in": sorted(ids)})

    def filter(self, qs: QuerySet, field: str = "unit", *, act: bool = False) -> QuerySet:
        """``qs`` limited to the records of units in scope (``distinct`` for to-many paths)."""
        return qs.filter(self.unit_q(field, act=act))


EMPTY_SCOPE = Scope(False, False, frozenset(), frozenset())


def user_unit_ids(*, user: User) -> set[int]:
    ids = set(user.additional_units.values_list("id", flat=True))
    if user.unit_id:
        ids.add(user.unit_id)
    return ids


def user_scope(*, user) -> Scope:
    """The scope of ``user``: office roles see and act on all units; leaders see all and act
    on none; unit roles see and act on their own units, unit heads also on their sections;
    efficiency supervisors work on what they are assigned (no unit scope); the three
    administrators see no business records. Cached on the user object for the request."""
    if user is None or not user.is_authenticated or not user.is_active:
        return EMPTY_SCOPE
    cached = getattr(user, "_xn_scope", None)
    if cached is not None:
        return cached
    roles = user.roles
    view_all = bool(roles & (OFFICE_ROLES | READ_ALL_ROLES))
    act_all = bool(roles & OFFICE_ROLES)
    own: set[int] = set()
    if roles & {Role.UNIT_LIAISON, Role.HANDLER, Role.UNIT_HEAD}:
        own = user_unit_ids(user=user)
        if Role.UNIT_HEAD in roles:
            own = unit_descendant_ids(unit_ids=own)
    if roles & ADMIN_ROLES and not roles - ADMIN_ROLES:
        scope = EMPTY_SCOPE
    else:
        scope = Scope(view_all, act_all, frozenset(own), frozenset(own))
    user._xn_scope = scope
    return scope


def user_list(
    *, search: str = "", unit_id: int | None = None, role: str = "", active: bool | None = None
) -> QuerySet[User]:
    qs = User.objects.select_related("unit").prefetch_related("role_assignments")
    if search:
        qs = qs.filter(
            Q(username__icontains=search) | Q(name__icontains=search) | Q(phone__icontains=search)
        )
    if unit_id:
        qs = qs.filter(Q(unit_id=unit_id) | Q(additional_units__id=unit_id)).distinct()
    if role:
        qs = qs.filter(role_assignments__role=role)
    if active is not None:
        qs = qs.filter(is_active=active)
    return qs.order_by("unit__order", "unit__code", "username")


def users_with_role(*, role: str, unit_id: int | None = None) -> QuerySet[User]:
    qs = User.objects.filter(is_active=True, role_assignments__role=role)
    if unit_id is not None:
        qs = qs.filter(Q(unit_id=unit_id) | Q(additional_units__id=unit_id))
    return qs.distinct()


def user_get(*, pk: int) -> User | None:
    """One account with what its detail page shows."""
    return (
        User.objects.select_related("unit", "unit__parent")
        .prefetch_related("role_assignments", "additional_units")
        .filter(pk=pk)
        .first()
    )


def usernames_existing(*, usernames: set[str]) -> set[str]:
    """Which of ``usernames`` are taken already."""
    names = sorted(usernames)
    taken: set[str] = set()
    for start in range(0, len(names), 500):
        chunk = names[start : start + 500]
        taken.update(User.objects.filter(username__in=chunk).values_list("username", flat=True))
    return taken
