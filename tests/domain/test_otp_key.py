"""The OTP key: long enough, given as hex, the same for every instance of a shared store;
an instance that cannot check an OTP right says so before it costs the person anything."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from pathlib import Path

import pytest

from paycore.domain.core import PaymentsCore
from paycore.domain.errors import ConfigurationError
from paycore.domain.otp import OTP_KEY_BYTES, OneTimePassword, OtpChallenge, OtpKey
from tests.domain.rule_checks import accepted_invoice, written

OTP = "583920"
SECRET = secrets.token_bytes(32)


@pytest.mark.parametrize("size", [0, 1, OTP_KEY_BYTES - 1])
def test_an_otp_key_is_at_least_16_bytes(size: int) -> None:
    short = SECRET[:size]
    with pytest.raises(ConfigurationError) as refusal:
        PaymentsCore("memory://", otp_key=short)
    assert refusal.value.code == "CONFIGURATION"
    assert refusal.value.details == {"setting": "otp_key", "minimum_bytes": OTP_KEY_BYTES}
    assert OtpKey(SECRET[:OTP_KEY_BYTES]).secret == SECRET[:OTP_KEY_BYTES]


@pytest.mark.parametrize(
    "value",
    [
        "not hex",
        SECRET.hex()[: 2 * OTP_KEY_BYTES - 2],
        SECRET.hex()[: 2 * OTP_KEY_BYTES - 1],
        f"{SECRET.hex()}g",
    ],
)
def test_the_otp_key_setting_is_hex_of_at_least_16_bytes(
    value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAYCORE_OTP_KEY", value)
    with pytest.raises(ConfigurationError) as refusal:
        PaymentsCore("memory://")
    assert refusal.value.details == {"setting": "PAYCORE_OTP_KEY", "minimum_bytes": OTP_KEY_BYTES}
    assert "PAYCORE_OTP_KEY" in refusal.value.message
    assert value not in refusal.value.message, "an error never shows the key"
    monkeypatch.setenv("PAYCORE_OTP_KEY", SECRET.hex()[: 2 * OTP_KEY_BYTES])
    assert PaymentsCore("memory://").otp_key.secret == SECRET[:OTP_KEY_BYTES]


def test_a_memory_store_draws_a_key_of_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PAYCORE_OTP_KEY")
    core = PaymentsCore("memory://", otp_codes=lambda: OTP)
    invoice_id = accepted_invoice(core)
    payment_id = core.initiate_payment([invoice_id])
    core.request_payment_otp(payment_id)
    core.authorise_payment(payment_id, OTP)
    assert core.get_payment(payment_id).status == "AUTHORISED"


def test_on_a_shared_store_without_a_key_no_otp_is_issued_or_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every other command works; each OTP command is refused before anything is read or
    written, and the refusal is not recorded under its idempotency key."""
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    with_key = PaymentsCore(url, otp_codes=lambda: OTP)
    invoice_id = accepted_invoice(with_key)
    payment_id = with_key.initiate_payment([invoice_id])
    with_key.request_payment_otp(payment_id)
    account_id = with_key.open_card_account("CO1", "Acme", "Travel", "CORPORATE")
    card_id = with_key.issue_card(account_id, "PREPAID")
    monkeypatch.delenv("PAYCORE_OTP_KEY")
    core = PaymentsCore(url)
    core.load_card(account_id, card_id, "10.00")

    otp_commands = {
        "request_card_otp": lambda: core.request_card_otp(account_id, card_id),
        "verify_card_otp": lambda: core.verify_card_otp(
            account_id, card_id, OTP, idempotency_key="verify"
        ),
        "request_payment_otp": lambda: core.request_payment_otp(payment_id),
        "authorise_payment": lambda: core.authorise_payment(
            payment_id, OTP, idempotency_key="authorise"
        ),
    }
    for name, command in otp_commands.items():
        before = written(core)
        with pytest.raises(ConfigurationError) as refusal:
            command()
        assert refusal.value.details == {"setting": "PAYCORE_OTP_KEY"}, name
        assert "PAYCORE_OTP_KEY" in refusal.value.message
        assert written(core) == before, name

    with_key.authorise_payment(payment_id, OTP, idempotency_key="authorise")
    assert with_key.get_payment(payment_id).status == "AUTHORISED"


def test_an_otp_issued_under_another_key_is_refused_without_costing_an_attempt(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    issuer = PaymentsCore(url, otp_key=SECRET, otp_codes=lambda: OTP)
    misconfigured = PaymentsCore(url, otp_key=secrets.token_bytes(32))
    account_id = issuer.open_card_account("CO1", "Acme", "Travel", "CORPORATE")
    card_id = issuer.issue_card(account_id, "PREPAID")
    reference = issuer.request_card_otp(account_id, card_id).reference

    before = written(issuer)
    with pytest.raises(ConfigurationError) as refusal:
        misconfigured.verify_card_otp(account_id, card_id, OTP)
    assert refusal.value.details == {"setting": "PAYCORE_OTP_KEY", "reference": reference}
    assert written(issuer) == before
    challenge = issuer.get_card_account(account_id).card(card_id).otp
    assert challenge is not None
    assert challenge.failed_attempts == 0

    assert issuer.verify_card_otp(account_id, card_id, OTP) == "TRANSACTION_OTP"


def test_a_challenge_kept_before_it_named_its_key_is_checked_with_the_key_at_hand() -> None:
    key, otp = OtpKey(SECRET), OneTimePassword(OTP)
    expires_at = datetime(2026, 3, 10, 9, 10, tzinfo=UTC)
    kept = OtpChallenge("OTP1", "PAYMENT", key.digest("OTP1", otp), expires_at)
    assert kept.key_id is None
    assert key.digest_for(kept, otp) == kept.digest
