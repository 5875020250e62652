"""What the sandbox received and what it applied, for tests to count exactly.

Readable in Python (``sandbox.ledger``) and over HTTP (``GET /_sandbox/effects``, the
:meth:`Ledger.snapshot` as JSON) for tests that drive paycore from another process.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass
from typing import Any

from paycore.adapters.sandbox.state import Effect
from paycore.adapters.sandbox.webhooks import Delivery


@dataclass(frozen=True)
class Received:
    """One API request as the sandbox saw it, and how it answered."""

    endpoint: str
    reference: str | None
    fault: str
    http_status: int


class Ledger:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._received: list[Received] = []
        self._applied: list[Effect] = []
        self._deliveries: list[Delivery] = []
        self._token_requests = 0

    def record_received(self, received: Received) -> None:
        with self._lock:
            self._received.append(received)

    def record_applied(self, effect: Effect) -> None:
        with self._lock:
            self._applied.append(effect)

    def record_delivery(self, delivery: Delivery) -> None:
        with self._lock:
            self._deliveries.append(delivery)

    def record_token_request(self) -> None:
        with self._lock:
            self._token_requests += 1

    @property
    def received(self) -> list[Received]:
        with self._lock:
            return list(self._received)

    @property
    def applied(self) -> list[Effect]:
        with self._lock:
            return list(self._applied)

    @property
    def deliveries(self) -> list[Delivery]:
        with self._lock:
            return list(self._deliveries)

    @property
    def token_requests(self) -> int:
        with self._lock:
            return self._token_requests

    def count_received(self, endpoint: str | None = None, reference: str | None = None) -> int:
        return sum(
            1 for r in self.received if _matches(r.endpoint, r.reference, endpoint, reference)
        )

    def count_applied(self, endpoint: str | None = None, reference: str | None = None) -> int:
        return sum(
            1 for e in self.applied if _matches(e.endpoint, e.reference, endpoint, reference)
        )

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "token_requests": self._token_requests,
                "received": [asdict(r) for r in self._received],
                "applied": [asdict(e) for e in self._applied],
                "deliveries": [{"path": d.path, "status": d.status} for d in self._deliveries],
            }


def _matches(
    endpoint: str, reference: str | None, want_endpoint: str | None, want_reference: str | None
) -> bool:
    return want_endpoint in (None, endpoint) and want_reference in (None, reference)
