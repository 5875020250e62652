from paycore.domain.core import PaymentsCore


def test_an_invoice_survives_a_reopened_store(core: PaymentsCore, store_url: str) -> None:
    invoice_id = core.receive_invoice(
        "INV" + "A" * 32, "N-1", "100.00", buyer_b2b_id="B", supplier_b2b_id="S"
    )
    if store_url == "memory://":
        assert core.get_invoice(invoice_id).total.amount == 100
        return
    reopened = PaymentsCore(store_url)
    try:
        assert reopened.get_invoice(invoice_id).total == core.get_invoice(invoice_id).total
    finally:
        reopened.close()
