"""The payload cipher agrees with OpenSSL's, both ways, so two implementations match."""

from __future__ import annotations

import base64
import hashlib
import shutil
import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paycore.adapters.enkash import crypto
from paycore.adapters.enkash.errors import PayloadCryptoError

SECRET = "sandbox-client-secret-0001"
PLAINTEXTS = [
    "",
    "a",
    "exactly16bytes!!",
    '{"amount":100.5,"uniqueReferenceNumber":"LOAD-1"}',
    "ünïcødé ₹ 1,00,000",
]

openssl = pytest.mark.skipif(shutil.which("openssl") is None, reason="no openssl")


def _openssl(args: list[str], data: str) -> str:
    key_hex = crypto.derive_key(SECRET).hex()
    completed = subprocess.run(
        ["openssl", "enc", "-aes-128-ecb", "-K", key_hex, "-base64", "-A", *args],
        input=data.encode(),
        capture_output=True,
        check=True,
    )
    return completed.stdout.decode()


def test_key_is_first_16_bytes_of_sha256_of_the_secret() -> None:
    assert crypto.derive_key(SECRET) == hashlib.sha256(SECRET.encode()).digest()[:16]
    assert len(crypto.derive_key(SECRET)) == 16


@openssl
@pytest.mark.parametrize("plaintext", PLAINTEXTS)
def test_encrypt_matches_openssl_enc(plaintext: str) -> None:
    assert crypto.encrypt(SECRET, plaintext) == _openssl([], plaintext)


@openssl
@pytest.mark.parametrize("plaintext", PLAINTEXTS)
def test_decrypt_reads_what_openssl_enc_wrote(plaintext: str) -> None:
    assert crypto.decrypt(SECRET, _openssl([], plaintext)) == plaintext


@openssl
@pytest.mark.parametrize("plaintext", PLAINTEXTS)
def test_openssl_decrypts_what_encrypt_wrote(plaintext: str) -> None:
    assert _openssl(["-d"], crypto.encrypt(SECRET, plaintext)) == plaintext


@settings(max_examples=50, deadline=None)
@given(secret=st.text(min_size=1), plaintext=st.text())
def test_decrypt_inverts_encrypt_for_any_text(secret: str, plaintext: str) -> None:
    assert crypto.decrypt(secret, crypto.encrypt(secret, plaintext)) == plaintext


def test_ciphertext_is_padded_whole_blocks_in_standard_base64() -> None:
    raw = base64.b64decode(crypto.encrypt(SECRET, "exactly16bytes!!"), validate=True)
    assert len(raw) == 32  # a full block of padding after a whole block


@pytest.mark.parametrize(
    "ciphertext",
    ["not base64!", "AAAA", crypto.encrypt("another secret", "hello")],
)
def test_decrypt_refuses_what_the_secret_did_not_encrypt(ciphertext: str) -> None:
    with pytest.raises(PayloadCryptoError) as raised:
        crypto.decrypt(SECRET, ciphertext)
    assert SECRET not in str(raised.value)
