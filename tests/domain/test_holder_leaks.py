"""A holder's personal values never reach a stored byte, a view row, a log line, an error
message or a dead letter in clear, hex or base64, before or after forgetting, though the
relay sends them to the platform; once forgotten, no stored ciphertext of theirs opens with
anything paycore keeps, while balances and the audit chain stay intact. On memory, SQLite
(the file and its WAL) and PostgreSQL (every row of the schema)."""

from __future__ import annotations

import base64
import json
import logging
import re
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import asdict
from pathlib import Path
from uuid import UUID, uuid4

import psycopg
import pytest
from cryptography.exceptions import InvalidTag
from psycopg import sql

from paycore.adapters.enkash import EnkashClient
from paycore.adapters.sandbox import SandboxSettings, run_sandbox
from paycore.adapters.sync import SyncRelay
from paycore.adapters.sync.relay import RelaySettings
from paycore.domain.core import PaymentsCore
from paycore.domain.errors import InvalidArgument
from paycore.domain.holder import Holder
from paycore.domain.personal_data import MasterKey, open_sealed
from paycore.projections import AuditTrail, Projector
from paycore.projections.store import ViewStore
from tests.adapters.sync.builders import profile
from tests.conftest import POSTGRES_DSN

MASTER_BYTES = bytes(range(100, 132))
PLANTED = {
    "first_name": "Zebulonquix",
    "last_name": "Marrowfeldt",
    "mobile": "9876501234",
    "email": "zq.marrow@example.org",
    "pan": "QZXPW4321K",
    "address": "77 Quillfeather Lane",
    "city": "Vellanikkara",
    "pincode": "680656",
    "delivery_address": "77 Quillfeather Lane",
    "delivery_city": "Vellanikkara",
    "delivery_state": "Kerala",
    "delivery_pincode": "680656",
}
CORRECTED_MOBILE = "9123409876"


def forms(value: str) -> set[bytes]:
    """How ``value`` could appear in stored bytes: clear, hex, and base64 at each of the
    three alignments it may start at (without the characters its neighbours share)."""
    raw = value.encode()
    found = {raw, raw.hex().encode(), raw.hex().upper().encode()}
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + raw)
        found.add(encoded[4 if offset else 0 : -4])
    return found


def leaks(stored: bytes, values: Iterator[str] | list[str]) -> list[str]:
    return sorted({v for v in values for form in forms(v) if form in stored})


def stored_bytes(core: PaymentsCore, url: str) -> bytes:
    """Every byte the store holds: the SQLite file and WAL, every PostgreSQL row (bytea
    columns decoded too), or, in memory, every stored event and snapshot."""
    if url.startswith("sqlite:///"):
        path = Path(url[len("sqlite:///") :])
        return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    if url.startswith("postgresql://"):
        schema = url.split("schema=")[1]
        chunks: list[bytes] = []
        with psycopg.connect(POSTGRES_DSN, autocommit=True) as db:
            tables = db.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
                (schema,),
            ).fetchall()
            for (table,) in tables:
                query = sql.SQL("SELECT row_to_json(t)::text FROM {} t").format(
                    sql.Identifier(schema, table)
                )
                for (row,) in db.execute(query).fetchall():
                    chunks.append(row.encode())
                    chunks += [bytes.fromhex(h) for h in re.findall(r"\\\\x([0-9a-f]+)", row)]
        return b"\n".join(chunks)
    notifications = core.recorder.select_notifications(start=1, limit=10**6)
    assert core.snapshots is not None
    snapshots = [
        s.state
        for n in notifications
        for s in core.snapshots.recorder.select_events(n.originator_id)
    ]
    return b"\n".join([*(n.state for n in notifications), *snapshots])


def view_bytes(store: ViewStore, projector: Projector) -> bytes:
    """Every row of every view table, as text (on memory the views live apart)."""
    rows = [asdict(r) for t in projector.tables for r in store.select(t)]
    return json.dumps(rows, default=str).encode()


@pytest.fixture
def leak_core(make_core: Callable[..., PaymentsCore]) -> PaymentsCore:
    return make_core(key_provider=MasterKey(MASTER_BYTES))


def exercise(core: PaymentsCore) -> tuple[UUID, UUID, UUID, list[str]]:
    """A holder with cards, corrected past a snapshot, exported; a second holder; and the
    messages of refusals that had planted values in their arguments."""
    holder_id, other_id = uuid4(), uuid4()
    core.register_holder(holder_id, PLANTED)
    core.register_holder(other_id, {"first_name": "Other"})
    account = core.open_card_account("C1", "Acme", "Travel", "CORPORATE")
    for form in ("VIRTUAL", "PHYSICAL"):
        card = core.issue_card(account, "PREPAID", form, "250.00", holder_id=holder_id)
        core.activate_card(account, card, kyc_completed=True, terms_accepted=True)
    core.correct_holder(holder_id, {"mobile": CORRECTED_MOBILE})
    for n in range(98):  # past the snapshot interval (100)
        core.correct_holder(holder_id, {"mobile": f"9{n:09d}"})
    core.correct_holder(holder_id, {"mobile": PLANTED["mobile"]})
    core.export_holder(holder_id, "access request")
    messages = []
    for wrong in ({"pan": PLANTED["first_name"]}, {"mobile": PLANTED["email"]}):
        with pytest.raises(InvalidArgument) as refused:
            core.correct_holder(holder_id, wrong)
        messages.append(f"{refused.value} {refused.value.details}")
    return holder_id, other_id, account, messages


