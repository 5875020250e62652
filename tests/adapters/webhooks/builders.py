"""Bodies of the webhooks paycore receives, and signed deliveries of them.

A module with its own name (not ``conftest``); the tests next to it import it.
"""

from __future__ import annotations

import json
import time
from typing import Any

from paycore.adapters.webhooks import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign

SECRET = b"inbox-signing-secret"
#: the OTP key of the cores these tests make (at least 16 bytes)
OTP_KEY = b"webhook-tests-otp-key-32-bytes!!"
B2B_IDS = {"buyerB2BId": "BUYER01", "supplierB2BId": "SUPPLIER01"}
PO_CONFIRM = "/api/v0/purchase-order/req-confirm"
INVOICE_CREATE = "/api/v0/invoice/req-create-invoice"
INVOICE_STATUS = "/api/v0/invoice/req-status-change-invoice"
PAYMENT_RESPONSE = "/api/v0/payment/resp-pay"


def signed(
    body: dict[str, Any] | bytes, secret: bytes = SECRET, at: float | None = None
) -> tuple[dict[str, str], bytes]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    timestamp = str(int(time.time() if at is None else at))
    headers = {
        "Content-Type": "application/json",
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: sign(secret, timestamp, raw),
    }
    return headers, raw


def version(current: int, new: int) -> dict[str, int]:
    return {"currentVersion": current, "newVersion": new}


def po_confirmation(object_id: str, response: str, current: int, new: int) -> dict[str, Any]:
    return {
        "b2bIds": B2B_IDS,
        "poConfirmation": {
            "objectId": object_id,
            "buyerPONumber": "BPO1",
            "supplierResponse": response,
            "supplierRemarks": "From the supplier",
            "objectVersion": version(current, new),
        },
    }


def invoice_created(object_id: str, total: str = "900.00") -> dict[str, Any]:
    return {
        "b2bIds": B2B_IDS,
        "invoice": {
            "objectId": object_id,
            "supplierInvoiceNumber": f"SI/{object_id[-6:]}",
            "objectVersion": version(0, 1),
            "invoiceAmount": {"totalAmount": total},
        },
    }


def invoice_cancelled(object_id: str, current: int = 1) -> dict[str, Any]:
    return {
        "b2bIds": B2B_IDS,
        "invoiceStatus": {
            "objectId": object_id,
            "objectVersion": version(current, current + 1),
            "supplierAction": "CANCEL",
            "supplierRemarks": "Raised in error",
        },
    }


def payment_response(object_id: str, utr: str, result: str = "SUCCESS") -> dict[str, Any]:
    return {
        "b2bIds": B2B_IDS,
        "resp": {"reqMsgId": object_id, "result": result},
        "payment": {"objectId": object_id, "utr": utr, "type": "ONPLATFORM"},
    }
