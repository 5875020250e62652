"""The webhook inbox: authenticate, dedupe, order, then one PaymentsCore command.

``WebhookInbox(core, auth).handle(path, headers, body) -> (status, body)`` is framework
free; :mod:`.asgi` mounts it in an ASGI host. Per delivery:

- unknown path: 404 ``WEBHOOK_UNKNOWN_PATH``; forged, unsigned or stale signature:
  401 ``WEBHOOK_UNAUTHENTICATED``; a message id or a body that is not the documented
  shape: 400 ``WEBHOOK_MALFORMED`` (or the domain's code for a malformed value). Nothing
  is recorded for any of them: a log line says what was refused, never a secret or a body.
- every delivery logs one record whose fields (``paycore.path``, ``message_id``,
  ``outcome``, ``code``; see :func:`~paycore.adapters.telemetry.fields`) repeat its text.
- the message id (header ``X-Message-Id``, else a SHA-256 of the path and the body) is
  the idempotency key ``webhook:<id>`` of the command: the command's events and the
  key's record are written in one transaction, so a duplicate finds the record and
  runs nothing (200 ``duplicate``).
- B2B messages carry objectVersion ``current -> new``: behind what paycore holds, the
  command still runs so that its ``OBJECT_VERSION_STALE`` refusal is recorded under the
  key (200 ``stale``); ahead of a gap, the message is parked (202 ``parked``) and applied
  when the missing version arrives.

``handle`` is total: whatever the path, headers and body, it answers. A fault of the
store is 503 ``WEBHOOK_STORE_UNAVAILABLE`` and anything unforeseen 500
``WEBHOOK_INTERNAL_ERROR``; either way the sender may send the message again, since a
delivery applied before the fault is then found by its key.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import sqlite3
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from eventsourcing.persistence import PersistenceError
from pydantic import ValidationError

from paycore.adapters.persistence.tables import SideTables
from paycore.adapters.telemetry import fields
from paycore.adapters.webhooks.auth import WebhookAuth
from paycore.adapters.webhooks.routes import ROUTES, Versioned, WebhookCommand
from paycore.domain import CommandContext, PaymentsCore
from paycore.domain.arguments import CONTEXT_TEXT_LENGTH, IDEMPOTENCY_KEY_LENGTH
from paycore.domain.errors import NotFound, PaycoreError, StoreUnavailable
from paycore.domain.idempotency import IdempotencyRecord
from paycore.domain.invoice import Invoice
from paycore.projections.store import store_faults

log = logging.getLogger("paycore.adapters.webhooks")

MESSAGE_ID_HEADER = "X-Message-Id"
ACTOR = "enkash-webhook"
KEY_PREFIX = "webhook:"
#: a message id is visible ASCII, short enough to be a correlation id and, with the
#: prefix, an idempotency key
MESSAGE_ID_LENGTH = min(CONTEXT_TEXT_LENGTH, IDEMPOTENCY_KEY_LENGTH - len(KEY_PREFIX))
_MESSAGE_ID = re.compile(f"[!-~]{{1,{MESSAGE_ID_LENGTH}}}")

_CREATE = """
CREATE TABLE IF NOT EXISTS paycore_webhook_parked (
    message_id TEXT PRIMARY KEY,
    object_key TEXT NOT NULL,
    current_version INTEGER NOT NULL,
    path TEXT NOT NULL,
    body TEXT NOT NULL
)
"""


@dataclass(frozen=True)
class Parked:
    message_id: str
    object_key: str
    current_version: int
    path: str


Reply = tuple[int, bytes]


def _reply(status: int, **fields: Any) -> Reply:
    return status, json.dumps(fields).encode()


def combined_headers(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Header names in lower case; a name given twice has its values joined by ", "
    (RFC 9110 5.3), so a repeated signature, timestamp or message id never matches
    instead of one of them winning."""
    headers: dict[str, str] = {}
    for name, value in pairs:
        key = name.lower()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    return headers


