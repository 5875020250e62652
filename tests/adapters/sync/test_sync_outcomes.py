"""Outcomes after an effect: a payment is settled by the platform's signed payment-response
webhook, and an answer that cannot be read after the platform may have acted is held as
unknown with what came back, handed to the enquiry path, and never sent twice."""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest

from paycore.adapters.enkash import EnkashClient
from paycore.adapters.enkash import endpoints as ep
from paycore.adapters.sandbox import Fault, Sandbox, SandboxSettings, WebhookTarget
from paycore.adapters.sync.relay import NOT_READY, OUTCOME_UNKNOWN
from paycore.adapters.webhooks import WebhookAuth, WebhookInbox
from paycore.domain.core import PaymentsCore
from paycore.domain.payment import PaymentStatus
from tests.adapters.enkash.builders import HANG, WebhookReceiver
from tests.adapters.sync.builders import (
    accepted_invoice,
    card_with_account,
    relay,
    submitted_payment,
)
from tests.adapters.webhooks.builders import SECRET

UNREADABLE = 'It answered: {"status":"OK"}'


@pytest.fixture
def sandbox_settings(webhook_receiver: WebhookReceiver) -> SandboxSettings:
    return SandboxSettings(
        hang_seconds=HANG, webhook=WebhookTarget(webhook_receiver.url, signing_secret=SECRET)
    )


@pytest.fixture
def inbox(core: PaymentsCore) -> Iterator[WebhookInbox]:
    receiving = WebhookInbox(core, WebhookAuth(signing_secrets=(SECRET,)))
    yield receiving
    receiving.close()


def forward(sandbox: Sandbox, receiver: WebhookReceiver, inbox: WebhookInbox) -> list[int]:
    """Hands what the sandbox posted, signed as it was, to the inbox; their statuses."""
    sandbox.webhooks.drain()
    return [inbox.handle(path, headers, body)[0] for path, headers, body in receiver.received]


def test_a_relayed_payment_is_settled_by_the_platforms_signed_webhook(
    core: PaymentsCore,
    sandbox: Sandbox,
    sync_client: EnkashClient,
    webhook_receiver: WebhookReceiver,
    inbox: WebhookInbox,
) -> None:
    invoice_id = accepted_invoice(core, random.Random(21), total="750.00")
    payment_id = submitted_payment(core, invoice_id)
    relay(core, sync_client).drain()
    assert forward(sandbox, webhook_receiver, inbox) == [200, 200]  # confirmation, payment
    paid = core.get_payment(payment_id)
    assert paid.status is PaymentStatus.SUCCEEDED
    assert paid.utr is not None
    assert paid.utr.startswith("UTR")
    assert core.get_invoice(invoice_id).outstanding.amount == 0


def test_a_declined_payment_is_failed_with_the_platforms_error_members(
    core: PaymentsCore,
    sandbox: Sandbox,
    sync_client: EnkashClient,
    webhook_receiver: WebhookReceiver,
    inbox: WebhookInbox,
) -> None:
    invoice_id = accepted_invoice(core, random.Random(22), total="750.00")
    payment_id = submitted_payment(core, invoice_id)
    urn = core.get_payment(payment_id).object_id
    sandbox.state.decline_payment(urn, "PAYMENT_DECLINED", "Declined by the bank", "accountNo")
    relay(core, sync_client).drain()
    forward(sandbox, webhook_receiver, inbox)
    failed = core.get_payment(payment_id)
    assert failed.status is PaymentStatus.FAILED
    assert failed.failure_reason == (
        "the platform answered FAILURE: PAYMENT_DECLINED: Declined by the bank: accountNo"
    )
    invoice = core.get_invoice(invoice_id)
    assert invoice.outstanding == invoice.total
    assert sandbox.ledger.count_applied("make_payment", urn) == 1


def test_a_payment_answered_unreadably_is_held_unknown_with_its_answer_then_settled(
    core: PaymentsCore,
    sandbox: Sandbox,
    sync_client: EnkashClient,
    webhook_receiver: WebhookReceiver,
    inbox: WebhookInbox,
) -> None:
    payment_id = submitted_payment(core, accepted_invoice(core, random.Random(23)))
    urn = core.get_payment(payment_id).object_id
    sandbox.faults.force(ep.MAKE_PAYMENT.path, Fault.UNREADABLE_AFTER_EFFECT)
    sync = relay(core, sync_client)
    sync.drain()  # nothing raised: the outcome is unknown, not a failure
    [dead] = sync.dead_letters()
    assert (dead.kind, dead.reference, dead.error_code) == ("make_payment", urn, OUTCOME_UNKNOWN)
    assert dead.error_message.endswith(UNREADABLE)
    assert core.get_payment(payment_id).status is PaymentStatus.SUBMITTED
    forward(sandbox, webhook_receiver, inbox)
    assert core.get_payment(payment_id).status is PaymentStatus.SUCCEEDED
    sync.retry(dead.notification_id)
    sync.drain()  # settled meanwhile: nothing to send
    assert sync.dead_letters() == []
    assert sandbox.ledger.count_received("make_payment", urn) == 1


@pytest.mark.parametrize(
    ("path", "endpoint", "enquiry"),
    [(ep.LOAD_BALANCE.path, "load_balance", "find_transaction"),
     (ep.CREATE_CARD.path, "create_card", "search_cards")],
)  # fmt: skip
def test_an_unreadable_answer_to_a_load_or_a_new_card_is_found_by_enquiry_and_applied_once(
    core: PaymentsCore, sandbox: Sandbox, sync_client: EnkashClient, path: str, endpoint: str,
    enquiry: str,
) -> None:  # fmt: skip
    setup = card_with_account(core)
    core.load_card(setup.account_id, setup.card_id, "10.00", "LOAD-UNREADABLE")
    sandbox.faults.force(path, Fault.UNREADABLE_AFTER_EFFECT)
    sync = relay(core, sync_client)
    sync.drain()
    assert sync.dead_letters() == []
    assert sandbox.ledger.count_applied(endpoint) == 1
    assert sandbox.ledger.count_received(enquiry) == 1
    card = core.get_card_account(setup.account_id).card(setup.card_id)
    assert card.remote_id is not None
    assert sandbox.state.cards[card.remote_id].balance == 10


def test_an_unreadable_answer_to_a_new_account_is_held_unknown_with_its_answer(
    core: PaymentsCore, sandbox: Sandbox, sync_client: EnkashClient
) -> None:
    card_with_account(core)
    sandbox.faults.force(ep.CREATE_CARD_ACCOUNT.path, Fault.UNREADABLE_AFTER_EFFECT)
    sync = relay(core, sync_client)
    sync.drain()
    account, card = sync.dead_letters()
    assert (account.kind, account.error_code) == ("create_card_account", OUTCOME_UNKNOWN)
    assert account.error_message.endswith(UNREADABLE)
    assert (card.kind, card.error_code) == ("paycore.CardAccount.CardIssued", NOT_READY)
    assert sandbox.ledger.count_applied("create_card_account") == 1
