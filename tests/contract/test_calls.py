"""Every documented request goes out through the real client as its page shows it, and
every documented answer is read into the right typed result (over ``httpx.MockTransport``).

The requests are held to their page member by member: what the page requires is never
left out (refused by name before anything is sent, or filled in by paycore), what it
marks optional may be, its enums and patterns are enforced at their limits, and where
paycore departs from the page on purpose the fixture says so and the test proves it.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from paycore.adapters.enkash import (
    Effect,
    EnkashClient,
    EnkashConfig,
    RemoteProtocolError,
    RequestValidationError,
    crypto,
)
from paycore.adapters.enkash import endpoints as ep
from paycore.adapters.enkash import models as m
from tests.contract.fixtures import (
    Fixture,
    calls,
    field,
    fixture,
    get,
    has,
    with_value,
    without,
)

SECRET = "contract-client-secret"
CONFIG = EnkashConfig(
    card_base_url="https://cards.test",
    b2b_base_url="https://b2b.test",
    ap_base_url="https://ap.test",
    token_url="https://auth.test/oauth/token",
    partner_id="CRCONTRACT1",
    client_id="CEKSANDBOX1",
    client_secret=SECRET,
    username="9999999999",
    password="sandbox-password",
)
CALLS = calls()


class Platform:
    """Grants the documented token, answers every call with ``answer`` (encrypted in the
    card area) and keeps the plain bodies it was sent."""

    def __init__(self, answer: dict[str, Any]) -> None:
        self.answer = answer
        self.token = fixture("auth_token").answered()
        self.token_requests: list[httpx.Request] = []
        self.requests: list[httpx.Request] = []
        self.bodies: list[Any] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            self.token_requests.append(request)
            return httpx.Response(200, json=self.token)
        self.requests.append(request)
        body = json.loads(request.content)
        card = request.url.host == "cards.test"
        self.bodies.append(json.loads(crypto.decrypt(SECRET, body["request"])) if card else body)
        if card:
            return httpx.Response(
                200, json={"request": crypto.encrypt(SECRET, json.dumps(self.answer))}
            )
        return httpx.Response(200, json=self.answer)


@contextmanager
def client_of(platform: Platform) -> Iterator[EnkashClient]:
    with EnkashClient(CONFIG, transport=httpx.MockTransport(platform)) as client:
        yield client


def bare(contract: Fixture) -> dict[str, Any]:
    """Code 0 and nothing else: the answer where the page shows none."""
    code, message = ep.Envelope[contract.data["envelope"]].value
    return {code: 0, message: "Success", "payload": None}


def build(contract: Fixture, body: dict[str, Any]) -> m.WireRequest:
    request: m.WireRequest = ep.BY_PATH[contract.data["path"]].request(**body)
    return request


def attempt(contract: Fixture, body: dict[str, Any]) -> m.WireRequest | RequestValidationError:
    """The request, or the refusal of it."""
    try:
        return build(contract, body)
    except RequestValidationError as refused:
        return refused


def sent(contract: Fixture) -> tuple[Any, Platform]:
    """The example sent, answered as its page shows (or with code 0 alone)."""
    return send(
        contract, build(contract, contract.example()), contract.answered() or bare(contract)
    )


def send(contract: Fixture, request: m.WireRequest, answer: dict[str, Any]) -> tuple[Any, Platform]:
    """The client's result, or the error it raised, and what the platform saw."""
    platform = Platform(answer)
    assert contract.call is not None
    with client_of(platform) as client:
        try:
            return getattr(client, contract.call)(request), platform
        except RemoteProtocolError as unreadable:
            return unreadable, platform


def cases(key: str) -> list[tuple[Fixture, str]]:
    return [(f, path) for f in CALLS for path in f.request[key]]


def ids(case: tuple[Fixture, str]) -> str:
    return f"{case[0].name}:{case[1]}"


# -- what goes out ------------------------------------------------------------------------


@pytest.mark.parametrize("contract", CALLS, ids=repr)
def test_the_documented_request_goes_out_member_for_member(contract: Fixture) -> None:
    result, platform = sent(contract)
    if isinstance(result, RemoteProtocolError):
        # The page shows no answer and paycore needs a member of it: effect unknown.
        assert contract.answered() is None
        assert result.effect is Effect.UNKNOWN
    assert [r.url.path for r in platform.requests] == [contract.data["path"]]
    assert platform.bodies == [contract.example()]


@pytest.mark.parametrize("contract", CALLS, ids=repr)
def test_the_request_carries_the_platforms_headers(contract: Fixture) -> None:
    _, platform = sent(contract)
    [request] = platform.requests
    assert request.headers["Authorization"] == f"Bearer {platform.token['access_token']}"
    assert request.headers["partnerId"] == CONFIG.partner_id
    assert request.headers["Content-Type"] == "application/json"
    assert "Cookie" not in request.headers


@pytest.mark.parametrize("case", cases("required"), ids=ids)
def test_a_member_the_page_requires_is_never_left_out(case: tuple[Fixture, str]) -> None:
    contract, path = case
    result = attempt(contract, without(contract.example(), path))
    if isinstance(result, RequestValidationError):
        assert (result.code, result.field) == ("REMOTE_INVALID_REQUEST", field(path))
    else:
        assert has(result.to_wire(), path), f"{path} is sent anyway, with paycore's default"


@pytest.mark.parametrize("case", cases("optional"), ids=ids)
def test_a_member_the_page_marks_optional_may_be_left_out(case: tuple[Fixture, str]) -> None:
    contract, path = case
    body = without(contract.example(), path)
    condition = contract.paycore.get("requires_with", {}).get(path)
    result = attempt(contract, body)
    if path in contract.list("requires") or (condition and get(body, condition)):
        assert isinstance(result, RequestValidationError)
        assert path in result.message
    else:
        assert isinstance(result, m.WireRequest), result


