"""PurchaseOrder rules: the lifecycle table, edits and objectVersion, fulfilment, finality."""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

from paycore.domain.core import PaymentsCore
from paycore.domain.errors import (
    AlreadyExists,
    InvalidArgument,
    ObjectVersionGap,
    PurchaseOrderIdFormat,
    PurchaseOrderOverfulfilment,
    PurchaseOrderTransitionError,
    StaleObjectVersion,
)
from paycore.domain.money import Money
from tests.domain.rule_checks import refused, refused_moves


def po_object_id(number: int) -> str:
    return f"PO{number:032d}"


def drafted_order(core: PaymentsCore, number: int = 1, total: str = "1000.00") -> UUID:
    return core.draft_purchase_order(
        po_object_id(number),
        f"BUY-{number}",
        "Laptops",
        total,
        buyer_b2b_id="buyer",
        supplier_b2b_id="supplier",
    )


def po_commands(core: PaymentsCore, po_id: UUID) -> dict[str, Callable[[], None]]:
    """Every command that moves a purchase order, by name."""

    def fulfil_rest() -> None:
        core.record_po_fulfilment(po_id, core.get_purchase_order(po_id).unfulfilled)

    return {
        "send": lambda: core.send_purchase_order(po_id),
        "edit": lambda: core.edit_purchase_order(po_id, "Laptops and bags", "1000.00"),
        "accept": lambda: core.record_po_response(po_id, "ACCEPT", "ok"),
        "reject": lambda: core.record_po_response(po_id, "REJECT", "no stock"),
        "return": lambda: core.record_po_response(po_id, "RETURN", "fix the price"),
        "cancel": lambda: core.cancel_purchase_order(po_id, "not needed"),
        "fulfil part": lambda: core.record_po_fulfilment(po_id, "100.00"),
        "fulfil rest": fulfil_rest,
        "close": lambda: core.close_purchase_order(po_id),
    }


#: The commands that take a new order to each status.
ROUTE = {
    "DRAFT": [],
    "SENT": ["send"],
    "RETURNED": ["send", "return"],
    "REJECTED": ["send", "reject"],
    "ACCEPTED": ["send", "accept"],
    "CANCELLED": ["cancel"],
    "PARTIALLY_FULFILLED": ["send", "accept", "fulfil part"],
    "FULFILLED": ["send", "accept", "fulfil rest"],
    "CLOSED": ["send", "accept", "fulfil rest", "close"],
}


def order_in(core: PaymentsCore, status: str, number: int) -> UUID:
    po_id = drafted_order(core, number)
    commands = po_commands(core, po_id)
    for name in ROUTE[status]:
        commands[name]()
    assert core.get_purchase_order(po_id).status == status
    return po_id


#: paycore's lifecycle (ARCHITECTURE.md): (status, command, the status it leads to).
ALLOWED_MOVES = [
    ("DRAFT", "send", "SENT"),
    ("DRAFT", "edit", "DRAFT"),
    ("DRAFT", "cancel", "CANCELLED"),
    ("SENT", "accept", "ACCEPTED"),
    ("SENT", "reject", "REJECTED"),
    ("SENT", "return", "RETURNED"),
    ("SENT", "edit", "SENT"),
    ("SENT", "cancel", "CANCELLED"),
    ("RETURNED", "edit", "SENT"),
    ("RETURNED", "cancel", "CANCELLED"),
    ("ACCEPTED", "fulfil part", "PARTIALLY_FULFILLED"),
    ("ACCEPTED", "fulfil rest", "FULFILLED"),
    ("ACCEPTED", "cancel", "CANCELLED"),
    ("PARTIALLY_FULFILLED", "fulfil part", "PARTIALLY_FULFILLED"),
    ("PARTIALLY_FULFILLED", "fulfil rest", "FULFILLED"),
    ("FULFILLED", "close", "CLOSED"),
]

