"""Every documented webhook body, signed, through ``WebhookInbox.handle()``.

The inbox requires the members it acts on (a body without one is refused with 400 and
the member's name) and reads the others when present: the documented body with only
those members left is still applied, since a webhook refused for a member paycore does
not use would lose the news it brings.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from typing import Any
from uuid import UUID

import pytest

from paycore.adapters.webhooks import WebhookAuth, WebhookInbox
from paycore.domain import PaymentsCore
from paycore.domain.invoice import InvoiceStatus
from paycore.domain.payment import PaymentStatus
from paycore.domain.purchase_order import PurchaseOrderStatus
from tests.adapters.sync.builders import accepted_invoice, sent_order, submitted_payment
from tests.adapters.webhooks.builders import SECRET, signed
from tests.contract.fixtures import Fixture, field, fixture, pick, received, with_value, without

OTP_KEY = b"contract-otp-key-of-32-bytes-len"


@pytest.fixture
def core() -> Iterator[PaymentsCore]:
    app = PaymentsCore("memory://", otp_key=OTP_KEY)
    yield app
    app.close()


@pytest.fixture
def inbox(core: PaymentsCore) -> Iterator[WebhookInbox]:
    receiving = WebhookInbox(core, WebhookAuth(signing_secrets=(SECRET,)))
    yield receiving
    receiving.close()


def deliver(inbox: WebhookInbox, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    status, answer = inbox.handle(path, *signed(body))
    return status, json.loads(answer)


# -- a body for each message, naming objects paycore holds ---------------------------------


def payment(core: PaymentsCore) -> tuple[UUID, str]:
    payment_id = submitted_payment(core, accepted_invoice(core, random.Random(1)))
    return payment_id, core.get_payment(payment_id).object_id


def for_payment(body: dict[str, Any], object_id: str) -> dict[str, Any]:
    body = with_value(body, "resp.reqMsgId", object_id)
    return with_value(body, "payment.objectId", object_id)


def sent_po(core: PaymentsCore) -> tuple[UUID, str, int]:
    po_id = sent_order(core, random.Random(2))
    order = core.get_purchase_order(po_id)
    return po_id, order.object_id, order.object_version


def for_order(body: dict[str, Any], document: str, object_id: str, held: int) -> dict[str, Any]:
    body = with_value(body, f"{document}.objectId", object_id)
    version = {"currentVersion": held, "newVersion": held + 1}
    return with_value(body, f"{document}.objectVersion", version)


def body_for(contract: Fixture, core: PaymentsCore) -> dict[str, Any]:
    """The fixture's example, naming an object in ``core`` that it applies to."""
    example = contract.example()
    if contract.name == "payment_response_webhook":
        return for_payment(example, payment(core)[1])
    if contract.name == "payment_confirmation_response_webhook":
        return with_value(example, "paymentConfirmation.objectId", payment(core)[1])
    if contract.name in ("confirm_purchase_order", "change_purchase_order_status"):
        _, object_id, held = sent_po(core)
        document = "poConfirmation" if "poConfirmation" in example else "poStatus"
        return for_order(example, document, object_id, held)
    if contract.name == "change_invoice_status":
        object_id = example["invoiceStatus"]["objectId"]
        core.receive_invoice(object_id, "WID/2026/0001", "11800.00", buyer_b2b_id="ACMEBUYER01",
                             supplier_b2b_id="WIDGETSSUP01")  # fmt: skip
        return example
    if contract.name == "send_credit_debit_note":
        invoice = example["cdNote"]["invoiceReferenceDetails"]["objectId"]
        core.receive_invoice(invoice, "WID/2026/0003", "5900.00", buyer_b2b_id="ACMEBUYER01",
                             supplier_b2b_id="WIDGETSSUP01")  # fmt: skip
        return example
    return example


ACTED_ON = [f for f in received() if f.list("receives")]


@pytest.mark.parametrize("contract", received(), ids=repr)
def test_the_documented_body_is_taken_at_its_path(
    contract: Fixture, core: PaymentsCore, inbox: WebhookInbox
) -> None:
    assert contract.webhook is not None
    status, answer = deliver(inbox, contract.webhook, body_for(contract, core))
    assert status == 200, answer
    assert answer["outcome"] in ("applied", "acknowledged")


