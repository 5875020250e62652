"""Holders: registered, corrected, exported and forgotten, on memory, SQLite and PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Callable
from uuid import UUID, uuid4

import pytest

from paycore.domain.core import PaymentsCore
from paycore.domain.errors import (
    AlreadyExists,
    ConfigurationError,
    HolderForgotten,
    InvalidArgument,
    NotFound,
)
from paycore.domain.holder import Holder
from paycore.domain.personal_data import Erased, MasterKey
from paycore.domain.runner import CommandContext
from tests.domain.rule_checks import written

MASTER = MasterKey(bytes(range(32)))
ASHA = {
    "first_name": "Asha",
    "last_name": "Verma",
    "mobile": "9876543210",
    "email": "asha@example.com",
    "pan": "ABCDE1234F",
}
DELIVERY = {
    "delivery_address": "12 MG Road",
    "delivery_city": "Pune",
    "delivery_state": "Maharashtra",
    "delivery_pincode": "411001",
}


@pytest.fixture
def holders_core(make_core: Callable[..., PaymentsCore]) -> PaymentsCore:
    return make_core(key_provider=MASTER)


def registered(core: PaymentsCore, details: dict[str, str] = ASHA) -> UUID:
    return core.register_holder(uuid4(), details)


def test_a_registered_holder_reads_back_in_clear(holders_core: PaymentsCore) -> None:
    holder_id = registered(holders_core)
    assert holders_core.holder_details(holders_core.get_holder(holder_id)) == ASHA


def test_each_correction_is_an_event_and_none_removes_a_field(holders_core: PaymentsCore) -> None:
    holder_id = registered(holders_core)
    holders_core.correct_holder(holder_id, {"mobile": "9123456780"})
    holders_core.correct_holder(holder_id, {"email": None})
    holder = holders_core.get_holder(holder_id)
    assert holder.version == 3
    details = holders_core.holder_details(holder)
    assert details["mobile"] == "9123456780"
    assert "email" not in details
    assert holders_core.holder_details(holders_core.get_holder(holder_id, version=1)) == ASHA


def test_a_correction_is_checked_and_names_the_field_never_the_value(
    holders_core: PaymentsCore,
) -> None:
    holder_id = registered(holders_core)
    with pytest.raises(InvalidArgument) as refused:
        holders_core.correct_holder(holder_id, {"mobile": "98765"})
    assert refused.value.details == {"argument": "mobile", "expected": "10 digits"}
    assert "98765" not in str(refused.value)
    assert holders_core.get_holder(holder_id).version == 1


def test_registering_the_same_holder_twice_is_refused(holders_core: PaymentsCore) -> None:
    holder_id = registered(holders_core)
    with pytest.raises(AlreadyExists) as refused:
        holders_core.register_holder(holder_id, ASHA)
    assert refused.value.details == {"kind": "Holder", "id": str(holder_id)}


def test_one_holder_may_hold_several_cards(holders_core: PaymentsCore) -> None:
    holder_id = registered(holders_core)
    account = holders_core.open_card_account("C1", "Acme", "Travel", "CORPORATE")
    cards = [holders_core.issue_card(account, "PREPAID", holder_id=holder_id) for _ in range(2)]
    held = holders_core.get_card_account(account)
    assert [held.card(c).holder_id for c in cards] == [str(holder_id)] * 2
    assert holders_core.get_holder(holder_id).cards == [f"{account}/{c}" for c in cards]


def test_a_physical_card_needs_its_holder_to_have_a_delivery_address(
    holders_core: PaymentsCore,
) -> None:
    holder_id = registered(holders_core)
    account = holders_core.open_card_account("C1", "Acme", "Travel", "CORPORATE")
    with pytest.raises(InvalidArgument) as refused:
        holders_core.issue_card(account, "PREPAID", "PHYSICAL", holder_id=holder_id)
    assert refused.value.details["missing"] == [
        "delivery_address",
        "delivery_city",
        "delivery_state",
        "delivery_pincode",
    ]
    assert holders_core.get_card_account(account).cards == {}
    holders_core.correct_holder(holder_id, DELIVERY)
    card = holders_core.issue_card(account, "PREPAID", "PHYSICAL", holder_id=holder_id)
    assert holders_core.get_card_account(account).card(card).holder_id == str(holder_id)


def test_a_replacement_card_is_the_same_holders(holders_core: PaymentsCore) -> None:
    holder_id = registered(holders_core)
    account = holders_core.open_card_account("C1", "Acme", "Travel", "CORPORATE")
    old = holders_core.issue_card(account, "PREPAID", initial_load="40.00", holder_id=holder_id)
    new = holders_core.replace_card(account, old)
    card = holders_core.get_card_account(account).card(new)
    assert (card.holder_id, str(card.balance)) == (str(holder_id), "40.00")
    cards = [f"{account}/{old}", f"{account}/{new}"]
    assert holders_core.get_holder(holder_id).cards == cards
    assert holders_core.export_holder(holder_id)["cards"] == cards


def test_a_forgotten_holders_card_is_not_replaced_and_nothing_is_written(
    holders_core: PaymentsCore,
) -> None:
    holder_id = registered(holders_core)
    account = holders_core.open_card_account("C1", "Acme", "Travel", "CORPORATE")
    old = holders_core.issue_card(account, "PREPAID", initial_load="40.00", holder_id=holder_id)
    holders_core.forget_holder(holder_id, "erasure request")
    before = written(holders_core)
    with pytest.raises(HolderForgotten) as refused:
        holders_core.replace_card(account, old)
    assert refused.value.details == {"holder_id": str(holder_id), "attempted": "replacement card"}
    assert written(holders_core) == before
    kept = holders_core.get_card_account(account).card(old)
    assert (kept.replaced_by, str(kept.balance)) == (None, "40.00")


def test_a_physical_replacement_needs_the_holders_delivery_address(
    holders_core: PaymentsCore,
) -> None:
    holder_id = registered(holders_core, {**ASHA, **DELIVERY})
    account = holders_core.open_card_account("C1", "Acme", "Travel", "CORPORATE")
    old = holders_core.issue_card(account, "PREPAID", "PHYSICAL", holder_id=holder_id)
    holders_core.correct_holder(holder_id, {"delivery_city": None})
    with pytest.raises(InvalidArgument) as refused:
        holders_core.replace_card(account, old)
    assert refused.value.details == {"argument": "details", "missing": ["delivery_city"]}
    holders_core.correct_holder(holder_id, {"delivery_city": "Pune"})
    new = holders_core.replace_card(account, old)
    assert holders_core.get_holder(holder_id).cards == [f"{account}/{old}", f"{account}/{new}"]


def test_a_card_for_a_holder_that_does_not_exist_is_refused(holders_core: PaymentsCore) -> None:
    account = holders_core.open_card_account("C1", "Acme", "Travel", "CORPORATE")
    missing = uuid4()
    with pytest.raises(NotFound) as refused:
        holders_core.issue_card(account, "PREPAID", holder_id=missing)
    assert refused.value.details == {"kind": "Holder", "id": str(missing)}


def test_export_returns_everything_in_clear_and_is_audited_without_personal_data(
    holders_core: PaymentsCore,
) -> None:
    holder_id = registered(holders_core)
    context = CommandContext(actor="dpo@acme")
    exported = holders_core.export_holder(holder_id, "access request 7", context=context)
    assert exported == {
        "holder_id": str(holder_id),
        "forgotten": False,
        "details": ASHA,
        "erased": [],
        "cards": [],
    }
    events = list(holders_core.events.get(holder_id))
    assert isinstance(events[-1], Holder.Exported)
    assert (events[-1].actor, events[-1].purpose) == ("dpo@acme", "access request 7")


def test_forgetting_erases_every_field_and_keeps_the_money(holders_core: PaymentsCore) -> None:
    holder_id = registered(holders_core, {**ASHA, **DELIVERY})
    account = holders_core.open_card_account("C1", "Acme", "Travel", "CORPORATE")
    card = holders_core.issue_card(account, "PREPAID", "PHYSICAL", "500.00", holder_id=holder_id)
    holders_core.forget_holder(holder_id, "erasure request 9", context=CommandContext(actor="dpo"))

    holder = holders_core.get_holder(holder_id)
    assert holder.forgotten
    details = holders_core.holder_details(holder)
    assert details == {f: Erased(f) for f in {**ASHA, **DELIVERY}}
    assert str(details["pan"]) == "<erased>"
    exported = holders_core.export_holder(holder_id)
    assert exported["forgotten"] is True
    assert set(exported["details"].values()) == {None}
    assert holders_core.holder_keys.get(holder_id) is None
    assert str(holders_core.get_card_account(account).card(card).balance) == "500.00"
    forgotten = [e for e in holders_core.events.get(holder_id) if isinstance(e, Holder.Forgotten)]
    assert [(e.actor, e.reason) for e in forgotten] == [("dpo", "erasure request 9")]


def test_a_forgotten_holder_cannot_be_corrected_or_given_a_card(
    holders_core: PaymentsCore,
) -> None:
    holder_id = registered(holders_core)
    account = holders_core.open_card_account("C1", "Acme", "Travel", "CORPORATE")
    holders_core.forget_holder(holder_id, "erasure request")
    with pytest.raises(HolderForgotten) as corrected:
        holders_core.correct_holder(holder_id, {"mobile": "9123456780"})
    assert corrected.value.details == {"holder_id": str(holder_id), "attempted": "correction"}
    with pytest.raises(HolderForgotten) as issued:
        holders_core.issue_card(account, "PREPAID", holder_id=holder_id)
    assert issued.value.details == {"holder_id": str(holder_id), "attempted": "new card"}
    assert "was forgotten" in issued.value.message
    assert holders_core.get_card_account(account).cards == {}


def test_forgetting_again_records_nothing_and_destroys_a_key_a_crash_left(
    holders_core: PaymentsCore, monkeypatch: pytest.MonkeyPatch
) -> None:
    holder_id = registered(holders_core)
    keys = holders_core.holder_keys

    def crash(_: UUID) -> bool:
        raise RuntimeError("the process died after the event was saved")

    monkeypatch.setattr(keys, "destroy", crash)
    with pytest.raises(RuntimeError):
        holders_core.forget_holder(holder_id, "erasure request")
    monkeypatch.undo()
    assert keys.get(holder_id) is not None
    holder = holders_core.get_holder(holder_id)
    assert holder.forgotten
    assert holders_core.holder_details(holder) == {f: Erased(f) for f in ASHA}

    holders_core.forget_holder(holder_id, "erasure request")
    assert keys.get(holder_id) is None
    assert holders_core.get_holder(holder_id).version == holder.version


def test_a_forgotten_holder_rebuilds_from_a_snapshot(
    make_core: Callable[..., PaymentsCore],
) -> None:
    core = make_core(key_provider=MASTER)
    holder_id = registered(core)
    for n in range(99):
        core.correct_holder(holder_id, {"mobile": f"98765{n:05d}"})
    assert core.snapshots is not None
    assert list(core.snapshots.get(holder_id))
    core.forget_holder(holder_id, "erasure request")
    holder = core.get_holder(holder_id)
    assert holder.forgotten
    assert holder.version == 101
    assert set(core.holder_details(holder).values()) == {Erased("mobile"), *map(Erased, ASHA)}


def test_a_shared_store_without_a_master_key_refuses_holder_commands_only(
    make_core: Callable[..., PaymentsCore], store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PAYCORE_MASTER_KEY", raising=False)
    if store_url == "memory://":
        pytest.skip("memory:// draws its own master key")
    core = make_core()
    account = core.open_card_account("C1", "Acme", "Travel", "CORPORATE")
    assert core.issue_card(account, "PREPAID")
    with pytest.raises(ConfigurationError) as refused:
        core.register_holder(uuid4(), ASHA)
    assert refused.value.details == {"setting": "PAYCORE_MASTER_KEY"}
    assert "PAYCORE_MASTER_KEY" in refused.value.message


def test_the_master_key_comes_from_the_environment(
    make_core: Callable[..., PaymentsCore], store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if store_url == "memory://":
        pytest.skip("each memory:// instance is a store of its own")
    monkeypatch.setenv("PAYCORE_MASTER_KEY", os.urandom(32).hex())
    first = make_core()
    holder_id = registered(first)
    assert make_core().holder_details(first.get_holder(holder_id)) == ASHA
