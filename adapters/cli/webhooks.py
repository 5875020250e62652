"""``paycore webhooks serve``: the webhook inbox on an HTTP port, without a framework."""

from __future__ import annotations

import argparse
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from paycore.adapters.cli.context import opened_core
from paycore.adapters.cli.main import COMMAND_GROUPS
from paycore.adapters.webhooks import WebhookAuth, WebhookInbox

SECRETS_VARIABLE = "PAYCORE_WEBHOOK_SECRETS"
MAX_BODY = 1 << 20


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
    with opened_core(args) as core:
        inbox = WebhookInbox(core, auth)
        server = ThreadingHTTPServer((args.host, args.port), inbox_handler(inbox))
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        print(f"webhook inbox listening on http://{args.host}:{server.server_port}", flush=True)
        try:
            (stop or threading.Event()).wait()
        finally:
            server.shutdown()
            server.server_close()
            inbox.close()
    return 0


def inbox_handler(inbox: WebhookInbox) -> type[BaseHTTPRequestHandler]:
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


COMMAND_GROUPS.append(add_commands)
