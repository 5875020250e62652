"""The relay's item table: attempts in flight and the dead-letter list.

A row is written *before* each attempt to send, so after a crash or an unknown outcome
the relay knows that the platform may already have the call and asks it first. A dead
item keeps its row (``state`` ``dead``) with the last error; an operator's retry turns it
to ``retry`` and the active worker sends it again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from paycore.adapters.persistence.tables import SideTables

SENDING, DEAD, RETRY = "sending", "dead", "retry"

_CREATE = """
CREATE TABLE IF NOT EXISTS paycore_sync_items (
    notification_id BIGINT PRIMARY KEY,
    kind TEXT NOT NULL,
    reference TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    state TEXT NOT NULL,
    error_code TEXT,
    error_message TEXT,
    updated_at TEXT NOT NULL
)
"""
_COLUMNS = (
    "notification_id, kind, reference, attempts, state, error_code, error_message, updated_at"
)


@dataclass(frozen=True)
class DeadLetter:
    """An item the relay gave up on; the position moved past it."""

    notification_id: int
    kind: str
    reference: str
    attempts: int
    state: str
    error_code: str
    error_message: str
    updated_at: str


class RelayItems:
    def __init__(self, tables: SideTables) -> None:
        self._tables = tables
        tables.create(_CREATE)

    def start_attempt(self, notification_id: int, kind: str, reference: str) -> int:
        """Records an attempt about to be made; how many attempts came before it."""
        rows = self._tables.execute(
            "INSERT INTO paycore_sync_items (" + _COLUMNS + ") "
            "VALUES (?, ?, ?, 1, ?, NULL, NULL, ?) "
            "ON CONFLICT (notification_id) DO UPDATE SET "
            "attempts = paycore_sync_items.attempts + 1, updated_at = excluded.updated_at "
            "RETURNING attempts",
            (notification_id, kind, reference, SENDING, _now()),
        )
        return int(rows[0][0]) - 1

    def state(self, notification_id: int) -> str | None:
        rows = self._tables.execute(
            "SELECT state FROM paycore_sync_items WHERE notification_id = ?", (notification_id,)
        )
        return str(rows[0][0]) if rows else None

    def bury(
        self, notification_id: int, kind: str, reference: str, code: str, message: str
    ) -> None:
        self._tables.execute(
            "INSERT INTO paycore_sync_items (" + _COLUMNS + ") "
            "VALUES (?, ?, ?, 0, ?, ?, ?, ?) "
            "ON CONFLICT (notification_id) DO UPDATE SET state = excluded.state, "
            "error_code = excluded.error_code, error_message = excluded.error_message, "
            "updated_at = excluded.updated_at",
            (notification_id, kind, reference, DEAD, code, message[:500], _now()),
        )

    def forget(self, notification_id: int) -> None:
        self._tables.execute(
            "DELETE FROM paycore_sync_items WHERE notification_id = ?", (notification_id,)
        )

    def request_retry(self, notification_id: int) -> bool:
        rows = self._tables.execute(
            "UPDATE paycore_sync_items SET state = ?, updated_at = ? "
            "WHERE notification_id = ? AND state = ? RETURNING notification_id",
            (RETRY, _now(), notification_id, DEAD),
        )
        return bool(rows)

    def listed(self, *states: str) -> list[DeadLetter]:
        marks = ", ".join("?" for _ in states)
        rows = self._tables.execute(
            f"SELECT {_COLUMNS} FROM paycore_sync_items WHERE state IN ({marks}) "  # noqa: S608
            "ORDER BY notification_id",
            states,
        )
        return [
            DeadLetter(
                int(r[0]),
                str(r[1]),
                str(r[2]),
                int(r[3]),
                str(r[4]),
                str(r[5] or ""),
                str(r[6] or ""),
                str(r[7]),
            )
            for r in rows
        ]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")
