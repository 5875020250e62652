"""Builders of valid requests and a webhook receiver, shared by the adapter tests.

A module with its own name (not ``conftest``); the tests import it as
``tests.adapters.enkash.builders``.
"""

from __future__ import annotations

import json
import threading
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from paycore.adapters.enkash import EnkashClient
from paycore.adapters.enkash import models as m

COMPANY = "CMPSANDBOX01"
#: the client gives up on an answer after this long; the sandbox holds a "timeout after
#: effect" longer, so the client always sees the timeout
READ_TIMEOUT = 0.5
HANG = 1.5


def open_account(client: EnkashClient, account_type: str = "CORPORATE") -> m.CardAccount:
    return client.create_card_account(
        m.CreateCardAccountRequest(
            companyId=COMPANY,
            companyName="Acme Traders Pvt Ltd",
            planMasterId="PLAN1",
            email="admin@acme.example",
            mobile="9876543210",
            accountTitle="Acme staff cards",
            accountType=account_type,  # type: ignore[arg-type]
        )
    )


def issue_card(client: EnkashClient, account: m.CardAccount, load: str | None = None) -> m.Card:
    request = m.CreateCardRequest(
        companyId=COMPANY,
        cardAccountId=account.cardAccountId,
        firstName="Asha",
        loadAmount=None if load is None else Decimal(load),
    )
    if account.accountType == "GIFT":
        return client.create_gift_card(request)
    return client.create_prepaid_card(request)


def card_ref(card: m.Card) -> dict[str, str]:
    assert card.cardAccountId is not None
    return {
        "companyId": COMPANY,
        "cardAccountId": card.cardAccountId,
        "enKashCardId": card.enKashCardId,
    }


def load_request(card: m.Card, amount: str, reference: str) -> m.LoadBalanceRequest:
    return m.LoadBalanceRequest(
        **card_ref(card), amount=Decimal(amount), uniqueReferenceNumber=reference
    )


INVOICE_ID = "INV" + "A1" * 16
PAYMENT_ID = "PMT" + "B2" * 16


def b2b_envelope() -> dict[str, Any]:
    return {
        "device": {"tag": {"name": "GEOCODE", "value": "12.97,77.59"}},
        "b2bIds": {"buyerB2BId": "BUYER01", "supplierB2BId": "SUPPLIER01"},
    }


#: the ``additionalInfos`` the order and note pages require, here with nothing to say
NO_INFOS: dict[str, Any] = {"additionalInfos": []}


def version(current: int, new: int) -> dict[str, int]:
    return {"currentVersion": current, "newVersion": new}


def invoice_confirmation(response: str = "ACCEPT", new_version: int = 1) -> m.ConfirmInvoiceRequest:
    return m.ConfirmInvoiceRequest(
        **b2b_envelope(),
        invoiceConfirmation={
            "objectId": INVOICE_ID,
            "supplierInvoiceNumber": "SI/2025/001",
            "objectVersion": version(new_version - 1, new_version),
            "buyerResponse": response,
            "buyerRemarks": "Goods received in full",
            "statusTransition": {"currentStatus": "CREATED", "newStatus": "ACCEPTED"},
        },
    )


def party(b2b_id: str) -> dict[str, Any]:
    return {
        "b2bId": b2b_id,
        "gstin": "29ABCDE1234F1Z5",
        "legalName": f"{b2b_id} Pvt Ltd",
        "stateCode": "29",
        "address": {
            "addressLine1": "1 MG Road",
            "city": "Bengaluru",
            "state": "KA",
            "country": "IN",
            "pincode": "560001",
        },
    }


def line_item() -> dict[str, Any]:
    return {
        "serialno": "1",
        "productDescription": "Printer paper A4",
        "isService": "N",
        "hsnCode": "4802",
        "quantity": Decimal("10"),
        "unit": "BOX",
        "unitPrice": Decimal("250.00"),
        "totalAmt": Decimal("2500.00"),
        "totalItemValue": Decimal("2950.00"),
    }


def purchase_order(object_id: str = "PO-0001", new_version: int = 1) -> dict[str, Any]:
    return {
        "objectId": object_id,
        "buyerPONumber": "BPO/2025/77",
        "ts": "2025-07-01T10:00:00Z",
        "orderDate": "2025-07-01",
        "deliveryDate": "2025-07-15",
        "subject": "Stationery",
        "objectVersion": version(new_version - 1, new_version),
        "poStatusTransition": {"currentStatus": "DRAFT", "newStatus": "SENT"},
        "supplierDetails": party("SUPPLIER01"),
        "buyerDetails": party("BUYER01"),
        "addressDetails": [],
        "itemLists": [line_item()],
        "poValueDetails": {},
        "poInfos": [],
        "contractReferenceDetails": [],
        "additionalDocumentDetails": [],
        "paymentMilestones": [],
        "shippingTermsDetails": {},
    }


def credit_note(object_id: str = "CDN-0001") -> dict[str, Any]:
    """A note with every member its page requires; those shown only by count are empty."""
    return {
        "objectId": object_id,
        "noteType": "CREDIT",
        "supplierCDNoteNumber": "CN/2025/9",
        "objectVersion": version(0, 1),
        "ts": "2025-07-21T12:00:00Z",
        "cdNoteStatusTransition": {"currentStatus": "DRAFT", "newStatus": "CREATED"},
        "eInvoiceInfo": {},
        "transactionDetails": {},
        "supplierDetails": party("SUPPLIER01"),
        "buyerDetails": party("BUYER01"),
        "dispatchDetails": {},
        "shippingDetails": {},
        "itemLists": [line_item()],
        "cdNoteValueDetails": {"totalAmount": 295.0},
        "supplierBankAccountDetails": {},
        "advancePaymentDetails": {},
        "invoiceReferenceDetails": {"objectId": INVOICE_ID},
        "precedingInvoiceDetails": [],
        "poDetails": [],
        "contractReferenceDetails": [],
        "additionalDocumentDetails": [],
        "exportDetails": {},
        "ewayBillDetail": {},
        "recurringPayments": {},
        "paymentMilestones": [],
        "shippingTermsDetails": {},
    }


class WebhookReceiver:
    """A loopback HTTP server that records the webhooks posted to it."""

    def __init__(self) -> None:
        self.received: list[tuple[str, dict[str, str], bytes]] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver._lock:
                    receiver.received.append((self.path, dict(self.headers), body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()

    def bodies(self) -> list[dict[str, Any]]:
        with self._lock:
            return [json.loads(body) for _, _, body in self.received]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
