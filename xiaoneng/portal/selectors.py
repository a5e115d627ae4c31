"""Reads of the portal: its settings, what the complaint form offers, the blocklist, the
public information pages (bulletins, rules, statistics) and the complainant's case. Only
public facts leave here; the complainant's case is read through ``xiaoneng.cases.public``."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.core.cache import cache
from django.db.models import Q, QuerySet
from django.utils import timezone, translation

from xiaoneng.cases.models import Category
from xiaoneng.cases.protection import normalise_phone
from xiaoneng.cases.public import case_public_view, case_rating_round
from xiaoneng.cases.statistics import Statistics, public_unit_statistics
from xiaoneng.org.choices import OFFICE_ROLES, Role, UnitKind
from xiaoneng.org.models import Unit
from xiaoneng.org.selectors import unit_tree
from xiaoneng.portal.choices import BlockKind, StatisticsPeriod
from xiaoneng.portal.models import BlockRule, PortalSettings, PublicAccess, PublicRating

#: Who manages the blocklist (the office), and who changes the portal's settings.
BLOCKLIST_ROLES = OFFICE_ROLES
SETTINGS_ROLES = frozenset({Role.OFFICE_DIRECTOR})

#: The units the public can name: departments, towns, sub-districts and other bodies (not
#: the district as a whole, not the internal sections).
PUBLIC_UNIT_KINDS = (UnitKind.DEPARTMENT, UnitKind.TOWN, UnitKind.SUBDISTRICT, UnitKind.OTHER)


def portal_settings() -> PortalSettings:
    settings, _created = PortalSettings.objects.get_or_create(id=1)
    return settings


def can_manage_blocklist(user) -> bool:
    return bool(user.is_authenticated and user.roles & BLOCKLIST_ROLES)


def can_reissue_access(user) -> bool:
    """Office roles give a complainant who lost the receipt a new query password."""
    return bool(user.is_authenticated and user.roles & OFFICE_ROLES)


def can_change_settings(user) -> bool:
    return bool(user.is_authenticated and user.roles & SETTINGS_ROLES)


# --- what the complaint form offers ----------------------------------------------------------


def public_units() -> QuerySet[Unit]:
    return Unit.objects.filter(is_active=True, kind__in=PUBLIC_UNIT_KINDS)


def public_units_ordered() -> list[Unit]:
    """The units the public can complain about, in the order of the unit tree."""
    return [
        unit for unit, _depth in unit_tree(include_inactive=False) if unit.kind in PUBLIC_UNIT_KINDS
    ]


def unit_search(*, q: str, limit: int = 30) -> list[Unit]:
    """Units whose name or short name contains ``q`` (all of them for an empty query)."""
    units = public_units_ordered()
    q = (q or "").strip().casefold()
    if q:
        units = [u for u in units if q in u.name.casefold() or q in u.short_name.casefold()]
    return units[:limit]


def public_categories() -> QuerySet[Category]:
    return Category.objects.filter(is_active=True).order_by("order", "code")


def category_label(category: Category) -> str:
    """The category's name in the reader's language (the English name when there is one)."""
    if translation.get_language() == "en" and category.name_en:
        return category.name_en
    return category.name


# --- the blocklist ---------------------------------------------------------------------------


def block_rules_active(*, now: datetime | None = None) -> QuerySet[BlockRule]:
    now = now or timezone.now()
    return BlockRule.objects.filter(lifted_at__isnull=True).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now)
    )


def block_list(*, include_inactive: bool = False) -> QuerySet[BlockRule]:
    qs = BlockRule.objects.select_related("created_by", "lifted_by")
    return qs if include_inactive else block_rules_active().select_related("created_by")


def block_match(
    *, ip: str | None, phone: str = "", texts: tuple[str, ...] = (), now: datetime | None = None
) -> BlockRule | None:
    """The first rule in force that refuses a submission from ``ip`` with ``phone`` whose
    free text is ``texts``, or None."""
    address = None
    if ip:
        try:
            address = ipaddress.ip_address(ip)
        except ValueError:
            address = None
    phone = normalise_phone(phone)
    haystack = "\n".join(t for t in texts if t).casefold()
    for rule in block_rules_active(now=now).order_by("created_at", "id"):
        if _rule_matches(rule, address, phone, haystack):
            return rule
    return None


def _rule_matches(rule: BlockRule, address, phone: str, haystack: str) -> bool:
    if rule.kind == BlockKind.IP:
        if address is None:
            return False
        try:
            network = ipaddress.ip_network(rule.value, strict=False)
        except ValueError:
            return False
        return address.version == network.version and address in network
    if rule.kind == BlockKind.PHONE:
        return bool(phone) and phone == rule.value
    return rule.kind == BlockKind.KEYWORD and rule.value.casefold() in haystack


# --- the complainant's case ------------------------------------------------------------------


def access_get(*, code: str) -> PublicAccess | None:
    return PublicAccess.objects.select_related("case", "case__category").filter(code=code).first()


def access_rated(*, access: PublicAccess) -> bool:
    """Whether the case's current reply has been rated on the portal."""
    return PublicRating.objects.filter(
        case_id=access.case_id, round=case_rating_round(access.case)
    ).exists()


