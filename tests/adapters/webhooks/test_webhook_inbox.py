"""The inbox applies each authentic, well-formed webhook once, in objectVersion order,
and records nothing for a forged, stale-signed, malformed or misdirected one."""

from __future__ import annotations

import asyncio
import json
import random
import time
from typing import Any

import pytest

from paycore.adapters.webhooks import (
    MESSAGE_ID_HEADER,
    TIMESTAMP_HEADER,
    WebhookApp,
    WebhookAuth,
    WebhookInbox,
)
from paycore.domain import PaymentsCore
from paycore.domain.errors import ConfigurationError
from paycore.domain.idempotency import IdempotencyRecord
from paycore.domain.invoice import InvoiceStatus
from paycore.domain.payment import PaymentStatus
from paycore.domain.purchase_order import PurchaseOrderStatus
from tests.adapters.sync.builders import accepted_invoice, object_id, sent_order, submitted_payment
from tests.adapters.webhooks.builders import (
    INVOICE_CREATE,
    INVOICE_STATUS,
    PAYMENT_RESPONSE,
    PO_CONFIRM,
    invoice_cancelled,
    invoice_created,
    payment_response,
    po_confirmation,
    signed,
)


def stored(core: PaymentsCore) -> int:
    return core.recorder.max_notification_id() or 0


def deliver(inbox: WebhookInbox, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    status, answer = inbox.handle(path, *signed(body))
    return status, json.loads(answer)


def test_a_payment_response_is_applied_once(core: PaymentsCore, inbox: WebhookInbox) -> None:
    payment_id = submitted_payment(core, accepted_invoice(core, random.Random(1)))
    body = payment_response(core.get_payment(payment_id).object_id, "UTR0001")
    assert deliver(inbox, PAYMENT_RESPONSE, body)[1]["outcome"] == "applied"
    before = stored(core)
    status, answer = deliver(inbox, PAYMENT_RESPONSE, body)
    assert (status, answer["outcome"]) == (200, "duplicate")
    assert stored(core) == before
    payment = core.get_payment(payment_id)
    assert (payment.status, payment.utr) == (PaymentStatus.SUCCEEDED, "UTR0001")


def test_the_delivery_is_in_the_audit_trail_under_its_message_id(
    core: PaymentsCore, inbox: WebhookInbox
) -> None:
    payment_id = submitted_payment(core, accepted_invoice(core, random.Random(2)))
    body = payment_response(core.get_payment(payment_id).object_id, "UTR0002", "FAILURE")
    headers, raw = signed(body)
    inbox.handle(PAYMENT_RESPONSE, {**headers, MESSAGE_ID_HEADER: "MSG-42"}, raw)
    record = core.repository.get(IdempotencyRecord.create_id("webhook:MSG-42"))
    assert record.command == "record_payment_failure"
    events = core.recorder.select_notifications(None, 1000)
    last = [core.mapper.to_domain_event(n) for n in events[-2:]]
    assert {(e.source, e.correlation_id) for e in last} == {("webhook", "MSG-42")}
    assert core.get_payment(payment_id).status is PaymentStatus.FAILED


@pytest.mark.parametrize(
    "tamper",
    [
        lambda h, b: ({**h, "X-Paycore-Signature": "0" * 64}, b),
        lambda h, b: (h, b.replace(b"UTR", b"RTU")),
        lambda h, b: signed(b, secret=b"someone-else"),
        lambda h, b: signed(b, at=time.time() - 301),
        lambda h, b: ({"Content-Type": "application/json"}, b),
        lambda h, b: ({**h, TIMESTAMP_HEADER: "soon"}, b),
    ],
    ids=["bad-signature", "changed-body", "wrong-secret", "stale", "unsigned", "bad-timestamp"],
)
def test_forged_deliveries_are_refused_and_nothing_is_recorded(
    core: PaymentsCore, inbox: WebhookInbox, tamper: Any
) -> None:
    payment_id = submitted_payment(core, accepted_invoice(core, random.Random(3)))
    headers, raw = signed(payment_response(core.get_payment(payment_id).object_id, "UTR9"))
    before = stored(core)
    status, answer = inbox.handle(PAYMENT_RESPONSE, *tamper(headers, raw))
    assert (status, json.loads(answer)["code"]) == (401, "WEBHOOK_UNAUTHENTICATED")
    assert stored(core) == before


def test_every_active_secret_and_the_static_header_authenticate(core: PaymentsCore) -> None:
    auth = WebhookAuth(
        signing_secrets=(b"old-secret", b"new-secret"),
        static_header="X-Enkash-Key",
        static_values=("static-value",),
    )
    raw = b"{}"
    assert auth.verify({k.lower(): v for k, v in signed(raw, secret=b"old-secret")[0].items()}, raw)
    assert auth.verify({k.lower(): v for k, v in signed(raw, secret=b"new-secret")[0].items()}, raw)
    assert auth.verify({"x-enkash-key": "static-value"}, raw)
    assert not auth.verify({"x-enkash-key": "guessed"}, raw)
    with pytest.raises(ConfigurationError, match="configure") as refused:
        WebhookAuth()
    assert refused.value.code == "CONFIGURATION"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (b"not json", "WEBHOOK_MALFORMED"),
        (b'{"resp": {"result": "SUCCESS"}}', "WEBHOOK_MALFORMED"),
        (json.dumps(payment_response("PMT" + "z" * 32, "U")).encode(), "WEBHOOK_MALFORMED"),
        (b"\xff\xfe", "WEBHOOK_MALFORMED"),
    ],
    ids=["not-json", "no-payment", "bad-object-id", "not-utf8"],
)
def test_malformed_bodies_are_refused_with_a_code(
    core: PaymentsCore, inbox: WebhookInbox, raw: bytes, code: str
) -> None:
    before = stored(core)
    status, answer = inbox.handle(PAYMENT_RESPONSE, *signed(raw))
    assert (status, json.loads(answer)["code"]) == (400, code)
    assert stored(core) == before


