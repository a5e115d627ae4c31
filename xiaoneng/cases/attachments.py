"""Attachments: checked by content, stored under generated names outside the web root.

An upload is accepted only when its bytes are one of the known formats (the file name and
the browser's content type are never trusted); images lose their metadata (EXIF with the GPS
position, XMP, comments) before they are stored, keeping only the orientation. Files added
by the office are visible to the handling units only when released to them; files added by a
unit are visible to that unit and to the office (``selectors.case_attachments``).
"""

from __future__ import annotations

import hashlib
import io
import re
import struct
import unicodedata
import zipfile
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import Http404
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from xiaoneng.audit.services import audit_log
from xiaoneng.cases import selectors
from xiaoneng.cases.choices import OPEN_STATUSES, AttachmentKind, CaseStatus
from xiaoneng.cases.models import Assignment, Attachment, Case
from xiaoneng.cases.protection import Identity, identity_in_file
from xiaoneng.cases.services import (
    CaseActionDenied,
    InvalidTransition,
    _check_assignment,
    _check_case,
    _event,
    _lock_assignment,
    _lock_case,
    _now,
)
from xiaoneng.org.models import User

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
NAME_MAX = 200

#: The kinds each side may upload with ``attachment_add`` (a redacted copy is uploaded with
#: ``attachment_add_redacted``, from the original it replaces).
OFFICE_KINDS = (AttachmentKind.ORIGINAL, AttachmentKind.EVIDENCE, AttachmentKind.REPLY)
UNIT_KINDS = (AttachmentKind.EVIDENCE, AttachmentKind.REPLY)


def max_bytes() -> int:
    return int(getattr(settings, "XIAONENG_ATTACHMENT_MAX_BYTES", DEFAULT_MAX_BYTES))


# --- what a file is, by its content ----------------------------------------------------------


@dataclass(frozen=True)
class FileType:
    content_type: str
    extensions: tuple[str, ...]  # the first one is added to a download name that lacks one


