"""PaymentsCore as an application: idempotency, retries, versions, snapshots, the URL."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.persistence import Tracking

from paycore.domain.aggregate import Source
from paycore.domain.card_account import CardAccount
from paycore.domain.core import CommandContext, PaymentsCore
from paycore.domain.errors import (
    AlreadyProcessed,
    BalanceCapExceeded,
    ConcurrencyConflict,
    ConfigurationError,
    GiftCardReload,
    IdempotencyConflict,
    InvalidArgument,
    NotFound,
)
from paycore.domain.invoice import Invoice
from paycore.domain.money import Money
from tests.domain.rule_checks import written

INVOICE = "INV" + "0" * 29 + "001"


def accepted_invoice(core: PaymentsCore, total: str = "1000.00", object_id: str = INVOICE) -> UUID:
    invoice_id = core.receive_invoice(
        object_id, "SUP-1", total, buyer_b2b_id="buyer", supplier_b2b_id="supplier"
    )
    core.respond_to_invoice(invoice_id, "ACCEPT", "ok")
    return invoice_id


def prepaid_card(core: PaymentsCore) -> tuple[UUID, str]:
    account_id = core.open_card_account("CO1", "Acme Ltd", "Travel", "CORPORATE")
    card_id = core.issue_card(account_id, "PREPAID")
    core.activate_card(account_id, card_id, kyc_completed=True, terms_accepted=True)
    return account_id, card_id


# Idempotency keys.


def test_same_idempotency_key_and_arguments_return_the_original_outcome_and_write_nothing(
    core: PaymentsCore,
) -> None:
    account_id, card_id = prepaid_card(core)
    first = core.load_card(account_id, card_id, "250.00", idempotency_key="load-1")
    before = written(core)

    again = core.load_card(account_id, card_id, "250.00", idempotency_key="load-1")

    assert again == first
    assert written(core) == before
    assert core.get_card_account(account_id).card(card_id).balance.amount == 250


def test_same_idempotency_key_returns_the_original_refusal_even_after_state_changed(
    core: PaymentsCore,
) -> None:
    account_id = core.open_card_account("CO1", "Acme Ltd", "Gifts", "GIFT")
    gift_card = core.issue_card(account_id, "GIFT", initial_load="100")
    with pytest.raises(GiftCardReload):
        core.load_card(account_id, gift_card, "10", idempotency_key="gift-load")
    before = written(core)

    with pytest.raises(GiftCardReload) as again:
        core.load_card(account_id, gift_card, "10", idempotency_key="gift-load")

    assert again.value.code == "GIFT_CARD_RELOAD"
    assert written(core) == before


def test_same_idempotency_key_with_other_arguments_is_an_idempotency_conflict(
    core: PaymentsCore,
) -> None:
    account_id, card_id = prepaid_card(core)
    core.load_card(account_id, card_id, "250.00", idempotency_key="load-1")
    before = written(core)

    with pytest.raises(IdempotencyConflict) as conflict:
        core.load_card(account_id, card_id, "251.00", idempotency_key="load-1")

    assert conflict.value.code == "IDEMPOTENCY_CONFLICT"
    assert written(core) == before


def test_idempotent_create_returns_the_same_aggregate(core: PaymentsCore) -> None:
    first = core.open_card_account("CO1", "Acme", "Main", "CORPORATE", idempotency_key="open")
    second = core.open_card_account("CO1", "Acme", "Main", "CORPORATE", idempotency_key="open")
    assert first == second
    assert core.get_card_account(first).version == 1


def test_a_redelivered_b2b_message_with_its_key_is_applied_once(core: PaymentsCore) -> None:
    invoice_id = core.receive_invoice(
        INVOICE, "SUP-1", "100.00", buyer_b2b_id="b", supplier_b2b_id="s", idempotency_key="m-1"
    )
    core.respond_to_invoice(
        invoice_id, "ACCEPT", "ok", object_version=(1, 2), idempotency_key="m-2"
    )
    before = written(core)

    core.respond_to_invoice(
        invoice_id, "ACCEPT", "ok", object_version=(1, 2), idempotency_key="m-2"
    )

    assert written(core) == before
    assert core.get_invoice(invoice_id).object_version == 2


def test_idempotency_key_must_be_text(core: PaymentsCore) -> None:
    with pytest.raises(InvalidArgument):
        core.open_card_account("CO1", "Acme", "Main", "CORPORATE", idempotency_key=42)  # type: ignore[arg-type]


# Optimistic concurrency.


class InterferingReads:
    """Lets another writer in right after a command has read ``target``, ``times`` times."""

    def __init__(self, core: PaymentsCore, target: UUID, interfere: Callable[[], None]) -> None:
        self.target, self.interfere, self.times = target, interfere, 0
        self.busy = False
        self.read = core.latest.get
        core.latest.get = self.get  # type: ignore[method-assign]

    def get(self, aggregate_id: UUID, *args: Any, **kwargs: Any) -> Any:
        aggregate = self.read(aggregate_id, *args, **kwargs)
        if aggregate_id == self.target and self.times and not self.busy:
            self.times -= 1
            self.busy = True
            try:
                self.interfere()
            finally:
                self.busy = False
        return aggregate


def start_payment(core: PaymentsCore, invoice_id: UUID, amount: str) -> tuple[UUID, str]:
    payment_id = core.initiate_payment([invoice_id], amount=amount)
    return payment_id, core.request_payment_otp(payment_id).otp


def test_a_conflicting_concurrent_write_makes_the_command_run_again(core: PaymentsCore) -> None:
    invoice_id = accepted_invoice(core, "1000.00")
    first, first_otp = start_payment(core, invoice_id, "300.00")
    second, second_otp = start_payment(core, invoice_id, "400.00")
    reads = InterferingReads(core, invoice_id, lambda: core.authorise_payment(second, second_otp))
    reads.times = 1

    core.authorise_payment(first, first_otp)

    assert reads.times == 0, "the other writer went first"
    invoice = core.get_invoice(invoice_id)
    assert set(invoice.reservations) == {str(first), str(second)}
    assert invoice.outstanding.amount == 300


def test_conflicts_beyond_the_retry_budget_are_a_concurrency_conflict(core: PaymentsCore) -> None:
    invoice_id = accepted_invoice(core, "100000.00")
    payment_id, otp = start_payment(core, invoice_id, "10.00")
    notes = itertools.count()
    reads = InterferingReads(
        core,
        invoice_id,
        lambda: core.receive_cd_note(invoice_id, f"N{next(notes)}", "DEBIT", "1.00"),
    )
    reads.times = PaymentsCore.max_attempts

    with pytest.raises(ConcurrencyConflict) as conflict:
        core.authorise_payment(payment_id, otp)

    assert conflict.value.code == "CONCURRENCY_CONFLICT"
    assert core.get_payment(payment_id).status == "OTP_SENT"
    assert core.get_invoice(invoice_id).reservations == {}
    assert len(core.get_invoice(invoice_id).notes) == PaymentsCore.max_attempts


def test_a_command_starts_from_every_event_other_instances_stored(
    store_url: str, make_core: Callable[..., PaymentsCore]
) -> None:
    if store_url == "memory://":
        pytest.skip("two instances share a store only on SQLite and PostgreSQL")
    first, second = make_core(), make_core()
    account_id = first.open_card_account("CO1", "Acme", "Main", "CORPORATE", "1000.00")
    card_id = first.issue_card(account_id, "PREPAID")
    first.load_card(account_id, card_id, "600.00")  # the first instance now holds it

    second.load_card(account_id, card_id, "300.00")

    with pytest.raises(BalanceCapExceeded):
        first.load_card(account_id, card_id, "100.01")
    first.load_card(account_id, card_id, "100.00")
    assert second.get_card_account(account_id).card(card_id).balance == Money("1000.00")


def test_a_refusal_the_cached_state_gives_is_checked_against_the_store(
    store_url: str, make_core: Callable[..., PaymentsCore]
) -> None:
    """A command decides first on the state this instance last saved: a card another
    instance issued since is unknown to it, and that refusal must not stand."""
    if store_url == "memory://":
        pytest.skip("two instances share a store only on SQLite and PostgreSQL")
    first, second = make_core(), make_core()
    account_id = first.open_card_account("CO1", "Acme", "Main", "CORPORATE", "1000.00")
    card_id = second.issue_card(account_id, "PREPAID")

    first.load_card(account_id, card_id, "250.00")

    account = second.get_card_account(account_id)
    assert account.card(card_id).balance == Money("250.00")
    assert account.version == 3


# A consumer's position saved with the events it causes.


def test_a_consumer_position_is_saved_with_the_events_and_only_once(core: PaymentsCore) -> None:
    account_id = core.open_card_account("CO1", "Acme", "Main", "CORPORATE")
    position = Tracking("relay", 7)
    assert not core.has_tracked(position)

    with core.tracking(position):
        core.record_remote_card_account(account_id, "CA-REMOTE-1")

    assert core.has_tracked(position)
    assert core.get_card_account(account_id).remote_id == "CA-REMOTE-1"
    before = written(core)
    with core.tracking(position), pytest.raises(AlreadyProcessed):
        core.record_remote_card_account(account_id, "CA-REMOTE-2")
    assert written(core) == before
    assert core.get_card_account(account_id).remote_id == "CA-REMOTE-1"


def test_a_consumer_position_alone_moves_only_forward(core: PaymentsCore) -> None:
    assert core.max_tracked("relay") == 0
    core.record_position(Tracking("relay", 4))
    core.record_position(Tracking("relay", 9))

    assert core.max_tracked("relay") == 9
    assert core.has_tracked(Tracking("relay", 4))
    for stale in (4, 9):
        with pytest.raises(AlreadyProcessed):
            core.record_position(Tracking("relay", stale))
    assert core.max_tracked("other-consumer") == 0


def test_a_refused_command_saves_no_consumer_position(core: PaymentsCore) -> None:
    account_id = core.open_card_account("CO1", "Acme", "Main", "CORPORATE")
    with core.tracking(Tracking("relay", 3)), pytest.raises(NotFound):
        core.record_remote_card(account_id, "no-such-card", "EKC1", "XXXX XXXX XXXX 1234")
    assert not core.has_tracked(Tracking("relay", 3))


# Reading aggregates, past versions and snapshots.


def test_an_aggregate_can_be_read_as_of_an_earlier_version(core: PaymentsCore) -> None:
    invoice_id = accepted_invoice(core)
    core.receive_cd_note(invoice_id, "CN1", "CREDIT", "100.00")
    core.confirm_cd_note(invoice_id, "CN1")

    assert core.get_invoice(invoice_id, version=1).status == "CREATED"
    assert core.get_invoice(invoice_id, version=2).status == "ACCEPTED"
    assert core.get_invoice(invoice_id, version=3).outstanding.amount == 1000
    assert core.get_invoice(invoice_id).outstanding.amount == 900
    with pytest.raises(NotFound):
        core.get_invoice(invoice_id, version=5)


def test_reading_the_wrong_kind_of_aggregate_is_not_found(core: PaymentsCore) -> None:
    invoice_id = accepted_invoice(core)
    with pytest.raises(NotFound) as missing:
        core.get_payment(invoice_id)
    assert missing.value.code == "NOT_FOUND"


class FrequentSnapshots(PaymentsCore):
    snapshotting_intervals = {CardAccount: 3, Invoice: 2}


def replayed_from_events(core: PaymentsCore, aggregate_id: UUID) -> Any:
    aggregate = None
    for event in core.events.get(aggregate_id):
        aggregate = event.mutate(aggregate)  # type: ignore[attr-defined]
    return aggregate


def test_rebuilding_from_a_snapshot_equals_rebuilding_from_events(store_url: str) -> None:
    core = FrequentSnapshots(store_url, otp_key=b"k" * 32)
    try:
        account_id, card_id = prepaid_card(core)
        for amount in ("10.00", "20.50", "30.25", "40.00"):
            core.load_card(account_id, card_id, amount)
        core.lock_card(account_id, card_id, "lost?")
        invoice_id = accepted_invoice(core)
        core.receive_cd_note(invoice_id, "CN1", "CREDIT", "100.00")

        assert core.snapshots is not None
        assert list(core.snapshots.get(account_id)), "a snapshot was taken"
        for aggregate_id in (account_id, invoice_id):
            assert core.repository.get(aggregate_id) == replayed_from_events(core, aggregate_id)
    finally:
        core.close()


# Audit metadata on every event.


def test_every_event_of_one_command_carries_the_callers_context(core: PaymentsCore) -> None:
    invoice_id = accepted_invoice(core)
    payment_id, otp = start_payment(core, invoice_id, "100.00")
    context = CommandContext(actor="alice", source="api", correlation_id="corr-1")

    core.authorise_payment(payment_id, otp, context=context)

    events = [e for i in (invoice_id, payment_id) for e in core.events.get(i)]
    authorising = [e for e in events if getattr(e, "correlation_id", "") == "corr-1"]
    assert {type(e).__name__ for e in authorising} == {"Authorised", "PaymentReserved"}
    for event in authorising:
        assert (event.actor, event.source, event.causation_id) == ("alice", "api", "corr-1")  # type: ignore[attr-defined]


def test_injected_clock_and_ids_make_the_event_stream_reproducible() -> None:
    def run() -> list[tuple[str, bytes]]:
        counter = itertools.count(1)
        core = PaymentsCore(
            "memory://",
            clock=lambda: datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
            ids=lambda: UUID(int=next(counter)),
            otp_codes=lambda: "123456",
            otp_key=b"k" * 32,
        )
        account_id, card_id = prepaid_card(core)
        core.load_card(account_id, card_id, "99.99")
        core.request_card_otp(account_id, card_id)
        return [(n.topic, n.state) for n in core.recorder.select_notifications(start=1, limit=100)]

    assert run() == run()


def test_the_clock_must_be_timezone_aware() -> None:
    core = PaymentsCore("memory://", clock=lambda: datetime(2026, 1, 1))
    with pytest.raises(ConfigurationError):
        core.open_card_account("CO1", "Acme", "Main", "CORPORATE")
    assert written(core) == 0


# The URL comes from the caller or the environment.


@pytest.fixture
def database_url_variable(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'from-env.db'}"
    monkeypatch.setenv("PAYCORE_DATABASE_URL", url)
    return url


def test_the_url_may_come_from_the_environment(database_url_variable: str) -> None:
    core = PaymentsCore(otp_key=b"k" * 32)
    try:
        core.open_card_account("CO1", "Acme", "Main", "CORPORATE", context=CommandContext("bob"))
        assert core.url == database_url_variable
        assert Path(database_url_variable.removeprefix("sqlite:///")).exists()
    finally:
        core.close()


def test_without_any_url_the_core_says_how_to_configure_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("PAYCORE_DATABASE_URL", raising=False)
    with pytest.raises(ConfigurationError, match="PAYCORE_DATABASE_URL"):
        PaymentsCore()


def test_context_source_must_be_a_known_source() -> None:
    assert CommandContext(source="webhook").source is Source.WEBHOOK
    with pytest.raises(InvalidArgument, match="carrier-pigeon"):
        CommandContext(source="carrier-pigeon")