def test_planted_values_are_never_stored_logged_or_shown(
    leak_core: PaymentsCore, store_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    holder_id, _, account, messages = exercise(leak_core)
    assert leak_core.snapshots is not None
    assert list(leak_core.snapshots.get(holder_id))
    planted = [*PLANTED.values(), CORRECTED_MOBILE]
    with Projector(leak_core) as projector:
        projector.update()
        assert AuditTrail(leak_core, projector.store).verify().ok
        views = view_bytes(projector.store, projector)
    # the scan sees the masked values the holders view shows
    assert b'"pan": "QZXPW****K"' in views
    assert leaks(views, planted) == []
    stored = stored_bytes(leak_core, store_url)
    # the scan sees what is stored in clear: the account's title, say
    assert leaks(stored, ["Travel"]) == ["Travel"]
    assert leaks(stored, planted) == []
    assert leaks(caplog.text.encode(), planted) == []
    assert leaks(" ".join(messages).encode(), planted) == []
    exported = leak_core.export_holder(holder_id)
    assert exported["details"] == PLANTED  # the clear values do exist, for the holder

    leak_core.forget_holder(holder_id, "erasure request")
    with Projector(leak_core) as projector:
        projector.update()
        assert AuditTrail(leak_core, projector.store).verify().ok
        views = view_bytes(projector.store, projector)
    assert b"QZXPW****K" not in views
    assert leaks(views, planted) == []
    assert leaks(stored_bytes(leak_core, store_url), planted) == []
    assert leaks(caplog.text.encode(), planted) == []
    assert str(leak_core.get_card_account(account).total_balance) == "500.00"


def sealed_of(core: PaymentsCore, holder_id: UUID) -> list[tuple[str, bytes]]:
    """Every (field, ciphertext) of the holder in its events and its snapshots."""
    sealed: list[tuple[str, bytes]] = []
    for event in core.events.get(holder_id):
        if isinstance(event, Holder.Registered | Holder.Corrected):
            sealed += [(f, base64.b64decode(v)) for f, v in event.sealed.items()]
    assert core.snapshots is not None
    for snapshot in core.snapshots.get(holder_id):
        state = snapshot.state  # type: ignore[attr-defined]
        sealed += [(f, base64.b64decode(v)) for f, v in state["sealed"].items()]
    return sealed


def test_after_forgetting_no_ciphertext_opens_with_anything_paycore_keeps(
    leak_core: PaymentsCore, store_url: str
) -> None:
    holder_id, other_id, _, _ = exercise(leak_core)
    sealed = sealed_of(leak_core, holder_id)
    assert len(sealed) >= len(PLANTED) + 100
    key = leak_core.holder_keys.get(holder_id)
    assert key is not None
    assert open_sealed(key, holder_id, *sealed[0]) == PLANTED[sealed[0][0]]

    leak_core.forget_holder(holder_id, "erasure request")
    assert leak_core.holder_keys.get(holder_id) is None
    if store_url.startswith("sqlite:///"):
        path = store_url[len("sqlite:///") :]
        with sqlite3.connect(path) as db:
            rows = db.execute("SELECT holder_id FROM paycore_holder_keys").fetchall()
        assert rows == [(str(other_id),)]
    kept = [leak_core.holder_keys.get(other_id), MASTER_BYTES]
    for candidate in kept:
        assert candidate is not None
        for field, ciphertext in sealed:
            with pytest.raises(InvalidTag):
                open_sealed(candidate, holder_id, field, ciphertext)
    # and the aggregate still rebuilds, every field erased
    details = leak_core.holder_details(leak_core.get_holder(holder_id))
    assert sorted(details) == sorted(PLANTED)
    assert {str(v) for v in details.values()} == {"<erased>"}
    assert json.dumps(leak_core.export_holder(holder_id))


def test_the_relay_sends_them_but_never_logs_stores_or_dead_letters_them(
    leak_core: PaymentsCore, store_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    holder_id, _, account, _ = exercise(leak_core)
    planted = [*PLANTED.values(), CORRECTED_MOBILE]
    settings = RelaySettings(max_attempts=2, poll_interval=0.02)
    with (
        run_sandbox(SandboxSettings()) as sandbox,
        EnkashClient(sandbox.client_config()) as client,
    ):
        relay = SyncRelay(leak_core, client, profile(), settings)
        relay.drain()
        # the platform got them: the relay opened them for those calls
        assert [c.holder["firstName"] for c in sandbox.state.cards.values()] == [
            PLANTED["first_name"]
        ] * 2
        assert {c.holder["documents"][0]["docNo"] for c in sandbox.state.cards.values()} == {
            PLANTED["pan"]
        }
        leak_core.issue_card(account, "PREPAID", holder_id=holder_id)
        leak_core.forget_holder(holder_id, "erasure request")
        relay.drain()
        [dead] = relay.dead_letters()
        assert len(sandbox.state.cards) == 2
        shown = " ".join(repr(c) for c in sandbox.state.cards.values())
        relay.close()
    assert dead.error_code == "HOLDER_FORGOTTEN"
    assert leaks(repr(dead).encode(), planted) == []
    assert leaks(shown.encode(), planted) == []
    assert leaks(caplog.text.encode(), planted) == []
    assert leaks(stored_bytes(leak_core, store_url), planted) == []
