"""Every change to units and accounts. Each service validates, saves and writes its audit
row in one transaction."""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Iterable

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from xiaoneng.audit.services import audit_log
from xiaoneng.org.choices import ADMIN_ROLES, Role, UnitKind
from xiaoneng.org.imports import ParsedImport, RowError
from xiaoneng.org.models import RoleAssignment, Unit, User
from xiaoneng.org.selectors import unit_code_map, unit_descendant_ids, usernames_existing


class ConflictError(ValidationError):
    """Someone else changed the record since the form was loaded."""


def _check_version(obj, expected: int | None) -> None:
    if expected is not None and obj.version != expected:
        raise ConflictError(
            _(
                "Someone else changed this record while you were editing it. "
                "Reload the page to see their change, then apply yours again."
            ),
            code="conflict",
        )


# --- units -------------------------------------------------------------------------------

_UNIT_FIELDS = ("parent", "code", "name", "short_name", "kind", "order")


def _validate_unit(unit: Unit) -> None:
    if unit.parent_id:
        if unit.pk and unit.parent_id in unit_descendant_ids(unit_ids={unit.pk}):
            raise ValidationError(
                {"parent": _("A unit cannot be placed under itself or its own sections.")}
            )
        if unit.kind == UnitKind.DISTRICT:
            raise ValidationError(
                {"kind": _("A district is the top of the tree and has no parent unit.")}
            )
    unit.full_clean()


@transaction.atomic
def unit_create(
    *,
    actor: User | None,
    code: str,
    name: str,
    kind: str,
    parent: Unit | None = None,
    short_name: str = "",
    order: int = 0,
) -> Unit:
    unit = Unit(
        parent=parent,
        code=code.strip(),
        name=name.strip(),
        short_name=short_name.strip(),
        kind=kind,
        order=order,
    )
    _validate_unit(unit)
    unit.save()
    audit_log(
        action="org.unit.create",
        actor=actor,
        obj=unit,
        unit=unit,
        data={
            "code": unit.code,
            "name": unit.name,
            "kind": unit.kind,
            "parent": parent.code if parent else None,
        },
    )
    return unit


@transaction.atomic
def unit_update(*, actor: User | None, unit: Unit, version: int | None = None, **changes) -> Unit:
    unit = Unit.objects.select_for_update().get(pk=unit.pk)
    _check_version(unit, version)
    before = {f: getattr(unit, f + "_id" if f == "parent" else f) for f in changes}
    for field, value in changes.items():
        if field not in _UNIT_FIELDS:
            raise ValueError(field)
        setattr(unit, field, value.strip() if isinstance(value, str) else value)
    _validate_unit(unit)
    unit.version = F("version") + 1
    unit.save()
    unit.refresh_from_db()
    after = {f: getattr(unit, f + "_id" if f == "parent" else f) for f in changes}
    diff = {f: [before[f], after[f]] for f in changes if before[f] != after[f]}
    audit_log(action="org.unit.update", actor=actor, obj=unit, unit=unit, data={"changes": diff})
    return unit


@transaction.atomic
def unit_set_active(*, actor: User | None, unit: Unit, active: bool) -> Unit:
    unit = Unit.objects.select_for_update().get(pk=unit.pk)
    if not active and unit.children.filter(is_active=True).exists():
        raise ValidationError(_("Deactivate the unit's active sections first."))
    if not active and unit.members.filter(is_active=True).exists():
        raise ValidationError(
            _("The unit still has active accounts; move or deactivate them first.")
        )
    if active and unit.parent_id and not unit.parent.is_active:
        raise ValidationError(_("Activate the parent unit first."))
    unit.is_active = active
    unit.version = F("version") + 1
    unit.save(update_fields=["is_active", "version"])
    unit.refresh_from_db()
    audit_log(
        action="org.unit.activate" if active else "org.unit.deactivate",
        actor=actor,
        obj=unit,
        unit=unit,
        data={"code": unit.code},
    )
    return unit


# --- accounts ----------------------------------------------------------------------------


