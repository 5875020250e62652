"""An amount in a webhook, in any form its number may take (100, 1E+2, 100.0, a Decimal
with an exponent), reaches the invoice, its view and the relay as a plain decimal with
two places, never in exponent notation."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any
from uuid import UUID

from hypothesis import given, settings
from hypothesis import strategies as st

from paycore.adapters.webhooks.routes import ROUTES
from paycore.domain import CommandContext, PaymentsCore
from paycore.projections import INVOICES, Projector

PLAIN = re.compile(r"^[0-9]+\.[0-9]{2}$")
CREATE = "api/v0/invoice/req-create-invoice"


def body(total: object, object_id: str) -> dict[str, Any]:
    return {
        "b2bIds": {"buyerB2BId": "ACMEBUYER01", "supplierB2BId": "WIDGETSSUP01"},
        "invoice": {
            "objectId": object_id,
            "supplierInvoiceNumber": "WID/2026/1",
            "objectVersion": {"currentVersion": 0, "newVersion": 1},
            "invoiceAmount": {"totalAmount": total},
        },
    }


@st.composite
def totals(draw: st.DrawFn) -> tuple[Decimal, object]:
    """A total in paise, and one form a webhook's amount may take of it: a Decimal as a
    host's own parser gives it (exponent notation included), or a JSON number such as
    ``1E+2`` or ``100.0`` as the inbox's parser gives it."""
    paise = draw(st.integers(1, 10**12))
    exact = Decimal(paise).scaleb(-2)
    forms: list[object] = [exact, exact.normalize(), Decimal(f"{exact.normalize():E}")]
    for text in (f"{exact.normalize():E}", f"{exact:f}", f"{exact.normalize():f}"):
        number = json.loads(text)
        if Decimal(repr(number)) == exact:  # a float that holds the amount exactly
            forms.append(number)
    return exact, draw(st.sampled_from(forms))


@settings(max_examples=60, deadline=None)
@given(total=totals())
def test_a_webhook_amount_is_stored_and_projected_as_a_plain_decimal(
    total: tuple[Decimal, object],
) -> None:
    exact, form = total
    core = PaymentsCore("memory://")
    try:
        command = ROUTES[CREATE].parse(body(form, "INV" + "A" * 32))
        assert command is not None
        invoice_id = command.run(core, CommandContext(actor="enkash", source="webhook"), "key-1")
        assert isinstance(invoice_id, UUID)
        invoice = core.get_invoice(invoice_id)
        assert PLAIN.match(str(invoice.total)), str(invoice.total)
        assert Decimal(str(invoice.total)) == exact
        with Projector(core) as projector:
            projector.update()
            (row,) = projector.store.select(INVOICES)
        assert PLAIN.match(f"{row.total}"), row.total
        assert row.total == exact
    finally:
        core.close()
