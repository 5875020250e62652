"""The purchase orders view: each order's status, objectVersion and fulfilment."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import ClassVar
from uuid import UUID

from paycore.domain.money import Money
from paycore.domain.purchase_order import PurchaseOrder, unfulfilled_of
from paycore.projections.tables import Table
from paycore.projections.views.base import (
    ZERO,
    AggregateView,
    Fields,
    Handler,
    Recorded,
    change,
    created,
    new_status,
    replace,
)


@dataclass(frozen=True)
class PurchaseOrderRow:
    po_id: UUID
    object_id: str
    buyer_po_number: str
    subject: str
    buyer_b2b_id: str
    supplier_b2b_id: str
    status: str
    object_version: int
    total: Decimal
    fulfilled: Decimal
    unfulfilled: Decimal
    version: int
    updated_at: datetime


PURCHASE_ORDERS = Table("paycore_purchase_orders", PurchaseOrderRow, key=("po_id",), group="po_id")


def _unfulfilled(total: Decimal, fulfilled: Decimal) -> Decimal:
    return unfulfilled_of(Money(total), Money(fulfilled)).amount


def _drafted(recorded: Recorded) -> PurchaseOrderRow:
    e = recorded.fields
    total = Decimal(e["total"])
    return PurchaseOrderRow(
        po_id=recorded.aggregate_id,
        object_id=e["object_id"],
        buyer_po_number=e["buyer_po_number"],
        subject=e["subject"],
        buyer_b2b_id=e["buyer_b2b_id"],
        supplier_b2b_id=e["supplier_b2b_id"],
        status=e["status"],
        object_version=e["object_version"],
        total=total,
        fulfilled=ZERO,
        unfulfilled=_unfulfilled(total, ZERO),
        version=recorded.version,
        updated_at=recorded.timestamp,
    )


def _edited(row: PurchaseOrderRow, e: Fields) -> PurchaseOrderRow:
    total = Decimal(e["total"])
    moved = new_status(row, e)
    return replace(
        moved, subject=e["subject"], total=total, unfulfilled=_unfulfilled(total, row.fulfilled)
    )


def _fulfilment(row: PurchaseOrderRow, e: Fields) -> PurchaseOrderRow:
    fulfilled = row.fulfilled + Decimal(e["value"])
    return replace(
        row,
        status=e["status"],
        fulfilled=fulfilled,
        unfulfilled=_unfulfilled(row.total, fulfilled),
    )


class PurchaseOrdersView(AggregateView[PurchaseOrderRow]):
    """Purchase orders with their status, objectVersion and fulfilment."""

    name = "paycore.purchase_orders"
    table = PURCHASE_ORDERS
    aggregate = PurchaseOrder
    changes: ClassVar[Mapping[str, Handler]] = dict(
        [
            created(PurchaseOrder.Drafted, _drafted),
            change(PurchaseOrder.StatusChanged, new_status),
            change(PurchaseOrder.Edited, _edited),
            change(PurchaseOrder.FulfilmentRecorded, _fulfilment),
        ]
    )
