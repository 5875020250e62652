"""Checked by mypy, not run (``make typecheck``): AsyncPaymentsCore's methods take the
parameters of PaymentsCore's and give their results, awaited. A call mypy should refuse
carries an ignore for that error; if mypy stopped refusing it, the ignore would be
unused, and ``--strict`` fails on that."""

from __future__ import annotations

from typing import assert_type
from uuid import UUID

from paycore.domain import AsyncPaymentsCore, IssuedOtp
from paycore.domain.invoice import Invoice


async def a_payment(core: AsyncPaymentsCore, invoice_id: UUID) -> None:
    payment_id = await core.initiate_payment([invoice_id], amount="400.00")
    assert_type(payment_id, UUID)
    assert_type(await core.request_payment_otp(payment_id), IssuedOtp)
    assert_type(await core.authorise_payment(payment_id, "123456"), None)
    assert_type(await core.submit_payment(payment_id), str)
    assert_type(await core.get_invoice(invoice_id, version=2), Invoice)
    assert_type(core.invoice_id("INV" + "0" * 32), UUID)
    assert_type(await core.lock_card(invoice_id, "card-1"), None)
    await core.initiate_payment("INV1")  # type: ignore[arg-type]
    await core.authorise_payment(payment_id, otp=123456)  # type: ignore[arg-type]
    await core.submit_payment(payment_id, context="ops")  # type: ignore[arg-type]
    await core.load_card(invoice_id, "card-1", "1.00", pin="1234")  # type: ignore[call-arg]