def validate_role_set(roles: Iterable[str]) -> set[str]:
    """The three administrator roles exclude each other and every business role (三员分立)."""
    roles = set(roles)
    unknown = roles - set(Role.values)
    if unknown:
        raise ValidationError(_("Unknown role: %(role)s") % {"role": ", ".join(sorted(unknown))})
    admin = roles & ADMIN_ROLES
    if len(admin) > 1 or (admin and roles - ADMIN_ROLES):
        raise ValidationError(
            _(
                "The system, security and audit administrator roles are separated duties: "
                "an account holds at most one of them and no other role."
            ),
            code="separated_duties",
        )
    return roles


def _check_role_grant(*, actor: User | None, user: User, before: set[str], after: set[str]) -> None:
    """System administrators grant business roles; security administrators grant the three
    administrator roles; nobody changes their own roles. ``actor=None`` is the command line."""
    if actor is None:
        return
    if actor.pk == user.pk and before != after:
        raise ValidationError(_("You cannot change your own roles."), code="own_roles")
    changed = before ^ after
    if changed & ADMIN_ROLES and not actor.has_role(Role.SECURITY_ADMIN):
        raise ValidationError(
            _("Only the security administrator grants or removes administrator roles."),
            code="admin_roles",
        )
    if changed - ADMIN_ROLES and not actor.has_role(Role.SYSTEM_ADMIN):
        raise ValidationError(
            _("Only the system administrator grants or removes business roles."),
            code="business_roles",
        )


def _check_admin_account(*, actor: User | None, user: User) -> None:
    """Nobody signed in to the web activates, deactivates or sets the password of an account
    that holds an administrator role: otherwise one administrator could take over another's
    duties. The command line (``create_admin``, ``actor=None``) does it; to retire an
    administrator, the security administrator first removes the role."""
    if actor is None:
        return
    held = set(user.role_assignments.values_list("role", flat=True))
    if held & ADMIN_ROLES:
        raise ValidationError(
            _(
                "This account holds an administrator role. Its password and activation are "
                "managed from the command line (create_admin); to retire it, the security "
                "administrator removes the role first."
            ),
            code="admin_account",
        )


def _set_roles(user: User, roles: set[str]) -> None:
    current = set(user.role_assignments.values_list("role", flat=True))
    RoleAssignment.objects.filter(user=user, role__in=current - roles).delete()
    RoleAssignment.objects.bulk_create(
        [RoleAssignment(user=user, role=r) for r in sorted(roles - current)]
    )
    user.__dict__.pop("roles", None)
    user.__dict__.pop("_xn_scope", None)


@transaction.atomic
def user_create(
    *,
    actor: User | None,
    username: str,
    name: str,
    unit: Unit | None,
    password: str | None = None,
    phone: str = "",
    email: str = "",
    title: str = "",
    roles: Iterable[str] = (),
    additional_units: Iterable[Unit] = (),
    must_change_password: bool = True,
    language: str = "",
) -> User:
    roles = validate_role_set(roles)
    user = User(
        username=username.strip(),
        name=name.strip(),
        unit=unit,
        phone=phone.strip(),
        email=email.strip(),
        title=title.strip(),
        must_change_password=must_change_password,
        language=language,
    )
    if unit is None and not roles & ADMIN_ROLES:
        raise ValidationError({"unit": _("Every staff account belongs to a unit.")})
    if unit is not None and not unit.is_active:
        raise ValidationError({"unit": _("The unit is deactivated.")})
    _check_role_grant(actor=actor, user=user, before=set(), after=roles)
    user.full_clean(exclude=["password"])
    if password:
        validate_password(password, user)
        user.set_password(password)
        user.password_changed_at = timezone.now()
    else:
        user.set_unusable_password()
    user.save()
    user.additional_units.set(list(additional_units))
    _set_roles(user, roles)
    audit_log(
        action="org.user.create",
        actor=actor,
        obj=user,
        unit=unit,
        data={
            "username": user.username,
            "unit": unit.code if unit else None,
            "roles": sorted(roles),
        },
    )
    return user


_USER_FIELDS = ("name", "phone", "email", "title", "unit", "language")


