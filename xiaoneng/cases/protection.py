"""Complainant protection: the forms identity values are compared in, and finding them in
texts and files.

* ``normalise_phone`` and ``normalise_id_number`` give the form whose blind index
  (``Complainant.phone_index``, ``id_number_index``) finds the same person again however the
  number was written; ``same_complainant_q`` is the lookup.
* ``scrub_identity`` replaces the complainant's identity in a text with its masked form: the
  complaint's own words often name the person ("我叫张三丰，电话 138 1234 5678"), and those
  words go to the unit complained about.
* ``identity_in_file`` finds the identity in a file's name and, for text formats, its content,
  before the file is released to a unit.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q

#: Fewer characters than this are not looked for in texts (a one-character name would match
#: everywhere).
MIN_NAME_LENGTH = 2
#: At most this many bytes of a document's parts are read when looking for the identity.
MAX_SCAN_BYTES = 20 * 1024 * 1024

_NOT_DIGIT = re.compile(r"\D")
_ID_SEPARATORS = re.compile(r"[\s\-]")


def normalise_phone(value: str) -> str:
    """The digits of a phone number, without the country code 86 of a mobile number written
    with it (+86 138…, 0086 138…)."""
    digits = _NOT_DIGIT.sub("", unicodedata.normalize("NFKC", value or ""))
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 11:
            candidate = digits[len(prefix) :]
            if candidate.startswith("1"):
                return candidate
    return digits


def normalise_id_number(value: str) -> str:
    """An ID number in capitals without spaces or hyphens."""
    return _ID_SEPARATORS.sub("", unicodedata.normalize("NFKC", value or "")).upper()


def same_complainant_q(*, phone: str = "", id_number: str = "", prefix: str = "complainant__") -> Q:
    """Cases (or, with ``prefix=""``, complainants) of the person with this phone or ID
    number, through the blind indexes; an empty ``Q`` matches nothing here, so callers check
    ``if q:`` before filtering."""
    from xiaoneng.cases.models import Complainant

    q = Q()
    for field_name, value in (("phone_index", phone), ("id_number_index", id_number)):
        values = Complainant._meta.get_field(field_name).lookup_values(value)
        if values:
            q |= Q(**{f"{prefix}{field_name}__in": values})
    return q


# --- identity in texts ------------------------------------------------------------------------


@dataclass(frozen=True)
class Identity:
    """The values that identify a complainant (plain text, as registered)."""

    name: str = ""
    phone: str = ""
    id_number: str = ""
    address: str = ""
    email: str = ""

    @classmethod
    def of(cls, person) -> Identity:
        """The identity of a ``Complainant`` (empty for an anonymous one)."""
        if person is None or person.anonymous:
            return cls()
        return cls(
            name=person.name,
            phone=person.phone,
            id_number=person.id_number,
            address=person.address,
            email=person.email,
        )

    def __bool__(self) -> bool:
        return any((self.name, self.phone, self.id_number, self.address, self.email))


def _char_class(char: str) -> str:
    """A character and its full-width form (digits and Latin letters typed in a Chinese
    input method), any case."""
    forms = {char.lower(), char.upper()}
    forms |= {chr(ord(c) + 0xFEE0) for c in list(forms) if "!" <= c <= "~"}
    return "[" + "".join(re.escape(c) for c in sorted(forms)) + "]"


def _spaced(value: str) -> str:
    """A pattern for ``value`` written with spaces, hyphens or dots between its characters."""
    return r"[\s\-－.·]?".join(_char_class(c) for c in value)


def _patterns(identity: Identity) -> list[tuple[str, re.Pattern]]:
    from xiaoneng.cases.selectors import mask_address, mask_id_number, mask_name, mask_phone

    found = []
    phone = normalise_phone(identity.phone)
    if len(phone) >= 5:
        # Not inside a longer number (an ID number holds many short digit runs).
        pattern = r"(?<![0-9０-９])" + _spaced(phone) + r"(?![0-9０-９])"
        found.append((mask_phone(phone), re.compile(pattern)))
    id_number = normalise_id_number(identity.id_number)
    if len(id_number) >= 6:
        pattern = r"(?<![0-9０-９])" + _spaced(id_number) + r"(?![0-9０-９Xx])"
        found.append((mask_id_number(id_number), re.compile(pattern)))
    email = identity.email.strip()
    if email:
        found.append(("***@***", re.compile(re.escape(email), re.IGNORECASE)))
    address = identity.address.strip()
    if len(address) >= MIN_NAME_LENGTH:
        found.append((mask_address(address), re.compile(re.escape(address))))
    name = identity.name.strip()
    if len(name) >= MIN_NAME_LENGTH:
        found.append((mask_name(name), re.compile(re.escape(name))))
    return found


def scrub_identity(text: str, identity: Identity) -> str:
    """``text`` with every occurrence of the identity replaced by its masked form (the phone
    number also when written with spaces, hyphens or full-width digits)."""
    if not text or not identity:
        return text
    for masked, pattern in _patterns(identity):
        text = pattern.sub(masked, text)
    return text


def identity_in_text(text: str, identity: Identity) -> list[str]:
    """Which identity values (``name``, ``phone``, ``id_number``, ``address``, ``email``)
    occur in ``text``."""
    if not text or not identity:
        return []
    kinds = []
    for kind, value in (
        ("phone", identity.phone),
        ("id_number", identity.id_number),
        ("email", identity.email),
        ("address", identity.address),
        ("name", identity.name),
    ):
        if value and scrub_identity(text, Identity(**{kind: value})) != text:
            kinds.append(kind)
    return kinds


# --- identity in files ------------------------------------------------------------------------


def _document_texts(data: bytes) -> Iterable[str]:
    """The XML parts of a DOCX or XLSX, decompressed up to ``MAX_SCAN_BYTES`` in all, with
    the markup removed (Word splits a sentence into runs)."""
    budget = MAX_SCAN_BYTES
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for info in archive.infolist():
                if not info.filename.endswith(".xml") or budget <= 0:
                    continue
                with archive.open(info) as member:
                    raw = member.read(budget)
                budget -= len(raw)
                xml = raw.decode("utf-8", errors="ignore")
                yield xml
                yield re.sub(r"<[^>]+>", "", xml)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        return


def identity_in_file(*, name: str, data: bytes, content_type: str, identity: Identity) -> list[str]:
    """Which identity values occur in a file's name or, for plain text, Word and Excel
    documents and the uncompressed text of a PDF, its content. Images, audio and compressed
    PDF streams cannot be read here: the person who releases them checks them."""
    kinds = set(identity_in_text(name, identity))
    texts: list[str] = []
    if content_type == "text/plain":
        texts.append(data.decode("utf-8", errors="ignore"))
    elif content_type in (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ):
        texts.extend(_document_texts(data))
    elif content_type == "application/pdf":
        texts.append(data.decode("utf-8", errors="ignore"))
    for text in texts:
        kinds.update(identity_in_text(text, identity))
    order = ("name", "phone", "id_number", "address", "email")
    return [kind for kind in order if kind in kinds]
