"""Request models refuse what the platform documents as invalid, before sending."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from paycore.adapters.enkash import RequestValidationError
from paycore.adapters.enkash import models as m
from paycore.domain import ObjectVersion
from tests.adapters.enkash.builders import COMPANY, INVOICE_ID, invoice_confirmation

CARD = {"companyId": COMPANY, "cardAccountId": "CA1", "enKashCardId": "K1"}


def refusal(build: Any) -> RequestValidationError:
    with pytest.raises(RequestValidationError) as raised:
        build()
    return raised.value


@pytest.mark.parametrize(
    "otp", ["12345", "1234567", "12a456", " 123456", "\uff11\uff12\uff13\uff14\uff15\uff16"]
)
def test_payment_otp_must_be_exactly_six_ascii_digits(otp: str) -> None:
    error = refusal(
        lambda: m.PaymentRequest(
            paymentIds=["P1"], paymentType="INVOICE", urn="U1", otpReferenceNumber="R", otp=otp
        )
    )
    assert error.field == "otp"
    assert otp not in str(error)
    assert otp not in repr(error.details)


@pytest.mark.parametrize("pin", ["123", "12345", "abcd"])
def test_pin_must_be_four_digits_and_is_never_quoted(pin: str) -> None:
    error = refusal(lambda: m.SetPinRequest(**CARD, pinBlock=pin))
    assert error.field == "pinBlock"
    assert pin not in str(error)


@pytest.mark.parametrize(
    "object_id",
    [
        "INV" + "A" * 31,
        "INV" + "A" * 33,
        "INX" + "A" * 32,
        "INV" + "A" * 31 + "-",
        "PMT" + "A" * 32,
    ],
)
def test_invoice_object_id_is_inv_and_32_alphanumerics(object_id: str) -> None:
    body = invoice_confirmation().model_dump()
    body["invoiceConfirmation"]["objectId"] = object_id
    error = refusal(lambda: m.ConfirmInvoiceRequest(**body))
    assert error.field == "invoiceConfirmation.objectId"


def test_invoice_object_id_accepts_the_documented_pattern() -> None:
    assert invoice_confirmation().invoiceConfirmation.objectId == INVOICE_ID


@pytest.mark.parametrize("remarks", ["", 'say "no"', "back\\slash", "x" * 101])
def test_b2b_remarks_are_1_to_100_chars_without_backslash_or_quote(remarks: str) -> None:
    body = invoice_confirmation().model_dump()
    body["invoiceConfirmation"]["buyerRemarks"] = remarks
    assert refusal(lambda: m.ConfirmInvoiceRequest(**body)).field == (
        "invoiceConfirmation.buyerRemarks"
    )


def test_b2b_remarks_of_exactly_100_chars_are_accepted() -> None:
    body = invoice_confirmation().model_dump()
    body["invoiceConfirmation"]["buyerRemarks"] = "x" * 100
    assert len(m.ConfirmInvoiceRequest(**body).invoiceConfirmation.buyerRemarks) == 100


@pytest.mark.parametrize("count", [0, 101])
def test_usage_controls_name_1_to_100_cards(count: int) -> None:
    ids = [f"K{i}" for i in range(count)]
    error = refusal(
        lambda: m.UsageControlsRequest(companyId=COMPANY, cardAccountId="CA1", enKashCardIds=ids)
    )
    assert error.field == "enKashCardIds"


def test_usage_controls_accept_100_cards_and_zero_limits() -> None:
    request = m.UsageControlsRequest(
        companyId=COMPANY,
        cardAccountId="CA1",
        enKashCardIds=[f"K{i}" for i in range(100)],
        dtd=Decimal("0"),
    )
    assert len(request.enKashCardIds) == 100


def test_usage_limits_are_never_negative() -> None:
    error = refusal(
        lambda: m.UsageControlsRequest(
            companyId=COMPANY, cardAccountId="CA1", enKashCardIds=["K1"], mtd=Decimal("-1")
        )
    )
    assert error.field == "mtd"


@pytest.mark.parametrize("amount", ["0.99", "0", "-5", "10.001"])
def test_load_is_at_least_one_rupee_in_paise(amount: str) -> None:
    error = refusal(
        lambda: m.LoadBalanceRequest(**CARD, amount=Decimal(amount), uniqueReferenceNumber="L1")
    )
    assert error.field == "amount"


def test_load_is_credit_only() -> None:
    error = refusal(
        lambda: m.LoadBalanceRequest(
            **CARD, amount=Decimal("5"), uniqueReferenceNumber="L1", transactionType="DR"
        )
    )
    assert error.field == "transactionType"


def test_partial_payment_names_one_invoice_and_an_amount() -> None:
    error = refusal(
        lambda: m.PaymentRequest(
            paymentIds=["P1", "P2"],
            paymentType="INVOICE",
            urn="U1",
            partialPayment=True,
            amount=Decimal("10"),
        )
    )
    assert "partial payment" in str(error)


def test_payment_otp_needs_its_reference() -> None:
    error = refusal(
        lambda: m.PaymentRequest(paymentIds=["P1"], paymentType="INVOICE", urn="U1", otp="123456")
    )
    assert "otpReferenceNumber" in str(error)
    assert "123456" not in str(error)


def test_block_with_a_required_sms_otp_needs_the_otp() -> None:
    error = refusal(
        lambda: m.BlockCardRequest(**CARD, blockCode="BL", otpMedium="MOBILE", otpRequired=True)
    )
    assert "otp is required" in str(error)


def test_unknown_block_code_is_refused() -> None:
    assert (
        refusal(lambda: m.BlockCardRequest(**CARD, blockCode="XX", otpMedium="MOBILE")).field
        == "blockCode"
    )


def test_unknown_fields_are_refused_rather_than_sent() -> None:
    assert refusal(lambda: m.CardRef(**CARD, enkashCardId="K1")).field == "enkashCardId"


def test_wire_body_reveals_secrets_and_sends_amounts_as_numbers() -> None:
    request = m.SetPinRequest(**CARD, pinBlock="9078")
    assert request.to_wire()["pinBlock"] == "9078"
    load = m.LoadBalanceRequest(**CARD, amount=Decimal("10.50"), uniqueReferenceNumber="L1")
    assert load.to_wire()["amount"] == 10.5
    assert "9078" not in repr(request)
    assert "9078" not in str(request)


def test_response_models_read_both_spellings_of_the_card_id() -> None:
    assert m.Card.model_validate({"enkashCardId": "K1"}).enKashCardId == "K1"
    assert m.Card.model_validate({"enKashCardId": "K2"}).enKashCardId == "K2"


def test_object_version_is_one_model_both_ways_and_round_trips_the_domain_value() -> None:
    version = ObjectVersion(2, 3)
    wire = m.ObjectVersion.of(version)
    assert wire.model_dump() == {"currentVersion": 2, "newVersion": 3}
    assert wire.to_domain() == version
    sent = m.PurchaseOrderConfirmation.model_fields["objectVersion"].annotation
    received = m.WebhookPoConfirmation.model_fields["objectVersion"].annotation
    assert sent is received is m.ObjectVersion
