"""The client alone, against scripted answers (``httpx.MockTransport``).

The client makes one attempt per call and classifies a failure; whoever calls it tries
again (``test_enkash_retry.py`` holds the helper's rules).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import httpx
import pytest

from paycore.adapters.enkash import (
    AuthError,
    Effect,
    EnkashClient,
    EnkashConfig,
    RemoteBusinessError,
    RemoteDuplicateError,
    RemoteError,
    RemoteProtocolError,
    RemoteRejectedError,
    RemoteTimeoutError,
    RemoteUnavailableError,
    RequestValidationError,
    crypto,
)
from paycore.adapters.enkash import models as m
from paycore.domain.errors import ConfigurationError
from tests.adapters.enkash.builders import COMPANY

SECRET = "unit-client-secret"
CONFIG = EnkashConfig(
    card_base_url="https://cards.test",
    b2b_base_url="https://b2b.test",
    ap_base_url="https://ap.test",
    token_url="https://auth.test/oauth/token",
    partner_id="CRUNIT01",
    client_id="CEKUNIT01",
    client_secret=SECRET,
    username="9000000000",
    password="unit-password",
)
ACCOUNT_QUERY = m.CardAccountQuery(companyId=COMPANY, cardAccountId="CA1")
ACCOUNT = {"cardAccountId": "CA1", "companyId": COMPANY, "availableBalance": 10.5}
Answer = Callable[[httpx.Request], httpx.Response]


def token(expires_in: int = 300, value: str = "tok-1") -> httpx.Response:
    return httpx.Response(200, json={"access_token": value, "expires_in": expires_in})


def sealed(status: int, document: Any) -> httpx.Response:
    """An encrypted card-area answer."""
    return httpx.Response(status, json={"request": crypto.encrypt(SECRET, json.dumps(document))})


def envelope_a(code: int, message: str, payload: Any = None) -> dict[str, Any]:
    return {"response_code": code, "response_message": message, "payload": payload}


class Platform:
    """Scripted answers: token requests and API requests each take the next one."""

    def __init__(self, *api: Answer | httpx.Response, tokens: int = 5) -> None:
        self.token_answers: list[httpx.Response] = [token() for _ in range(tokens)]
        self.api_answers = list(api)
        self.token_requests: list[httpx.Request] = []
        self.api_requests: list[httpx.Request] = []
        self.now = 0.0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            self.token_requests.append(request)
            return self.token_answers.pop(0)
        self.api_requests.append(request)
        answer = self.api_answers.pop(0)
        return answer(request) if callable(answer) else answer

    def client(self, config: EnkashConfig = CONFIG) -> EnkashClient:
        return EnkashClient(config, transport=httpx.MockTransport(self), clock=lambda: self.now)


def raising(exc: type[httpx.TransportError]) -> Answer:
    def answer(request: httpx.Request) -> httpx.Response:
        raise exc("scripted", request=request)

    return answer


def test_card_body_is_sealed_as_request_and_sent_with_bearer_and_partner_id() -> None:
    platform = Platform(sealed(200, envelope_a(0, "Success", ACCOUNT)))
    platform.client().get_card_account(ACCOUNT_QUERY)
    sent = platform.api_requests[0]
    body = json.loads(sent.content)
    assert list(body) == ["request"]
    assert json.loads(crypto.decrypt(SECRET, body["request"])) == {
        "companyId": COMPANY,
        "cardAccountId": "CA1",
    }
    assert sent.headers["Authorization"] == "Bearer tok-1"
    assert sent.headers["partnerId"] == "CRUNIT01"
    assert str(sent.url) == "https://cards.test/api/v0/partner/enKashCard/cardAccount/get"


def test_token_request_is_a_password_grant_with_basic_client_credentials() -> None:
    platform = Platform(sealed(200, envelope_a(0, "Success", ACCOUNT)))
    platform.client().get_card_account(ACCOUNT_QUERY)
    asked = platform.token_requests[0]
    assert asked.headers["Authorization"] == httpx.BasicAuth("CEKUNIT01", SECRET)._auth_header
    form = dict(httpx.QueryParams(asked.content.decode()))
    assert form == {
        "grant_type": "password",
        "username": "9000000000",
        "password": "unit-password",
        "clientId": "CEKUNIT01",
    }


def test_b2b_body_is_plain_json_on_the_b2b_host() -> None:
    platform = Platform(httpx.Response(200, json=envelope_a(0, "SUCCESS", "SUCCESS")))
    request = m.PaymentRequest(paymentIds=["P1"], paymentType="INVOICE", urn="U1")
    platform.client().make_payment(request)
    sent = platform.api_requests[0]
    assert str(sent.url) == "https://ap.test/api/v0/payment"
    assert json.loads(sent.content) == {
        "paymentIds": ["P1"],
        "paymentType": "INVOICE",
        "urn": "U1",
        "partialPayment": False,
    }


def test_both_envelopes_are_read() -> None:
    platform = Platform(
        sealed(200, {"code": 0, "message": "Success", "payload": "Success"}),
        sealed(200, envelope_a(0, "Success", ACCOUNT)),
    )
    client = platform.client()
    pin = client.set_pin(
        m.SetPinRequest(companyId=COMPANY, cardAccountId="CA1", enKashCardId="K1", pinBlock="1234")
    )
    assert (pin.code, pin.message, pin.payload) == (0, "Success", "Success")
    assert client.get_card_account(ACCOUNT_QUERY).availableBalance == Decimal("10.5")


def test_an_unencrypted_card_answer_is_read_as_is() -> None:
    platform = Platform(httpx.Response(200, json=envelope_a(0, "Success", ACCOUNT)))
    assert platform.client().get_card_account(ACCOUNT_QUERY).cardAccountId == "CA1"


@pytest.mark.parametrize(
    ("answer", "error", "remote_code"),
    [
        (
            sealed(200, envelope_a(1, "Insufficient balance in card account")),
            RemoteBusinessError,
            1,
        ),
        (sealed(200, {"code": 1, "message": "Card not found"}), RemoteBusinessError, 1),
        (sealed(200, envelope_a(38, "Duplicate referenceId")), RemoteDuplicateError, 38),
        (sealed(409, envelope_a(1, "Transaction ID already exists")), RemoteDuplicateError, 1),
        (sealed(400, envelope_a(1, "mandatory parameter missing")), RemoteRejectedError, 1),
        (httpx.Response(422, text="Invalid encrypted request"), RemoteRejectedError, None),
        (httpx.Response(200, text="<html>maintenance</html>"), RemoteProtocolError, None),
        (httpx.Response(200, json={"request": "not-ours"}), RemoteProtocolError, None),
        (sealed(200, envelope_a(0, "Success", {"companyId": COMPANY})), RemoteProtocolError, 0),
    ],
)
def test_failures_map_to_typed_errors_with_the_remote_code_and_message(
    answer: httpx.Response, error: type[Exception], remote_code: int | None
) -> None:
    platform = Platform(answer)
    with pytest.raises(error) as raised:
        platform.client().get_card_account(ACCOUNT_QUERY)
    assert raised.value.remote_code == remote_code  # type: ignore[attr-defined]
    assert raised.value.http_status == answer.status_code  # type: ignore[attr-defined]
    assert len(platform.api_requests) == 1


def test_business_failure_keeps_the_remote_message() -> None:
    platform = Platform(sealed(200, envelope_a(1, "Insufficient balance in card account")))
    with pytest.raises(RemoteBusinessError) as raised:
        platform.client().get_card_account(ACCOUNT_QUERY)
    assert raised.value.remote_message == "Insufficient balance in card account"
    assert raised.value.code == "REMOTE_BUSINESS_FAILURE"


def load() -> m.LoadBalanceRequest:
    return m.LoadBalanceRequest(
        companyId=COMPANY,
        cardAccountId="CA1",
        enKashCardId="K1",
        amount=Decimal("100.00"),
        uniqueReferenceNumber="LOAD-7",
    )


TXN = {
    "enKashTransactionId": "T1",
    "enKashCardId": "K1",
    "pgReferenceNumber": "LOAD-7",
    "amount": 100.0,
    "cardTransactionType": "CR",
}


def path_of(request: httpx.Request) -> str:
    return request.url.path.removeprefix("/api/v0/partner/enKashCard")


#: one call of each repeat rule: a read (safe), a load (by reference), a card creation
#: and an AP payment (once)
CALLS: dict[str, Callable[[EnkashClient], object]] = {
    "read": lambda client: client.get_card_account(ACCOUNT_QUERY),
    "load": lambda client: client.load_balance(load()),
    "card": lambda client: client.create_prepaid_card(
        m.CreateCardRequest(companyId=COMPANY, cardAccountId="CA1")
    ),
    "payment": lambda client: client.make_payment(
        m.PaymentRequest(paymentIds=["P1"], paymentType="INVOICE", urn="URN-9")
    ),
}
NEVER_LEFT = [
    raising(httpx.ConnectError),
    raising(httpx.ConnectTimeout),
    raising(httpx.PoolTimeout),
]
NO_ANSWER = [
    raising(httpx.ReadTimeout),
    raising(httpx.WriteTimeout),
    raising(httpx.RemoteProtocolError),  # the connection dropped
    lambda request: httpx.Response(503),
    lambda request: httpx.Response(200, text="<html>maintenance</html>"),
]


def answered(status: int, document: Any) -> Answer:
    """The answer as the request's area sends it: sealed on the card host, else plain."""

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.host == "cards.test":
            return sealed(status, document)
        return httpx.Response(status, json=document)

    return answer


