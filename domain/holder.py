"""Holder: a cardholder, whose personal fields the aggregate holds only sealed (issue 15).

Each personal field is AES-GCM ciphertext under the holder's data key, bound to the holder
id and the field name (``paycore.domain.personal_data.seal``), kept as base64 text so events and
snapshots stay JSON. The aggregate never sees a clear value or a key: the commands
(``paycore.domain.commands.holders``) seal before and open after, so replaying the events
needs no key, and a holder whose key was destroyed still rebuilds.

Forgetting records who asked and why (never a personal value); the commands destroy the
data key once that event is saved, and from then on every field reads as ``Erased``.
An export is recorded too (actor and purpose), holding nothing personal.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import ClassVar
from uuid import UUID

from eventsourcing.domain import event

from paycore.domain.aggregate import PaycoreAggregate
from paycore.domain.errors import HolderForgotten
from paycore.domain.personal_data import Erased, open_sealed


def sealed_text(sealed: bytes) -> str:
    """Sealed bytes as the events store them (base64)."""
    return base64.b64encode(sealed).decode()


class Holder(PaycoreAggregate):
    TOPIC = "paycore.Holder"
    OBJECT_KIND: ClassVar[str] = "holder"

    class Event(PaycoreAggregate.Event):
        TOPIC = "paycore.Holder.Event"

    class Created(Event, PaycoreAggregate.Created):
        TOPIC = "paycore.Holder.Created"

    class Registered(Created):
        TOPIC = "paycore.Holder.Registered"
        sealed: dict[str, str]

    @event(Registered)
    def __init__(self, sealed: dict[str, str]) -> None:
        self.sealed = dict(sealed)
        #: "account_id/card_id" of each card issued to this holder, in issue order.
        self.cards: list[str] = []
        self.forgotten = False

    # Queries.

    def details(self, data_key: bytes | None) -> dict[str, str | Erased]:
        """Every field in clear under ``data_key``; each ``Erased`` once forgotten."""
        key = None if self.forgotten else data_key
        return {
            field: open_sealed(key, self.id, field, base64.b64decode(text))
            for field, text in self.sealed.items()
        }

    def refuse_if_forgotten(self, attempted: str) -> None:
        if self.forgotten:
            msg = f"holder {self.id} was forgotten; their details are erased, so no {attempted}"
            raise HolderForgotten(msg, holder_id=str(self.id), attempted=attempted)

    # Commands.

    def correct(self, sealed: Mapping[str, str], removed: list[str]) -> None:
        """Replaces the sealed fields in ``sealed`` and drops those in ``removed``."""
        self.refuse_if_forgotten("correction")
        self._corrected(sealed=dict(sealed), removed=list(removed))

    class Corrected(Event):
        TOPIC = "paycore.Holder.Corrected"
        sealed: dict[str, str]
        removed: list[str]

    @event(Corrected)
    def _corrected(self, sealed: dict[str, str], removed: list[str]) -> None:
        self.sealed = {f: v for f, v in {**self.sealed, **sealed}.items() if f not in set(removed)}

    def hold_card(self, account_id: UUID, card_id: str) -> None:
        """A card issued to this holder (one holder may hold several)."""
        self.refuse_if_forgotten("new card")
        self._card_held(card=f"{account_id}/{card_id}")

    class CardHeld(Event):
        TOPIC = "paycore.Holder.CardHeld"
        card: str

    @event(CardHeld)
    def _card_held(self, card: str) -> None:
        self.cards = [*self.cards, card]

    def record_export(self, purpose: str) -> None:
        """The right of access was exercised: who (the event's actor) and why."""
        self._exported(purpose=purpose)

    class Exported(Event):
        TOPIC = "paycore.Holder.Exported"
        purpose: str

    @event(Exported)
    def _exported(self, purpose: str) -> None:
        pass

    def forget(self, reason: str) -> None:
        """Records the erasure; forgetting a forgotten holder records nothing more."""
        if not self.forgotten:
            self._forgotten(reason=reason)

    class Forgotten(Event):
        TOPIC = "paycore.Holder.Forgotten"
        reason: str

    @event(Forgotten)
    def _forgotten(self, reason: str) -> None:
        self.forgotten = True
