"""Posting webhooks the way paycore's webhook inbox expects to receive them.

:func:`deliver` is the one delivery function (the sandbox uses it, and so can any test
that plays the platform): ``POST <target.url><path>`` with a JSON body and, when the
target has a signing secret, two headers:

- ``X-Paycore-Timestamp``: seconds since the epoch, as a decimal string;
- ``X-Paycore-Signature``: hex HMAC-SHA256 of ``f"{timestamp}.{body}"`` (the exact
  body bytes), keyed with the signing secret.

The platform documents no B2B webhook signature; BBPS webhooks carry static headers
chosen by the partner, which ``static_headers`` reproduces.

:class:`WebhookDispatcher` delivers from a background thread so an API answer never
waits for a webhook, and injects the webhook faults of the plan: a duplicate
delivery, or one held back and delivered after the next.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from paycore.adapters.sandbox.faults import FaultPlan, WebhookFault
from paycore.adapters.webhooks.auth import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign

log = logging.getLogger("paycore.adapters.sandbox")


@dataclass(frozen=True)
class WebhookTarget:
    """Where webhooks go: a base URL the platform appends the webhook path to."""

    url: str
    signing_secret: bytes | None = field(default=None, repr=False)
    static_headers: Mapping[str, str] = field(default_factory=dict, repr=False)
    timeout: float = 5.0


@dataclass(frozen=True)
class Delivery:
    """One webhook sent: the path, the body, and the receiver's HTTP status (0: none)."""

    path: str
    body: dict[str, Any]
    status: int


def deliver(
    target: WebhookTarget,
    path: str,
    body: Mapping[str, Any],
    *,
    http: httpx.Client | None = None,
    now: Callable[[], float] = time.time,
) -> int:
    """POST one webhook; the receiver's HTTP status, or 0 if it could not be reached."""
    try:
        return post(target, path, body, http=http, now=now).status_code
    except httpx.HTTPError as exc:
        log.warning("webhook %s not delivered: %s", path, type(exc).__name__)
        return 0


def post(
    target: WebhookTarget,
    path: str,
    body: Mapping[str, Any],
    *,
    http: httpx.Client | None = None,
    now: Callable[[], float] = time.time,
) -> httpx.Response:
    """POST one webhook, signed when the target has a secret; the receiver's answer
    (``httpx.HTTPError`` if it could not be reached)."""
    raw = json.dumps(body, separators=(",", ":"), default=str).encode()
    headers = {"Content-Type": "application/json", **target.static_headers}
    if target.signing_secret is not None:
        timestamp = str(int(now()))
        headers[TIMESTAMP_HEADER] = timestamp
        headers[SIGNATURE_HEADER] = sign(target.signing_secret, timestamp, raw)
    url = target.url.rstrip("/") + "/" + path.lstrip("/")
    if http is not None:
        return http.post(url, content=raw, headers=headers)
    with httpx.Client(timeout=target.timeout) as client:
        return client.post(url, content=raw, headers=headers)


_FLUSH: tuple[str, dict[str, Any]] = ("", {})


class WebhookDispatcher:
    """Delivers queued webhooks in order, from one thread, with the plan's faults."""

    def __init__(
        self,
        target: WebhookTarget | None,
        faults: FaultPlan,
        on_delivery: Callable[[Delivery], None],
    ) -> None:
        self._target = target
        self._faults = faults
        self._on_delivery = on_delivery
        self._queue: queue.Queue[tuple[str, dict[str, Any]] | None] = queue.Queue()
        self._held: tuple[str, dict[str, Any]] | None = None
        self._thread = threading.Thread(target=self._run, name="sandbox-webhooks", daemon=True)
        self._thread.start()

    def enqueue(self, path: str, body: dict[str, Any]) -> None:
        if self._target is not None:
            self._queue.put((path, body))

    def drain(self) -> None:
        """Return once every queued webhook (held-back ones too) has been sent."""
        self._queue.put(_FLUSH)
        self._queue.join()

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join()

    def _run(self) -> None:
        timeout = self._target.timeout if self._target else 5.0
        with httpx.Client(timeout=timeout) as http:
            while (item := self._queue.get()) is not None:
                try:
                    self._dispatch(http, item)
                finally:
                    self._queue.task_done()
            self._queue.task_done()

    def _dispatch(self, http: httpx.Client, item: tuple[str, dict[str, Any]]) -> None:
        if item is _FLUSH:
            self._release_held(http)
            return
        fault = self._faults.draw_webhook()
        if fault is WebhookFault.OUT_OF_ORDER and self._held is None:
            self._held = item
            return
        self._send(http, *item)
        if fault is WebhookFault.DUPLICATE:
            self._send(http, *item)
        self._release_held(http)

    def _release_held(self, http: httpx.Client) -> None:
        if self._held is not None:
            held, self._held = self._held, None
            self._send(http, *held)

    def _send(self, http: httpx.Client, path: str, body: dict[str, Any]) -> None:
        assert self._target is not None
        status = deliver(self._target, path, body, http=http)
        self._on_delivery(Delivery(path, body, status))
