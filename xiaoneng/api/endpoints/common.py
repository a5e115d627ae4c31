"""Helpers every endpoint uses: the acting account, the case through the caller's scope, the
role check, and codes resolved to units and categories. Who sees what is the selectors'
business; an endpoint only adds the role check the screens make before them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from xiaoneng.api import errors
from xiaoneng.api.schemas import ErrorOut
from xiaoneng.cases.models import Case
from xiaoneng.cases.selectors import case_get
from xiaoneng.org.choices import OFFICE_ROLES, READ_ALL_ROLES, UNIT_ROLES
from xiaoneng.org.models import Unit, User
from xiaoneng.org.selectors import unit_code_map

#: Roles that work with cases at all (as on the screens); anyone else gets 403.
CASE_ROLES = OFFICE_ROLES | UNIT_ROLES | READ_ALL_ROLES

#: The error answers every authenticated endpoint may give.
ERROR_CODES = frozenset({400, 401, 403, 404, 409, 413, 422, 429})


def responses(status: int, schema) -> dict:
    """The ``response=`` of an endpoint: its success and every error answer."""
    return {status: schema, ERROR_CODES: ErrorOut}


def actor(request) -> User:
    """The account the request's token acts as."""
    return request.auth.user


def require_roles(user: User, roles: Iterable[str]) -> None:
    if not user.roles & frozenset(roles):
        raise errors.forbidden()


def visible_case(user: User, case_id: int) -> Case:
    """The case if the caller works with cases and may see this one: 403 for a role without
    cases, 404 for a case outside the scope (its existence is not revealed)."""
    require_roles(user, CASE_ROLES)
    return case_get(user=user, pk=case_id)


def invalid(field: str, message: str) -> errors.ApiError:
    return errors.ApiError(
        422,
        "validation_error",
        _("The request is not valid; see the fields."),
        fields={field: [message]},
    )


def units_by_code(codes: Iterable[str], field: str) -> list[Unit]:
    """The units with these codes (any case), in the order given; 422 naming ``field`` for
    a code that names no unit."""
    codes = [c.strip().upper() for c in codes]
    if not codes:
        return []
    known = {code.upper(): unit for code, unit in unit_code_map().items()}
    missing = [c for c in codes if c not in known]
    if missing:
        raise invalid(field, _("No unit has the code %(codes)s.") % {"codes": ", ".join(missing)})
    return [known[c] for c in codes]


def unit_by_code(code: str | None, field: str) -> Unit | None:
    if not code:
        return None
    return units_by_code([code], field)[0]


def with_fields(exc: ValidationError, aliases: Mapping[str, str]) -> ValidationError:
    """``exc`` with its field names as the request spells them (``complainant_name`` →
    ``complainant.name``), for a 422 that names the right field."""
    if not hasattr(exc, "error_dict"):
        return exc
    return ValidationError(
        {aliases.get(name, name): errors_ for name, errors_ in exc.error_dict.items()}
    )