def test_a_value_the_domain_refuses_is_a_400_and_recorded_nowhere(
    core: PaymentsCore, inbox: WebhookInbox
) -> None:
    body = invoice_created("INV-not-a-valid-object-id")
    before = stored(core)
    status, answer = deliver(inbox, INVOICE_CREATE, body)
    assert (status, answer["code"]) == (400, "INVOICE_ID_FORMAT")
    assert stored(core) == before


def test_an_unknown_path_is_404(inbox: WebhookInbox) -> None:
    status, answer = inbox.handle("/api/v0/nowhere", *signed({}))
    assert (status, json.loads(answer)["code"]) == (404, "WEBHOOK_UNKNOWN_PATH")


def test_a_stale_message_is_ignored_and_recorded_as_such(
    core: PaymentsCore, inbox: WebhookInbox
) -> None:
    po_id = sent_order(core, random.Random(4))
    order = core.get_purchase_order(po_id)
    accepted = po_confirmation(order.object_id, "ACCEPT", 2, 3)
    assert deliver(inbox, PO_CONFIRM, accepted)[1]["outcome"] == "applied"
    late = po_confirmation(order.object_id, "RETURN", 2, 3)
    status, answer = deliver(inbox, PO_CONFIRM, late)
    assert (status, answer["outcome"], answer["code"]) == (200, "stale", "OBJECT_VERSION_STALE")
    record = core.repository.get(IdempotencyRecord.create_id(f"webhook:{answer['message_id']}"))
    assert (record.command, record.error_code) == ("record_po_response", "OBJECT_VERSION_STALE")
    assert core.get_purchase_order(po_id).status is PurchaseOrderStatus.ACCEPTED


def test_a_message_after_a_gap_waits_until_the_gap_fills(
    core: PaymentsCore, inbox: WebhookInbox
) -> None:
    invoice = object_id("INV", random.Random(5))
    assert deliver(inbox, INVOICE_STATUS, invoice_cancelled(invoice))[0] == 202
    assert [p.current_version for p in inbox.parked()] == [1]
    assert deliver(inbox, INVOICE_CREATE, invoice_created(invoice))[1]["outcome"] == "applied"
    assert inbox.parked() == []
    cancelled = core.get_invoice(PaymentsCore.invoice_id(invoice))
    assert (cancelled.status, cancelled.object_version) == (InvoiceStatus.CANCELLED, 2)


def test_the_asgi_app_answers_as_the_inbox_does(core: PaymentsCore, inbox: WebhookInbox) -> None:
    invoice = object_id("INV", random.Random(6))
    headers, raw = signed(invoice_created(invoice))
    sent: list[dict[str, Any]] = []
    chunks = [
        {"type": "http.request", "body": raw[:10], "more_body": True},
        {"type": "http.request", "body": raw[10:], "more_body": False},
    ]

    async def receive() -> dict[str, Any]:
        return chunks.pop(0)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/hooks" + INVOICE_CREATE,
        "root_path": "/hooks",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
    }
    asyncio.run(WebhookApp(inbox)(scope, receive, send))
    assert sent[0]["status"] == 200
    assert json.loads(sent[1]["body"])["outcome"] == "applied"
    assert core.get_invoice(PaymentsCore.invoice_id(invoice)).object_version == 1


def test_the_asgi_app_takes_only_posts(inbox: WebhookInbox) -> None:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": PO_CONFIRM, "headers": []}
    asyncio.run(WebhookApp(inbox)(scope, receive, send))
    assert sent[0]["status"] == 405
    assert (b"allow", b"POST") in sent[0]["headers"]
    assert json.loads(sent[1]["body"])["code"] == "WEBHOOK_METHOD"
