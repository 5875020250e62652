"""Rotating the master key rewraps every data key, changes no ciphertext, and a rotation
cut short finishes when run again; on memory, SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID, uuid4

import pytest

from paycore.adapters.persistence.keys import HolderKeys
from paycore.domain.core import PaymentsCore
from paycore.domain.errors import ConfigurationError
from paycore.domain.holder import Holder
from paycore.domain.personal_data import MasterKey

OLD = MasterKey(bytes(range(32)))
NEW = MasterKey(bytes(range(32, 64)))
PEOPLE = [{"first_name": name, "mobile": f"98765{n:05d}"} for n, name in enumerate("ABCD")]


def sealed_events(core: PaymentsCore, holder_id: UUID) -> list[dict[str, str]]:
    return [e.sealed for e in core.events.get(holder_id) if isinstance(e, Holder.Registered)]


def test_a_rotation_rewraps_every_live_key_and_finishes_when_run_again(
    make_core: Callable[..., PaymentsCore], store_url: str
) -> None:
    old_core = make_core(key_provider=OLD)
    ids = [old_core.register_holder(uuid4(), person) for person in PEOPLE]
    old_core.forget_holder(ids[3], "erasure request")
    before = {i: sealed_events(old_core, i) for i in ids}
    keys = old_core.holder_keys
    assert isinstance(keys, HolderKeys)
    # A rotation cut short after the first key: that one opens under the new key only.
    table = keys._table
    wrapped = table.get(ids[0])
    key = keys.get(ids[0])
    assert wrapped is not None
    assert key is not None
    assert table.replace(ids[0], wrapped, NEW.wrap(ids[0], key))

    assert keys.rewrap(NEW) == 2
    assert keys.rewrap(NEW) == 0
    with pytest.raises(ConfigurationError) as refused:
        old_core.holder_details(old_core.get_holder(ids[1]))
    assert refused.value.details == {"setting": "PAYCORE_MASTER_KEY"}
    assert {i: sealed_events(old_core, i) for i in ids} == before
    opened = HolderKeys(table, NEW)
    assert [opened.get(i) is not None for i in ids] == [True, True, True, False]
    if store_url != "memory://":
        new_core = make_core(key_provider=NEW)
        details = [new_core.holder_details(new_core.get_holder(i)) for i in ids[:3]]
        assert details == PEOPLE[:3]
        assert str(new_core.holder_details(new_core.get_holder(ids[3]))["mobile"]) == "<erased>"


def test_a_row_forgotten_during_a_rotation_stays_gone(
    make_core: Callable[..., PaymentsCore],
) -> None:
    core = make_core(key_provider=OLD)
    holder_id = core.register_holder(uuid4(), PEOPLE[0])
    keys = core.holder_keys
    assert isinstance(keys, HolderKeys)
    wrapped = keys._table.get(holder_id)
    assert wrapped is not None
    keys.destroy(holder_id)
    assert keys._table.replace(holder_id, wrapped, b"new") is False
    assert keys._table.get(holder_id) is None
