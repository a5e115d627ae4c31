"""Rate limits of the portal, kept in the database so that every worker process counts the
same events: complaints filed per address and per phone number, wrong passwords per address
and per query code, wrong CAPTCHA answers and new CAPTCHAs per address, additions of
information per case.

Each limit counts ``RateEvent`` rows over a sliding window. The value limited (an address, a
phone number, a code) is stored only as a keyed hash. ``XIAONENG_PORTAL_LIMITS`` in the
settings may override a limit: ``{"file_ip": (5, 3600)}`` (count, window in seconds)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from xiaoneng.portal.models import RateEvent


@dataclass(frozen=True)
class Limit:
    count: int
    window: timedelta


DEFAULT_LIMITS: dict[str, Limit] = {
    # Complaints filed: per address per hour and per day, per phone number per day.
    "file_ip": Limit(5, timedelta(hours=1)),
    "file_ip_day": Limit(20, timedelta(days=1)),
    "file_phone": Limit(3, timedelta(days=1)),
    # Wrong query codes, passwords or link tokens: per address and per query code.
    "lookup_ip": Limit(10, timedelta(minutes=15)),
    "lookup_code": Limit(5, timedelta(minutes=15)),
    # Wrong CAPTCHA answers and CAPTCHAs drawn, per address.
    "captcha_fail_ip": Limit(10, timedelta(minutes=15)),
    "captcha_issue_ip": Limit(60, timedelta(minutes=10)),
    # Additions of information per case.
    "supplement_case": Limit(5, timedelta(days=1)),
}


def limit(name: str) -> Limit:
    override = getattr(settings, "XIAONENG_PORTAL_LIMITS", {}).get(name)
    if override is not None:
        count, seconds = override
        return Limit(int(count), timedelta(seconds=int(seconds)))
    return DEFAULT_LIMITS[name]


def _key(name: str, value: str) -> str:
    return salted_hmac("xiaoneng.portal.limits", f"{name}:{value}", algorithm="sha256").hexdigest()


def limit_reached(name: str, value: str | None, *, now: datetime | None = None) -> bool:
    """Whether ``value`` has used up limit ``name`` (an unknown address counts as one
    shared value, so that requests without one are limited together)."""
    now = now or timezone.now()
    rule = limit(name)
    used = RateEvent.objects.filter(
        scope=name, key=_key(name, value or ""), at__gt=now - rule.window
    ).count()
    return used >= rule.count


def limit_record(name: str, value: str | None, *, now: datetime | None = None) -> None:
    """Count one event of limit ``name`` for ``value`` (committed at once when called
    outside a transaction: a failed attempt counts even though the request fails)."""
    RateEvent.objects.create(scope=name, key=_key(name, value or ""), at=now or timezone.now())


def limit_forget(name: str, value: str | None) -> None:
    """Forget the events of limit ``name`` counted for ``value`` (a fresh start)."""
    RateEvent.objects.filter(scope=name, key=_key(name, value or "")).delete()


@transaction.atomic
def limits_prune(*, now: datetime | None = None) -> int:
    """Delete events older than every window they could count in; returns how many."""
    now = now or timezone.now()
    deleted = 0
    for name in DEFAULT_LIMITS:
        deleted += RateEvent.objects.filter(scope=name, at__lte=now - limit(name).window).delete()[
            0
        ]
    return deleted
