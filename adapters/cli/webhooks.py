"""``paycore webhooks serve``: the webhook inbox on an HTTP port (uvicorn, the ``server``
extra; :mod:`paycore.adapters.webhooks.server`)."""

from __future__ import annotations

import argparse
import os
import threading
from contextlib import closing

from paycore.adapters.cli.context import opened_core
from paycore.adapters.cli.views import add_log_json
from paycore.adapters.telemetry import log_json
from paycore.adapters.webhooks import WebhookAuth, WebhookInbox

SECRETS_VARIABLE = "PAYCORE_WEBHOOK_SECRETS"


def add_commands(groups: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    webhooks = groups.add_parser(
        "webhooks",
        help="the inbox for the platform's webhooks",
        description="Authenticate, dedupe and order the platform's webhooks and apply "
        "them as commands (docs/sync.md). Host services may mount the ASGI app instead.",
    ).add_subparsers(dest="webhooks_command", metavar="COMMAND", required=True)
    serve = webhooks.add_parser(
        "serve",
        help="serve the inbox until interrupted",
        description="Serve the webhook inbox over HTTP (uvicorn, the server extra) until "
        "interrupted; it prints the URL it listens on.",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8766, help="port (default 8766; 0 = any)")
    serve.add_argument(
        "--secret",
        action="append",
        help=f"an active HMAC secret; repeat during a rotation (default: ${SECRETS_VARIABLE}, "
        "comma-separated)",
    )
    add_log_json(serve)
    serve.set_defaults(handler=serve_inbox)


def serve_inbox(args: argparse.Namespace, stop: threading.Event | None = None) -> int:
    # imported here: without the server extra, the other commands still run
    from paycore.adapters.webhooks.server import serving  # noqa: PLC0415

    if args.log_json:
        log_json()
    secrets = args.secret or [s for s in os.environ.get(SECRETS_VARIABLE, "").split(",") if s]
    auth = WebhookAuth(signing_secrets=tuple(s.encode() for s in secrets))
    with (
        opened_core(args, create=True) as core,
        closing(WebhookInbox(core, auth)) as inbox,
        serving(inbox, args.host, args.port) as listening,
    ):
        print(f"webhook inbox listening on {listening.url}", flush=True)
        (stop or threading.Event()).wait()
    return 0
