"""The sandbox's response webhooks reach the inbox over loopback HTTP, signed, through
the server ``paycore webhooks serve`` runs."""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest

from paycore.adapters.sandbox import SandboxSettings, WebhookTarget, run_sandbox
from paycore.adapters.webhooks import WebhookInbox
from paycore.adapters.webhooks.server import serving
from paycore.domain import PaymentsCore
from tests.adapters.sync.builders import accepted_invoice, relay, sandbox_client, sent_order
from tests.adapters.webhooks.builders import SECRET


@pytest.fixture
def inbox_url(inbox: WebhookInbox) -> Iterator[str]:
    with serving(inbox) as listening:
        yield listening.url


def test_response_webhooks_of_relayed_b2b_calls_are_accepted(
    core: PaymentsCore, inbox_url: str
) -> None:
    rng = random.Random(9)
    sent_order(core, rng)
    accepted_invoice(core, rng)
    target = WebhookTarget(inbox_url, signing_secret=SECRET)
    with run_sandbox(SandboxSettings(webhook=target)) as sandbox:
        with sandbox_client(sandbox) as client:
            relay(core, client).drain()
        sandbox.webhooks.drain()
        deliveries = sandbox.ledger.deliveries
    assert sorted(d.path for d in deliveries) == [
        "/api/v0/invoice/resp-confirm-invoice",
        "/api/v0/purchase-order/resp-send",
    ]
    assert {d.status for d in deliveries} == {200}


def test_a_delivery_signed_with_another_secret_is_refused_over_http(
    core: PaymentsCore, inbox_url: str
) -> None:
    sent_order(core, random.Random(10))
    target = WebhookTarget(inbox_url, signing_secret=b"an-old-secret")
    with run_sandbox(SandboxSettings(webhook=target)) as sandbox:
        with sandbox_client(sandbox) as client:
            relay(core, client).drain()
        sandbox.webhooks.drain()
        assert [d.status for d in sandbox.ledger.deliveries] == [401]
