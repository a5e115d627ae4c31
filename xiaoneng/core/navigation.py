"""The staff menu: each entry names the roles that see it. Apps add their entries here."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from xiaoneng.org.choices import ADMIN_ROLES, OFFICE_ROLES, Role


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url_name: str
    roles: frozenset[str]
    icon: str = "circle"


NAV_ITEMS: tuple[NavItem, ...] = (
    NavItem(_("Home"), "core:home", frozenset(Role.values), "house"),
    NavItem(
        _("Work queues"),
        "cases:queues",
        frozenset(OFFICE_ROLES | {Role.LEADER, Role.UNIT_LIAISON, Role.HANDLER, Role.UNIT_HEAD}),
        "inboxes",
    ),
    NavItem(
        _("Register a case"), "cases:case_create", frozenset({Role.INTAKE_CLERK}), "plus-square"
    ),
    NavItem(
        _("Cases"),
        "cases:case_list",
        frozenset(OFFICE_ROLES | {Role.LEADER, Role.UNIT_LIAISON, Role.HANDLER, Role.UNIT_HEAD}),
        "folder2-open",
    ),
    NavItem(
        _("Ledger"),
        "cases:ledger",
        frozenset(OFFICE_ROLES | {Role.LEADER, Role.UNIT_LIAISON, Role.UNIT_HEAD}),
        "table",
    ),
    NavItem(
        _("Statistics"),
        "cases:statistics",
        frozenset(OFFICE_ROLES | {Role.LEADER, Role.UNIT_HEAD}),
        "bar-chart",
    ),
    NavItem(
        _("Monthly report"),
        "cases:report_month",
        frozenset(OFFICE_ROLES | {Role.LEADER}),
        "file-earmark-text",
    ),
    NavItem(
        _("Bulletins"),
        "publicity:bulletin_list",
        frozenset(OFFICE_ROLES | {Role.LEADER}),
        "megaphone",
    ),
    NavItem(
        _("Assessment"),
        "assessments:scheme_list",
        frozenset(Role.values) - ADMIN_ROLES,
        "clipboard-data",
    ),
    NavItem(_("Case settings"), "cases:settings", frozenset({Role.OFFICE_DIRECTOR}), "sliders"),
    NavItem(_("Portal blocklist"), "portal:block_list", OFFICE_ROLES, "slash-circle"),
    NavItem(_("Portal settings"), "portal:settings", frozenset({Role.OFFICE_DIRECTOR}), "globe2"),
    NavItem(_("Units"), "org:unit_list", frozenset({Role.SYSTEM_ADMIN}), "diagram-3"),
    NavItem(
        _("Accounts"),
        "org:user_list",
        frozenset({Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN}),
        "people",
    ),
    NavItem(
        _("Security policy"),
        "accounts:policy_edit",
        frozenset({Role.SECURITY_ADMIN}),
        "shield-lock",
    ),
    NavItem(_("Locked accounts"), "accounts:lock_list", frozenset({Role.SECURITY_ADMIN}), "lock"),
    NavItem(
        _("Working-day calendar"),
        "workdays:calendar",
        frozenset(OFFICE_ROLES | {Role.LEADER, Role.SYSTEM_ADMIN}),
        "calendar3",
    ),
    NavItem(
        _("Open311 interface"),
        "open311:manage",
        frozenset({Role.OFFICE_DIRECTOR, Role.SYSTEM_ADMIN}),
        "plug",
    ),
    NavItem(_("Audit log"), "audit:entry_list", frozenset({Role.AUDIT_ADMIN}), "journal-check"),
    NavItem(
        _("Service accounts"), "api:service_account_list", frozenset({Role.SYSTEM_ADMIN}), "robot"
    ),
    NavItem(_("API tokens"), "api:token_list", frozenset(Role.values), "key"),
)


def nav_for(user, path: str = "") -> list[dict]:
    """The menu entries ``user`` may open, with their URLs resolved; the entry whose URL
    starts the current ``path`` (the longest such) is marked active."""
    if not user.is_authenticated:
        return []
    roles = user.roles
    items = []
    for item in NAV_ITEMS:
        if not roles & item.roles:
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        items.append({"label": item.label, "url": url, "icon": item.icon, "active": False})
    matches = [
        i for i in items if path == i["url"] or (i["url"] != "/" and path.startswith(i["url"]))
    ]
    if matches:
        max(matches, key=lambda i: len(i["url"]))["active"] = True
    return items


def is_admin_only(user) -> bool:
    return bool(user.roles) and user.roles <= ADMIN_ROLES
