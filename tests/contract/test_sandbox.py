"""The sandbox speaks the fixtures: its answers and its webhooks have the pages' shapes.

Each documented request is sent to a running sandbox through the real client over
loopback HTTP; what comes back (decrypted, before the client reads it) must use the
page's envelope, the page's kind of payload, and no member the page does not show
beyond those paycore is written to assume (the fixture's ``assumed``). Each webhook
the sandbox posts must carry every member its page shows outside lists, and none
other.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from paycore.adapters.enkash import EnkashClient, crypto
from paycore.adapters.enkash import endpoints as ep
from paycore.adapters.enkash import models as m
from paycore.adapters.sandbox import Sandbox, SandboxSettings, WebhookTarget, run_sandbox
from paycore.adapters.sandbox.server import TOKEN_PATH
from tests.adapters.enkash.builders import COMPANY, WebhookReceiver, issue_card, open_account
from tests.contract.fixtures import Fixture, calls, fixture, outside_lists, paths


class Recorded(httpx.BaseTransport):
    """Real HTTP; keeps each API answer as the platform's JSON (decrypted)."""

    def __init__(self, secret: str) -> None:
        self._http = httpx.HTTPTransport()
        self._secret = secret
        self.answers: list[Any] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self._http.handle_request(request)
        response.read()
        if request.url.path != TOKEN_PATH:
            document = json.loads(response.content)
            if ep.BY_PATH[request.url.path].area.encrypted:
                document = json.loads(crypto.decrypt(self._secret, document["request"]))
            self.answers.append(document)
        return response

    def close(self) -> None:
        self._http.close()


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    listening = WebhookReceiver()
    yield listening
    listening.close()


@pytest.fixture
def platform(receiver: WebhookReceiver) -> Iterator[Sandbox]:
    with run_sandbox(SandboxSettings(webhook=WebhookTarget(receiver.url))) as running:
        yield running


@pytest.fixture
def recorded(platform: Sandbox) -> Recorded:
    return Recorded(platform.settings.client_secret)


@pytest.fixture
def client(platform: Sandbox, recorded: Recorded) -> Iterator[EnkashClient]:
    with EnkashClient(platform.client_config(), transport=recorded) as enkash:
        yield enkash


def card_area(contract: Fixture) -> bool:
    return ep.BY_PATH[contract.data["path"]].area.encrypted


def prepared(contract: Fixture, client: EnkashClient, platform: Sandbox) -> dict[str, Any]:
    """The example, naming an account and a card the sandbox holds where it names any."""
    body = contract.example()
    if not card_area(contract) or contract.call == "create_card_account":
        return {**body, "companyId": COMPANY} if "companyId" in body else body
    gift = contract.call == "create_gift_card"
    account = open_account(client, "GIFT" if gift else "CORPORATE")
    card = issue_card(client, account, load="100.00" if gift else None)
    names = {"companyId": COMPANY, "cardAccountId": account.cardAccountId,
             "enKashCardId": card.enKashCardId, "enKashCardIds": [card.enKashCardId]}  # fmt: skip
    body = {key: names.get(key, value) for key, value in body.items()}
    if contract.call == "find_transaction":
        load = m.LoadBalanceRequest(companyId=COMPANY, cardAccountId=account.cardAccountId,
                                    enKashCardId=card.enKashCardId, amount="25.00",
                                    uniqueReferenceNumber=body["pgReferenceNumber"])  # fmt: skip
        client.load_balance(load)
    if body.get("otpRequired"):
        client.generate_card_otp(
            m.CardOtpRequest(cardAccountId=account.cardAccountId, enKashCardId=card.enKashCardId)
        )
        sms = platform.state.latest_otp(card.enKashCardId)
        body |= {"otp": sms.otp, "otpRequestId": sms.otpRequestId}
    return body


