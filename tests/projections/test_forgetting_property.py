"""Forgetting a holder at any point of a day leaves every balance, every view but that
holder's erased fields, and the hash chain's verification as they were."""

from __future__ import annotations

import tempfile
from dataclasses import asdict
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paycore.domain.core import CommandContext, PaymentsCore
from paycore.domain.errors import HolderForgotten
from paycore.domain.personal_data import MasterKey
from paycore.projections import AUDIT_TRAIL, HOLDERS, AuditTrail, Projector, open_views
from paycore.projections.chain import HashChainView
from paycore.projections.views import read_models
from tests.projections.expected import Clock

MASTER = MasterKey(bytes(range(32)))
PEOPLE = (
    {"first_name": "Asha", "mobile": "9876543210", "pan": "ABCDE1234F"},
    {
        "first_name": "Ravi",
        "email": "ravi@example.com",
        "delivery_address": "12 MG Road",
        "delivery_city": "Pune",
        "delivery_state": "Maharashtra",
        "delivery_pincode": "411001",
    },
)
PLATFORM = CommandContext(actor="enkash", source="sync")
#: The tables that gain the Forgotten event itself: everything else must not change.
CHAINED = {AUDIT_TRAIL.name, *(t.name for t in HashChainView.tables)}
#: What forgetting changes on the holder's own row.
ERASURE = {"masked", "erased", "forgotten", "forgotten_at", "version", "updated_at"}

STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("load"), st.integers(0, 1), st.integers(1, 500)),
        st.tuples(st.just("spend"), st.integers(0, 1), st.integers(1, 500)),
        st.tuples(
            st.just("correct"), st.integers(0, 1), st.from_regex(r"[6-9]\d{9}", fullmatch=True)
        ),
        st.tuples(st.just("issue"), st.integers(0, 1), st.just(0)),
    ),
    max_size=10,
)


class Day:
    """An account, two holders with a card each, and the steps of the day."""

    def __init__(self, core: PaymentsCore, clock: Clock) -> None:
        self.core, self.clock = core, clock
        self.account = core.open_card_account("C1", "Acme", "Travel", "CORPORATE", "100000.00")
        self.holders = [core.register_holder(uuid4(), person) for person in PEOPLE]
        forms = ("VIRTUAL", "PHYSICAL")
        self.cards = [
            core.issue_card(self.account, "PREPAID", form, "1000.00", holder_id=holder)
            for holder, form in zip(self.holders, forms, strict=True)
        ]
        for card in self.cards:
            core.activate_card(self.account, card, kyc_completed=True, terms_accepted=True)
        self.forgotten: set[UUID] = set()

    def balance(self, card: str) -> Decimal:
        return self.core.get_card_account(self.account).card(card).balance.amount

    def step(self, kind: str, who: int, value: Any) -> None:
        self.clock.advance()
        core, card, holder = self.core, self.cards[who], self.holders[who]
        if kind == "load":
            core.load_card(self.account, card, f"{value}.00")
        elif kind == "spend" and self.balance(card) >= value:
            at = self.clock.now
            core.record_card_spend(
                self.account, card, f"{value}.00", "POS", uuid4().hex, at, context=PLATFORM
            )
        elif kind in ("correct", "issue"):
            try:
                if kind == "correct":
                    core.correct_holder(holder, {"mobile": value})
                else:
                    core.issue_card(self.account, "PREPAID", holder_id=holder)
            except HolderForgotten:
                assert holder in self.forgotten
            else:
                assert holder not in self.forgotten


def rows(projector: Projector) -> dict[str, list[dict[str, Any]]]:
    projector.update()
    return {
        t.name: [asdict(r) for r in projector.store.select(t)]
        for t in projector.tables
        if t.name not in CHAINED
    }


def forget_and_compare(day: Day, projector: Projector, who: int) -> None:
    holder_id = day.holders[who]
    before = rows(projector)
    balances = {card: day.balance(card) for card in day.cards}
    trail = AuditTrail(day.core, projector.store)
    checked = trail.verify()
    assert checked.ok

    day.core.forget_holder(holder_id, "erasure request", context=CommandContext(actor="dpo"))
    day.forgotten.add(holder_id)
    after = rows(projector)

    assert {card: day.balance(card) for card in day.cards} == balances
    was = {r["holder_id"]: r for r in before.pop(HOLDERS.name)}
    now = {r["holder_id"]: r for r in after.pop(HOLDERS.name)}
    assert after == before
    for other in set(was) - {holder_id}:
        assert now[other] == was[other]
    kept = {k: v for k, v in now[holder_id].items() if k not in ERASURE}
    assert kept == {k: v for k, v in was[holder_id].items() if k not in ERASURE}
    expected_erased = sorted({*was[holder_id]["masked"], *was[holder_id]["erased"]})
    assert (now[holder_id]["masked"], now[holder_id]["erased"]) == ({}, expected_erased)
    assert now[holder_id]["forgotten"] is True
    verified = trail.verify()
    assert verified.ok
    assert verified.checked_position == checked.checked_position + 1


@pytest.mark.parametrize("store", ["memory", "sqlite"])
@settings(max_examples=30, deadline=None)
@given(steps=STEPS, forget_at=st.integers(0, 10), who=st.integers(0, 1))
def test_forgetting_at_any_point_changes_nothing_but_the_erased_fields(
    store: str, steps: list[tuple[str, int, Any]], forget_at: int, who: int
) -> None:
    """Forgetting anywhere keeps balances, views (but erased fields) and the chain."""
    clock = Clock()
    folder = tempfile.TemporaryDirectory()
    url = "memory://" if store == "memory" else f"sqlite:///{folder.name}/paycore.db"
    core = PaymentsCore(url, clock=clock, key_provider=MASTER)
    try:
        with Projector(core) as projector:
            day = Day(core, clock)
            for n, (kind, person, value) in enumerate(steps):
                if n == forget_at:
                    forget_and_compare(day, projector, who)
                day.step(kind, person, value)
            if forget_at >= len(steps):
                forget_and_compare(day, projector, who)
            # A rebuild from the log after forgetting gives the rows followed step by step.
            with Projector(
                core, open_views("memory://"), views=read_models(lambda: core.holder_keys)
            ) as fresh:
                assert rows(fresh) == rows(projector)
            assert AuditTrail(core, projector.store).verify().ok
    finally:
        core.close()
        folder.cleanup()
