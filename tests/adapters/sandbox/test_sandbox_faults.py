"""Injected faults over loopback: a money-moving call is applied once, whatever fails."""

from __future__ import annotations

import contextlib

import pytest

from paycore.adapters.enkash import (
    Backoff,
    EnkashClient,
    RemoteDuplicateError,
    RemoteTimeoutError,
    RemoteUnavailableError,
    with_retries,
)
from paycore.adapters.enkash import endpoints as ep
from paycore.adapters.enkash import models as m
from paycore.adapters.sandbox import (
    Fault,
    FaultPlan,
    FaultRates,
    Sandbox,
    SandboxSettings,
    WebhookFault,
    run_sandbox,
)
from tests.adapters.enkash.builders import (
    INVOICE_ID,
    invoice_confirmation,
    issue_card,
    load_request,
    open_account,
)

NO_WAIT = Backoff(base=0.0)


def load_with_retries(
    client: EnkashClient, request: m.LoadBalanceRequest, attempts: int = 3
) -> m.CardTransaction:
    """A host's load: tried again by the helper, looked up by its reference first."""
    return with_retries(
        lambda: client.load_balance(request),
        attempts=attempts,
        backoff=NO_WAIT,
        enquire=lambda: client.find_transaction(request.enquiry()),
    )


def test_load_timing_out_after_its_effect_is_found_by_enquiry_and_applied_once(
    client: EnkashClient, sandbox: Sandbox
) -> None:
    card = issue_card(client, open_account(client))
    sandbox.faults.force(ep.LOAD_BALANCE.path, Fault.TIMEOUT_AFTER_EFFECT)
    loaded = load_with_retries(client, load_request(card, "300.00", "LOAD-T1"))
    assert loaded.pgReferenceNumber == "LOAD-T1"
    assert sandbox.ledger.count_received("load_balance", "LOAD-T1") == 1
    assert sandbox.ledger.count_applied("load_balance", "LOAD-T1") == 1
    assert sandbox.ledger.count_received("find_transaction") == 1
    assert sandbox.state.cards[card.enKashCardId].balance == 300


def test_load_failing_with_5xx_before_its_effect_is_enquired_then_resent_once(
    client: EnkashClient, sandbox: Sandbox
) -> None:
    card = issue_card(client, open_account(client))
    sandbox.faults.force(ep.LOAD_BALANCE.path, Fault.SERVER_ERROR)
    load_with_retries(client, load_request(card, "20.00", "LOAD-5XX"))
    assert sandbox.ledger.count_received("load_balance", "LOAD-5XX") == 2
    assert sandbox.ledger.count_applied("load_balance", "LOAD-5XX") == 1
    assert sandbox.state.cards[card.enKashCardId].balance == 20


def test_ap_payment_timing_out_is_reported_unknown_and_never_resent(
    client: EnkashClient, sandbox: Sandbox
) -> None:
    sandbox.faults.force(ep.MAKE_PAYMENT.path, Fault.TIMEOUT_AFTER_EFFECT)
    request = m.PaymentRequest(paymentIds=["PAYABLE-1"], paymentType="INVOICE", urn="URN-T")
    with pytest.raises(RemoteTimeoutError) as unknown:
        client.make_payment(request)
    assert unknown.value.details["reference"] == "URN-T"
    assert sandbox.ledger.count_received("make_payment") == 1
    assert sandbox.ledger.count_applied("make_payment", "URN-T") == 1


def test_b2b_message_resent_after_a_timeout_is_answered_duplicate_and_applied_once(
    client: EnkashClient, sandbox: Sandbox
) -> None:
    sandbox.faults.force(ep.CONFIRM_INVOICE.path, Fault.TIMEOUT_AFTER_EFFECT)
    request = invoice_confirmation()
    with pytest.raises(RemoteDuplicateError):
        with_retries(lambda: client.confirm_invoice(request), attempts=3, backoff=NO_WAIT)
    assert sandbox.ledger.count_received("confirm_invoice", INVOICE_ID) == 2
    assert sandbox.ledger.count_applied("confirm_invoice", INVOICE_ID) == 1


def test_a_read_outlasting_every_retry_is_unavailable(
    client: EnkashClient, sandbox: Sandbox
) -> None:
    account = open_account(client)
    sandbox.faults.force(ep.GET_CARD_ACCOUNT.path, Fault.SERVER_ERROR, times=3)
    query = m.CardAccountQuery(companyId=account.companyId, cardAccountId=account.cardAccountId)
    with pytest.raises(RemoteUnavailableError) as unavailable:
        with_retries(lambda: client.get_card_account(query), attempts=3, backoff=NO_WAIT)
    assert unavailable.value.http_status == 503
    assert sandbox.ledger.count_received("get_card_account") == 3


def test_injected_latency_still_answers(client: EnkashClient, sandbox: Sandbox) -> None:
    card = issue_card(client, open_account(client))
    sandbox.faults.force(ep.LOAD_BALANCE.path, Fault.LATENCY)
    client.load_balance(load_request(card, "5.00", "LOAD-SLOW"))
    assert [r.fault for r in sandbox.ledger.received if r.endpoint == "load_balance"] == ["latency"]


def test_the_same_seed_draws_the_same_faults() -> None:
    rates = FaultRates(
        latency=0.2,
        server_error=0.2,
        timeout_after_effect=0.2,
        unreadable_after_effect=0.1,
        duplicate_webhook=0.3,
    )

    def draws(seed: int) -> list[object]:
        plan = FaultPlan(seed, rates)
        return [plan.draw("/p") for _ in range(50)] + [plan.draw_webhook() for _ in range(50)]

    assert draws(7) == draws(7)
    assert draws(7) != draws(8)
    assert set(draws(7)) == {*Fault, WebhookFault.NONE, WebhookFault.DUPLICATE}


def test_fault_rates_beyond_certainty_are_refused() -> None:
    with pytest.raises(ValueError, match="at most 1"):
        FaultRates(server_error=0.7, timeout_after_effect=0.7)


def test_under_random_faults_every_load_is_applied_exactly_once() -> None:
    """Every load the client reports done is applied once; none is applied twice."""
    settings = SandboxSettings(
        seed=11,
        hang_seconds=1.0,
        faults=FaultRates(server_error=0.2, timeout_after_effect=0.2, latency=0.1),
    )
    with run_sandbox(settings) as sandbox:
        config = sandbox.client_config(read_timeout=0.3)
        with EnkashClient(config) as client:
            # The client tries each call once; the helper tries a load again.
            sandbox.faults.force(ep.CREATE_CARD_ACCOUNT.path, Fault.NONE)
            sandbox.faults.force(ep.CREATE_CARD.path, Fault.NONE)
            card = issue_card(client, open_account(client))
            done = []
            for n in range(12):
                reference = f"LOAD-R{n}"
                with contextlib.suppress(RemoteTimeoutError, RemoteUnavailableError):
                    done.append(load_with_retries(client, load_request(card, "1.00", reference), 4))
    applied = [e.reference for e in sandbox.ledger.applied if e.endpoint == "load_balance"]
    assert len(applied) == len(set(applied))
    assert {t.pgReferenceNumber for t in done} <= set(applied)
    assert sandbox.state.cards[card.enKashCardId].balance == len(applied)
    injected = {r.fault for r in sandbox.ledger.received}
    assert {"server_error", "timeout_after_effect"} <= injected
