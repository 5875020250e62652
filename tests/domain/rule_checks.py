"""What the domain rule tests share: refusals that write nothing, a clock to advance, and
invoices to pay."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from paycore.domain.core import PaymentsCore
from paycore.domain.errors import PaycoreError


def written(core: PaymentsCore) -> int:
    """How many events the store holds (positions may have gaps: PostgreSQL)."""
    return len(core.recorder.select_notifications(0, 10**9))


@contextmanager
def refused(
    core: PaymentsCore, error: type[PaycoreError], code: str
) -> Iterator[pytest.ExceptionInfo[PaycoreError]]:
    """The command run inside is refused with ``error`` and ``code``, and writes nothing."""
    before = written(core)
    with pytest.raises(error) as refusal:
        yield refusal
    assert refusal.value.code == code
    assert written(core) == before, "a refused command wrote events"


def refused_moves(
    core: PaymentsCore,
    error: type[PaycoreError],
    code: str,
    moves: Mapping[str, Callable[[], object]],
) -> dict[str, dict[str, Any]]:
    """Runs each move, which must be ``refused``; returns each refusal's details by move."""
    details = {}
    for name, move in moves.items():
        with refused(core, error, code) as refusal:
            move()
        details[name] = refusal.value.details
    return details


def named_in(refusals: dict[str, dict[str, Any]]) -> dict[str, tuple[str, str, list[str]]]:
    """The (status, attempted, allowed) each lifecycle refusal names, by move."""
    return {name: (d["status"], d["attempted"], d["allowed"]) for name, d in refusals.items()}


class ManualClock:
    """The core's clock, moved on by the test."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


# Invoices and payments against them.


def object_id(number: int) -> str:
    return f"INV{number:032d}"


def received_invoice(
    core: PaymentsCore, total: str = "1000.00", number: int = 1, *, allows_partial: bool = True
) -> UUID:
    return core.receive_invoice(
        object_id(number),
        f"SUP-{number}",
        total,
        allows_partial=allows_partial,
        buyer_b2b_id="buyer",
        supplier_b2b_id="supplier",
    )


def accepted_invoice(
    core: PaymentsCore, total: str = "1000.00", number: int = 1, *, allows_partial: bool = True
) -> UUID:
    invoice_id = received_invoice(core, total, number, allows_partial=allows_partial)
    core.respond_to_invoice(invoice_id, "ACCEPT", "ok")
    return invoice_id


def authorised_payment(core: PaymentsCore, invoice_id: UUID, amount: str | None = None) -> UUID:
    """A payment of ``amount`` (all that is outstanding if None), reserved on the invoice."""
    payment_id = core.initiate_payment([invoice_id], amount=amount)
    core.authorise_payment(payment_id, core.request_payment_otp(payment_id).otp)
    return payment_id


def settle(core: PaymentsCore, invoice_id: UUID, amount: str | None = None) -> None:
    payment_id = authorised_payment(core, invoice_id, amount)
    core.submit_payment(payment_id)
    core.record_payment_success(payment_id, "UTR0001")
