"""``paycore sandbox``: the stand-in EnKash platform on a loopback port, and its webhooks.

Like ``stripe listen`` / ``stripe trigger``: ``serve --forward-to URL`` signs and posts
the sandbox's webhooks to a host's inbox; ``trigger EVENT`` sends one documented sample.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import threading

import httpx

from paycore.adapters.cli.webhooks import SECRETS_VARIABLE
from paycore.adapters.enkash.errors import RemoteUnavailableError
from paycore.adapters.sandbox import SandboxSettings, WebhookTarget, run_sandbox
from paycore.adapters.sandbox.samples import SAMPLES
from paycore.adapters.sandbox.webhooks import post

#: The sandbox's own webhook signing secret: a sandbox value, printed on purpose.
SANDBOX_WEBHOOK_SECRET = "sandbox-webhook-secret"  # noqa: S105
#: Where ``paycore webhooks serve`` listens by default.
DEFAULT_INBOX = "http://127.0.0.1:8766"
ALL = "all"


def add_commands(groups: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sandbox = groups.add_parser(
        "sandbox",
        help="the stand-in EnKash platform",
        description="The stand-in EnKash platform on a loopback port, and its webhooks.",
    ).add_subparsers(dest="sandbox_command", metavar="COMMAND", required=True)
    serve = sandbox.add_parser(
        "serve",
        help="serve the sandbox on 127.0.0.1 until interrupted",
        description=(
            "Serve a stateful stand-in of the EnKash API (token endpoint, encryption, "
            "both envelopes, every endpoint paycore uses) on 127.0.0.1. It prints the "
            "export lines that wire 'paycore sync run' and 'paycore webhooks serve' to it, "
            "the sandbox's own (non-secret) credentials included; with --forward-to it "
            "signs and posts its webhooks there."
        ),
    )
    serve.add_argument("--port", type=int, default=8765, help="port (default 8765; 0 = any)")
    serve.add_argument("--seed", type=int, default=0, help="seed of the fault plan (default 0)")
    serve.add_argument(
        "--forward-to",
        metavar="URL",
        help=f"post the sandbox's webhooks, signed, to this inbox (e.g. {DEFAULT_INBOX})",
    )
    _secret_option(serve)
    serve.set_defaults(handler=serve_sandbox)
    events = ", ".join(SAMPLES)
    trigger = sandbox.add_parser(
        "trigger",
        help="send a signed sample of a documented webhook",
        description=f"Send the documented sample of one webhook (or '{ALL}'), signed as the "
        f"sandbox signs, and print the inbox's answer. Events: {events}.",
    )
    trigger.add_argument(
        "event", metavar="EVENT", choices=[*SAMPLES, ALL], help=f"one of: {events}, or {ALL}"
    )
    trigger.add_argument(
        "--forward-to",
        metavar="URL",
        default=DEFAULT_INBOX,
        help=f"the inbox to post to (default {DEFAULT_INBOX}, where 'webhooks serve' listens)",
    )
    _secret_option(trigger)
    trigger.set_defaults(handler=trigger_event)


def _secret_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--webhook-secret",
        metavar="S",
        help=f"the HMAC secret webhooks are signed with (default: the first of "
        f"${SECRETS_VARIABLE}, else the sandbox's own '{SANDBOX_WEBHOOK_SECRET}')",
    )


def _signing_secret(args: argparse.Namespace) -> str:
    if args.webhook_secret:
        return str(args.webhook_secret)
    configured = [s for s in os.environ.get(SECRETS_VARIABLE, "").split(",") if s]
    return configured[0] if configured else SANDBOX_WEBHOOK_SECRET


def serve_sandbox(args: argparse.Namespace, stop: threading.Event | None = None) -> int:
    secret = _signing_secret(args)
    target = WebhookTarget(args.forward_to, secret.encode()) if args.forward_to else None
    settings = SandboxSettings(port=args.port, seed=args.seed, webhook=target)
    with run_sandbox(settings) as sandbox:
        print(f"# sandbox listening on {sandbox.url}")
        if target is not None:
            print(f"# forwarding its webhooks, signed, to {target.url}")
        print("# sandbox credentials, printed on purpose: they open nothing but this sandbox")
        environ = sandbox.client_environ() | {SECRETS_VARIABLE: secret}
        for name, value in sorted(environ.items()):
            print(f"export {name}={shlex.quote(value)}")
        print("# press Ctrl-C to stop", flush=True)
        (stop or threading.Event()).wait()
    return 0


def trigger_event(args: argparse.Namespace) -> int:
    target = WebhookTarget(args.forward_to, _signing_secret(args).encode())
    names = list(SAMPLES) if args.event == ALL else [args.event]
    refused = 0
    with httpx.Client(timeout=target.timeout) as http:
        for name in names:
            path, body = SAMPLES[name]
            try:
                answer = post(target, path, body, http=http)
            except httpx.HTTPError as error:
                msg = f"no inbox answered at {target.url} ({type(error).__name__})"
                raise RemoteUnavailableError(msg) from None
            refused += not answer.is_success
            print(f"{name} -> {answer.status_code} {_outcome(answer)}", flush=True)
    return 0 if refused == 0 else 1


def _outcome(answer: httpx.Response) -> str:
    try:
        document = answer.json()
    except ValueError:
        return answer.text[:200]
    if isinstance(document, dict):
        return str(document.get("outcome") or document.get("code") or json.dumps(document))
    return json.dumps(document)
