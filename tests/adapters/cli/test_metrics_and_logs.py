"""``--metrics-port`` and ``--log-json`` through real processes: ``views follow`` and
``sync run`` (against a ``sandbox serve`` process) serve Prometheus text whose lag goes
to 0 once the events are projected or relayed, and log one JSON object per line on
stderr with paycore.* fields; no client secret or OTP key appears in anything printed."""

from __future__ import annotations

import json
import os
import random
import re
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from paycore.domain.core import PaymentsCore
from tests.adapters.sync.builders import accepted_invoice, profile

OTP_KEY_HEX = "6d65747269637374657374736f74706b65796865786469676974733332"
#: how long a process may take to show what a test waits for
PATIENCE = 30.0
SERIES = re.compile(r'^(paycore_\w+)\{consumer="([^"]+)"\} (\S+)$')


def spawn(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", "from paycore.adapters.cli.main import run; run()", *args],
        cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PAYCORE_OTP_KEY": OTP_KEY_HEX, **(env or {})},
    )  # fmt: skip


def stopped(process: subprocess.Popen[str]) -> tuple[str, str]:
    """What the process printed after its first lines, on stdout and stderr, once stopped."""
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=PATIENCE)
    return out, err


def metrics_url(process: subprocess.Popen[str]) -> tuple[str, list[str]]:
    """The URL the process printed, and the lines it printed before it."""
    assert process.stdout is not None
    lines: list[str] = []
    while line := process.stdout.readline():
        match = re.search(r"metrics at (http://127\.0\.0\.1:\d+/metrics)", line)
        if match:
            return match[1], lines
        lines.append(line)
    raise AssertionError(process.stderr.read() if process.stderr else "no metrics URL")


def scraped(url: str, consumer: str) -> dict[str, float]:
    """The consumer's series from one scrape, by name."""
    answer = httpx.get(url, timeout=5)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/plain; version=0.0.4"
    values = {}
    for line in answer.text.splitlines():
        match = SERIES.match(line)
        if match and match[2] == consumer:
            values[match[1]] = float(match[3])
    return values


def awaited(url: str, consumer: str, until: Callable[[dict[str, float]], bool]) -> dict[str, float]:
    """Scrapes until ``until`` holds for the consumer's series (or fails after PATIENCE)."""
    deadline = time.monotonic() + PATIENCE
    while True:
        values = scraped(url, consumer)
        if until(values):
            return values
        assert time.monotonic() < deadline, values
        time.sleep(0.05)


def json_lines(stderr: str) -> list[dict[str, object]]:
    """Every line of stderr, each of which must be one JSON object."""
    records = [json.loads(line) for line in stderr.splitlines()]
    for record in records:
        assert {"time", "level", "logger", "message"} <= set(record), record
    return records


@pytest.fixture
def store(tmp_path: Path) -> Iterator[tuple[str, PaymentsCore]]:
    url = f"sqlite:///{tmp_path / 'paycore.db'}"
    core = PaymentsCore(url, otp_key=bytes.fromhex(OTP_KEY_HEX))
    yield url, core
    core.close()


def test_views_follow_serves_its_lag_and_logs_json_lines(
    store: tuple[str, PaymentsCore], tmp_path: Path
) -> None:
    url, core = store
    rng = random.Random(1)
    accepted_invoice(core, rng)
    # a follower that polls once an hour: after catching up, new events stay behind it
    slow = spawn("--db", url, "views", "follow", "--interval", "3600", "--metrics-port", "0",
                 "--log-json", cwd=tmp_path)  # fmt: skip
    try:
        endpoint, _ = metrics_url(slow)
        caught_up = awaited(
            endpoint,
            "views",
            lambda v: v.get("paycore_follower_position") == core.recorder.max_notification_id(),
        )
        assert caught_up["paycore_follower_lag_events"] == 0
        assert caught_up["paycore_follower_lag_seconds"] == 0
        assert caught_up["paycore_follower_attempts_total"] >= 1
        assert caught_up["paycore_follower_last_success_timestamp_seconds"] > time.time() - 60
        assert "paycore_follower_dead_letters" not in caught_up
        before = int(caught_up["paycore_follower_position"])
        accepted_invoice(core, rng)
        behind = (core.recorder.max_notification_id() or 0) - before
        lagging = scraped(endpoint, "views")
        assert behind > 0
        assert lagging["paycore_follower_lag_events"] == behind
        assert lagging["paycore_follower_lag_seconds"] >= 0
        assert lagging["paycore_follower_position"] == before
        _, err = stopped(slow)
    finally:
        slow.kill()
        slow.wait()
    records = json_lines(err)
    [served] = [r for r in records if "paycore.metrics_url" in r]
    assert served["paycore.metrics_url"] == endpoint
    assert served["level"] == "INFO"
    [following] = [r for r in records if str(r["message"]).startswith("views following")]
    assert (following["paycore.consumer"], following["paycore.position"]) == ("views", 0)
    assert OTP_KEY_HEX not in err
    # a follower that polls often catches up with what the first left behind
    fast = spawn("--db", url, "views", "follow", "--interval", "0.05", "--metrics-port", "0",
                 cwd=tmp_path)  # fmt: skip
    try:
        endpoint, _ = metrics_url(fast)
        done = awaited(endpoint, "views", lambda v: v.get("paycore_follower_lag_events") == 0)
        assert done["paycore_follower_position"] == before + behind
        _, err = stopped(fast)
    finally:
        fast.kill()
        fast.wait()
    assert "Traceback" not in err
    assert err == ""  # without --log-json, INFO records are not shown


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[dict[str, str]]:
    """A ``paycore sandbox serve`` process; the variables its export lines set."""
    process = spawn("sandbox", "serve", "--port", "0", cwd=tmp_path)
    try:
        assert process.stdout is not None
        exports = {}
        while not (line := process.stdout.readline()).startswith("# press Ctrl-C"):
            assert line, process.stderr.read() if process.stderr else ""
            if line.startswith("export "):
                name, value = shlex.split(line)[1].split("=", 1)
                exports[name] = value
        yield exports
        stopped(process)
    finally:
        process.kill()
        process.wait()


