"""The inbox as a plain ASGI application, for a host service to mount.

No framework: ``app = WebhookApp(inbox)`` answers ``POST`` on every path the inbox
knows (under whatever prefix the host mounts it at) and runs the inbox in a worker
thread, since paycore's store is synchronous.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from paycore.adapters.webhooks.inbox import WebhookInbox

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

#: a larger body is refused (413) before it is read to the end
MAX_BODY = 1 << 20


class WebhookApp:
    def __init__(self, inbox: WebhookInbox, *, max_body: int = MAX_BODY) -> None:
        self.inbox = inbox
        self.max_body = max_body

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
        status, answer = await asyncio.to_thread(self.inbox.handle, path, headers, body)
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
