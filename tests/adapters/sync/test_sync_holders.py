"""The relay sends a card's holder fields as the pages document them, decrypted just in
time, and refuses a forgotten holder's (HOLDER_FORGOTTEN), on memory, SQLite and PostgreSQL."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from uuid import UUID, uuid4

import pytest

from paycore.adapters.enkash import EnkashClient
from paycore.adapters.sandbox import Sandbox
from paycore.adapters.sync.calls import holder_fields
from paycore.domain.core import PaymentsCore
from paycore.domain.errors import HolderForgotten
from paycore.domain.personal_data import MasterKey
from tests.adapters.sync.builders import OTP_KEY, relay
from tests.conftest import PostgresSchema, require_postgres
from tests.contract.fixtures import fixture

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
    "city": "Kolkata",
    "state": "West Bengal",
    "country": "India",
    "pincode": "700016",
    "delivery_address": "12 MG Road",
    "delivery_city": "Pune",
    "delivery_state": "Maharashtra",
    "delivery_pincode": "411001",
}
#: What Create Prepaid Card (https://docs.enkash.com/api-13438387) takes of her.
WIRE = {
    "title": "Ms",
    "firstName": "Asha",
    "lastName": "Verma",
    "gender": "F",
    "email": "asha.verma@example.com",
    "mobile": "9876543210",
    "address": "4 Park Street",
    "city": "Kolkata",
    "state": "West Bengal",
    "country": "India",
    "pincode": "700016",
    "physicalDeliveryAddressFlag": True,
    "deliveryAddress": "12 MG Road",
    "deliveryCity": "Pune",
    "deliveryState": "Maharashtra",
    "deliveryPincode": "411001",
    "documents": [{"docType": "PAN", "docNo": "ABCDE1234F"}],
}


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def holders_core(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[PaymentsCore]:
    if request.param == "postgres":
        require_postgres()
        with PostgresSchema() as schema:
            app = PaymentsCore(schema.url, otp_key=OTP_KEY, key_provider=MASTER)
            yield app
            app.close()
        return
    url = "memory://" if request.param == "memory" else f"sqlite:///{tmp_path / 'paycore.db'}"
    app = PaymentsCore(url, otp_key=OTP_KEY, key_provider=MASTER)
    yield app
    app.close()


def card_for(core: PaymentsCore, holder_id: UUID, kind: str = "PREPAID") -> tuple[UUID, str]:
    account = core.open_card_account("CMP1", "Acme Traders", "Staff cards", "CORPORATE")
    return account, core.issue_card(account, kind, "PHYSICAL", holder_id=holder_id)


def test_a_card_for_a_holder_carries_the_documented_holder_fields(
    holders_core: PaymentsCore,
    sandbox: Sandbox,
    sync_client: EnkashClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    holder_id = holders_core.register_holder(uuid4(), ASHA)
    account, card_id = card_for(holders_core, holder_id)
    sync = relay(holders_core, sync_client)
    sync.drain()
    assert sync.dead_letters() == []
    remote = holders_core.get_card_account(account).card(card_id).remote_id
    assert remote is not None
    assert sandbox.state.cards[remote].holder == WIRE
    assert sandbox.state.cards[remote].userId == card_id
    assert "Verma" not in repr(sandbox.state.cards[remote])
    for value in ASHA.values():
        if len(value) > 3:
            assert value not in caplog.text


def test_a_forgotten_holders_card_is_dead_lettered_holder_forgotten_and_never_sent(
    holders_core: PaymentsCore,
    sandbox: Sandbox,
    sync_client: EnkashClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    forgotten = holders_core.register_holder(uuid4(), ASHA)
    card_for(holders_core, forgotten)
    holders_core.forget_holder(forgotten, "erasure request 9")
    kept = holders_core.register_holder(uuid4(), {**ASHA, "first_name": "Ravi"})
    account, card_id = card_for(holders_core, kept)

    sync = relay(holders_core, sync_client)
    sync.drain()
    [dead] = sync.dead_letters()
    assert (dead.kind, dead.error_code) == ("paycore.CardAccount.CardIssued", "HOLDER_FORGOTTEN")
    assert dead.error_message == (
        f"holder {forgotten} was forgotten; their details are erased, so no sending of "
        "their details to the platform"
    )
    [card] = sandbox.state.cards.values()
    assert card.userId == card_id
    assert card.holder["firstName"] == "Ravi"
    assert holders_core.get_card_account(account).card(card_id).remote_id == card.enKashCardId
    assert "dead-lettered: HOLDER_FORGOTTEN" in caplog.text
    assert "Verma" not in caplog.text


def test_details_whose_key_is_gone_are_refused_even_before_the_event_is_read(
    holders_core: PaymentsCore,
) -> None:
    holder_id = holders_core.register_holder(uuid4(), ASHA)
    assert holder_fields(holders_core, holder_id) == WIRE
    holders_core.holder_keys.destroy(holder_id)
    with pytest.raises(HolderForgotten) as refused:
        holder_fields(holders_core, holder_id)
    assert refused.value.details == {
        "holder_id": str(holder_id),
        "attempted": "sending of their details to the platform",
    }


@pytest.mark.parametrize("page", ["create_prepaid_card", "create_gift_card"])
def test_every_holder_member_sent_is_one_the_page_documents(page: str) -> None:
    documented = fixture(page).request["documented"]
    assert set(WIRE) <= set(documented)
    assert [d["docType"] for d in documented["documents"]] == ["PAN"]


def test_a_relay_without_the_master_key_dead_letters_the_card_until_retried_with_it(
    tmp_path: Path, sandbox: Sandbox, sync_client: EnkashClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PAYCORE_MASTER_KEY", raising=False)
    url = f"sqlite:///{tmp_path / 'paycore.db'}"
    keyed = PaymentsCore(url, otp_key=OTP_KEY, key_provider=MASTER)
    keyless = PaymentsCore(url, otp_key=OTP_KEY)
    try:
        holder_id = keyed.register_holder(uuid4(), ASHA)
        _, card_id = card_for(keyed, holder_id)
        without = relay(keyless, sync_client)
        without.drain()
        [dead] = without.dead_letters()
        assert (dead.kind, dead.error_code) == ("create_card", "CONFIGURATION")
        assert "set PAYCORE_MASTER_KEY" in dead.error_message
        assert sandbox.state.cards == {}
        assert without.retry(dead.notification_id)
        with_key = relay(keyed, sync_client)
        with_key.drain()
        assert with_key.dead_letters() == []
        [card] = sandbox.state.cards.values()
        assert (card.userId, card.holder) == (card_id, WIRE)
    finally:
        keyed.close()
        keyless.close()
