"""``paycore sync run|dead-letters|retry``: the relay that sends paycore's changes out."""

from __future__ import annotations

import argparse
import dataclasses
import threading

from paycore.adapters.cli.context import opened_core
from paycore.adapters.cli.output import emit
from paycore.adapters.cli.views import add_log_json, add_metrics_port, serving_metrics
from paycore.adapters.enkash import EnkashClient, EnkashConfig
from paycore.adapters.persistence.tables import SideTables
from paycore.adapters.sync import PartnerProfile, SyncRelay
from paycore.adapters.sync.items import RelayItems
from paycore.adapters.telemetry import log_json
from paycore.domain.errors import NotFound


def add_commands(groups: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sync = groups.add_parser(
        "sync",
        help="the outbound relay to the EnKash platform and its dead-letter list",
        description="Relay the events that need the platform as EnKash calls, each once "
        "(docs/sync.md). The platform's settings come from PAYCORE_ENKASH_* variables.",
    ).add_subparsers(dest="sync_command", metavar="COMMAND", required=True)
    run = sync.add_parser(
        "run",
        help="relay until interrupted (or once with --drain)",
        description="Send each event that needs the platform as its EnKash call, once, "
        "retrying what may be retried and dead-lettering the rest, until SIGINT or SIGTERM "
        "(or until nothing is left, with --drain). One relay per store holds the lease.",
    )
    run.add_argument("--profile", help="partner profile JSON (default: $PAYCORE_SYNC_PROFILE)")
    run.add_argument("--drain", action="store_true", help="relay what is there, then stop")
    add_metrics_port(run)
    add_log_json(run)
    run.set_defaults(handler=run_relay)
    sync.add_parser(
        "dead-letters",
        help="the items the relay gave up on, with their last error",
        description="List the items the relay gave up on: position, event, attempts and "
        "the last error (never a secret).",
    ).set_defaults(handler=list_dead_letters)
    retry = sync.add_parser(
        "retry",
        help="ask the relay to send a dead-lettered item again",
        description="Put one dead-lettered item back in the relay's queue; the running "
        "relay sends it again on its next pass.",
    )
    retry.add_argument("notification_id", type=int, help="the item's position in the log")
    retry.set_defaults(handler=retry_item)


def run_relay(args: argparse.Namespace, stop: threading.Event | None = None) -> int:
    if args.log_json:
        log_json()
    profile = PartnerProfile.from_file(args.profile)
    with opened_core(args) as core, EnkashClient(EnkashConfig.from_env()) as client:
        relay = SyncRelay(core, client, profile)
        try:
            with serving_metrics(args, [relay]):
                if args.drain:
                    relay.drain()
                else:
                    print(f"relaying from position {relay.position}; Ctrl-C stops", flush=True)
                    relay.run(stop or threading.Event())
            emit(
                {"position": relay.position, "dead_letters": len(relay.dead_letters())},
                as_json=args.json,
            )
        finally:
            relay.close()
    return 0


def list_dead_letters(args: argparse.Namespace) -> int:
    with opened_core(args) as core:
        tables = SideTables(core)
        try:
            dead = [dataclasses.asdict(d) for d in RelayItems(tables).listed("dead", "retry")]
        finally:
            tables.close()
    emit(dead, as_json=args.json)
    return 0


def retry_item(args: argparse.Namespace) -> int:
    with opened_core(args) as core:
        tables = SideTables(core)
        try:
            asked = RelayItems(tables).request_retry(args.notification_id)
        finally:
            tables.close()
    if not asked:
        msg = f"no dead-lettered item at position {args.notification_id}"
        raise NotFound(msg, position=args.notification_id)
    print(f"item {args.notification_id} will be sent again by the running relay")
    return 0