REFUSED = [
    answered(400, envelope_a(1, "mandatory parameter missing")),
    answered(200, envelope_a(1, "Insufficient balance in card account")),
    answered(409, envelope_a(38, "Duplicate uniqueReferenceNumber")),
]


@pytest.mark.parametrize("call", CALLS)
@pytest.mark.parametrize("answer", NEVER_LEFT + NO_ANSWER + REFUSED)
def test_the_client_makes_one_request_whatever_the_failure(call: str, answer: Answer) -> None:
    platform = Platform(*[answer] * 5)  # enough for any loop of repeats
    with pytest.raises(RemoteError):
        CALLS[call](platform.client())
    assert len(platform.api_requests) == 1
    assert len(platform.token_requests) == 1


@pytest.mark.parametrize("call", CALLS)
@pytest.mark.parametrize("answer", NEVER_LEFT)
def test_a_request_that_never_left_is_not_applied_and_retryable(call: str, answer: Answer) -> None:
    platform = Platform(answer)
    with pytest.raises(RemoteUnavailableError) as raised:
        CALLS[call](platform.client())
    assert (raised.value.effect, raised.value.retryable) == (Effect.NOT_APPLIED, True)
    assert raised.value.http_status is None


@pytest.mark.parametrize(
    ("call", "retryable"),
    [("read", True), ("load", True), ("card", False), ("payment", False)],
)
@pytest.mark.parametrize("answer", NO_ANSWER)
def test_an_answer_that_says_nothing_is_unknown_and_retryable_only_where_a_resend_is_safe(
    call: str, retryable: bool, answer: Answer
) -> None:
    platform = Platform(answer)
    with pytest.raises((RemoteTimeoutError, RemoteUnavailableError, RemoteProtocolError)) as raised:
        CALLS[call](platform.client())
    assert (raised.value.effect, raised.value.retryable) == (Effect.UNKNOWN, retryable)


