"""Every write of the portal: filing a complaint (with its one-time form, CAPTCHA, blocklist
and rate limits), opening a case with its query code and password or its secret link,
rating a reply, adding information, and the office's blocklist and portal settings.

Filing is one transaction that first claims the form's one-time nonce (so a second request
with the same form waits for the first and gets its filing), then checks the CAPTCHA, the
blocklist and the rate limits and registers the case with its files and its access. Whatever
the outcome, the CAPTCHA is used up and a wrong answer counts against the address: those
writes are made again after a failed transaction has rolled back."""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from xiaoneng.audit.services import audit_log
from xiaoneng.cases.models import Case, Category
from xiaoneng.cases.public import (
    case_rate_public,
    case_register_public,
    case_supplement_public,
    files_discard,
    public_account,
)
from xiaoneng.cases.services import ComplainantData
from xiaoneng.org.models import Unit, User
from xiaoneng.org.services import ConflictError
from xiaoneng.portal import captcha
from xiaoneng.portal.choices import BlockKind
from xiaoneng.portal.limits import limit_forget, limit_reached, limit_record, limits_prune
from xiaoneng.portal.models import (
    BlockRule,
    CaptchaChallenge,
    PortalSettings,
    PublicAccess,
    PublicRating,
    Submission,
)
from xiaoneng.portal.selectors import (
    block_match,
    block_rules_active,
    can_change_settings,
    can_manage_blocklist,
    can_reissue_access,
    normalise_phone,
    portal_settings,
)

logger = logging.getLogger(__name__)

#: Query codes and passwords use letters and digits that cannot be mistaken for each other.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 12
PASSWORD_LENGTH = 10
CAPTCHA_LIFETIME = timedelta(minutes=20)


class PortalDenied(PermissionDenied):
    """A staff member without the role for a portal management action (views answer 404)."""


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


def _random(length: int) -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


def normalise_code(value: str) -> str:
    """A query code or password as typed: without spaces or dashes, in capitals."""
    return "".join(c for c in (value or "").upper() if c.isalnum())[:32]


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _refused(message: str, code: str) -> ValidationError:
    return ValidationError(message, code=code)


# --- CAPTCHA ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Challenge:
    key: str
    image: str  # a data: URI of the PNG


def captcha_issue(*, ip: str | None, now: datetime | None = None) -> Challenge | None:
    """A new CAPTCHA for a form; None when this address has drawn too many lately."""
    now = _now(now)
    if limit_reached("captcha_issue_ip", ip, now=now):
        return None
    limit_record("captcha_issue_ip", ip, now=now)
    key = secrets.token_urlsafe(24)
    answer = captcha.new_answer()
    CaptchaChallenge.objects.create(
        key=key,
        answer_hash=captcha.answer_hash(key, answer),
        created_at=now,
        expires_at=now + CAPTCHA_LIFETIME,
    )
    return Challenge(key=key, image=captcha.data_uri(captcha.render_png(answer)))


def _captcha_error(message: str, code: str) -> ValidationError:
    return ValidationError({"captcha": _refused(message, code)})


def captcha_verify(*, key: str, answer: str, now: datetime | None = None) -> None:
    """Check an answer and use the challenge up (in the caller's transaction; a caller
    whose transaction fails deletes it again with ``captcha_discard``). Raises a
    ValidationError on the ``captcha`` field when it is wrong, expired or unknown."""
    now = _now(now)
    challenge = CaptchaChallenge.objects.select_for_update().filter(key=(key or "")[:64]).first()
    if challenge is not None:
        CaptchaChallenge.objects.filter(pk=challenge.pk).delete()
    if challenge is None or challenge.expires_at <= now:
        raise _captcha_error(
            _("The verification image has expired. Type the characters of the new one."),
            "captcha_expired",
        )
    if not captcha.answer_matches(key, answer, challenge.answer_hash):
        raise _captcha_error(
            _("The characters do not match the image. Type the characters of the new one."),
            "captcha_wrong",
        )


