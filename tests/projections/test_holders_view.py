"""The holders view on every store: details masked, never clear; erased once forgotten."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import asdict
from uuid import UUID, uuid4

import pytest

from paycore.domain.core import CommandContext, PaymentsCore
from paycore.domain.errors import ConfigurationError
from paycore.domain.personal_data import Erased, MasterKey, mask
from paycore.projections import HOLDERS, HolderRow, Projector
from paycore.projections.views import SEALED
from tests.projections.expected import START, Clock

MASTER = MasterKey(bytes(range(32)))
ASHA = {
    "title": "Ms",
    "first_name": "Asha",
    "last_name": "Verma",
    "gender": "F",
    "email": "asha.verma@example.com",
    "mobile": "9876543210",
    "pan": "ABCDE1234F",
    "address": "4 Park Street",
    "pincode": "700016",
}
MASKED = {
    "title": "***",
    "first_name": "A***",
    "last_name": "V***",
    "gender": "***",
    "email": "a***@example.com",
    "mobile": "******3210",
    "pan": "ABCDE****F",
    "address": "***",
    "pincode": "700***",
}


@pytest.fixture
def holders_core(make_core: Callable[..., PaymentsCore], clock: Clock) -> PaymentsCore:
    return make_core(clock=clock, key_provider=MASTER)


@pytest.fixture
def holders_projector(holders_core: PaymentsCore) -> Iterator[Projector]:
    with Projector(holders_core) as projector:
        yield projector


def the_row(projector: Projector, holder_id: UUID) -> HolderRow:
    projector.update()
    rows = projector.store.select(HOLDERS, ("holder_id", "=", holder_id))
    assert len(rows) == 1
    return rows[0]


def test_each_field_is_masked_as_documented() -> None:
    assert {f: mask(f, v) for f, v in ASHA.items()} == MASKED
    assert mask("delivery_pincode", "411001") == "411***"
    assert mask("delivery_city", "Pune") == "***"


def test_the_view_shows_masked_details_cards_and_exports_never_a_clear_value(
    holders_core: PaymentsCore, holders_projector: Projector, clock: Clock
) -> None:
    holder_id = holders_core.register_holder(uuid4(), ASHA)
    clock.advance()
    holders_core.correct_holder(holder_id, {"mobile": "9123456780", "address": None})
    account = holders_core.open_card_account("C1", "Acme", "Travel", "CORPORATE")
    card = holders_core.issue_card(account, "PREPAID", holder_id=holder_id)
    holders_core.export_holder(holder_id, "access request 3")

    row = the_row(holders_projector, holder_id)
    masked = {**MASKED, "mobile": "******6780"}
    del masked["address"]
    assert row.masked == masked
    assert (row.erased, row.forgotten, row.forgotten_at) == ([], False, None)
    assert row.cards == [f"{account}/{card}"]
    assert (row.exports, row.version) == (1, 4)
    assert (row.registered_at, row.updated_at) == (START, clock.now)
    assert row.details() == masked
    shown = repr(asdict(row))
    for value in [*ASHA.values(), "9123456780"]:
        if len(value) > 3:
            assert value not in shown


def test_a_forgotten_holder_reads_erased_and_a_rebuild_gives_the_same_row(
    holders_core: PaymentsCore, holders_projector: Projector, clock: Clock
) -> None:
    holder_id = holders_core.register_holder(uuid4(), ASHA)
    account = holders_core.open_card_account("C1", "Acme", "Travel", "CORPORATE")
    card = holders_core.issue_card(account, "PREPAID", "VIRTUAL", "250.00", holder_id=holder_id)
    holders_projector.update()
    clock.advance(5)
    holders_core.forget_holder(holder_id, "erasure request 9", context=CommandContext(actor="dpo"))

    row = the_row(holders_projector, holder_id)
    assert (row.masked, row.erased) == ({}, sorted(ASHA))
    assert (row.forgotten, row.forgotten_at, row.version) == (True, clock.now, 3)
    assert row.details() == {f: Erased(f) for f in ASHA}
    assert {str(v) for v in row.details().values()} == {"<erased>"}
    assert row.cards == [f"{account}/{card}"]

    holders_projector.rebuild()
    assert the_row(holders_projector, holder_id) == row


def test_a_holder_registered_in_several_steps_erases_every_field_it_ever_had(
    holders_core: PaymentsCore, holders_projector: Projector
) -> None:
    holder_id = holders_core.register_holder(uuid4(), {"first_name": "Ravi"})
    holders_core.correct_holder(holder_id, {"pan": "PQRST6789K"})
    assert the_row(holders_projector, holder_id).masked == {
        "first_name": "R***",
        "pan": "PQRST****K",
    }
    holders_core.forget_holder(holder_id, "erasure request 10")
    holders_projector.rebuild()
    row = the_row(holders_projector, holder_id)
    assert (row.masked, row.erased) == ({}, ["first_name", "pan"])


def test_a_projector_without_the_master_key_records_fields_as_sealed(
    store_url: str, make_core: Callable[..., PaymentsCore], monkeypatch: pytest.MonkeyPatch
) -> None:
    if store_url == "memory://":
        pytest.skip("a memory store has no second process to lack the key")
    monkeypatch.delenv("PAYCORE_MASTER_KEY", raising=False)
    holder_id = make_core(key_provider=MASTER).register_holder(uuid4(), ASHA)
    with Projector(make_core()) as keyless:
        keyless.update()
        (row,) = keyless.store.select(HOLDERS, ("holder_id", "=", holder_id))
    assert row.masked == dict.fromkeys(ASHA, SEALED)
    with Projector(make_core(key_provider=MASTER)) as keyed:
        keyed.rebuild()
        (row,) = keyed.store.select(HOLDERS, ("holder_id", "=", holder_id))
    assert row.masked == MASKED


def test_a_master_key_other_than_the_stores_is_a_configuration_error(
    store_url: str, make_core: Callable[..., PaymentsCore]
) -> None:
    if store_url == "memory://":
        pytest.skip("a memory store is opened by one application only")
    holder_id = make_core(key_provider=MASTER).register_holder(uuid4(), ASHA)
    other = make_core(key_provider=MasterKey(bytes(32)))
    with pytest.raises(ConfigurationError) as refused:
        other.holder_details(other.get_holder(holder_id))
    assert refused.value.details == {"setting": "PAYCORE_MASTER_KEY"}
    assert f"does not open the data key of holder {holder_id}" in str(refused.value)
