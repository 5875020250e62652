"""The pytest plugin, as a host uses it: its own test file, run by pytest in a process of
its own, outside this repository, with the plugin found through its entry point."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import psycopg

from tests.conftest import POSTGRES_DSN, require_postgres

HOST_TESTS = '''
from pathlib import Path

import httpx
import pytest
from hypothesis import settings

from paycore.adapters.pytest_plugin import SignedWebhooks
from paycore.adapters.webhooks import WebhookInbox
from paycore.adapters.webhooks.server import serving
from paycore.domain import PaymentsCore
from paycore.domain.testing.machines import ManualClock

INVOICE = "INV" + "0" * 31 + "7"
CREATED = {
    "b2bIds": {"buyerB2BId": "BUYER01", "supplierB2BId": "SUPPLIER01"},
    "invoice": {
        "objectId": INVOICE,
        "supplierInvoiceNumber": "SI/7",
        "objectVersion": {"currentVersion": 0, "newVersion": 1},
        "invoiceAmount": {"totalAmount": "900.00"},
    },
}
SEEN = Path(__file__).with_name("seen.txt")


def seen(line: str) -> None:
    with SEEN.open("a") as file:
        file.write(line + "\\n")


def test_a_core_on_each_store(paycore_core: PaymentsCore, paycore_store: str) -> None:
    invoice_id = paycore_core.receive_invoice(
        INVOICE, "SI/7", "900.00", buyer_b2b_id="B", supplier_b2b_id="S"
    )
    assert paycore_core.get_invoice(invoice_id).status == "CREATED"
    seen(f"store {paycore_store.partition(':')[0]}")


def test_the_sqlite_file_is_in_tmp_path(paycore_sqlite_url: str, tmp_path: Path) -> None:
    assert paycore_sqlite_url == f"sqlite:///{tmp_path / 'paycore.db'}"


def test_a_postgres_schema_of_its_own(paycore_postgres_url: str) -> None:
    core = PaymentsCore(paycore_postgres_url, otp_key=b"k" * 32)
    core.close()
    seen(f"schema {paycore_postgres_url.rpartition('schema=')[2]}")


def test_the_sandbox_answers_on_loopback(paycore_sandbox) -> None:
    assert paycore_sandbox.url.startswith("http://127.0.0.1:")
    assert httpx.get(paycore_sandbox.url + "/_sandbox/effects").status_code == 200


@pytest.mark.parametrize("paycore_store", ["sqlite"], indirect=True)
def test_signed_webhooks_reach_the_inbox(
    paycore_webhooks: SignedWebhooks, paycore_core: PaymentsCore
) -> None:
    inbox = WebhookInbox(paycore_core, paycore_webhooks.auth)
    path = "/api/v0/invoice/req-create-invoice"
    with serving(inbox) as listening:
        forged = SignedWebhooks(b"not the secret").send(listening.url, path, CREATED)
        applied = paycore_webhooks.send(listening.url, path, CREATED)
    inbox.close()
    assert (forged, applied) == (401, 200)
    assert paycore_core.get_invoice(PaymentsCore.invoice_id(INVOICE)).status == "CREATED"


def test_the_machines_on_the_hosts_core(paycore_run_machines) -> None:
    clock = ManualClock()
    core = PaymentsCore("memory://", clock=clock)
    few = settings(max_examples=3, stateful_step_count=8, deadline=None)
    paycore_run_machines(core, settings=few)
    assert core.clock is clock
    core.close()
'''


def run_host_tests(directory: Path, *options: str) -> dict[str, str]:
    """Runs the host's tests in ``directory``; each test's outcome by its name (and, when
    one did not pass, what pytest said, as ``"output"``)."""
    (directory / "test_host.py").write_text(textwrap.dedent(HOST_TESTS))
    report = directory / "report.xml"
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q",
         f"--junitxml={report}", *options, "test_host.py"],
        cwd=directory, capture_output=True, text=True, check=False, timeout=300,
        env={**os.environ, "PYTHONPATH": ""},
    )  # fmt: skip
    outcomes = {}
    for case in ET.parse(report).iter("testcase"):
        kinds = [child.tag for child in case if child.tag in ("failure", "error", "skipped")]
        outcomes[case.attrib["name"]] = kinds[0] if kinds else "passed"
    if run.returncode != 0:
        outcomes["output"] = run.stdout[-3000:]
    return outcomes


def test_a_hosts_tests_get_every_fixture_and_the_postgres_schema_is_dropped(
    tmp_path: Path,
) -> None:
    require_postgres()
    outcomes = run_host_tests(
        tmp_path, f"--paycore-postgres={POSTGRES_DSN}", "--paycore-require-postgres"
    )
    assert outcomes.pop("output", "") == ""
    assert outcomes == {
        "test_a_core_on_each_store[memory]": "passed",
        "test_a_core_on_each_store[sqlite]": "passed",
        "test_a_core_on_each_store[postgres]": "passed",
        "test_the_sqlite_file_is_in_tmp_path": "passed",
        "test_a_postgres_schema_of_its_own": "passed",
        "test_the_sandbox_answers_on_loopback": "passed",
        "test_signed_webhooks_reach_the_inbox[sqlite]": "passed",
        "test_the_machines_on_the_hosts_core": "passed",
    }
    seen = (tmp_path / "seen.txt").read_text().split("\n")
    assert {"store memory", "store sqlite", "store postgresql"} <= set(seen)
    schemas = [line.split()[1] for line in seen if line.startswith("schema ")]
    with psycopg.connect(POSTGRES_DSN) as connection:
        left = connection.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname = ANY(%s)", (schemas,)
        ).fetchall()
    assert len(schemas) == 1
    assert left == []


def test_without_the_server_postgres_tests_skip_unless_required(tmp_path: Path) -> None:
    down = "--paycore-postgres=postgresql://postgres@127.0.0.1:9/none"
    skipped = run_host_tests(tmp_path, down)
    required = run_host_tests(tmp_path, down, "--paycore-require-postgres")
    postgres = ("test_a_core_on_each_store[postgres]", "test_a_postgres_schema_of_its_own")
    assert [skipped[name] for name in postgres] == ["skipped", "skipped"]
    assert [required[name] for name in postgres] == ["error", "error"]
    assert skipped["test_a_core_on_each_store[sqlite]"] == "passed"
