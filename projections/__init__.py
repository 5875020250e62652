"""Read models built from the event log, and the audit-trail queries.

::

    from paycore.projections import AuditTrail, Projector

    with Projector(core) as projector:      # views in the event store's database
        projector.update()                  # catch up; or follow(stop_event) in a thread
        trail = AuditTrail(core, projector.store)
        trail.events(actor="ops@acme.example")
"""

from paycore.projections.audit import AuditTrail
from paycore.projections.chain import Digest, Verification
from paycore.projections.runner import Projector, default_views, open_views
from paycore.projections.store import ViewStore
from paycore.projections.views import (
    AUDIT_TRAIL,
    CARD_TRANSACTIONS,
    CARDS,
    HOLDERS,
    INVOICES,
    PAYMENTS,
    PURCHASE_ORDERS,
    AuditEvent,
    CardRow,
    CardTransactionRow,
    HolderRow,
    InvoiceRow,
    PaymentRow,
    PurchaseOrderRow,
)

__all__ = [
    "AUDIT_TRAIL",
    "CARDS",
    "CARD_TRANSACTIONS",
    "HOLDERS",
    "INVOICES",
    "PAYMENTS",
    "PURCHASE_ORDERS",
    "AuditEvent",
    "AuditTrail",
    "CardRow",
    "CardTransactionRow",
    "Digest",
    "HolderRow",
    "InvoiceRow",
    "PaymentRow",
    "Projector",
    "PurchaseOrderRow",
    "Verification",
    "ViewStore",
    "default_views",
    "open_views",
]
