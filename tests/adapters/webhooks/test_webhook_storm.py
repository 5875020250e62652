"""Webhook storm: 2,000 deliveries (30% duplicates, 20% reordered, 5% forged, 5%
malformed) leave every effect applied exactly once and nothing recorded for a refusal."""

from __future__ import annotations

import json
import random
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from eventsourcing.utils import get_topic

from paycore.adapters.webhooks import WebhookAuth, WebhookInbox
from paycore.domain import PaymentsCore
from paycore.domain.idempotency import IdempotencyRecord
from paycore.domain.invoice import Invoice
from paycore.domain.payment import Payment
from paycore.domain.purchase_order import PurchaseOrder
from tests.adapters.sync.builders import accepted_invoice, object_id, sent_order, submitted_payment
from tests.adapters.webhooks.builders import (
    INVOICE_CREATE,
    INVOICE_STATUS,
    OTP_KEY,
    PAYMENT_RESPONSE,
    PO_CONFIRM,
    SECRET,
    invoice_cancelled,
    invoice_created,
    payment_response,
    po_confirmation,
    signed,
)

SEED = 4242
INVOICES, ORDERS, PAYMENTS = 500, 150, 50
REORDERED_INVOICES = 200
DUPLICATES, FORGED, MALFORMED = 600, 100, 100


@dataclass(frozen=True)
class Delivery:
    kind: str  # original, reordered, duplicate, forged, malformed
    path: str
    headers: dict[str, str]
    body: bytes


def originals(core: PaymentsCore, rng: random.Random) -> list[Delivery]:
    """The 1,200 distinct messages, each object's in order, the objects interleaved."""
    streams: list[list[Delivery]] = []
    for n in range(INVOICES):
        invoice = object_id("INV", rng)
        kind = "reordered" if n < REORDERED_INVOICES else "original"
        create = Delivery(kind, INVOICE_CREATE, *signed(invoice_created(invoice)))
        cancel = Delivery(kind, INVOICE_STATUS, *signed(invoice_cancelled(invoice)))
        # a reordered pair: the cancellation (v1->2) arrives before the invoice (v0->1)
        streams.append([cancel, create] if kind == "reordered" else [create, cancel])
    for _ in range(ORDERS):
        order = core.get_purchase_order(sent_order(core, rng)).object_id
        response = rng.choice(["ACCEPT", "REJECT", "RETURN"])
        body = po_confirmation(order, response, 2, 3)
        streams.append([Delivery("original", PO_CONFIRM, *signed(body))])
    for n in range(PAYMENTS):
        payment_id = submitted_payment(core, accepted_invoice(core, rng))
        body = payment_response(core.get_payment(payment_id).object_id, f"UTR{n:06d}")
        streams.append([Delivery("original", PAYMENT_RESPONSE, *signed(body))])
    ordered: list[Delivery] = []
    while streams:
        stream = rng.choice(streams)
        ordered.append(stream.pop(0))
        if not stream:
            streams.remove(stream)
    return ordered


def forged(rng: random.Random, message: Delivery) -> Delivery:
    tamper = rng.randrange(3)
    if tamper == 0:
        headers, body = signed(message.body, secret=b"not-the-secret")
    elif tamper == 1:
        headers, body = message.headers, message.body + b" "  # changed after signing
    else:
        headers, body = signed(message.body, at=rng.uniform(0, 10**9))
    return Delivery("forged", message.path, headers, body)


def malformed(rng: random.Random, message: Delivery) -> Delivery:
    document = json.loads(message.body)
    broken = [
        b"{not json",
        json.dumps({"b2bIds": document["b2bIds"]}).encode(),
        message.body.replace(b'"currentVersion"', b'"current"'),
        json.dumps([document]).encode(),
    ][rng.randrange(4)]
    return Delivery("malformed", message.path, *signed(broken))


def storm(core: PaymentsCore, rng: random.Random) -> list[Delivery]:
    valid = originals(core, rng)
    deliveries = list(valid)
    for extra in (
        [Delivery("duplicate", m.path, m.headers, m.body) for m in rng.choices(valid, k=DUPLICATES)]
        + [forged(rng, m) for m in rng.choices(valid, k=FORGED)]
        + [malformed(rng, m) for m in rng.choices(valid, k=MALFORMED)]
    ):
        deliveries.insert(rng.randrange(len(deliveries) + 1), extra)
    return deliveries


def test_storm_applies_each_effect_once_and_records_nothing_for_refusals(
    tmp_path: Path,
) -> None:
    rng = random.Random(SEED)
    core = PaymentsCore(f"sqlite:///{tmp_path / 'paycore.db'}", otp_key=OTP_KEY)
    inbox = WebhookInbox(core, WebhookAuth(signing_secrets=(b"retired-secret", SECRET)))
    deliveries = storm(core, rng)
    assert len(deliveries) == 2000
    answers: Counter[tuple[str, int]] = Counter()
    outcomes: Counter[str] = Counter()
    for delivery in deliveries:
        before = core.recorder.max_notification_id()
        status, answer = inbox.handle(delivery.path, delivery.headers, delivery.body)
        answers[delivery.kind, status] += 1
        if delivery.kind in ("forged", "malformed"):
            assert core.recorder.max_notification_id() == before
        else:
            outcomes[json.loads(answer)["outcome"]] += 1

    assert answers[("forged", 401)] == FORGED
    assert answers[("malformed", 400)] == MALFORMED
    assert inbox.parked() == []
    topics = Counter(n.topic for n in core.recorder.select_notifications(None, 10**6))
    assert topics[get_topic(Invoice.Received)] == INVOICES + PAYMENTS  # paid ones set up locally
    assert topics[get_topic(Invoice.Cancelled)] == INVOICES
    assert topics[get_topic(Payment.Succeeded)] == PAYMENTS
    # one record per distinct message: a duplicate never ran its command again
    assert topics[get_topic(IdempotencyRecord.Recorded)] == 2 * INVOICES + ORDERS + PAYMENTS
    assert topics[get_topic(PurchaseOrder.StatusChanged)] == 2 * ORDERS  # sent, then answered
    distinct = 2 * INVOICES + ORDERS + PAYMENTS
    prevented = sum(outcomes.values()) - distinct
    assert prevented == DUPLICATES
    print(
        f"\nstorm: deliveries={len(deliveries)} by kind={dict(Counter(d.kind for d in deliveries))}"
        f" answers={dict(answers)} outcomes={dict(outcomes)}"
        f" duplicates_prevented={prevented}"
    )
    inbox.close()
    core.close()