@pytest.mark.parametrize("contract", ACTED_ON, ids=repr)
def test_the_documented_body_with_only_what_paycore_acts_on_is_still_taken(
    contract: Fixture, core: PaymentsCore, inbox: WebhookInbox
) -> None:
    assert contract.webhook is not None
    body = pick(body_for(contract, core), contract.list("receives"))
    status, answer = deliver(inbox, contract.webhook, body)
    assert status == 200, answer


@pytest.mark.parametrize(
    "case", [(f, p) for f in ACTED_ON for p in f.list("receives")], ids=lambda c: f"{c[0]}:{c[1]}"
)
def test_a_body_without_a_member_paycore_acts_on_is_refused_by_name(
    case: tuple[Fixture, str], core: PaymentsCore, inbox: WebhookInbox
) -> None:
    contract, path = case
    assert contract.webhook is not None
    status, answer = deliver(inbox, contract.webhook, without(body_for(contract, core), path))
    assert (status, answer["code"], answer["field"]) == (400, "WEBHOOK_MALFORMED", field(path))


def test_a_payment_response_that_succeeded_records_the_payment_paid_with_its_utr(
    core: PaymentsCore, inbox: WebhookInbox
) -> None:
    contract = fixture("payment_response_webhook")
    payment_id, object_id = payment(core)
    deliver(inbox, "/api/v0/payment/resp-pay", for_payment(contract.example(), object_id))
    paid = core.get_payment(payment_id)
    assert (paid.status, paid.utr) == (PaymentStatus.SUCCEEDED, "HDFCN52026120200001")


def test_a_payment_response_that_failed_records_the_documented_error_members(
    core: PaymentsCore, inbox: WebhookInbox
) -> None:
    failure = fixture("payment_response_webhook").request["failure"]
    payment_id, object_id = payment(core)
    status, answer = deliver(inbox, "/api/v0/payment/resp-pay", for_payment(failure, object_id))
    assert (status, answer["outcome"]) == (200, "applied")
    failed = core.get_payment(payment_id)
    assert failed.status is PaymentStatus.FAILED
    assert failed.failure_reason == (
        "the platform answered FAILURE: PAYMENT_DECLINED: Declined by the remitter bank: accountNo"
    )
    invoice = core.get_invoice(failed.invoice_ids[0])
    assert invoice.outstanding == invoice.total  # the reservation is released


def test_a_rejection_by_the_supplier_fails_an_off_platform_payment(
    core: PaymentsCore, inbox: WebhookInbox
) -> None:
    contract = fixture("payment_confirmation_response_webhook")
    payment_id, object_id = payment(core)
    body = with_value(contract.example(), "paymentConfirmation.objectId", object_id)
    deliver(inbox, "/api/v0/payment/resp-pay-confirmation", body)
    rejected = core.get_payment(payment_id)
    assert rejected.status is PaymentStatus.FAILED
    assert rejected.failure_reason == "the supplier rejected the payment: Amount not received"


def test_a_rejection_of_an_on_platform_payment_breaks_the_pages_rule_and_is_refused(
    core: PaymentsCore, inbox: WebhookInbox
) -> None:
    contract = fixture("payment_confirmation_response_webhook")
    payment_id, object_id = payment(core)
    body = with_value(contract.example(), "paymentConfirmation.objectId", object_id)
    body = with_value(body, "paymentConfirmation.type", "ONPLATFORM")
    status, answer = deliver(inbox, "/api/v0/payment/resp-pay-confirmation", body)
    assert (status, answer["code"], answer["field"]) == (
        400,
        "WEBHOOK_MALFORMED",
        "paymentConfirmation",
    )
    assert core.get_payment(payment_id).status is PaymentStatus.SUBMITTED


def test_the_suppliers_confirmation_of_an_order_accepts_it(
    core: PaymentsCore, inbox: WebhookInbox
) -> None:
    po_id, object_id, held = sent_po(core)
    body = for_order(fixture("confirm_purchase_order").example(), "poConfirmation", object_id, held)
    deliver(inbox, "/api/v0/purchase-order/req-confirm", body)
    order = core.get_purchase_order(po_id)
    assert (order.status, order.object_version) == (PurchaseOrderStatus.ACCEPTED, held + 1)


