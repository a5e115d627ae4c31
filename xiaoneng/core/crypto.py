"""Encryption of protected personal data at rest (the complainants' identities).

Everything goes through one small interface, ``Cipher``: ``encrypt``/``decrypt`` turn bytes
into a self-describing token and back, ``blind_index`` gives a keyed hash of a value so that
equal values can be found without storing them. The class in use is named by the setting
``XIAONENG_CIPHER`` (a dotted path, built with its ``from_settings()``), so that a hardware
key store can take the place of the default ``SM4Cipher`` without touching the callers.

``SM4Cipher`` uses the national algorithms only: SM4-CBC with a random IV, then HMAC-SM3 over
the whole token and its context (encrypt-then-MAC: nothing is decrypted before the MAC is
verified); the working keys are derived from the master key with HKDF-SM3. A token is

    version (1 byte) · key id (4 bytes) · IV (16 bytes) · ciphertext (n × 16 bytes) · MAC (32 bytes)

so that the key a value was encrypted with is known, several keys can be configured at once
(the first encrypts, all decrypt) and ``rotate_data_key`` can re-encrypt under the new one.

The master keys come from the environment (``XIAONENG_DATA_KEY``) or a file
(``XIAONENG_DATA_KEY_FILE``), never from the database: see docs/operations.md. Without a key,
a DEBUG installation (demo, development, tests) uses a fixed development key, with a warning;
anything else refuses to encrypt or decrypt and ``manage.py check`` reports xiaoneng.E010.
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Protocol, runtime_checkable

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, hmac, padding
from cryptography.hazmat.primitives.ciphers import Cipher as _BlockCipher
from cryptography.hazmat.primitives.ciphers import algorithms, modes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.module_loading import import_string

logger = logging.getLogger("xiaoneng.crypto")

TOKEN_VERSION = 1
KEY_ID_BYTES = 4
IV_BYTES = 16
BLOCK_BYTES = 16
MAC_BYTES = 32
#: A master key has at least this many bytes (256 bits) of random data.
MIN_KEY_BYTES = 32
_HEADER_BYTES = 1 + KEY_ID_BYTES
_MIN_TOKEN_BYTES = _HEADER_BYTES + IV_BYTES + BLOCK_BYTES + MAC_BYTES

#: The settings this module reads; changing one (in tests) drops the cached cipher.
SETTINGS = frozenset(
    {
        "XIAONENG_CIPHER",
        "XIAONENG_DATA_KEY",
        "XIAONENG_DATA_KEY_FILE",
        "XIAONENG_DATA_KEY_DEVELOPMENT",
    }
)

#: The key of installations without one (DEBUG only). It is public: data encrypted with it is
#: not protected.
DEVELOPMENT_KEY = b"xiaoneng development data key - public, protects nothing!"


class CipherError(Exception):
    """A token could not be decrypted: damaged, tampered with, encrypted for another context,
    or made with a key that is not configured."""


class DataKeyMissing(ImproperlyConfigured):
    """No data key is configured and development keys are not allowed."""


class DataKeyInvalid(ImproperlyConfigured):
    """The data key configuration cannot be used."""


@runtime_checkable
class Cipher(Protocol):
    """What the application needs from an encryption backend."""

    #: The id of the key new tokens are encrypted with.
    key_id: str
    #: True when the key is the public development key (nothing is really protected).
    development: bool

    @classmethod
    def from_settings(cls) -> Cipher:
        """The cipher configured by the Django settings (raises ImproperlyConfigured)."""

    def encrypt(self, plaintext: bytes, *, context: bytes = b"") -> bytes:
        """A token holding ``plaintext``, bound to ``context`` (e.g. the column it is stored in:
        the token decrypts only with the same context)."""

    def decrypt(self, token: bytes, *, context: bytes = b"") -> bytes:
        """The plaintext of ``token``; ``CipherError`` when it cannot be authenticated."""

    def token_key_id(self, token: bytes) -> str:
        """The id of the key ``token`` was encrypted with (``CipherError`` if unreadable)."""

    def blind_index(self, kind: str, value: str) -> str:
        """A keyed hash of ``value`` (already normalised) under the current key, as hex text.
        ``kind`` separates the kinds of value: a phone number and an ID number that happen
        to be equal do not get the same index."""

    def blind_indexes(self, kind: str, value: str) -> list[str]:
        """The index of ``value`` under every configured key, the current key's first: what
        a lookup must accept while rows made with a retired key are being rotated."""


# --- keys ------------------------------------------------------------------------------------


def _derive(master: bytes, purpose: bytes, length: int) -> bytes:
    return HKDF(
        algorithm=hashes.SM3(), length=length, salt=None, info=b"xiaoneng/data-key/" + purpose
    ).derive(master)


@dataclass(frozen=True, repr=False)
class DataKey:
    """The working keys derived from one master key. Never printed: ``repr`` shows the id."""

    key_id: str
    encryption: bytes
    authentication: bytes
    index: bytes

    @classmethod
    def derive(cls, master: bytes) -> DataKey:
        if len(master) < MIN_KEY_BYTES:
            raise DataKeyInvalid(
                f"A data key must hold at least {MIN_KEY_BYTES} bytes; this one has {len(master)}."
            )
        return cls(
            key_id=_derive(master, b"id", KEY_ID_BYTES).hex(),
            encryption=_derive(master, b"sm4-cbc", 16),
            authentication=_derive(master, b"hmac-sm3", 32),
            index=_derive(master, b"blind-index", 32),
        )

    def __repr__(self) -> str:
        return f"<DataKey {self.key_id}>"


_KEY_SEPARATORS = re.compile(r"[\s,]+")


def parse_keys(text: str) -> list[bytes]:
    """Master keys written as base64 (standard or URL-safe), separated by commas, spaces or
    new lines; lines starting with ``#`` are comments. The first key is the current one."""
    lines = [line.split("#", 1)[0] for line in text.splitlines()]
    keys = []
    for number, item in enumerate(
        (part for part in _KEY_SEPARATORS.split(" ".join(lines)) if part), start=1
    ):
        padded = item + "=" * (-len(item) % 4)
        try:
            key = base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise DataKeyInvalid(f"Data key number {number} is not valid base64.") from exc
        keys.append(key)
    return keys


