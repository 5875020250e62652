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
from paycore.projections.views.invoices import INVOICES, InvoiceRow, InvoicesView
from paycore.projections.views.payments import PAYMENTS, PaymentRow, PaymentsView
from paycore.projections.views.purchase_orders import (
    PURCHASE_ORDERS,
    PurchaseOrderRow,
    PurchaseOrdersView,
)


def read_models() -> list[View]:
    """The views a projector keeps by default (the hash chain comes with them)."""
    return [CardsView(), InvoicesView(), PaymentsView(), PurchaseOrdersView(), AuditTrailView()]


__all__ = [
    "AUDIT_TRAIL",
    "CARDS",
    "CARD_TRANSACTIONS",
    "INVOICES",
    "PAYMENTS",
    "PURCHASE_ORDERS",
    "AggregateView",
    "AuditEvent",
    "AuditTrailView",
    "CardRow",
    "CardTransactionRow",
    "CardsView",
    "EventView",
    "InvoiceRow",
    "InvoicesView",
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
