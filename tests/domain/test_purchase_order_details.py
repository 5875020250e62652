"""What a purchase order's events tell an audit reader (status, remarks, objectVersion)
and the fulfilment boundary, with the refusal's details (issue 16)."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from paycore.domain.core import PaymentsCore
from paycore.domain.errors import PaycoreError
from paycore.domain.purchase_order import PurchaseOrder
from tests.domain.rule_checks import refused
from tests.domain.test_purchase_order import order_in, po_object_id


def status_changes(core: PaymentsCore, po_id: UUID) -> list[dict[str, Any]]:
    events = core.recorder.select_events(po_id, limit=1000)
    return [
        json.loads(e.state)
        for e in events
        if e.topic.startswith("paycore.PurchaseOrder.StatusChanged")
    ]


def test_send_close_and_cancel_record_their_status_remarks_and_version(
    core: PaymentsCore,
) -> None:
    po_id = order_in(core, "FULFILLED", 1)
    core.close_purchase_order(po_id)
    sent, *_, closed = status_changes(core, po_id)
    assert (sent["status"], sent["remarks"], sent["object_version"]) == ("SENT", "", 2)
    assert (closed["status"], closed["remarks"]) == ("CLOSED", "")
    assert closed["object_version"] == core.get_purchase_order(po_id).object_version

    cancelled_id = order_in(core, "DRAFT", 2)
    core.cancel_purchase_order(cancelled_id, "ordered twice")
    (cancelled,) = status_changes(core, cancelled_id)
    assert (cancelled["status"], cancelled["remarks"]) == ("CANCELLED", "ordered twice")
    assert cancelled["object_version"] == 2


def test_fulfilment_of_exactly_what_is_left_fulfils_and_a_paisa_more_is_refused(
    core: PaymentsCore,
) -> None:
    po_id = order_in(core, "ACCEPTED", 1)
    core.record_po_fulfilment(po_id, "999.99")
    assert core.get_purchase_order(po_id).status == "PARTIALLY_FULFILLED"
    with refused(core, PaycoreError, "PO_OVERFULFILMENT") as refusal:
        core.record_po_fulfilment(po_id, "0.02")
    assert refusal.value.details == {
        "purchase_order": po_object_id(1),
        "value": "0.02",
        "unfulfilled": "0.01",
    }
    assert refusal.value.message == (
        f"₹0.02 is more than the ₹0.01 still unfulfilled on purchase order {po_object_id(1)}"
    )
    core.record_po_fulfilment(po_id, "0.01")
    assert core.get_purchase_order(po_id).status == "FULFILLED"


def test_the_identity_of_an_order_comes_from_its_object_id() -> None:
    assert PurchaseOrder.create_id("PO1") == PurchaseOrder.create_id("PO1")
    assert PurchaseOrder.create_id("PO1") != PurchaseOrder.create_id("PO2")
