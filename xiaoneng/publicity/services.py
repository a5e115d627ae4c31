"""Every state change of a bulletin. Keyword-only, one transaction each, the bulletin locked
(``select_for_update``) and its version checked, the transition table enforced, the audit row
written last. The draft is written from the cases' public facts: category, handling units,
summary, finding, measures and accountability decisions, never the complainant."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from xiaoneng.audit.services import audit_log
from xiaoneng.cases.choices import AccountabilityKind, CaseStatus, Finding
from xiaoneng.cases.models import Case
from xiaoneng.cases.selectors import case_get
from xiaoneng.org.models import User
from xiaoneng.org.services import ConflictError
from xiaoneng.publicity import selectors
from xiaoneng.publicity.choices import BulletinKind, BulletinStatus, Visibility
from xiaoneng.publicity.models import Bulletin, BulletinCase, BulletinSequence, bulletin_number
from xiaoneng.publicity.transitions import DRAFT_ROLES, READ_ROLES, TRANSITIONS

#: Chinese ordinals of the case headings (一、二、…), the official-document convention.
ORDINALS = "一二三四五六七八九十"


class BulletinActionDenied(PermissionDenied):
    """The actor may not take this action on bulletins (views answer 404)."""


class InvalidTransition(ValidationError):
    """The action is not possible in the bulletin's current state."""


# --- helpers ---------------------------------------------------------------------------------


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


def _lock(bulletin: Bulletin | int, version: int | None) -> Bulletin:
    pk = bulletin.pk if isinstance(bulletin, Bulletin) else bulletin
    locked = Bulletin.objects.select_for_update().get(pk=pk)
    if version is not None and locked.version != version:
        raise ConflictError(
            _(
                "Someone else changed this bulletin while you were looking at it. Reload the "
                "page to see what changed, then try again."
            ),
            code="conflict",
        )
    return locked


def _check(action: str, bulletin: Bulletin, actor: User) -> str | None:
    t = TRANSITIONS[action]
    if not (t.roles & actor.roles):
        raise BulletinActionDenied(action)
    if bulletin.status not in t.sources:
        raise InvalidTransition(
            _("This action is not possible while the bulletin is “%(status)s”.")
            % {"status": BulletinStatus(bulletin.status).label},
            code="invalid_transition",
        )
    return t.target


def _save(bulletin: Bulletin, *fields: str) -> None:
    bulletin.version = F("version") + 1
    bulletin.save(update_fields=[*fields, "version"])
    bulletin.refresh_from_db(fields=["version"])


def _audit(action: str, actor: User, bulletin: Bulletin, data: dict | None = None) -> None:
    audit_log(
        action=f"publicity.bulletin.{action}",
        actor=actor,
        obj=bulletin,
        data={"number": bulletin.number, "status": bulletin.status, **(data or {})},
    )


def _required(value: str, field: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: message})
    return value


def _ordinal(index: int) -> str:
    if index < 10:
        return ORDINALS[index]
    tens, ones = divmod(index + 1, 10)
    return (ORDINALS[tens - 1] if tens > 1 else "") + "十" + (ORDINALS[ones - 1] if ones else "")


# --- the draft ---------------------------------------------------------------------------------


