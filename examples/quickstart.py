"""paycore embedded in a script: an invoice arrives, is accepted and paid in part.

    python examples/quickstart.py sqlite:///quickstart.db
    python examples/quickstart.py "postgresql://postgres@127.0.0.1:5432/test?schema=acme"

The base install (``pip install paycore``) runs it on SQLite or memory://; PostgreSQL
needs ``pip install 'paycore[postgres]'``, and says so in one line when it is missing.
"""

from __future__ import annotations

import secrets
import sys
from uuid import uuid4

from paycore.domain import CommandContext, PaycoreError, PaymentsCore, __version__


def pay_an_invoice(url: str) -> str:
    """Receives an invoice of 1,180.00, accepts it and pays 500.00; the outstanding."""
    with PaymentsCore(url, otp_key=secrets.token_bytes(32)) as core:
        clerk = CommandContext(actor="clerk@acme.example", source="api")
        object_id = "INV" + uuid4().hex
        invoice_id = core.receive_invoice(
            object_id, "ACME/2026/0001", "1180.00",
            buyer_b2b_id="acme-buyer", supplier_b2b_id="widgets-supplier",
        )  # fmt: skip
        core.respond_to_invoice(invoice_id, "ACCEPT", "goods received", context=clerk)
        payment_id = core.initiate_payment([invoice_id], amount="500.00")
        otp = core.request_payment_otp(payment_id)
        core.authorise_payment(payment_id, otp.otp, context=clerk)
        core.submit_payment(payment_id)
        core.record_payment_success(payment_id, "UTR0000123")
        invoice = core.get_invoice(invoice_id)
        return f"{invoice.status} {invoice.outstanding.amount}"


def main(argv: list[str]) -> int:
    url = argv[1] if len(argv) > 1 else "sqlite:///quickstart.db"
    try:
        print(f"paycore {__version__}: {pay_an_invoice(url)}")
    except PaycoreError as error:
        print(error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
