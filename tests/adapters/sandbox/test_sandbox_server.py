"""The sandbox as a server: its inspection endpoint and its settings for other processes."""

from __future__ import annotations

import httpx

from paycore.adapters.enkash import EnkashClient, EnkashConfig
from paycore.adapters.sandbox import Sandbox
from tests.adapters.enkash.builders import issue_card, load_request, open_account


def test_ledger_is_readable_over_http(client: EnkashClient, sandbox: Sandbox) -> None:
    card = issue_card(client, open_account(client))
    client.load_balance(load_request(card, "9.00", "LOAD-H"))
    snapshot = httpx.get(sandbox.url + "/_sandbox/effects").json()
    assert snapshot == sandbox.ledger.snapshot()
    assert snapshot["token_requests"] == 1
    assert {"endpoint": "load_balance", "reference": "LOAD-H", "detail": {"amount": "9.00"}} in (
        snapshot["applied"]
    )


def test_a_client_in_another_process_can_be_configured_from_the_environment(
    sandbox: Sandbox,
) -> None:
    environ = sandbox.client_environ(read_timeout=2.0)
    assert EnkashConfig.from_env(environ) == sandbox.client_config(read_timeout=2.0)
    assert environ["PAYCORE_ENKASH_TOKEN_URL"] == sandbox.url + "/oauth/token"
