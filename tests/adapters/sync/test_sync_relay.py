"""The relay sends each event that needs the platform once, records the answer with its
position, and never lets one bad item hold up the rest."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Iterator
from uuid import UUID

import httpx
import pytest

from paycore.adapters.enkash import EnkashClient
from paycore.adapters.enkash import endpoints as ep
from paycore.adapters.enkash import models as m
from paycore.adapters.enkash.errors import RequestValidationError
from paycore.adapters.enkash.retry import Backoff
from paycore.adapters.sandbox import Fault, Sandbox
from paycore.adapters.sync import (
    CONSUMER,
    DeadLetter,
    EnkashPinGateway,
    RelayBusy,
    RelaySettings,
    SyncRelay,
)
from paycore.adapters.sync.calls import relayed_topics
from paycore.adapters.sync.relay import NOT_READY, OUTCOME_UNKNOWN
from paycore.domain.card_account import Channel, UsageControls
from paycore.domain.core import CommandContext, PaymentsCore
from paycore.domain.errors import PaycoreError
from paycore.domain.payment import PaymentStatus
from tests.adapters.sync.builders import (
    FAST,
    accepted_invoice,
    card_with_account,
    profile,
    relay,
    sandbox_client,
    sent_order,
    submitted_payment,
)


def test_remote_ids_are_recorded_with_the_position(
    core: PaymentsCore, sandbox: Sandbox, sync_client: EnkashClient
) -> None:
    setup = card_with_account(core, initial_load="50.00")
    core.load_card(setup.account_id, setup.card_id, "25.00", "LOAD-1")
    sync = relay(core, sync_client)
    sync.drain()
    account = core.get_card_account(setup.account_id)
    card = account.card(setup.card_id)
    assert account.remote_id in sandbox.state.accounts
    assert sandbox.state.cards[card.remote_id or ""].balance == 75
    assert sandbox.ledger.count_applied("load_balance", "LOAD-1") == 1
    relayed = core.recorder.select_notifications(None, 1000, topics=relayed_topics())
    assert sync.position == relayed[-1].id
    assert core.max_tracked(CONSUMER) == relayed[-1].id
    assert sandbox.ledger.count_applied() == 3


def test_every_kind_of_call_reaches_the_platform(
    core: PaymentsCore, sandbox: Sandbox, sync_client: EnkashClient
) -> None:
    rng = random.Random(3)
    setup = card_with_account(core)
    core.activate_card(setup.account_id, setup.card_id, kyc_completed=True, terms_accepted=True)
    core.set_usage_controls(
        setup.account_id, [setup.card_id], UsageControls(disabled_channels=[Channel.ATM])
    )
    core.lock_card(setup.account_id, setup.card_id)
    new_card = core.replace_card(setup.account_id, setup.card_id)
    po_id = sent_order(core, rng)
    core.edit_purchase_order(po_id, "Printer paper, 12 boxes", "3000.00")
    core.cancel_purchase_order(po_id, "No longer needed")
    invoice_id = accepted_invoice(core, rng)
    core.receive_cd_note(invoice_id, "CN0001", "CREDIT", "50.00")
    core.confirm_cd_note(invoice_id, "CN0001")
    submitted_payment(core, invoice_id)
    relay(core, sync_client).drain()
    applied = {effect.endpoint for effect in sandbox.ledger.applied}
    assert applied == {
        "create_card_account", "create_card", "set_usage_controls", "block_card",
        "replace_card", "send_purchase_order", "edit_purchase_order",
        "change_purchase_order_status", "confirm_invoice", "send_credit_debit_note",
        "confirm_credit_debit_note", "make_payment",
    }  # fmt: skip
    replaced = core.get_card_account(setup.account_id).card(new_card)
    assert replaced.remote_id in sandbox.state.cards
    assert sandbox.state.cards[replaced.remote_id or ""].controls["atmAllowed"] is False


def test_events_from_the_platform_are_never_sent_back(
    core: PaymentsCore, sandbox: Sandbox, sync_client: EnkashClient
) -> None:
    po_id = sent_order(core, random.Random(4))
    webhook = CommandContext(actor="enkash", source="webhook")
    core.record_po_response(po_id, "ACCEPT", "Will deliver", context=webhook)
    core.cancel_purchase_order(po_id, "Supplier cancelled it there", context=webhook)
    relay(core, sync_client).drain()
    assert [e.endpoint for e in sandbox.ledger.applied] == ["send_purchase_order"]


def test_a_payment_the_platform_refuses_is_recorded_as_failed(
    core: PaymentsCore, sandbox: Sandbox, sync_client: EnkashClient
) -> None:
    # The domain now refuses every value the platform's patterns refuse, so the refusal
    # comes from the request check of a client that stands in for a stricter platform.
    class StricterPlatform(EnkashClient):
        def make_payment(self, request: m.PaymentRequest) -> m.Acknowledgement:
            msg = "paymentRemarks does not match the platform's pattern"
            raise RequestValidationError(msg, field="paymentRemarks")

    invoice_id = accepted_invoice(core, random.Random(5))
    payment_id = submitted_payment(core, invoice_id, remarks="remarks")
    sync = relay(core, StricterPlatform(sandbox.client_config(read_timeout=0.3)))
    sync.drain()
    payment = core.get_payment(payment_id)
    assert payment.status is PaymentStatus.FAILED
    assert "REMOTE_INVALID_REQUEST" in (payment.failure_reason or "")
    assert core.get_invoice(invoice_id).outstanding == core.get_invoice(invoice_id).total
    assert sync.dead_letters() == []


def test_an_item_that_cannot_be_sent_is_dead_lettered_without_blocking_the_next(
    core: PaymentsCore, sandbox: Sandbox, sync_client: EnkashClient
) -> None:
    rng = random.Random(6)
    po_id = sent_order(core, rng)
    setup = card_with_account(core)
    without_supplier = relay(core, sync_client, profile("BUYER01"))
    without_supplier.drain()
    [dead] = without_supplier.dead_letters()
    assert dead.error_code == NOT_READY
    assert "SUPPLIER01" in dead.error_message
    assert core.get_card_account(setup.account_id).card(setup.card_id).remote_id is not None
    assert without_supplier.retry(dead.notification_id)
    complete = relay(core, sync_client)
    complete.drain()
    assert complete.dead_letters() == []
    order = core.get_purchase_order(po_id)
    assert sandbox.ledger.count_applied("send_purchase_order", order.object_id) == 1


def test_transient_failures_back_off_then_dead_letter_then_retry_once(
    core: PaymentsCore, sandbox: Sandbox, sync_client: EnkashClient
) -> None:
    setup = card_with_account(core)
    core.load_card(setup.account_id, setup.card_id, "10.00", "LOAD-UNAVAILABLE")
    sync = relay(core, sync_client, settings=RelaySettings(max_attempts=2, backoff=Backoff(0.0)))
    sync.drain()  # the account and the card
    sandbox.faults.force(ep.LOAD_BALANCE.path, Fault.SERVER_ERROR, times=2)
    core.load_card(setup.account_id, setup.card_id, "10.00", "LOAD-LATER")
    sync.drain()
    # the relay's attempts are all there are: the client tries once per attempt
    assert sandbox.ledger.count_received("load_balance", "LOAD-LATER") == 2
    [dead] = sync.dead_letters()
    assert (dead.kind, dead.reference, dead.error_code) == (
        "load_balance", "LOAD-LATER", "REMOTE_UNAVAILABLE",
    )  # fmt: skip
    sync.retry(dead.notification_id)
    sync.drain()
    assert sync.dead_letters() == []
    assert sandbox.ledger.count_applied("load_balance", "LOAD-LATER") == 1


class RefusingTransport(httpx.BaseTransport):
    """The network to the sandbox, except that ``path`` refuses the next ``times``
    connections (the request never leaves)."""

    def __init__(self, path: str, times: int) -> None:
        self.path, self.times, self.refused = path, times, 0
        self._network = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == self.path and self.refused < self.times:
            self.refused += 1
            raise httpx.ConnectError("connection refused", request=request)
        return self._network.handle_request(request)

    def close(self) -> None:
        self._network.close()


@pytest.fixture
def refusing(sandbox: Sandbox, request: pytest.FixtureRequest) -> Iterator[RefusingTransport]:
    path, times = request.param
    transport = RefusingTransport(path, times)
    yield transport
    transport.close()


def refused_client(sandbox: Sandbox, transport: RefusingTransport) -> EnkashClient:
    config = sandbox.client_config(read_timeout=0.3)
    return EnkashClient(config, transport=transport)


@pytest.mark.parametrize("refusing", [(ep.CREATE_CARD_ACCOUNT.path, 3)], indirect=True)
def test_a_refused_connection_is_tried_again_by_the_relay_alone_even_for_a_call_never_resent(
    core: PaymentsCore, sandbox: Sandbox, refusing: RefusingTransport
) -> None:
    """Card-account creation is never resent after an unknown outcome; a connection
    that was refused is no such outcome."""
    account_id = core.open_card_account("CMP1", "Acme Traders", "Staff cards", "CORPORATE")
    settings = RelaySettings(max_attempts=4, backoff=Backoff(0.0))
    with refused_client(sandbox, refusing) as client:
        relay(core, client, settings=settings).drain()
    assert refusing.refused == 3
    assert sandbox.ledger.count_received("create_card_account") == 1
    assert core.get_card_account(account_id).remote_id in sandbox.state.accounts


@pytest.mark.parametrize("refusing", [(ep.CREATE_CARD_ACCOUNT.path, 100)], indirect=True)
def test_a_refused_connection_costs_the_relays_max_attempts_and_no_more(
    core: PaymentsCore, sandbox: Sandbox, refusing: RefusingTransport
) -> None:
    core.open_card_account("CMP1", "Acme Traders", "Staff cards", "CORPORATE")
    settings = RelaySettings(max_attempts=3, backoff=Backoff(0.0))
    with refused_client(sandbox, refusing) as client:
        sync = relay(core, client, settings=settings)
        sync.drain()
        [dead] = sync.dead_letters()
    assert (dead.kind, dead.error_code, dead.attempts) == (
        "create_card_account", "REMOTE_UNAVAILABLE", 3,
    )  # fmt: skip
    assert refusing.refused == 3  # not 3 of the relay's times 3 of the client's
    assert sandbox.ledger.count_received("create_card_account") == 0


@pytest.mark.parametrize("refusing", [(ep.GET_CARD_DETAILS.path, 100)], indirect=True)
def test_a_replacement_whose_new_card_cannot_be_read_is_never_sent_twice(
    core: PaymentsCore, sandbox: Sandbox, refusing: RefusingTransport
) -> None:
    setup = card_with_account(core)
    with sandbox_client(sandbox) as client:
        relay(core, client).drain()  # the account and the card
    core.replace_card(setup.account_id, setup.card_id)
    with refused_client(sandbox, refusing) as client:
        sync = relay(core, client)
        sync.drain()
        [dead] = sync.dead_letters()
    assert (dead.kind, dead.error_code) == ("replace_card", OUTCOME_UNKNOWN)
    assert sandbox.ledger.count_applied("replace_card") == 1


def timed_out_payment(
    core: PaymentsCore, sandbox: Sandbox, sync: SyncRelay, seed: int
) -> tuple[UUID, DeadLetter]:
    """A payment applied by the platform whose answer never came: dead-lettered."""
    payment_id = submitted_payment(core, accepted_invoice(core, random.Random(seed)))
    sandbox.faults.force(ep.MAKE_PAYMENT.path, Fault.TIMEOUT_AFTER_EFFECT)
    sync.drain()
    [dead] = sync.dead_letters()
    return payment_id, dead


def test_a_timed_out_payment_is_never_resent_until_an_operator_retries(
    core: PaymentsCore, sandbox: Sandbox, sync_client: EnkashClient
) -> None:
    sync = relay(core, sync_client)
    payment_id, dead = timed_out_payment(core, sandbox, sync, seed=7)
    urn = core.get_payment(payment_id).object_id
    assert (dead.reference, dead.error_code) == (urn, OUTCOME_UNKNOWN)
    assert sandbox.ledger.count_received("make_payment", urn) == 1
    sync.retry(dead.notification_id)
    sync.drain()  # the resend is answered "duplicate": the first one was applied
    assert sync.dead_letters() == []
    assert sandbox.ledger.count_applied("make_payment", urn) == 1


def test_a_payment_whose_outcome_arrived_is_not_sent_on_retry(
    core: PaymentsCore, sandbox: Sandbox, sync_client: EnkashClient
) -> None:
    sync = relay(core, sync_client)
    payment_id, dead = timed_out_payment(core, sandbox, sync, seed=9)
    urn = core.get_payment(payment_id).object_id
    webhook = CommandContext(actor="enkash", source="webhook")
    core.record_payment_success(payment_id, "UTR77", context=webhook)
    sync.retry(dead.notification_id)
    sync.drain()
    assert sync.dead_letters() == []
    assert sandbox.ledger.count_received("make_payment", urn) == 1


@pytest.mark.parametrize(
    ("path", "endpoint"),
    [(ep.LOAD_BALANCE.path, "load_balance"), (ep.CREATE_CARD.path, "create_card"),
     (ep.SEND_PURCHASE_ORDER.path, "send_purchase_order")],
)  # fmt: skip
def test_timeout_after_effect_is_found_by_enquiry_and_not_sent_twice(
    core: PaymentsCore, sandbox: Sandbox, sync_client: EnkashClient, path: str, endpoint: str
) -> None:
    setup = card_with_account(core)
    core.load_card(setup.account_id, setup.card_id, "10.00", "LOAD-TIMEOUT")
    sent_order(core, random.Random(8))
    sandbox.faults.force(path, Fault.TIMEOUT_AFTER_EFFECT)
    sync = relay(core, sync_client)
    sync.drain()
    assert sync.dead_letters() == []
    assert sandbox.ledger.count_applied(endpoint) == 1
    assert core.get_card_account(setup.account_id).card(setup.card_id).remote_id is not None


def test_a_second_worker_waits_for_the_lease(
    core: PaymentsCore, sandbox: Sandbox, sync_client: EnkashClient
) -> None:
    active, standby = relay(core, sync_client), relay(core, sync_client)
    card_with_account(core)
    active.start()
    try:
        # Once it has relayed the card, the active worker holds the lease until closed.
        deadline = time.monotonic() + 30
        while sandbox.ledger.count_applied("create_card") < 1:
            assert time.monotonic() < deadline, "the active worker never took the lease"
            time.sleep(0.01)
        with pytest.raises(RelayBusy) as busy:
            standby.drain()
        # Only PaycoreError subclasses leave the library: a stable code and its details.
        assert isinstance(busy.value, PaycoreError)
        assert busy.value.code == "CONCURRENCY_CONFLICT"
        assert busy.value.details == {"consumer": CONSUMER}
    finally:
        active.close()
    standby.drain()
    standby.close()
    assert sandbox.ledger.count_applied("create_card") == 1


def test_the_pin_goes_to_the_platform_and_only_its_time_is_recorded(
    core: PaymentsCore,
    sandbox: Sandbox,
    sync_client: EnkashClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    setup = card_with_account(core)
    relay(core, sync_client, settings=FAST).drain()
    core.pin_gateway = EnkashPinGateway(sync_client)
    core.set_card_pin(setup.account_id, setup.card_id, "4821")
    card = core.get_card_account(setup.account_id).card(setup.card_id)
    assert card.pin_set_at is not None
    assert sandbox.state.cards[card.remote_id or ""].pinSet
    stored = b"".join(n.state for n in core.recorder.select_notifications(None, 1000))
    assert b"4821" not in stored
    assert "4821" not in caplog.text