JPEG = FileType("image/jpeg", (".jpg", ".jpeg", ".jpe", ".jfif"))
PNG = FileType("image/png", (".png",))
GIF = FileType("image/gif", (".gif",))
WEBP = FileType("image/webp", (".webp",))
PDF = FileType("application/pdf", (".pdf",))
MP3 = FileType("audio/mpeg", (".mp3",))
M4A = FileType("audio/mp4", (".m4a", ".m4b", ".mp4"))
MP4 = FileType("video/mp4", (".mp4", ".m4v"))
MOV = FileType("video/quicktime", (".mov", ".qt"))
THREE_GP = FileType("video/3gpp", (".3gp", ".3g2"))
AMR = FileType("audio/amr", (".amr",))
AMR_WB = FileType("audio/amr-wb", (".awb", ".amr"))
WAV = FileType("audio/wav", (".wav",))
OGG = FileType("audio/ogg", (".ogg", ".oga", ".opus", ".ogv"))
DOCX = FileType(
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document", (".docx",)
)
XLSX = FileType("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (".xlsx",))
TEXT = FileType("text/plain", (".txt", ".text", ".csv", ".log", ".md"))

ALL_TYPES = (
    JPEG,
    PNG,
    GIF,
    WEBP,
    PDF,
    MP3,
    M4A,
    MP4,
    MOV,
    THREE_GP,
    AMR,
    AMR_WB,
    WAV,
    OGG,
    DOCX,
    XLSX,
    TEXT,
)
_BY_CONTENT_TYPE = {t.content_type: t for t in ALL_TYPES}

# ISO base media brands of audio and video (HEIC/AVIF photos share the container: refused,
# their metadata cannot be removed here).
_AUDIO_BRANDS = ("M4A ", "M4B ", "M4P ")
_VIDEO_BRANDS = (
    "isom",
    "iso2",
    "iso3",
    "iso4",
    "iso5",
    "iso6",
    "mp41",
    "mp42",
    "avc1",
    "M4V ",
    "M4VH",
    "M4VP",
    "dash",
    "mmp4",
    "MSNV",
    "f4v ",
    "XAVC",
)
_MARKUP = re.compile(
    r"<\s*(?:!doctype|html|head|body|script|iframe|frame|object|embed|svg|meta|link|style"
    r"|form|img|a\s|\?xml|!--)",
    re.IGNORECASE,
)
_TEXT_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def _mp3_frame(head: bytes) -> bool:
    """An MPEG audio frame header: sync bits, and no reserved version, layer, bitrate or
    sample rate (which rules out AAC, JPEG and random bytes starting with 0xFF)."""
    if len(head) < 4 or head[0] != 0xFF or head[1] & 0xE0 != 0xE0:
        return False
    version, layer = (head[1] >> 3) & 3, (head[1] >> 1) & 3
    bitrate, rate = head[2] >> 4, (head[2] >> 2) & 3
    return version != 1 and layer != 0 and bitrate not in (0, 15) and rate != 3


def _office_document(data: bytes) -> FileType | None:
    """DOCX or XLSX: a zip holding ``[Content_Types].xml`` and the main part, without macros.
    Only the directory is read: nothing is decompressed."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        OSError,
        ValueError,
        EOFError,
        NotImplementedError,
        KeyError,
    ):
        return None
    if "[Content_Types].xml" not in names:
        return None
    if any(name.lower().endswith("vbaproject.bin") for name in names):
        return None
    if "word/document.xml" in names:
        return DOCX
    if "xl/workbook.xml" in names:
        return XLSX
    return None


def _plain_text(data: bytes) -> bool:
    """UTF-8 text without control characters and without markup (an HTML page is text too,
    but it is not a letter)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    text = text.removeprefix("\ufeff")
    return not _TEXT_CONTROL.search(text) and not _MARKUP.search(text)


def detect_type(data: bytes) -> FileType | None:
    """The format of ``data`` by its magic bytes, or None when it is not one we accept."""
    head = data[:64]
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return WEBP
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return WAV
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"#!AMR-WB\n"):
        return AMR_WB
    if head.startswith(b"#!AMR\n"):
        return AMR
    if head.startswith(b"OggS"):
        return OGG
    if head[4:8] == b"ftyp":
        brand = head[8:12].decode("latin-1")
        if brand in _AUDIO_BRANDS:
            return M4A
        if brand in _VIDEO_BRANDS:
            return MP4
        if brand == "qt  ":
            return MOV
        if brand.startswith(("3gp", "3g2")):
            return THREE_GP
        return None
    if head.startswith(b"ID3") or _mp3_frame(head):
        return MP3
    if head.startswith(b"PK\x03\x04"):
        return _office_document(data)
    if _plain_text(data):
        return TEXT
    return None


# --- image metadata --------------------------------------------------------------------------


class _Malformed(ValueError):
    pass


def _orientation(exif: bytes) -> int | None:
    """The Orientation tag (0x0112) of IFD0 in an APP1 ``Exif`` payload, if readable."""
    tiff = exif[6:]
    if tiff[:4] not in (b"II*\x00", b"MM\x00*"):
        return None
    order = "<" if tiff[:2] == b"II" else ">"
    try:
        (offset,) = struct.unpack_from(order + "I", tiff, 4)
        (count,) = struct.unpack_from(order + "H", tiff, offset)
        for i in range(min(count, 512)):
            tag, kind, _n = struct.unpack_from(order + "HHI", tiff, offset + 2 + 12 * i)
            if tag == 0x0112 and kind == 3:
                (value,) = struct.unpack_from(order + "H", tiff, offset + 2 + 12 * i + 8)
                return value if 1 <= value <= 8 else None
    except struct.error:
        return None
    return None


def _orientation_segment(value: int) -> bytes:
    """A minimal APP1 Exif segment holding nothing but the orientation."""
    tiff = b"MM\x00*" + struct.pack(">I", 8) + struct.pack(">H", 1)
    tiff += struct.pack(">HHIHH", 0x0112, 3, 1, value, 0) + struct.pack(">I", 0)
    payload = b"Exif\x00\x00" + tiff
    return b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload


