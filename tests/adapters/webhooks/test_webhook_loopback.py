"""The sandbox's response webhooks reach the inbox over loopback HTTP, signed."""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from paycore.adapters.sandbox import SandboxSettings, WebhookTarget, run_sandbox
from paycore.adapters.webhooks import WebhookInbox
from paycore.domain import PaymentsCore
from tests.adapters.sync.builders import accepted_invoice, relay, sandbox_client, sent_order
from tests.adapters.webhooks.builders import SECRET


class InboxServer:
    """The inbox behind a stdlib HTTP server on a free loopback port."""

    def __init__(self, inbox: WebhookInbox) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                status, answer = inbox.handle(self.path, dict(self.headers), body)
                self.send_response(status)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def inbox_server(inbox: WebhookInbox) -> Iterator[InboxServer]:
    server = InboxServer(inbox)
    yield server
    server.close()


def test_response_webhooks_of_relayed_b2b_calls_are_accepted(
    core: PaymentsCore, inbox_server: InboxServer
) -> None:
    rng = random.Random(9)
    sent_order(core, rng)
    accepted_invoice(core, rng)
    target = WebhookTarget(inbox_server.url, signing_secret=SECRET)
    with run_sandbox(SandboxSettings(webhook=target)) as sandbox:
        with sandbox_client(sandbox) as client:
            relay(core, client).drain()
        sandbox.webhooks.drain()
        deliveries = sandbox.ledger.deliveries
    assert sorted(d.path for d in deliveries) == [
        "/api/v0/invoice/resp-confirm-invoice",
        "/api/v0/purchase-order/resp-send",
    ]
    assert {d.status for d in deliveries} == {200}


def test_a_delivery_signed_with_another_secret_is_refused_over_http(
    core: PaymentsCore, inbox_server: InboxServer
) -> None:
    sent_order(core, random.Random(10))
    target = WebhookTarget(inbox_server.url, signing_secret=b"an-old-secret")
    with run_sandbox(SandboxSettings(webhook=target)) as sandbox:
        with sandbox_client(sandbox) as client:
            relay(core, client).drain()
        sandbox.webhooks.drain()
        assert [d.status for d in sandbox.ledger.deliveries] == [401]
