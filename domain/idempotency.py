"""Idempotency records: what a command with a caller's key did, kept beside its effect.

A record is saved in the same transaction as the command's events, so either both exist
or neither does. A retry with the same key and the same arguments gets the recorded
outcome (a result or a refusal) and writes nothing; other arguments are a conflict.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from paycore.domain.aggregate import PaycoreAggregate
from paycore.domain.b2b import id_from
from paycore.domain.errors import IdempotencyConflict, PaycoreError


def fingerprint(command: str, arguments: Mapping[str, object]) -> str:
    """A digest of the command and its validated arguments (no secrets are passed here)."""
    canonical = json.dumps([command, arguments], sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


class IdempotencyRecord(PaycoreAggregate):
    TOPIC = "paycore.IdempotencyRecord"

    class Event(PaycoreAggregate.Event):
        TOPIC = "paycore.IdempotencyRecord.Event"

    class Created(Event, PaycoreAggregate.Created):
        TOPIC = "paycore.IdempotencyRecord.Created"

    @staticmethod
    def create_id(key: str) -> UUID:
        return id_from("idempotency", key)

    class Recorded(Created):
        TOPIC = "paycore.IdempotencyRecord.Recorded"
        key: str
        command: str
        fingerprint: str
        result: Any
        error_code: str | None
        error_message: str | None
        error_details: dict[str, Any] | None

    @event(Recorded)
    def __init__(
        self,
        key: str,
        command: str,
        fingerprint: str,
        result: Any,
        error_code: str | None,
        error_message: str | None,
        error_details: dict[str, Any] | None,
    ) -> None:
        self.key = key
        self.command = command
        self.fingerprint = fingerprint
        self.result = result
        self.error_code = error_code
        self.error_message = error_message
        self.error_details = error_details

    @classmethod
    def of_outcome(
        cls, key: str, command: str, digest: str, result: Any, error: PaycoreError | None
    ) -> IdempotencyRecord:
        return cls(
            key=key,
            command=command,
            fingerprint=digest,
            result=result,
            error_code=error.code if error else None,
            error_message=error.message if error else None,
            error_details=error.details if error else None,
        )

    def replay(self, command: str, digest: str) -> Any:
        """The original outcome, for a retry with the same key and the same arguments."""
        if (command, digest) != (self.command, self.fingerprint):
            msg = (
                f"idempotency key {self.key!r} was used for {self.command} with other "
                f"arguments; use a new key for a different request"
            )
            raise IdempotencyConflict(msg, key=self.key, original_command=self.command)
        if self.error_code is not None:
            raise PaycoreError.from_code(
                self.error_code, self.error_message or "", self.error_details or {}
            )
        return self.result