def _keep_jpeg_segment(marker: int, payload: bytes) -> bool:
    if marker == 0xE0:  # APP0: JFIF
        return payload.startswith((b"JFIF\x00", b"JFXX\x00"))
    if marker == 0xE2:  # APP2: the colour profile (not the MPF index of appended images)
        return payload.startswith(b"ICC_PROFILE\x00")
    if marker == 0xEE:  # APP14: Adobe colour transform
        return payload.startswith(b"Adobe")
    # Every other APPn (Exif, XMP, IPTC, maker notes …) and comments go.
    return not (0xE0 <= marker <= 0xEF or marker == 0xFE)


def strip_jpeg(data: bytes) -> bytes:
    """The JPEG without metadata segments and without anything appended after the image;
    the scan data is copied byte for byte. A rotated photo keeps its orientation."""
    if not data.startswith(b"\xff\xd8"):
        raise _Malformed("no SOI")
    out = [b"\xff\xd8"]
    orientation: int | None = None
    position, size = 2, len(data)
    while True:
        if position >= size or data[position] != 0xFF:
            raise _Malformed("expected a marker")
        while position < size and data[position] == 0xFF:
            position += 1
        if position >= size:
            raise _Malformed("truncated marker")
        marker = data[position]
        position += 1
        if marker == 0xD9:  # EOI: what follows (appended previews, trailers) is dropped
            out.append(b"\xff\xd9")
            break
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            out.append(bytes((0xFF, marker)))
            continue
        if position + 2 > size:
            raise _Malformed("truncated length")
        (length,) = struct.unpack_from(">H", data, position)
        end = position + length
        if length < 2 or end > size:
            raise _Malformed("bad segment length")
        payload = data[position + 2 : end]
        if marker == 0xE1 and payload.startswith(b"Exif\x00\x00") and orientation is None:
            orientation = _orientation(payload)
        if _keep_jpeg_segment(marker, payload):
            out.append(b"\xff" + data[position - 1 : end])
        position = end
        if marker == 0xDA:  # SOS: entropy-coded data up to the next real marker
            start = position
            while True:
                next_ff = data.find(b"\xff", position)
                if next_ff < 0 or next_ff + 1 >= size:
                    raise _Malformed("unterminated scan")
                following = data[next_ff + 1]
                if following == 0x00 or 0xD0 <= following <= 0xD7 or following == 0xFF:
                    position = next_ff + 1 if following == 0xFF else next_ff + 2
                    continue
                out.append(data[start:next_ff])
                position = next_ff
                break
    if orientation and orientation != 1:
        # After SOI and the JFIF segment, where readers look for it.
        at = 2 if len(out) > 1 and out[1][:2] == b"\xff\xe0" else 1
        out.insert(at, _orientation_segment(orientation))
    return b"".join(out)


_PNG_DROP = {b"eXIf", b"tEXt", b"zTXt", b"iTXt", b"tIME"}


def strip_png(data: bytes) -> bytes:
    """The PNG without its text, time and EXIF chunks, ending at IEND."""
    signature = b"\x89PNG\r\n\x1a\n"
    out, position = [signature], len(signature)
    while True:
        if position + 8 > len(data):
            raise _Malformed("truncated chunk")
        length, kind = struct.unpack_from(">I4s", data, position)
        end = position + 12 + length
        if end > len(data):
            raise _Malformed("bad chunk length")
        if kind not in _PNG_DROP:
            out.append(data[position:end])
        position = end
        if kind == b"IEND":
            return b"".join(out)


def strip_webp(data: bytes) -> bytes:
    """The WebP without its EXIF and XMP chunks (and their flags in the VP8X header)."""
    if len(data) < 12:
        raise _Malformed("truncated header")
    (riff_size,) = struct.unpack_from("<I", data, 4)
    limit = min(len(data), riff_size + 8)
    chunks, position = [], 12
    while position + 8 <= limit:
        kind, length = struct.unpack_from("<4sI", data, position)
        end = position + 8 + length + (length & 1)
        if position + 8 + length > limit:
            raise _Malformed("bad chunk length")
        chunk = data[position : min(end, limit)]
        if kind == b"VP8X" and length >= 1:
            chunk = chunk[:8] + bytes((chunk[8] & ~0x0C,)) + chunk[9:]
        if kind not in (b"EXIF", b"XMP "):
            chunks.append(chunk + (b"\x00" if len(chunk) & 1 else b""))
        position = end
    if not chunks:
        raise _Malformed("no chunks")
    body = b"WEBP" + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", len(body)) + body