#: The statuses each status may move to, as the refusal names them.
ALLOWED_FROM = {
    "DRAFT": ["CANCELLED", "DRAFT", "SENT"],
    "SENT": ["ACCEPTED", "CANCELLED", "REJECTED", "RETURNED", "SENT"],
    "RETURNED": ["CANCELLED", "SENT"],
    "ACCEPTED": ["CANCELLED", "FULFILLED", "PARTIALLY_FULFILLED"],
    "PARTIALLY_FULFILLED": ["FULFILLED", "PARTIALLY_FULFILLED"],
    "FULFILLED": ["CLOSED"],
}

#: A sample of moves outside the table: (status, command, the status it asks for).
DISALLOWED_MOVES = [
    ("DRAFT", "accept", "ACCEPTED"),
    ("DRAFT", "fulfil part", "PARTIALLY_FULFILLED"),
    ("DRAFT", "close", "CLOSED"),
    ("SENT", "fulfil rest", "FULFILLED"),
    ("SENT", "close", "CLOSED"),
    ("RETURNED", "accept", "ACCEPTED"),
    ("ACCEPTED", "send", "SENT"),
    ("ACCEPTED", "return", "RETURNED"),
    ("ACCEPTED", "close", "CLOSED"),
    ("PARTIALLY_FULFILLED", "cancel", "CANCELLED"),
    ("PARTIALLY_FULFILLED", "close", "CLOSED"),
    ("FULFILLED", "cancel", "CANCELLED"),
    ("FULFILLED", "reject", "REJECTED"),
]


def test_every_move_in_the_purchase_order_table_works(core: PaymentsCore) -> None:
    for number, (status, command, reached) in enumerate(ALLOWED_MOVES):
        po_id = order_in(core, status, number)
        po_commands(core, po_id)[command]()
        assert core.get_purchase_order(po_id).status == reached, (status, command)


def test_a_move_outside_the_purchase_order_table_names_status_attempt_and_allowed(
    core: PaymentsCore,
) -> None:
    for number, (status, command, attempted) in enumerate(DISALLOWED_MOVES):
        po_id = order_in(core, status, number)
        with refused(core, PurchaseOrderTransitionError, "PO_TRANSITION") as refusal:
            po_commands(core, po_id)[command]()
        assert refusal.value.details == {
            "purchase_order": po_object_id(number),
            "status": status,
            "attempted": attempted,
            "allowed": ALLOWED_FROM[status],
        }, (status, command)
        assert core.get_purchase_order(po_id).status == status


def test_only_draft_sent_or_returned_orders_can_be_edited(core: PaymentsCore) -> None:
    for number, status in enumerate(["ACCEPTED", "PARTIALLY_FULFILLED", "FULFILLED"]):
        po_id = order_in(core, status, number)
        with refused(core, PurchaseOrderTransitionError, "PO_TRANSITION") as refusal:
            po_commands(core, po_id)["edit"]()
        details = refusal.value.details
        assert (details["status"], details["attempted"]) == (status, "edit")
        assert details["allowed"] == ["DRAFT", "RETURNED", "SENT"]


def test_rejected_cancelled_and_closed_orders_are_final(core: PaymentsCore) -> None:
    for number, status in enumerate(["REJECTED", "CANCELLED", "CLOSED"]):
        po_id = order_in(core, status, number)
        version = core.get_purchase_order(po_id).version
        # Fulfilling the rest would be fulfilling ₹0.00: refused as an amount, before any rule.
        moves = {k: m for k, m in po_commands(core, po_id).items() if k != "fulfil rest"}
        refusals = refused_moves(core, PurchaseOrderTransitionError, "PO_TRANSITION", moves)
        assert {name: details["status"] for name, details in refusals.items()} == {
            name: status for name in moves
        }
        assert core.get_purchase_order(po_id).version == version


# Edits and objectVersion.


