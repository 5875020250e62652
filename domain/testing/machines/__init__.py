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
store, can serve every example of a test. A host service runs the machines on a core it
built itself, with its own settings, store and wiring of ``PaymentsCore``:

    >>> from hypothesis import settings
    >>> from paycore.domain.core import PaymentsCore
    >>> from paycore.domain.testing.machines import ManualClock, run_machines
    >>> core = PaymentsCore("memory://", clock=ManualClock())
    >>> run_machines(core, settings=settings(max_examples=5, stateful_step_count=10))
    >>> core.close()

or collects one machine as a ``unittest.TestCase``: ``machine_for(PaymentMachine, lambda:
core)``. The machines change no setting of the core and never close it. They read the
time by the core's clock: built with a :class:`ManualClock`, the clock moves on between
steps (so OTPs expire); with a real clock, nothing expires within an example. Snapshots
are taken at the core's own ``snapshotting_intervals``, and by a rule of their own. For
the length of an example a machine stands in for the core's ``latest.remember`` (which
every save goes through) to keep each aggregate as its command left it, and gives it
back afterwards.
"""

from collections.abc import Sequence

import hypothesis
from hypothesis.stateful import run_state_machine_as_test

from paycore.domain.core import PaymentsCore
from paycore.domain.testing.machines.base import (
    ManualClock,
    PaycoreMachine,
    bind,
    machine_for,
)
from paycore.domain.testing.machines.cards import CardAccountMachine
from paycore.domain.testing.machines.invoices import InvoiceMachine
from paycore.domain.testing.machines.payments import PaymentMachine
from paycore.domain.testing.machines.purchase_orders import PurchaseOrderMachine

#: Every machine, in the order :func:`run_machines` runs them.
MACHINES: tuple[type[PaycoreMachine], ...] = (
    CardAccountMachine,
    InvoiceMachine,
    PaymentMachine,
    PurchaseOrderMachine,
)


def run_machines(
    core: PaymentsCore,
    machines: Sequence[type[PaycoreMachine]] = MACHINES,
    *,
    settings: hypothesis.settings | None = None,
) -> None:
    """Runs each machine on ``core`` (every example on the same core); the first broken
    invariant raises. Without ``settings``, the active hypothesis profile's, with no
    deadline: a step on a real store takes as long as the store takes."""
    chosen = settings or hypothesis.settings(deadline=None)
    for machine in machines:
        run_state_machine_as_test(bind(machine, lambda: core), settings=chosen)


__all__ = [
    "MACHINES",
    "CardAccountMachine",
    "InvoiceMachine",
    "ManualClock",
    "PaycoreMachine",
    "PaymentMachine",
    "PurchaseOrderMachine",
    "bind",
    "machine_for",
    "run_machines",
]