def captcha_discard(*, key: str) -> None:
    CaptchaChallenge.objects.filter(key=(key or "")[:64]).delete()


# --- filing a complaint ----------------------------------------------------------------------


@dataclass(frozen=True)
class Complaint:
    """A complaint as the form gives it."""

    category: Category
    summary: str
    content: str
    anonymous: bool
    name: str = ""
    phone: str = ""
    email: str = ""
    address: str = ""
    subject_unit: Unit | None = None
    subject_persons: str = ""
    place: str = ""
    occurred_on: date | None = None
    reply_wanted: bool = True
    reply_method: str = ""


@dataclass(frozen=True)
class Filing:
    """The outcome of a complaint form: the case and its query code, with the password and
    the link token only the first time (``replay``: the form had been sent already)."""

    case: Case
    code: str
    password: str = ""
    token: str = ""
    replay: bool = False


def _replay(nonce: str) -> Filing | None:
    submission = (
        Submission.objects.select_related("case__public_access").filter(nonce=nonce).first()
    )
    if submission is None or submission.case is None:
        return None
    return Filing(case=submission.case, code=submission.case.public_access.code, replay=True)


def _check_blocklist(complaint: Complaint, ip: str | None, now: datetime) -> None:
    rule = block_match(
        ip=ip,
        phone=complaint.phone,
        texts=(
            complaint.summary,
            complaint.content,
            complaint.place,
            complaint.subject_persons,
            complaint.name,
        ),
        now=now,
    )
    if rule is None:
        return
    logger.info("Portal submission refused by blocklist rule %s (%s).", rule.pk, rule.kind)
    if rule.kind == BlockKind.KEYWORD:
        message = _(
            "Your complaint contains wording that cannot be accepted online. Change it, or "
            "contact the office through the channels on the contact page."
        )
    else:
        message = _(
            "Complaints from your network or phone number cannot be accepted online at the "
            "moment. Contact the office through the channels on the contact page."
        )
    raise _refused(message, "blocked")


def _check_limits(complaint: Complaint, ip: str | None, now: datetime) -> None:
    phone = normalise_phone(complaint.phone)
    if (
        limit_reached("file_ip", ip, now=now)
        or limit_reached("file_ip_day", ip, now=now)
        or (phone and limit_reached("file_phone", phone, now=now))
    ):
        raise _refused(
            _(
                "Too many complaints have been filed from your network or with your phone "
                "number in a short time. Try again later, or call the complaint hotline."
            ),
            "throttled",
        )


def _issue_access(case: Case, now: datetime) -> tuple[PublicAccess, str, str]:
    password, token = _random(PASSWORD_LENGTH), secrets.token_urlsafe(32)
    for _attempt in range(5):
        code = _random(CODE_LENGTH)
        try:
            with transaction.atomic():
                access = PublicAccess.objects.create(
                    case=case,
                    code=code,
                    password_hash=make_password(password),
                    token_hash=_token_hash(token),
                    created_at=now,
                )
            return access, password, token
        except IntegrityError:
            continue  # the same code twice: draw again
    raise RuntimeError("Could not draw a unique query code.")


def _error_codes(exc: ValidationError) -> set[str]:
    errors = exc.error_dict.values() if hasattr(exc, "error_dict") else [exc.error_list]
    return {e.code for group in errors for e in group if e.code}