def configured_keys() -> tuple[list[bytes], bool]:
    """The master keys from the settings (current first) and whether they are the public
    development key. Raises ``DataKeyMissing`` or ``DataKeyInvalid``."""
    inline = (getattr(settings, "XIAONENG_DATA_KEY", "") or "").strip()
    path = (getattr(settings, "XIAONENG_DATA_KEY_FILE", "") or "").strip()
    if inline and path:
        raise DataKeyInvalid("Set XIAONENG_DATA_KEY or XIAONENG_DATA_KEY_FILE, not both.")
    if path:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise DataKeyInvalid(
                f"The data key file {path} cannot be read: {exc.__class__.__name__}."
            ) from exc
        keys = parse_keys(text)
        if not keys:
            raise DataKeyInvalid(f"The data key file {path} holds no key.")
        return keys, False
    if inline:
        return parse_keys(inline), False
    if getattr(settings, "XIAONENG_DATA_KEY_DEVELOPMENT", False):
        return [DEVELOPMENT_KEY], True
    raise DataKeyMissing(
        "No data key is configured: set XIAONENG_DATA_KEY (or XIAONENG_DATA_KEY_FILE) to a "
        "random key of at least 32 bytes in base64, e.g. the output of "
        '`python -c "import secrets, base64; print(base64.b64encode(secrets.token_bytes(32))'
        '.decode())"`. Keep it outside the database and back it up: without it the '
        "complainants' identities cannot be read."
    )


def new_key() -> str:
    """A fresh random master key, in base64."""
    return base64.b64encode(os.urandom(MIN_KEY_BYTES)).decode()


# --- the default cipher: SM4-CBC + HMAC-SM3 ---------------------------------------------------


