"""Every endpoint, from the client to the sandbox and back over loopback HTTP."""

from __future__ import annotations

from decimal import Decimal

import pytest

from paycore.adapters.enkash import (
    EnkashClient,
    RemoteBusinessError,
    RemoteDuplicateError,
)
from paycore.adapters.enkash import models as m
from paycore.adapters.sandbox import Sandbox
from tests.adapters.enkash.builders import (
    COMPANY,
    INVOICE_ID,
    NO_INFOS,
    PAYMENT_ID,
    b2b_envelope,
    card_ref,
    credit_note,
    invoice_confirmation,
    issue_card,
    load_request,
    open_account,
    purchase_order,
    version,
)


def test_card_account_is_created_then_read_back(client: EnkashClient) -> None:
    created = open_account(client)
    read = client.get_card_account(
        m.CardAccountQuery(companyId=COMPANY, cardAccountId=created.cardAccountId)
    )
    assert read.cardAccountId == created.cardAccountId
    assert read.accountType == "CORPORATE"
    assert read.availableBalance == Decimal("0")


def test_prepaid_card_is_issued_unlocked_with_a_masked_number(
    client: EnkashClient,
) -> None:
    card = issue_card(client, open_account(client))
    assert card.blockCode == "UL"
    assert card.giftCard is False
    assert card.maskedNumber is not None
    assert card.maskedNumber.startswith("XXXX XXXX XXXX ")


def test_gift_card_is_issued_with_its_value(client: EnkashClient) -> None:
    card = issue_card(client, open_account(client, "GIFT"), load="500.00")
    details = client.get_card_details(m.CardRef(**card_ref(card)))
    assert details.giftCard is True
    assert details.balance == Decimal("500")


def test_load_credits_the_card_and_is_found_by_its_reference(
    client: EnkashClient,
) -> None:
    account = open_account(client)
    card = issue_card(client, account)
    loaded = client.load_balance(load_request(card, "1250.75", "LOAD-0001"))
    assert loaded.pgReferenceNumber == "LOAD-0001"
    assert loaded.amount == Decimal("1250.75")
    assert loaded.cardTransactionType == "CR"
    found = client.find_transaction(
        m.TransactionQuery(**card_ref(card), pgReferenceNumber="LOAD-0001")
    )
    assert found == loaded
    balance = client.get_card_account(
        m.CardAccountQuery(companyId=COMPANY, cardAccountId=account.cardAccountId)
    )
    assert balance.availableBalance == Decimal("1250.75")


def test_transaction_lookup_of_an_unknown_reference_finds_nothing(
    client: EnkashClient,
) -> None:
    card = issue_card(client, open_account(client))
    query = m.TransactionQuery(**card_ref(card), pgReferenceNumber="NEVER-SENT")
    assert client.find_transaction(query) is None


def test_set_pin_answers_in_the_code_message_envelope(
    client: EnkashClient, sandbox: Sandbox
) -> None:
    card = issue_card(client, open_account(client))
    answer = client.set_pin(m.SetPinRequest(**card_ref(card), pinBlock="9078"))
    assert (answer.code, answer.payload) == (0, "Success")
    assert sandbox.state.cards[card.enKashCardId].pinSet


def test_card_otp_is_issued_and_confirms_a_replacement(
    client: EnkashClient, sandbox: Sandbox
) -> None:
    card = issue_card(client, open_account(client))
    client.load_balance(load_request(card, "40.00", "LOAD-R1"))
    otp = client.generate_card_otp(
        m.CardOtpRequest(cardAccountId=card.cardAccountId, enKashCardId=card.enKashCardId)
    )
    sms = sandbox.state.latest_otp(card.enKashCardId)
    assert otp.otpRequestId == sms.otpRequestId
    answer = client.replace_card(
        m.ReplaceCardRequest(
            enKashCardId=card.enKashCardId,
            cardAccountId=card.cardAccountId,
            otpMedium="MOBILE",
            otpRequired=True,
            otpRequestId=otp.otpRequestId,
            otp=sms.otp,
        )
    )
    new_card = sandbox.state.cards[answer.payload]
    old_card = sandbox.state.cards[card.enKashCardId]
    assert (old_card.blockCode, old_card.balance) == ("BL", Decimal("0"))
    assert new_card.balance == Decimal("40.00")


def test_replacement_with_a_wrong_otp_is_declined(client: EnkashClient, sandbox: Sandbox) -> None:
    card = issue_card(client, open_account(client))
    client.generate_card_otp(
        m.CardOtpRequest(cardAccountId=card.cardAccountId, enKashCardId=card.enKashCardId)
    )
    wrong = "000000" if sandbox.state.latest_otp(card.enKashCardId).otp != "000000" else "111111"
    with pytest.raises(RemoteBusinessError) as declined:
        client.replace_card(
            m.ReplaceCardRequest(
                enKashCardId=card.enKashCardId,
                otpMedium="MOBILE",
                otpRequired=True,
                otp=wrong,
            )
        )
    assert declined.value.remote_code == 1
    assert sandbox.state.cards[card.enKashCardId].blockCode == "UL"