def _case_paragraphs(index: int, case: Case) -> list[str]:
    """The paragraphs about one case. Only public facts: the complainant, the complaint's own
    words (content), the reply to the complainant and the persons complained about are left
    out; a person is named only through an accountability decision."""
    units = selectors.case_units(case=case)
    sep = _(", ")
    paragraphs = [f"{_ordinal(index)}、{case.summary}"]
    if units:
        paragraphs.append(
            _("Case %(number)s (category: %(category)s) was handled by %(units)s.")
            % {"number": case.number, "category": case.category.name, "units": sep.join(units)}
        )
    else:
        paragraphs.append(
            _("Case %(number)s (category: %(category)s).")
            % {"number": case.number, "category": case.category.name}
        )
    if case.finding:
        paragraphs.append(
            _("Finding: the complaint was found “%(finding)s”.")
            % {"finding": Finding(case.finding).label}
        )
    if case.measures.strip():
        paragraphs.append(_("Measures taken: %(measures)s") % {"measures": case.measures.strip()})
    for record in selectors.case_accountabilities(case=case):
        values = {"kind": AccountabilityKind(record.kind).label, "unit": record.unit.name}
        if record.person_name:
            values["person"] = record.person_name
            text = _("Accountability: %(person)s of %(unit)s, %(kind)s.") % values
        else:
            text = _("Accountability: %(unit)s, %(kind)s.") % values
        if record.document_number:
            text += _(" (document %(document)s)") % {"document": record.document_number}
        paragraphs.append(text)
    return paragraphs


def bulletin_body_from_cases(cases: Iterable[Case]) -> str:
    """The draft text, in the site's language (the document language)."""
    with translation.override(settings.LANGUAGE_CODE):
        paragraphs = [
            _(
                "To strengthen the building of efficient government organs, the following "
                "typical cases are circulated. All units should learn from them and check "
                "their own work."
            )
        ]
        for index, case in enumerate(cases):
            paragraphs += _case_paragraphs(index, case)
        paragraphs.append(
            _(
                "All units should draw lessons from these cases, rectify similar problems "
                "without delay and keep improving their service."
            )
        )
    return "\n\n".join(paragraphs)


def _default_title() -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return _("Bulletin on typical cases of poor administrative efficiency")


def _visible_closed_cases(actor: User, cases: Iterable[Case | int]) -> list[Case]:
    chosen: list[Case] = []
    seen: set[int] = set()
    for item in cases:
        pk = item.pk if isinstance(item, Case) else item
        if pk in seen:
            continue
        seen.add(pk)
        try:
            case = case_get(user=actor, pk=pk)
        except Http404:
            raise ValidationError(
                {
                    "cases": ValidationError(
                        _("One of the chosen cases does not exist."), code="no_case"
                    )
                }
            ) from None
        if case.status != CaseStatus.CLOSED:
            message = _("Case %(number)s is not closed out; only closed cases go into a bulletin.")
            raise ValidationError(
                {
                    "cases": ValidationError(
                        message % {"number": case.number}, code="case_not_closed"
                    )
                }
            )
        chosen.append(case)
    if not chosen:
        raise ValidationError(
            {"cases": ValidationError(_("Choose at least one closed case."), code="no_cases")}
        )
    return chosen


# --- the services ----------------------------------------------------------------------------


@transaction.atomic
def bulletin_draft(
    *,
    actor: User,
    cases: Iterable[Case | int],
    title: str = "",
    kind: str = BulletinKind.TYPICAL_CASE,
    now: datetime | None = None,
) -> Bulletin:
    """Draft a bulletin from closed cases the actor may see (office roles)."""
    if not (actor.roles & DRAFT_ROLES):
        raise BulletinActionDenied("draft")
    now = _now(now)
    chosen = _visible_closed_cases(actor, cases)
    bulletin = Bulletin.objects.create(
        kind=kind,
        title=(title or "").strip() or _default_title(),
        body=bulletin_body_from_cases(chosen),
        drafted_by=actor,
        drafted_at=now,
    )
    BulletinCase.objects.bulk_create(
        [BulletinCase(bulletin=bulletin, case=case, order=i) for i, case in enumerate(chosen)]
    )
    _audit("draft", actor, bulletin, {"cases": [c.number for c in chosen]})
    return bulletin


@transaction.atomic
def bulletin_update(
    *, actor: User, bulletin: Bulletin | int, title: str, body: str, version: int | None
) -> Bulletin:
    """Edit a draft's title and text."""
    bulletin = _lock(bulletin, version)
    _check("update", bulletin, actor)
    bulletin.title = _required(title, "title", _("Give the bulletin a title."))
    bulletin.body = _required(body, "body", _("Write the text of the bulletin."))
    _save(bulletin, "title", "body")
    _audit("update", actor, bulletin)
    return bulletin


