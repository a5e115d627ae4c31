"""Attachments: checked by content, stored under generated names, image metadata removed,
visible to units only when released, served only through the permission-checking view."""

import base64
import hashlib
import io
import struct
import zipfile
import zlib
from datetime import datetime
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from xiaoneng.audit.models import AuditEntry
from xiaoneng.cases import attachments as att
from xiaoneng.cases import services as s
from xiaoneng.cases.models import Attachment, CaseEvent
from xiaoneng.cases.services import CaseActionDenied, InvalidTransition

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Shanghai")

# A real 16×16 baseline JPEG (JFIF, no metadata).
JPEG = base64.b64decode(
    "/9j/4AAQSkZJRgABAQEAAQABAAD/2wBDAAMCAgICAgMCAgIDAwMDBAYEBAQEBAgGBgUGCQgKCgkICQkKDA8MCgsOCwkJ"
    "DRENDg8QEBEQCgwSExIQEw8QEBD/2wBDAQMDAwQDBAgEBAgQCwkLEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQ"
    "EBAQEBAQEBAQEBAQEBAQEBAQEBD/wAARCAAQABADASIAAhEBAxEB/8QAFgABAQEAAAAAAAAAAAAAAAAABwQF/8QAJBAA"
    "AQQBBAICAwAAAAAAAAAAAQIDBAYFBwgSExEiABQJMTL/xAAVAQEBAAAAAAAAAAAAAAAAAAAABv/EACMRAAECBQMFAAAA"
    "AAAAAAAAAAECEQMEBQYhABIxFRZhgeH/2gAMAwEAAhEDEQA/ABSm0mobc8HmExLUlRzzEWPkJWW+ulrsaUVAseUgslSl"
    "H9LKuPryIKuWPZdskzXmm3fX5m2nF4GlVxx/HOpx4ks51+MiU/Iaad7UcUo4tILoS4kqcWkezS0hO/HvuRp0rO6hWnWO"
    "1UisZVuFi4GFeyEpmGepa5S5SWVPuciFKRFLgSrwetnyPIB+Vb4N9mKhQMzo5po9XLdDs9d6ZVix2VEhiL9kuNPxw2gE"
    "KcDQ/rs8AuA8VAe0vdl7VOYn+27flGAUgmITjbhSmCg3BYlyeWDkMolvw4KOp1KM6iCNvngZHwetf//Z"
)
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00" + b"\x00" * 44
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\xb8" + b"\x00" * 47
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def tiny_png(*extra_chunks: bytes) -> bytes:
    """A real 1×1 red PNG."""
    header = png_chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
    pixels = png_chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
    return b"\x89PNG\r\n\x1a\n" + header + b"".join(extra_chunks) + pixels + png_chunk(b"IEND", b"")


def exif_segment(orientation: int) -> bytes:
    """An APP1 Exif segment: IFD0 with the orientation and a GPS IFD (latitude 30° N)."""

    def entry(tag, kind, count, value):
        return struct.pack(">HHI", tag, kind, count) + value

    gps_offset = 8 + 2 + 2 * 12 + 4
    ifd0 = struct.pack(">H", 2) + entry(0x0112, 3, 1, struct.pack(">HH", orientation, 0))
    ifd0 += entry(0x8825, 4, 1, struct.pack(">I", gps_offset)) + struct.pack(">I", 0)
    gps = struct.pack(">H", 2) + entry(1, 2, 2, b"N\x00\x00\x00")
    gps += entry(2, 5, 3, struct.pack(">I", gps_offset + 2 + 2 * 12 + 4)) + struct.pack(">I", 0)
    gps += struct.pack(">6I", 30, 1, 15, 1, 4242, 100)
    payload = b"Exif\x00\x00MM\x00*" + struct.pack(">I", 8) + ifd0 + gps
    return b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload


def jpeg_with_metadata(orientation: int = 6) -> bytes:
    comment = b"\xff\xfe" + struct.pack(">H", 2 + 12) + b"home address"
    # After SOI and the 16-byte JFIF segment; a thumbnail-like trailer after EOI.
    return JPEG[:20] + exif_segment(orientation) + comment + JPEG[20:] + b"\xff\xd8GPS-TRAILER"


