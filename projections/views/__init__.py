"""The read models: one module per view, each with its rows, its tables and its fold,
on what :mod:`~paycore.projections.views.base` gives them all."""

from paycore.projections.views.audit_trail import (
    AUDIT_TRAIL,
    AuditEvent,
    AuditTrailView,
    audit_event,
)
from paycore.projections.views.base import (
    AggregateView,
    EventView,
    Recorded,
    View,
    new_row,
    replace,
)
from paycore.projections.views.cards import (
    CARD_TRANSACTIONS,
    CARDS,
    CardRow,
    CardsView,
    CardTransactionRow,
)
from paycore.projections.views.holders import HOLDERS, SEALED, HolderRow, HoldersView, KeySource
from paycore.projections.views.invoices import INVOICES, InvoiceRow, InvoicesView
from paycore.projections.views.payments import PAYMENTS, PaymentRow, PaymentsView
from paycore.projections.views.purchase_orders import (
    PURCHASE_ORDERS,
    PurchaseOrderRow,
    PurchaseOrdersView,
)


def read_models(keys: KeySource | None = None) -> list[View]:
    """The views a projector keeps by default (the hash chain comes with them); ``keys``
    gives the holders view the data keys to mask holders' details with."""
    return [
        CardsView(),
        HoldersView(keys),
        InvoicesView(),
        PaymentsView(),
        PurchaseOrdersView(),
        AuditTrailView(),
    ]


__all__ = [
    "AUDIT_TRAIL",
    "CARDS",
    "CARD_TRANSACTIONS",
    "HOLDERS",
    "INVOICES",
    "PAYMENTS",
    "PURCHASE_ORDERS",
    "SEALED",
    "AggregateView",
    "AuditEvent",
    "AuditTrailView",
    "CardRow",
    "CardTransactionRow",
    "CardsView",
    "EventView",
    "HolderRow",
    "HoldersView",
    "InvoiceRow",
    "InvoicesView",
    "KeySource",
    "PaymentRow",
    "PaymentsView",
    "PurchaseOrderRow",
    "PurchaseOrdersView",
    "Recorded",
    "View",
    "audit_event",
    "new_row",
    "read_models",
    "replace",
]