@pytest.mark.parametrize("call", CALLS)
@pytest.mark.parametrize("answer", REFUSED)
def test_a_refusal_is_not_applied_and_not_retryable(call: str, answer: Answer) -> None:
    platform = Platform(answer)
    with pytest.raises((RemoteRejectedError, RemoteBusinessError, RemoteDuplicateError)) as raised:
        CALLS[call](platform.client())
    assert (raised.value.effect, raised.value.retryable) == (Effect.NOT_APPLIED, False)


def test_a_5xx_keeps_its_status_and_is_unavailable() -> None:
    platform = Platform(httpx.Response(503))
    with pytest.raises(RemoteUnavailableError) as raised:
        platform.client().get_card_account(ACCOUNT_QUERY)
    assert raised.value.http_status == 503


def test_a_call_without_reference_is_not_resent_after_a_timeout() -> None:
    platform = Platform(raising(httpx.ReadTimeout))
    request = m.CreateCardRequest(companyId=COMPANY, cardAccountId="CA1")
    with pytest.raises(RemoteTimeoutError) as raised:
        platform.client().create_prepaid_card(request)
    assert len(platform.api_requests) == 1
    assert not raised.value.retryable


def test_ap_payment_is_never_resent_after_a_timeout_and_names_its_urn() -> None:
    platform = Platform(raising(httpx.ReadTimeout))
    request = m.PaymentRequest(paymentIds=["P1"], paymentType="INVOICE", urn="URN-9")
    with pytest.raises(RemoteTimeoutError) as raised:
        platform.client().make_payment(request)
    assert raised.value.details["reference"] == "URN-9"
    assert len(platform.api_requests) == 1
    assert (raised.value.effect, raised.value.retryable) == (Effect.UNKNOWN, False)


