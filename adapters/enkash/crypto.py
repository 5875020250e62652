"""Payload encryption as the EnKash payout guide describes it.

AES-128 in ECB mode, PKCS#7 padding (the guide's "PKCS5"), the key being the first 16
bytes of SHA-256 over the UTF-8 client secret, the ciphertext in standard Base64.
ECB is the platform's choice, not ours: it hides nothing about repeated blocks, so the
channel's confidentiality rests on TLS; this layer is the integrity check the
platform asks for.
"""

from __future__ import annotations

import base64
import binascii
import hashlib

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from paycore.adapters.enkash.errors import PayloadCryptoError

_BLOCK_BITS = 128


def derive_key(secret: str) -> bytes:
    """The AES-128 key: the first 16 bytes of SHA-256(secret)."""
    return hashlib.sha256(secret.encode("utf-8")).digest()[:16]


def _cipher(secret: str) -> Cipher[modes.ECB]:
    return Cipher(algorithms.AES(derive_key(secret)), modes.ECB())  # noqa: S305


def encrypt(secret: str, plaintext: str) -> str:
    """Encrypt ``plaintext`` (UTF-8) and return standard Base64."""
    padder = padding.PKCS7(_BLOCK_BITS).padder()
    padded = padder.update(plaintext.encode("utf-8")) + padder.finalize()
    encryptor = _cipher(secret).encryptor()
    return base64.b64encode(encryptor.update(padded) + encryptor.finalize()).decode()


def decrypt(secret: str, ciphertext: str) -> str:
    """Decrypt standard Base64 ``ciphertext``, or raise :class:`PayloadCryptoError`."""
    try:
        raw = base64.b64decode(ciphertext, validate=True)
        decryptor = _cipher(secret).decryptor()
        padded = decryptor.update(raw) + decryptor.finalize()
        unpadder = padding.PKCS7(_BLOCK_BITS).unpadder()
        return (unpadder.update(padded) + unpadder.finalize()).decode("utf-8")
    except (binascii.Error, ValueError) as exc:
        raise PayloadCryptoError(
            "payload is not valid Base64 AES-128-ECB under the configured secret",
            reason=type(exc).__name__,
        ) from None
