"""What views read of an event (``Recorded.fields``) is what the domain event holds, in
JSON-native form: decoded from the stored bytes without building the event, upcast like
the event, on an encrypted store as on a plain one."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from eventsourcing.cryptography import AESCipher

from paycore.domain.core import PaymentsCore
from paycore.projections import CARDS, Projector
from paycore.projections.views import Recorded
from tests.domain import test_upcasting as v1
from tests.projections.expected import Clock, event_fields, exercise, notifications


def test_the_fields_views_read_are_the_events_fields_in_json_native_form(
    core: PaymentsCore, clock: Clock
) -> None:
    exercise(core, clock)
    for notification in notifications(core):
        recorded = Recorded(notification, core.mapper)
        assert recorded.fields == event_fields(core, recorded), notification.topic
        assert recorded.timestamp == core.mapper.to_domain_event(notification).timestamp


def test_fields_of_events_stored_before_a_class_gained_fields_are_upcast() -> None:
    """Upcast like the event, field by field; a value object is shown as stored (one
    stored before its class gained a field with a default shows without it)."""
    core = PaymentsCore("memory://")
    core.recorder.insert_events(v1.v1_log())
    try:
        for notification in notifications(core):
            recorded = Recorded(notification, core.mapper)
            fields, expected = recorded.fields, event_fields(core, recorded)
            assert set(fields) == set(expected), notification.topic
            for name, value in fields.items():
                if not isinstance(value, dict):
                    assert value == expected[name], (notification.topic, name)
    finally:
        core.close()


def test_views_of_an_encrypted_store_read_its_events(tmp_path: Path, clock: Clock) -> None:
    key = AESCipher.create_key(32)
    env = {"CIPHER_TOPIC": "eventsourcing.cryptography:AESCipher", "CIPHER_KEY": key}
    core = PaymentsCore(f"sqlite:///{tmp_path / 'sealed.db'}", env=env, clock=clock)
    try:
        account_id = core.open_card_account("CO-1", "Acme", "Travel", "CORPORATE", "5000.00")
        card_id = core.issue_card(account_id, "PREPAID", initial_load="100.00")
        core.load_card(account_id, card_id, "25.50")
        assert b"25.50" not in b"".join(n.state for n in notifications(core))
        with Projector(core) as projector:
            projector.update()
            (card,) = projector.store.select(CARDS)
        assert card.balance == Decimal("125.50")
    finally:
        core.close()