def test_sync_run_serves_lag_attempts_and_dead_letters_and_logs_no_secret(
    store: tuple[str, PaymentsCore], sandbox: dict[str, str], tmp_path: Path
) -> None:
    url, core = store
    rng = random.Random(2)
    accepted_invoice(core, rng)
    partner = tmp_path / "partner.json"
    partner.write_text(profile().model_dump_json(), encoding="utf-8")
    secret = sandbox["PAYCORE_ENKASH_CLIENT_SECRET"]
    assert secret
    relay = spawn("--db", url, "sync", "run", "--profile", str(partner), "--metrics-port", "0",
                  "--log-json", cwd=tmp_path, env=sandbox)  # fmt: skip
    try:
        endpoint, printed = metrics_url(relay)
        first = awaited(
            endpoint,
            "sync-relay",
            lambda v: (
                v.get("paycore_follower_lag_events") == 0
                and v.get("paycore_follower_attempts_total", 0) >= 1
            ),
        )
        assert first["paycore_follower_dead_letters"] == 0
        assert first["paycore_follower_lag_seconds"] == 0
        assert first["paycore_follower_last_success_timestamp_seconds"] > time.time() - 60
        accepted_invoice(core, rng)
        target = core.recorder.max_notification_id() or 0
        second = awaited(
            endpoint,
            "sync-relay",
            lambda v: (
                v.get("paycore_follower_position", 0) >= target
                and v.get("paycore_follower_lag_events") == 0
            ),
        )
        assert second["paycore_follower_attempts_total"] > first["paycore_follower_attempts_total"]
        assert second["paycore_follower_dead_letters"] == 0
        out, err = stopped(relay)
    finally:
        relay.kill()
        relay.wait()
    records = json_lines(err)
    assert any(r.get("paycore.metrics_url") == endpoint for r in records)
    leases = [r for r in records if "lease taken" in str(r["message"])]
    assert leases
    assert leases[0]["paycore.consumer"] == "sync-relay"
    assert leases[0]["logger"] == "paycore.adapters.sync"
    for text in (out, err, *printed):
        assert secret not in text
        assert OTP_KEY_HEX not in text
        assert "Traceback" not in text


def test_webhooks_serve_logs_each_delivery_as_a_json_line_without_the_secret(
    tmp_path: Path,
) -> None:
    secret = "metrics-test-webhook-secret"
    inbox = spawn("--db", "sqlite:///inbox.db", "webhooks", "serve", "--port", "0",
                  "--secret", secret, "--log-json", cwd=tmp_path)  # fmt: skip
    try:
        assert inbox.stdout is not None
        match = re.search(r"http://127\.0\.0\.1:\d+", inbox.stdout.readline())
        assert match is not None, inbox.stderr.read() if inbox.stderr else ""
        trigger = ("sandbox", "trigger", "payment_response_webhook", "--forward-to", match[0])
        for sent_with in (secret, "not-the-inbox-secret"):
            subprocess.run(
                [sys.executable, "-c", "from paycore.adapters.cli.main import run; run()",
                 *trigger, "--webhook-secret", sent_with],
                cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False,
            )  # fmt: skip
        _, err = stopped(inbox)
    finally:
        inbox.kill()
        inbox.wait()
    deliveries = [r for r in json_lines(err) if r["logger"] == "paycore.adapters.webhooks"]
    assert [(r["level"], r["paycore.outcome"], r.get("paycore.code")) for r in deliveries] == [
        ("INFO", "refused", "NOT_FOUND"),
        ("WARNING", "refused", "WEBHOOK_UNAUTHENTICATED"),
    ]
    assert {r["paycore.path"] for r in deliveries} == {"api/v0/payment/resp-pay"}
    assert isinstance(deliveries[0]["paycore.message_id"], str)
    assert secret not in err
    assert "not-the-inbox-secret" not in err
