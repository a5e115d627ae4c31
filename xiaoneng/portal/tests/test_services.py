"""The portal's services: filing (one case per form, CAPTCHA, blocklist, rate limits, files),
opening a case (code and password, secret link), rating and adding information, and the
office's blocklist and settings."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from PIL import Image

from xiaoneng.audit.models import AuditEntry
from xiaoneng.cases import services as s
from xiaoneng.cases.choices import CaseStatus, Channel, Satisfaction
from xiaoneng.cases.models import Attachment, Callback, Case, CaseEvent
from xiaoneng.cases.public import PUBLIC_USERNAME
from xiaoneng.cases.services import InvalidTransition
from xiaoneng.notifications.models import Notification
from xiaoneng.org.services import ConflictError
from xiaoneng.portal import services as ps
from xiaoneng.portal.choices import BlockKind
from xiaoneng.portal.forms import form_token_issue, form_token_nonce
from xiaoneng.portal.models import (
    BlockRule,
    CaptchaChallenge,
    PortalSettings,
    PublicAccess,
    PublicRating,
    RateEvent,
    Submission,
)
from xiaoneng.portal.tests.conftest import ANSWER, photo_with_location

pytestmark = pytest.mark.django_db

IP = "203.0.113.7"


def codes(exc: ValidationError) -> set[str]:
    return ps._error_codes(exc)


# --- filing ----------------------------------------------------------------------------------


def test_an_anonymous_complaint_becomes_a_web_case_in_the_clerks_queue(file_complaint, clerk):
    filing = file_complaint()
    case = Case.objects.get()
    assert (case.channel, case.status, case.registered_by) == (
        Channel.WEB,
        CaseStatus.REGISTERED,
        None,
    )
    assert case.complainant.anonymous is True
    assert list(case.subject_units.values_list("code", flat=True)) == ["TZ-RSJ"]
    access = PublicAccess.objects.get(case=case)
    assert filing.code == access.code
    assert len(filing.code) == 12 and set(filing.code) <= set(ps.CODE_ALPHABET)
    assert len(filing.password) == 10 and set(filing.password) <= set(ps.CODE_ALPHABET)
    assert check_password(filing.password, access.password_hash)
    assert filing.password not in access.password_hash
    assert access.token_hash == ps._token_hash(filing.token)
    assert filing.replay is False
    # The intake clerk is told; the audit log records the channel and the code's issue.
    assert list(Notification.objects.values_list("recipient__username", "code")) == [
        ("clerk", "case.web_registered")
    ]
    register = AuditEntry.objects.get(action="cases.case.register")
    assert (register.actor_id, register.data["channel"], register.ip) == (None, "web", None)
    issue = AuditEntry.objects.get(action="portal.access.issue")
    assert issue.actor.username == PUBLIC_USERNAME
    assert issue.data == {"number": case.number, "case": case.pk, "files": 0}


def test_a_named_complaint_keeps_the_complainant_for_the_office(file_complaint):
    file_complaint(anonymous=False, name="张三丰", phone="13812345678", reply_method="phone")
    person = Case.objects.get().complainant
    assert (person.anonymous, person.name, person.phone) == (False, "张三丰", "13812345678")


def test_a_form_sent_twice_registers_one_case_and_the_second_gets_no_password(
    captcha_answer, complaint, clock
):
    nonce = form_token_nonce(form_token_issue())
    challenge = ps.captcha_issue(ip=IP, now=clock.tick())

    def send():
        return ps.complaint_submit(
            nonce=nonce,
            captcha_key=challenge.key,
            captcha_answer=ANSWER,
            ip=IP,
            complaint=complaint(),
            now=clock.now,
        )

    first, second = send(), send()
    assert Case.objects.count() == 1
    assert Submission.objects.get().case == first.case
    assert (second.replay, second.code, second.password, second.token) == (
        True,
        first.code,
        "",
        "",
    )
    assert second.case == first.case


def test_a_failed_filing_leaves_its_form_usable_again(captcha_answer, complaint, clock):
    """A wrong CAPTCHA rolls the form's one-time use back: sent again with a new CAPTCHA, the
    same form registers the case."""
    nonce = form_token_nonce(form_token_issue())
    wrong = ps.captcha_issue(ip=IP, now=clock.tick())
    with pytest.raises(ValidationError) as exc:
        ps.complaint_submit(
            nonce=nonce,
            captcha_key=wrong.key,
            captcha_answer="AAAAA",
            ip=IP,
            complaint=complaint(),
            now=clock.now,
        )
    assert codes(exc.value) == {"captcha_wrong"}
    assert (Case.objects.count(), Submission.objects.count()) == (0, 0)
    right = ps.captcha_issue(ip=IP, now=clock.tick())
    ps.complaint_submit(
        nonce=nonce,
        captcha_key=right.key,
        captcha_answer=ANSWER.lower(),
        ip=IP,
        complaint=complaint(),
        now=clock.now,
    )
    assert Case.objects.count() == 1


# --- the CAPTCHA -----------------------------------------------------------------------------


def test_a_captcha_is_used_up_by_its_first_answer_right_or_wrong(captcha_answer, complaint, clock):
    challenge = ps.captcha_issue(ip=IP, now=clock.tick())
    stored = CaptchaChallenge.objects.get()
    assert ANSWER not in stored.answer_hash and stored.key == challenge.key
    assert challenge.image.startswith("data:image/png;base64,")
    with pytest.raises(ValidationError) as exc, translation.override("en"):
        ps.complaint_submit(
            nonce="n1",
            captcha_key=challenge.key,
            captcha_answer="WRONG",
            ip=IP,
            complaint=complaint(),
            now=clock.now,
        )
    assert codes(exc.value) == {"captcha_wrong"}
    assert exc.value.message_dict["captcha"] == [
        "The characters do not match the image. Type the characters of the new one."
    ]
    assert not CaptchaChallenge.objects.exists()
    # The right answer on the used-up challenge does not pass either.
    with pytest.raises(ValidationError) as exc:
        ps.complaint_submit(
            nonce="n1",
            captcha_key=challenge.key,
            captcha_answer=ANSWER,
            ip=IP,
            complaint=complaint(),
            now=clock.now,
        )
    assert codes(exc.value) == {"captcha_expired"}
    assert Case.objects.count() == 0


def test_a_captcha_expires_after_twenty_minutes(captcha_answer, complaint, clock):
    challenge = ps.captcha_issue(ip=IP, now=clock.tick())
    with pytest.raises(ValidationError) as exc:
        ps.complaint_submit(
            nonce="n1",
            captcha_key=challenge.key,
            captcha_answer=ANSWER,
            ip=IP,
            complaint=complaint(),
            now=clock.now + timedelta(minutes=21),
        )
    assert codes(exc.value) == {"captcha_expired"}


def test_a_correct_answer_is_used_up_too_when_the_filing_is_refused(
    captcha_answer, complaint, clock, clerk
):
    ps.block_create(actor=clerk, kind=BlockKind.IP, value=IP, reason="刷单", now=clock.tick())
    challenge = ps.captcha_issue(ip=IP, now=clock.tick())
    with pytest.raises(ValidationError) as exc:
        ps.complaint_submit(
            nonce="n1",
            captcha_key=challenge.key,
            captcha_answer=ANSWER,
            ip=IP,
            complaint=complaint(),
            now=clock.now,
        )
    assert codes(exc.value) == {"blocked"}
    assert not CaptchaChallenge.objects.exists()


def test_ten_wrong_answers_lock_the_address_out_for_fifteen_minutes(
    captcha_answer, complaint, clock
):
    for attempt in range(10):
        challenge = ps.captcha_issue(ip=IP, now=clock.now)
        with pytest.raises(ValidationError) as exc:
            ps.complaint_submit(
                nonce=f"n{attempt}",
                captcha_key=challenge.key,
                captcha_answer="WRONG",
                ip=IP,
                complaint=complaint(),
                now=clock.now,
            )
        assert codes(exc.value) == {"captcha_wrong"}
    challenge = ps.captcha_issue(ip=IP, now=clock.now)
    with pytest.raises(ValidationError) as exc:
        ps.complaint_submit(
            nonce="right",
            captcha_key=challenge.key,
            captcha_answer=ANSWER,
            ip=IP,
            complaint=complaint(),
            now=clock.now,
        )
    assert codes(exc.value) == {"captcha_throttled"}
    # Another address is not affected, and after the window this one passes again.
    other = ps.captcha_issue(ip="198.51.100.1", now=clock.now)
    ps.complaint_submit(
        nonce="other",
        captcha_key=other.key,
        captcha_answer=ANSWER,
        ip="198.51.100.1",
        complaint=complaint(),
        now=clock.now,
    )
    later = clock.now + timedelta(minutes=16)
    again = ps.captcha_issue(ip=IP, now=later)
    ps.complaint_submit(
        nonce="later",
        captcha_key=again.key,
        captcha_answer=ANSWER,
        ip=IP,
        complaint=complaint(),
        now=later,
    )
    assert Case.objects.count() == 2


def test_an_address_draws_at_most_sixty_captchas_in_ten_minutes(clock):
    for _ in range(60):
        assert ps.captcha_issue(ip=IP, now=clock.now) is not None
    assert ps.captcha_issue(ip=IP, now=clock.now) is None
    assert ps.captcha_issue(ip=IP, now=clock.now + timedelta(minutes=11)) is not None


# --- rate limits -----------------------------------------------------------------------------


def test_five_complaints_an_hour_per_address(file_complaint, clock):
    for _ in range(5):
        file_complaint(now=clock.now)
    with pytest.raises(ValidationError) as exc:
        file_complaint(now=clock.now)
    assert codes(exc.value) == {"throttled"}
    assert Case.objects.count() == 5
    file_complaint(now=clock.now + timedelta(minutes=61))
    assert Case.objects.count() == 6


def test_three_complaints_a_day_per_phone_number_from_any_address(file_complaint, clock):
    named = {"anonymous": False, "name": "张三丰", "reply_method": "phone"}
    for index, phone in enumerate(["13812345678", "138-1234-5678", "+86 138 1234 5678"]):
        file_complaint(ip=f"198.51.100.{index}", phone=phone, now=clock.tick(), **named)
    with pytest.raises(ValidationError) as exc, translation.override("en"):
        file_complaint(ip="198.51.100.9", phone="13812345678", now=clock.tick(), **named)
    assert codes(exc.value) == {"throttled"}
    assert exc.value.messages == [
        "Too many complaints have been filed from your network or with your phone number in a "
        "short time. Try again later, or call the complaint hotline."
    ]
    assert Case.objects.count() == 3
    # The values limited are kept only as keyed hashes.
    assert not RateEvent.objects.filter(key__contains="138").exists()
    assert not RateEvent.objects.filter(key__contains="198.51").exists()


# --- the blocklist ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "value", "overrides"),
    [
        (BlockKind.IP, "203.0.113.0/24", {}),
        (BlockKind.PHONE, "138 1234 5678", {"anonymous": False, "name": "张三丰"}),
        (BlockKind.KEYWORD, "推诿", {}),
    ],
)
def test_the_blocklist_refuses_an_address_a_phone_or_a_keyword(
    file_complaint, clerk, clock, kind, value, overrides
):
    overrides = {"phone": "13812345678", "reply_method": "phone", **overrides}
    if overrides.get("anonymous", True):
        overrides = {"summary": "窗口推诿", "reply_method": "portal"}
    rule = ps.block_create(actor=clerk, kind=kind, value=value, reason="恶意刷单", now=clock.tick())
    with pytest.raises(ValidationError) as exc:
        file_complaint(now=clock.tick(), **overrides)
    assert codes(exc.value) == {"blocked"}
    assert Case.objects.count() == 0
    ps.block_lift(actor=clerk, rule=rule, now=clock.tick())
    file_complaint(now=clock.tick(), **overrides)
    assert Case.objects.count() == 1


def test_a_rule_expires_on_its_own(file_complaint, clerk, clock):
    ps.block_create(
        actor=clerk,
        kind=BlockKind.IP,
        value=IP,
        reason="临时封禁",
        expires_at=clock.now + timedelta(hours=2),
        now=clock.now,
    )
    with pytest.raises(ValidationError):
        file_complaint(now=clock.now + timedelta(hours=1))
    file_complaint(now=clock.now + timedelta(hours=3))
    assert Case.objects.count() == 1


@pytest.mark.parametrize(
    ("kind", "value", "stored"),
    [
        (BlockKind.IP, " 203.0.113.7 ", "203.0.113.7"),
        (BlockKind.IP, "203.0.113.9/24", "203.0.113.0/24"),
        (BlockKind.IP, "2001:db8::/48", "2001:db8::/48"),
        (BlockKind.PHONE, "+86 138-1234-5678", "13812345678"),
        (BlockKind.KEYWORD, " 代写投诉 ", "代写投诉"),
    ],
)
def test_block_values_are_stored_normalised(clerk, kind, value, stored):
    assert ps.block_create(actor=clerk, kind=kind, value=value, reason="测试").value == stored


@pytest.mark.parametrize(
    ("kind", "value", "field"),
    [
        (BlockKind.IP, "not an address", "value"),
        (BlockKind.IP, "10.0.0.0/8", "value"),
        (BlockKind.PHONE, "12", "value"),
        (BlockKind.KEYWORD, "x", "value"),
        ("other", "x", "kind"),
    ],
)
def test_bad_block_values_are_refused(clerk, kind, value, field):
    with pytest.raises(ValidationError) as exc:
        ps.block_create(actor=clerk, kind=kind, value=value, reason="测试")
    assert list(exc.value.message_dict) == [field]
    assert not BlockRule.objects.exists()


def test_a_value_is_blocked_once_and_a_rule_lifted_once(clerk, supervisor):
    rule = ps.block_create(actor=clerk, kind=BlockKind.KEYWORD, value="代写", reason="代写投诉")
    with pytest.raises(ValidationError):
        ps.block_create(actor=supervisor, kind=BlockKind.KEYWORD, value="代写", reason="重复")
    ps.block_lift(actor=supervisor, rule=rule)
    with pytest.raises(ValidationError):
        ps.block_lift(actor=clerk, rule=rule)
    rule.refresh_from_db()
    assert rule.lifted_by == supervisor
    actions = list(
        AuditEntry.objects.filter(action__startswith="portal.block").values_list(
            "action", "actor__username"
        )
    )
    assert sorted(actions) == [
        ("portal.block.create", "clerk"),
        ("portal.block.lift", "supervisor"),
    ]


@pytest.mark.parametrize(
    ("persona", "allowed"),
    [
        ("clerk", True),
        ("supervisor", True),
        ("director", True),
        ("leader", False),
        ("liaison_a", False),
        ("handler_a", False),
        ("sysadmin", False),
        ("auditadmin", False),
    ],
)
def test_only_the_office_manages_the_blocklist(request, persona, allowed, clerk):
    actor = request.getfixturevalue(persona)
    existing = ps.block_create(actor=clerk, kind=BlockKind.KEYWORD, value="旧词", reason="测试")
    if allowed:
        ps.block_create(actor=actor, kind=BlockKind.KEYWORD, value="新词", reason="测试")
        ps.block_lift(actor=actor, rule=existing)
        assert BlockRule.objects.filter(lifted_at__isnull=True).count() == 1
    else:
        with pytest.raises(ps.PortalDenied):
            ps.block_create(actor=actor, kind=BlockKind.KEYWORD, value="新词", reason="测试")
        with pytest.raises(ps.PortalDenied):
            ps.block_lift(actor=actor, rule=existing)
        assert list(BlockRule.objects.values_list("value", "lifted_at")) == [("旧词", None)]


# --- files -----------------------------------------------------------------------------------


def test_a_photo_loses_its_location_and_reaches_the_office_only(file_complaint, photo):
    with Image.open(io.BytesIO(photo_with_location())) as original:
        assert original.getexif().get_ifd(0x8825)[1] == "N"
    file_complaint(files=[photo])
    attachment = Attachment.objects.get()
    assert (attachment.kind, attachment.releasable, attachment.original_name) == (
        "original",
        False,
        "窗口.jpg",
    )
    assert attachment.uploaded_by.username == PUBLIC_USERNAME
    with attachment.file.open("rb") as stored, Image.open(stored) as image:
        exif = image.getexif()
        assert image.size == (48, 32)
        assert 0x8825 not in exif and 0x010F not in exif


def test_a_file_that_is_no_photo_pdf_or_recording_is_refused_and_nothing_is_kept(
    file_complaint, settings
):
    letter = SimpleUploadedFile("投诉信.txt", "我要投诉".encode(), content_type="text/plain")
    with pytest.raises(ValidationError) as exc, translation.override("en"):
        file_complaint(files=[letter])
    assert exc.value.message_dict["attachments"] == [
        "“投诉信.txt” cannot be attached: send photos (JPEG, PNG, GIF, WebP), PDF documents "
        "or sound recordings (MP3, M4A, AMR, WAV, OGG)."
    ]
    assert (Case.objects.count(), Attachment.objects.count(), Submission.objects.count()) == (
        0,
        0,
        0,
    )
    media = settings.MEDIA_ROOT
    assert not media.exists() or not [p for p in media.rglob("*") if p.is_file()]


def test_a_damaged_photo_is_refused(file_complaint):
    broken = SimpleUploadedFile("broken.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
    with pytest.raises(ValidationError) as exc:
        file_complaint(files=[broken])
    assert list(exc.value.message_dict) == ["attachments"]
    assert Case.objects.count() == 0


# --- opening a case --------------------------------------------------------------------------


def test_the_code_and_password_open_the_case_however_they_are_typed(file_complaint):
    filing = file_complaint()
    typed_code = " ".join(filing.code[i : i + 4] for i in range(0, 12, 4)).lower()
    access = ps.access_verify(code=typed_code, password=filing.password.lower(), ip=IP)
    assert access.case == filing.case


def test_a_wrong_password_and_an_unknown_code_fail_alike_and_both_hash(file_complaint, monkeypatch):
    filing = file_complaint()
    hashed = []
    real_make, real_check = ps.make_password, ps.check_password
    monkeypatch.setattr(ps, "make_password", lambda p: hashed.append("make") or real_make(p))
    monkeypatch.setattr(
        ps, "check_password", lambda p, h: hashed.append("check") or real_check(p, h)
    )
    with pytest.raises(ps.AccessDenied) as wrong:
        ps.access_verify(code=filing.code, password="AAAAAAAAAA", ip=IP)
    with pytest.raises(ps.AccessDenied) as unknown:
        ps.access_verify(code="ABCDEFGHJKMN", password=filing.password, ip=IP)
    with pytest.raises(ps.AccessDenied) as short:
        ps.access_verify(code="XN-2025-000001", password=filing.password, ip=IP)
    assert (wrong.value.code, unknown.value.code, short.value.code) == ("wrong",) * 3
    assert hashed == ["check", "make", "make"]


def test_five_wrong_passwords_lock_the_code_even_for_the_right_one(file_complaint, clock):
    filing = file_complaint()
    for index in range(5):
        with pytest.raises(ps.AccessDenied):
            ps.access_verify(
                code=filing.code, password="WRONGWRONG", ip=f"198.51.100.{index}", now=clock.now
            )
    with pytest.raises(ps.AccessDenied) as exc:
        ps.access_verify(code=filing.code, password=filing.password, ip=IP, now=clock.now)
    assert exc.value.code == "throttled"
    later = clock.now + timedelta(minutes=16)
    assert ps.access_verify(code=filing.code, password=filing.password, ip=IP, now=later)


def test_ten_wrong_lookups_lock_the_address_for_any_code(file_complaint, clock):
    filing = file_complaint()
    for index in range(10):
        with pytest.raises(ps.AccessDenied):
            ps.access_verify(code=f"ABCDEFGHJK{index:02d}", password="X", ip=IP, now=clock.now)
    with pytest.raises(ps.AccessDenied) as exc:
        ps.access_verify(code=filing.code, password=filing.password, ip=IP, now=clock.now)
    assert exc.value.code == "throttled"
    with pytest.raises(ps.AccessDenied) as exc:
        ps.access_by_token(token=filing.token, ip=IP, now=clock.now)
    assert exc.value.code == "throttled"
    other = ps.access_verify(
        code=filing.code, password=filing.password, ip="198.51.100.1", now=clock.now
    )
    assert other.case == filing.case


def test_the_secret_link_opens_the_case(file_complaint):
    filing = file_complaint()
    assert ps.access_by_token(token=filing.token, ip=IP).case == filing.case
    with pytest.raises(ps.AccessDenied) as exc:
        ps.access_by_token(token=filing.token[:-1] + "x", ip=IP)
    assert exc.value.code == "wrong"


# --- rating ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rating", "satisfaction"),
    [
        ("very_satisfied", Satisfaction.SATISFIED),
        ("satisfied", Satisfaction.SATISFIED),
        ("basically", Satisfaction.BASICALLY),
        ("dissatisfied", Satisfaction.DISSATISFIED),
        ("very_dissatisfied", Satisfaction.DISSATISFIED),
    ],
)
def test_the_five_levels_become_the_callback_result(
    file_complaint, staff_reply, rating, satisfaction
):
    filing = file_complaint()
    staff_reply(filing.case)
    access = PublicAccess.objects.get()
    ps.rating_submit(access=access, rating=rating, solved="solved", comment="  办得快  ")
    callback = Callback.objects.get()
    assert (callback.satisfaction, callback.solved, callback.note) == (
        satisfaction,
        "solved",
        "办得快",
    )
    assert callback.called_by.username == PUBLIC_USERNAME
    case = Case.objects.get()
    assert (case.satisfaction, case.solved, case.status) == (
        satisfaction,
        "solved",
        CaseStatus.CALLBACK,
    )
    stored = PublicRating.objects.get()
    assert (stored.rating, stored.round, stored.callback) == (rating, 0, callback)
    event = CaseEvent.objects.get(code="case.rated")
    assert event.public and event.data == {
        "rating": rating,
        "satisfaction": satisfaction,
        "solved": "solved",
    }
    assert AuditEntry.objects.filter(action="cases.case.rate").count() == 1


def test_a_reply_is_rated_once(file_complaint, staff_reply):
    filing = file_complaint()
    staff_reply(filing.case)
    access = PublicAccess.objects.get()
    ps.rating_submit(access=access, rating="satisfied", solved="solved")
    with pytest.raises(ValidationError) as exc:
        ps.rating_submit(access=access, rating="dissatisfied", solved="unsolved")
    assert codes(exc.value) == {"already_rated"}
    assert list(Callback.objects.values_list("satisfaction", flat=True)) == ["satisfied"]
    assert Case.objects.get().satisfaction == "satisfied"


def test_a_dissatisfied_rating_reaches_the_office_and_a_redo_brings_a_new_reply_to_rate(
    file_complaint, staff_reply, supervisor, director, handler_a, clock
):
    filing = file_complaint()
    case = staff_reply(filing.case)
    access = PublicAccess.objects.get()
    ps.rating_submit(access=access, rating="very_dissatisfied", solved="unsolved", now=clock.tick())
    assert sorted(
        Notification.objects.filter(code="case.rated_dissatisfied").values_list(
            "recipient__username", flat=True
        )
    ) == ["director", "supervisor"]
    # The office reopens it (the existing redo), the unit replies again, the office approves.
    s.case_redo(actor=supervisor, case=case, reason="群众不满意，重新核查", now=clock.tick())
    assignment = case.assignments.get()
    s.assignment_reply(
        actor=handler_a,
        assignment=assignment,
        reply_text="重新核查后已为群众办结转移。",
        finding="substantiated",
        now=clock.tick(),
    )
    s.case_review(actor=supervisor, case=case, approve=True, now=clock.tick())
    access.refresh_from_db()
    ps.rating_submit(access=access, rating="satisfied", solved="solved", now=clock.tick())
    assert list(PublicRating.objects.order_by("round").values_list("round", "rating")) == [
        (0, "very_dissatisfied"),
        (1, "satisfied"),
    ]
    assert Case.objects.get().satisfaction == "satisfied"


def test_a_reply_cannot_be_rated_before_the_office_approves_it(file_complaint, clerk):
    filing = file_complaint()
    s.case_accept(actor=clerk, case=filing.case)
    with pytest.raises(InvalidTransition):
        ps.rating_submit(access=PublicAccess.objects.get(), rating="satisfied", solved="solved")
    assert not Callback.objects.exists() and not PublicRating.objects.exists()


@pytest.mark.parametrize(
    ("field", "values"), [("rating", ("great", "solved")), ("solved", ("satisfied", "maybe"))]
)
def test_a_rating_needs_a_level_and_whether_it_was_solved(
    file_complaint, staff_reply, field, values
):
    filing = file_complaint()
    staff_reply(filing.case)
    rating, solved = values
    with pytest.raises(ValidationError) as exc:
        ps.rating_submit(access=PublicAccess.objects.get(), rating=rating, solved=solved)
    assert list(exc.value.message_dict) == [field]
    assert not Callback.objects.exists()


# --- adding information ----------------------------------------------------------------------


def test_information_added_reaches_the_timeline_and_the_office(
    file_complaint, photo, clerk, supervisor
):
    filing = file_complaint()
    Notification.objects.all().delete()
    ps.supplement_submit(
        access=PublicAccess.objects.get(), text="补充：窗口工号 A07。", files=[photo]
    )
    event = CaseEvent.objects.get(code="case.supplemented")
    assert event.public and event.data == {"text": "补充：窗口工号 A07。", "files": 1}
    assert event.actor.username == PUBLIC_USERNAME
    attachment = Attachment.objects.get()
    assert (attachment.kind, attachment.releasable) == ("original", False)
    assert sorted(Notification.objects.values_list("recipient__username", "code")) == [
        ("clerk", "case.supplemented"),
        ("supervisor", "case.supplemented"),
    ]
    assert AuditEntry.objects.get(action="cases.case.supplement").data == {
        "number": filing.case.number,
        "files": 1,
    }


def test_information_cannot_be_added_to_a_closed_case(file_complaint, clerk):
    filing = file_complaint()
    s.case_reject(actor=clerk, case=filing.case, reason="不属于效能投诉受理范围")
    with pytest.raises(InvalidTransition):
        ps.supplement_submit(access=PublicAccess.objects.get(), text="还有一点")
    assert not CaseEvent.objects.filter(code="case.supplemented").exists()


def test_information_is_added_at_most_five_times_a_day(file_complaint, clock):
    file_complaint()
    access = PublicAccess.objects.get()
    for index in range(5):
        ps.supplement_submit(access=access, text=f"补充 {index}", now=clock.now)
    with pytest.raises(ValidationError) as exc:
        ps.supplement_submit(access=access, text="第六次", now=clock.now)
    assert codes(exc.value) == {"throttled"}
    ps.supplement_submit(access=access, text="第二天", now=clock.now + timedelta(days=1, hours=1))
    assert CaseEvent.objects.filter(code="case.supplemented").count() == 6


# --- settings and housekeeping ---------------------------------------------------------------


def test_the_director_changes_the_settings_and_a_stale_form_conflicts(director, clerk):
    with pytest.raises(ps.PortalDenied):
        ps.portal_settings_update(actor=clerk, hotline="12345")
    current = ps.portal_settings_update(
        actor=director, version=1, hotline=" 0571-12345 ", show_handler_names=True
    )
    assert (current.hotline, current.show_handler_names, current.version) == (
        "0571-12345",
        True,
        2,
    )
    with pytest.raises(ConflictError):
        ps.portal_settings_update(actor=director, version=1, hotline="110")
    assert PortalSettings.objects.get().hotline == "0571-12345"
    assert AuditEntry.objects.get(action="portal.settings.update").data == {
        "changed": ["hotline", "show_handler_names"]
    }


def test_prune_removes_expired_captchas_and_old_rate_events(file_complaint, clock):
    file_complaint()
    ps.captcha_issue(ip=IP, now=clock.now)
    later = clock.now + timedelta(days=2)
    counts = ps.portal_prune(now=later)
    assert counts["captchas"] == 1
    assert counts["rate_events"] >= 3
    assert not RateEvent.objects.exists() and not CaptchaChallenge.objects.exists()


def test_the_portal_account_cannot_be_a_staff_account(file_complaint, django_user_model):
    from xiaoneng.cases.public import public_account

    account = public_account()
    assert (account.is_active, account.has_usable_password(), set(account.roles)) == (
        False,
        False,
        set(),
    )
    account.set_password("secret-Passw0rd!")
    account.save()
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured):
        public_account()