def complaint_submit(
    *,
    nonce: str,
    captcha_key: str,
    captcha_answer: str,
    ip: str | None,
    complaint: Complaint,
    files: Sequence = (),
    now: datetime | None = None,
) -> Filing:
    """File a complaint from the portal's form whose one-time ``nonce`` the view has
    verified. A form sent again returns the first filing without its password. Raises a
    ValidationError (field or form errors, with codes) when the CAPTCHA, the blocklist, a
    rate limit or the case's own checks refuse it.

    Everything happens in one transaction that first claims the form's nonce: a second
    request with the same form waits for the first and then gets its filing. The CAPTCHA is
    used up whatever the outcome, and a wrong answer counts against the address."""
    now = _now(now)
    replay = _replay(nonce)
    if replay is not None:
        return replay
    if limit_reached("captcha_fail_ip", ip, now=now):
        raise _captcha_error(
            _("Too many wrong answers from your network. Wait 15 minutes and try again."),
            "captcha_throttled",
        )
    stored: list = []
    try:
        with transaction.atomic():
            try:
                with transaction.atomic():
                    submission = Submission.objects.create(nonce=nonce, submitted_at=now)
            except IntegrityError:
                # Sent twice at once: the other request registered it (and has committed).
                replay = _replay(nonce)
                if replay is None:
                    raise
                return replay
            captcha_verify(key=captcha_key, answer=captcha_answer, now=now)
            _check_blocklist(complaint, ip, now)
            _check_limits(complaint, ip, now)
            case, stored = case_register_public(
                category=complaint.category,
                summary=complaint.summary,
                content=complaint.content,
                complainant=ComplainantData(
                    anonymous=complaint.anonymous,
                    name=complaint.name,
                    phone=complaint.phone,
                    address=complaint.address,
                    email=complaint.email,
                ),
                subject_units=[complaint.subject_unit] if complaint.subject_unit else [],
                subject_persons=complaint.subject_persons,
                place=complaint.place,
                occurred_on=complaint.occurred_on,
                reply_wanted=complaint.reply_wanted,
                reply_method=complaint.reply_method,
                files=files,
                now=now,
            )
            submission.case = case
            submission.save(update_fields=["case"])
            access, password, token = _issue_access(case, now)
            limit_record("file_ip", ip, now=now)
            limit_record("file_ip_day", ip, now=now)
            phone = normalise_phone(complaint.phone)
            if phone:
                limit_record("file_phone", phone, now=now)
            audit_log(
                action="portal.access.issue",
                actor=public_account(),
                obj=access,
                data={"number": case.number, "case": case.pk, "files": len(stored)},
            )
    except BaseException as exc:
        files_discard(stored)
        captcha_discard(key=captcha_key)
        if isinstance(exc, ValidationError) and "captcha_wrong" in _error_codes(exc):
            limit_record("captcha_fail_ip", ip, now=now)
        raise
    return Filing(case=case, code=access.code, password=password, token=token)


# --- opening a case --------------------------------------------------------------------------


