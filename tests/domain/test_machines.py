"""The stateful machines of paycore.domain.testing, each on memory, a SQLite file and
PostgreSQL: after every step of any sequence of commands, every invariant holds."""

from __future__ import annotations

import doctest
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
from hypothesis import settings
from hypothesis.stateful import run_state_machine_as_test

from paycore.domain.card_account import CardAccount
from paycore.domain.core import PaymentsCore
from paycore.domain.holder import Holder
from paycore.domain.invoice import Invoice
from paycore.domain.payment import Payment
from paycore.domain.personal_data import MasterKey
from paycore.domain.purchase_order import PurchaseOrder
from paycore.domain.testing import machines
from paycore.domain.testing.machines import (
    CardAccountMachine,
    InvoiceMachine,
    ManualClock,
    PaycoreMachine,
    PaymentMachine,
    PurchaseOrderMachine,
    bind,
)
from tests.conftest import PostgresSchema, require_postgres

STORES = ["memory", "sqlite", "postgres"]
#: Steps an example: long enough to reach the late statuses, short enough for CI.
STEPS = 30


class OftenSnapshotted(PaymentsCore):
    """Snapshots every third event of an aggregate, so that short examples take some."""

    snapshotting_intervals = dict.fromkeys(
        (CardAccount, Holder, Invoice, Payment, PurchaseOrder), 3
    )


@contextmanager
def core_on(store: str, directory: Path) -> Iterator[PaymentsCore]:
    """One PaymentsCore on a fresh store of the kind named, for every example of a test."""
    with ExitStack() as stack:
        if store == "memory":
            url = "memory://"
        elif store == "sqlite":
            url = f"sqlite:///{directory / 'paycore.db'}"
        else:
            require_postgres()
            url = stack.enter_context(PostgresSchema()).url
        # A manual clock, so the machines move time on and OTPs expire; a master key, so
        # the card machine has holders on every store.
        core = OftenSnapshotted(url, clock=ManualClock(), key_provider=MasterKey(bytes(32)))
        stack.callback(core.close)
        yield core


@pytest.mark.parametrize("store", STORES)
@pytest.mark.parametrize(
    "machine",
    [CardAccountMachine, InvoiceMachine, PaymentMachine, PurchaseOrderMachine],
    ids=lambda m: m.__name__,
)
def test_every_invariant_holds_after_every_step(
    machine: type[PaycoreMachine], store: str, tmp_path: Path
) -> None:
    """Any sequence of commands keeps every invariant the machine checks."""
    with core_on(store, tmp_path) as core:
        run_state_machine_as_test(
            bind(machine, lambda: core), settings=settings(stateful_step_count=STEPS)
        )


def test_the_kit_docstring_example_runs() -> None:
    """The usage example a host service copies from the machines module works."""
    assert doctest.testmod(machines, raise_on_error=True).attempted > 0