_STRIPPERS = {JPEG: strip_jpeg, PNG: strip_png, WEBP: strip_webp}


# --- names -----------------------------------------------------------------------------------


def clean_name(name: str) -> str:
    """The uploaded name as it is kept: the last path part only, without control or
    direction-changing characters, at most 200 characters (the extension kept)."""
    name = unicodedata.normalize("NFC", str(name or ""))
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(
        c for c in name if unicodedata.category(c) not in {"Cc", "Cf", "Cs", "Co", "Zl", "Zp"}
    )
    name = name.strip().lstrip(".").strip()
    if not name:
        name = "attachment"
    if len(name) > NAME_MAX:
        stem, dot, extension = name.rpartition(".")
        if dot and stem and len(extension) <= 16:
            name = stem[: NAME_MAX - len(extension) - 1].rstrip() + "." + extension
        else:
            name = name[:NAME_MAX]
    return name


def download_name(attachment: Attachment) -> str:
    """The name a download is saved under: the original name, with the extension of the
    detected type added when the name does not already end in one (``scan.exe`` holding a
    PDF is saved as ``scan.exe.pdf``)."""
    name = attachment.original_name
    file_type = _BY_CONTENT_TYPE.get(attachment.content_type)
    if file_type is None:
        return name
    if name.lower().endswith(file_type.extensions):
        return name
    return clean_name(name + file_type.extensions[0])


def content_disposition(attachment: Attachment) -> str:
    """``attachment`` with an ASCII fallback name and the real name in RFC 5987 form."""
    name = download_name(attachment)
    if re.fullmatch(r"[\x20-\x7e]*", name) and not re.search(r'["\\%;]', name):
        return f'attachment; filename="{name}"'
    extension = name.rpartition(".")[2] if "." in name else ""
    fallback = f"attachment-{attachment.pk}" + (
        f".{extension}" if re.fullmatch(r"[A-Za-z0-9]{1,16}", extension) else ""
    )
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def serve_content_type(attachment: Attachment) -> str:
    if attachment.content_type == TEXT.content_type:
        return "text/plain; charset=utf-8"
    return attachment.content_type


# --- validation and storage ------------------------------------------------------------------


def _file_error(message: str, code: str) -> ValidationError:
    return ValidationError({"file": ValidationError(message, code=code)})


def _check_no_identity(
    case: Case, *, name: str, data: bytes, content_type: str, redacted: bool
) -> None:
    """Refuse to release a file to the units whose name or readable text holds the
    complainant's identity (``protection.identity_in_file``)."""
    identity = Identity.of(case.complainant)
    if not identity_in_file(name=name, data=data, content_type=content_type, identity=identity):
        return
    if redacted:
        message = _(
            "The redacted copy “%(name)s” still shows the complainant's identity (name, phone, "
            "ID number, address or e-mail). Black it out, or rename the file, and upload it again."
        )
    else:
        message = _(
            "“%(name)s” shows the complainant's identity (name, phone, ID number, address or "
            "e-mail) and cannot be released to the handling unit. Upload a redacted copy instead."
        )
    raise _file_error(message % {"name": name}, "identity_in_file")