class WebhookInbox:
    def __init__(self, core: PaymentsCore, auth: WebhookAuth) -> None:
        self.core = core
        self.auth = auth
        with store_faults("opening the webhook inbox's table", written=True):
            self._tables = SideTables(core)
            self._tables.create(_CREATE)

    def close(self) -> None:
        self._tables.close()

    def handle(self, path: str, headers: Mapping[str, str], body: bytes) -> Reply:
        """One delivery: the HTTP status and a JSON body to answer with; never raises."""
        try:
            return self._handle(path.strip("/"), combined_headers(headers.items()), body)
        except Exception as fault:
            return _fault(path, fault)

    def _handle(self, path: str, headers: dict[str, str], body: bytes) -> Reply:
        route = ROUTES.get(path)
        if route is None:
            log.warning(
                "webhook refused: unknown path %r", path[:100],
                extra=fields(path=path[:100], outcome="refused", code="WEBHOOK_UNKNOWN_PATH"),
            )  # fmt: skip
            return _reply(404, code="WEBHOOK_UNKNOWN_PATH")
        if not self.auth.verify(headers, body):
            log.warning(
                "webhook refused: %s unauthenticated", path,
                extra=fields(path=path, outcome="refused", code="WEBHOOK_UNAUTHENTICATED"),
            )  # fmt: skip
            return _reply(401, code="WEBHOOK_UNAUTHENTICATED")
        given_id = headers.get(MESSAGE_ID_HEADER.lower())
        if given_id is not None and not _MESSAGE_ID.fullmatch(given_id):
            log.warning(
                "webhook refused: %s malformed (%s)", path, MESSAGE_ID_HEADER,
                extra=fields(path=path, outcome="refused", code="WEBHOOK_MALFORMED",
                             field=MESSAGE_ID_HEADER),
            )  # fmt: skip
            return _reply(400, code="WEBHOOK_MALFORMED", field=MESSAGE_ID_HEADER)
        try:
            command = route.parse(json.loads(body.decode()))
        except (ValueError, RecursionError, ValidationError, PaycoreError) as malformed:
            code, where = _malformation(malformed)
            log.warning(
                "webhook refused: %s malformed (%s at %s)", path, code, where,
                extra=fields(path=path, outcome="refused", code=code, field=where),
            )  # fmt: skip
            return _reply(400, code=code, field=where)
        message_id = given_id or _digest(path, body)
        if command is None:
            log.info(
                "webhook %s %s acknowledged", path, message_id,
                extra=fields(path=path, message_id=message_id, outcome="acknowledged"),
            )  # fmt: skip
            return _reply(200, outcome="acknowledged", message_id=message_id)
        return self._deliver(path, message_id, body, command)

    def parked(self) -> list[Parked]:
        """Messages waiting for an earlier objectVersion, oldest object first."""
        rows = self._tables.execute(
            "SELECT message_id, object_key, current_version, path FROM paycore_webhook_parked "
            "ORDER BY object_key, current_version"
        )
        return [Parked(str(r[0]), str(r[1]), int(r[2]), str(r[3])) for r in rows]

    # -- applying --------------------------------------------------------------------

    def _deliver(self, path: str, message_id: str, body: bytes, command: WebhookCommand) -> Reply:
        key = KEY_PREFIX + message_id
        if self._recorded(key):
            log.info(
                "webhook %s %s: duplicate, nothing run", path, message_id,
                extra=fields(path=path, message_id=message_id, outcome="duplicate"),
            )  # fmt: skip
            return _reply(200, outcome="duplicate", message_id=message_id)
        versioned = command.versioned
        held = self._held(versioned) if versioned else 0
        if versioned is not None and versioned.version.current > held:
            self._park(message_id, versioned, path, body)
            if versioned.version.current > self._held(versioned):
                log.info(
                    "webhook %s %s parked at %s v%d", path, message_id, versioned.key,
                    versioned.version.current,
                    extra=fields(path=path, message_id=message_id, outcome="parked",
                                 object_key=versioned.key,
                                 object_version=versioned.version.current),
                )  # fmt: skip
                return _reply(202, outcome="parked", message_id=message_id)
            # The missing version arrived while this one was being parked: take it back
            # (if another delivery took it first, the idempotency key makes it once).
            self._unpark(message_id)
        # A stale message still runs: the domain refuses it, and the refusal is
        # recorded under the message's key (the audit trail shows it was ignored).
        stale = versioned is not None and versioned.version.new <= held
        reply = self._run(path, message_id, command, stale=stale)
        if versioned is not None:
            self._release_parked(versioned)
        return reply

    def _run(
        self, path: str, message_id: str, command: WebhookCommand, *, stale: bool = False
    ) -> Reply:
        key = KEY_PREFIX + message_id
        try:
            context = CommandContext(
                actor=ACTOR, source="webhook", correlation_id=message_id, causation_id=path
            )
            command.run(self.core, context, key)
        except StoreUnavailable:
            raise  # not a refusal: answered 503, and the sender sends it again
        except PaycoreError as error:
            if not self._recorded(key):
                # Refused before anything was written: a value the domain will not take.
                log.warning(
                    "webhook refused: %s %s %s", path, message_id, error.code,
                    extra=fields(path=path, message_id=message_id, outcome="refused",
                                 code=error.code),
                )  # fmt: skip
                return _reply(400, code=error.code, message=error.message)
            outcome = "stale" if stale or error.code == "OBJECT_VERSION_STALE" else "refused"
            log.info(
                "webhook %s %s %s (%s), recorded", path, message_id, outcome, error.code,
                extra=fields(path=path, message_id=message_id, outcome=outcome, code=error.code),
            )  # fmt: skip
            return _reply(200, outcome=outcome, code=error.code, message_id=message_id)
        log.info(
            "webhook %s %s applied", path, message_id,
            extra=fields(path=path, message_id=message_id, outcome="applied"),
        )  # fmt: skip
        return _reply(200, outcome="applied", message_id=message_id)

    def _release_parked(self, versioned: Versioned) -> None:
        """Applies the parked messages that now follow on, one version after another."""
        while True:
            held = self._held(versioned)
            claimed = self._claim(versioned.key, held)
            if not claimed:
                return
            for message_id, path, body in claimed:
                command = ROUTES[path].parse(json.loads(body))
                assert command is not None
                self._run(path, message_id, command)

    def _recorded(self, key: str) -> bool:
        return IdempotencyRecord.create_id(key) in self.core.repository

    def _held(self, versioned: Versioned) -> int:
        """The objectVersion paycore holds (0: it does not know the object yet)."""
        try:
            if versioned.kind is Invoice:
                return self.core.get_invoice(versioned.aggregate_id).object_version
            return self.core.get_purchase_order(versioned.aggregate_id).object_version
        except NotFound:
            return 0

    def _park(self, message_id: str, versioned: Versioned, path: str, body: bytes) -> None:
        self._tables.execute(
            "INSERT INTO paycore_webhook_parked VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (message_id) DO NOTHING",
            (message_id, versioned.key, versioned.version.current, path, body.decode()),
        )

    def _unpark(self, message_id: str) -> None:
        self._tables.execute(
            "DELETE FROM paycore_webhook_parked WHERE message_id = ?", (message_id,)
        )

    def _claim(self, object_key: str, current: int) -> list[tuple[str, str, str]]:
        rows = self._tables.execute(
            "DELETE FROM paycore_webhook_parked WHERE object_key = ? AND current_version = ? "
            "RETURNING message_id, path, body",
            (object_key, current),
        )
        return [(str(r[0]), str(r[1]), str(r[2])) for r in rows]


