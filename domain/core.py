"""PaymentsCore: the one application that holds the five aggregates and runs every command.

One eventsourcing ``Application``, so there is one log and a command that changes
several aggregates (a payment and its invoices) saves them in one transaction. Its
commands come one module per aggregate (``paycore.domain.commands``), on the runner
that gives each its unit of work, retries, idempotency and audit (``paycore.domain.runner``).
"""

from __future__ import annotations

from typing import Any, ClassVar

from paycore.domain.card_account import CardAccount
from paycore.domain.commands.cards import CardCommands
from paycore.domain.commands.holders import HolderCommands
from paycore.domain.commands.invoices import InvoiceCommands
from paycore.domain.commands.payments import PaymentCommands
from paycore.domain.commands.purchase_orders import PurchaseOrderCommands
from paycore.domain.holder import Holder
from paycore.domain.invoice import Invoice
from paycore.domain.payment import Payment
from paycore.domain.purchase_order import PurchaseOrder
from paycore.domain.runner import CommandContext

__all__ = ["CommandContext", "PaymentsCore"]


class PaymentsCore(
    CardCommands, HolderCommands, InvoiceCommands, PaymentCommands, PurchaseOrderCommands
):
    """Holders, cards, invoices, payments and purchase orders in one event store.

    ``PaymentsCore("sqlite:///paycore.db")``; without a URL, ``PAYCORE_DATABASE_URL``.
    The settings are those of :class:`~paycore.domain.runner.CommandRunner`, and
    ``key_provider=`` (else ``PAYCORE_MASTER_KEY``) for holders' details
    (:class:`~paycore.domain.commands.holders.HolderCommands`).
    """

    name = "PaymentsCore"
    snapshotting_intervals: ClassVar[dict[type[Any], int]] = {
        CardAccount: 100,
        Holder: 100,
        Invoice: 100,
        Payment: 100,
        PurchaseOrder: 100,
    }