def test_usage_controls_apply_to_every_named_card_and_read_back(
    client: EnkashClient,
) -> None:
    account = open_account(client)
    cards = [issue_card(client, account) for _ in range(3)]
    client.set_usage_controls(
        m.UsageControlsRequest(
            companyId=COMPANY,
            cardAccountId=account.cardAccountId,
            enKashCardIds=[card.enKashCardId for card in cards],
            atmAllowed=False,
            perTxnLimit=Decimal("5000.00"),
            dtdCount=10,
        )
    )
    limits = client.get_usage_limits(m.CardRef(**card_ref(cards[2])))
    assert (limits.atmAllowed, limits.perTxnLimit, limits.dtdCount) == (
        False,
        Decimal("5000"),
        10,
    )
    assert limits.createdOn is not None
    assert limits.createdOn.endswith(("AM", "PM"))


def test_usage_controls_naming_a_card_of_another_account_are_declined(
    client: EnkashClient,
) -> None:
    mine = issue_card(client, open_account(client))
    theirs = issue_card(client, open_account(client))
    with pytest.raises(RemoteBusinessError, match=theirs.enKashCardId):
        client.set_usage_controls(
            m.UsageControlsRequest(
                companyId=COMPANY,
                cardAccountId=mine.cardAccountId,
                enKashCardIds=[mine.enKashCardId, theirs.enKashCardId],
                posAllowed=False,
            )
        )


def test_block_codes_lock_unlock_and_block_for_good(client: EnkashClient) -> None:
    card = issue_card(client, open_account(client))

    def block(code: str) -> str | None:
        client.block_card(m.BlockCardRequest(**card_ref(card), blockCode=code, otpMedium="MOBILE"))
        return client.get_card_details(m.CardRef(**card_ref(card))).blockCode

    assert block("L") == "L"
    assert block("UL") == "UL"
    assert block("BL") == "BL"
    with pytest.raises(RemoteBusinessError, match="cannot move from BL to UL"):
        block("UL")


def test_card_search_lists_the_cards_of_the_account(client: EnkashClient) -> None:
    account = open_account(client)
    cards = [issue_card(client, account) for _ in range(2)]
    issue_card(client, open_account(client))
    found = client.search_cards(
        m.CardSearchRequest(companyId=COMPANY, cardAccountId=account.cardAccountId)
    )
    assert [c.enKashCardId for c in found] == [c.enKashCardId for c in cards]


def test_invoice_confirmation_and_status_change_are_acknowledged(
    client: EnkashClient, sandbox: Sandbox
) -> None:
    assert client.confirm_invoice(invoice_confirmation()).payload == "SUCCESS"
    answer = client.change_invoice_status(
        m.ChangeInvoiceStatusRequest(
            **b2b_envelope(),
            invoiceStatus={
                "objectId": INVOICE_ID,
                "supplierInvoiceNumber": "SI/2025/001",
                "objectVersion": version(1, 2),
                "supplierAction": "CANCEL",
                "supplierRemarks": "Raised in error",
                "statusTransition": {"currentStatus": "CREATED", "newStatus": "CANCELLED"},
            },
        )
    )
    assert answer.code == 0
    assert sandbox.ledger.count_applied(reference=INVOICE_ID) == 2


def test_a_b2b_message_repeated_with_the_same_version_is_a_duplicate(
    client: EnkashClient, sandbox: Sandbox
) -> None:
    client.confirm_invoice(invoice_confirmation())
    with pytest.raises(RemoteDuplicateError) as duplicate:
        client.confirm_invoice(invoice_confirmation())
    assert (duplicate.value.http_status, duplicate.value.remote_code) == (409, 38)
    assert sandbox.ledger.count_applied("confirm_invoice") == 1


def pay_invoice_request() -> m.PayInvoiceRequest:
    return m.PayInvoiceRequest(
        **b2b_envelope(),
        payment={
            "objectId": PAYMENT_ID,
            "ts": "2025-07-20T09:30:00Z",
            "type": "OFFPLATFORM",
            "mode": "NEFT",
            "utr": "UTR000123456",
            "paymentAmount": {
                "netPaidAmount": Decimal("1000.00"),
                "netAdjustmentAmount": Decimal("0"),
                "totalAmount": Decimal("1000.00"),
            },
            "invoicesPayInfos": [
                {
                    "objectId": INVOICE_ID,
                    "supplierInvoiceNumber": "SI/2025/001",
                    "objectVersion": version(1, 2),
                    "statusTransition": {
                        "currentStatus": "ACCEPTED",
                        "newStatus": "PARTIALLY_PAID",
                    },
                    "invoiceAmount": {
                        "dueAmount": Decimal("2950.00"),
                        "totalAmount": Decimal("2950.00"),
                    },
                    "invoicePaymentAmount": {
                        "netPaidAmount": Decimal("1000.00"),
                        "netAdjustmentAmount": Decimal("0"),
                        "totalAmount": Decimal("1000.00"),
                    },
                    "supplierBankAccountDetails": {
                        "maskedAccountNumber": "XXXXXX1234",
                        "ifsc": "HDFC0001234",
                        "beneficiaryName": "Supplier Pvt Ltd",
                    },
                }
            ],
        },
    )