def answer_of(
    contract: Fixture, client: EnkashClient, body: dict[str, Any], recorded: Recorded
) -> Any:
    assert contract.call is not None
    request = ep.BY_PATH[contract.data["path"]].request(**body)
    recorded.answers.clear()
    getattr(client, contract.call)(request)
    [answer] = recorded.answers
    return answer


def kind(value: Any) -> type:
    """The JSON kind of a payload: object, list, string (or null, any other)."""
    return type(value)


def assert_speaks(contract: Fixture, answer: Any, documented: Any) -> None:
    code, message = ep.Envelope[contract.data["envelope"]].value
    assert set(answer) == {code, message, "payload"}
    assumed = {
        p.removeprefix("payload").lstrip(".")
        for p in contract.list("assumed")
        if p.startswith("payload")
    }
    payload = answer["payload"]
    if documented is not None:
        assert kind(payload) is kind(documented["payload"])
        shown = paths(documented["payload"]) | assumed
        assert paths(payload) <= shown, paths(payload) - shown
    else:
        wanted = {p for p in assumed if p}
        assert wanted <= paths(payload), wanted - paths(payload)


@pytest.mark.parametrize("contract", calls(), ids=repr)
def test_the_sandbox_answers_in_the_pages_shape(
    contract: Fixture, client: EnkashClient, platform: Sandbox, recorded: Recorded
) -> None:
    answer = answer_of(contract, client, prepared(contract, client, platform), recorded)
    assert_speaks(contract, answer, contract.answer["documented"])


def test_the_sandbox_answers_a_search_for_all_cards_with_the_documented_page(
    client: EnkashClient, platform: Sandbox, recorded: Recorded
) -> None:
    contract = fixture("card_search")
    body = prepared(fixture("get_card_details"), client, platform)
    search = {"companyId": COMPANY, "cardAccountId": body["cardAccountId"]}
    answer = answer_of(contract, client, search, recorded)
    page = contract.answer["also"][0]["documented"]
    assert answer["payload"]["recordsCount"] == 1
    assumed = {
        p.removeprefix("payload.") for p in contract.list("assumed") if p.startswith("payload.")
    }
    assert paths(answer["payload"]) <= paths(page["payload"]) | assumed


SENT = {
    "send_purchase_order": "send_po_response_webhook",
    "change_purchase_order_status": "status_change_po_response_webhook",
    "send_credit_debit_note": "send_cd_note_response_webhook",
    "make_payment": "payment_response_webhook",
    "pay_invoice": "payment_response_webhook",
}


@pytest.mark.parametrize("call", sorted(SENT))
def test_the_sandboxs_response_webhook_has_the_pages_members(
    call: str, client: EnkashClient, platform: Sandbox, receiver: WebhookReceiver
) -> None:
    contract = fixture(call)
    getattr(client, call)(ep.BY_PATH[contract.data["path"]].request(**contract.example()))
    platform.webhooks.drain()
    [body] = receiver.bodies()
    webhook = fixture(SENT[call])
    documented = webhook.request["documented"]
    shown = paths(documented) | set(webhook.list("assumed"))
    assert outside_lists(documented) <= paths(body), outside_lists(documented) - paths(body)
    assert paths(body) <= shown, paths(body) - shown


def test_a_declined_payments_webhook_has_the_shape_of_the_documented_failure(
    client: EnkashClient, platform: Sandbox, receiver: WebhookReceiver
) -> None:
    contract = fixture("make_payment")
    request = contract.example()
    platform.state.decline_payment(request["urn"], "PAYMENT_DECLINED", "Declined by the bank")
    client.make_payment(m.PaymentRequest(**request))
    platform.webhooks.drain()
    [body] = receiver.bodies()
    failure = fixture("payment_response_webhook").request["failure"]
    assert outside_lists(failure) <= paths(body)
    assert body["resp"] == {
        "reqMsgId": request["urn"], "result": "FAILURE", "errorCd": "PAYMENT_DECLINED",
        "errorDtl": "Declined by the bank", "errorField": "",
    }  # fmt: skip
    assert body["payment"]["utr"] == ""