def access_ratings(*, access: PublicAccess) -> list[PublicRating]:
    return list(PublicRating.objects.filter(case_id=access.case_id).order_by("created_at", "id"))


def case_view_for(*, access: PublicAccess):
    """What the complainant sees of their case (``cases.public.PublicCase``)."""
    return case_public_view(
        case=access.case,
        staff_names=portal_settings().show_handler_names,
        rated=access_rated(access=access),
    )


# --- bulletins ---------------------------------------------------------------------------------


def bulletin_paragraphs(body: str) -> list[str]:
    return [p.strip() for p in (body or "").split("\n\n") if p.strip()]


# --- public statistics -----------------------------------------------------------------------

#: How long the public statistics of a period are served from the cache.
STATISTICS_CACHE_SECONDS = 600


@dataclass(frozen=True)
class PeriodChoice:
    code: str
    start: date
    end: date


def _quarter_start(day: date) -> date:
    return day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)


def statistics_period(code: str, *, today: date | None = None) -> PeriodChoice:
    """The dates of one of the offered periods (an unknown code: this month)."""
    today = today or timezone.localdate()
    month_start = today.replace(day=1)
    if code == StatisticsPeriod.LAST_MONTH:
        end = month_start - timedelta(days=1)
        return PeriodChoice(code, end.replace(day=1), end)
    if code == StatisticsPeriod.THIS_QUARTER:
        return PeriodChoice(code, _quarter_start(today), today)
    if code == StatisticsPeriod.THIS_YEAR:
        return PeriodChoice(code, today.replace(month=1, day=1), today)
    if code == StatisticsPeriod.LAST_YEAR:
        year = today.year - 1
        return PeriodChoice(code, date(year, 1, 1), date(year, 12, 31))
    return PeriodChoice(StatisticsPeriod.THIS_MONTH, month_start, today)


@dataclass(frozen=True)
class PublicStatistics:
    period: PeriodChoice
    statistics: Statistics
    computed_at: datetime


def public_statistics(*, period: PeriodChoice) -> PublicStatistics:
    """The figures per handling unit of a period, as published: counts only, computed from
    the pre-aggregated sums and served from the cache for a few minutes (every visitor of
    the portal asks for the same few periods)."""
    key = f"portal:statistics:{period.start.isoformat()}:{period.end.isoformat()}"
    cached = cache.get(key)
    if cached is None:
        cached = PublicStatistics(
            period=period,
            statistics=public_unit_statistics(start=period.start, end=period.end),
            computed_at=timezone.now(),
        )
        cache.set(key, cached, STATISTICS_CACHE_SECONDS)
    return cached
