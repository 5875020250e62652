"""The inbox's server, over real loopback HTTP: bad framing gets its answer, slow and idle
clients are cut off without a thread each, and a normal delivery is answered meanwhile."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from paycore.adapters.cli.main import exit_code
from paycore.adapters.webhooks import WebhookAuth, WebhookInbox
from paycore.adapters.webhooks.server import Listening, ServerLimits, serving
from paycore.domain import PaymentsCore
from paycore.domain.errors import ConfigurationError
from tests.adapters.webhooks.builders import (
    INVOICE_CREATE,
    OTP_KEY,
    SECRET,
    invoice_created,
    signed,
)

#: short timeouts, so the tests see them act
LIMITS = ServerLimits(request_timeout=2.0, keep_alive=1, max_body=4096)
#: a bound on every wait of these tests, never an assertion on time
PATIENCE = 30.0
#: threads a server may add however many clients it holds: its event loop, and the worker
#: threads asyncio.to_thread runs the inbox on (min(32, CPUs + 4))
SERVER_THREADS = 1 + min(32, (os.cpu_count() or 1) + 4)


@pytest.fixture
def listening(tmp_path: Path) -> Iterator[Listening]:
    core = PaymentsCore(f"sqlite:///{tmp_path / 'paycore.db'}", otp_key=OTP_KEY)
    inbox = WebhookInbox(core, WebhookAuth(signing_secrets=(SECRET,)))
    with serving(inbox, limits=LIMITS) as server:
        yield server
    inbox.close()
    core.close()


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def code(self) -> str:
        return str(json.loads(self.body)["code"])


def read_answer(sock: socket.socket) -> Answer | None:
    """One HTTP answer read off the socket; None if the server closed without one."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return Answer(int(status_line.split()[1]), headers, body[:length])


