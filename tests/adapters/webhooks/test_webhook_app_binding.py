"""The webhook app is made at import and bound to its inbox later, in the host's lifespan;
until then, and after, it answers 503. Bound with an AsyncPaymentsCore's workers, the
inbox runs on them."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Mapping
from typing import Any

from paycore.adapters.webhooks import WebhookApp, WebhookAuth, WebhookInbox
from paycore.domain import AsyncPaymentsCore, PaymentsCore
from tests.adapters.webhooks.builders import INVOICE_CREATE, SECRET, invoice_created, signed

OBJECT_ID = "INV" + "0" * 31 + "5"


async def post(app: WebhookApp, path: str, headers: Mapping[str, str], body: bytes) -> Any:
    """One POST through the ASGI interface: the status and the JSON answer."""
    sent: list[dict[str, Any]] = []
    scope = {
        "type": "http",
        "method": "POST",
        "path": path,
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
    }

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent[0]["status"], json.loads(sent[1]["body"])


def test_an_unbound_app_answers_503_then_its_inbox_once_bound_then_503_again() -> None:
    headers, body = signed(invoice_created(OBJECT_ID))
    seen_on: list[str] = []

    class Watched(WebhookInbox):
        def handle(self, path: str, headers: Mapping[str, str], body: bytes) -> Any:
            seen_on.append(threading.current_thread().name)
            return super().handle(path, headers, body)

    async def lifetime() -> list[Any]:
        app = WebhookApp()
        answers = [await post(app, INVOICE_CREATE, headers, body)]
        async with AsyncPaymentsCore(PaymentsCore("memory://"), workers=2) as core:
            inbox = Watched(core.core, WebhookAuth(signing_secrets=(SECRET,)))
            app.bind(inbox, offload=core.to_thread)
            answers.append(await post(app, INVOICE_CREATE, headers, body))
            answers.append(await app.deliver(INVOICE_CREATE, headers, body))
            invoice = await core.get_invoice(PaymentsCore.invoice_id(OBJECT_ID))
            answers.append(invoice.status)
            app.unbind()
            answers.append(await post(app, INVOICE_CREATE, headers, body))
            inbox.close()
        return answers

    unbound, applied, (status, duplicate), invoice_status, unbound_again = asyncio.run(lifetime())
    not_ready = {
        "code": "WEBHOOK_NOT_READY",
        "message": "the webhook inbox is starting or stopping",
    }
    assert unbound == (503, not_ready)
    assert unbound_again == (503, not_ready)
    assert (applied[0], applied[1]["outcome"]) == (200, "applied")
    assert (status, json.loads(duplicate)["outcome"]) == (200, "duplicate")
    assert invoice_status == "CREATED"
    assert len(seen_on) == 2
    assert all(name.startswith("paycore") for name in seen_on)


def test_an_app_made_with_its_inbox_runs_it_off_the_event_loop() -> None:
    headers, body = signed(invoice_created(OBJECT_ID))
    core = PaymentsCore("memory://")
    inbox = WebhookInbox(core, WebhookAuth(signing_secrets=(SECRET,)))
    status, answer = asyncio.run(post(WebhookApp(inbox), INVOICE_CREATE, headers, body))
    assert (status, answer["outcome"]) == (200, "applied")
    inbox.close()
    core.close()
