"""The machines run on a core the host built, and leave every setting of it as it was."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from hypothesis import settings

from paycore.domain.core import PaymentsCore
from paycore.domain.invoice import Invoice
from paycore.domain.testing.machines import MACHINES, ManualClock, run_machines

FEW = settings(max_examples=5, stateful_step_count=15, derandomize=True)


class HostCore(PaymentsCore):
    """A host's own wiring: its own snapshot interval for invoices."""

    snapshotting_intervals = {Invoice: 7}


def host_clock() -> datetime:
    return datetime.now(UTC)


def test_running_the_machines_changes_no_setting_of_the_hosts_core() -> None:
    core = HostCore("memory://", clock=host_clock, otp_key=secrets.token_bytes(32))
    own = dict(vars(core))
    run_machines(core, settings=FEW)
    assert core.clock is host_clock
    assert core.snapshotting_intervals == {Invoice: 7}
    assert dict(vars(core)).keys() == own.keys()
    assert "remember" not in vars(core.latest)
    core.close()


def test_on_a_manual_clock_the_machines_move_the_hosts_clock_on() -> None:
    clock = ManualClock()
    start = clock.now
    core = PaymentsCore("memory://", clock=clock)
    run_machines(core, settings=FEW)
    assert core.clock is clock
    assert clock.now > start
    core.close()


def test_every_machine_is_run() -> None:
    assert {m.__name__ for m in MACHINES} == {
        "CardAccountMachine",
        "InvoiceMachine",
        "PaymentMachine",
        "PurchaseOrderMachine",
    }
