"""One-time passwords and PINs: formats, and OTP challenges kept only as keyed hashes.

An OTP never enters an event: the application hashes it with its secret key
(HMAC-SHA256 over the challenge reference and the OTP) and the aggregate keeps the
hash, the expiry and the number of wrong attempts. A challenge also records which key
made it (``OtpKey.key_id``, a fingerprint that reveals nothing of the key), so an
instance holding another key refuses to check the OTP instead of counting a wrong
attempt against the person.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, ClassVar, Protocol

import attrs

from paycore.domain.errors import (
    ConfigurationError,
    OtpAttemptsExhausted,
    OtpExpired,
    OtpFormatError,
    OtpMismatch,
    OtpNotRequested,
    PinFormatError,
)
from paycore.domain.values import Immutable

if TYPE_CHECKING:
    from paycore.domain.card_account import Card, CardAccount

OTP_DIGITS = 6
PIN_DIGITS = 4
OTP_PATTERN = re.compile(rf"[0-9]{{{OTP_DIGITS}}}")
PIN_PATTERN = re.compile(rf"[0-9]{{{PIN_DIGITS}}}")
OTP_LIFETIME = timedelta(minutes=10)
OTP_MAX_ATTEMPTS = 3
#: The shortest OTP key: 128 bits, so that a copy of the store (which holds the hashes)
#: gives no way to find an OTP without the key.
OTP_KEY_BYTES = 16
#: The environment variable the application reads its OTP key from, as hex.
OTP_KEY_VARIABLE = "PAYCORE_OTP_KEY"


@attrs.frozen(repr=False)
class OneTimePassword:
    """Six digits, as typed by the person. Its repr never shows them."""

    value: str = attrs.field()

    @value.validator
    def _check(self, _: object, value: str) -> None:
        if not isinstance(value, str) or not OTP_PATTERN.fullmatch(value):
            msg = "an OTP is exactly six digits"
            raise OtpFormatError(msg)

    def __repr__(self) -> str:
        return "OneTimePassword(******)"


@attrs.frozen(repr=False)
class Pin:
    """A card PIN: four digits. Passed through to the platform, never recorded."""

    value: str = attrs.field()

    @value.validator
    def _check(self, _: object, value: str) -> None:
        if not isinstance(value, str) or not PIN_PATTERN.fullmatch(value):
            msg = "a card PIN is exactly four digits"
            raise PinFormatError(msg)

    def __repr__(self) -> str:
        return "Pin(****)"


@attrs.frozen(repr=False)
class IssuedOtp:
    """An OTP to hand to the person (by SMS, say). paycore keeps only its keyed hash."""

    reference: str
    otp: str
    expires_at: datetime

    def __repr__(self) -> str:
        return (
            f"IssuedOtp(reference={self.reference!r}, otp='******', expires_at={self.expires_at!r})"
        )


@attrs.frozen(repr=False)
class OtpKey:
    """The application's secret for hashing OTPs. Shared by every instance of one store.

    At least ``OTP_KEY_BYTES`` bytes; errors about it never show it.
    """

    secret: bytes = attrs.field()

    @secret.validator
    def _check(self, _: object, value: object) -> None:
        if not isinstance(value, bytes) or len(value) < OTP_KEY_BYTES:
            msg = (
                f"otp_key= must be at least {OTP_KEY_BYTES} random bytes, "
                "e.g. secrets.token_bytes(32)"
            )
            raise ConfigurationError(msg, setting="otp_key", minimum_bytes=OTP_KEY_BYTES)

    @classmethod
    def from_hex(cls, text: str, setting: str) -> OtpKey:
        """The key the setting ``setting`` (an environment variable) holds as hex digits."""
        try:
            secret = bytes.fromhex(text)
        except ValueError:
            secret = b""
        if len(secret) < OTP_KEY_BYTES:
            msg = (
                f"{setting} must be at least {2 * OTP_KEY_BYTES} hex digits "
                f"({OTP_KEY_BYTES} bytes), e.g. the output of "
                "python -c 'import secrets; print(secrets.token_hex(32))'"
            )
            raise ConfigurationError(msg, setting=setting, minimum_bytes=OTP_KEY_BYTES)
        return cls(secret)

    @property
    def key_id(self) -> str:
        """Which key this is, safe to store: an HMAC under the key of a fixed message."""
        return hmac.new(self.secret, b"paycore OTP key id", hashlib.sha256).hexdigest()[:16]

    def digest(self, reference: str, otp: OneTimePassword) -> str:
        message = f"{reference}:{otp.value}".encode()
        return hmac.new(self.secret, message, hashlib.sha256).hexdigest()

    def digest_for(self, challenge: OtpChallenge, otp: OneTimePassword) -> str:
        """The digest to check ``otp`` against ``challenge`` with. A challenge made under
        another key is refused before the OTP is checked, so it costs no attempt."""
        if challenge.key_id not in (None, self.key_id):
            msg = (
                f"the OTP {challenge.reference} was issued under another OTP key than this "
                f"instance's: give every instance of one store the same {OTP_KEY_VARIABLE} "
                "(or otp_key=)"
            )
            raise ConfigurationError(msg, setting=OTP_KEY_VARIABLE, reference=challenge.reference)
        return self.digest(challenge.reference, otp)

    def __repr__(self) -> str:
        return "OtpKey(******)"


@attrs.frozen
class OtpChallenge(Immutable):
    """An issued OTP as the aggregate keeps it: reference, keyed hash, expiry, attempts."""

    reference: str
    purpose: str
    digest: str = attrs.field(repr=False)
    expires_at: datetime
    failed_attempts: int = 0
    #: The ``OtpKey.key_id`` of the key the digest was made with (None before it was kept).
    key_id: str | None = None

    MAX_ATTEMPTS: ClassVar[int] = OTP_MAX_ATTEMPTS

    @property
    def attempts_left(self) -> int:
        return self.MAX_ATTEMPTS - self.failed_attempts

    def check(self, digest: str, now: datetime, record_mismatch: Callable[[], None]) -> None:
        """Refuses an expired, exhausted or wrong OTP; a wrong one is recorded first."""
        if now >= self.expires_at:
            msg = f"the OTP {self.reference} expired at {self.expires_at.isoformat()}"
            raise OtpExpired(msg, reference=self.reference)
        if self.attempts_left <= 0:
            msg = f"the OTP {self.reference} is void after {self.MAX_ATTEMPTS} wrong attempts"
            raise OtpAttemptsExhausted(msg, reference=self.reference)
        if not hmac.compare_digest(self.digest, digest):
            record_mismatch()
            left = self.attempts_left - 1
            if left <= 0:
                msg = (
                    f"wrong OTP; {self.MAX_ATTEMPTS} wrong attempts made the OTP "
                    f"{self.reference} void, request a new one"
                )
                raise OtpAttemptsExhausted(msg, reference=self.reference)
            msg = f"wrong OTP; {left} attempt(s) left for {self.reference}"
            raise OtpMismatch(msg, reference=self.reference, attempts_left=left)


def require_challenge(challenge: OtpChallenge | None, what: str) -> OtpChallenge:
    if challenge is None:
        msg = f"no OTP has been requested for {what}, or it was already used"
        raise OtpNotRequested(msg)
    return challenge


class PinGateway(Protocol):
    """Passes a PIN straight to the platform; paycore records only that it was set."""

    def set_pin(self, account: CardAccount, card: Card, pin: Pin) -> None: ...
