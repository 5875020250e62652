"""``paycore sandbox serve``: the stand-in EnKash platform on a loopback port."""

from __future__ import annotations

import argparse
import threading

from paycore.adapters.sandbox import SandboxSettings, run_sandbox


def add_commands(groups: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sandbox = groups.add_parser(
        "sandbox", help="the stand-in EnKash platform", description=__doc__
    ).add_subparsers(dest="sandbox_command", metavar="COMMAND", required=True)
    serve = sandbox.add_parser(
        "serve",
        help="serve the sandbox on 127.0.0.1 until interrupted",
        description=(
            "Serve a stateful stand-in of the EnKash API (token endpoint, encryption, "
            "both envelopes, every endpoint paycore uses) on 127.0.0.1. It prints its "
            "URL and the PAYCORE_ENKASH_* variables that point a client at it."
        ),
    )
    serve.add_argument("--port", type=int, default=8765, help="port (default 8765; 0 = any)")
    serve.add_argument("--seed", type=int, default=0, help="seed of the fault plan")
    serve.set_defaults(handler=serve_sandbox)


def serve_sandbox(args: argparse.Namespace, stop: threading.Event | None = None) -> int:
    with run_sandbox(SandboxSettings(port=args.port, seed=args.seed)) as sandbox:
        print(f"sandbox listening on {sandbox.url}")
        for name, value in sorted(sandbox.client_environ().items()):
            if "SECRET" not in name and "PASSWORD" not in name:
                print(f"  {name}={value}")
        print("credentials: the sandbox defaults (see paycore.adapters.sandbox.SandboxSettings)")
        print("press Ctrl-C to stop", flush=True)
        (stop or threading.Event()).wait()
    return 0
