"""The ``paycore`` command line: help, one-line errors, the demo, and the audit commands."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
import threading
from argparse import Namespace
from pathlib import Path

import httpx
import pytest

from paycore.adapters.cli.main import build_parser, main
from paycore.adapters.cli.sandbox import serve_sandbox
from paycore.domain.core import PaymentsCore

COMMANDS = [
    ["demo"],
    ["sandbox", "serve"],
    ["sync", "run"],
    ["sync", "dead-letters"],
    ["sync", "retry"],
    ["webhooks", "serve"],
    ["views", "update"],
    ["views", "follow"],
    ["views", "rebuild"],
    ["views", "show"],
    ["audit", "trail"],
    ["audit", "events"],
    ["audit", "as-of"],
    ["audit", "digest"],
    ["audit", "verify"],
]


def paycore(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The installed console script's code, in a process of its own."""
    return subprocess.run(
        [sys.executable, "-c", "from paycore.adapters.cli.main import run; run()", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def demo_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo")
    result = paycore("demo", cwd=folder)
    assert result.returncode == 0, result.stderr
    assert "hash chain over" in result.stdout
    assert "intact" in result.stdout
    return folder


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_explains_itself(
    command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as done:
        build_parser().parse_args([*command, "--help"])
    assert done.value.code == 0
    assert len(capsys.readouterr().out.splitlines()) >= 3


def test_bad_input_is_one_line_and_a_non_zero_exit(tmp_path: Path) -> None:
    for args in (
        ["audit", "trail", "not-a-uuid"],
        ["--db", "mysql://nowhere/x", "views", "update"],
        ["audit", "as-of", "00000000-0000-0000-0000-000000000001", "--version", "1"],
        ["sync", "retry", "99"],
    ):
        result = paycore(*args, cwd=tmp_path)
        assert result.returncode != 0, args
        assert "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) <= 2, result.stderr


def test_the_demo_leaves_a_store_the_other_commands_read(demo_folder: Path) -> None:
    shown = paycore("--json", "views", "show", "invoices", cwd=demo_folder)
    invoices = json.loads(shown.stdout)
    assert {i["status"] for i in invoices} == {"PAID", "PARTIALLY_PAID", "ACCEPTED"}
    invoice_id = next(i["invoice_id"] for i in invoices if i["status"] == "PAID")
    trail = json.loads(paycore("--json", "audit", "trail", invoice_id, cwd=demo_folder).stdout)
    assert [e["event_type"].rsplit(".", 1)[1] for e in trail][:2] == ["Received", "Responded"]
    as_of = json.loads(
        paycore("--json", "audit", "as-of", invoice_id, "--version", "2", cwd=demo_folder).stdout
    )
    assert as_of["status"] == "ACCEPTED"
    events = json.loads(
        paycore(
            "--json", "audit", "events", "--actor", "clerk@acme.example", cwd=demo_folder
        ).stdout
    )
    assert events
    assert {e["actor"] for e in events} == {"clerk@acme.example"}
    assert json.loads(paycore("--json", "sync", "dead-letters", cwd=demo_folder).stdout) == []


def test_audit_verify_passes_then_fails_after_one_stored_byte_changes(demo_folder: Path) -> None:
    assert paycore("audit", "verify", cwd=demo_folder).returncode == 0
    digest = paycore("audit", "digest", "--key", "k", "--out", "d.json", cwd=demo_folder)
    assert digest.returncode == 0, digest.stderr
    verified = paycore("audit", "verify", "--digest", "d.json", "--key", "k", cwd=demo_folder)
    assert verified.returncode == 0, verified.stdout

    with sqlite3.connect(demo_folder / "paycore.db") as db:
        state = bytearray(
            db.execute("SELECT state FROM stored_events WHERE rowid = 20").fetchone()[0]
        )
        state[state.index(b":") + 1] ^= 1
        db.execute("UPDATE stored_events SET state = ? WHERE rowid = 20", (bytes(state),))

    broken = paycore("--json", "audit", "verify", cwd=demo_folder)
    assert broken.returncode == 1
    assert json.loads(broken.stdout)["first_bad_position"] == 20


def test_the_demo_refuses_a_store_that_already_has_events(demo_folder: Path) -> None:
    again = paycore("--db", "sqlite:///paycore.db", "demo", cwd=demo_folder)
    assert again.returncode == 3
    assert "already has events" in again.stderr


def test_the_demo_hashes_otps_under_paycore_otp_key_when_it_is_set(tmp_path: Path) -> None:
    short = subprocess.run(
        [sys.executable, "-c", "from paycore.adapters.cli.main import run; run()", "demo"],
        cwd=tmp_path,
        env={**os.environ, "PAYCORE_OTP_KEY": "ab" * 8},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert short.returncode == 3
    assert short.stderr.strip().splitlines() == [
        "paycore: error: CONFIGURATION: PAYCORE_OTP_KEY must be at least 32 hex digits "
        "(16 bytes), e.g. the output of python -c 'import secrets; print(secrets.token_hex(32))'"
    ]
    assert list(tmp_path.iterdir()) == []


def test_a_read_command_on_a_mistyped_path_fails_and_creates_nothing(tmp_path: Path) -> None:
    verify = paycore("--db", "sqlite:///paycor.db", "audit", "verify", cwd=tmp_path)
    assert verify.returncode == 3
    assert verify.stderr.strip().splitlines() == [
        "paycore: error: CONFIGURATION: no store at paycor.db: check --db "
        "(run 'paycore demo' to make one)"
    ]
    assert not (tmp_path / "paycor.db").exists()


def test_global_options_come_after_the_command_and_a_closed_pipe_ends_quietly(
    demo_folder: Path,
) -> None:
    shown = paycore("views", "show", "invoices", "--json", cwd=demo_folder)
    invoice_id = json.loads(shown.stdout)[0]["invoice_id"]
    trail = subprocess.run(
        f"'{sys.executable}' -m paycore.adapters.cli.main audit trail {invoice_id} | head -1",
        shell=True,
        cwd=demo_folder,
        capture_output=True,
        text=True,
        check=False,
    )
    assert trail.stderr == ""
    assert paycore("views", "show", "invoices", "--limit", "-1", cwd=demo_folder).returncode == 2


def test_views_rebuild_and_update_report_positions(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    PaymentsCore(url).close()
    assert main(["--db", url, "views", "rebuild"]) == 0
    assert main(["--db", url, "views", "update"]) == 0


def test_the_sandbox_serves_until_stopped(capsys: pytest.CaptureFixture[str]) -> None:
    stop = threading.Event()
    thread = threading.Thread(
        target=serve_sandbox,
        args=(Namespace(port=0, seed=0, forward_to=None, webhook_secret=None), stop),
        daemon=True,
    )
    thread.start()
    for _ in range(200):
        out = capsys.readouterr().out
        if "listening on" in out:
            break
        stop.wait(0.02)
    url = out.split("listening on ", 1)[1].split()[0]
    assert httpx.get(f"{url}/_sandbox/effects").status_code == 200
    assert "export PAYCORE_ENKASH_CLIENT_SECRET=sandbox-client-secret\n" in out
    stop.set()
    thread.join(5)
    assert not thread.is_alive()


def test_tables_show_rupees_right_aligned_yes_no_and_block_codes_json_keeps_decimals(
    demo_folder: Path,
) -> None:
    invoices = paycore("views", "show", "invoices", cwd=demo_folder).stdout.splitlines()
    header = next(line for line in invoices if "TOTAL" in line)
    rows = [line for line in invoices if "WID/2026/" in line]
    assert rows
    end = header.index("TOTAL") + len("TOTAL")
    for row in rows:
        amount = re.search(r"₹[0-9,]+\.[0-9]{2}(?=\s|$)", row[: end + 1].rstrip() + " ")
        assert amount is not None, row
        assert amount.end() == end, row  # right-aligned under its heading
    assert any("₹11,800.00" in row for row in rows)
    payments = paycore("views", "show", "payments", cwd=demo_folder).stdout
    assert re.search(r"PARTIAL", payments)
    assert re.search(r"\s(yes|no)\s", payments)
    assert "True" not in payments
    assert "False" not in payments
    cards = paycore("views", "show", "cards", cwd=demo_folder).stdout
    assert "UL (unlocked)" in cards
    assert "BL (blocked)" in cards
    plain = json.loads(paycore("views", "show", "invoices", "--json", cwd=demo_folder).stdout)
    assert "11800.00" in {i["total"] for i in plain}
