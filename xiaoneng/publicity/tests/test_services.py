import io
import zipfile
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from xiaoneng.audit.models import AuditEntry
from xiaoneng.org.services import ConflictError
from xiaoneng.publicity import services as s
from xiaoneng.publicity.choices import BulletinStatus
from xiaoneng.publicity.docx import bulletin_docx
from xiaoneng.publicity.models import Bulletin, BulletinSequence

from .conftest import COMPLAINANT_ADDRESS, COMPLAINANT_ID, COMPLAINANT_NAME, COMPLAINANT_PHONE

TZ = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


def at(*args):
    return datetime(*args, tzinfo=TZ)


def approved(bulletin, *, clerk, director, now):
    s.bulletin_submit(actor=clerk, bulletin=bulletin)
    return s.bulletin_approve(actor=director, bulletin=bulletin, now=now)


def test_the_draft_tells_the_case_and_never_the_complainant(closed_case, clerk, unit_a):
    case = closed_case()
    bulletin = s.bulletin_draft(actor=clerk, cases=[case])
    body = bulletin.body
    assert bulletin.status == BulletinStatus.DRAFT
    assert list(bulletin.cases.values_list("number", flat=True)) == [case.number]
    assert "一、办理社保转移被多次推诿" in body
    assert case.number in body
    assert "推诿扯皮" in body or case.category.name in body
    assert unit_a.name in body
    assert "推行窗口首问负责制" in body
    assert "吴某某" in body  # the official named in the accountability decision
    for secret in (COMPLAINANT_NAME, COMPLAINANT_PHONE, COMPLAINANT_ID, COMPLAINANT_ADDRESS):
        assert secret not in body
        assert secret not in bulletin.title
    # Not even in the Word document's XML, in any part.
    with zipfile.ZipFile(io.BytesIO(bulletin_docx(bulletin))) as docx:
        for name in docx.namelist():
            data = docx.read(name)
            for secret in (COMPLAINANT_NAME, COMPLAINANT_PHONE, COMPLAINANT_ID):
                assert secret.encode() not in data, name
    entry = AuditEntry.objects.filter(action="publicity.bulletin.draft").get()
    assert entry.data["cases"] == [case.number]


def test_only_closed_cases_go_into_a_bulletin(register, clerk):
    case = register()
    with pytest.raises(ValidationError) as excinfo:
        s.bulletin_draft(actor=clerk, cases=[case])
    assert excinfo.value.error_dict["cases"][0].code == "case_not_closed"
    with pytest.raises(ValidationError):
        s.bulletin_draft(actor=clerk, cases=[])
    assert Bulletin.objects.count() == 0


def test_numbers_are_given_at_approval_per_year_gap_free(closed_case, clerk, director):
    case = closed_case()
    first = s.bulletin_draft(actor=clerk, cases=[case])
    second = s.bulletin_draft(actor=clerk, cases=[case])
    rejected = s.bulletin_draft(actor=clerk, cases=[case])
    assert (first.number, first.seq) == ("", None)
    s.bulletin_submit(actor=clerk, bulletin=rejected)
    s.bulletin_reject(actor=director, bulletin=rejected, note="案例不典型")
    first = approved(first, clerk=clerk, director=director, now=at(2026, 3, 5, 10))
    second = approved(second, clerk=clerk, director=director, now=at(2026, 3, 6, 10))
    assert (first.number, second.number) == ("效能通报〔2026〕第1期", "效能通报〔2026〕第2期")
    assert first.render_number() == first.number
    assert first.issuer_name == "天洲区效能办"
    # The new year (Beijing time) starts again at 1.
    rejected = Bulletin.objects.get(pk=rejected.pk)
    third = approved(rejected, clerk=clerk, director=director, now=at(2027, 1, 1, 0, 30))
    assert third.number == "效能通报〔2027〕第1期"
    assert dict(BulletinSequence.objects.values_list("year", "last")) == {2026: 2, 2027: 1}


def test_state_machine(closed_case, clerk, supervisor, director):
    bulletin = s.bulletin_draft(actor=supervisor, cases=[closed_case()])
    with pytest.raises(s.InvalidTransition):
        s.bulletin_approve(actor=director, bulletin=bulletin)
    with pytest.raises(s.InvalidTransition):
        s.bulletin_publish(actor=director, bulletin=bulletin, visibility="public")
    s.bulletin_submit(actor=clerk, bulletin=bulletin)
    with pytest.raises(s.InvalidTransition):
        s.bulletin_update(actor=clerk, bulletin=bulletin, title="x", body="y", version=None)
    with pytest.raises(ValidationError):
        s.bulletin_reject(actor=director, bulletin=bulletin, note="  ")
    s.bulletin_reject(actor=director, bulletin=bulletin, note="请补充整改情况")
    bulletin.refresh_from_db()
    assert (bulletin.status, bulletin.reject_note) == (BulletinStatus.DRAFT, "请补充整改情况")
    s.bulletin_update(
        actor=clerk, bulletin=bulletin, title="新标题", body="正文。", version=bulletin.version
    )
    s.bulletin_submit(actor=clerk, bulletin=bulletin)
    s.bulletin_approve(actor=director, bulletin=bulletin, now=at(2026, 3, 5, 10))
    with pytest.raises(ValidationError):
        s.bulletin_publish(actor=director, bulletin=bulletin, visibility="everywhere")
    s.bulletin_publish(
        actor=director, bulletin=bulletin, visibility="public", now=at(2026, 3, 6, 10)
    )
    bulletin.refresh_from_db()
    assert (bulletin.status, bulletin.visibility, bulletin.published_by) == (
        BulletinStatus.PUBLISHED,
        "public",
        director,
    )
    assert (bulletin.title, bulletin.body, bulletin.reject_note) == ("新标题", "正文。", "")
    with pytest.raises(s.InvalidTransition):
        s.bulletin_submit(actor=clerk, bulletin=bulletin)
    assert list(
        AuditEntry.objects.filter(action__startswith="publicity.")
        .order_by("id")
        .values_list("action", flat=True)
    ) == [
        "publicity.bulletin.draft",
        "publicity.bulletin.submit",
        "publicity.bulletin.reject",
        "publicity.bulletin.update",
        "publicity.bulletin.submit",
        "publicity.bulletin.approve",
        "publicity.bulletin.publish",
    ]


