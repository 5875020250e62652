"""Response webhooks: delivered, signed, and duplicated or reordered when the plan says."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from paycore.adapters.enkash import EnkashClient
from paycore.adapters.enkash import models as m
from paycore.adapters.sandbox import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    Sandbox,
    SandboxSettings,
    WebhookFault,
    WebhookTarget,
    deliver,
    run_sandbox,
    sign,
)
from tests.adapters.enkash.builders import (
    INVOICE_ID,
    NO_INFOS,
    WebhookReceiver,
    b2b_envelope,
    invoice_confirmation,
    purchase_order,
)

SIGNING_SECRET = b"webhook-signing-secret"


@pytest.fixture
def sandbox(webhook_receiver: WebhookReceiver) -> Iterator[Sandbox]:
    target = WebhookTarget(
        webhook_receiver.url,
        signing_secret=SIGNING_SECRET,
        static_headers={"X-Partner-Key": "static-key"},
    )
    with run_sandbox(SandboxSettings(webhook=target)) as running:
        yield running


def send_orders(client: EnkashClient, count: int) -> None:
    for n in range(count):
        client.send_purchase_order(
            m.SendPurchaseOrderRequest(
                **b2b_envelope(), **NO_INFOS, purchaseOrder=purchase_order(object_id=f"PO-{n}")
            )
        )


def test_a_b2b_request_is_answered_by_a_signed_response_webhook(
    client: EnkashClient, sandbox: Sandbox, webhook_receiver: WebhookReceiver
) -> None:
    client.confirm_invoice(invoice_confirmation())
    sandbox.webhooks.drain()
    [(path, headers, body)] = webhook_receiver.received
    assert path == "/api/v0/invoice/resp-confirm-invoice"
    assert headers[SIGNATURE_HEADER] == sign(SIGNING_SECRET, headers[TIMESTAMP_HEADER], body)
    assert headers["X-Partner-Key"] == "static-key"
    [document] = webhook_receiver.bodies()
    assert document["resp"] == {
        "reqMsgId": INVOICE_ID, "result": "SUCCESS", "errorCd": "", "errorDtl": "", "errorField": ""
    }  # fmt: skip
    assert document["invoiceConfirmation"]["buyerResponse"] == "ACCEPT"
    assert [d.status for d in sandbox.ledger.deliveries] == [204]


def test_a_duplicate_fault_delivers_the_same_webhook_twice(
    client: EnkashClient, sandbox: Sandbox, webhook_receiver: WebhookReceiver
) -> None:
    sandbox.faults.force_webhook(WebhookFault.DUPLICATE)
    client.confirm_invoice(invoice_confirmation())
    sandbox.webhooks.drain()
    first, second = webhook_receiver.bodies()
    assert first == second


@pytest.mark.parametrize(
    ("orders", "delivered"),
    [(3, ["PO-1", "PO-0", "PO-2"]), (1, ["PO-0"])],
    ids=["held-back-until-the-next", "released-when-nothing-follows"],
)
def test_an_out_of_order_fault_delivers_a_webhook_after_the_next_one(
    client: EnkashClient,
    sandbox: Sandbox,
    webhook_receiver: WebhookReceiver,
    orders: int,
    delivered: list[str],
) -> None:
    sandbox.faults.force_webhook(WebhookFault.OUT_OF_ORDER)
    send_orders(client, orders)
    sandbox.webhooks.drain()
    order = [body["purchaseOrder"]["objectId"] for body in webhook_receiver.bodies()]
    assert order == delivered


def test_deliver_without_a_signing_secret_sends_no_signature(
    webhook_receiver: WebhookReceiver,
) -> None:
    status = deliver(WebhookTarget(webhook_receiver.url), "/hook", {"a": 1})
    [(path, headers, body)] = webhook_receiver.received
    assert (status, path, body) == (204, "/hook", b'{"a":1}')
    assert SIGNATURE_HEADER not in headers


def test_deliver_to_nobody_reports_status_zero() -> None:
    receiver = WebhookReceiver()
    url = receiver.url
    receiver.close()
    assert deliver(WebhookTarget(url, timeout=1.0), "/hook", {}) == 0


def test_signature_covers_timestamp_and_body() -> None:
    reference = sign(b"k", "1700000000", b"{}")
    assert sign(b"k", "1700000001", b"{}") != reference
    assert sign(b"k", "1700000000", b"{ }") != reference
    assert sign(b"k2", "1700000000", b"{}") != reference
