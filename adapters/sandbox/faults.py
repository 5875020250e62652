"""Faults the sandbox injects, drawn from a seeded generator so a run can be replayed.

Each request draws one :class:`Fault` and each webhook one :class:`WebhookFault`, in
the order they arrive; the same seed and the same sequence of requests give the same
faults. :meth:`FaultPlan.force` queues a fault for the next request(s) to one path,
for tests that need one particular failure at one particular moment.
"""

from __future__ import annotations

import enum
import random
import threading
from collections import defaultdict, deque
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


class Fault(enum.Enum):
    NONE = "none"
    #: answer after ``FaultRates.latency_seconds``
    LATENCY = "latency"
    #: HTTP 503, nothing applied
    SERVER_ERROR = "server_error"
    #: apply the effect, then hold the answer and drop the connection
    TIMEOUT_AFTER_EFFECT = "timeout_after_effect"
    #: apply the effect, then answer HTTP 200 with a body that has neither envelope
    UNREADABLE_AFTER_EFFECT = "unreadable_after_effect"


class WebhookFault(enum.Enum):
    NONE = "none"
    #: deliver the webhook twice
    DUPLICATE = "duplicate"
    #: hold the webhook back and deliver it after the next one
    OUT_OF_ORDER = "out_of_order"


@dataclass(frozen=True)
class FaultRates:
    """Probability of each fault per request (or per webhook), each in [0, 1]."""

    latency: float = 0.0
    server_error: float = 0.0
    timeout_after_effect: float = 0.0
    unreadable_after_effect: float = 0.0
    duplicate_webhook: float = 0.0
    out_of_order_webhook: float = 0.0
    latency_seconds: float = 0.05

    def __post_init__(self) -> None:
        request_total = (
            self.latency + self.server_error + self.timeout_after_effect
            + self.unreadable_after_effect
        )  # fmt: skip
        webhook_total = self.duplicate_webhook + self.out_of_order_webhook
        if not (0 <= request_total <= 1 and 0 <= webhook_total <= 1):
            raise ValueError("fault rates must be non-negative and add up to at most 1")


class FaultPlan:
    """The seeded source of faults; safe to share between server threads."""

    def __init__(self, seed: int = 0, rates: FaultRates | None = None) -> None:
        self.rates = rates or FaultRates()
        self._rng = random.Random(seed)  # noqa: S311  (a replayable plan, not secrecy)
        self._lock = threading.Lock()
        self._forced: defaultdict[str, deque[Fault]] = defaultdict(deque)
        self._forced_webhooks: deque[WebhookFault] = deque()

    def force(self, path: str, fault: Fault, times: int = 1) -> None:
        """The next ``times`` requests to ``path`` get ``fault``, before any draw."""
        with self._lock:
            self._forced[path].extend([fault] * times)

    def force_webhook(self, fault: WebhookFault, times: int = 1) -> None:
        with self._lock:
            self._forced_webhooks.extend([fault] * times)

    def draw(self, path: str) -> Fault:
        rates = self.rates
        with self._lock:
            if self._forced[path]:
                return self._forced[path].popleft()
            return _pick(
                self._rng.random(),
                [
                    (rates.latency, Fault.LATENCY),
                    (rates.server_error, Fault.SERVER_ERROR),
                    (rates.timeout_after_effect, Fault.TIMEOUT_AFTER_EFFECT),
                    (rates.unreadable_after_effect, Fault.UNREADABLE_AFTER_EFFECT),
                ],
                Fault.NONE,
            )

    def draw_webhook(self) -> WebhookFault:
        rates = self.rates
        with self._lock:
            if self._forced_webhooks:
                return self._forced_webhooks.popleft()
            return _pick(
                self._rng.random(),
                [
                    (rates.duplicate_webhook, WebhookFault.DUPLICATE),
                    (rates.out_of_order_webhook, WebhookFault.OUT_OF_ORDER),
                ],
                WebhookFault.NONE,
            )


def _pick(roll: float, choices: list[tuple[float, T]], otherwise: T) -> T:
    threshold = 0.0
    for rate, choice in choices:
        threshold += rate
        if roll < threshold:
            return choice
    return otherwise
