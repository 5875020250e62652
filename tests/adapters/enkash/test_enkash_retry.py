"""``with_retries``: a host's opt-in retries of a client call, by the client's
classification and the relay's backoff, against scripted answers."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import TypeVar

import httpx
import pytest

from paycore.adapters.enkash import (
    Backoff,
    EnkashClient,
    RemoteBusinessError,
    RemoteDuplicateError,
    RemoteError,
    RemoteRejectedError,
    RemoteTimeoutError,
    RemoteUnavailableError,
    with_retries,
)
from paycore.adapters.enkash import models as m
from paycore.adapters.sync import RelaySettings
from paycore.domain.errors import InvalidArgument
from tests.adapters.enkash.builders import COMPANY
from tests.adapters.enkash.test_enkash_client import (
    ACCOUNT,
    ACCOUNT_QUERY,
    TXN,
    Platform,
    envelope_a,
    load,
    path_of,
    raising,
    sealed,
)

SCHEDULE = Backoff(base=1.0, cap=3.0)
T = TypeVar("T")


class Retrying:
    """``with_retries`` on one platform, its waits recorded instead of slept."""

    def __init__(self, platform: Platform) -> None:
        self.client = platform.client()
        self.sleeps: list[float] = []

    def __call__(
        self,
        call: Callable[[EnkashClient], T],
        *,
        attempts: int = 3,
        enquire: Callable[[EnkashClient], T | None] | None = None,
    ) -> T:
        client = self.client
        return with_retries(
            lambda: call(client),
            attempts=attempts,
            backoff=SCHEDULE,
            enquire=(lambda: enquire(client)) if enquire else None,
            sleep=self.sleeps.append,
        )


def find_load(client: EnkashClient) -> m.CardTransaction | None:
    return client.find_transaction(load().enquiry())


def read_account(client: EnkashClient) -> m.CardAccount:
    return client.get_card_account(ACCOUNT_QUERY)


def test_a_safe_read_is_retried_after_5xx_with_growing_jittered_backoff() -> None:
    platform = Platform(
        httpx.Response(503),
        httpx.Response(502),
        sealed(200, envelope_a(0, "Success", ACCOUNT)),
    )
    retrying = Retrying(platform)
    assert retrying(read_account).cardAccountId == "CA1"
    assert len(platform.api_requests) == 3
    first, second = retrying.sleeps
    assert 0.5 <= first <= 1.0  # ceiling 1.0: half fixed, half jitter
    assert 1.0 <= second <= 2.0  # ceiling 2.0


def test_a_safe_read_gives_up_after_max_attempts_as_unavailable() -> None:
    platform = Platform(*[httpx.Response(503)] * 4)
    with pytest.raises(RemoteUnavailableError) as raised:
        Retrying(platform)(read_account)
    assert raised.value.http_status == 503
    assert len(platform.api_requests) == 3


def test_the_waits_follow_the_backoff_schedule_drawn_from_the_given_rng() -> None:
    platform = Platform(*[httpx.Response(503)] * 4)
    sleeps: list[float] = []
    client = platform.client()
    with pytest.raises(RemoteUnavailableError):
        with_retries(
            lambda: read_account(client),
            attempts=4,
            backoff=SCHEDULE,
            sleep=sleeps.append,
            rng=random.Random(5),
        )
    same = random.Random(5)
    assert sleeps == [SCHEDULE.delay(n, same) for n in (2, 3, 4)]


@pytest.mark.parametrize("attempt", range(2, 12))
def test_a_wait_is_half_fixed_half_random_below_the_capped_ceiling(attempt: int) -> None:
    """base · 2^(n-2), capped, of which at least half is always waited."""
    ceiling = min(SCHEDULE.cap, SCHEDULE.base * 2 ** (attempt - 2))
    rng = random.Random(attempt)
    assert all(ceiling / 2 <= SCHEDULE.delay(attempt, rng) <= ceiling for _ in range(50))


def test_the_relay_and_the_helper_wait_by_the_same_schedule() -> None:
    assert isinstance(RelaySettings().backoff, Backoff)
    assert RelaySettings().backoff == Backoff()


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (sealed(400, envelope_a(1, "mandatory parameter missing")), RemoteRejectedError),
        (sealed(200, envelope_a(1, "Card not found")), RemoteBusinessError),
        (sealed(409, envelope_a(38, "Duplicate referenceId")), RemoteDuplicateError),
    ],
)
def test_a_refusal_is_never_retried(answer: httpx.Response, error: type[RemoteError]) -> None:
    platform = Platform(answer, sealed(200, envelope_a(0, "Success", ACCOUNT)))
    retrying = Retrying(platform)
    with pytest.raises(error):
        retrying(read_account)
    assert len(platform.api_requests) == 1
    assert retrying.sleeps == []


def test_a_call_without_reference_is_not_resent_after_a_timeout() -> None:
    platform = Platform(raising(httpx.ReadTimeout), sealed(200, envelope_a(0, "Success", {})))
    request = m.CreateCardRequest(companyId=COMPANY, cardAccountId="CA1")
    with pytest.raises(RemoteTimeoutError):
        Retrying(platform)(lambda client: client.create_prepaid_card(request))
    assert len(platform.api_requests) == 1


def test_ap_payment_is_never_resent_after_a_timeout_and_names_its_urn() -> None:
    platform = Platform(raising(httpx.ReadTimeout), httpx.Response(200))
    request = m.PaymentRequest(paymentIds=["P1"], paymentType="INVOICE", urn="URN-9")
    with pytest.raises(RemoteTimeoutError) as raised:
        Retrying(platform)(lambda client: client.make_payment(request))
    assert raised.value.details["reference"] == "URN-9"
    assert len(platform.api_requests) == 1


def test_a_request_that_never_left_is_sent_again_even_without_reference() -> None:
    platform = Platform(
        raising(httpx.ConnectError),
        sealed(200, envelope_a(0, "Success", {"enKashCardId": "K9"})),
    )
    request = m.CreateCardRequest(companyId=COMPANY, cardAccountId="CA1")
    assert Retrying(platform)(lambda client: client.create_prepaid_card(request)).enKashCardId == (
        "K9"
    )
    assert len(platform.api_requests) == 2


def test_with_an_enquiry_a_call_that_is_never_resent_blindly_is_looked_up_first() -> None:
    card = {"enKashCardId": "K9", "userId": "U1"}
    platform = Platform(raising(httpx.ReadTimeout), sealed(200, envelope_a(0, "Success", [card])))
    request = m.CreateCardRequest(companyId=COMPANY, cardAccountId="CA1", userId="U1")
    search = m.CardSearchRequest(companyId=COMPANY, cardAccountId="CA1")
    found = Retrying(platform)(
        lambda client: client.create_prepaid_card(request),
        enquire=lambda client: next(iter(client.search_cards(search)), None),
    )
    assert found.enKashCardId == "K9"
    assert [path_of(r) for r in platform.api_requests] == ["", "/search"]


def test_a_timed_out_load_found_by_enquiry_is_not_sent_again() -> None:
    platform = Platform(raising(httpx.ReadTimeout), sealed(200, envelope_a(0, "Success", [TXN])))
    found = Retrying(platform)(lambda client: client.load_balance(load()), enquire=find_load)
    assert found.enKashTransactionId == "T1"
    assert [path_of(r) for r in platform.api_requests] == ["/balance", "/transaction/all"]


def test_a_timed_out_load_the_enquiry_does_not_find_is_sent_again() -> None:
    platform = Platform(
        raising(httpx.ReadTimeout),
        sealed(200, envelope_a(0, "Success", [])),
        sealed(200, envelope_a(0, "Success", TXN)),
    )
    loaded = Retrying(platform)(lambda client: client.load_balance(load()), enquire=find_load)
    assert loaded.pgReferenceNumber == "LOAD-7"
    assert [path_of(r) for r in platform.api_requests] == [
        "/balance",
        "/transaction/all",
        "/balance",
    ]


def test_a_duplicate_answer_to_a_resent_load_returns_the_transaction_applied_first() -> None:
    platform = Platform(
        raising(httpx.ReadTimeout),
        sealed(200, envelope_a(0, "Success", [])),
        sealed(409, envelope_a(38, "Duplicate uniqueReferenceNumber")),
        sealed(200, envelope_a(0, "Success", [TXN])),
    )
    loaded = Retrying(platform)(lambda client: client.load_balance(load()), enquire=find_load)
    assert loaded.enKashTransactionId == "T1"


def test_a_duplicate_to_a_resent_load_the_enquiry_cannot_find_stays_an_error() -> None:
    platform = Platform(
        raising(httpx.ReadTimeout),
        sealed(200, envelope_a(0, "Success", [])),
        sealed(409, envelope_a(38, "Duplicate uniqueReferenceNumber")),
        sealed(200, envelope_a(0, "Success", [])),
    )
    with pytest.raises(RemoteDuplicateError):
        Retrying(platform)(lambda client: client.load_balance(load()), enquire=find_load)


def test_a_duplicate_on_the_first_attempt_is_an_error() -> None:
    platform = Platform(
        sealed(409, envelope_a(38, "Duplicate uniqueReferenceNumber")),
        sealed(200, envelope_a(0, "Success", [TXN])),
    )
    with pytest.raises(RemoteDuplicateError):
        Retrying(platform)(lambda client: client.load_balance(load()), enquire=find_load)
    assert [path_of(r) for r in platform.api_requests] == ["/balance"]


def test_without_an_enquiry_a_duplicate_answer_to_a_resend_is_raised() -> None:
    """The resend found the earlier attempt applied; without an enquiry there is no
    answer to return, so the duplicate says so."""
    platform = Platform(
        raising(httpx.ReadTimeout),
        sealed(409, envelope_a(38, "Duplicate uniqueReferenceNumber")),
    )
    with pytest.raises(RemoteDuplicateError):
        Retrying(platform)(lambda client: client.load_balance(load()))
    assert [path_of(r) for r in platform.api_requests] == ["/balance", "/balance"]


def test_when_the_enquiry_fails_too_the_outcome_is_reported_unknown() -> None:
    platform = Platform(raising(httpx.ReadTimeout), *[httpx.Response(503)] * 3)
    with pytest.raises(RemoteTimeoutError, match="enquiry by reference failed") as raised:
        Retrying(platform)(lambda client: client.load_balance(load()), enquire=find_load)
    assert raised.value.details["reference"] == "LOAD-7"
    assert [path_of(r) for r in platform.api_requests].count("/balance") == 1
    assert not raised.value.retryable


def test_one_attempt_is_the_call_alone() -> None:
    platform = Platform(*[httpx.Response(503)] * 2)
    with pytest.raises(RemoteUnavailableError):
        Retrying(platform)(read_account, attempts=1)
    assert len(platform.api_requests) == 1


def test_fewer_than_one_attempt_is_refused() -> None:
    with pytest.raises(InvalidArgument):
        with_retries(lambda: None, attempts=0)