@transaction.atomic
def bulletin_submit(
    *,
    actor: User,
    bulletin: Bulletin | int,
    version: int | None = None,
    now: datetime | None = None,
) -> Bulletin:
    """Submit a draft to the director for approval."""
    bulletin = _lock(bulletin, version)
    bulletin.status = _check("submit", bulletin, actor)
    bulletin.submitted_at = _now(now)
    _save(bulletin, "status", "submitted_at")
    _audit("submit", actor, bulletin)
    return bulletin


def _next_seq(year: int) -> int:
    """The next number of ``year``, gap-free: the row stays locked until commit, so a rolled
    back approval gives its number back and concurrent approvals queue."""
    try:
        with transaction.atomic():
            BulletinSequence.objects.get_or_create(year=year)
    except IntegrityError:
        pass  # created by a concurrent approval; lock it below
    seq = BulletinSequence.objects.select_for_update().get(year=year)
    seq.last += 1
    seq.save(update_fields=["last"])
    return seq.last


@transaction.atomic
def bulletin_approve(
    *,
    actor: User,
    bulletin: Bulletin | int,
    version: int | None = None,
    now: datetime | None = None,
) -> Bulletin:
    """The director approves a submitted bulletin; it takes the next number of the year and
    the director's unit as the issuing office."""
    now = _now(now)
    bulletin = _lock(bulletin, version)
    bulletin.status = _check("approve", bulletin, actor)
    bulletin.year = timezone.localdate(now).year
    bulletin.seq = _next_seq(bulletin.year)
    bulletin.number = bulletin_number(bulletin.year, bulletin.seq)
    bulletin.issuer_name = actor.unit.name if actor.unit_id else ""
    bulletin.approved_by = actor
    bulletin.approved_at = now
    bulletin.reject_note = ""
    _save(
        bulletin,
        "status",
        "year",
        "seq",
        "number",
        "issuer_name",
        "approved_by",
        "approved_at",
        "reject_note",
    )
    _audit("approve", actor, bulletin)
    return bulletin


@transaction.atomic
def bulletin_reject(
    *, actor: User, bulletin: Bulletin | int, note: str, version: int | None = None
) -> Bulletin:
    """The director sends a submitted bulletin back to draft, saying why."""
    bulletin = _lock(bulletin, version)
    target = _check("reject", bulletin, actor)
    bulletin.reject_note = _required(note, "note", _("Say what must change."))
    bulletin.status = target
    bulletin.submitted_at = None
    _save(bulletin, "status", "reject_note", "submitted_at")
    _audit("reject", actor, bulletin)
    return bulletin


@transaction.atomic
def bulletin_publish(
    *,
    actor: User,
    bulletin: Bulletin | int,
    visibility: str,
    version: int | None = None,
    now: datetime | None = None,
) -> Bulletin:
    """The director publishes an approved bulletin, internally or on the portal."""
    bulletin = _lock(bulletin, version)
    target = _check("publish", bulletin, actor)
    if visibility not in Visibility.values:
        raise ValidationError({"visibility": _("Choose where to publish the bulletin.")})
    bulletin.status = target
    bulletin.visibility = visibility
    bulletin.published_by = actor
    bulletin.published_at = _now(now)
    _save(bulletin, "status", "visibility", "published_by", "published_at")
    _audit("publish", actor, bulletin, {"visibility": visibility})
    return bulletin


@transaction.atomic
def bulletin_export(*, actor: User, bulletin: Bulletin) -> bytes:
    """The Word document of the bulletin, for readers of bulletins; each export audited."""
    from xiaoneng.publicity.docx import bulletin_docx

    if not (actor.roles & READ_ROLES):
        raise BulletinActionDenied("export")
    content = bulletin_docx(bulletin)
    _audit("export", actor, bulletin)
    return content
