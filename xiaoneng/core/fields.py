"""Model fields for protected personal data: encrypted text and its blind index.

``EncryptedTextField`` holds text that Python code reads and writes as plain ``str`` while
the column holds only ``enc:`` + the base64 of a ``xiaoneng.core.crypto`` token, bound to the
field (a value copied into another column does not decrypt). An empty value is stored empty.
Such a column cannot be searched: the only lookups are ``isnull`` and equality with ``""``.

``BlindIndexField`` holds a keyed hash (HMAC) of another field's normalised value, computed
whenever the row is saved, so that rows with the same value can be found through an ordinary
index without the value itself being stored. Save the whole row (``save()`` without
``update_fields``, ``bulk_create``) when the source changes; ``QuerySet.update`` and
``bulk_update`` do not compute it (``rotate_data_key`` does, for every row).
"""

from __future__ import annotations

import base64
import binascii
import logging
from collections.abc import Callable

from django.core import validators
from django.core.exceptions import FieldError
from django.db import models
from django.db.models.lookups import Exact, IsNull
from django.utils.translation import gettext_lazy as _

from xiaoneng.core.crypto import CipherError, get_cipher

PREFIX = "enc:"

logger = logging.getLogger("xiaoneng.crypto")


class EmptyExact(Exact):
    """``field=""``: the only comparison an encrypted column allows (a random IV makes every
    encryption of a value different)."""

    def get_prep_lookup(self):
        if self.rhs != "":
            raise FieldError(
                "An encrypted field can only be compared with an empty string; find values "
                "through their blind index."
            )
        return super().get_prep_lookup()


class EncryptedTextField(models.TextField):
    """Text encrypted at rest (see the module docstring). ``max_length`` limits the plain
    text."""

    description = _("Encrypted text")

    def __init__(self, *args, context: str = "", **kwargs):
        self.context = context
        super().__init__(*args, **kwargs)
        if self.max_length is not None:
            self.validators.append(validators.MaxLengthValidator(self.max_length))

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        if self.context:
            kwargs["context"] = self.context
        return name, path, args, kwargs

    def _context(self) -> bytes:
        """What the ciphertext is bound to: by default the model and the field
        (``cases.complainant.phone``)."""
        return (self.context or f"{self.model._meta.label_lower}.{self.name}").encode()

    def encrypt(self, value: str) -> str:
        token = get_cipher().encrypt(value.encode(), context=self._context())
        return PREFIX + base64.b64encode(token).decode("ascii")

    def decrypt(self, stored: str) -> str:
        if not stored.startswith(PREFIX):
            raise CipherError(f"{self.model._meta.label}.{self.name}: not an encrypted value")
        try:
            token = base64.b64decode(stored[len(PREFIX) :], validate=True)
        except (binascii.Error, ValueError):
            raise CipherError(f"{self.model._meta.label}.{self.name}: damaged value") from None
        return get_cipher().decrypt(token, context=self._context()).decode()

    def token(self, stored: str) -> bytes | None:
        """The token of a stored value (None for an empty one)."""
        if not stored:
            return None
        return base64.b64decode(stored[len(PREFIX) :])

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return self.decrypt(value)

    def to_python(self, value):
        # A serialised row (dumpdata) holds the encrypted form: read it back as plain text.
        # Anything else, including text that merely starts like it, is plain text.
        if isinstance(value, str) and value.startswith(PREFIX):
            try:
                return self.decrypt(value)
            except CipherError:
                logger.warning(
                    "%s.%s: a value looking encrypted is kept as text",
                    self.model._meta.label,
                    self.name,
                )
        return super().to_python(value)

    def get_prep_value(self, value):
        value = models.Field.get_prep_value(self, value)  # resolves lazy text, never decrypts
        if value is None or value == "":
            return value
        return self.encrypt(str(value))

    def value_to_string(self, obj):
        # Serialisers (dumpdata) write the encrypted form, never the plain text.
        return self.get_prep_value(self.value_from_object(obj))

    def get_lookup(self, lookup_name):
        if lookup_name == "isnull":
            return IsNull
        if lookup_name == "exact":
            return EmptyExact
        return None

    def get_transform(self, lookup_name):
        return None


class BlindIndexField(models.CharField):
    """A keyed hash of the normalised value of the field ``source`` (hex; empty when that
    value is empty), indexed. ``kind`` keeps different kinds of value apart; ``normaliser``
    (a module-level function) turns a value into the form equal values share."""

    description = _("Blind index")

    def __init__(
        self,
        *args,
        source: str,
        kind: str,
        normaliser: Callable[[str], str],
        **kwargs,
    ):
        self.source = source
        self.kind = kind
        self.normaliser = normaliser
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("db_index", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs.update(source=self.source, kind=self.kind, normaliser=self.normaliser)
        for key, default in (("max_length", 64), ("blank", True), ("editable", False)):
            if kwargs.get(key) == default:
                del kwargs[key]
        if kwargs.pop("db_index", False) is not True:
            kwargs["db_index"] = False
        return name, path, args, kwargs

    def compute(self, plaintext: str | None) -> str:
        """The index of a plain value (empty for an empty value)."""
        normalised = self.normaliser(plaintext or "")
        return get_cipher().blind_index(self.kind, normalised) if normalised else ""

    def lookup_values(self, plaintext: str | None) -> list[str]:
        """The indexes a lookup of ``plaintext`` must accept: one per configured key, so that
        rows not yet rotated to the current key are found too. Empty for an empty value."""
        normalised = self.normaliser(plaintext or "")
        return get_cipher().blind_indexes(self.kind, normalised) if normalised else []

    def pre_save(self, model_instance, add):
        value = self.compute(getattr(model_instance, self.source))
        setattr(model_instance, self.attname, value)
        return value
