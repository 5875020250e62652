"""The inbox's log records carry their facts as ``paycore.*`` fields (path, message id,
outcome, code), keep a readable message, and never hold the body, signature or secret."""

from __future__ import annotations

import json
import logging
import random
from typing import Any

import pytest

from paycore.adapters.telemetry import JsonLogFormatter
from paycore.adapters.webhooks import MESSAGE_ID_HEADER, SIGNATURE_HEADER, WebhookInbox
from paycore.domain import PaymentsCore
from tests.adapters.sync.builders import accepted_invoice, object_id, sent_order, submitted_payment
from tests.adapters.webhooks.builders import (
    INVOICE_CREATE,
    INVOICE_STATUS,
    PAYMENT_RESPONSE,
    PO_CONFIRM,
    SECRET,
    invoice_cancelled,
    invoice_created,
    payment_response,
    po_confirmation,
    signed,
)

LOGGER = "paycore.adapters.webhooks"
FIELDS = ("path", "message_id", "outcome", "code", "field", "object_key", "object_version")


def record_fields(record: logging.LogRecord) -> dict[str, object]:
    """The record's paycore fields, without the prefix."""
    return {
        name: getattr(record, "paycore." + name)
        for name in FIELDS
        if hasattr(record, "paycore." + name)
    }


def delivered(
    inbox: WebhookInbox,
    caplog: pytest.LogCaptureFixture,
    path: str,
    body: dict[str, Any] | bytes,
    message_id: str | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, logging.LogRecord]:
    """Delivers one signed body; its status and the one inbox record it logged."""
    signed_headers, raw = signed(body)
    sent = headers if headers is not None else signed_headers
    if message_id is not None:
        sent = {**sent, MESSAGE_ID_HEADER: message_id}
    caplog.clear()
    with caplog.at_level(logging.INFO, logger=LOGGER):
        status, _ = inbox.handle(path, sent, raw)
    records = [r for r in caplog.records if r.name == LOGGER]
    assert len(records) == 1, [r.getMessage() for r in records]
    record = records[0]
    assert raw.decode() not in str(vars(record))
    assert SECRET.decode() not in str(vars(record))
    assert sent.get(SIGNATURE_HEADER, "-") not in str(vars(record))
    return status, record


def test_an_applied_then_duplicate_delivery_logs_path_message_id_and_outcome(
    core: PaymentsCore, inbox: WebhookInbox, caplog: pytest.LogCaptureFixture
) -> None:
    payment_id = submitted_payment(core, accepted_invoice(core, random.Random(11)))
    body = payment_response(core.get_payment(payment_id).object_id, "UTR0011")
    status, record = delivered(inbox, caplog, PAYMENT_RESPONSE, body, message_id="MSG-11")
    path = PAYMENT_RESPONSE.strip("/")
    assert (status, record.levelno) == (200, logging.INFO)
    assert record_fields(record) == {"path": path, "message_id": "MSG-11", "outcome": "applied"}
    assert record.getMessage() == f"webhook {path} MSG-11 applied"
    status, record = delivered(inbox, caplog, PAYMENT_RESPONSE, body, message_id="MSG-11")
    assert status == 200
    assert record_fields(record) == {"path": path, "message_id": "MSG-11", "outcome": "duplicate"}
    assert "duplicate" in record.getMessage()


def test_a_forged_delivery_logs_the_refusal_code_and_no_signature(
    core: PaymentsCore, inbox: WebhookInbox, caplog: pytest.LogCaptureFixture
) -> None:
    headers, _ = signed({"forged": True}, secret=b"someone-else-entirely")
    status, record = delivered(inbox, caplog, PAYMENT_RESPONSE, b"{}", headers=headers)
    assert (status, record.levelno) == (401, logging.WARNING)
    assert record_fields(record) == {
        "path": PAYMENT_RESPONSE.strip("/"),
        "outcome": "refused",
        "code": "WEBHOOK_UNAUTHENTICATED",
    }
    assert headers[SIGNATURE_HEADER] not in str(vars(record))


def test_a_malformed_body_logs_its_code_and_field_never_its_value(
    inbox: WebhookInbox, caplog: pytest.LogCaptureFixture
) -> None:
    body = {"b2bIds": {}, "resp": {"reqMsgId": "SECRET-LOOKING-VALUE-42"}}
    status, record = delivered(inbox, caplog, PAYMENT_RESPONSE, body)
    assert status == 400
    assert record_fields(record) == {
        "path": PAYMENT_RESPONSE.strip("/"),
        "outcome": "refused",
        "code": "WEBHOOK_MALFORMED",
        "field": "resp.result",
    }
    assert "SECRET-LOOKING-VALUE-42" not in str(vars(record))


def test_an_unknown_path_logs_the_path_and_its_code(
    inbox: WebhookInbox, caplog: pytest.LogCaptureFixture
) -> None:
    status, record = delivered(inbox, caplog, "/api/v0/nowhere", {})
    assert status == 404
    assert record_fields(record) == {
        "path": "api/v0/nowhere",
        "outcome": "refused",
        "code": "WEBHOOK_UNKNOWN_PATH",
    }


def test_a_value_the_domain_refuses_logs_the_domain_code_and_field(
    inbox: WebhookInbox, caplog: pytest.LogCaptureFixture
) -> None:
    body = invoice_created("INV-not-a-valid-object-id")
    status, record = delivered(inbox, caplog, INVOICE_CREATE, body, message_id="MSG-12")
    assert (status, record.levelno) == (400, logging.WARNING)
    assert record_fields(record) == {
        "path": INVOICE_CREATE.strip("/"),
        "outcome": "refused",
        "code": "INVOICE_ID_FORMAT",
        "field": "object_id",
    }
    assert "INV-not-a-valid-object-id" not in str(vars(record))


def test_a_stale_message_logs_outcome_stale_and_its_code(
    core: PaymentsCore, inbox: WebhookInbox, caplog: pytest.LogCaptureFixture
) -> None:
    order = core.get_purchase_order(sent_order(core, random.Random(13)))
    accepted = po_confirmation(order.object_id, "ACCEPT", 2, 3)
    delivered(inbox, caplog, PO_CONFIRM, accepted, message_id="MSG-13a")
    late = po_confirmation(order.object_id, "RETURN", 2, 3)
    status, record = delivered(inbox, caplog, PO_CONFIRM, late, message_id="MSG-13b")
    assert status == 200
    assert record_fields(record) == {
        "path": PO_CONFIRM.strip("/"),
        "message_id": "MSG-13b",
        "outcome": "stale",
        "code": "OBJECT_VERSION_STALE",
    }


def test_a_parked_message_logs_the_object_and_the_version_it_waits_behind(
    inbox: WebhookInbox, caplog: pytest.LogCaptureFixture
) -> None:
    invoice = object_id("INV", random.Random(14))
    body = invoice_cancelled(invoice)
    status, record = delivered(inbox, caplog, INVOICE_STATUS, body, message_id="MSG-14")
    assert status == 202
    logged = record_fields(record)
    assert logged == {
        "path": INVOICE_STATUS.strip("/"),
        "message_id": "MSG-14",
        "outcome": "parked",
        "object_key": inbox.parked()[0].object_key,
        "object_version": 1,
    }
    line = json.loads(JsonLogFormatter().format(record))
    assert line["paycore.outcome"] == "parked"
    assert line["paycore.object_version"] == 1
    assert line["message"] == record.getMessage()