@transaction.atomic
def user_update(
    *,
    actor: User | None,
    user: User,
    version: int | None = None,
    additional_units: Iterable[Unit] | None = None,
    **changes,
) -> User:
    user = User.objects.select_for_update().get(pk=user.pk)
    _check_version(user, version)
    for field, value in changes.items():
        if field not in _USER_FIELDS:
            raise ValueError(field)
        setattr(user, field, value.strip() if isinstance(value, str) else value)
    if "unit" in changes and changes["unit"] is not None and not changes["unit"].is_active:
        raise ValidationError({"unit": _("The unit is deactivated.")})
    user.full_clean(exclude=["password"])
    user.version = F("version") + 1
    user.save()
    if additional_units is not None:
        user.additional_units.set(list(additional_units))
    user.refresh_from_db()
    audit_log(
        action="org.user.update",
        actor=actor,
        obj=user,
        unit=user.unit,
        data={
            "fields": sorted(changes)
            + (["additional_units"] if additional_units is not None else [])
        },
    )
    return user


@transaction.atomic
def user_set_roles(
    *, actor: User | None, user: User, roles: Iterable[str], version: int | None = None
) -> User:
    user = User.objects.select_for_update().get(pk=user.pk)
    _check_version(user, version)
    roles = validate_role_set(roles)
    before = set(user.role_assignments.values_list("role", flat=True))
    _check_role_grant(actor=actor, user=user, before=before, after=roles)
    _set_roles(user, roles)
    User.objects.filter(pk=user.pk).update(version=F("version") + 1)
    audit_log(
        action="org.user.roles",
        actor=actor,
        obj=user,
        unit=user.unit,
        data={"added": sorted(roles - before), "removed": sorted(before - roles)},
    )
    return user


@transaction.atomic
def user_set_active(*, actor: User | None, user: User, active: bool) -> User:
    user = User.objects.select_for_update().get(pk=user.pk)
    if actor is not None and actor.pk == user.pk and not active:
        raise ValidationError(_("You cannot deactivate your own account."))
    _check_admin_account(actor=actor, user=user)
    user.is_active = active
    user.version = F("version") + 1
    user.save(update_fields=["is_active", "version"])
    user.refresh_from_db()
    audit_log(
        action="org.user.activate" if active else "org.user.deactivate",
        actor=actor,
        obj=user,
        unit=user.unit,
        data={"username": user.username},
    )
    return user


@transaction.atomic
def user_reset_password(*, actor: User | None, user: User, password: str) -> User:
    """Set a temporary password that the person must change at the next login."""
    user = User.objects.select_for_update().get(pk=user.pk)
    _check_admin_account(actor=actor, user=user)
    validate_password(password, user)
    from xiaoneng.accounts.services import password_history_push

    password_history_push(user=user)
    user.set_password(password)
    user.password_changed_at = timezone.now()
    user.must_change_password = True
    user.version = F("version") + 1
    user.save(update_fields=["password", "password_changed_at", "must_change_password", "version"])
    user.refresh_from_db()
    audit_log(
        action="org.user.password_reset",
        actor=actor,
        obj=user,
        unit=user.unit,
        data={"username": user.username},
    )
    return user


def user_set_language(*, user: User, language: str) -> None:
    """Remember the interface language a person chose (not audited: a preference, not a change
    of rights or records)."""
    if user.language != language:
        User.objects.filter(pk=user.pk).update(language=language)
        user.language = language


#: Letters and digits that cannot be mistaken for each other when read out or copied.
_PASSWORD_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz"
_PASSWORD_DIGITS = "23456789"
_PASSWORD_SYMBOLS = "#%+-=@"


