"""Purchase order refusals with their codes, details and messages, the fulfilment boundary
on both sides, and what each event records for an audit reader (issue 16)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest

from paycore.domain.aggregate import Audit, ObjectVersion, Source, recording
from paycore.domain.core import CommandContext, PaymentsCore
from paycore.domain.errors import PaycoreError, StaleObjectVersion
from paycore.domain.idempotency import IdempotencyRecord, fingerprint
from paycore.domain.money import Money
from paycore.domain.purchase_order import PurchaseOrder, SupplierResponse, unfulfilled_of
from tests.domain.rule_checks import refused
from tests.domain.test_purchase_order import drafted_order, po_object_id

AUDIT = Audit("buyer-clerk", Source.SYSTEM, "c", "c", datetime(2026, 1, 1, tzinfo=UTC))
OBJECT_ID = "PO" + "0" * 31 + "7"


@pytest.fixture(autouse=True)
def audited() -> Iterator[None]:
    with recording(AUDIT):
        yield


def drafted(amount: str = "1000.00") -> PurchaseOrder:
    return PurchaseOrder(
        object_id=OBJECT_ID,
        buyer_po_number="BUY-7",
        subject="Laptops",
        total=Money(amount),
        buyer_b2b_id="BUYER",
        supplier_b2b_id="SUPPLIER",
    )


def accepted(amount: str = "1000.00") -> PurchaseOrder:
    order = drafted(amount)
    order.send(None)
    order.record_response(SupplierResponse.ACCEPT, "ok", None)
    return order


def refusal(call: Any, *args: Any) -> PaycoreError:
    with pytest.raises(PaycoreError) as raised:
        call(*args)
    return raised.value


def last_event(order: PurchaseOrder) -> Any:
    return order.pending_events[-1]


def test_a_purchase_order_id_follows_from_its_object_id_and_never_changes() -> None:
    assert PurchaseOrder.create_id("PO1") == UUID("c58e01d9-134e-5c05-b038-0bed4f127361")


def test_format_refusals_name_the_argument_and_the_value() -> None:
    error = refusal(PurchaseOrder.check_object_id, "PO-1")
    assert error.code == "PO_ID_FORMAT"
    assert error.details == {
        "argument": "object_id",
        "value": "'PO-1'",
        "pattern": "PO[A-Za-z0-9]{1,48}",
    }
    assert PurchaseOrder.check_object_id("P" + "O" * 49) == "P" + "O" * 49
    assert refusal(PurchaseOrder.check_object_id, "PO" + "1" * 49).code == "PO_ID_FORMAT"
    error = refusal(PurchaseOrder.check_number, "N" * 51)
    assert error.code == "INVALID_ARGUMENT"
    assert error.details == {"argument": "buyer_po_number", "value": repr("N" * 51)}
    assert error.message.startswith("buyer_po_number must be 1-50 characters")
    assert PurchaseOrder.check_number("N" * 50) == "N" * 50


def test_a_draft_records_the_order_at_object_version_one() -> None:
    order = drafted()
    (event,) = order.pending_events
    assert isinstance(event, PurchaseOrder.Drafted)
    assert (event.object_id, event.buyer_po_number, event.subject, event.total) == (
        OBJECT_ID,
        "BUY-7",
        "Laptops",
        Money("1000.00"),
    )
    assert (event.buyer_b2b_id, event.supplier_b2b_id) == ("BUYER", "SUPPLIER")
    assert (event.status, event.object_version) == ("DRAFT", 1)
    assert (order.status, order.object_version) == ("DRAFT", 1)
    assert (order.fulfilled, order.unfulfilled) == (Money.ZERO, Money("1000.00"))


def test_each_status_change_records_its_status_remarks_and_version() -> None:
    order = drafted()
    order.send(ObjectVersion(1, 2))
    assert (last_event(order).status, last_event(order).remarks) == ("SENT", "")
    assert last_event(order).object_version == 2
    order.record_response(SupplierResponse.RETURN, "price too high", ObjectVersion(2, 3))
    event = last_event(order)
    assert isinstance(event, PurchaseOrder.StatusChanged)
    assert (event.status, event.remarks, event.object_version) == ("RETURNED", "price too high", 3)
    order.cancel("bought elsewhere", None)
    event = last_event(order)
    assert (event.status, event.remarks, event.object_version) == (
        "CANCELLED",
        "bought elsewhere",
        4,
    )
    assert (order.status, order.object_version) == ("CANCELLED", 4)


def test_closing_records_no_remarks() -> None:
    order = accepted()
    order.record_fulfilment(Money("1000.00"))
    order.close(None)
    event = last_event(order)
    assert (event.status, event.remarks, event.object_version) == ("CLOSED", "", 4)


def test_an_edit_records_the_subject_total_status_and_version() -> None:
    order = drafted()
    order.send(None)
    order.edit("Laptops and bags", Money("1200.00"), ObjectVersion(2, 3))
    event = last_event(order)
    assert isinstance(event, PurchaseOrder.Edited)
    assert (event.subject, event.total, event.status, event.object_version) == (
        "Laptops and bags",
        Money("1200.00"),
        "SENT",
        3,
    )
    assert (order.subject, order.total, order.unfulfilled) == (
        "Laptops and bags",
        Money("1200.00"),
        Money("1200.00"),
    )


def test_an_order_past_its_response_cannot_be_edited_and_the_refusal_says_from_where() -> None:
    order = accepted()
    error = refusal(order.edit, "Bags", Money("10.00"), None)
    assert error.code == "PO_TRANSITION"
    assert error.details == {
        "status": "ACCEPTED",
        "attempted": "edit",
        "allowed": ["DRAFT", "RETURNED", "SENT"],
    }
    assert error.message == (
        "a purchase order in ACCEPTED cannot be edited; allowed from: DRAFT, RETURNED, SENT"
    )
    assert (order.subject, order.object_version) == ("Laptops", 3)


def test_a_stale_edit_is_refused_as_stale_before_the_status_is_looked_at() -> None:
    order = accepted()
    error = refusal(order.edit, "Bags", Money("10.00"), ObjectVersion(2, 3))
    assert error.code == "OBJECT_VERSION_STALE"
    assert error.details == {"held": 3, "current": 2, "new": 3}


def test_a_stale_send_or_cancellation_is_refused_before_the_status_is_looked_at() -> None:
    order = drafted()
    order.edit("Bags", Money("10.00"), ObjectVersion(1, 2))
    for call, args in [(order.send, ()), (order.cancel, ("ordered twice",))]:
        error = refusal(call, *args, ObjectVersion(1, 2))
        assert error.code == "OBJECT_VERSION_STALE"
        assert error.details == {"held": 2, "current": 1, "new": 2}
    assert (order.status, order.object_version) == ("DRAFT", 2)
    order.send(ObjectVersion(2, 3))
    order.cancel("ordered twice", ObjectVersion(3, 4))
    assert (order.status, order.object_version) == ("CANCELLED", 4)


def test_a_move_outside_the_table_names_the_order() -> None:
    order = drafted()
    error = refusal(order.close, None)
    assert error.code == "PO_TRANSITION"
    assert error.details == {
        "purchase_order": OBJECT_ID,
        "status": "DRAFT",
        "attempted": "CLOSED",
        "allowed": ["CANCELLED", "DRAFT", "SENT"],
    }


def test_fulfilment_of_exactly_the_rest_fulfils_the_order() -> None:
    order = accepted()
    order.record_fulfilment(Money("999.99"))
    event = last_event(order)
    assert isinstance(event, PurchaseOrder.FulfilmentRecorded)
    assert (event.value, event.status) == (Money("999.99"), "PARTIALLY_FULFILLED")
    order.record_fulfilment(Money("0.01"))
    assert (last_event(order).value, last_event(order).status) == (Money("0.01"), "FULFILLED")
    assert (order.status, order.fulfilled, order.unfulfilled) == (
        "FULFILLED",
        Money("1000.00"),
        Money.ZERO,
    )


def test_fulfilment_of_all_at_once_fulfils_the_order() -> None:
    order = accepted()
    order.record_fulfilment(Money("1000.00"))
    assert order.status == "FULFILLED"


def test_fulfilment_a_paisa_beyond_the_order_is_refused_with_what_is_left() -> None:
    order = accepted()
    error = refusal(order.record_fulfilment, Money("1000.01"))
    assert error.code == "PO_OVERFULFILMENT"
    assert error.details == {
        "purchase_order": OBJECT_ID,
        "value": "1000.01",
        "unfulfilled": "1000.00",
    }
    assert error.message == (
        f"₹1,000.01 is more than the ₹1,000.00 still unfulfilled on purchase order {OBJECT_ID}"
    )
    assert (order.status, order.fulfilled) == ("ACCEPTED", Money.ZERO)


def test_fulfilment_before_acceptance_is_a_transition_refusal() -> None:
    order = drafted()
    order.send(None)
    error = refusal(order.record_fulfilment, Money("1.00"))
    assert error.code == "PO_TRANSITION"
    assert error.details["attempted"] == "PARTIALLY_FULFILLED"
    error = refusal(order.record_fulfilment, Money("1000.00"))
    assert error.details["attempted"] == "FULFILLED"


def test_what_is_unfulfilled_is_the_total_less_what_arrived() -> None:
    assert unfulfilled_of(Money("1000.00"), Money("250.50")) == Money("749.50")


# The commands: each argument refused by its own name, and what a command records for a
# retry (its name and fingerprint) and for an audit reader (who asked).

CLERK = CommandContext(actor="clerk-9", correlation_id="corr-9")


def record_of(core: PaymentsCore, key: str) -> IdempotencyRecord:
    record = core.repository.get(IdempotencyRecord.create_id(key))
    assert isinstance(record, IdempotencyRecord)
    return record


def actor_of_last_event(core: PaymentsCore, po_id: UUID) -> tuple[str, str, str]:
    *_, stored = core.recorder.select_events(po_id, limit=1000)
    state = json.loads(stored.state)
    return (stored.topic.split(".")[2].split("#")[0], state["actor"], state["correlation_id"])


def test_draft_records_its_name_fingerprint_and_actor(core: PaymentsCore) -> None:
    po_id = core.draft_purchase_order(
        po_object_id(1),
        "BUY-1",
        "Laptops",
        "1000.00",
        buyer_b2b_id="buyer",
        supplier_b2b_id="supplier",
        context=CLERK,
        idempotency_key="k-draft",
    )
    assert po_id == PaymentsCore.purchase_order_id(po_object_id(1))
    record = record_of(core, "k-draft")
    assert (record.command, record.result) == ("draft_purchase_order", po_id)
    assert record.fingerprint == fingerprint(
        "draft_purchase_order",
        {
            "object_id": po_object_id(1),
            "buyer_po_number": "BUY-1",
            "subject": "Laptops",
            "total": Money("1000.00"),
            "buyer_b2b_id": "buyer",
            "supplier_b2b_id": "supplier",
        },
    )
    assert actor_of_last_event(core, po_id) == ("Drafted", "clerk-9", "corr-9")
    order = core.get_purchase_order(po_id)
    assert (order.buyer_po_number, order.subject, order.total) == (
        "BUY-1",
        "Laptops",
        Money("1000.00"),
    )
    assert (order.buyer_b2b_id, order.supplier_b2b_id) == ("buyer", "supplier")


def test_each_order_command_records_its_name_fingerprint_and_actor(core: PaymentsCore) -> None:
    po_id = drafted_order(core)
    steps: list[tuple[str, Callable[[str], None], dict[str, object], str]] = [
        (
            "edit_purchase_order",
            lambda key: core.edit_purchase_order(
                po_id, "Bags", "900.00", object_version=(1, 2), context=CLERK, idempotency_key=key
            ),
            {"po_id": po_id, "subject": "Bags", "total": Money("900.00"),
             "version": ObjectVersion(1, 2)},
            "Edited",
        ),
        (
            "send_purchase_order",
            lambda key: core.send_purchase_order(
                po_id, object_version=(2, 3), context=CLERK, idempotency_key=key
            ),
            {"po_id": po_id, "version": ObjectVersion(2, 3)},
            "StatusChanged",
        ),
        (
            "record_po_response",
            lambda key: core.record_po_response(
                po_id, "ACCEPT", "in stock", object_version=(3, 4), context=CLERK,
                idempotency_key=key,
            ),
            {"po_id": po_id, "response": SupplierResponse.ACCEPT, "remarks": "in stock",
             "version": ObjectVersion(3, 4)},
            "StatusChanged",
        ),
        (
            "record_po_fulfilment",
            lambda key: core.record_po_fulfilment(
                po_id, "900.00", context=CLERK, idempotency_key=key
            ),
            {"po_id": po_id, "value": Money("900.00")},
            "FulfilmentRecorded",
        ),
        (
            "close_purchase_order",
            lambda key: core.close_purchase_order(
                po_id, object_version=(4, 5), context=CLERK, idempotency_key=key
            ),
            {"po_id": po_id, "version": ObjectVersion(4, 5)},
            "StatusChanged",
        ),
    ]  # fmt: skip
    for command, step, arguments, kind in steps:
        step(f"k-{command}")
        record = record_of(core, f"k-{command}")
        assert record.command == command
        assert record.fingerprint == fingerprint(command, arguments), command
        assert actor_of_last_event(core, po_id) == (kind, "clerk-9", "corr-9"), command
    order = core.get_purchase_order(po_id)
    assert (order.status, order.object_version, order.fulfilled) == (
        "CLOSED",
        5,
        Money("900.00"),
    )
    assert core.get_purchase_order(po_id, 1).subject == "Laptops"


def test_cancel_records_its_name_fingerprint_and_actor(core: PaymentsCore) -> None:
    po_id = drafted_order(core)
    core.cancel_purchase_order(
        po_id, "ordered twice", object_version=(1, 2), context=CLERK, idempotency_key="k-cancel"
    )
    record = record_of(core, "k-cancel")
    assert record.command == "cancel_purchase_order"
    assert record.fingerprint == fingerprint(
        "cancel_purchase_order",
        {"po_id": po_id, "remarks": "ordered twice", "version": ObjectVersion(1, 2)},
    )
    assert actor_of_last_event(core, po_id) == ("StatusChanged", "clerk-9", "corr-9")
    order = core.get_purchase_order(po_id)
    assert (order.status, order.object_version) == ("CANCELLED", 2)


def test_a_key_used_to_send_an_order_is_refused_for_closing_it(core: PaymentsCore) -> None:
    po_id = drafted_order(core)
    core.send_purchase_order(po_id, idempotency_key="k-once")
    with refused(core, PaycoreError, "IDEMPOTENCY_CONFLICT") as refusal:
        core.close_purchase_order(po_id, idempotency_key="k-once")
    assert refusal.value.details == {"key": "k-once", "original_command": "send_purchase_order"}


def test_each_order_command_names_the_argument_it_refuses(core: PaymentsCore) -> None:
    po_id = drafted_order(core)
    good: dict[str, Any] = {
        "object_id": po_object_id(2),
        "buyer_po_number": "BUY-2",
        "subject": "Laptops",
        "total": "10.00",
        "buyer_b2b_id": "b",
        "supplier_b2b_id": "s",
    }
    bad = {"object_id": "PO-2", "buyer_po_number": "", "subject": "S" * 201, "total": "0",
           "buyer_b2b_id": "", "supplier_b2b_id": 's"'}  # fmt: skip
    for argument, value in bad.items():
        arguments = {**good, argument: value}
        positional = [arguments.pop(k) for k in ("object_id", "buyer_po_number", "subject")]
        with pytest.raises(PaycoreError) as refusal:
            core.draft_purchase_order(*positional, arguments.pop("total"), **arguments)
        assert refusal.value.details["argument"] == argument
        assert refusal.value.message.startswith(argument)
    commands: list[tuple[str, Callable[[], object]]] = [
        ("po_id", lambda: core.send_purchase_order("x")),  # type: ignore[arg-type]
        ("po_id", lambda: core.close_purchase_order("x")),  # type: ignore[arg-type]
        ("po_id", lambda: core.edit_purchase_order("x", "Bags", "1.00")),  # type: ignore[arg-type]
        ("po_id", lambda: core.record_po_response("x", "ACCEPT", "ok")),  # type: ignore[arg-type]
        ("po_id", lambda: core.record_po_fulfilment("x", "1.00")),  # type: ignore[arg-type]
        ("po_id", lambda: core.cancel_purchase_order("x", "ok")),  # type: ignore[arg-type]
        ("subject", lambda: core.edit_purchase_order(po_id, "", "1.00")),
        ("total", lambda: core.edit_purchase_order(po_id, "Bags", "0")),
        ("response", lambda: core.record_po_response(po_id, "MAYBE", "ok")),
        ("remarks", lambda: core.record_po_response(po_id, "ACCEPT", "")),
        ("value", lambda: core.record_po_fulfilment(po_id, "0")),
        ("remarks", lambda: core.cancel_purchase_order(po_id, "")),
        ("object_version", lambda: core.send_purchase_order(po_id, object_version=(1,))),
        ("object_version", lambda: core.edit_purchase_order(po_id, "B", "1", object_version=(1,))),
        ("object_version", lambda: core.cancel_purchase_order(po_id, "r", object_version=(1,))),
        ("object_version",
         lambda: core.record_po_response(po_id, "ACCEPT", "ok", object_version=(1,))),
    ]  # fmt: skip
    for argument, command in commands:
        with pytest.raises(PaycoreError) as refusal:
            command()
        assert refusal.value.details["argument"] == argument, argument
        assert refusal.value.message.startswith(argument), argument
    assert core.get_purchase_order(po_id).version == 1


def test_the_suppliers_response_keeps_its_remarks(core: PaymentsCore) -> None:
    po_id = drafted_order(core)
    core.send_purchase_order(po_id)
    core.record_po_response(po_id, "RETURN", "wrong quantity")
    *_, changed = core.events.get(po_id)
    assert isinstance(changed, PurchaseOrder.StatusChanged)
    assert (changed.status, changed.remarks, changed.object_version) == (
        "RETURNED",
        "wrong quantity",
        3,
    )


@pytest.mark.parametrize("command", ["edit", "cancel"])
def test_a_stale_edit_or_cancellation_is_refused_by_the_command_and_writes_nothing(
    core: PaymentsCore, command: str
) -> None:
    po_id = drafted_order(core)
    core.send_purchase_order(po_id, object_version=(1, 2))
    moves: dict[str, Callable[[ObjectVersion], None]] = {
        "edit": lambda v: core.edit_purchase_order(po_id, "Desks", "900.00", object_version=v),
        "cancel": lambda v: core.cancel_purchase_order(po_id, "not needed", object_version=v),
    }
    with refused(core, StaleObjectVersion, "OBJECT_VERSION_STALE") as refusal:
        moves[command](ObjectVersion(1, 2))
    assert refusal.value.details == {"held": 2, "current": 1, "new": 2}
    order = core.get_purchase_order(po_id)
    assert (order.status, order.object_version, order.subject) == ("SENT", 2, "Laptops")
    moves[command](ObjectVersion(2, 3))
    assert core.get_purchase_order(po_id).object_version == 3
