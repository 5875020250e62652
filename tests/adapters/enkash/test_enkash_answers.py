"""Answers after the call was sent: read for what they hold, and never raised away as if
nothing had happened. One that cannot be read keeps what came back (redacted) and says
the effect is unknown."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import httpx
import pytest

from paycore.adapters.enkash import Effect, RemoteProtocolError
from paycore.adapters.enkash import models as m
from paycore.adapters.enkash.errors import ANSWER_LIMIT, redacted
from tests.adapters.enkash.builders import COMPANY
from tests.adapters.enkash.test_enkash_client import Platform, envelope_a, sealed

CARD = {"companyId": COMPANY, "cardAccountId": "CA1", "enKashCardId": "K1"}
LOAD = m.LoadBalanceRequest(**CARD, amount=Decimal("250.00"), uniqueReferenceNumber="LOAD-9")
ACCOUNT = m.CreateCardAccountRequest(
    companyId=COMPANY, companyName="Acme", planMasterId="P1", email="admin@acme.example",
    mobile="9876543210", accountTitle="Staff", accountType="CORPORATE",
)  # fmt: skip


@pytest.mark.parametrize("payload", ["Success", None, {"status": "SUCCESS"}])
def test_a_load_answered_with_code_zero_is_applied_whatever_its_payload(payload: Any) -> None:
    with Platform(sealed(200, envelope_a(0, "Success", payload))).client() as client:
        loaded = client.load_balance(LOAD)
    assert isinstance(loaded, m.CardTransaction)
    assert loaded.status == (payload["status"] if isinstance(payload, dict) else None)


def test_a_creation_answered_without_the_new_id_is_unknown_and_keeps_the_answer() -> None:
    answer = {"companyId": COMPANY, "email": "admin@acme.example", "token": "tok-9f8e7d"}
    platform = Platform(sealed(200, envelope_a(0, "Success", answer)))
    with platform.client() as client, pytest.raises(RemoteProtocolError) as unreadable:
        client.create_card_account(ACCOUNT)
    error = unreadable.value
    assert (error.effect, error.retryable) == (Effect.UNKNOWN, False)
    assert error.details["answer"] == (
        f'{{"companyId":"{COMPANY}","email":"<18 chars>","token":"<10 chars>"}}'
    )
    assert "admin@acme.example" not in str(error.details) + str(error)
    assert "tok-9f8e7d" not in str(error.details) + str(error)


def test_an_answer_with_neither_envelope_after_sending_is_unknown() -> None:
    page = httpx.Response(200, text="<html>Gateway says hello</html>")
    payment = m.PaymentRequest(paymentIds=["INV1"], paymentType="INVOICE", urn="PMT-URN-1")
    with Platform(page).client() as client, pytest.raises(RemoteProtocolError) as unreadable:
        client.make_payment(payment)
    error = unreadable.value
    assert (error.effect, error.retryable) == (Effect.UNKNOWN, False)
    assert error.details["answer"] == "<31 bytes, not JSON>"
    assert error.details["reference"] == "PMT-URN-1"


def test_an_encrypted_answer_that_does_not_decrypt_is_unknown() -> None:
    garbled = httpx.Response(200, json={"request": "bm90IGNpcGhlcnRleHQ="})
    with Platform(garbled).client() as client, pytest.raises(RemoteProtocolError) as unreadable:
        client.load_balance(LOAD)
    assert unreadable.value.effect is Effect.UNKNOWN
    assert unreadable.value.details["answer"] == "<20 chars that do not decrypt>"


def test_a_transaction_look_up_counts_only_the_reference_it_asked_for() -> None:
    other = {"enKashTransactionId": "T1", "pgReferenceNumber": "LOAD-8", "amount": 250}
    mine = {"enKashTransactionId": "T2", "pgReferenceNumber": "LOAD-9", "amount": 250}
    answers = [sealed(200, envelope_a(0, "Success", p)) for p in ([other], {}, [other, mine])]
    with Platform(*answers).client() as client:
        assert client.find_transaction(LOAD.enquiry()) is None
        assert client.find_transaction(LOAD.enquiry()) is None
        found = client.find_transaction(LOAD.enquiry())
    assert found is not None
    assert found.enKashTransactionId == "T2"


def test_a_redacted_answer_keeps_ids_codes_and_numbers_and_hides_the_rest() -> None:
    answer = {
        "enKashCardId": "EKC1", "maskedNumber": "XXXX XXXX XXXX 2209", "balance": 10.5,
        "firstName": "Asha", "docNo": "ABCDE1234F", "data": [{"mobile": "9876543210"}],
    }  # fmt: skip
    shown = json.loads(redacted(answer))
    assert shown == {
        "enKashCardId": "EKC1", "maskedNumber": "XXXX XXXX XXXX 2209", "balance": 10.5,
        "firstName": "<4 chars>", "docNo": "<10 chars>", "data": [{"mobile": "<10 chars>"}],
    }  # fmt: skip


def test_a_redacted_answer_is_cut_at_its_limit() -> None:
    at_limit = redacted("x" * (ANSWER_LIMIT - 2))  # the quotes make it ANSWER_LIMIT long
    past = redacted("x" * (ANSWER_LIMIT - 1))
    assert (len(at_limit), at_limit.endswith("...")) == (ANSWER_LIMIT, False)
    assert (len(past), past.endswith("...")) == (ANSWER_LIMIT, True)