def temporary_password_generate(*, user: User | None = None, length: int = 14) -> str:
    """A random temporary password with every character class, that passes the password
    validators in force (the person changes it at the first sign-in)."""
    rng = secrets.SystemRandom()
    pool = _PASSWORD_LETTERS + _PASSWORD_DIGITS + _PASSWORD_SYMBOLS
    for attempt in range(20):
        chars = [
            rng.choice(_PASSWORD_LETTERS[:24]),
            rng.choice(_PASSWORD_LETTERS[24:]),
            rng.choice(_PASSWORD_DIGITS),
            rng.choice(_PASSWORD_SYMBOLS),
        ]
        chars += [rng.choice(pool) for _i in range(length + attempt // 5 - len(chars))]
        rng.shuffle(chars)
        password = "".join(chars)
        try:
            validate_password(password, user)
        except ValidationError:
            continue
        return password
    raise RuntimeError("No generated password satisfies the password validators.")


# --- bulk import -------------------------------------------------------------------------


class ImportApplyError(Exception):
    """A row failed while being written; the whole import was rolled back."""

    def __init__(self, errors: list[RowError]):
        super().__init__(errors)
        self.errors = errors


@dataclasses.dataclass
class ImportResult:
    units_created: list[str] = dataclasses.field(default_factory=list)
    units_updated: list[str] = dataclasses.field(default_factory=list)
    units_unchanged: list[str] = dataclasses.field(default_factory=list)
    users_created: list[str] = dataclasses.field(default_factory=list)
    #: (sheet row, login name) of the accounts that existed already and were left unchanged.
    users_skipped: list[tuple[int, str]] = dataclasses.field(default_factory=list)
    #: The generated initial passwords, to be shown once: username, name, unit_code, password.
    passwords: list[dict[str, str]] = dataclasses.field(default_factory=list)


def _row_errors(row, exc: ValidationError) -> ImportApplyError:
    return ImportApplyError([RowError(row.sheet, row.row, message) for message in exc.messages])


@transaction.atomic
def org_import_apply(*, actor: User | None, parsed: ParsedImport) -> ImportResult:
    """Write a validated workbook: units first, parents before their sections (existing codes
    are updated), then the accounts (existing login names are skipped and reported). Every row
    goes through ``unit_create``/``unit_update``/``user_create`` and is audited; any failure
    rolls back the whole import."""
    if parsed.errors:
        raise ValueError("A workbook with errors cannot be imported.")
    result = ImportResult()
    by_code = unit_code_map()
    for row in parsed.units:
        parent = by_code[row.parent_code] if row.parent_code else None
        existing = by_code.get(row.code)
        try:
            if existing is None:
                unit = unit_create(
                    actor=actor,
                    code=row.code,
                    name=row.name,
                    kind=row.kind,
                    parent=parent,
                    short_name=row.short_name,
                    order=row.order,
                )
                result.units_created.append(unit.code)
            else:
                wanted = {
                    "name": row.name,
                    "short_name": row.short_name,
                    "kind": row.kind,
                    "order": row.order,
                    "parent": parent,
                }
                changes = {
                    key: value
                    for key, value in wanted.items()
                    if (value.pk if key == "parent" and value else value)
                    != (existing.parent_id if key == "parent" else getattr(existing, key))
                }
                if changes:
                    unit = unit_update(actor=actor, unit=existing, **changes)
                    result.units_updated.append(unit.code)
                else:
                    unit = existing
                    result.units_unchanged.append(unit.code)
        except ValidationError as exc:
            raise _row_errors(row, exc) from exc
        by_code[unit.code] = unit
    taken = usernames_existing(usernames={row.username for row in parsed.staff})
    for row in parsed.staff:
        if row.username in taken:
            result.users_skipped.append((row.row, row.username))
            continue
        password = row.password or temporary_password_generate()
        try:
            user = user_create(
                actor=actor,
                username=row.username,
                name=row.name,
                unit=by_code[row.unit_code],
                password=password,
                phone=row.phone,
                email=row.email,
                title=row.title,
                roles=row.roles,
                must_change_password=True,
            )
        except ValidationError as exc:
            raise _row_errors(row, exc) from exc
        result.users_created.append(user.username)
        if not row.password:
            result.passwords.append(
                {
                    "username": user.username,
                    "name": user.name,
                    "unit_code": row.unit_code,
                    "password": password,
                }
            )
    audit_log(
        action="org.import.apply",
        actor=actor,
        data={
            "units_created": len(result.units_created),
            "units_updated": len(result.units_updated),
            "users_created": len(result.users_created),
            "users_skipped": [username for _row, username in result.users_skipped],
        },
    )
    return result
