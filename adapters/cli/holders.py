"""``paycore holders show|export|forget``: a cardholder's data, masked, in clear, erased.

``show`` reads the holders view (brought up to date first): details masked, never in
clear. ``export`` is the right of access: everything paycore holds about the person, in
clear JSON, recorded with who asked (``--actor``) and why (``--reason``). ``forget`` is
the right to erasure: it records who and why, then destroys the holder's data key.

``export`` and ``forget`` open the holder's data key, so they need the store's master key
in ``PAYCORE_MASTER_KEY``; without it they stop with one ``CONFIGURATION`` line before
anything is read or written. No command prints a personal value but ``export``.
"""

from __future__ import annotations

import argparse
import getpass
import json
from typing import Any
from uuid import UUID

from paycore.adapters.cli.context import opened_core, opened_projector
from paycore.adapters.cli.output import emit
from paycore.domain.core import CommandContext
from paycore.domain.errors import NotFound
from paycore.domain.personal_data import Erased
from paycore.projections import HOLDERS


def add_commands(groups: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    holders = groups.add_parser(
        "holders",
        help="a cardholder's data: masked, exported in clear, or forgotten",
        description="Show a cardholder's details masked, export everything paycore holds "
        "about them in clear (audited), or forget them (crypto-shredding, audited). "
        "export and forget need PAYCORE_MASTER_KEY.",
    ).add_subparsers(dest="holders_command", metavar="COMMAND", required=True)

    show = holders.add_parser(
        "show",
        help="a holder's details, masked, their cards and whether they were forgotten",
        description="A holder as the holders view shows them: PAN ABCDE****F, mobile "
        "******3210, email a***@example.com; <erased> once forgotten. Never a clear value.",
    )
    show.add_argument("holder_id", type=_holder_id, help="the holder's id")
    show.set_defaults(handler=show_holder)

    export = holders.add_parser(
        "export",
        help="everything paycore holds about a holder, in clear JSON (audited)",
        description="The right of access: the holder's details in clear, their cards and "
        "what was erased, as JSON on stdout. Recorded as an Exported event with the actor "
        "and the reason (never a personal value). Needs PAYCORE_MASTER_KEY.",
    )
    export.add_argument("holder_id", type=_holder_id, help="the holder's id")
    _audited(export, "why the data is exported, e.g. 'access request 7'")
    export.set_defaults(handler=export_holder)

    forget = holders.add_parser(
        "forget",
        help="erase a holder: destroy their data key (audited)",
        description="The right to erasure: records who asked and why, then destroys the "
        "holder's data key, so every field of theirs reads as erased. Money history and "
        "the hash chain stay intact. Needs PAYCORE_MASTER_KEY.",
    )
    forget.add_argument("holder_id", type=_holder_id, help="the holder's id")
    _audited(forget, "why the holder is forgotten, e.g. 'erasure request 9'")
    forget.set_defaults(handler=forget_holder)


def _audited(command: argparse.ArgumentParser, reason: str) -> None:
    command.add_argument("--reason", required=True, help=reason)
    command.add_argument(
        "--actor",
        default=None,
        help="who asks, as the event records it (default: cli:<your login name>)",
    )


def _holder_id(text: str) -> UUID:
    try:
        return UUID(text)
    except ValueError:
        msg = f"{text!r} is not a holder id (a UUID)"
        raise argparse.ArgumentTypeError(msg) from None


def _context(args: argparse.Namespace) -> CommandContext:
    return CommandContext(actor=args.actor or f"cli:{getpass.getuser()}", source="api")


def show_holder(args: argparse.Namespace) -> int:
    with opened_projector(args) as (_, projector):
        projector.refresh()
        found = projector.store.select(HOLDERS, ("holder_id", "=", args.holder_id))
    if not found:
        msg = f"no holder {args.holder_id} in the holders view"
        raise NotFound(msg, kind="Holder", id=str(args.holder_id))
    row = found[0]
    details = row.details()
    shown: dict[str, Any] = {
        "holder_id": row.holder_id,
        "forgotten": row.forgotten,
        "forgotten_at": row.forgotten_at,
        "cards": row.cards,
        "exports": row.exports,
    }
    if args.json:
        shown["details"] = {f: None if isinstance(v, Erased) else v for f, v in details.items()}
        shown["erased"] = sorted(f for f, v in details.items() if isinstance(v, Erased))
    else:
        shown |= {f: str(v) for f, v in details.items()}
    emit(shown, as_json=args.json)
    return 0


def export_holder(args: argparse.Namespace) -> int:
    with opened_core(args) as core:
        exported = core.export_holder(args.holder_id, args.reason, context=_context(args))
    print(json.dumps(exported, indent=2, ensure_ascii=False))
    return 0


def forget_holder(args: argparse.Namespace) -> int:
    with opened_core(args) as core:
        core.forget_holder(args.holder_id, args.reason, context=_context(args))
    emit({"holder_id": args.holder_id, "forgotten": True}, as_json=args.json)
    return 0
