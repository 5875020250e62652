"""The business-rule gaps mutation testing found (issue 16): each rule at its boundary,
on both sides, with the refusal's code and details."""

from __future__ import annotations

from typing import Any

from paycore.domain.core import PaymentsCore
from paycore.domain.errors import BalanceCapExceeded, PaycoreError
from paycore.domain.money import MAX_AMOUNT, Money
from paycore.domain.payment import MAX_INVOICES
from tests.domain.rule_checks import accepted_invoice, authorised_payment, refused, settle
from tests.domain.test_card_account import active_card, open_account
from tests.domain.test_purchase_order import order_in


def test_a_credit_note_leaves_a_partially_paid_invoice_partially_paid(
    core: PaymentsCore,
) -> None:
    invoice_id = accepted_invoice(core, "1000.00")
    settle(core, invoice_id, "400.00")
    core.receive_cd_note(invoice_id, "CN-PART", "CREDIT", "599.99")
    core.confirm_cd_note(invoice_id, "CN-PART")
    invoice = core.get_invoice(invoice_id)
    assert invoice.status == "PARTIALLY_PAID"
    assert invoice.outstanding == Money("0.01")


def test_a_credit_note_for_all_that_is_left_marks_a_partially_paid_invoice_paid(
    core: PaymentsCore,
) -> None:
    invoice_id = accepted_invoice(core, "1000.00")
    settle(core, invoice_id, "400.00")
    core.receive_cd_note(invoice_id, "CN-REST", "CREDIT", "600.00")
    core.confirm_cd_note(invoice_id, "CN-REST")
    invoice = core.get_invoice(invoice_id)
    assert invoice.status == "PAID"
    assert invoice.outstanding == Money.ZERO


def test_a_credit_note_for_all_of_an_unpaid_invoice_does_not_mark_it_paid(
    core: PaymentsCore,
) -> None:
    invoice_id = accepted_invoice(core, "1000.00")
    core.receive_cd_note(invoice_id, "CN-ALL", "CREDIT", "1000.00")
    core.confirm_cd_note(invoice_id, "CN-ALL")
    assert core.get_invoice(invoice_id).status == "ACCEPTED"


def test_a_credit_note_while_a_payment_is_in_flight_does_not_mark_the_invoice_paid(
    core: PaymentsCore,
) -> None:
    invoice_id = accepted_invoice(core, "1000.00")
    settle(core, invoice_id, "400.00")
    authorised_payment(core, invoice_id, "100.00")
    core.receive_cd_note(invoice_id, "CN-REST", "CREDIT", "500.00")
    core.confirm_cd_note(invoice_id, "CN-REST")
    invoice = core.get_invoice(invoice_id)
    assert invoice.status == "PARTIALLY_PAID"
    assert invoice.outstanding == Money.ZERO


def stale_refusal(core: PaymentsCore, step: Any, *args: Any) -> PaycoreError:
    with refused(core, PaycoreError, "OBJECT_VERSION_STALE") as refusal:
        step(*args)
    return refusal.value


def test_closing_a_purchase_order_checks_its_object_version(core: PaymentsCore) -> None:
    po_id = order_in(core, "FULFILLED", 1)
    current = core.get_purchase_order(po_id).object_version
    stale = stale_refusal(
        core,
        lambda: core.close_purchase_order(po_id, object_version=(current - 1, current)),
    )
    assert stale.code == "OBJECT_VERSION_STALE"
    assert core.get_purchase_order(po_id).status == "FULFILLED"
    core.close_purchase_order(po_id, object_version=(current, current + 1))
    order = core.get_purchase_order(po_id)
    assert (order.status, order.object_version) == ("CLOSED", current + 1)


def test_a_payment_names_at_most_one_hundred_invoices(core: PaymentsCore) -> None:
    assert MAX_INVOICES == 100
    invoices = [accepted_invoice(core, "10.00", number) for number in range(1, 102)]
    with refused(core, PaycoreError, "PAYMENT_INVOICES") as refusal:
        core.initiate_payment(invoices)
    assert refusal.value.details == {"count": 101}
    assert refusal.value.message == "a payment names 1-100 invoices, not 101"
    payment_id = core.initiate_payment(invoices[:100])
    assert core.get_payment(payment_id).amount == Money("1000.00")


def test_a_payment_names_at_least_one_invoice(core: PaymentsCore) -> None:
    with refused(core, PaycoreError, "PAYMENT_INVOICES") as refusal:
        core.initiate_payment([])
    assert refusal.value.details == {"count": 0}
    assert refusal.value.message == "a payment names 1-100 invoices, not 0"


def test_a_load_past_the_largest_amount_is_refused_as_over_the_cap_naming_the_sum(
    core: PaymentsCore,
) -> None:
    """A valid load whose sum with the balance is above the largest amount describes a
    real state (a cap exceeded), not an amount nobody sent (found by tests/soak)."""
    account_id = open_account(core, cap=str(MAX_AMOUNT))
    card_id = active_card(core, account_id, initial_load="1000.00")
    with refused(core, BalanceCapExceeded, "BALANCE_CAP") as refusal:
        core.load_card(account_id, card_id, str(MAX_AMOUNT))
    assert refusal.value.details == {
        "balance_after": "10000000000999.99",
        "cap": "9999999999999.99",
        "card_id": card_id,
    }
    assert refusal.value.message == (
        "the card balance would be ₹1,00,00,00,00,00,999.99, above the account's cap of "
        "₹99,99,99,99,99,999.99"
    )
    core.load_card(account_id, card_id, str(MAX_AMOUNT - 1000))
    assert core.get_card_account(account_id).card(card_id).balance == Money(MAX_AMOUNT)
