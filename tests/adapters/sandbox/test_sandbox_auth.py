"""The token endpoint of the sandbox and the client's token handling over loopback."""

from __future__ import annotations

import threading

import httpx
import pytest

from paycore.adapters.enkash import AuthError, EnkashClient, RemoteRejectedError
from paycore.adapters.enkash import models as m
from paycore.adapters.sandbox import Sandbox
from tests.adapters.enkash.builders import COMPANY, open_account


def read_from_sixteen_threads_at_once(client: EnkashClient, query: m.CardAccountQuery) -> None:
    start = threading.Barrier(16)
    answers: list[m.CardAccount] = []
    failures: list[BaseException] = []

    def read() -> None:
        start.wait()
        try:
            answers.append(client.get_card_account(query))
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=read) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert len(answers) == 16


def test_sixteen_threads_needing_a_token_at_once_cause_one_token_request(
    sandbox: Sandbox,
) -> None:
    now = [0.0]
    with EnkashClient(sandbox.client_config(), clock=lambda: now[0]) as client:
        account = open_account(client)
        query = m.CardAccountQuery(companyId=COMPANY, cardAccountId=account.cardAccountId)
        assert sandbox.ledger.token_requests == 1
        now[0] = 280.0  # within the refresh margin of a 300 s token: every thread renews
        read_from_sixteen_threads_at_once(client, query)
        assert sandbox.ledger.token_requests == 2
    with EnkashClient(sandbox.client_config()) as fresh:
        read_from_sixteen_threads_at_once(fresh, query)
    assert sandbox.ledger.token_requests == 3


def test_a_token_the_platform_dropped_is_renewed_transparently(
    client: EnkashClient, sandbox: Sandbox
) -> None:
    account = open_account(client)
    sandbox.expire_tokens()
    read = client.get_card_account(
        m.CardAccountQuery(companyId=COMPANY, cardAccountId=account.cardAccountId)
    )
    assert read.cardAccountId == account.cardAccountId
    assert sandbox.ledger.token_requests == 2


def test_wrong_password_is_an_auth_error_after_exactly_one_token_request(
    sandbox: Sandbox,
) -> None:
    with EnkashClient(sandbox.client_config(password="wrong")) as client:
        for _ in range(3):
            with pytest.raises(AuthError):
                open_account(client)
    assert sandbox.ledger.token_requests == 1
    assert not sandbox.locked_out
    assert sandbox.ledger.count_received() == 0


def test_three_failed_token_requests_lock_the_account_even_for_the_right_password(
    sandbox: Sandbox,
) -> None:
    settings = sandbox.settings
    url = sandbox.url + "/oauth/token"
    form = {
        "grant_type": "password",
        "username": settings.username,
        "password": "wrong",
        "clientId": settings.client_id,
    }
    auth = (settings.client_id, settings.client_secret)
    statuses = [httpx.post(url, data=form, auth=auth).status_code for _ in range(3)]
    assert statuses == [400, 400, 400]
    assert sandbox.locked_out
    right = httpx.post(url, data=form | {"password": settings.password}, auth=auth)
    assert right.status_code == 401
    assert right.json()["error_description"] == "User account is locked"


def test_wrong_client_secret_is_refused_by_the_token_endpoint(sandbox: Sandbox) -> None:
    with (
        EnkashClient(sandbox.client_config(client_secret="not-the-secret")) as client,
        pytest.raises(AuthError) as refused,
    ):
        open_account(client)
    assert refused.value.http_status == 401


def test_api_call_without_a_valid_token_is_401(sandbox: Sandbox) -> None:
    answer = httpx.post(
        sandbox.url + "/api/v0/payment",
        json={},
        headers={"Authorization": "Bearer forged", "partnerId": sandbox.settings.partner_id},
    )
    assert answer.status_code == 401


def test_api_call_from_another_partner_is_403(sandbox: Sandbox) -> None:
    with (
        EnkashClient(sandbox.client_config(partner_id="CROTHER")) as client,
        pytest.raises(RemoteRejectedError, match="APIs not enabled") as refused,
    ):
        open_account(client)
    assert refused.value.http_status == 403


def test_card_body_that_is_not_encrypted_is_422(sandbox: Sandbox) -> None:
    config = sandbox.client_config()
    token = httpx.post(
        config.token_url,
        data={
            "grant_type": "password",
            "username": config.username,
            "password": config.password.get_secret_value(),
            "clientId": config.client_id,
        },
        auth=(config.client_id, config.client_secret.get_secret_value()),
    ).json()["access_token"]
    answer = httpx.post(
        sandbox.url + "/api/v0/partner/enKashCard/cardAccount/get",
        json={"companyId": COMPANY, "cardAccountId": "CA1"},
        headers={"Authorization": f"Bearer {token}", "partnerId": config.partner_id},
    )
    assert answer.status_code == 422
