"""An aggregate rebuilt from a snapshot is the aggregate rebuilt from its events, down
to the types of its enum fields (a snapshot stores them as JSON strings)."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any
from uuid import uuid4

import pytest

from paycore.domain.aggregate import Audit, PaycoreAggregate, Source, recording
from paycore.domain.card_account import AccountType, CardAccount
from paycore.domain.core import PaymentsCore
from paycore.domain.invoice import BuyerResponse, Invoice, InvoiceStatus
from paycore.domain.money import Money
from paycore.domain.payment import Payment, PaymentStatus, PaymentType
from paycore.domain.purchase_order import PurchaseOrder, PurchaseOrderStatus

AUDIT = Audit("tester", Source.API, "corr", "cause", datetime(2026, 12, 2, tzinfo=UTC))


def aggregates() -> list[PaycoreAggregate]:
    with recording(AUDIT):
        account = CardAccount.create_with_id(
            uuid4(),
            "Opened",
            company_id="CO1",
            company_name="Acme",
            account_title="Acme",
            account_type="CORPORATE",
            balance_cap=Money("1000.00"),
        )
        invoice = Invoice(
            object_id=f"INV{uuid4().hex}",
            supplier_invoice_number="B-1",
            total=Money("100.00"),
            allows_partial=True,
            buyer_b2b_id="B",
            supplier_b2b_id="S",
            object_version=1,
        )
        invoice.respond(BuyerResponse.ACCEPT, "ok", None)
        payment = Payment.initiate(uuid4(), PaymentType.INVOICE, [invoice], Money("1.00"), "")
        order = PurchaseOrder(
            object_id=f"PO{uuid4().hex[:10].upper()}",
            buyer_po_number="PO-1",
            subject="Desks",
            total=Money("100.00"),
            buyer_b2b_id="B",
            supplier_b2b_id="S",
        )
        order.send(None)
    return [account, invoice, payment, order]


def enum_fields(aggregate: Any) -> dict[str, tuple[type, str]]:
    return {
        name: (type(getattr(aggregate, name)), str(getattr(aggregate, name)))
        for name in vars(aggregate)
        if isinstance(getattr(aggregate, name), StrEnum)
    }


@pytest.mark.parametrize("url", ["memory://", "sqlite"])
def test_a_snapshot_restores_every_enum_field_as_its_enum(url: str, tmp_path: Any) -> None:
    core = PaymentsCore(f"sqlite:///{tmp_path / 'p.db'}" if url == "sqlite" else url)
    try:
        for aggregate in aggregates():
            core.save(aggregate)
            snapshot = type(aggregate).Snapshot.take(aggregate)
            stored = core.mapper.to_stored_event(snapshot)
            restored = core.mapper.to_domain_event(stored).mutate(None)  # type: ignore[attr-defined]
            replayed = core.repository.get(aggregate.id)
            assert enum_fields(restored) == enum_fields(replayed) == enum_fields(aggregate)
            assert enum_fields(aggregate), type(aggregate).__name__
    finally:
        core.close()


def test_the_fields_a_snapshot_used_to_lose_read_as_enums() -> None:
    """The five fields that came back as ``str`` (and broke ``.value`` in the relay)."""
    account, invoice, payment, order = aggregates()
    for aggregate in (account, invoice, payment, order):
        for name, value in list(vars(aggregate).items()):
            if isinstance(value, StrEnum):
                vars(aggregate)[name] = str(value)  # as a snapshot restores it
    assert type(account.account_type) is AccountType  # type: ignore[attr-defined]
    assert type(invoice.status) is InvoiceStatus  # type: ignore[attr-defined]
    assert type(payment.payment_type) is PaymentType  # type: ignore[attr-defined]
    assert payment.payment_type.value == "INVOICE"  # type: ignore[attr-defined]
    assert type(payment.status) is PaymentStatus  # type: ignore[attr-defined]
    assert type(order.status) is PurchaseOrderStatus  # type: ignore[attr-defined]
