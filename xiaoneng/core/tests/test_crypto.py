"""The encryption of protected data: SM4-CBC + HMAC-SM3 tokens, blind indexes, the keys and
their configuration, the replaceable cipher class and the system checks."""

import base64

import pytest
from cryptography.hazmat.primitives import hashes, hmac, padding
from cryptography.hazmat.primitives.ciphers import Cipher as BlockCipher
from cryptography.hazmat.primitives.ciphers import algorithms, modes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from xiaoneng.core import crypto
from xiaoneng.core.checks import check_data_key
from xiaoneng.core.crypto import (
    Cipher,
    CipherError,
    DataKey,
    DataKeyInvalid,
    DataKeyMissing,
    SM4Cipher,
    get_cipher,
    parse_keys,
)

KEY_A = bytes(range(32))
KEY_B = bytes(range(100, 140))


def b64(key: bytes) -> str:
    return base64.b64encode(key).decode()


def hkdf(master: bytes, purpose: bytes, length: int) -> bytes:
    return HKDF(
        algorithm=hashes.SM3(), length=length, salt=None, info=b"xiaoneng/data-key/" + purpose
    ).derive(master)


# --- the algorithms ------------------------------------------------------------------------------


def test_sm4_and_sm3_are_the_standard_algorithms():
    """GB/T 32907-2016 and GB/T 32905-2016 example values: the build really has SM4 and SM3."""
    key = bytes.fromhex("0123456789abcdeffedcba9876543210")
    encryptor = BlockCipher(algorithms.SM4(key), modes.ECB()).encryptor()
    assert (encryptor.update(key) + encryptor.finalize()).hex() == (
        "681edf34d206965e86b3e94f536e4246"
    )
    digest = hashes.Hash(hashes.SM3())
    digest.update(b"abc")
    assert digest.finalize().hex() == (
        "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    )


def test_a_token_is_sm4_cbc_then_hmac_sm3_under_hkdf_keys():
    """The token layout of the module docstring, checked with independently derived keys."""
    cipher = SM4Cipher([KEY_A])
    token = cipher.encrypt("张三丰".encode(), context=b"cases.complainant.name")

    key_id = hkdf(KEY_A, b"id", 4)
    assert token[0] == 1 and token[1:5] == key_id and cipher.key_id == key_id.hex()
    iv, body, tag = token[5:21], token[21:-32], token[-32:]
    mac = hmac.HMAC(hkdf(KEY_A, b"hmac-sm3", 32), hashes.SM3())
    mac.update(token[:-32] + len(b"cases.complainant.name").to_bytes(8, "big"))
    mac.update(b"cases.complainant.name")
    assert mac.finalize() == tag
    decryptor = BlockCipher(algorithms.SM4(hkdf(KEY_A, b"sm4-cbc", 16)), modes.CBC(iv)).decryptor()
    unpadder = padding.PKCS7(128).unpadder()
    padded = decryptor.update(body) + decryptor.finalize()
    assert (unpadder.update(padded) + unpadder.finalize()).decode() == "张三丰"
    assert len(body) == 16  # 9 bytes of UTF-8, padded to one block


def test_round_trip_with_a_random_iv():
    cipher = SM4Cipher([KEY_A])
    for plaintext in (b"", b"x", b"0123456789abcdef", "天洲区青石镇幸福路8号".encode() * 20):
        first = cipher.encrypt(plaintext, context=b"c")
        second = cipher.encrypt(plaintext, context=b"c")
        assert first != second
        assert cipher.decrypt(first, context=b"c") == plaintext
        assert cipher.decrypt(second, context=b"c") == plaintext


def test_a_token_decrypts_only_in_its_own_context():
    cipher = SM4Cipher([KEY_A])
    token = cipher.encrypt(b"13812345678", context=b"cases.complainant.phone")
    for context in (b"", b"cases.complainant.name", b"cases.complainant.phone\x00"):
        with pytest.raises(CipherError):
            cipher.decrypt(token, context=context)


def test_any_change_to_a_token_is_detected():
    cipher = SM4Cipher([KEY_A])
    token = cipher.encrypt(b"330102199001011234")
    for position in range(len(token)):
        damaged = bytearray(token)
        damaged[position] ^= 0x01
        with pytest.raises(CipherError):
            cipher.decrypt(bytes(damaged))
    for broken in (b"", token[:-1], token[:20], token + b"\x00", token[:-32] + token[-16:]):
        with pytest.raises(CipherError):
            cipher.decrypt(broken)
    with pytest.raises(CipherError):
        cipher.decrypt("not bytes")  # type: ignore[arg-type]


def test_the_first_key_encrypts_and_every_key_decrypts():
    old = SM4Cipher([KEY_A])
    token_a = old.encrypt(b"secret")
    both = SM4Cipher([KEY_B, KEY_A])
    assert both.key_id == DataKey.derive(KEY_B).key_id
    assert both.key_ids == [DataKey.derive(KEY_B).key_id, old.key_id]
    assert both.decrypt(token_a) == b"secret"
    assert both.token_key_id(token_a) == old.key_id
    token_b = both.encrypt(b"secret")
    assert both.token_key_id(token_b) == both.key_id
    with pytest.raises(CipherError, match="not configured"):
        old.decrypt(token_b)


def test_blind_indexes_are_keyed_and_kept_apart_by_kind():
    cipher = SM4Cipher([KEY_A])
    phone = cipher.blind_index("phone", "13812345678")
    assert phone == cipher.blind_index("phone", "13812345678")
    assert len(phone) == 64 and int(phone, 16) >= 0
    assert phone != cipher.blind_index("id_number", "13812345678")
    assert phone != cipher.blind_index("phone", "13812345679")
    assert phone != SM4Cipher([KEY_B]).blind_index("phone", "13812345678")
    rotating = SM4Cipher([KEY_B, KEY_A])
    assert rotating.blind_indexes("phone", "13812345678") == [
        SM4Cipher([KEY_B]).blind_index("phone", "13812345678"),
        phone,
    ]


def test_keys_are_never_printed():
    key = DataKey.derive(KEY_A)
    assert repr(key) == f"<DataKey {key.key_id}>"
    assert KEY_A.hex() not in repr(SM4Cipher([KEY_A]).__dict__)


# --- configuration -------------------------------------------------------------------------------


def test_keys_are_read_as_base64_in_any_layout():
    text = f"# current\n{b64(KEY_B)}\n\n{b64(KEY_A).replace('+', '-').rstrip('=')}  # retired\n"
    assert parse_keys(text) == [KEY_B, KEY_A]
    assert parse_keys(f"{b64(KEY_B)}, {b64(KEY_A)}") == [KEY_B, KEY_A]
    with pytest.raises(DataKeyInvalid, match="number 2 is not valid base64"):
        parse_keys(f"{b64(KEY_A)},not*base64")


@pytest.fixture
def keys(settings):
    settings.XIAONENG_DATA_KEY = ""
    settings.XIAONENG_DATA_KEY_FILE = ""
    settings.XIAONENG_DATA_KEY_DEVELOPMENT = False
    settings.XIAONENG_CIPHER = "xiaoneng.core.crypto.SM4Cipher"
    return settings


def test_the_key_comes_from_the_environment_setting(keys):
    keys.XIAONENG_DATA_KEY = f"{b64(KEY_B)},{b64(KEY_A)}"
    cipher = get_cipher()
    assert (cipher.key_id, cipher.development) == (DataKey.derive(KEY_B).key_id, False)
    assert cipher.key_ids[1] == DataKey.derive(KEY_A).key_id


def test_the_key_comes_from_a_file(keys, tmp_path):
    path = tmp_path / "data-key"
    path.write_text(f"{b64(KEY_A)}\n")
    keys.XIAONENG_DATA_KEY_FILE = str(path)
    assert get_cipher().key_id == DataKey.derive(KEY_A).key_id


@pytest.mark.parametrize(
    ("inline", "file_text", "message"),
    [
        (b64(b"short"), None, "at least 32 bytes; this one has 5"),
        ("%%%", None, "not valid base64"),
        (f"{b64(KEY_A)},{b64(KEY_A)}", None, "configured twice"),
        (b64(KEY_A), "", "not both"),
        ("", "# nothing\n", "holds no key"),
        ("", "missing", "cannot be read"),
    ],
)
def test_an_unusable_key_is_refused(keys, tmp_path, inline, file_text, message):
    keys.XIAONENG_DATA_KEY = inline
    if file_text is not None:
        path = tmp_path / "data-key"
        if file_text != "missing":
            path.write_text(file_text)
        keys.XIAONENG_DATA_KEY_FILE = str(path)
    with pytest.raises(DataKeyInvalid, match=message):
        get_cipher()
    [error] = check_data_key()
    assert error.id == "xiaoneng.E011"
    assert message.split(";")[0] in error.hint


def test_without_a_key_nothing_is_encrypted(keys):
    with pytest.raises(DataKeyMissing, match="XIAONENG_DATA_KEY"):
        get_cipher()
    [error] = check_data_key()
    assert (error.id, error.msg) == (
        "xiaoneng.E010",
        "No data key is configured for the complainants' identities.",
    )
    assert "back it up" in error.hint


def test_development_installations_use_the_public_key_with_a_warning(keys, caplog):
    keys.XIAONENG_DATA_KEY_DEVELOPMENT = True
    with caplog.at_level("WARNING", logger="xiaoneng.crypto"):
        cipher = get_cipher()
        get_cipher()  # built once: one warning
    assert cipher.development is True
    assert cipher.key_id == DataKey.derive(crypto.DEVELOPMENT_KEY).key_id
    [record] = caplog.records
    assert record.getMessage().startswith(
        "No data key is configured: complainants' identities are encrypted with the PUBLIC "
        "development key and are NOT protected."
    )
    [info] = check_data_key()
    assert info.id == "xiaoneng.I010"


def test_a_configured_key_wins_over_the_development_key(keys):
    keys.XIAONENG_DATA_KEY_DEVELOPMENT = True
    keys.XIAONENG_DATA_KEY = b64(KEY_A)
    assert get_cipher().development is False
    assert check_data_key() == []


# --- a replacement cipher (e.g. a hardware key store) --------------------------------------------


class ReversingCipher:
    """A stand-in for a hardware key store's adapter (not encryption: for the test only)."""

    key_id = "hsm-1"
    development = False

    @classmethod
    def from_settings(cls):
        return cls()

    def encrypt(self, plaintext, *, context=b""):
        return b"\x01hsm-1" + context + b"|" + plaintext[::-1]

    def decrypt(self, token, *, context=b""):
        prefix = b"\x01hsm-1" + context + b"|"
        if not token.startswith(prefix):
            raise CipherError("not ours")
        return token[len(prefix) :][::-1]

    def token_key_id(self, token):
        return token[1:6].decode()

    def blind_index(self, kind, value):
        return f"{kind}:{value[::-1]}"

    def blind_indexes(self, kind, value):
        return [self.blind_index(kind, value)]


def test_the_cipher_class_is_replaceable_by_a_setting(keys):
    keys.XIAONENG_CIPHER = f"{__name__}.ReversingCipher"
    cipher = get_cipher()
    assert isinstance(cipher, ReversingCipher) and isinstance(cipher, Cipher)
    assert cipher.decrypt(cipher.encrypt(b"abc", context=b"x"), context=b"x") == b"abc"
    assert check_data_key() == []


@pytest.mark.parametrize("path", ["xiaoneng.core.crypto.Nothing", "builtins.dict"])
def test_a_cipher_class_that_is_not_one_is_refused(keys, path):
    keys.XIAONENG_CIPHER = path
    with pytest.raises(DataKeyInvalid, match="XIAONENG_CIPHER"):
        get_cipher()
    assert [e.id for e in check_data_key()] == ["xiaoneng.E011"]