def test_pay_invoice_is_acknowledged_once_per_payment_object(
    client: EnkashClient, sandbox: Sandbox
) -> None:
    assert client.pay_invoice(pay_invoice_request()).code == 0
    with pytest.raises(RemoteDuplicateError):
        client.pay_invoice(pay_invoice_request())
    assert sandbox.ledger.count_applied("pay_invoice", PAYMENT_ID) == 1


def test_purchase_order_send_edit_confirm_and_status_change(
    client: EnkashClient, sandbox: Sandbox
) -> None:
    client.send_purchase_order(
        m.SendPurchaseOrderRequest(**b2b_envelope(), **NO_INFOS, purchaseOrder=purchase_order())
    )
    client.edit_purchase_order(
        m.SendPurchaseOrderRequest(
            **b2b_envelope(), **NO_INFOS, purchaseOrder=purchase_order(new_version=2)
        )
    )
    client.confirm_purchase_order(
        m.ConfirmPurchaseOrderRequest(
            **b2b_envelope(),
            **NO_INFOS,
            poConfirmation={
                "objectId": "PO-0001",
                "buyerPONumber": "BPO/2025/77",
                "supplierResponse": "ACCEPT",
                "supplierRemarks": "Will deliver on time",
                "objectVersion": version(2, 3),
                "poStatusTransition": {"currentStatus": "SENT", "newStatus": "ACCEPTED"},
            },
        )
    )
    client.change_purchase_order_status(
        m.ChangePurchaseOrderStatusRequest(
            **b2b_envelope(),
            **NO_INFOS,
            poStatus={
                "objectId": "PO-0001",
                "buyerPONumber": "BPO/2025/77",
                "objectVersion": version(3, 4),
                "buyerAction": "CANCEL",
                "buyerRemarks": "Budget withdrawn",
                "poStatusTransition": {
                    "currentStatus": "ACCEPTED",
                    "newStatus": "CANCELLED",
                },
            },
        )
    )
    assert [e.endpoint for e in sandbox.ledger.applied] == [
        "send_purchase_order",
        "edit_purchase_order",
        "confirm_purchase_order",
        "change_purchase_order_status",
    ]


def test_credit_note_is_sent_then_confirmed(client: EnkashClient, sandbox: Sandbox) -> None:
    client.send_credit_debit_note(
        m.SendCreditDebitNoteRequest(**b2b_envelope(), **NO_INFOS, cdNote=credit_note())
    )
    client.confirm_credit_debit_note(
        m.ConfirmCreditDebitNoteRequest(
            **b2b_envelope(),
            **NO_INFOS,
            cdNoteConfirmation={
                "objectId": "CDN-0001",
                "noteType": "CREDIT",
                "supplierCDNoteNumber": "CN/2025/9",
                "objectVersion": version(1, 2),
                "buyerResponse": "ACCEPT",
                "buyerRemarks": "Agreed",
                "cdNoteStatusTransition": {"currentStatus": "CREATED", "newStatus": "ACCEPTED"},
            },
        )
    )
    assert sandbox.ledger.count_applied(reference="CDN-0001") == 2


def test_ap_payment_is_accepted_once_per_urn(client: EnkashClient, sandbox: Sandbox) -> None:
    request = m.PaymentRequest(
        paymentIds=["PAYABLE-1"],
        paymentType="INVOICE",
        urn="URN-0001",
        partialPayment=True,
        amount=Decimal("499.99"),
        otpReferenceNumber="OTPREF1",
        otp="123456",
    )
    assert client.make_payment(request).code == 0
    with pytest.raises(RemoteDuplicateError) as duplicate:
        client.make_payment(request)
    assert duplicate.value.details["reference"] == "URN-0001"
    assert sandbox.ledger.count_applied("make_payment", "URN-0001") == 1
    assert sandbox.state.payments["URN-0001"]["amount"] == Decimal("499.99")


def test_payable_invoices_are_confirmed(client: EnkashClient, sandbox: Sandbox) -> None:
    client.confirm_payable_invoices(
        m.ConfirmPayableInvoicesRequest(
            invoiceIds=["PAYABLE-1", "PAYABLE-2"], remarks="Approved", status="ACCEPT"
        )
    )
    assert sandbox.state.payable_invoices == {"PAYABLE-1": "ACCEPT", "PAYABLE-2": "ACCEPT"}