def member(name: str) -> zipfile.ZipInfo:
    """A ZIP member with a fixed time: the same bytes (and test ids) on every run."""
    return zipfile.ZipInfo(name, date_time=(2025, 1, 1, 0, 0, 0))


def docx(*, extra: dict | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(member("[Content_Types].xml"), '<?xml version="1.0"?><Types/>')
        archive.writestr(member("word/document.xml"), '<?xml version="1.0"?><w:document/>')
        for name, content in (extra or {}).items():
            archive.writestr(member(name), content)
    return buffer.getvalue()


def plain_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(member("readme.txt"), "hello")
    return buffer.getvalue()


def upload(name: str, content: bytes, content_type: str = "application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def stored_files(root) -> list:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def case(register):
    """A registered case (the intake clerk is still working on it)."""
    return register(now=datetime(2025, 9, 26, 10, tzinfo=TZ))


@pytest.fixture
def handled(case, clerk, supervisor, handler_a, unit_a):
    """The case transferred to unit A, which has signed for it."""
    s.case_accept(actor=clerk, case=case, now=datetime(2025, 9, 29, 9, tzinfo=TZ))
    s.case_dispatch(
        actor=supervisor,
        case=case,
        mode="transfer",
        lead=s.UnitPart(unit_a, "查明推诿原因"),
        now=datetime(2025, 9, 30, 9, tzinfo=TZ),
    )
    s.assignment_sign(
        actor=handler_a, assignment=case.assignments.get(), now=datetime(2025, 10, 9, 9, tzinfo=TZ)
    )
    case.refresh_from_db()
    return case


def add(actor, case, name="材料.pdf", content=PDF, kind="original", **kwargs):
    return att.attachment_add(
        actor=actor, case=case, file=upload(name, content), kind=kind, **kwargs
    )


# --- detection by content --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (JPEG, "image/jpeg"),
        (tiny_png(), "image/png"),
        (b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "image/gif"),
        (
            b"RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00/\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00",
            "image/webp",
        ),
        (PDF, "application/pdf"),
        (b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\x00" * 20, "audio/mpeg"),
        (b"\xff\xfb\x90\x64" + b"\x00" * 40, "audio/mpeg"),
        (b"\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00M4A isom" + b"\x00" * 8, "audio/mp4"),
        (b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + b"\x00" * 8, "video/mp4"),
        (b"#!AMR\n\x3c" + b"\x00" * 31, "audio/amr"),
        (b"RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00" + b"\x00" * 24, "audio/wav"),
        (b"OggS\x00\x02" + b"\x00" * 40, "audio/ogg"),
        (docx(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        ("关于窗口推诿的补充说明\r\n第二行。".encode(), "text/plain"),
    ],
)
def test_accepted_types_are_recognised_by_their_content(content, expected):
    assert att.detect_type(content).content_type == expected


@pytest.mark.parametrize(
    "content",
    [
        ELF,
        EXE,
        HTML,
        b"  \n<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>",
        plain_zip(),
        docx(extra={"word/vbaProject.bin": b"macro"}),
        "GBK 编码的文字".encode("gb18030"),
        b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 8,
        b"\xff\xf1\x50\x80" + b"\x00" * 40,  # AAC ADTS, not MP3
        b"\x1f\x8b\x08\x00" + b"\x00" * 20,
    ],
    ids=["elf", "exe", "html", "svg", "zip", "docm", "gbk-text", "heic", "aac", "gzip"],
)
def test_other_content_is_not_recognised(content):
    assert att.detect_type(content) is None


# --- the service -----------------------------------------------------------------------------


def test_the_clerk_attaches_the_original_while_registering(case, clerk, media):
    attachment = add(clerk, case, name="举报材料.pdf", releasable=False)

    attachment.refresh_from_db()
    assert (attachment.kind, attachment.original_name, attachment.content_type) == (
        "original",
        "举报材料.pdf",
        "application/pdf",
    )
    assert (attachment.size, attachment.sha256) == (len(PDF), hashlib.sha256(PDF).hexdigest())
    assert (attachment.releasable, attachment.assignment, attachment.uploaded_by) == (
        False,
        None,
        clerk,
    )
    # Stored under MEDIA_ROOT under a generated name: 32 hex digits, no extension.
    [path] = stored_files(media)
    assert path.read_bytes() == PDF
    assert path.parent.parent.parent == media / "cases"
    assert len(path.name) == 32 and int(path.name, 16) >= 0
    assert attachment.file.name == path.relative_to(media).as_posix()
    assert "举报" not in attachment.file.name and "pdf" not in attachment.file.name

    event = CaseEvent.objects.get(case=case, code="case.attachment_added")
    assert (event.actor, event.data) == (
        clerk,
        {"original_name": "举报材料.pdf", "kind": "original"},
    )
    entry = AuditEntry.objects.get(action="cases.attachment.upload")
    assert (entry.actor, entry.object_type, entry.object_id) == (
        clerk,
        "cases.attachment",
        str(attachment.pk),
    )
    assert entry.data == {
        "number": case.number,
        "case": case.pk,
        "kind": "original",
        "original_name": "举报材料.pdf",
        "content_type": "application/pdf",
        "size": len(PDF),
        "sha256": hashlib.sha256(PDF).hexdigest(),
        "releasable": False,
    }
    assert AuditEntry.objects.order_by("-position").first() == entry


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("photo.jpg", ELF, "file_type"),
        ("photo.jpg", EXE, "file_type"),
        ("report.pdf", HTML, "file_type"),
        ("report.docx", plain_zip(), "file_type"),
        ("empty.txt", b"", "file_empty"),
        ("broken.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "file_damaged"),
    ],
    ids=["elf-as-jpg", "exe-as-jpg", "html-as-pdf", "zip-as-docx", "empty", "truncated-jpeg"],
)
def test_a_rejected_upload_leaves_nothing_behind(case, clerk, media, name, content, code):
    with pytest.raises(ValidationError) as excinfo:
        add(clerk, case, name=name, content=content)

    assert excinfo.value.error_dict["file"][0].code == code
    assert not Attachment.objects.exists()
    assert stored_files(media) == []
    assert not CaseEvent.objects.filter(code="case.attachment_added").exists()
    assert not AuditEntry.objects.filter(action="cases.attachment.upload").exists()


def test_the_error_names_the_file(case, clerk):
    with translation.override("en"), pytest.raises(ValidationError) as excinfo:
        add(clerk, case, name="photo.jpg", content=ELF)
    message = excinfo.value.error_dict["file"][0].message
    assert message.startswith("“photo.jpg” cannot be attached")
    with translation.override("en"), pytest.raises(ValidationError) as excinfo:
        add(clerk, case, name="empty.txt", content=b"")
    assert excinfo.value.error_dict["file"][0].message == "“empty.txt” is empty."


def test_the_size_limit_comes_from_the_settings(case, clerk, media, settings):
    settings.XIAONENG_ATTACHMENT_MAX_BYTES = 100
    with translation.override("en"), pytest.raises(ValidationError) as excinfo:
        add(clerk, case, name="long.txt", content=b"a" * 101)
    error = excinfo.value.error_dict["file"][0]
    assert (error.code, error.message) == (
        "file_too_large",
        "“long.txt” is larger than the limit of 100\xa0bytes.",
    )
    assert not Attachment.objects.exists() and stored_files(media) == []
    assert add(clerk, case, name="short.txt", content=b"a" * 100).size == 100


def test_the_default_limit_is_20_mb(settings):
    del settings.XIAONENG_ATTACHMENT_MAX_BYTES
    assert att.max_bytes() == 20 * 1024 * 1024


@pytest.mark.parametrize(
    ("raw", "kept"),
    [
        ("C:\\Users\\张三\\Desktop\\身份证.jpg", "身份证.jpg"),
        ("../../etc/passwd", "passwd"),
        ("evil\u202egpj.exe", "evilgpj.exe"),
        ("line\r\nbreak\x00.txt", "linebreak.txt"),
        ("..", "attachment"),
        ("名" * 250 + ".docx", "名" * 195 + ".docx"),
    ],
)
def test_the_original_name_is_sanitised(raw, kept):
    assert att.clean_name(raw) == kept
    assert len(att.clean_name(raw)) <= 200


def test_metadata_is_removed_from_photos_but_the_orientation_is_kept(case, clerk, media):
    photo = add(clerk, case, name="现场.jpg", content=jpeg_with_metadata(orientation=6))
    stored = photo.file.open("rb").read()
    photo.file.close()
    assert b"N\x00\x00\x00" not in stored and b"home address" not in stored
    assert b"GPS-TRAILER" not in stored and stored.endswith(b"\xff\xd9")
    # The original scan data is unchanged; a minimal Exif segment keeps the rotation.
    assert stored == JPEG[:20] + att._orientation_segment(6) + JPEG[20:]
    assert att._orientation(att._orientation_segment(6)[4:]) == 6
    assert (photo.size, photo.sha256) == (len(stored), hashlib.sha256(stored).hexdigest())

    upright = att.strip_jpeg(jpeg_with_metadata(orientation=1))
    assert upright == JPEG

    png = add(clerk, case, name="截图.png", content=tiny_png(png_chunk(b"tEXt", b"GPS\x0030.25N")))
    stored_png = png.file.open("rb").read()
    png.file.close()
    assert stored_png == tiny_png()


def test_unit_roles_attach_only_to_their_own_open_part(
    handled, handler_a, handler_b, liaison_a, leader
):
    part = handled.assignments.get()
    with pytest.raises(CaseActionDenied):
        add(handler_a, handled, kind="evidence")  # no part named: a case-level action
    with pytest.raises(CaseActionDenied):
        add(handler_b, handled, kind="evidence", assignment=part)
    with pytest.raises(CaseActionDenied):
        add(leader, handled)
    with pytest.raises(ValidationError) as excinfo:
        add(handler_a, handled, kind="original", assignment=part)
    assert "kind" in excinfo.value.error_dict
    assert not Attachment.objects.exists()

    evidence = add(
        handler_a,
        handled,
        name="整改照片.jpg",
        content=JPEG,
        kind="evidence",
        assignment=part,
        releasable=True,
    )
    assert (evidence.assignment, evidence.releasable, evidence.content_type) == (
        part,
        False,
        "image/jpeg",
    )
    assert CaseEvent.objects.get(code="case.attachment_added").assignment == part
    assert add(liaison_a, handled, kind="reply", assignment=part).kind == "reply"


def test_a_unit_cannot_attach_before_signing_for_its_part(
    case, clerk, supervisor, handler_a, unit_a
):
    s.case_accept(actor=clerk, case=case)
    s.case_dispatch(actor=supervisor, case=case, mode="transfer", lead=s.UnitPart(unit_a))
    with pytest.raises(InvalidTransition):
        add(handler_a, case, kind="evidence", assignment=case.assignments.get())


def test_the_office_cannot_attach_to_a_case_no_longer_open(case, clerk):
    s.case_reject(actor=clerk, case=case, reason="不属于效能投诉范围")
    with pytest.raises(InvalidTransition):
        add(clerk, case)
    assert not Attachment.objects.exists()


def test_release_by_the_office_only(handled, clerk, supervisor, handler_a, liaison_a):
    original = add(clerk, handled)
    for unit_person in (handler_a, liaison_a):
        with pytest.raises(CaseActionDenied):
            att.attachment_release(actor=unit_person, attachment=original, releasable=True)
    original.refresh_from_db()
    assert original.releasable is False

    att.attachment_release(actor=supervisor, attachment=original, releasable=True)
    att.attachment_release(actor=supervisor, attachment=original, releasable=True)  # no change
    original.refresh_from_db()
    assert original.releasable is True
    event = CaseEvent.objects.get(code="case.attachment_released")
    assert (event.actor, event.data) == (
        supervisor,
        {"original_name": "材料.pdf", "kind": "original", "releasable": True},
    )
    [entry] = AuditEntry.objects.filter(action="cases.attachment.release")
    assert (entry.actor, entry.data["releasable"], entry.object_id) == (
        supervisor,
        True,
        str(original.pk),
    )

    unit_file = add(handler_a, handled, kind="evidence", assignment=handled.assignments.get())
    with pytest.raises(ValidationError) as excinfo:
        att.attachment_release(actor=supervisor, attachment=unit_file, releasable=True)
    assert excinfo.value.code == "unit_file"


def test_a_redacted_copy_is_released_at_once(handled, clerk, handler_a):
    original = add(clerk, handled, name="身份证.jpg", content=JPEG)
    with pytest.raises(CaseActionDenied):
        att.attachment_add_redacted(
            actor=handler_a, attachment=original, file=upload("x.jpg", JPEG)
        )
    copy = att.attachment_add_redacted(
        actor=clerk, attachment=original, file=upload("身份证-遮挡.jpg", JPEG)
    )
    assert (copy.kind, copy.releasable, copy.assignment) == ("redacted", True, None)
    assert CaseEvent.objects.filter(code="case.attachment_added").last().data == {
        "original_name": "身份证-遮挡.jpg",
        "kind": "redacted",
        "redacted_from": original.pk,
    }
    with pytest.raises(ValidationError) as excinfo:
        att.attachment_add_redacted(actor=clerk, attachment=copy, file=upload("x.jpg", JPEG))
    assert excinfo.value.code == "not_original"


def test_download_names_carry_the_extension_of_the_content(case, clerk):
    pdf_as_exe = add(clerk, case, name="扫描件.exe", content=PDF)
    assert att.download_name(pdf_as_exe) == "扫描件.exe.pdf"
    text = add(clerk, case, name="说明", content="文字".encode())
    assert att.download_name(text) == "说明.txt"
    assert att.download_name(add(clerk, case, name="scan.PDF")) == "scan.PDF"


# --- the views -------------------------------------------------------------------------------


@pytest.fixture
def files(handled, clerk, handler_a):
    """An unreleased original, a released original and unit A's own evidence."""
    part = handled.assignments.get()
    withheld = add(clerk, handled, name="举报人身份证.jpg", content=JPEG)
    released = add(clerk, handled, name="举报材料.pdf", releasable=True)
    evidence = add(
        handler_a, handled, name="整改报告.docx", content=docx(), kind="evidence", assignment=part
    )
    return {"withheld": withheld, "released": released, "evidence": evidence}


def url(attachment, suffix=""):
    return f"/cases/attachments/{attachment.pk}/{suffix}"


def test_the_office_downloads_with_safe_headers(client, clerk, files, handled):
    client.force_login(clerk)
    response = client.get(url(files["released"]))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'attachment; filename="attachment-{files["released"].pk}.pdf"; '
        f"filename*=UTF-8''{quote('举报材料.pdf')}"
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"
    assert response["Content-Length"] == str(len(PDF))
    entry = AuditEntry.objects.get(action="cases.attachment.download")
    assert (entry.actor, entry.object_id, entry.data) == (
        clerk,
        str(files["released"].pk),
        {
            "number": handled.number,
            "case": handled.pk,
            "kind": "original",
            "sha256": hashlib.sha256(PDF).hexdigest(),
        },
    )
    assert client.get(url(files["withheld"])).status_code == 200


def test_an_ascii_name_is_sent_as_is(client, clerk, case):
    attachment = add(clerk, case, name="notes.txt", content=b"plain words")
    client.force_login(clerk)
    response = client.get(url(attachment))
    assert response["Content-Disposition"] == 'attachment; filename="notes.txt"'
    assert response["Content-Type"] == "text/plain; charset=utf-8"


def test_a_leader_never_gets_an_unreleased_original(client, leader, files):
    client.force_login(leader)
    assert client.get(url(files["released"])).status_code == 200
    assert client.get(url(files["evidence"])).status_code == 200
    assert client.get(url(files["withheld"])).status_code == 404
    page = client.get(f"/cases/{files['withheld'].case_id}/").content.decode()
    assert "举报人身份证" not in page and "举报材料" in page


def test_the_handling_unit_gets_only_released_files_and_its_own(client, handler_a, files):
    client.force_login(handler_a)
    assert client.get(url(files["released"])).status_code == 200
    assert client.get(url(files["evidence"])).status_code == 200
    assert client.get(url(files["withheld"])).status_code == 404
    page = client.get(f"/cases/{files['withheld'].case_id}/").content.decode()
    assert "举报人身份证" not in page and "整改报告" in page
    assert list(
        AuditEntry.objects.filter(action="cases.attachment.download")
        .order_by("position")
        .values_list("object_id", flat=True)
    ) == [str(files["released"].pk), str(files["evidence"].pk)]


@pytest.mark.parametrize("persona", ["handler_b", "sysadmin", "auditadmin", "inspector"])
def test_outsiders_get_404(client, request, files, persona):
    client.force_login(request.getfixturevalue(persona))
    for attachment in files.values():
        assert client.get(url(attachment)).status_code == 404
    assert client.get("/cases/attachments/999999/").status_code == 404
    assert not AuditEntry.objects.filter(action="cases.attachment.download").exists()


def test_anonymous_is_sent_to_login(client, files):
    response = client.get(url(files["released"]))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_download_is_get_only(client, clerk, files):
    client.force_login(clerk)
    assert client.post(url(files["released"])).status_code == 405


def test_a_file_missing_from_storage_is_404_without_an_audit_row(client, clerk, files):
    files["released"].file.storage.delete(files["released"].file.name)
    client.force_login(clerk)
    assert client.get(url(files["released"])).status_code == 404
    assert not AuditEntry.objects.filter(action="cases.attachment.download").exists()


@pytest.mark.parametrize(
    "persona", ["handler_a", "liaison_a", "unit_head_a", "handler_b", "leader"]
)
def test_only_the_office_releases(client, request, files, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.post(url(files["withheld"], "release/"), {"releasable": "1"}).status_code == 404
    files["withheld"].refresh_from_db()
    assert files["withheld"].releasable is False
    assert not AuditEntry.objects.filter(action="cases.attachment.release").exists()


def test_release_toggle(client, supervisor, handler_a, files, handled):
    client.force_login(supervisor)
    assert client.get(url(files["withheld"], "release/")).status_code == 405

    response = client.post(url(files["withheld"], "release/"), {"releasable": "1"})
    assert (response.status_code, response["Location"]) == (302, f"/cases/{handled.pk}/")
    files["withheld"].refresh_from_db()
    assert files["withheld"].releasable is True

    response = client.post(url(files["withheld"], "release/"), headers={"HX-Request": "true"})
    assert response.status_code == 200
    body = response.content.decode()
    assert f'id="attachment-{files["withheld"].pk}"' in body
    assert 'data-releasable="false"' in body and "<html" not in body
    files["withheld"].refresh_from_db()
    assert files["withheld"].releasable is False
    assert AuditEntry.objects.filter(action="cases.attachment.release").count() == 2

    client.force_login(handler_a)
    assert client.get(url(files["withheld"])).status_code == 404


def test_the_office_uploads_from_the_case_page(client, clerk, case, media):
    client.force_login(clerk)
    response = client.post(
        f"/cases/{case.pk}/attachments/",
        {"kind": "original", "releasable": "on", "file": upload("来信.pdf", PDF)},
    )
    assert (response.status_code, response["Location"]) == (302, f"/cases/{case.pk}/")
    attachment = Attachment.objects.get()
    assert (attachment.original_name, attachment.kind, attachment.releasable) == (
        "来信.pdf",
        "original",
        True,
    )
    assert client.get(f"/cases/{case.pk}/attachments/").status_code == 405


def test_a_bad_upload_is_refused_with_a_message(client, clerk, case, media):
    client.force_login(clerk)
    response = client.post(
        f"/cases/{case.pk}/attachments/",
        {"kind": "original", "file": upload("photo.jpg", ELF, "image/jpeg")},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert (response.status_code, response["Location"]) == (302, f"/cases/{case.pk}/")
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert message.startswith("“photo.jpg” cannot be attached")
    assert not Attachment.objects.exists() and stored_files(media) == []


def test_a_bad_upload_over_htmx_shows_the_error_in_the_panel(client, clerk, case, media):
    client.force_login(clerk)
    response = client.post(
        f"/cases/{case.pk}/attachments/",
        {"kind": "evidence", "file": upload("page.pdf", HTML, "application/pdf")},
        headers={"HX-Request": "true"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-testid="attachments"' in body
    assert "“page.pdf” cannot be attached" in body
    assert 'value="evidence" selected' in body
    assert not Attachment.objects.exists() and stored_files(media) == []


def test_a_unit_uploads_to_its_part(client, handler_a, handled):
    part = handled.assignments.get()
    client.force_login(handler_a)
    response = client.post(
        f"/cases/{handled.pk}/attachments/",
        {"kind": "evidence", "assignment": part.pk, "file": upload("整改.png", tiny_png())},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    attachment = Attachment.objects.get()
    assert (attachment.assignment, attachment.kind, attachment.releasable) == (
        part,
        "evidence",
        False,
    )
    assert f'href="/cases/attachments/{attachment.pk}/"' in response.content.decode()
    # Without naming the part, the unit's only open part is used.
    client.post(
        f"/cases/{handled.pk}/attachments/",
        {"kind": "reply", "file": upload("答复.pdf", PDF)},
    )
    assert Attachment.objects.filter(assignment=part).count() == 2


@pytest.mark.parametrize("persona", ["handler_b", "leader", "sysadmin"])
def test_outsiders_cannot_upload(client, request, handled, persona, media):
    client.force_login(request.getfixturevalue(persona))
    response = client.post(
        f"/cases/{handled.pk}/attachments/",
        {
            "kind": "evidence",
            "assignment": handled.assignments.get().pk,
            "file": upload("x.pdf", PDF),
        },
    )
    assert response.status_code == 404
    assert not Attachment.objects.exists() and stored_files(media) == []


def test_the_office_uploads_a_redacted_copy(client, clerk, handler_a, files):
    client.force_login(handler_a)
    response = client.post(url(files["withheld"], "redacted/"), {"file": upload("遮挡.jpg", JPEG)})
    assert response.status_code == 404
    client.force_login(clerk)
    response = client.post(url(files["withheld"], "redacted/"), {"file": upload("遮挡.jpg", JPEG)})
    assert response.status_code == 302
    copy = Attachment.objects.get(kind="redacted")
    client.force_login(handler_a)
    assert client.get(url(copy)).status_code == 200


def test_the_panel_shows_each_side_what_it_may_see_and_do(supervisor, handler_a, files):
    from django.template.loader import render_to_string

    from xiaoneng.cases.views.attachments import attachment_panel_context

    case = files["released"].case
    office = render_to_string(
        "cases/partials/attachment_panel.html",
        attachment_panel_context(case=case, user=supervisor),
    )
    assert office.count('data-testid="attachment-row"') == 3
    assert office.count('data-testid="attachment-release"') == 1
    assert office.count('data-testid="attachment-withdraw"') == 1
    assert f"/cases/attachments/{files['withheld'].pk}/redacted/" in office
    assert 'name="releasable"' in office and 'data-testid="attachment-upload"' in office

    unit = render_to_string(
        "cases/partials/attachment_panel.html",
        attachment_panel_context(case=case, user=handler_a),
    )
    assert unit.count('data-testid="attachment-row"') == 2
    assert "举报人身份证.jpg" not in unit
    assert 'data-testid="attachment-release"' not in unit and "/redacted/" not in unit
    part = case.assignments.get()
    assert f'name="assignment" value="{part.pk}"' in unit
    assert 'value="original"' not in unit and 'value="evidence"' in unit