def test_a_timed_out_load_is_not_looked_up_by_the_client_itself() -> None:
    platform = Platform(raising(httpx.ReadTimeout), sealed(200, envelope_a(0, "Success", [TXN])))
    with pytest.raises(RemoteTimeoutError) as raised:
        platform.client().load_balance(load())
    assert raised.value.details["reference"] == "LOAD-7"
    assert [path_of(r) for r in platform.api_requests] == ["/balance"]


def test_a_duplicate_on_the_first_attempt_is_an_error() -> None:
    platform = Platform(sealed(409, envelope_a(38, "Duplicate uniqueReferenceNumber")))
    with pytest.raises(RemoteDuplicateError):
        platform.client().load_balance(load())


def test_token_is_reused_until_the_margin_before_expiry_then_renewed() -> None:
    platform = Platform(*[sealed(200, envelope_a(0, "Success", ACCOUNT))] * 3)
    client = platform.client()
    client.get_card_account(ACCOUNT_QUERY)
    platform.now = 269.0  # expires_in 300, margin 30: still fresh
    client.get_card_account(ACCOUNT_QUERY)
    assert len(platform.token_requests) == 1
    platform.now = 270.0
    client.get_card_account(ACCOUNT_QUERY)
    assert len(platform.token_requests) == 2


def test_a_short_lived_token_is_renewed_at_half_its_lifetime() -> None:
    platform = Platform(*[sealed(200, envelope_a(0, "Success", ACCOUNT))] * 2)
    platform.token_answers = [token(expires_in=20), token(expires_in=20)]
    client = platform.client()
    client.get_card_account(ACCOUNT_QUERY)
    platform.now = 10.0
    client.get_card_account(ACCOUNT_QUERY)
    assert len(platform.token_requests) == 2


def test_camel_case_token_answer_is_accepted() -> None:
    platform = Platform(sealed(200, envelope_a(0, "Success", ACCOUNT)))
    platform.token_answers = [
        httpx.Response(200, json={"accessToken": "tok-c", "expiresIn": 300, "tokenType": "bearer"})
    ]
    platform.client().get_card_account(ACCOUNT_QUERY)
    assert platform.api_requests[0].headers["Authorization"] == "Bearer tok-c"


def test_a_refused_token_is_renewed_once_and_the_call_sent_again() -> None:
    """Authentication, not a retry: a 401 turned the request away before it was applied."""
    platform = Platform(
        httpx.Response(401, json=envelope_a(1, "Invalid token")),
        sealed(200, envelope_a(0, "Success", ACCOUNT)),
    )
    platform.token_answers = [token(value="tok-old"), token(value="tok-new")]
    platform.client().get_card_account(ACCOUNT_QUERY)
    assert [r.headers["Authorization"] for r in platform.api_requests] == [
        "Bearer tok-old",
        "Bearer tok-new",
    ]


def test_a_token_refused_twice_is_an_auth_error() -> None:
    platform = Platform(*[httpx.Response(401, json=envelope_a(1, "Invalid token"))] * 2)
    with pytest.raises(AuthError) as raised:
        platform.client().get_card_account(ACCOUNT_QUERY)
    assert len(platform.token_requests) == 2
    assert len(platform.api_requests) == 2
    assert (raised.value.effect, raised.value.retryable) == (Effect.NOT_APPLIED, False)