def _digest(path: str, body: bytes) -> str:
    return hashlib.sha256(path.encode() + b"\n" + body).hexdigest()


def _fault(path: str, error: Exception) -> Reply:
    """The answer to a delivery that failed on paycore's side: the sender tries again."""
    if isinstance(error, _store_faults()):
        log.error(
            "webhook %r: the store failed (%s), 503", path[:100], type(error).__name__,
            extra=fields(path=path[:100], outcome="unavailable", code="WEBHOOK_STORE_UNAVAILABLE",
                         error=type(error).__name__),
        )  # fmt: skip
        return _reply(503, code="WEBHOOK_STORE_UNAVAILABLE", message="send the message again later")
    # the type only: the message of an unforeseen error may quote the body
    log.error(
        "webhook %r: %s in paycore, 500", path[:100], type(error).__name__,
        extra=fields(path=path[:100], outcome="failed", code="WEBHOOK_INTERNAL_ERROR",
                     error=type(error).__name__),
    )  # fmt: skip
    return _reply(500, code="WEBHOOK_INTERNAL_ERROR", message="send the message again later")


def _store_faults() -> tuple[type[Exception], ...]:
    """The errors of the event store and of the side tables' SQLite or psycopg connection
    (psycopg is the optional postgres extra: if it was never imported, it raised nothing)."""
    psycopg = sys.modules.get("psycopg")
    faults = (StoreUnavailable, PersistenceError, sqlite3.Error)
    return faults + ((psycopg.Error,) if psycopg else ())


def _malformation(error: Exception) -> tuple[str, str]:
    """The code and the field (never the value) of a malformed body."""
    if isinstance(error, ValidationError):
        first = error.errors(include_url=False, include_input=False)[0]
        return "WEBHOOK_MALFORMED", ".".join(str(p) for p in first["loc"]) or "body"
    if isinstance(error, PaycoreError):
        return error.code, str(error.details.get("argument", "body"))
    return "WEBHOOK_MALFORMED", "body"
