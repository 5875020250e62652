"""The cards view: each card's status, balance, limits and masked number, and every
movement of money on a card."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import ClassVar
from uuid import UUID

from paycore.domain.card_account import CardAccount, replacement_block_code
from paycore.projections.store import Rows
from paycore.projections.tables import Table
from paycore.projections.views.base import (
    ZERO,
    EventView,
    Handler,
    Recorded,
    amount_or_none,
    new_row,
    on,
    replace,
)


@dataclass(frozen=True)
class CardRow:
    account_id: UUID
    card_id: str
    kind: str
    form: str
    #: The block code: AP, UL, L or BL.
    status: str
    activated: bool
    balance: Decimal
    per_transaction_limit: Decimal | None
    daily_amount_limit: Decimal | None
    daily_count_limit: int | None
    monthly_amount_limit: Decimal | None
    monthly_count_limit: int | None
    disabled_channels: list[str]
    masked_number: str | None
    remote_id: str | None
    pin_set_at: datetime | None
    replaced_by: str | None
    updated_at: datetime


@dataclass(frozen=True)
class CardTransactionRow:
    """Money into or out of a card: ISSUE_LOAD, LOAD, SPEND, TRANSFER_OUT or TRANSFER_IN."""

    position: int
    account_id: UUID
    card_id: str
    kind: str
    #: Positive for money in, negative for money out, so a card's rows sum to its balance.
    amount: Decimal
    channel: str | None
    reference: str | None
    occurred_at: datetime
    recorded_at: datetime


CARDS = Table("paycore_cards", CardRow, key=("account_id", "card_id"), group="account_id")
CARD_TRANSACTIONS = Table(
    "paycore_card_transactions",
    CardTransactionRow,
    key=("position", "card_id"),
    indexes=(("card_id", "position"),),
)


class CardsView(EventView):
    """Cards with their status, balance, limits and masked number; and every movement of
    money on a card."""

    name = "paycore.cards"
    tables = (CARDS, CARD_TRANSACTIONS)

    @staticmethod
    def _card(rows: Rows, recorded: Recorded, card_id: str) -> CardRow:
        card = rows.get(CARDS, (recorded.aggregate_id, card_id))
        assert card is not None, f"no card {card_id} for {recorded.topic} at {recorded.position}"
        return card

    def _change(self, rows: Rows, recorded: Recorded, card_id: str, **changes: object) -> None:
        card = self._card(rows, recorded, card_id)
        rows.put(CARDS, replace(card, **changes, updated_at=recorded.timestamp))

    @staticmethod
    def _transaction(
        rows: Rows,
        recorded: Recorded,
        card_id: str,
        kind: str,
        amount: Decimal,
        *,
        channel: str | None = None,
        reference: str | None = None,
        occurred_at: datetime | None = None,
    ) -> None:
        row = new_row(
            CardTransactionRow,
            position=recorded.position,
            account_id=recorded.aggregate_id,
            card_id=card_id,
            kind=kind,
            amount=amount,
            channel=channel,
            reference=reference,
            occurred_at=recorded.timestamp if occurred_at is None else occurred_at,
            recorded_at=recorded.timestamp,
        )
        rows.put(CARD_TRANSACTIONS, row)

    def _issued(self, recorded: Recorded, rows: Rows) -> None:
        e = recorded.fields
        card = CardRow(
            account_id=recorded.aggregate_id,
            card_id=e["card_id"],
            kind=e["kind"],
            form=e["form"],
            status=e["block_code"],
            activated=False,
            balance=Decimal(e["initial_load"]),
            per_transaction_limit=None,
            daily_amount_limit=None,
            daily_count_limit=None,
            monthly_amount_limit=None,
            monthly_count_limit=None,
            disabled_channels=[],
            masked_number=None,
            remote_id=None,
            pin_set_at=None,
            replaced_by=None,
            updated_at=recorded.timestamp,
        )
        rows.put(CARDS, card)
        if card.balance:
            self._transaction(rows, recorded, card.card_id, "ISSUE_LOAD", card.balance)

    def _activated(self, recorded: Recorded, rows: Rows) -> None:
        e = recorded.fields
        self._change(rows, recorded, e["card_id"], status=e["block_code"], activated=True)

    def _loaded(self, recorded: Recorded, rows: Rows) -> None:
        e = recorded.fields
        amount = Decimal(e["amount"])
        card = self._card(rows, recorded, e["card_id"])
        rows.put(CARDS, replace(card, balance=card.balance + amount, updated_at=recorded.timestamp))
        self._transaction(rows, recorded, card.card_id, "LOAD", amount, reference=e["reference"])

    def _spent(self, recorded: Recorded, rows: Rows) -> None:
        e = recorded.fields
        amount = Decimal(e["amount"])
        card = self._card(rows, recorded, e["card_id"])
        card_id = card.card_id
        rows.put(CARDS, replace(card, balance=card.balance - amount, updated_at=recorded.timestamp))
        self._transaction(
            rows,
            recorded,
            card_id,
            "SPEND",
            -amount,
            channel=e["channel"],
            reference=e["transaction_id"],
            occurred_at=datetime.fromisoformat(e["occurred_at"]),
        )

    def _controls_set(self, recorded: Recorded, rows: Rows) -> None:
        controls = recorded.fields["controls"]
        for card_id in recorded.fields["card_ids"]:
            self._change(
                rows,
                recorded,
                card_id,
                per_transaction_limit=amount_or_none(controls["per_transaction"]),
                daily_amount_limit=amount_or_none(controls["daily_amount"]),
                daily_count_limit=controls["daily_count"],
                monthly_amount_limit=amount_or_none(controls["monthly_amount"]),
                monthly_count_limit=controls["monthly_count"],
                disabled_channels=list(controls["disabled_channels"]),
            )

    def _pin_set(self, recorded: Recorded, rows: Rows) -> None:
        e = recorded.fields
        self._change(rows, recorded, e["card_id"], pin_set_at=datetime.fromisoformat(e["at"]))

    def _block_code_changed(self, recorded: Recorded, rows: Rows) -> None:
        e = recorded.fields
        self._change(rows, recorded, e["card_id"], status=e["block_code"])

    def _replaced(self, recorded: Recorded, rows: Rows) -> None:
        """The old card is blocked and its balance moves to the new one."""
        e = recorded.fields
        old = self._card(rows, recorded, e["card_id"])
        new = replace(
            old,
            card_id=e["new_card_id"],
            status=str(replacement_block_code(activated=old.activated)),
            masked_number=None,
            remote_id=None,
            pin_set_at=None,
            replaced_by=None,
            updated_at=recorded.timestamp,
        )
        rows.put(CARDS, new)
        self._change(
            rows,
            recorded,
            old.card_id,
            status=e["block_code"],
            balance=ZERO,
            replaced_by=new.card_id,
        )
        if old.balance:
            self._transaction(rows, recorded, old.card_id, "TRANSFER_OUT", -old.balance)
            self._transaction(rows, recorded, new.card_id, "TRANSFER_IN", old.balance)

    def _remote_card_registered(self, recorded: Recorded, rows: Rows) -> None:
        e = recorded.fields
        self._change(
            rows, recorded, e["card_id"], remote_id=e["remote_id"], masked_number=e["masked_number"]
        )

    handlers: ClassVar[Mapping[str, Handler]] = dict(
        [
            on(CardAccount.CardIssued, _issued),
            on(CardAccount.CardActivated, _activated),
            on(CardAccount.CardLoaded, _loaded),
            on(CardAccount.CardSpent, _spent),
            on(CardAccount.UsageControlsSet, _controls_set),
            on(CardAccount.PinSet, _pin_set),
            on(CardAccount.BlockCodeChanged, _block_code_changed),
            on(CardAccount.CardReplaced, _replaced),
            on(CardAccount.RemoteCardRegistered, _remote_card_registered),
        ]
    )
