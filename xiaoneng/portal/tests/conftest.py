"""Fixtures of the portal's tests: a citizen's complaint as the form gives it, a CAPTCHA whose
answer the test knows (the answer generator is replaced; the server-side check is the real
one), photos, and a case walked to the office's approved reply through the staff services."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from xiaoneng.cases import services as s
from xiaoneng.cases.defaults import seed_categories
from xiaoneng.cases.models import Category
from xiaoneng.portal import services as ps
from xiaoneng.portal.forms import form_token_issue, form_token_nonce

TZ = ZoneInfo("Asia/Shanghai")
#: The answer of every CAPTCHA drawn while ``captcha_answer`` is in use.
ANSWER = "K7PXM"


@pytest.fixture(autouse=True)
def _portal_state(request, settings, tmp_path):
    """Categories back after a transactional test emptied the tables, an empty cache (the
    public statistics), uploads under a temporary directory."""
    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()
    names = set(request.fixturenames)
    for name in ("transactional_db", "db"):  # set up before the autouse fixture reads
        if name in names:
            request.getfixturevalue(name)
            break
    uses_db = request.node.get_closest_marker("django_db") or names & {"db", "transactional_db"}
    if uses_db and not Category.objects.exists():
        seed_categories(Category)
    yield
    cache.clear()


@pytest.fixture
def captcha_answer(monkeypatch):
    monkeypatch.setattr("xiaoneng.portal.captcha.new_answer", lambda: ANSWER)
    return ANSWER


@pytest.fixture
def category(db):
    return Category.objects.get(code="TWCP")


def photo_with_location() -> bytes:
    """A real JPEG photo whose EXIF holds a GPS position (30°15′ N, 120°10′ E) and a camera."""
    image = Image.new("RGB", (48, 32), (180, 40, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (30.0, 15.0, 0.0), 3: "E", 4: (120.0, 10.0, 0.0)}
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif)
    return buffer.getvalue()


@pytest.fixture
def photo():
    return SimpleUploadedFile("窗口.jpg", photo_with_location(), content_type="image/jpeg")


@pytest.fixture
def complaint(category, unit_a):
    def make(**overrides) -> ps.Complaint:
        values = {
            "category": category,
            "summary": "社保窗口三次让我找别的部门",
            "content": "今年三月起去区人社局办理社保转移，窗口三次让我找别的部门，至今没有办成。",
            "anonymous": True,
            "subject_unit": unit_a,
            "reply_wanted": True,
            "reply_method": "portal",
        }
        values.update(overrides)
        return ps.Complaint(**values)

    return make


@pytest.fixture
def clock():
    """A clock that moves an hour per step from Monday 3 March 2025, 08:00 in Beijing."""

    class Clock:
        now = datetime(2025, 3, 3, 8, tzinfo=TZ)

        def tick(self, hours: int = 1) -> datetime:
            self.now += timedelta(hours=hours)
            return self.now

    return Clock()


@pytest.fixture
def file_complaint(captcha_answer, complaint, clock):
    """``file_complaint(**overrides)``: a complaint filed through the service with a fresh
    form and a solved CAPTCHA; returns the Filing."""

    def file(*, ip="203.0.113.7", files=(), now=None, **overrides):
        now = now or clock.tick()
        challenge = ps.captcha_issue(ip=ip, now=now)
        return ps.complaint_submit(
            nonce=form_token_nonce(form_token_issue()),
            captcha_key=challenge.key,
            captcha_answer=ANSWER,
            ip=ip,
            complaint=complaint(**overrides),
            files=files,
            now=now,
        )

    return file


@pytest.fixture
def staff_reply(clerk, supervisor, handler_a, unit_a, clock):
    """``staff_reply(case, text)``: the office accepts and dispatches the case to unit A, its
    handler replies, and the office approves the reply (the case awaits the callback)."""

    def reply(case, text="经查属实，已对窗口人员批评教育，社保转移已于当日办结。"):
        s.case_accept(actor=clerk, case=case, now=clock.tick())
        s.case_dispatch(
            actor=supervisor,
            case=case,
            mode="transfer",
            lead=s.UnitPart(unit_a, "查明推诿原因"),
            now=clock.tick(),
        )
        assignment = case.assignments.get()
        s.assignment_sign(actor=handler_a, assignment=assignment, now=clock.tick())
        s.assignment_reply(
            actor=handler_a,
            assignment=assignment,
            reply_text=text,
            finding="substantiated",
            measures="批评教育",
            now=clock.tick(),
        )
        s.case_review(actor=supervisor, case=case, approve=True, now=clock.tick())
        case.refresh_from_db()
        return case

    return reply
