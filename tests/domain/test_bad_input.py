"""Bad input: every public command fed invalid arguments raises a typed PaycoreError and
writes nothing, on memory, a SQLite file and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paycore.domain.core import CommandContext, PaymentsCore
from paycore.domain.errors import InvalidArgument, PaycoreError, shown
from paycore.domain.testing.strategies import (
    Arguments,
    Targets,
    argument_strategies,
    contexts_with_invalid_fields,
    invalid_command_arguments,
    invalid_versions,
    public_commands,
    unencodable_texts,
)
from tests.domain.test_machines import STORES, core_on


def make_targets(core: PaymentsCore) -> Targets:
    """An activated, loaded card; an accepted invoice; a payment awaiting its OTP; a PO."""
    account_id = core.open_card_account("CO1", "Acme Ltd", "Travel", "CORPORATE")
    card_id = core.issue_card(account_id, "PREPAID", initial_load="100.00")
    core.activate_card(account_id, card_id, kyc_completed=True, terms_accepted=True)
    invoice_id = core.receive_invoice(
        "INV" + "B" * 32, "SUP-1", "1000.00", buyer_b2b_id="B", supplier_b2b_id="S"
    )
    core.respond_to_invoice(invoice_id, "ACCEPT", "ok")
    payment_id = core.initiate_payment([invoice_id], amount="10.00")
    core.request_payment_otp(payment_id)
    po_id = core.draft_purchase_order(
        "PO" + "C" * 20, "PO-1", "Laptops", "500.00", buyer_b2b_id="B", supplier_b2b_id="S"
    )
    return Targets(account_id, card_id, invoice_id, payment_id, po_id)


@pytest.fixture(scope="module", params=STORES)
def store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[PaymentsCore, Targets]]:
    """One core per store for the whole module, with the aggregates the commands aim at."""
    with core_on(request.param, tmp_path_factory.mktemp("bad-input")) as core:
        yield core, make_targets(core)


#: The arguments that name the aggregate a command acts on.
TARGET_ARGUMENTS = ("account_id", "invoice_id", "payment_id", "po_id")


def target_of(arguments: Arguments) -> UUID | None:
    """The aggregate a command names, or the one a create would make from its objectId."""
    for name in TARGET_ARGUMENTS:
        if isinstance(arguments.get(name), UUID):
            return arguments[name]  # type: ignore[no-any-return]
    object_id = arguments.get("object_id")
    for id_of in (PaymentsCore.invoice_id, PaymentsCore.purchase_order_id):
        try:
            return id_of(object_id)  # type: ignore[arg-type]
        except PaycoreError:
            continue
    return None


def footprint(core: PaymentsCore, aggregate_id: UUID | None) -> tuple[int, int | None]:
    """The latest notification id, and the version of the targeted aggregate (if any)."""
    events = core.recorder.select_events(aggregate_id, desc=True, limit=1) if aggregate_id else []
    return core.recorder.max_notification_id() or 0, events[
        0
    ].originator_version if events else None


def test_every_public_command_has_an_invalid_input_strategy(
    store: tuple[PaymentsCore, Targets],
) -> None:
    """A new public command needs its invalid inputs listed in paycore.domain.testing."""
    _, targets = store
    assert set(invalid_command_arguments(targets)) == set(public_commands())


def refused_without_a_write(
    store: tuple[PaymentsCore, Targets], command: str, arguments: st.SearchStrategy[Arguments]
) -> None:
    """Runs ``command`` with each example of ``arguments``: a PaycoreError, no write."""
    core, _ = store

    @given(arguments)
    def refused(drawn: Arguments) -> None:
        target = target_of(drawn)
        before = footprint(core, target)
        with pytest.raises(PaycoreError):
            getattr(core, command)(**drawn)
        assert footprint(core, target) == before

    refused()


@pytest.mark.parametrize("command", public_commands())
def test_invalid_arguments_raise_a_paycore_error_and_write_nothing(
    store: tuple[PaymentsCore, Targets], command: str
) -> None:
    """Any invalid argument: a PaycoreError subclass, no event, no version moved."""
    refused_without_a_write(store, command, invalid_command_arguments(store[1])[command])


#: A text argument of each kind of command, where a string no store can encode may go.
TEXT_ARGUMENTS = [
    ("open_card_account", "company_name"),
    ("record_card_spend", "transaction_id"),
    ("lock_card", "reason"),
    ("receive_invoice", "supplier_invoice_number"),
    ("cancel_purchase_order", "remarks"),
    ("draft_purchase_order", "buyer_b2b_id"),
    ("receive_cd_note", "note_id"),
    ("record_payment_success", "utr"),
    ("draft_purchase_order", "subject"),
    ("load_card", "idempotency_key"),
]


@pytest.mark.parametrize(("command", "argument"), TEXT_ARGUMENTS)
def test_text_no_store_can_encode_is_refused(
    store: tuple[PaymentsCore, Targets], command: str, argument: str
) -> None:
    """Text with a lone surrogate is invalid input: a PaycoreError, and nothing written."""
    valid, _ = argument_strategies(store[1])[command]
    arguments = st.fixed_dictionaries({**valid, argument: unencodable_texts()})
    refused_without_a_write(store, command, arguments)


@pytest.mark.parametrize("command", ["open_card_account", "load_card"])
def test_a_context_whose_fields_are_not_text_is_refused(
    store: tuple[PaymentsCore, Targets], command: str
) -> None:
    """A CommandContext naming no actor or ids as text is refused; no event records it."""
    valid, _ = argument_strategies(store[1])[command]
    arguments = st.fixed_dictionaries({**valid, "context": contexts_with_invalid_fields()})
    refused_without_a_write(store, command, arguments)


def test_a_context_with_an_unknown_source_is_refused_with_a_paycore_error() -> None:
    """CommandContext(source=...) outside api/webhook/sync/system is a typed refusal."""
    with pytest.raises(PaycoreError):
        CommandContext(source="email")


QUERIES = {
    "get_card_account": "account_id",
    "get_invoice": "invoice_id",
    "get_payment": "payment_id",
    "get_purchase_order": "po_id",
}


@pytest.mark.parametrize("query", sorted(QUERIES))
def test_a_query_at_a_version_that_is_none_is_refused_naming_it(
    store: tuple[PaymentsCore, Targets], query: str
) -> None:
    """True, 0, 10**30, 2**63, "1", 1.0 as a version: INVALID_ARGUMENT naming the version
    and showing it, never a raw OverflowError or the aggregate at version 1."""
    core, targets = store
    aggregate_id = getattr(targets, QUERIES[query])

    @given(invalid_versions())
    def refused(version: object) -> None:
        with pytest.raises(InvalidArgument) as refusal:
            getattr(core, query)(aggregate_id, version=version)
        assert refusal.value.details == {"argument": "version", "value": shown(version)}

    refused()
