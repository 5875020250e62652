"""``paycore audit trail|events|as-of|digest|verify``: who changed what, when, and proof."""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from eventsourcing.utils import get_topic

from paycore.adapters.cli.arguments import at_least
from paycore.adapters.cli.context import opened_projector
from paycore.adapters.cli.output import emit
from paycore.adapters.cli.timeline import write_timeline
from paycore.domain.errors import ConfigurationError, InvalidArgument
from paycore.domain.invoice import Invoice
from paycore.projections import AuditTrail, Digest

KEY_VARIABLE = "PAYCORE_AUDIT_KEY"
EVENT_COLUMNS = ["position", "recorded_at", "aggregate_type", "version", "event_type", "actor"]


def add_commands(groups: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    audit = groups.add_parser(
        "audit",
        help="audit trail queries, past states, and the tamper-evident hash chain",
        description="Query the audit trail (the views are brought up to date first), "
        "read an aggregate as it was, and export or check the hash chain over the log.",
    ).add_subparsers(dest="audit_command", metavar="COMMAND", required=True)

    trail = audit.add_parser(
        "trail",
        help="every event of one aggregate, oldest first",
        description="Every event of one aggregate, oldest first: position, time, type, "
        "actor. With --html, also a picture of the trail as a self-contained HTML file.",
    )
    trail.add_argument("aggregate_id", type=_uuid, help="the aggregate's id")
    trail.add_argument(
        "--html",
        metavar="FILE",
        type=Path,
        help="also write the trail as a timeline picture (HTML with SVG, no scripts)",
    )
    trail.set_defaults(handler=show_trail)

    events = audit.add_parser(
        "events",
        help="events by actor, correlation id, type, time",
        description="Events across the log that match every filter given, in log order.",
    )
    events.add_argument("--actor", help="who asked, e.g. clerk@acme.example")
    events.add_argument("--correlation-id", help="the correlation id the caller gave")
    example = get_topic(Invoice.Responded)
    events.add_argument("--type", dest="event_type", help=f"a topic, e.g. {example}")
    events.add_argument("--since", type=_moment, help="ISO time with zone, inclusive")
    events.add_argument("--until", type=_moment, help="ISO time with zone, exclusive")
    events.add_argument("--limit", type=at_least(0), default=100, help="at most this many")
    events.set_defaults(handler=show_events)

    as_of = audit.add_parser(
        "as-of",
        help="an aggregate as it was at a version or a time",
        description="Replay one aggregate's events up to a version or a time and show "
        "its state then.",
    )
    as_of.add_argument("aggregate_id", type=_uuid, help="the aggregate's id")
    when = as_of.add_mutually_exclusive_group(required=True)
    when.add_argument("--version", type=at_least(1), help="the aggregate's version")
    when.add_argument("--at", type=_moment, help="ISO time with zone")
    as_of.set_defaults(handler=show_as_of)

    digest = audit.add_parser(
        "digest",
        help="the chain's head and position, signed with an HMAC key",
        description="Export the hash chain's position and head hash, signed with "
        "HMAC-SHA256, to check the log against later with 'audit verify --digest'.",
    )
    digest.add_argument("--key", help=f"the HMAC key (default: ${KEY_VARIABLE})")
    digest.add_argument("--out", type=Path, help="write the digest to this file")
    digest.set_defaults(handler=export_digest)

    verify = audit.add_parser(
        "verify",
        help="recompute the hash chain; exit 1 and name the first bad position if broken",
        description="Recompute the hash chain from the stored events; exit 1 naming the "
        "first bad position if an event was changed, removed, reordered or inserted.",
    )
    verify.add_argument("--digest", type=Path, help="also check against an exported digest")
    verify.add_argument("--key", help=f"the digest's HMAC key (default: ${KEY_VARIABLE})")
    verify.set_defaults(handler=verify_chain)


def _uuid(text: str) -> UUID:
    try:
        return UUID(text)
    except ValueError:
        msg = f"{text!r} is not an aggregate id (a UUID)"
        raise argparse.ArgumentTypeError(msg) from None


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        msg = f"{text!r} is not an ISO time with a zone, e.g. 2026-11-24T10:00:00+05:30"
        raise argparse.ArgumentTypeError(msg)
    return moment


def _key(value: str | None) -> bytes:
    """The HMAC key given with ``--key`` or in ``KEY_VARIABLE`` (hex if it reads as hex)."""
    text = value or os.environ.get(KEY_VARIABLE, "")
    if not text:
        msg = f"give a key with --key or set {KEY_VARIABLE}"
        raise ConfigurationError(msg, setting=KEY_VARIABLE)
    try:
        return bytes.fromhex(text)
    except ValueError:
        return text.encode()


def _rows(events: list[Any], as_json: bool) -> list[dict[str, Any]]:
    rows = [dataclasses.asdict(e) for e in events]
    return rows if as_json else [{c: r[c] for c in EVENT_COLUMNS} for r in rows]


def show_trail(args: argparse.Namespace) -> int:
    with opened_projector(args) as (core, projector):
        projector.refresh()
        events = AuditTrail(core, projector.store).events_of(args.aggregate_id)
        if not events:
            msg = f"no events for aggregate {args.aggregate_id}"
            raise InvalidArgument(msg)
        emit(_rows(events, args.json), as_json=args.json)
    if args.html:
        write_timeline(events, args.html)
        print(f"timeline of {len(events)} events written to {args.html}", file=sys.stderr)
    return 0


def show_events(args: argparse.Namespace) -> int:
    with opened_projector(args) as (core, projector):
        projector.refresh()
        events = AuditTrail(core, projector.store).events(
            actor=args.actor,
            correlation_id=args.correlation_id,
            event_type=args.event_type,
            since=args.since,
            until=args.until,
            limit=args.limit,
        )
        emit(_rows(events, args.json), as_json=args.json)
    return 0


def show_as_of(args: argparse.Namespace) -> int:
    with opened_projector(args) as (core, projector):
        aggregate = AuditTrail(core, projector.store).as_of(
            args.aggregate_id, version=args.version, at=args.at
        )
        state = {"type": type(aggregate).__name__, "id": aggregate.id, "version": aggregate.version}
        state |= {k: v for k, v in vars(aggregate).items() if not k.startswith("_")}
        emit(state, as_json=args.json)
    return 0


def export_digest(args: argparse.Namespace) -> int:
    with opened_projector(args) as (core, projector):
        projector.refresh()
        digest = AuditTrail(core, projector.store).digest(_key(args.key))
        text = json.dumps(digest.to_json(), indent=2)
        if args.out:
            args.out.write_text(text + "\n")
            print(f"digest of position {digest.position} written to {args.out}")
        else:
            print(text)
    return 0


def verify_chain(args: argparse.Namespace) -> int:
    digest = key = None
    if args.digest:
        digest = Digest.from_json(json.loads(args.digest.read_text()))
        key = _key(args.key)
    with opened_projector(args) as (core, projector):
        # Extending the chain never rewrites a link, so new events are chained first.
        projector.refresh()
        result = AuditTrail(core, projector.store).verify(digest, key)
        emit(dataclasses.asdict(result), as_json=args.json)
    if not result.ok:
        print(f"paycore: check failed: {result.reason}", file=sys.stderr)
        return 1
    return 0