def test_the_documented_status_change_cancels_the_order(
    core: PaymentsCore, inbox: WebhookInbox
) -> None:
    po_id, object_id, held = sent_po(core)
    body = for_order(fixture("change_purchase_order_status").example(), "poStatus", object_id, held)
    status, answer = deliver(inbox, "/api/v0/purchase-order/req-status-change", body)
    assert (status, answer["outcome"]) == (200, "applied")
    assert core.get_purchase_order(po_id).status is PurchaseOrderStatus.CANCELLED


def test_a_close_closes_a_fulfilled_order(core: PaymentsCore, inbox: WebhookInbox) -> None:
    po_id, object_id, held = sent_po(core)
    order = core.get_purchase_order(po_id)
    core.record_po_response(po_id, "ACCEPT", "Agreed")
    core.record_po_fulfilment(po_id, order.total)
    held = core.get_purchase_order(po_id).object_version
    body = for_order(fixture("change_purchase_order_status").example(), "poStatus", object_id, held)
    body = with_value(body, "poStatus.buyerAction", "CLOSE")
    deliver(inbox, "/api/v0/purchase-order/req-status-change", body)
    assert core.get_purchase_order(po_id).status is PurchaseOrderStatus.CLOSED


def test_paycores_own_cancellation_relayed_back_is_recorded_as_stale(
    core: PaymentsCore, inbox: WebhookInbox
) -> None:
    po_id, object_id, held = sent_po(core)
    core.cancel_purchase_order(po_id, "Budget withdrawn")
    body = for_order(fixture("change_purchase_order_status").example(), "poStatus", object_id, held)
    status, answer = deliver(inbox, "/api/v0/purchase-order/req-status-change", body)
    assert (status, answer["outcome"], answer["code"]) == (200, "stale", "OBJECT_VERSION_STALE")


def test_a_buyer_action_paycore_cannot_take_is_refused_by_name(
    core: PaymentsCore, inbox: WebhookInbox
) -> None:
    po_id, object_id, held = sent_po(core)
    body = for_order(fixture("change_purchase_order_status").example(), "poStatus", object_id, held)
    body = with_value(body, "poStatus.buyerAction", "HOLD")
    status, answer = deliver(inbox, "/api/v0/purchase-order/req-status-change", body)
    assert (status, answer["code"], answer["field"]) == (
        400,
        "WEBHOOK_MALFORMED",
        "poStatus.buyerAction",
    )
    assert core.get_purchase_order(po_id).status is PurchaseOrderStatus.SENT


def test_the_suppliers_status_change_cancels_the_invoice(
    core: PaymentsCore, inbox: WebhookInbox
) -> None:
    contract = fixture("change_invoice_status")
    body = body_for(contract, core)
    deliver(inbox, "/api/v0/invoice/req-status-change-invoice", body)
    invoice = core.get_invoice(core.invoice_id(body["invoiceStatus"]["objectId"]))
    assert invoice.status is InvoiceStatus.CANCELLED


def test_the_suppliers_credit_note_is_received_against_its_invoice(
    core: PaymentsCore, inbox: WebhookInbox
) -> None:
    body = body_for(fixture("send_credit_debit_note"), core)
    deliver(inbox, "/api/v0/cd-note/req-send", body)
    invoice = core.get_invoice(
        core.invoice_id(body["cdNote"]["invoiceReferenceDetails"]["objectId"])
    )
    note = invoice.notes["CNWIDGETS2026003"]
    assert (note.note_type, str(note.amount)) == ("CREDIT", "900.00")


def test_a_payment_paycore_would_receive_as_a_supplier_has_no_route(inbox: WebhookInbox) -> None:
    contract = fixture("payment_request_webhook")
    status, answer = deliver(inbox, contract.data["path"], contract.example())
    assert (status, answer["code"]) == (404, "WEBHOOK_UNKNOWN_PATH")
