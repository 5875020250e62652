"""The webhook inbox on a port: :class:`WebhookApp` served by uvicorn, every limit set.

``with serving(inbox, host, port) as listening:`` serves from a thread until the block
ends; ``paycore webhooks serve`` and ``paycore demo`` both use it. uvicorn is the
optional ``server`` extra (``pip install 'paycore[server]'``); without it, importing
this module is a :class:`ConfigurationError` that names the extra.

Why uvicorn: it is the common production ASGI server, so its settings are the ones
operators know; it runs on asyncio, so an idle or slow client costs a socket and a
coroutine, not a thread (the stdlib server it replaces held a thread per connection);
and its HTTP/1.1 parser, h11 (chosen explicitly: pure Python, already installed with
httpx), refuses bad framing (a non-numeric, negative or conflicting ``Content-Length``,
both ``Content-Length`` and ``Transfer-Encoding``) before the app sees it. Those
refusals get the same JSON shape as the app's own (400 ``WEBHOOK_MALFORMED_HTTP``).

What uvicorn leaves open, this module closes: it times a connection out only while it
idles after an answer, and any byte resets that, so a client that connects and sends
nothing, or one byte a second, would hold its socket for ever. Here every request, head
and body, must arrive within ``request_timeout`` of the moment the connection is ready
for it (opened, or the previous answer sent); a client that still owes part of it then
is disconnected.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from paycore.adapters.webhooks.asgi import MAX_BODY, Inbox, WebhookApp, refusal
from paycore.domain.errors import ConfigurationError

try:
    import h11
    import uvicorn
    from uvicorn.protocols.http.h11_impl import H11Protocol
except ImportError as missing:
    msg = "serving the webhook inbox needs uvicorn: pip install 'paycore[server]'"
    raise ConfigurationError(msg) from missing


@dataclass(frozen=True)
class ServerLimits:
    """What one client, and all of them together, may hold of the server."""

    #: seconds a request (head and body) has to arrive once the connection is ready for it
    request_timeout: float = 10.0
    #: seconds an idle connection stays open after an answer (uvicorn's keep-alive)
    keep_alive: int = 5
    #: bytes of body; a larger one is answered 413 without being read
    max_body: int = MAX_BODY
    #: bytes of a request head not yet complete (h11's buffer); past them, 400
    max_head: int = 16 * 1024
    #: open connections, or requests in progress, past which a request is answered 503
    max_concurrency: int = 512
    #: connections the kernel queues before the server accepts them
    backlog: int = 1024
    #: seconds the answers in progress get to finish when the server stops
    shutdown_grace: int = 5


@dataclass(frozen=True)
class Listening:
    """Where a started server listens."""

    host: str
    port: int

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"


@contextmanager
def serving(
    inbox: Inbox, host: str = "127.0.0.1", port: int = 0, limits: ServerLimits | None = None
) -> Iterator[Listening]:
    """The inbox on ``host:port`` (port 0: any free one), until the block ends."""
    limits = limits or ServerLimits()
    listener = _listen(host, port, limits.backlog)
    config = uvicorn.Config(
        WebhookApp(inbox, max_body=limits.max_body),
        http=_with_deadline(limits.request_timeout),
        loop="asyncio",
        ws="none",
        lifespan="off",
        # the inbox logs each delivery itself, without secrets; the host keeps its logging
        log_config=None,
        access_log=False,
        server_header=False,
        timeout_keep_alive=limits.keep_alive,
        h11_max_incomplete_event_size=limits.max_head,
        limit_concurrency=limits.max_concurrency,
        backlog=limits.backlog,
        timeout_graceful_shutdown=limits.shutdown_grace,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [listener]}, name="paycore-webhooks", daemon=True
    )
    thread.start()
    try:
        while not server.started:
            if not thread.is_alive():
                msg = f"the webhook server on {host}:{port} stopped as it started"
                raise ConfigurationError(msg)
            time.sleep(0.01)
        yield Listening(host, listener.getsockname()[1])
    finally:
        server.should_exit = True
        thread.join()
        listener.close()


def _listen(host: str, port: int, backlog: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host, port), family=family, backlog=backlog)
    except OSError as error:
        msg = f"cannot listen on {host}:{port}: {error.strerror or error}"
        raise ConfigurationError(msg) from error


def _with_deadline(request_timeout: float) -> type[H11Protocol]:
    return type("DeadlineH11Protocol", (_DeadlineH11Protocol,), {"timeout": request_timeout})


class _DeadlineH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, with a deadline for each request and JSON refusals."""

    timeout: float
    _deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._start_deadline()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._start_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        super().connection_lost(exc)

    def _start_deadline(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        self._deadline = self.loop.call_later(self.timeout, self._deadline_passed)

    def _deadline_passed(self) -> None:
        # IDLE: not a byte of the next request yet; SEND_BODY: its head but not all its body
        if self.conn.their_state in (h11.IDLE, h11.SEND_BODY):
            self.transport.close()

    def send_400_response(self, msg: str) -> None:
        """h11 refused the request (its framing, a header or the request line)."""
        body = refusal("WEBHOOK_MALFORMED_HTTP", "the request is not well-formed HTTP/1.1")
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ]
        for event in (
            h11.Response(status_code=400, headers=headers, reason=b"Bad Request"),
            h11.Data(data=body),
            h11.EndOfMessage(),
        ):
            self.transport.write(self.conn.send(event) or b"")
        self.transport.close()
