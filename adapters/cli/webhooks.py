"""``paycore webhooks serve``: the webhook inbox on an HTTP port, without a framework."""

from __future__ import annotations

import argparse
import os
import threading
from collections.abc import Iterator, Mapping
from contextlib import closing, contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Protocol

from paycore.adapters.cli.context import opened_core
from paycore.adapters.webhooks import WebhookAuth, WebhookInbox

SECRETS_VARIABLE = "PAYCORE_WEBHOOK_SECRETS"
MAX_BODY = 1 << 20


class Inbox(Protocol):
    """What the HTTP server needs of an inbox: an answer to each delivery."""

    def handle(self, path: str, headers: Mapping[str, str], body: bytes) -> tuple[int, bytes]: ...


def add_commands(groups: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    webhooks = groups.add_parser(
        "webhooks",
        help="the inbox for the platform's webhooks",
        description="Authenticate, dedupe and order the platform's webhooks and apply "
        "them as commands (docs/sync.md). Host services may mount the ASGI app instead.",
    ).add_subparsers(dest="webhooks_command", metavar="COMMAND", required=True)
    serve = webhooks.add_parser("serve", help="serve the inbox until interrupted")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8766)
    serve.add_argument(
        "--secret",
        action="append",
        help=f"an active HMAC secret; repeat during a rotation (default: ${SECRETS_VARIABLE}, "
        "comma-separated)",
    )
    serve.set_defaults(handler=serve_inbox)


def serve_inbox(args: argparse.Namespace, stop: threading.Event | None = None) -> int:
    secrets = args.secret or [s for s in os.environ.get(SECRETS_VARIABLE, "").split(",") if s]
    auth = WebhookAuth(signing_secrets=tuple(s.encode() for s in secrets))
    with (
        opened_core(args) as core,
        closing(WebhookInbox(core, auth)) as inbox,
        serving(inbox, args.host, args.port) as server,
    ):
        print(f"webhook inbox listening on http://{args.host}:{server.server_port}", flush=True)
        (stop or threading.Event()).wait()
    return 0


@contextmanager
def serving(inbox: Inbox, host: str, port: int) -> Iterator[ThreadingHTTPServer]:
    """The inbox on ``host:port`` (0 = any), served from a thread until the block ends."""
    server = ThreadingHTTPServer((host, port), _http_handler(inbox))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def _http_handler(inbox: Inbox) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                self._answer(413, b'{"code":"WEBHOOK_TOO_LARGE"}')
                return
            body = self.rfile.read(length)
            status, answer = inbox.handle(self.path, dict(self.headers.items()), body)
            self._answer(status, answer)

        def _answer(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            """The inbox logs each delivery itself, without secrets."""

    return Handler
