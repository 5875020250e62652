"""PurchaseOrder (Bharat Connect B2B), with paycore's lifecycle as a table.

The platform's docs show only ``CREATED``; the lifecycle below is ours
(ARCHITECTURE.md): DRAFT -> SENT -> the supplier's response, edits bump the
objectVersion and re-send a sent order, then fulfilment and closing.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import ClassVar
from uuid import UUID

from eventsourcing.domain import event

from paycore.domain.aggregate import (
    Lifecycle,
    ObjectVersion,
    PaycoreAggregate,
    Typed,
    VersionedObject,
    table,
    upcast_adding,
)
from paycore.domain.arguments import check_b2b_text
from paycore.domain.b2b import DOCUMENT_NUMBER_LENGTH, check_format, id_from
from paycore.domain.errors import (
    PurchaseOrderIdFormat,
    PurchaseOrderOverfulfilment,
    PurchaseOrderTransitionError,
)
from paycore.domain.money import Money, rupees

#: The docs give no pattern for a PO objectId; we take the invoice's shape, with "PO".
#: The most letters or digits that follow ``PO`` in a purchase order objectId.
PO_ID_LENGTH = 48
PO_ID = re.compile(rf"PO[A-Za-z0-9]{{1,{PO_ID_LENGTH}}}")


class PurchaseOrderStatus(StrEnum):
    DRAFT = "DRAFT"
    SENT = "SENT"
    ACCEPTED = "ACCEPTED"
    REJECTED = "REJECTED"
    RETURNED = "RETURNED"
    PARTIALLY_FULFILLED = "PARTIALLY_FULFILLED"
    FULFILLED = "FULFILLED"
    CLOSED = "CLOSED"
    CANCELLED = "CANCELLED"


class SupplierResponse(StrEnum):
    ACCEPT = "ACCEPT"
    REJECT = "REJECT"
    RETURN = "RETURN"


_O = PurchaseOrderStatus
PO_LIFECYCLE = Lifecycle(
    name="purchase order",
    moves=table(
        {
            _O.DRAFT: {_O.DRAFT, _O.SENT, _O.CANCELLED},
            _O.SENT: {_O.SENT, _O.ACCEPTED, _O.REJECTED, _O.RETURNED, _O.CANCELLED},
            _O.RETURNED: {_O.SENT, _O.CANCELLED},
            _O.ACCEPTED: {_O.PARTIALLY_FULFILLED, _O.FULFILLED, _O.CANCELLED},
            _O.PARTIALLY_FULFILLED: {_O.PARTIALLY_FULFILLED, _O.FULFILLED},
            _O.FULFILLED: {_O.CLOSED},
        }
    ),
    error=PurchaseOrderTransitionError,
)
RESPONSE_STATUS = {
    SupplierResponse.ACCEPT: _O.ACCEPTED,
    SupplierResponse.REJECT: _O.REJECTED,
    SupplierResponse.RETURN: _O.RETURNED,
}
#: An edit keeps a draft a draft; an order that went out is sent again.
STATUS_AFTER_EDIT = {_O.DRAFT: _O.DRAFT, _O.SENT: _O.SENT, _O.RETURNED: _O.SENT}


def unfulfilled_of(total: Money, fulfilled: Money) -> Money:
    """What is still to arrive on an order: its total less what was fulfilled."""
    return total - fulfilled


class PurchaseOrder(PaycoreAggregate, VersionedObject):
    TOPIC = "paycore.PurchaseOrder"

    class Event(PaycoreAggregate.Event):
        TOPIC = "paycore.PurchaseOrder.Event"

    class Created(Event, PaycoreAggregate.Created):
        TOPIC = "paycore.PurchaseOrder.Created"

    OBJECT_KIND: ClassVar[str] = "purchase order"
    #: Enum-typed however the aggregate was restored (a snapshot stores strings).
    status = Typed(PurchaseOrderStatus)

    @staticmethod
    def create_id(object_id: str) -> UUID:
        return id_from("purchase-order", object_id)

    @staticmethod
    def check_object_id(object_id: object) -> str:
        return check_format(object_id, PO_ID, PurchaseOrderIdFormat, "object_id")

    @staticmethod
    def check_number(number: object) -> str:
        return check_b2b_text(number, "buyer_po_number", DOCUMENT_NUMBER_LENGTH)

    class Drafted(Created):
        """A buyer's order; every order starts a DRAFT at objectVersion 1."""

        TOPIC = "paycore.PurchaseOrder.Drafted"
        class_version = 2
        object_id: str
        buyer_po_number: str
        subject: str
        total: Money
        buyer_b2b_id: str
        supplier_b2b_id: str
        status: str = PurchaseOrderStatus.DRAFT
        object_version: int = 1
        upcast_v1_v2 = upcast_adding(status=_O.DRAFT, object_version=1)

        def apply(self, order: PurchaseOrder) -> None:
            order.status = PurchaseOrderStatus(self.status)
            order.object_version = self.object_version

    @event(Drafted)
    def __init__(
        self,
        object_id: str,
        buyer_po_number: str,
        subject: str,
        total: Money,
        buyer_b2b_id: str,
        supplier_b2b_id: str,
    ) -> None:
        self.object_id = object_id
        self.buyer_po_number = buyer_po_number
        self.subject = subject
        self.total = total
        self.buyer_b2b_id = buyer_b2b_id
        self.supplier_b2b_id = supplier_b2b_id
        #: Set from the event by :meth:`Drafted.apply`.
        self.fulfilled = Money.ZERO

    @property
    def unfulfilled(self) -> Money:
        return unfulfilled_of(self.total, self.fulfilled)

    def _move(self, status: PurchaseOrderStatus) -> None:
        PO_LIFECYCLE.check(self.status, status, purchase_order=self.object_id)

    def _change_status(
        self, status: PurchaseOrderStatus, remarks: str, version: ObjectVersion | None
    ) -> None:
        """The version first, so a stale message is reported as stale, then the move."""
        object_version = self.next_object_version(version)
        self._move(status)
        self._status_changed(status=status, remarks=remarks, object_version=object_version)

    def send(self, version: ObjectVersion | None) -> None:
        self._change_status(_O.SENT, "", version)

    def edit(self, subject: str, total: Money, version: ObjectVersion | None) -> None:
        object_version = self.next_object_version(version)
        after = STATUS_AFTER_EDIT.get(self.status)
        if after is None:
            editable = sorted(STATUS_AFTER_EDIT)
            msg = (
                f"a purchase order in {self.status} cannot be edited; "
                f"allowed from: {', '.join(editable)}"
            )
            raise PurchaseOrderTransitionError(
                msg, status=str(self.status), attempted="edit", allowed=editable
            )
        self._edited(subject=subject, total=total, status=after, object_version=object_version)

    class Edited(Event):
        TOPIC = "paycore.PurchaseOrder.Edited"
        subject: str
        total: Money
        status: str
        object_version: int

    @event(Edited)
    def _edited(self, subject: str, total: Money, status: str, object_version: int) -> None:
        self.subject = subject
        self.total = total
        self.status = PurchaseOrderStatus(status)
        self.object_version = object_version

    def record_response(
        self, response: SupplierResponse, remarks: str, version: ObjectVersion | None
    ) -> None:
        self._change_status(RESPONSE_STATUS[response], remarks, version)

    def cancel(self, remarks: str, version: ObjectVersion | None) -> None:
        self._change_status(_O.CANCELLED, remarks, version)

    def close(self, version: ObjectVersion | None) -> None:
        self._change_status(_O.CLOSED, "", version)

    class StatusChanged(Event):
        TOPIC = "paycore.PurchaseOrder.StatusChanged"
        status: str
        remarks: str
        object_version: int

    @event(StatusChanged)
    def _status_changed(self, status: str, remarks: str, object_version: int) -> None:
        self.status = PurchaseOrderStatus(status)
        self.object_version = object_version

    def record_fulfilment(self, value: Money) -> None:
        """Goods or services worth ``value`` arrived; never more than was ordered."""
        status = _O.FULFILLED if value >= self.unfulfilled else _O.PARTIALLY_FULFILLED
        self._move(status)
        if value > self.unfulfilled:
            msg = (
                f"{rupees(value)} is more than the {rupees(self.unfulfilled)} still unfulfilled on "
                f"purchase order {self.object_id}"
            )
            raise PurchaseOrderOverfulfilment(
                msg,
                purchase_order=self.object_id,
                value=str(value),
                unfulfilled=str(self.unfulfilled),
            )
        self._fulfilment_recorded(value=value, status=status)

    class FulfilmentRecorded(Event):
        TOPIC = "paycore.PurchaseOrder.FulfilmentRecorded"
        value: Money
        status: str

    @event(FulfilmentRecorded)
    def _fulfilment_recorded(self, value: Money, status: str) -> None:
        self.fulfilled += value
        self.status = PurchaseOrderStatus(status)