@pytest.mark.parametrize("case", [(f, p) for f in CALLS for p in f.request["enums"]], ids=ids)
def test_the_pages_enum_values_are_the_ones_paycore_sends(case: tuple[Fixture, str]) -> None:
    contract, path = case
    documented = contract.request["enums"][path]
    taken = contract.paycore.get("enums", {}).get(path, documented)
    for value in documented:
        body = with_value(contract.example(), path, value)
        if value in taken:
            assert get(build(contract, body).to_wire(), path) == value
        else:
            with pytest.raises(RequestValidationError) as refused:
                build(contract, body)
            assert refused.value.field == field(path)
    with pytest.raises(RequestValidationError) as refused:
        build(contract, with_value(contract.example(), path, "NOT_ON_THE_PAGE"))
    assert refused.value.field == field(path)


_BOUNDED = re.compile(r"\{1,(\d+)\}\$$")


@pytest.mark.parametrize("case", [(f, p) for f in CALLS for p in f.request["patterns"]], ids=ids)
def test_the_pages_patterns_are_enforced_at_their_limits(case: tuple[Fixture, str]) -> None:
    contract, path = case
    pattern = contract.request["patterns"][path]
    value = str(get(contract.example(), path))
    with pytest.raises(RequestValidationError) as refused:
        build(contract, with_value(contract.example(), path, value + '"'))
    assert refused.value.field == field(path)
    assert value + '"' not in str(refused.value)
    if bounded := _BOUNDED.search(pattern):
        limit = int(bounded.group(1))
        build(contract, with_value(contract.example(), path, "A" * limit))
        with pytest.raises(RequestValidationError):
            build(contract, with_value(contract.example(), path, "A" * (limit + 1)))


@pytest.mark.parametrize(
    "case", [(f, p) for f in CALLS for p in f.paycore.get("patterns", {})], ids=ids
)
def test_a_prefix_the_pages_character_class_admits_is_refused(case: tuple[Fixture, str]) -> None:
    contract, path = case
    value = str(get(contract.example(), path))
    swapped = value[1] + value[0] + value[2:]  # NIV..., MPT...: the page's [INV]{3} admits them
    assert re.fullmatch(contract.request["patterns"][path], swapped)
    assert not re.fullmatch(contract.paycore["patterns"][path], swapped)
    with pytest.raises(RequestValidationError) as refused:
        build(contract, with_value(contract.example(), path, swapped))
    assert refused.value.field == field(path)


# -- what comes back ----------------------------------------------------------------------


def test_the_card_account_is_read_as_the_page_shows_it() -> None:
    contract = fixture("get_card_account")
    account, _ = send(contract, build(contract, contract.example()), contract.answered() or {})
    assert isinstance(account, m.CardAccount)
    assert (account.cardAccountId, account.companyId) == ("CAVBMRFE8", "CEK7T1WMC6")
    assert account.usedCreditLimit == Decimal("-990553.44")
    assert (account.availableBalance, account.dynamicLimit) == (Decimal(898138), Decimal(0))


@pytest.mark.parametrize("shape", ["one card object", "a page of cards"])
def test_both_documented_card_search_answers_read_as_the_cards(shape: str) -> None:
    contract = fixture("card_search")
    answer = contract.answer if shape == "one card object" else contract.answer["also"][0]
    cards, _ = send(contract, build(contract, contract.example()), answer["example"])
    documented = answer["example"]["payload"]
    expected = documented.get("data", [documented])
    assert [(c.enKashCardId, c.userId, c.cardAccountId) for c in cards] == [
        (e["enKashCardId"], e["userId"], e["cardAccountId"]) for e in expected
    ]
    shown = repr(cards) + str(cards)
    assert "1cfc6f4d558064eb6a20" not in shown
    assert "6667778889" not in shown


def test_the_usage_limits_are_read_in_the_code_message_envelope() -> None:
    contract = fixture("get_card_usage_limits")
    limits, _ = send(contract, build(contract, contract.example()), contract.answered() or {})
    assert isinstance(limits, m.UsageLimits)
    assert (limits.createdOn, limits.modifiedOn) == ("Jan 23, 2025 4:38:36 PM",) * 2


@pytest.mark.parametrize(
    "name",
    ["set_card_pin", "confirm_invoice", "change_invoice_status", "make_payment",
     "confirm_payable_invoices"],
)  # fmt: skip
def test_an_acknowledgement_keeps_the_documented_payload(name: str) -> None:
    contract = fixture(name)
    answer = contract.answered()
    assert answer is not None
    ack, _ = send(contract, build(contract, contract.example()), answer)
    assert isinstance(ack, m.Acknowledgement)
    assert (ack.code, ack.payload) == (0, answer["payload"])


def test_the_token_is_asked_for_with_the_documented_form_and_used_as_bearer() -> None:
    contract = fixture("auth_token")
    platform = Platform(fixture("get_card_account").answered() or {})
    with client_of(platform) as client:
        client.get_card_account(
            m.CardAccountQuery(companyId="CEK7T1WMC6", cardAccountId="CAVBMRFE8")
        )
    [asked] = platform.token_requests
    form = {key: values[0] for key, values in parse_qs(asked.content.decode()).items()}
    assert form == contract.example()
    assert asked.headers["Content-Type"] == "application/x-www-form-urlencoded"
    basic = base64.b64encode(f"{CONFIG.client_id}:{SECRET}".encode()).decode()
    assert asked.headers["Authorization"] == f"Basic {basic}"
    token = contract.answered()
    assert token is not None
    assert platform.requests[0].headers["Authorization"] == f"Bearer {token['access_token']}"
