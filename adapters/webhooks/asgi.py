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
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from typing import Any, ParamSpec, Protocol, TypeVar

from paycore.adapters.webhooks.inbox import WebhookInbox

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

#: a larger body is refused (413) before it is read to the end
MAX_BODY = 1 << 20
P = ParamSpec("P")
T = TypeVar("T")


class Offload(Protocol):
    """Runs a synchronous call away from the event loop: ``asyncio.to_thread`` or
    ``AsyncPaymentsCore.to_thread``."""

    def __call__(
        self, call: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs
    ) -> Awaitable[T]: ...


class WebhookApp:
    def __init__(
        self,
        inbox: WebhookInbox | None = None,
        *,
        max_body: int = MAX_BODY,
        offload: Offload | None = None,
    ) -> None:
        self.inbox = inbox
        self.max_body = max_body
        self.offload: Offload = offload or asyncio.to_thread

    def bind(self, inbox: WebhookInbox, *, offload: Offload | None = None) -> None:
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
            message = "the webhook inbox is starting or stopping"
            return 503, json.dumps({"code": "WEBHOOK_NOT_READY", "message": message}).encode()
        return await self.offload(inbox.handle, path, headers, body)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        if scope["method"] != "POST":
            await _answer(send, 405, b'{"code":"WEBHOOK_METHOD"}')
            return
        body = await self._body(receive)
        if body is None:
            await _answer(send, 413, b'{"code":"WEBHOOK_TOO_LARGE"}')
            return
        path = str(scope["path"])
        root = str(scope.get("root_path", ""))
        if root and path.startswith(root):
            path = path[len(root) :]
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        status, answer = await self.deliver(path, headers, body)
        await _answer(send, status, answer)

    async def _body(self, receive: Receive) -> bytes | None:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)


async def _answer(send: Send, status: int, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json")],
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