def _inspect(file: UploadedFile) -> tuple[str, FileType, bytes]:
    """Read and check the upload: not empty, not too large, a known format by its content;
    images without their metadata. Returns the cleaned name, the type and the bytes to store."""
    name = clean_name(getattr(file, "name", "") or "")
    limit = max_bytes()
    too_large = _("“%(name)s” is larger than the limit of %(limit)s.") % {
        "name": name,
        "limit": filesizeformat(limit),
    }
    if file.size is not None and file.size > limit:
        raise _file_error(too_large, "file_too_large")
    file.seek(0)
    chunks, total = [], 0
    for chunk in file.chunks():
        total += len(chunk)
        if total > limit:
            raise _file_error(too_large, "file_too_large")
        chunks.append(chunk)
    data = b"".join(chunks)
    if not data:
        raise _file_error(_("“%(name)s” is empty.") % {"name": name}, "file_empty")
    file_type = detect_type(data)
    if file_type is None:
        raise _file_error(
            _(
                "“%(name)s” cannot be attached: its content is not one of the accepted types "
                "(JPEG, PNG, GIF or WebP images, PDF, MP3, M4A, AMR, WAV or OGG audio, MP4 "
                "video, Word or Excel documents (DOCX, XLSX) and plain UTF-8 text)."
            )
            % {"name": name},
            "file_type",
        )
    strip = _STRIPPERS.get(file_type)
    if strip is not None:
        try:
            data = strip(data)
        except (_Malformed, struct.error, IndexError) as exc:
            raise _file_error(
                _("“%(name)s” could not be read as an image.") % {"name": name}, "file_damaged"
            ) from exc
    return name, file_type, data


def _store(
    *,
    actor: User,
    case: Case,
    name: str,
    file_type: FileType,
    data: bytes,
    kind: str,
    assignment: Assignment | None,
    releasable: bool,
    now: datetime,
    event_data: dict | None = None,
) -> Attachment:
    attachment = Attachment(
        case=case,
        assignment=assignment,
        kind=kind,
        original_name=name,
        content_type=file_type.content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        releasable=releasable,
        uploaded_by=actor,
        uploaded_at=now,
    )
    # The storage name comes from the model's upload_to (random, no extension).
    attachment.file.save("upload", ContentFile(data), save=False)
    try:
        attachment.full_clean(exclude=["file"])
        attachment.save()
        _event(
            case,
            "case.attachment_added",
            actor,
            at=now,
            assignment=assignment,
            data={"original_name": name, "kind": kind, **(event_data or {})},
        )
        audit_log(
            action="cases.attachment.upload",
            actor=actor,
            obj=attachment,
            data={
                "number": case.number,
                "case": case.pk,
                "kind": kind,
                "original_name": name,
                "content_type": file_type.content_type,
                "size": len(data),
                "sha256": attachment.sha256,
                "releasable": releasable,
                **(event_data or {}),
            },
        )
    except BaseException:
        attachment.file.storage.delete(attachment.file.name)
        raise
    return attachment


@transaction.atomic
def attachment_add(
    *,
    actor: User,
    case: Case,
    file: UploadedFile,
    kind: str,
    assignment: Assignment | None = None,
    releasable: bool = False,
    now: datetime | None = None,
) -> Attachment:
    """Validate ``file`` by its content and size, store it and record it on the case.

    Office roles attach to any open case (the intake clerk also while registering it); a
    unit attaches to its own open part of the case (``assignment``), and its files are never
    released to other units. Raises ``CaseActionDenied`` (views: 404) for anyone else,
    ``InvalidTransition`` when the case or the part is no longer open, and ``ValidationError``
    on the ``file`` or ``kind`` field for a bad upload, before anything is written."""
    now = _now(now)
    if assignment is None:
        case = _lock_case(case, None)
        _check_case("attach", case, actor)
        kinds = OFFICE_KINDS
    else:
        assignment, locked = _lock_assignment(assignment, None)
        if assignment.case_id != case.pk:
            raise CaseActionDenied("attach")
        case = locked
        _check_assignment("attach", assignment, actor)
        if case.status not in OPEN_STATUSES:
            raise InvalidTransition(
                _("This action is not possible while the case is “%(status)s”.")
                % {"status": CaseStatus(case.status).label},
                code="invalid_transition",
            )
        kinds = UNIT_KINDS
        releasable = False
    if kind not in kinds:
        raise ValidationError(
            {"kind": ValidationError(_("Choose what kind of material this is."), code="kind")}
        )
    name, file_type, data = _inspect(file)
    if releasable:
        _check_no_identity(
            case, name=name, data=data, content_type=file_type.content_type, redacted=False
        )
    return _store(
        actor=actor,
        case=case,
        name=name,
        file_type=file_type,
        data=data,
        kind=kind,
        assignment=assignment,
        releasable=bool(releasable),
        now=now,
    )


