"""The FastAPI host example, as it runs: uvicorn with two worker processes on one SQLite
file, driven over loopback HTTP. An OTP one worker issues, the other verifies."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from paycore.adapters.pytest_plugin import SignedWebhooks
from tests.adapters.webhooks.builders import INVOICE_CREATE, invoice_created

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "fastapi_host"
OBJECT_ID = "INV" + "0" * 30 + "42"


@dataclass
class Host:
    url: str
    outbox: Path
    webhooks: SignedWebhooks

    def otp(self, reference: str) -> str:
        return (self.outbox / reference).read_text()

    def deliver(self, body: dict[str, Any]) -> int:
        """The platform posts a signed webhook to the inbox the host mounts at /enkash."""
        return self.webhooks.send(self.url + "/enkash", INVOICE_CREATE, body)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def host(tmp_path: Path) -> Iterator[Host]:
    port, outbox = free_port(), tmp_path / "sms"
    outbox.mkdir()
    webhooks = SignedWebhooks(secrets.token_hex(32).encode())
    env = {
        **os.environ,
        "PAYCORE_DATABASE_URL": f"sqlite:///{tmp_path / 'host.db'}",
        "PAYCORE_OTP_KEY": secrets.token_hex(32),
        "PAYCORE_WEBHOOK_SECRETS": webhooks.secret.decode(),
        "SMS_OUTBOX": str(outbox),
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "service:app", "--app-dir", str(EXAMPLE),
         "--workers", "2", "--host", "127.0.0.1", "--port", str(port),
         "--timeout-keep-alive", "60", "--log-level", "warning"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None, server.stdout.read() if server.stdout else ""
            assert time.monotonic() < deadline, "the host did not start in 60 s"
            time.sleep(0.2)
        yield Host(url, outbox, webhooks)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def one_client_per_worker(url: str) -> dict[str, httpx.Client]:
    """A kept-alive connection to each of the two workers. An idle worker tends to win
    every accept, so connections are opened 16 at a time until both have answered."""
    clients: dict[str, httpx.Client] = {}

    def connect(_: int) -> tuple[str, httpx.Client] | None:
        client = httpx.Client(base_url=url, headers={"X-Actor": "clerk@acme.example"})
        try:
            return client.get("/health").headers["X-Worker"], client
        except httpx.TransportError:  # a worker still starting (or restarted) on a busy host
            client.close()
            return None

    deadline = time.monotonic() + 60
    while len(clients) < 2 and time.monotonic() < deadline:
        with ThreadPoolExecutor(16) as pool:
            for answer in pool.map(connect, range(16)):
                if answer is not None and answer[0] not in clients:
                    clients[answer[0]] = answer[1]
                elif answer is not None:
                    answer[1].close()
    if len(clients) < 2:
        pytest.fail(f"connections for 60 s all reached one worker: {list(clients)}")
    return clients


def test_an_otp_issued_by_one_worker_is_verified_by_the_other(host: Host) -> None:
    first, second = one_client_per_worker(host.url).values()
    assert host.deliver(invoice_created(OBJECT_ID)) == 200
    assert first.post(f"/invoices/{OBJECT_ID}/accept", json={"remarks": "ok"}).status_code == 204

    paid = first.post(
        "/payments",
        json={"invoices": [OBJECT_ID], "amount": "400.00"},
        headers={"Idempotency-Key": "pay-42"},
    )
    assert paid.status_code == 201
    payment_id = paid.json()["payment_id"]
    issued = first.post(f"/payments/{payment_id}/otp")
    assert issued.status_code == 201
    worker_that_issued = issued.headers["X-Worker"]

    otp = host.otp(issued.json()["reference"])
    authorised = second.post(f"/payments/{payment_id}/authorise", json={"otp": otp})
    assert authorised.headers["X-Worker"] != worker_that_issued
    assert (authorised.status_code, authorised.json()) == (200, {"status": "AUTHORISED"})
    assert first.get(f"/invoices/{OBJECT_ID}").json() == {
        "status": "ACCEPTED",
        "outstanding": "500.00",
    }
    for client in (first, second):
        client.close()


def test_refusals_are_problem_details_and_a_retry_is_answered_alike(host: Host) -> None:
    first, second = one_client_per_worker(host.url).values()
    assert host.deliver(invoice_created(OBJECT_ID)) == 200
    forged = SignedWebhooks(b"not-the-secret")
    assert forged.send(host.url + "/enkash", INVOICE_CREATE, invoice_created(OBJECT_ID)) == 401

    unaccepted = {"invoices": [OBJECT_ID], "amount": "400.00"}
    answers = [
        client.post("/payments", json=unaccepted, headers={"Idempotency-Key": "too-early"})
        for client in (first, second)
    ]
    assert [a.status_code for a in answers] == [422, 422]
    assert {a.headers["content-type"] for a in answers} == {"application/problem+json"}
    assert answers[0].json() == answers[1].json()
    assert answers[0].json()["code"] == "INVOICE_NOT_PAYABLE"
    assert answers[0].json()["type"] == "urn:paycore:error:INVOICE_NOT_PAYABLE"

    missing = first.get("/invoices/INV" + "9" * 32)
    assert (missing.status_code, missing.json()["code"]) == (404, "NOT_FOUND")
    for client in (first, second):
        client.close()
