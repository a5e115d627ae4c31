"""The registry of audit action codes and their labels.

Audit rows store stable dotted codes (``org.user.create``); the audit screen shows them in the
reader's language through this registry. An app registers its codes from its
``AppConfig.ready()``::

    from xiaoneng.audit.actions import register_actions

    register_actions({"cases.case.register": _("Case registered")})

A code nobody registered is shown as the code itself.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from django.apps import apps
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from xiaoneng.audit.chain import ACTION_CODE

_REGISTRY: dict[str, str | Promise] = {}
_VIEW_PROTECTED = re.compile(
    r"^(?P<app>[a-z][a-z0-9_]*)\.(?P<model>[a-z][a-z0-9_]*)\.view_protected$"
)


def register_actions(actions: Mapping[str, str | Promise]) -> None:
    """Add ``{code: label}`` pairs (labels translatable, e.g. ``gettext_lazy``).

    Registering a code again replaces its label, so calling this twice is harmless."""
    for code in actions:
        if not ACTION_CODE.match(code):
            raise ValueError(f"not an audit action code: {code!r}")
    _REGISTRY.update(actions)


def action_label(code: str) -> str:
    """The label of ``code`` in the active language; the code itself when unknown."""
    label = _REGISTRY.get(code)
    if label is not None:
        return str(label)
    match = _VIEW_PROTECTED.match(code)
    if match:
        try:
            model = apps.get_model(match["app"], match["model"])
        except LookupError:
            return code
        return gettext("Viewed protected data: %(model)s") % {"model": model._meta.verbose_name}
    return code


def known_actions() -> list[tuple[str, str]]:
    """Every registered ``(code, label)``, sorted by code, labels in the active language."""
    return [(code, str(label)) for code, label in sorted(_REGISTRY.items())]


register_actions(
    {
        # units and accounts (xiaoneng.org)
        "org.unit.create": _("Unit created"),
        "org.unit.update": _("Unit changed"),
        "org.unit.activate": _("Unit activated"),
        "org.unit.deactivate": _("Unit deactivated"),
        "org.user.create": _("Account created"),
        "org.user.update": _("Account changed"),
        "org.user.roles": _("Roles changed"),
        "org.user.activate": _("Account activated"),
        "org.user.deactivate": _("Account deactivated"),
        "org.user.password_reset": _("Password reset by an administrator"),
        "org.import.apply": _("Units and accounts imported"),
        # signing in (xiaoneng.accounts)
        "auth.login": _("Logged in"),
        "auth.login_failed": _("Failed login"),
        "auth.logout": _("Logged out"),
        "auth.lockout": _("Account locked after failed logins"),
        "auth.unlock": _("Account unlocked"),
        "auth.session_timeout": _("Session ended by the security policy"),
        "auth.password_change": _("Password changed"),
        "accounts.policy.update": _("Security policy changed"),
        # working-day calendar (xiaoneng.workdays)
        "workdays.override.set": _("Working-day exception set"),
        "workdays.override.delete": _("Working-day exception removed"),
        "workdays.year.enter": _("Holiday schedule of a year entered"),
        # the audit log itself
        "audit.export_head": _("Audit chain head exported"),
        "audit.verify": _("Audit chain verified"),
    }
)
