"""OTP and PIN formats, and an OTP challenge: keyed hash, expiry, at most three wrong tries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from paycore.domain.errors import (
    OtpAttemptsExhausted,
    OtpExpired,
    OtpFormatError,
    OtpMismatch,
    PaycoreError,
    PinFormatError,
)
from paycore.domain.otp import OneTimePassword, OtpChallenge, OtpKey, Pin

KEY = OtpKey(b"test-otp-key-of-32-bytes-long!!!")
ISSUED_AT = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "value",
    ["12345", "1234567", "12345a", " 123456", "\uff11\uff12\uff13\uff14\uff15\uff16", 123456],
)
def test_otp_is_exactly_six_digits(value: object) -> None:
    with pytest.raises(OtpFormatError) as refusal:
        OneTimePassword(value)  # type: ignore[arg-type]
    assert refusal.value.code == "OTP_FORMAT"
    assert str(value) not in refusal.value.message


def test_otp_never_shows_its_digits() -> None:
    assert "482913" not in repr(OneTimePassword("482913"))
    assert "482913" not in repr(KEY.digest("OTP1", OneTimePassword("482913")))


@pytest.mark.parametrize(
    "value", ["123", "12345", "12a4", "1 34", "\u0661\u0662\u0663\u0664", 1234]
)
def test_pin_is_exactly_four_digits(value: object) -> None:
    with pytest.raises(PinFormatError) as refusal:
        Pin(value)  # type: ignore[arg-type]
    assert refusal.value.code == "PIN_FORMAT"


def test_pin_never_shows_its_digits() -> None:
    assert "7395" not in repr(Pin("7395"))


def test_otp_is_kept_as_a_hash_keyed_by_secret_and_reference() -> None:
    otp = OneTimePassword("482913")
    assert KEY.digest("OTP1", otp) == KEY.digest("OTP1", otp)
    assert KEY.digest("OTP1", otp) != KEY.digest("OTP2", otp)
    assert KEY.digest("OTP1", otp) != OtpKey(b"o" * 32).digest("OTP1", otp)
    assert "482913" not in KEY.digest("OTP1", otp)


def challenge(failed_attempts: int = 0) -> OtpChallenge:
    return OtpChallenge(
        reference="OTP1",
        purpose="TEST",
        digest=KEY.digest("OTP1", OneTimePassword("482913")),
        expires_at=ISSUED_AT + timedelta(minutes=10),
        failed_attempts=failed_attempts,
    )


def check(otp: str, at: datetime, mismatches: list[int]) -> None:
    challenge().check(KEY.digest("OTP1", OneTimePassword(otp)), at, lambda: mismatches.append(1))


def refusal_of(otp: str, at: datetime, error: type[PaycoreError], code: str) -> list[int]:
    """Checks ``otp`` at ``at``, expecting ``error``; returns the mismatches recorded."""
    mismatches: list[int] = []
    with pytest.raises(error) as refusal:
        check(otp, at, mismatches)
    assert refusal.value.code == code
    return mismatches


def test_otp_challenge_accepts_the_right_otp_until_it_expires() -> None:
    mismatches: list[int] = []
    check("482913", ISSUED_AT + timedelta(minutes=9, seconds=59), mismatches)
    assert mismatches == []
    expired = ISSUED_AT + timedelta(minutes=10)
    assert refusal_of("482913", expired, OtpExpired, "OTP_EXPIRED") == []


def test_wrong_otp_is_recorded_before_it_is_refused() -> None:
    assert refusal_of("000000", ISSUED_AT, OtpMismatch, "OTP_MISMATCH") == [1]


def test_otp_challenge_is_void_after_three_wrong_attempts() -> None:
    mismatches: list[int] = []
    with pytest.raises(OtpAttemptsExhausted) as third:
        challenge(failed_attempts=2).check("wrong", ISSUED_AT, lambda: mismatches.append(1))
    assert (third.value.code, mismatches) == ("OTP_ATTEMPTS_EXHAUSTED", [1])
    right = KEY.digest("OTP1", OneTimePassword("482913"))
    with pytest.raises(OtpAttemptsExhausted) as void:
        challenge(failed_attempts=3).check(right, ISSUED_AT, lambda: mismatches.append(1))
    assert (void.value.code, mismatches) == ("OTP_ATTEMPTS_EXHAUSTED", [1])
