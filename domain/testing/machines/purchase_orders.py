"""The purchase order machine: draft, send, edit, the supplier's response, fulfilment,
close and cancel, against a model of each order."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import ClassVar
from uuid import UUID

from hypothesis import strategies as st
from hypothesis.stateful import Bundle, initialize, invariant, precondition, rule

from paycore.domain import errors
from paycore.domain.core import PaymentsCore
from paycore.domain.money import Money
from paycore.domain.testing import strategies
from paycore.domain.testing.machines.base import (
    INVOICE_TOTALS,
    VERSIONS,
    PaycoreMachine,
    _message_version,
    _object_id,
    _refusals,
)


@dataclass
class PurchaseOrderModel:
    total: Decimal
    status: str = "DRAFT"
    object_version: int = 1
    fulfilled: Decimal = Decimal(0)


PO_MOVES = {
    "DRAFT": {"SENT", "CANCELLED"},
    "SENT": {"SENT", "ACCEPTED", "REJECTED", "RETURNED", "CANCELLED"},
    "RETURNED": {"SENT", "CANCELLED"},
    "ACCEPTED": {"PARTIALLY_FULFILLED", "FULFILLED", "CANCELLED"},
    "PARTIALLY_FULFILLED": {"PARTIALLY_FULFILLED", "FULFILLED"},
    "FULFILLED": {"CLOSED"},
    "REJECTED": set(),
    "CANCELLED": set(),
    "CLOSED": set(),
}
#: An edit keeps a draft a draft; an order that went out is sent again.
PO_EDITS = {"DRAFT": "DRAFT", "SENT": "SENT", "RETURNED": "SENT"}


class PurchaseOrderMachine(PaycoreMachine):
    """Purchase orders: draft, send, edit, the supplier's response, fulfilment, close, cancel."""

    TERMINAL: ClassVar[frozenset[str]] = frozenset({"REJECTED", "CANCELLED", "CLOSED"})
    orders = Bundle("orders")

    def __init__(self, core: PaymentsCore | None = None) -> None:
        super().__init__(core)
        self.model: dict[UUID, PurchaseOrderModel] = {}
        self.object_ids: dict[UUID, str] = {}

    def statuses(self) -> dict[str, str]:
        return {f"purchase order {p}": str(self.live_state(p).status) for p in self.model}

    @initialize(target=orders, total=INVOICE_TOTALS)
    def start_with_a_draft(self, total: Money) -> UUID:
        return self.draft_order(total)

    @rule(target=orders, total=INVOICE_TOTALS)
    def draft(self, total: Money) -> UUID:
        return self.draft_order(total)

    def draft_order(self, total: Money) -> UUID:
        object_id = _object_id("PO")
        po_id = self.send_draft(object_id, total)
        self.model[po_id] = PurchaseOrderModel(total.amount)
        self.object_ids[po_id] = object_id
        self.aggregates.append(po_id)
        return po_id

    def send_draft(self, object_id: str, total: Money) -> UUID:
        return self.core.draft_purchase_order(
            object_id, "PO-1", "Laptops", total, buyer_b2b_id="BUYER", supplier_b2b_id="SUPPLIER"
        )

    @rule(po_id=orders)
    def redelivered_draft_is_not_a_duplicate(self, po_id: UUID) -> None:
        object_id = self.object_ids[po_id]
        self.run({errors.AlreadyExists}, lambda: self.send_draft(object_id, Money("1.00")))

    def _change(
        self, po_id: UUID, after: str | None, version: str, command: Callable[..., None]
    ) -> bool:
        """Runs a change that leaves the order in ``after`` (None: not allowed at all)."""
        order = self.model[po_id]
        given, refusals = _message_version(order.object_version, version)
        if after is None:
            refusals.add(errors.PurchaseOrderTransitionError)
        self.run(refusals, lambda: command(po_id, object_version=given))
        if not refusals and after is not None:
            order.status, order.object_version = after, order.object_version + 1
        return not refusals

    def _move(self, po_id: UUID, status: str, version: str, command: Callable[..., None]) -> None:
        allowed = status in PO_MOVES[self.model[po_id].status]
        self._change(po_id, status if allowed else None, version, command)

    def open_orders(self) -> list[UUID]:
        return [p for p, m in self.model.items() if m.status not in self.TERMINAL]

    @precondition(lambda self: bool(self.open_orders()))
    @rule(data=st.data(), value=INVOICE_TOTALS, all_of_it=st.booleans())
    def move_an_order_on(self, data: st.DataObject, value: Money, all_of_it: bool) -> None:
        """Takes an order one step on: sent, accepted, fulfilled, closed."""
        po_id = data.draw(st.sampled_from(self.open_orders()))
        status = self.model[po_id].status
        if status in {"DRAFT", "RETURNED"}:
            self.send(po_id, "next")
        elif status == "SENT":
            self.respond(po_id, "ACCEPT", "next")
        elif status == "FULFILLED":
            self.close(po_id, "next")
        else:
            self.fulfil(po_id, value, all_of_it)

    @rule(po_id=orders, version=VERSIONS)
    def send(self, po_id: UUID, version: str) -> None:
        self._move(po_id, "SENT", version, self.core.send_purchase_order)

    @rule(po_id=orders, version=VERSIONS, total=INVOICE_TOTALS)
    def edit(self, po_id: UUID, version: str, total: Money) -> None:
        """A draft, sent or returned order may be edited; a sent or returned one is sent."""
        order = self.model[po_id]
        command = lambda po, object_version: self.core.edit_purchase_order(  # noqa: E731
            po, "Laptops, revised", total, object_version=object_version
        )
        if self._change(po_id, PO_EDITS.get(order.status), version, command):
            order.total = total.amount

    @rule(po_id=orders, response=strategies.supplier_responses(), version=VERSIONS)
    def respond(self, po_id: UUID, response: str, version: str) -> None:
        status = {"ACCEPT": "ACCEPTED", "REJECT": "REJECTED", "RETURN": "RETURNED"}[response]
        command = lambda po, object_version: self.core.record_po_response(  # noqa: E731
            po, response, "remarks", object_version=object_version
        )
        self._move(po_id, status, version, command)

    @rule(po_id=orders, version=VERSIONS)
    def close(self, po_id: UUID, version: str) -> None:
        self._move(po_id, "CLOSED", version, self.core.close_purchase_order)

    @rule(po_id=orders, version=VERSIONS)
    def cancel(self, po_id: UUID, version: str) -> None:
        command = lambda po, object_version: self.core.cancel_purchase_order(  # noqa: E731
            po, "not needed", object_version=object_version
        )
        self._move(po_id, "CANCELLED", version, command)

    @rule(po_id=orders, value=INVOICE_TOTALS, all_of_it=st.booleans())
    def fulfil(self, po_id: UUID, value: Money, all_of_it: bool) -> None:
        """Goods arrive; never more than was ordered."""
        order = self.model[po_id]
        unfulfilled = order.total - order.fulfilled
        if all_of_it and unfulfilled > 0:
            value = Money(unfulfilled)
        status = "FULFILLED" if value.amount == unfulfilled else "PARTIALLY_FULFILLED"
        refusals = _refusals(
            (value.amount > unfulfilled, errors.PurchaseOrderOverfulfilment),
            (status not in PO_MOVES[order.status], errors.PurchaseOrderTransitionError),
        )
        self.run(refusals, lambda: self.core.record_po_fulfilment(po_id, value))
        if not refusals:
            order.status, order.fulfilled = status, order.fulfilled + value.amount

    @invariant()
    def never_fulfilled_beyond_the_order(self) -> None:
        """A purchase order is never fulfilled beyond its total."""
        for po_id in self.model:
            live = self.live_state(po_id)
            assert 0 <= live.fulfilled.amount <= live.total.amount, f"purchase order {po_id}"

    @invariant()
    def orders_agree_with_the_model(self) -> None:
        """Each order's status, objectVersion and amounts are those predicted."""
        for po_id, model in self.model.items():
            live = self.live_state(po_id)
            assert (str(live.status), live.object_version, live.total.amount) == (
                model.status,
                model.object_version,
                model.total,
            ), f"purchase order {po_id}"
            assert live.fulfilled.amount == model.fulfilled
