"""The remote rules the sandbox enforces, seen through the client."""

from __future__ import annotations

import pytest

from paycore.adapters.enkash import (
    EnkashClient,
    RemoteBusinessError,
    RemoteDuplicateError,
    RemoteRejectedError,
)
from paycore.adapters.enkash import models as m
from paycore.adapters.sandbox import Sandbox
from tests.adapters.enkash.builders import card_ref, issue_card, load_request, open_account


def test_a_gift_card_is_never_loaded_after_issue(client: EnkashClient, sandbox: Sandbox) -> None:
    gift = issue_card(client, open_account(client, "GIFT"), load="100.00")
    with pytest.raises(RemoteBusinessError, match="gift card") as declined:
        client.load_balance(load_request(gift, "50.00", "LOAD-GIFT"))
    assert (declined.value.http_status, declined.value.remote_code) == (200, 1)
    assert sandbox.ledger.count_applied("load_balance") == 0
    assert sandbox.state.cards[gift.enKashCardId].balance == 100


def test_a_blocked_card_is_never_loaded(client: EnkashClient, sandbox: Sandbox) -> None:
    card = issue_card(client, open_account(client))
    client.block_card(m.BlockCardRequest(**card_ref(card), blockCode="BL", otpMedium="MOBILE"))
    with pytest.raises(RemoteBusinessError, match="blocked"):
        client.load_balance(load_request(card, "50.00", "LOAD-BL"))
    assert sandbox.ledger.count_applied("load_balance") == 0


def test_a_reused_load_reference_is_a_duplicate_and_applied_once(
    client: EnkashClient, sandbox: Sandbox
) -> None:
    card = issue_card(client, open_account(client))
    client.load_balance(load_request(card, "10.00", "LOAD-D"))
    with pytest.raises(RemoteDuplicateError) as duplicate:
        client.load_balance(load_request(card, "10.00", "LOAD-D"))
    assert (duplicate.value.http_status, duplicate.value.remote_code) == (409, 38)
    assert sandbox.ledger.count_received("load_balance", "LOAD-D") == 2
    assert sandbox.ledger.count_applied("load_balance", "LOAD-D") == 1
    assert sandbox.state.cards[card.enKashCardId].balance == 10


def test_asking_for_the_current_block_code_changes_nothing(
    client: EnkashClient, sandbox: Sandbox
) -> None:
    card = issue_card(client, open_account(client))
    client.block_card(m.BlockCardRequest(**card_ref(card), blockCode="UL", otpMedium="MOBILE"))
    assert sandbox.ledger.count_applied("block_card") == 0


def test_a_card_cannot_be_put_back_to_activation_in_progress(client: EnkashClient) -> None:
    card = issue_card(client, open_account(client))
    with pytest.raises(RemoteBusinessError, match="from UL to AP"):
        client.block_card(m.BlockCardRequest(**card_ref(card), blockCode="AP", otpMedium="MOBILE"))


def test_an_account_of_another_company_is_not_found(client: EnkashClient) -> None:
    account = open_account(client)
    with pytest.raises(RemoteBusinessError, match="not found"):
        client.get_card_account(
            m.CardAccountQuery(companyId="SOMEONE-ELSE", cardAccountId=account.cardAccountId)
        )


def test_a_body_the_models_refuse_is_answered_400_naming_the_field(sandbox: Sandbox) -> None:
    # A client of another make, sending what paycore's models would refuse to send.
    config = sandbox.client_config()
    with EnkashClient(config) as client:
        raw = m.PaymentRequest.model_construct(
            paymentIds=[], paymentType="INVOICE", urn="URN-X", partialPayment=False
        )
        with pytest.raises(RemoteRejectedError, match="paymentIds") as refused:
            client.make_payment(raw)
    assert refused.value.http_status == 400
    assert sandbox.ledger.count_applied() == 0