@pytest.mark.parametrize("persona", ["leader", "handler_a", "inspector", "sysadmin"])
def test_only_office_roles_draft(closed_case, persona, request):
    case = closed_case()
    with pytest.raises(s.BulletinActionDenied):
        s.bulletin_draft(actor=request.getfixturevalue(persona), cases=[case])
    assert Bulletin.objects.count() == 0


def test_only_the_director_approves_rejects_and_publishes(closed_case, clerk, supervisor):
    bulletin = s.bulletin_draft(actor=clerk, cases=[closed_case()])
    s.bulletin_submit(actor=clerk, bulletin=bulletin)
    with pytest.raises(s.BulletinActionDenied):
        s.bulletin_approve(actor=supervisor, bulletin=bulletin)
    with pytest.raises(s.BulletinActionDenied):
        s.bulletin_reject(actor=supervisor, bulletin=bulletin, note="不行")
    bulletin.refresh_from_db()
    assert (bulletin.status, bulletin.number) == (BulletinStatus.SUBMITTED, "")
    assert not BulletinSequence.objects.exists()


def test_a_stale_edit_is_a_conflict(closed_case, clerk, supervisor):
    bulletin = s.bulletin_draft(actor=clerk, cases=[closed_case()])
    seen = bulletin.version
    s.bulletin_update(
        actor=supervisor, bulletin=bulletin, title="甲", body="甲的正文", version=seen
    )
    with pytest.raises(ConflictError):
        s.bulletin_update(actor=clerk, bulletin=bulletin, title="乙", body="乙的正文", version=seen)
    bulletin.refresh_from_db()
    assert (bulletin.title, bulletin.body, bulletin.version) == ("甲", "甲的正文", seen + 1)


def test_the_word_document_has_the_official_layout(closed_case, clerk, director):
    bulletin = s.bulletin_draft(actor=clerk, cases=[closed_case()])
    bulletin = approved(bulletin, clerk=clerk, director=director, now=at(2026, 3, 5, 10))
    content = bulletin_docx(bulletin)
    with zipfile.ZipFile(io.BytesIO(content)) as docx:
        assert docx.testzip() is None
        xml = docx.read("word/document.xml").decode()
        footers = [docx.read(n).decode() for n in docx.namelist() if "footer" in n]
        fonts = docx.read("word/fontTable.xml").decode()
    assert '<w:font w:name="仿宋_GB2312"><w:altName w:val="仿宋"/>' in fonts
    assert '<w:pgSz w:w="11906" w:h="16838"' in xml
    for attr in ('w:top="2098"', 'w:bottom="1984"', 'w:left="1587"', 'w:right="1474"'):
        assert attr in xml
    assert "效能通报〔2026〕第3期" not in xml
    assert "效能通报〔2026〕第1期" in xml
    assert bulletin.title in xml
    assert 'w:eastAsia="方正小标宋简体"' in xml
    assert 'w:eastAsia="仿宋_GB2312"' in xml
    assert 'w:eastAsia="黑体"' in xml
    assert 'w:color w:val="E60012"' in xml  # the red issuing office
    assert 'w:lineRule="exact" w:line="560"' in xml  # fixed 28 pt lines
    assert 'w:firstLineChars="200"' in xml  # two-character indent
    assert '<w:bottom w:val="single" w:sz="12" w:space="1" w:color="E60012"/>' in xml
    assert 'w:sz w:val="44"' in xml  # 二号 title
    assert 'w:sz w:val="32"' in xml  # 三号 text
    assert any(
        '<w:instrText xml:space="preserve"> PAGE </w:instrText>' in f
        and "— " in f
        and 'w:eastAsia="宋体"' in f
        and 'w:sz w:val="28"' in f
        for f in footers
    )
    assert "天洲区效能办" in xml


def test_export_is_audited(closed_case, clerk, leader):
    bulletin = s.bulletin_draft(actor=clerk, cases=[closed_case()])
    content = s.bulletin_export(actor=leader, bulletin=bulletin)
    assert content[:2] == b"PK"
    assert AuditEntry.objects.filter(action="publicity.bulletin.export", actor=leader).count() == 1
