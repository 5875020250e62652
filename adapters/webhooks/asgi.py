"""The inbox as a plain ASGI application, for a host service to mount.

No framework: ``app = WebhookApp(inbox)`` answers ``POST`` on every path the inbox
knows (under whatever prefix the host mounts it at) and runs the inbox in a worker
thread, since paycore's store is synchronous.

A host that builds its core in its own lifespan (as it should: not at import, and once
per worker process) makes the app first and binds the inbox later::

    webhooks = WebhookApp()                          # at import; mounted at /enkash
    ...                                              # in the host's lifespan:
    webhooks.bind(inbox, offload=core.to_thread)     # core: an AsyncPaymentsCore
    ...
    webhooks.unbind()                                # at shutdown, then inbox.close()

Until it is bound (and once unbound) a delivery is answered 503 ``WEBHOOK_NOT_READY``,
which the platform retries. ``offload`` runs the synchronous inbox: by default
``asyncio.to_thread``; an ``AsyncPaymentsCore``'s ``to_thread`` shares its bounded
workers. :meth:`WebhookApp.deliver` is the same path for a host's own route: awaited,
it answers one delivery.

The app refuses what is not a well-framed delivery before reading a byte of the body,
whatever server runs it:

- a method other than ``POST``: 405 ``WEBHOOK_METHOD``, with ``Allow: POST``;
- a ``Content-Length`` given twice, not one decimal number, or given with a
  ``Transfer-Encoding``: 400 ``WEBHOOK_MALFORMED_HTTP``;
- a body larger than ``max_body`` (declared, or found while reading): 413
  ``WEBHOOK_TOO_LARGE``.

The two refusals of framing close the connection (``Connection: close``): what follows
on it cannot be told apart from the body. A client that goes away before its body has
arrived gets no answer and runs nothing.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from typing import Any, ParamSpec, Protocol, TypeVar

from paycore.adapters.telemetry import span
from paycore.adapters.webhooks.inbox import MESSAGE_ID_HEADER, combined_headers

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

#: a larger body is refused (413) before it is read to the end
MAX_BODY = 1 << 20
_LENGTH = re.compile(rb"[0-9]{1,19}")
_CLOSE = [(b"connection", b"close")]
P = ParamSpec("P")
T = TypeVar("T")


class Inbox(Protocol):
    """What the app needs of an inbox (a :class:`WebhookInbox`): an answer to each delivery."""

    def handle(self, path: str, headers: Mapping[str, str], body: bytes) -> tuple[int, bytes]: ...


class Offload(Protocol):
    """Runs a synchronous call away from the event loop: ``asyncio.to_thread`` or
    ``AsyncPaymentsCore.to_thread``."""

    def __call__(
        self, call: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs
    ) -> Awaitable[T]: ...


#: an answer the app gives itself: status, JSON body, extra headers
Answer = tuple[int, bytes, list[tuple[bytes, bytes]]]


class WebhookApp:
    def __init__(
        self,
        inbox: Inbox | None = None,
        *,
        max_body: int = MAX_BODY,
        offload: Offload | None = None,
    ) -> None:
        self.inbox = inbox
        self.offload: Offload = offload or asyncio.to_thread
        self.max_body = max_body
        message = f"a webhook body is at most {max_body} bytes"
        self._too_large: Answer = (413, refusal("WEBHOOK_TOO_LARGE", message), _CLOSE)

    def bind(self, inbox: Inbox, *, offload: Offload | None = None) -> None:
        """From now on, deliveries go to ``inbox``, run by ``offload`` if given."""
        self.inbox = inbox
        self.offload = offload or self.offload

    def unbind(self) -> None:
        """From now on, deliveries are answered 503 until the next :meth:`bind`."""
        self.inbox = None

    async def deliver(
        self, path: str, headers: Mapping[str, str], body: bytes
    ) -> tuple[int, bytes]:
        """The inbox's answer to one delivery (503 while no inbox is bound)."""
        inbox = self.inbox
        if inbox is None:
            return 503, refusal("WEBHOOK_NOT_READY", "the webhook inbox is starting or stopping")
        message_id = headers.get(MESSAGE_ID_HEADER.lower())
        with span("paycore.webhook", path=path[:100], correlation_id=message_id):
            return await self.offload(inbox.handle, path, headers, body)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
        elif scope["type"] == "http":
            await self._http(scope, receive, send)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        raw_headers: list[tuple[bytes, bytes]] = list(scope["headers"])
        refused = self._refused(str(scope["method"]), raw_headers)
        if refused is not None:
            await _send(send, refused)
            return
        try:
            body = await self._body(receive)
        except _TooLarge:
            await _send(send, self._too_large)
            return
        if body is None:  # the client went away: nothing to answer, nothing run
            return
        headers = combined_headers(
            (name.decode("latin-1"), value.decode("latin-1")) for name, value in raw_headers
        )
        status, answer = await self.deliver(_path(scope), headers, body)
        await _send(send, (status, answer, []))

    def _refused(self, method: str, headers: list[tuple[bytes, bytes]]) -> Answer | None:
        """The refusal of a request by its method and framing, before its body is read."""
        if method != "POST":
            message = "webhooks are delivered by POST"
            return 405, refusal("WEBHOOK_METHOD", message), [(b"allow", b"POST")]
        names = [name.lower() for name, _ in headers]
        lengths = [value for name, value in headers if name.lower() == b"content-length"]
        if len(lengths) > 1 or (lengths and not _LENGTH.fullmatch(lengths[0].strip())):
            message = "give one Content-Length, a decimal number of bytes"
            return 400, refusal("WEBHOOK_MALFORMED_HTTP", message), _CLOSE
        if lengths and b"transfer-encoding" in names:
            message = "give a Content-Length or a Transfer-Encoding, not both"
            return 400, refusal("WEBHOOK_MALFORMED_HTTP", message), _CLOSE
        if lengths and int(lengths[0]) > self.max_body:
            return self._too_large
        return None

    async def _body(self, receive: Receive) -> bytes | None:
        """The whole body, or None if the client went away first."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                raise _TooLarge
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)


class _TooLarge(Exception):
    """The body grew past ``max_body`` while it was read."""


def refusal(code: str, message: str) -> bytes:
    """The JSON body of a refusal made before the inbox sees the delivery."""
    return json.dumps({"code": code, "message": message}).encode()


def _path(scope: Scope) -> str:
    """The path under the prefix the host mounted the app at."""
    path = str(scope["path"])
    root = str(scope.get("root_path", ""))
    return path[len(root) :] if root and path.startswith(root) else path


async def _send(send: Send, answer: Answer) -> None:
    status, body, headers = answer
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
