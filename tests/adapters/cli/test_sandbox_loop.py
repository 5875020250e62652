"""The sandbox loop through real processes: ``paycore webhooks serve`` on a loopback port,
``paycore sandbox trigger`` posting each documented sample to it, ``sandbox serve``
printing export lines that a client can be wired up from."""

from __future__ import annotations

import re
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from paycore.adapters.enkash import EnkashClient
from paycore.adapters.enkash.config import EnkashConfig
from paycore.adapters.sandbox import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from paycore.adapters.sandbox.samples import SAMPLES
from tests.adapters.enkash.builders import WebhookReceiver, invoice_confirmation
from tests.contract.fixtures import received

SECRET = "loop-test-webhook-secret"
#: the samples whose command runs on a fresh store: a replay is answered as a duplicate
RUN_ONCE = {"payment_response_webhook", "payment_confirmation_response_webhook",
            "send_credit_debit_note"}  # fmt: skip
#: versioned messages ahead of what the store holds wait for the earlier version
PARKED = {"change_invoice_status", "change_purchase_order_status", "confirm_purchase_order"}


def spawn(*args: str, cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", "from paycore.adapters.cli.main import run; run()", *args],
        cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def paycore(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from paycore.adapters.cli.main import run; run()", *args],
        cwd=cwd, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def stopped(process: subprocess.Popen[str]) -> str:
    process.send_signal(signal.SIGINT)
    process.wait(timeout=30)
    assert process.stderr is not None
    return process.stderr.read()


@pytest.fixture
def inbox(tmp_path: Path) -> Iterator[str]:
    process = spawn("--db", "sqlite:///inbox.db", "webhooks", "serve", "--port", "0",
                    "--secret", SECRET, cwd=tmp_path)  # fmt: skip
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        match = re.search(r"http://127\.0\.0\.1:\d+", line)
        assert match is not None, line + (process.stderr.read() if process.stderr else "")
        yield match[0]
        assert "Traceback" not in stopped(process)
    finally:
        process.kill()
        process.wait()


def answers(result: subprocess.CompletedProcess[str]) -> dict[str, str]:
    return dict(line.split(" -> ", 1) for line in result.stdout.splitlines())


def test_each_sample_is_the_documented_example_of_its_webhook() -> None:
    documented = {f.name: (f.webhook, f.example()) for f in received()}
    assert documented == SAMPLES


def test_the_inbox_takes_each_sample_once_and_answers_a_replay_as_a_duplicate(
    inbox: str, tmp_path: Path
) -> None:
    trigger = ("sandbox", "trigger", "all", "--forward-to", inbox, "--webhook-secret", SECRET)
    first = paycore(*trigger, cwd=tmp_path)
    assert first.returncode == 0, first.stdout + first.stderr
    taken = answers(first)
    assert set(taken) == set(SAMPLES)
    for name, answer in taken.items():
        expected = "202 parked" if name in PARKED else (
            "200 refused" if name in RUN_ONCE else "200 acknowledged"
        )  # fmt: skip
        assert answer == expected, name
    again = answers(paycore(*trigger, cwd=tmp_path))
    assert {name: again[name] for name in RUN_ONCE} == dict.fromkeys(RUN_ONCE, "200 duplicate")


def test_a_sample_signed_with_another_secret_is_refused_and_exits_1(
    inbox: str, tmp_path: Path
) -> None:
    result = paycore("sandbox", "trigger", "payment_response_webhook", "--forward-to", inbox,
                     "--webhook-secret", "not-the-inbox-secret", cwd=tmp_path)  # fmt: skip
    assert (result.returncode, result.stdout) == (
        1,
        "payment_response_webhook -> 401 WEBHOOK_UNAUTHENTICATED\n",
    )


def test_trigger_without_an_inbox_is_one_line_naming_the_host_and_exits_4(
    tmp_path: Path,
) -> None:
    result = paycore("sandbox", "trigger", "payment_response_webhook",
                     "--forward-to", "http://127.0.0.1:9", cwd=tmp_path)  # fmt: skip
    assert result.returncode == 4
    assert result.stderr.splitlines() == [
        "paycore: error: REMOTE_UNAVAILABLE: no inbox answered at http://127.0.0.1:9 (ConnectError)"
    ]


def test_an_unknown_event_is_a_usage_error_listing_the_events(tmp_path: Path) -> None:
    result = paycore("sandbox", "trigger", "payment_sent", cwd=tmp_path)
    assert result.returncode == 2
    assert "payment_response_webhook" in result.stderr


def test_serve_prints_export_lines_that_wire_a_client_to_it(tmp_path: Path) -> None:
    process = spawn("sandbox", "serve", "--port", "0", "--forward-to", "http://127.0.0.1:8766",
                    cwd=tmp_path)  # fmt: skip
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(3)]
        while not (line := process.stdout.readline()).startswith("# press Ctrl-C"):
            lines.append(line)
        exports = dict(
            shlex.split(line)[1].split("=", 1) for line in lines if line.startswith("export ")
        )
        assert exports["PAYCORE_ENKASH_CLIENT_SECRET"] == "sandbox-client-secret"
        assert exports["PAYCORE_WEBHOOK_SECRETS"] == "sandbox-webhook-secret"
        assert "# forwarding its webhooks, signed, to http://127.0.0.1:8766\n" in lines
        token = httpx.post(
            exports["PAYCORE_ENKASH_TOKEN_URL"],
            auth=(exports["PAYCORE_ENKASH_CLIENT_ID"], exports["PAYCORE_ENKASH_CLIENT_SECRET"]),
            data={
                "grant_type": "password",
                "username": exports["PAYCORE_ENKASH_USERNAME"],
                "password": exports["PAYCORE_ENKASH_PASSWORD"],
                "clientId": exports["PAYCORE_ENKASH_CLIENT_ID"],
            },
        )
        assert token.status_code == 200, token.text
        assert "Traceback" not in stopped(process)
    finally:
        process.kill()
        process.wait()


def test_serve_forward_to_signs_and_posts_the_sandboxs_webhooks_to_the_host(
    tmp_path: Path, webhook_receiver: WebhookReceiver
) -> None:
    process = spawn("sandbox", "serve", "--port", "0", "--forward-to", webhook_receiver.url,
                    "--webhook-secret", SECRET, cwd=tmp_path)  # fmt: skip
    try:
        assert process.stdout is not None
        exports = {}
        while not (line := process.stdout.readline()).startswith("# press Ctrl-C"):
            if line.startswith("export "):
                name, value = shlex.split(line)[1].split("=", 1)
                exports[name] = value
        with EnkashClient(EnkashConfig.from_env(exports)) as client:
            client.confirm_invoice(invoice_confirmation())
        for _ in range(250):
            if webhook_receiver.received:
                break
            time.sleep(0.02)
        [(path, headers, body)] = webhook_receiver.received
        assert path == "/api/v0/invoice/resp-confirm-invoice"
        assert headers[SIGNATURE_HEADER] == sign(SECRET.encode(), headers[TIMESTAMP_HEADER], body)
        assert "Traceback" not in stopped(process)
    finally:
        process.kill()
        process.wait()