def test_edits_bump_the_object_version_and_a_sent_order_edited_is_sent_again(
    core: PaymentsCore,
) -> None:
    po_id = drafted_order(core, total="1000.00")
    steps: list[tuple[Callable[[], None], str, int]] = [
        (
            lambda: core.edit_purchase_order(po_id, "v2", "900.00", object_version=(1, 2)),
            "DRAFT",
            2,
        ),
        (lambda: core.send_purchase_order(po_id, object_version=(2, 3)), "SENT", 3),
        (lambda: core.edit_purchase_order(po_id, "v4", "800.00", object_version=(3, 4)), "SENT", 4),
        (
            lambda: core.record_po_response(po_id, "RETURN", "price", object_version=(4, 5)),
            "RETURNED",
            5,
        ),
        (lambda: core.edit_purchase_order(po_id, "v6", "700.00", object_version=(5, 6)), "SENT", 6),
    ]
    for step, status, object_version in steps:
        step()
        order = core.get_purchase_order(po_id)
        assert (order.status, order.object_version) == (status, object_version)
    assert (order.subject, order.total) == ("v6", Money("700.00"))


def test_stale_or_skipped_object_version_is_refused_and_not_applied(core: PaymentsCore) -> None:
    po_id = order_in(core, "SENT", 1)
    for version, error, code in [
        ((1, 2), StaleObjectVersion, "OBJECT_VERSION_STALE"),
        ((3, 4), ObjectVersionGap, "OBJECT_VERSION_GAP"),
        ((2, 4), ObjectVersionGap, "OBJECT_VERSION_GAP"),
    ]:
        with refused(core, error, code):
            core.record_po_response(po_id, "ACCEPT", "ok", object_version=version)
    order = core.get_purchase_order(po_id)
    assert (order.status, order.object_version) == ("SENT", 2)


# Fulfilment.


def test_fulfilment_goes_from_partial_to_full_and_never_beyond_the_order(
    core: PaymentsCore,
) -> None:
    po_id = order_in(core, "ACCEPTED", 1)
    core.record_po_fulfilment(po_id, "600.00")
    assert core.get_purchase_order(po_id).status == "PARTIALLY_FULFILLED"

    with refused(core, PurchaseOrderOverfulfilment, "PO_OVERFULFILMENT") as refusal:
        core.record_po_fulfilment(po_id, "400.01")
    assert refusal.value.details["unfulfilled"] == "400.00"
    assert core.get_purchase_order(po_id).fulfilled == Money("600.00")

    core.record_po_fulfilment(po_id, "400.00")
    order = core.get_purchase_order(po_id)
    assert (order.status, order.unfulfilled) == ("FULFILLED", Money.ZERO)


# Identity and formats.


def test_redelivered_purchase_order_is_already_exists_under_the_same_id(
    core: PaymentsCore,
) -> None:
    po_id = drafted_order(core)
    with refused(core, AlreadyExists, "ALREADY_EXISTS") as refusal:
        drafted_order(core)
    assert refusal.value.details["id"] == str(po_id)
    assert po_id == PaymentsCore.purchase_order_id(po_object_id(1))


def test_purchase_order_id_and_buyer_number_have_their_formats(core: PaymentsCore) -> None:
    for bad_id in ("PO", "PO-1", "INV" + "1" * 32, "PO" + "1" * 49):
        with refused(core, PurchaseOrderIdFormat, "PO_ID_FORMAT"):
            core.draft_purchase_order(
                bad_id, "BUY-1", "Laptops", "10.00", buyer_b2b_id="b", supplier_b2b_id="s"
            )
    for bad_number in ("", "N" * 51, 'BUY"1', "BUY\\1"):
        with refused(core, InvalidArgument, "INVALID_ARGUMENT"):
            core.draft_purchase_order(
                po_object_id(1),
                bad_number,
                "Laptops",
                "10.00",
                buyer_b2b_id="b",
                supplier_b2b_id="s",
            )