def exchange(server: Listening, request: bytes) -> tuple[Answer | None, bool]:
    """The answer to raw request bytes, and whether the server then closed the connection."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=PATIENCE) as sock:
        sock.sendall(request)
        answer = read_answer(sock)
        try:
            closed = sock.recv(1) == b""
        except ConnectionResetError:
            closed = True
    return answer, closed


def post(path: str, headers: list[tuple[str, str]], body: bytes) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: paycore", *(f"{k}: {v}" for k, v in headers)]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def delivery(suffix: str) -> tuple[dict[str, str], bytes]:
    return signed(invoice_created("INV" + suffix * 32))


@pytest.mark.parametrize(
    ("lengths", "extra"),
    [
        (["abc"], []),
        (["-1"], []),
        (["+2"], []),
        (["2", "3"], []),
        (["2, 3"], []),
        (["2"], [("Transfer-Encoding", "chunked")]),
    ],
    ids=["non-numeric", "negative", "signed", "two-lengths", "two-in-one", "length-and-chunked"],
)
def test_bad_framing_is_a_400_and_the_connection_closes(
    listening: Listening, lengths: list[str], extra: list[tuple[str, str]]
) -> None:
    headers = [*(("Content-Length", length) for length in lengths), *extra]
    answer, closed = exchange(listening, post(INVOICE_CREATE, headers, b"{}"))
    assert answer is not None
    assert (answer.status, answer.code, closed) == (400, "WEBHOOK_MALFORMED_HTTP", True)
    assert answer.headers["content-type"] == "application/json"


def test_the_same_length_twice_is_one_length_and_the_delivery_is_answered_once(
    listening: Listening,
) -> None:
    """RFC 9112 6.3: h11 reads repeated equal values as one; nothing is ambiguous."""
    headers, body = delivery("2")
    length = str(len(body))
    request = post(
        INVOICE_CREATE, [*headers.items(), ("Content-Length", length), ("Content-Length", length)],
        body,
    )  # fmt: skip
    answer, _ = exchange(listening, request)
    assert answer is not None
    assert (answer.status, json.loads(answer.body)["outcome"]) == (200, "applied")


@pytest.mark.parametrize(
    "request_bytes",
    [
        post(INVOICE_CREATE, [("Content-Length", str(LIMITS.max_body + 1))], b"{}"),
        post(
            INVOICE_CREATE,
            [("Transfer-Encoding", "chunked")],
            b"%x\r\n%s\r\n0\r\n\r\n" % (LIMITS.max_body + 1, b"x" * (LIMITS.max_body + 1)),
        ),
    ],
    ids=["declared", "chunked"],
)
def test_a_body_over_the_limit_is_a_413(listening: Listening, request_bytes: bytes) -> None:
    answer, closed = exchange(listening, request_bytes)
    assert answer is not None
    assert (answer.status, answer.code, closed) == (413, "WEBHOOK_TOO_LARGE", True)


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "OPTIONS"])
def test_a_method_other_than_post_is_a_405_naming_post(listening: Listening, method: str) -> None:
    answer, _ = exchange(
        listening, f"{method} {INVOICE_CREATE} HTTP/1.1\r\nHost: p\r\n\r\n".encode()
    )
    assert answer is not None
    assert (answer.status, answer.code, answer.headers["allow"]) == (405, "WEBHOOK_METHOD", "POST")


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"HELLO\r\n\r\n",
        b"POST / HTTP/1.1\r\nX-Pad: " + b"a" * LIMITS.max_head,  # and still no end
        b"POST /api/v0/invoice/req-create-invoice HTTP/1.1\r\nHost: p\r\nBad Name: 1\r\n\r\n",
    ],
    ids=["request-line", "head-too-large", "header-name"],
)
def test_a_request_that_is_not_http_is_a_json_400(
    listening: Listening, request_bytes: bytes
) -> None:
    answer, closed = exchange(listening, request_bytes)
    assert answer is not None
    assert (answer.status, answer.code, closed) == (400, "WEBHOOK_MALFORMED_HTTP", True)


def os_threads(pid: int | str = "self") -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    match = re.search(r"^Threads:\s+(\d+)", status, re.MULTILINE)
    assert match is not None
    return int(match[1])


class SlowClient:
    """A connection that sends ``trickle`` one byte a second after ``opening`` at once."""

    def __init__(self, server: Listening, opening: bytes, trickle: bytes) -> None:
        self.sock = socket.create_connection(("127.0.0.1", server.port))
        self.sock.sendall(opening)
        self.sock.setblocking(False)
        self.trickle = trickle
        self.sent = 0
        self.cut_after: float | None = None
        self.answered = False

    def step(self, elapsed: float) -> None:
        """Sends the byte now due, and notes whether the server answered or hung up."""
        if self.cut_after is not None:
            return
        try:
            data = self.sock.recv(65536)
        except BlockingIOError:
            data = None
        except ConnectionError:
            data = b""
        if data == b"":
            self.cut_after = elapsed
            self.sock.close()
            return
        self.answered = self.answered or bool(data)
        if self.sent < min(len(self.trickle), int(elapsed) + 1):
            with contextlib.suppress(BlockingIOError, ConnectionError):
                self.sent += self.sock.send(self.trickle[self.sent : self.sent + 1])


def test_300_slow_clients_are_cut_off_without_a_thread_each_and_a_delivery_is_answered(
    listening: Listening,
) -> None:
    baseline = os_threads()
    head = b"POST /api/v0/invoice/req-create-invoice HTTP/1.1\r\nHost: p\r\n"
    clients = (
        [SlowClient(listening, b"", b"") for _ in range(100)]  # connect, send nothing
        + [SlowClient(listening, b"", head + b"X-Pad: " + b"a" * 100) for _ in range(100)]
        + [
            SlowClient(listening, head + b"Content-Length: 1000\r\n\r\n", b"{" * 1000)
            for _ in range(100)
        ]
    )
    started = time.monotonic()
    peak, answer_time = baseline, None
    headers, body = delivery("3")
    while time.monotonic() - started < PATIENCE:
        elapsed = time.monotonic() - started
        for client in clients:
            client.step(elapsed)
        peak = max(peak, os_threads())
        if answer_time is None and elapsed > 0.5:
            sent_at = time.monotonic()
            response = httpx.post(listening.url + INVOICE_CREATE, headers=headers, content=body)
            answer_time = time.monotonic() - sent_at
            assert (response.status_code, response.json()["outcome"]) == (200, "applied")
        if all(client.cut_after is not None for client in clients):
            break
        time.sleep(0.05)
    cut = [client.cut_after for client in clients]
    assert None not in cut
    assert not any(client.answered for client in clients)
    assert answer_time is not None
    assert peak - baseline <= SERVER_THREADS
    groups = {name: cut[i * 100 : (i + 1) * 100] for i, name in enumerate(("idle", "head", "body"))}
    print(
        f"\nslow clients: 300 cut off; threads baseline={baseline} peak={peak}"
        f" (bound +{SERVER_THREADS}); delivery answered in {answer_time:.3f}s; cut after "
        + ", ".join(f"{g} {min(c):.2f}-{max(c):.2f}s" for g, c in groups.items() if c)  # type: ignore[type-var]
    )


def test_after_an_answer_a_stalled_next_request_is_cut_off(tmp_path: Path) -> None:
    """The deadline starts again after each answer: here the first answer comes after the
    connection's first deadline (the store was locked meanwhile), and the second request,
    which stalls, is still cut off."""
    path = tmp_path / "paycore.db"
    core = PaymentsCore(f"sqlite:///{path}", otp_key=OTP_KEY)
    inbox = WebhookInbox(core, WebhookAuth(signing_secrets=(SECRET,)))
    limits = ServerLimits(request_timeout=1.0, keep_alive=60)
    headers, body = delivery("4")
    framing = [*headers.items(), ("Content-Length", str(len(body)))]
    with (
        serving(inbox, limits=limits) as server,
        socket.create_connection(("127.0.0.1", server.port), timeout=PATIENCE) as sock,
    ):
        lock = sqlite3.connect(path, isolation_level=None)
        lock.execute("BEGIN IMMEDIATE")
        sock.sendall(post(INVOICE_CREATE, framing, body))
        time.sleep(2 * limits.request_timeout)  # the first deadline passes while it waits
        lock.execute("COMMIT")
        lock.close()
        answer = read_answer(sock)
        assert answer is not None
        assert answer.status == 200
        sock.sendall(b"POST /api/v0/invoice/req-create-invoice HTTP/1.1\r\nHost: p\r\n")
        assert read_answer(sock) is None  # disconnected, no answer
    inbox.close()
    core.close()


def test_past_the_concurrency_limit_a_request_is_a_503(tmp_path: Path) -> None:
    core = PaymentsCore(f"sqlite:///{tmp_path / 'paycore.db'}", otp_key=OTP_KEY)
    inbox = WebhookInbox(core, WebhookAuth(signing_secrets=(SECRET,)))
    headers, body = delivery("5")
    with serving(inbox, limits=ServerLimits(max_concurrency=3)) as server:
        idle = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(3)]
        busy = httpx.post(server.url + INVOICE_CREATE, headers=headers, content=body)
        for sock in idle:
            sock.close()
        statuses = [busy.status_code]
        give_up = time.monotonic() + PATIENCE
        while statuses[-1] != 200 and time.monotonic() < give_up:
            time.sleep(0.05)  # until the server has seen the idle sockets close
            statuses.append(
                httpx.post(server.url + INVOICE_CREATE, headers=headers, content=body).status_code
            )
    inbox.close()
    core.close()
    assert (statuses[0], statuses[-1]) == (503, 200)


# -- paycore webhooks serve, a process of its own ------------------------------------------


def paycore_process(*args: str, cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", "from paycore.adapters.cli.main import run; run()", *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_paycore_webhooks_serve_answers_every_request_and_holds_no_thread_per_client(
    tmp_path: Path,
) -> None:
    secret = SECRET.decode()
    process = paycore_process(
        "--db", "sqlite:///paycore.db", "webhooks", "serve", "--port", "0", "--secret", secret,
        cwd=tmp_path,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        match = re.search(r"http://127\.0\.0\.1:(\d+)", line)
        assert match is not None, line + (process.stderr.read() if process.stderr else "")
        server = Listening("127.0.0.1", int(match[1]))
        get, _ = exchange(server, f"GET {INVOICE_CREATE} HTTP/1.1\r\nHost: p\r\n\r\n".encode())
        bad, _ = exchange(server, post(INVOICE_CREATE, [("Content-Length", "abc")], b"{}"))
        assert get is not None
        assert bad is not None
        assert (get.status, get.code, bad.status, bad.code) == (
            405,
            "WEBHOOK_METHOD",
            400,
            "WEBHOOK_MALFORMED_HTTP",
        )
        headers, body = delivery("6")
        first = httpx.post(server.url + INVOICE_CREATE, headers=headers, content=body)
        baseline = os_threads(process.pid)
        idle = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(300)]
        headers, body = delivery("7")
        during = httpx.post(server.url + INVOICE_CREATE, headers=headers, content=body)
        held = os_threads(process.pid)
        for sock in idle:
            sock.close()
        assert (first.json()["outcome"], during.json()["outcome"]) == ("applied", "applied")
        assert held - baseline <= SERVER_THREADS
        print(f"\npaycore webhooks serve: threads {baseline} -> {held} with 300 idle clients")
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=PATIENCE) == 130
        assert process.stderr is not None
        assert "Traceback" not in process.stderr.read()
    finally:
        process.kill()
        process.wait()


def test_without_the_server_extra_serve_is_a_one_line_error_naming_it(tmp_path: Path) -> None:
    code = (
        "import sys; sys.modules['uvicorn'] = None\n"
        "import paycore.adapters.webhooks\n"  # the inbox itself needs no server
        "from paycore.adapters.cli.main import main\n"
        "raise SystemExit(main(['--db', 'sqlite:///p.db', 'webhooks', 'serve', '--secret', 's']))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=PATIENCE,
        check=False,
    )
    assert result.returncode == exit_code(ConfigurationError("the server extra"))
    assert result.stderr.strip().splitlines() == [
        "paycore: error: CONFIGURATION: serving the webhook inbox needs uvicorn: "
        "pip install 'paycore[server]'"
    ]