@transaction.atomic
def attachment_add_redacted(
    *, actor: User, attachment: Attachment, file: UploadedFile, now: datetime | None = None
) -> Attachment:
    """An office user uploads a redacted copy of an original (the complainant's identity
    blacked out); the copy is released to the handling unit at once."""
    now = _now(now)
    case = _lock_case(attachment.case_id, None)
    _check_case("attach", case, actor)
    if attachment.kind != AttachmentKind.ORIGINAL or attachment.assignment_id is not None:
        raise ValidationError(
            _("Only the original material of the case has redacted copies."), code="not_original"
        )
    name, file_type, data = _inspect(file)
    _check_no_identity(
        case, name=name, data=data, content_type=file_type.content_type, redacted=True
    )
    return _store(
        actor=actor,
        case=case,
        name=name,
        file_type=file_type,
        data=data,
        kind=AttachmentKind.REDACTED,
        assignment=None,
        releasable=True,
        now=now,
        event_data={"redacted_from": attachment.pk},
    )


@transaction.atomic
def attachment_release(
    *, actor: User, attachment: Attachment, releasable: bool, now: datetime | None = None
) -> Attachment:
    """Office roles release a file the office added to the handling units (or withdraw it).
    Setting the value it already has changes nothing."""
    now = _now(now)
    case = _lock_case(attachment.case_id, None)
    _check_case("release_attachment", case, actor)
    attachment = Attachment.objects.select_for_update().get(pk=attachment.pk)
    if attachment.assignment_id is not None:
        raise ValidationError(
            _("Files added by a unit are not released to other units."), code="unit_file"
        )
    releasable = bool(releasable)
    if attachment.releasable == releasable:
        return attachment
    if releasable:
        try:
            with attachment.file.open("rb") as handle:
                data = handle.read(max_bytes() + 1)
        except (FileNotFoundError, ValueError):
            data = b""
        _check_no_identity(
            case,
            name=attachment.original_name,
            data=data,
            content_type=attachment.content_type,
            redacted=False,
        )
    attachment.releasable = releasable
    attachment.save(update_fields=["releasable"])
    data = {
        "original_name": attachment.original_name,
        "kind": attachment.kind,
        "releasable": releasable,
    }
    _event(case, "case.attachment_released", actor, at=now, data=data)
    audit_log(
        action="cases.attachment.release",
        actor=actor,
        obj=attachment,
        data={"number": case.number, "case": case.pk, **data},
    )
    return attachment


# --- reading ---------------------------------------------------------------------------------


def attachment_get(*, user, pk: int) -> Attachment:
    """The attachment if the user may see its case and the file itself (units: released
    files and their own units' files), else 404."""
    case_id = Attachment.objects.filter(pk=pk).values_list("case_id", flat=True).first()
    if case_id is None:
        raise Http404
    case = selectors.case_get(user=user, pk=case_id)
    for attachment in selectors.case_attachments(case=case, user=user):
        if attachment.pk == pk:
            attachment.case = case
            return attachment
    raise Http404


@transaction.atomic
def attachment_download(*, actor: User, attachment: Attachment) -> File:
    """Open the stored file for ``actor`` (who must have got it from ``attachment_get``) and
    record the download in the audit log. A file missing from the storage is a 404."""
    audit_log(
        action="cases.attachment.download",
        actor=actor,
        obj=attachment,
        data={
            "number": attachment.case.number,
            "case": attachment.case_id,
            "kind": attachment.kind,
            "sha256": attachment.sha256,
        },
    )
    try:
        return attachment.file.storage.open(attachment.file.name, "rb")
    except (FileNotFoundError, ValueError):
        # Rolls the audit row back with it: nothing was downloaded.
        raise Http404 from None