class SM4Cipher:
    """SM4-CBC with a random IV, authenticated by HMAC-SM3 (encrypt-then-MAC), keys derived
    with HKDF-SM3; several master keys, the first encrypts."""

    def __init__(self, masters: Sequence[bytes], *, development: bool = False):
        if not masters:
            raise DataKeyMissing("No data key is configured.")
        keys = [DataKey.derive(master) for master in masters]
        ids = [key.key_id for key in keys]
        if len(set(ids)) != len(ids):
            raise DataKeyInvalid("The same data key is configured twice.")
        self._keys = {key.key_id: key for key in keys}
        self._current = keys[0]
        self.key_id = self._current.key_id
        self.development = development
        # Fails here, not at the first request, when the OpenSSL build lacks SM3 or SM4.
        self.decrypt(self.encrypt(b"check"))

    @classmethod
    def from_settings(cls) -> SM4Cipher:
        masters, development = configured_keys()
        try:
            return cls(masters, development=development)
        except UnsupportedAlgorithm as exc:
            raise DataKeyInvalid(
                "This build of OpenSSL (through the cryptography package) lacks SM3 or SM4."
            ) from exc

    @property
    def key_ids(self) -> list[str]:
        """Every configured key's id, the current one first."""
        return list(self._keys)

    @staticmethod
    def _mac(key: DataKey, signed: bytes, context: bytes) -> hmac.HMAC:
        mac = hmac.HMAC(key.authentication, hashes.SM3())
        mac.update(signed)
        mac.update(len(context).to_bytes(8, "big"))
        mac.update(context)
        return mac

    def encrypt(self, plaintext: bytes, *, context: bytes = b"") -> bytes:
        key = self._current
        iv = os.urandom(IV_BYTES)
        padder = padding.PKCS7(BLOCK_BYTES * 8).padder()
        padded = padder.update(plaintext) + padder.finalize()
        encryptor = _BlockCipher(algorithms.SM4(key.encryption), modes.CBC(iv)).encryptor()
        signed = (
            bytes((TOKEN_VERSION,))
            + bytes.fromhex(key.key_id)
            + iv
            + encryptor.update(padded)
            + encryptor.finalize()
        )
        return signed + self._mac(key, signed, context).finalize()

    def _parse(self, token: bytes) -> tuple[DataKey, bytes, bytes]:
        if (
            not isinstance(token, bytes | bytearray | memoryview)
            or len(token) < _MIN_TOKEN_BYTES
            or (len(token) - _MIN_TOKEN_BYTES) % BLOCK_BYTES
        ):
            raise CipherError("not a token")
        token = bytes(token)
        if token[0] != TOKEN_VERSION:
            raise CipherError(f"unknown token version {token[0]}")
        key_id = token[1:_HEADER_BYTES].hex()
        key = self._keys.get(key_id)
        if key is None:
            raise CipherError(f"the key {key_id} is not configured")
        return key, token[:-MAC_BYTES], token[-MAC_BYTES:]

    def token_key_id(self, token: bytes) -> str:
        if not isinstance(token, bytes | bytearray | memoryview) or len(token) < _HEADER_BYTES:
            raise CipherError("not a token")
        return bytes(token[1:_HEADER_BYTES]).hex()

    def decrypt(self, token: bytes, *, context: bytes = b"") -> bytes:
        key, signed, tag = self._parse(token)
        try:
            self._mac(key, signed, context).verify(tag)
        except InvalidSignature:
            raise CipherError("the token is damaged or belongs elsewhere") from None
        iv, body = (
            signed[_HEADER_BYTES : _HEADER_BYTES + IV_BYTES],
            signed[_HEADER_BYTES + IV_BYTES :],
        )
        decryptor = _BlockCipher(algorithms.SM4(key.encryption), modes.CBC(iv)).decryptor()
        padded = decryptor.update(body) + decryptor.finalize()
        unpadder = padding.PKCS7(BLOCK_BYTES * 8).unpadder()
        try:
            return unpadder.update(padded) + unpadder.finalize()
        except ValueError:  # authenticated, so only a broken encryptor gets here
            raise CipherError("bad padding") from None

    @staticmethod
    def _index(key: DataKey, kind: str, value: str) -> str:
        mac = hmac.HMAC(key.index, hashes.SM3())
        mac.update(b"xiaoneng/blind-index\x00" + kind.encode() + b"\x00" + value.encode())
        return mac.finalize().hex()

    def blind_index(self, kind: str, value: str) -> str:
        return self._index(self._current, kind, value)

    def blind_indexes(self, kind: str, value: str) -> list[str]:
        return [self._index(key, kind, value) for key in self._keys.values()]


# --- the configured cipher -------------------------------------------------------------------


def load_cipher() -> Cipher:
    """A new instance of the configured cipher (raises ImproperlyConfigured)."""
    path = getattr(settings, "XIAONENG_CIPHER", "") or "xiaoneng.core.crypto.SM4Cipher"
    try:
        factory = import_string(path)
    except ImportError as exc:
        raise DataKeyInvalid(f"XIAONENG_CIPHER: {path} cannot be imported.") from exc
    cipher = factory.from_settings() if hasattr(factory, "from_settings") else factory()
    if not isinstance(cipher, Cipher):
        raise DataKeyInvalid(f"XIAONENG_CIPHER: {path} does not give a Cipher.")
    return cipher


@lru_cache(maxsize=1)
def get_cipher() -> Cipher:
    """The configured cipher, built once per process."""
    cipher = load_cipher()
    if cipher.development:
        logger.warning(
            "No data key is configured: complainants' identities are encrypted with the PUBLIC "
            "development key and are NOT protected. Set XIAONENG_DATA_KEY before entering real "
            "data (docs/operations.md)."
        )
    return cipher


def reset_cipher() -> None:
    """Forget the cipher built from the settings (after they changed)."""
    get_cipher.cache_clear()


@receiver(setting_changed)
def _settings_changed(*, setting, **kwargs) -> None:
    if setting in SETTINGS:
        reset_cipher()