def test_refused_credentials_are_never_tried_again_by_the_same_client() -> None:
    platform = Platform()
    platform.token_answers = [
        httpx.Response(400, json={"error": "invalid_grant", "error_description": "Bad credentials"})
    ]
    client = platform.client()
    with pytest.raises(AuthError) as first:
        client.get_card_account(ACCOUNT_QUERY)
    with pytest.raises(AuthError) as second:
        client.get_card_account(ACCOUNT_QUERY)
    assert len(platform.token_requests) == 1
    assert platform.api_requests == []
    assert first.value.remote_message == "Bad credentials"
    assert second.value.http_status == 400
    assert (second.value.effect, second.value.retryable) == (Effect.NOT_APPLIED, False)


def test_a_token_endpoint_outage_is_not_a_credential_failure() -> None:
    platform = Platform(sealed(200, envelope_a(0, "Success", ACCOUNT)))
    platform.token_answers = [httpx.Response(503), token()]
    client = platform.client()
    with pytest.raises(RemoteUnavailableError) as raised:
        client.get_card_account(ACCOUNT_QUERY)
    # the call never left: even a call that is never resent may be tried again
    assert (raised.value.effect, raised.value.retryable) == (Effect.NOT_APPLIED, True)
    assert client.get_card_account(ACCOUNT_QUERY).cardAccountId == "CA1"
    assert len(platform.token_requests) == 2


def test_an_endpoint_refuses_a_body_of_another_endpoint_before_sending() -> None:
    platform = Platform()
    wrong: Any = m.CardRef(companyId=COMPANY, cardAccountId="CA1", enKashCardId="K1")
    with pytest.raises(RequestValidationError, match="takes a CardAccountQuery"):
        platform.client().get_card_account(wrong)
    assert platform.token_requests == []


def test_gift_card_without_a_value_is_refused_before_sending() -> None:
    platform = Platform()
    request = m.CreateCardRequest(companyId=COMPANY, cardAccountId="CA1")
    with pytest.raises(RequestValidationError) as raised:
        platform.client().create_gift_card(request)
    assert raised.value.field == "loadAmount"
    assert platform.api_requests == []
    assert (raised.value.effect, raised.value.retryable) == (Effect.NOT_APPLIED, False)


def test_config_reads_every_field_from_the_environment() -> None:
    environ = {
        "PAYCORE_ENKASH_CARD_BASE_URL": "https://pay-uat.enkash.in",
        "PAYCORE_ENKASH_B2B_BASE_URL": "https://b2b.example",
        "PAYCORE_ENKASH_AP_BASE_URL": "https://ap.example",
        "PAYCORE_ENKASH_TOKEN_URL": "https://ekpayout-uat.enkash.in/oauth/token",
        "PAYCORE_ENKASH_PARTNER_ID": "CR1",
        "PAYCORE_ENKASH_CLIENT_ID": "CEK1",
        "PAYCORE_ENKASH_CLIENT_SECRET": "s3cret",
        "PAYCORE_ENKASH_USERNAME": "9000000000",
        "PAYCORE_ENKASH_PASSWORD": "pa55",
        "PAYCORE_ENKASH_READ_TIMEOUT": "12.5",
    }
    config = EnkashConfig.from_env(environ)
    assert config.read_timeout == 12.5
    assert config.client_secret.get_secret_value() == "s3cret"
    assert config.timeout().connect == 5.0


def test_config_from_environment_names_the_missing_variable() -> None:
    with pytest.raises(ConfigurationError) as raised:
        EnkashConfig.from_env({})
    assert raised.value.code == "CONFIGURATION"
    assert raised.value.details == {"setting": "PAYCORE_ENKASH_CARD_BASE_URL"}
    assert raised.value.message == "environment variable PAYCORE_ENKASH_CARD_BASE_URL is not set"


def test_config_from_environment_names_an_invalid_variable_but_not_its_value() -> None:
    environ = {
        f"PAYCORE_ENKASH_{name.upper()}": "x"
        for name in EnkashConfig.model_fields
        if name not in ("connect_timeout", "read_timeout", "token_refresh_margin")
    }
    environ["PAYCORE_ENKASH_READ_TIMEOUT"] = "-1"
    with pytest.raises(ConfigurationError) as raised:
        EnkashConfig.from_env(environ)
    assert raised.value.details == {"setting": "PAYCORE_ENKASH_READ_TIMEOUT"}
    assert raised.value.message.startswith("environment variable PAYCORE_ENKASH_READ_TIMEOUT ")
    assert "-1" not in raised.value.message