class AccessDenied(Exception):
    """A lookup that does not open a case. ``code``: "wrong" (unknown code or wrong
    password, never told apart) or "throttled" (too many wrong attempts)."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def access_verify(
    *, code: str, password: str, ip: str | None, now: datetime | None = None
) -> PublicAccess:
    """The case behind a query code and password. An unknown code and a wrong password fail
    alike and take as long: the password is hashed either way. Wrong attempts count per
    address and per code; past either limit every attempt fails until the window passes."""
    now = _now(now)
    code, password = normalise_code(code), normalise_code(password)
    throttled = limit_reached("lookup_ip", ip, now=now) or limit_reached(
        "lookup_code", code, now=now
    )
    access = (
        PublicAccess.objects.select_related("case").filter(code=code).first()
        if len(code) == CODE_LENGTH
        else None
    )
    if access is not None:
        matches = check_password(password, access.password_hash)
    else:
        make_password(password)  # the same work as a real check
        matches = False
    if throttled:
        raise AccessDenied("throttled")
    if not matches:
        limit_record("lookup_ip", ip, now=now)
        limit_record("lookup_code", code, now=now)
        raise AccessDenied("wrong")
    return access


def access_by_token(*, token: str, ip: str | None, now: datetime | None = None) -> PublicAccess:
    """The case behind a secret link; wrong tokens count against the address."""
    now = _now(now)
    if limit_reached("lookup_ip", ip, now=now):
        raise AccessDenied("throttled")
    access = (
        PublicAccess.objects.select_related("case")
        .filter(token_hash=_token_hash((token or "")[:100]))
        .first()
    )
    if access is None:
        limit_record("lookup_ip", ip, now=now)
        raise AccessDenied("wrong")
    return access


@dataclass(frozen=True)
class Reissued:
    """New credentials of a case filed on the portal, shown once."""

    code: str
    password: str
    token: str


def access_reissue(*, actor: User, case: Case) -> Reissued:
    """A new query password and secret link for a case filed on the portal, for a complainant
    who lost the receipt (the office confirms who is asking before it does this). The query
    code stays; the old password and link stop working at once; the failed lookups counted
    against the code are forgotten. Audited (without the secrets)."""
    if not can_reissue_access(actor):
        raise PortalDenied("access_reissue")
    password, token = _random(PASSWORD_LENGTH), secrets.token_urlsafe(32)
    with transaction.atomic():
        access = PublicAccess.objects.select_for_update().filter(case=case).first()
        if access is None:
            raise ValidationError(
                _("This case was not filed on the public portal: it has no query code."),
                code="no_access",
            )
        access.password_hash = make_password(password)
        access.token_hash = _token_hash(token)
        access.save(update_fields=["password_hash", "token_hash"])
        limit_forget("lookup_code", access.code)
        audit_log(
            action="portal.access.reissue",
            actor=actor,
            obj=case,
            data={"case": case.number, "code": access.code},
        )
    return Reissued(code=access.code, password=password, token=token)


# --- rating and adding information -----------------------------------------------------------


def rating_submit(
    *,
    access: PublicAccess,
    rating: str,
    solved: str,
    comment: str = "",
    now: datetime | None = None,
) -> PublicRating:
    """Rate the case's current reply, once. Recorded as the callback's result in the case
    (``cases.public.case_rate_public``), kept here with the five-level rating."""
    now = _now(now)
    already = ValidationError(_("You have already rated this reply."), code="already_rated")
    try:
        with transaction.atomic():
            callback = case_rate_public(
                case=access.case, rating=rating, solved=solved, comment=comment, now=now
            )
            case = callback.case
            if PublicRating.objects.filter(case=case, round=case.redo_count).exists():
                raise already
            return PublicRating.objects.create(
                case=case,
                round=case.redo_count,
                rating=rating,
                solved=solved,
                comment=comment.strip(),
                callback=callback,
                created_at=now,
            )
    except IntegrityError:
        raise already from None


def supplement_submit(
    *,
    access: PublicAccess,
    text: str,
    files: Sequence = (),
    now: datetime | None = None,
) -> None:
    """Add information to the open case, within the daily limit per case."""
    now = _now(now)
    key = str(access.case_id)
    if limit_reached("supplement_case", key, now=now):
        raise _refused(
            _(
                "You have added information to this case several times today. Try again "
                "tomorrow, or call the complaint hotline."
            ),
            "throttled",
        )
    with transaction.atomic():
        case_supplement_public(case=access.case, text=text, files=files, now=now)
        limit_record("supplement_case", key, now=now)


# --- the office: blocklist and settings ------------------------------------------------------

_KEYWORD_MIN, _KEYWORD_MAX = 2, 50


def _block_value(kind: str, value: str) -> str:
    value = (value or "").strip()
    if kind == BlockKind.IP:
        try:
            network = ipaddress.ip_network(value, strict=False)
        except ValueError:
            raise ValidationError(
                {
                    "value": _(
                        "Enter an IP address (e.g. 203.0.113.7) or a network (e.g. 203.0.113.0/24)."
                    )
                }
            ) from None
        if network.prefixlen < (16 if network.version == 4 else 48):
            raise ValidationError({"value": _("This network is too large to block.")})
        return str(network) if network.num_addresses > 1 else str(network.network_address)
    if kind == BlockKind.PHONE:
        phone = normalise_phone(value)
        if not phone.isdigit() or not 6 <= len(phone) <= 20:
            raise ValidationError({"value": _("Enter a phone number (digits only).")})
        return phone
    if kind == BlockKind.KEYWORD:
        if not _KEYWORD_MIN <= len(value) <= _KEYWORD_MAX:
            raise ValidationError(
                {
                    "value": _("A keyword has %(min)s to %(max)s characters.")
                    % {"min": _KEYWORD_MIN, "max": _KEYWORD_MAX}
                }
            )
        return value
    raise ValidationError({"kind": _("Choose what to block.")})


@transaction.atomic
def block_create(
    *,
    actor: User,
    kind: str,
    value: str,
    reason: str,
    expires_at: datetime | None = None,
    now: datetime | None = None,
) -> BlockRule:
    """Add a rule to the blocklist (office roles)."""
    now = _now(now)
    if not can_manage_blocklist(actor):
        raise PortalDenied("block_create")
    value = _block_value(kind, value)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for blocking.")})
    if expires_at is not None and expires_at <= now:
        raise ValidationError({"expires_at": _("The expiry must lie in the future.")})
    if block_rules_active(now=now).filter(kind=kind, value=value).exists():
        raise ValidationError({"value": _("This value is blocked already.")})
    rule = BlockRule.objects.create(
        kind=kind,
        value=value,
        reason=reason,
        expires_at=expires_at,
        created_by=actor,
        created_at=now,
    )
    audit_log(
        action="portal.block.create",
        actor=actor,
        obj=rule,
        data={
            "kind": kind,
            "value": value,
            "expires": expires_at.isoformat() if expires_at else None,
        },
    )
    return rule


@transaction.atomic
def block_lift(*, actor: User, rule: BlockRule, now: datetime | None = None) -> BlockRule:
    """Lift a rule before it expires (office roles); it stays on record."""
    now = _now(now)
    if not can_manage_blocklist(actor):
        raise PortalDenied("block_lift")
    rule = BlockRule.objects.select_for_update().get(pk=rule.pk)
    if rule.lifted_at is not None:
        raise ValidationError(_("This rule has already been lifted."), code="lifted")
    rule.lifted_by, rule.lifted_at = actor, now
    rule.save(update_fields=["lifted_by", "lifted_at"])
    audit_log(
        action="portal.block.lift",
        actor=actor,
        obj=rule,
        data={"kind": rule.kind, "value": rule.value},
    )
    return rule


SETTINGS_FIELDS = (
    "show_handler_names",
    "hotline",
    "email",
    "address",
    "address_en",
    "office_hours",
    "office_hours_en",
    "notice",
    "notice_en",
)


@transaction.atomic
def portal_settings_update(*, actor: User, version: int | None = None, **changes) -> PortalSettings:
    """Change the portal's settings (the office director). A stale form gets a conflict."""
    if not can_change_settings(actor):
        raise PortalDenied("settings")
    portal_settings()
    current = PortalSettings.objects.select_for_update().get(pk=1)
    if version is not None and current.version != version:
        raise ConflictError(
            _(
                "Someone else changed these settings while you were editing them. "
                "Reload the page to see their change, then apply yours again."
            ),
            code="conflict",
        )
    before = {f: getattr(current, f) for f in changes}
    for name, value in changes.items():
        if name not in SETTINGS_FIELDS:
            raise ValueError(name)
        setattr(current, name, value.strip() if isinstance(value, str) else value)
    current.full_clean()
    current.version = F("version") + 1
    current.save()
    current.refresh_from_db()
    audit_log(
        action="portal.settings.update",
        actor=actor,
        obj=current,
        data={
            "changed": sorted(f for f in changes if before[f] != getattr(current, f)),
        },
    )
    return current


# --- housekeeping ----------------------------------------------------------------------------


def portal_prune(*, now: datetime | None = None) -> dict[str, int]:
    """Delete expired CAPTCHAs and rate-limit events no window counts any more."""
    now = _now(now)
    with transaction.atomic():
        challenges = CaptchaChallenge.objects.filter(expires_at__lte=now).delete()[0]
    return {"captchas": challenges, "rate_events": limits_prune(now=now)}
