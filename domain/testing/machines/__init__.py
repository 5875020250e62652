"""Stateful machines that drive :class:`~paycore.domain.core.PaymentsCore` against a
small reference model and check paycore's invariants after every step.

Each machine keeps plain records of what it expects (statuses, balances, reservations),
runs commands with valid arguments in any order, expects the precise typed refusal
whenever the model says a rule forbids a command (and that the refusal wrote nothing),
and checks after each step that:

- the core agrees with the model;
- amounts stay within their bounds (an invoice's outstanding never goes below zero,
  its reserved and settled payments never exceed what is owed, a card balance stays
  between zero and the account's cap, a purchase order is never over-fulfilled);
- a terminal status never changes;
- replaying an aggregate's stored events gives the state the command left it in, and
  rebuilding it from its latest snapshot gives the same state again.

Every example uses fresh aggregates (new uuid4 ids and objectIds), so one core, and one
store, can serve every example of a test. A host service runs the machines on its own
store, with its own wiring of ``PaymentsCore`` (pytest or unittest collect the class):

    >>> from hypothesis import settings
    >>> from paycore.domain.core import PaymentsCore
    >>> from paycore.domain.testing.machines import PurchaseOrderMachine, machine_for
    >>> core = PaymentsCore("memory://")
    >>> TestPurchaseOrders = machine_for(PurchaseOrderMachine, lambda: core)
    >>> TestPurchaseOrders.settings = settings(max_examples=5, stateful_step_count=10)
    >>> TestPurchaseOrders().runTest()

The machines set the core's ``clock`` (to a :class:`ManualClock`) and its
``snapshotting_intervals`` (to :data:`SNAPSHOT_INTERVAL`), and never close the core.
"""

from paycore.domain.testing.machines.base import (
    SNAPSHOT_INTERVAL,
    ManualClock,
    PaycoreMachine,
    bind,
    machine_for,
)
from paycore.domain.testing.machines.cards import CardAccountMachine
from paycore.domain.testing.machines.invoices import InvoiceMachine
from paycore.domain.testing.machines.payments import PaymentMachine
from paycore.domain.testing.machines.purchase_orders import PurchaseOrderMachine

__all__ = [
    "SNAPSHOT_INTERVAL",
    "CardAccountMachine",
    "InvoiceMachine",
    "ManualClock",
    "PaycoreMachine",
    "PaymentMachine",
    "PurchaseOrderMachine",
    "bind",
    "machine_for",
]
