"""OTP rules at their boundaries: formats, key length, expiry, attempts; each refusal's
code, details and message, and nothing secret in any of them (issue 16)."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest

from paycore.domain.errors import (
    ConfigurationError,
    OtpAttemptsExhausted,
    OtpExpired,
    OtpFormatError,
    OtpMismatch,
    OtpNotRequested,
    PaycoreError,
    PinFormatError,
)
from paycore.domain.otp import (
    OTP_KEY_BYTES,
    OTP_LIFETIME,
    OTP_MAX_ATTEMPTS,
    IssuedOtp,
    OneTimePassword,
    OtpChallenge,
    OtpKey,
    Pin,
    require_challenge,
)

KEY = OtpKey(b"k" * 16)
EXPIRES = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def challenge(failed: int = 0, key_id: str | None = None) -> OtpChallenge:
    otp = OneTimePassword("123456")
    return OtpChallenge("REF1", "payment", KEY.digest("REF1", otp), EXPIRES, failed, key_id)


def test_the_limits_are_the_documented_ones() -> None:
    assert (16, 3, timedelta(minutes=10)) == (OTP_KEY_BYTES, OTP_MAX_ATTEMPTS, OTP_LIFETIME)
    assert OtpChallenge.MAX_ATTEMPTS == 3


@pytest.mark.parametrize("value", ["12345", "1234567", "12345a", " 123456", "١٢٣٤٥٦", 123456])
def test_an_otp_is_exactly_six_ascii_digits(value: object) -> None:
    with pytest.raises(OtpFormatError) as refusal:
        OneTimePassword(value)  # type: ignore[arg-type]
    assert refusal.value.code == "OTP_FORMAT"
    assert refusal.value.message == "an OTP is exactly six digits"
    assert refusal.value.details == {}


@pytest.mark.parametrize("value", ["123", "12345", "12a4", 1234])
def test_a_pin_is_exactly_four_ascii_digits(value: object) -> None:
    with pytest.raises(PinFormatError) as refusal:
        Pin(value)  # type: ignore[arg-type]
    assert refusal.value.code == "PIN_FORMAT"
    assert refusal.value.message == "a card PIN is exactly four digits"
    assert refusal.value.details == {}


def test_reprs_never_show_the_secret() -> None:
    assert repr(OneTimePassword("123456")) == "OneTimePassword(******)"
    assert repr(Pin("1234")) == "Pin(****)"
    assert repr(KEY) == "OtpKey(******)"
    issued = IssuedOtp("REF1", "123456", EXPIRES)
    assert repr(issued) == f"IssuedOtp(reference='REF1', otp='******', expires_at={EXPIRES!r})"
    assert "123456" not in repr(challenge())
    assert challenge().digest not in repr(challenge())


def test_a_key_of_sixteen_bytes_is_accepted_and_fifteen_is_not() -> None:
    assert OtpKey(b"x" * 16).secret == b"x" * 16
    for short in (b"x" * 15, "x" * 16):
        with pytest.raises(ConfigurationError) as refusal:
            OtpKey(short)  # type: ignore[arg-type]
        assert refusal.value.details == {"setting": "otp_key", "minimum_bytes": 16}
        assert refusal.value.message == (
            "otp_key= must be at least 16 random bytes, e.g. secrets.token_bytes(32)"
        )


@pytest.mark.parametrize("text", ["ab" * 15, "zz" * 16, "abc"])
def test_a_hex_key_needs_thirty_two_hex_digits(text: str) -> None:
    with pytest.raises(ConfigurationError) as refusal:
        OtpKey.from_hex(text, "MY_KEY")
    assert refusal.value.details == {"setting": "MY_KEY", "minimum_bytes": 16}
    assert refusal.value.message == (
        "MY_KEY must be at least 32 hex digits (16 bytes), e.g. the output of "
        "python -c 'import secrets; print(secrets.token_hex(32))'"
    )
    assert text not in str(refusal.value) or text == "abc"


def test_thirty_two_hex_digits_make_a_key() -> None:
    assert OtpKey.from_hex("ab" * 16, "MY_KEY").secret == b"\xab" * 16


def test_the_digest_and_key_id_are_hmac_sha256_under_the_key() -> None:
    secret = b"k" * 16
    assert (
        KEY.digest("REF1", OneTimePassword("123456"))
        == hmac.new(secret, b"REF1:123456", hashlib.sha256).hexdigest()
    )
    assert KEY.key_id == hmac.new(secret, b"paycore OTP key id", hashlib.sha256).hexdigest()[:16]
    assert OtpKey(b"j" * 16).key_id != KEY.key_id


def test_a_challenge_of_another_key_is_refused_naming_the_setting_and_reference() -> None:
    other = OtpKey(b"j" * 16)
    assert KEY.digest_for(challenge(key_id=None), OneTimePassword("123456")) == challenge().digest
    assert KEY.digest_for(challenge(key_id=KEY.key_id), OneTimePassword("123456")) == (
        challenge().digest
    )
    with pytest.raises(ConfigurationError) as refusal:
        KEY.digest_for(challenge(key_id=other.key_id), OneTimePassword("123456"))
    assert refusal.value.details == {"setting": "PAYCORE_OTP_KEY", "reference": "REF1"}
    assert refusal.value.message == (
        "the OTP REF1 was issued under another OTP key than this instance's: give every "
        "instance of one store the same PAYCORE_OTP_KEY (or otp_key=)"
    )


def check(otp_challenge: OtpChallenge, otp: str, now: datetime) -> list[str]:
    mismatches: list[str] = []
    otp_challenge.check(
        KEY.digest(otp_challenge.reference, OneTimePassword(otp)),
        now,
        lambda: mismatches.append("x"),
    )
    return mismatches


def refusal_of(otp_challenge: OtpChallenge, otp: str, now: datetime) -> tuple[PaycoreError, int]:
    mismatches: list[str] = []
    with pytest.raises(PaycoreError) as refusal:
        otp_challenge.check(
            KEY.digest(otp_challenge.reference, OneTimePassword(otp)),
            now,
            lambda: mismatches.append("x"),
        )
    return refusal.value, len(mismatches)


def test_the_otp_is_good_until_just_before_its_expiry_and_not_at_it() -> None:
    assert check(challenge(), "123456", EXPIRES - timedelta(microseconds=1)) == []
    error, recorded = refusal_of(challenge(), "123456", EXPIRES)
    assert type(error) is OtpExpired
    assert error.details == {"reference": "REF1"}
    assert error.message == f"the OTP REF1 expired at {EXPIRES.isoformat()}"
    assert recorded == 0


def test_a_wrong_otp_is_recorded_and_names_the_attempts_left() -> None:
    now = EXPIRES - timedelta(minutes=1)
    for failed, left in [(0, 2), (1, 1)]:
        error, recorded = refusal_of(challenge(failed), "654321", now)
        assert type(error) is OtpMismatch
        assert error.details == {"reference": "REF1", "attempts_left": left}
        assert error.message == f"wrong OTP; {left} attempt(s) left for REF1"
        assert recorded == 1


def test_the_third_wrong_otp_voids_it_and_a_fourth_try_costs_nothing() -> None:
    now = EXPIRES - timedelta(minutes=1)
    error, recorded = refusal_of(challenge(2), "654321", now)
    assert type(error) is OtpAttemptsExhausted
    assert error.details == {"reference": "REF1"}
    assert error.message == "wrong OTP; 3 wrong attempts made the OTP REF1 void, request a new one"
    assert recorded == 1
    assert challenge(2).attempts_left == 1
    assert check(challenge(2), "123456", now) == []
    error, recorded = refusal_of(challenge(3), "123456", now)
    assert type(error) is OtpAttemptsExhausted
    assert error.details == {"reference": "REF1"}
    assert error.message == "the OTP REF1 is void after 3 wrong attempts"
    assert recorded == 0


def test_no_challenge_is_refused_naming_what() -> None:
    with pytest.raises(OtpNotRequested) as refusal:
        require_challenge(None, "payment P1")
    assert refusal.value.code == "OTP_NOT_REQUESTED"
    assert refusal.value.message == (
        "no OTP has been requested for payment P1, or it was already used"
    )
    assert require_challenge(challenge(), "x") == challenge()
