"""``paycore views update|follow|rebuild|show``: the read models beside the event store."""

from __future__ import annotations

import argparse
import dataclasses
import logging
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from rich.console import RenderableType

from paycore.adapters.cli.arguments import at_least, positive_seconds
from paycore.adapters.cli.context import opened_projector
from paycore.adapters.cli.output import block_code, emit, progress_bar, table
from paycore.adapters.telemetry import Follower, fields, log_json, metrics_endpoint
from paycore.projections import (
    AUDIT_TRAIL,
    CARD_TRANSACTIONS,
    CARDS,
    HOLDERS,
    INVOICES,
    PAYMENTS,
    PURCHASE_ORDERS,
    ViewStore,
)
from paycore.projections.runner import LAG_LIMIT, VIEWS, lag

#: Each view, and the columns a table on a terminal shows (--json gives every column).
TABLES: dict[str, tuple[Any, list[str]]] = {
    "cards": (CARDS, ["card_id", "kind", "form", "status", "balance", "masked_number"]),
    "card-transactions": (
        CARD_TRANSACTIONS,
        ["position", "card_id", "kind", "amount", "channel", "reference", "occurred_at"],
    ),
    "holders": (HOLDERS, ["holder_id", "masked", "erased", "forgotten", "cards"]),
    "invoices": (
        INVOICES,
        ["invoice_id", "supplier_invoice_number", "status", "total", "outstanding", "reserved"],
    ),
    "payments": (PAYMENTS, ["payment_id", "status", "amount", "partial", "utr"]),
    "purchase-orders": (
        PURCHASE_ORDERS,
        ["po_id", "buyer_po_number", "status", "object_version", "total", "fulfilled"],
    ),
    "audit-trail": (
        AUDIT_TRAIL,
        ["position", "recorded_at", "aggregate_type", "version", "event_type", "actor"],
    ),
}


log = logging.getLogger("paycore.adapters.cli")


def add_metrics_port(command: argparse.ArgumentParser) -> None:
    """``--metrics-port`` of a long-running command (``views follow``, ``sync run``)."""
    command.add_argument(
        "--metrics-port",
        type=at_least(0),
        metavar="PORT",
        help="serve Prometheus metrics at http://127.0.0.1:PORT/metrics while running "
        "(loopback only; 0 = a free port, printed)",
    )


def add_log_json(command: argparse.ArgumentParser) -> None:
    """``--log-json`` of a long-running command (and ``webhooks serve``)."""
    command.add_argument(
        "--log-json",
        action="store_true",
        help="log one JSON object per line on stderr, with paycore.* fields (never a secret)",
    )


@contextmanager
def serving_metrics(args: argparse.Namespace, followers: Sequence[Follower]) -> Iterator[None]:
    """With ``--metrics-port``, the followers' metrics are served while the block runs;
    the URL is printed (port 0 takes a free one) and logged."""
    if args.metrics_port is None:
        yield
        return
    with metrics_endpoint(followers, args.metrics_port) as endpoint:
        print(f"metrics at {endpoint.url}", flush=True)
        log.info("metrics at %s", endpoint.url, extra=fields(metrics_url=endpoint.url))
        yield


def add_commands(groups: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    views = groups.add_parser(
        "views",
        help="the read models: cards, invoices, payments, purchase orders, audit trail",
        description="Keep the read models current and show them. They live beside the "
        "events (same SQLite file or PostgreSQL schema) with their own positions.",
    ).add_subparsers(dest="views_command", metavar="COMMAND", required=True)
    views.add_parser(
        "update",
        help="catch the views up with the event log, then stop",
        description="Project every event stored since the views' position into every view "
        "and the hash chain, then stop. Safe beside followers and rebuilds.",
    ).set_defaults(handler=update)
    follow = views.add_parser(
        "follow",
        help="keep the views current until interrupted (polls the log)",
        description="Keep the views current: catch up, then poll the event log every "
        "--interval seconds until SIGINT or SIGTERM. Any number of followers may run.",
    )
    follow.add_argument(
        "--interval", type=positive_seconds, default=0.5, help="seconds between polls"
    )
    add_metrics_port(follow)
    add_log_json(follow)
    follow.set_defaults(handler=follow_log)
    views.add_parser(
        "rebuild",
        help="empty the views and replay every event from the start",
        description="Empty the views and replay every event from the start; the hash chain "
        "is kept. Followers and updates may go on meanwhile. A rebuild of the same views "
        "that is running already is waited for first (it says so on stderr).",
    ).set_defaults(handler=rebuild)
    show = views.add_parser(
        "show",
        help="print the rows of one view",
        description="Print the rows of one view as a table (amounts in rupees), or as "
        "JSON with --json (amounts as plain decimal strings).",
    )
    show.add_argument("view", choices=sorted(TABLES), help="which view")
    show.add_argument("--limit", type=at_least(0), default=50, help="at most this many rows")
    show.set_defaults(handler=show_view)


def rendered(store: ViewStore, view: str, limit: int | None = None) -> RenderableType:
    """One view as a table for a terminal, with its usual columns."""
    rows, columns = view_rows(store, view, limit)
    return table(rows, columns)


def view_rows(
    store: ViewStore, view: str, limit: int | None = None
) -> tuple[list[dict[str, Any]], list[str] | None]:
    """The rows of one view, and the columns a terminal shows of them."""
    source, columns = TABLES[view]
    rows = [dataclasses.asdict(r) for r in store.select(source, limit=limit)]
    if view == "cards":
        rows = [row | {"status": block_code(row["status"])} for row in rows]
    return rows, [c for c in columns if rows and c in rows[0]] or None


def update(args: argparse.Namespace) -> int:
    with opened_projector(args) as (_, projector):
        count = projector.update()
        emit({"processed": count, "position": projector.position()}, as_json=args.json)
    return 0


def follow_log(args: argparse.Namespace, stop: threading.Event | None = None) -> int:
    if args.log_json:
        log_json()
    with opened_projector(args) as (_, projector), serving_metrics(args, [projector]):
        position = projector.position()
        print(f"following the event log from position {position}; Ctrl-C stops", flush=True)
        log.info(
            "views following the event log from position %d", position,
            extra=fields(consumer=VIEWS, position=position),
        )  # fmt: skip
        projector.follow(stop or threading.Event(), interval=args.interval)
    return 0


def rebuild(args: argparse.Namespace) -> int:
    with opened_projector(args) as (_, projector):
        with progress_bar("rebuilding views") as progress:
            count = projector.rebuild(progress=progress)
        emit({"replayed": count, "position": projector.position()}, as_json=args.json)
    return 0


def show_view(args: argparse.Namespace) -> int:
    with opened_projector(args) as (core, projector):
        rows, columns = view_rows(projector.store, args.view, args.limit)
        emit(rows, as_json=args.json, columns=columns)
        behind, _ = lag(core, projector.position())
        if behind > 0 and not args.json:
            counted = f"at least {behind:,}" if behind >= LAG_LIMIT else f"{behind:,}"
            events = "event" if behind == 1 else "events"
            print(f"(the views are {counted} {events} behind: run 'paycore views update')")
    return 0
