"""No secret (client secret, password, token, PIN, OTP, MFA code) in logs, errors or reprs."""

from __future__ import annotations

import logging
import re
from decimal import Decimal

import pytest

from paycore.adapters.enkash import EnkashClient, RemoteError, RequestValidationError
from paycore.adapters.enkash import endpoints as ep
from paycore.adapters.enkash import models as m
from paycore.adapters.sandbox import Fault, Sandbox
from tests.adapters.enkash.builders import card_ref, issue_card, open_account

PIN = "4826"
PAYMENT_OTP = "918273"
MFA = "MFA-CODE-5566"


def test_secrets_stay_out_of_debug_logs_errors_and_reprs(
    client: EnkashClient, sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    errors: list[BaseException] = []
    card = issue_card(client, open_account(client))
    pin_request = m.SetPinRequest(**card_ref(card), pinBlock=PIN)
    client.set_pin(pin_request)
    client.generate_card_otp(
        m.CardOtpRequest(cardAccountId=card.cardAccountId, enKashCardId=card.enKashCardId)
    )
    card_otp = sandbox.state.latest_otp(card.enKashCardId).otp
    block = m.BlockCardRequest(
        **card_ref(card), blockCode="L", otpMedium="MOBILE", otpRequired=True, otp=card_otp
    )
    client.block_card(block)
    mfa_block = m.BlockCardRequest(
        **card_ref(card), blockCode="UL", otpMedium="MFA", otpRequired=True, mfaCode=MFA
    )
    client.block_card(mfa_block)
    payment = m.PaymentRequest(
        paymentIds=["PAYABLE-1"],
        paymentType="INVOICE",
        urn="URN-S",
        otpReferenceNumber="OTPREF",
        otp=PAYMENT_OTP,
        amount=Decimal("10.00"),
    )
    sandbox.faults.force(ep.MAKE_PAYMENT.path, Fault.TIMEOUT_AFTER_EFFECT)
    with pytest.raises(RemoteError) as timeout:
        client.make_payment(payment)
    errors.append(timeout.value)
    with pytest.raises(RemoteError) as duplicate:
        client.make_payment(payment)
    errors.append(duplicate.value)
    with pytest.raises(RequestValidationError) as invalid:
        m.SetPinRequest(**card_ref(card), pinBlock=PIN + "0")
    errors.append(invalid.value)

    config = sandbox.client_config()
    secrets = [
        config.client_secret.get_secret_value(),
        config.password.get_secret_value(),
        *sandbox.issued_tokens(),
        PIN,
        card_otp,
        PAYMENT_OTP,
        MFA,
    ]
    assert sandbox.issued_tokens()
    shown = "\n".join(
        [
            caplog.text,
            *(str(error) for error in errors),
            *(repr(error.details) for error in errors if hasattr(error, "details")),
            repr(config),
            repr(client),
            repr(sandbox),
            repr(sandbox.settings),
            repr(pin_request),
            repr(block),
            repr(mfa_block),
            repr(payment),
            str(payment),
        ]
    )
    assert "set_pin reference" in caplog.text  # the log was captured at DEBUG
    for secret in secrets:
        # digit bounds: a 4-digit PIN may well be part of a port number in a URL
        assert re.search(rf"(?<!\d){re.escape(secret)}(?!\d)", shown) is None
