"""The holders view: each cardholder's details MASKED, their cards, and whether they were
forgotten (issue 15).

The events hold every personal field sealed under the holder's data key; this view
opens them while it folds, through the projector's application (``keys``), and keeps
only :func:`~paycore.domain.personal_data.mask` of each: a PAN ``ABCDE****F``, a mobile
``******3210``, an email ``a***@example.com``. A clear value is never in a row: it comes
only from an explicit call (``PaymentsCore.holder_details``, ``export_holder``).

Once the holder is forgotten the row keeps the fields' names only (``erased``) and
:meth:`HolderRow.details` reads each as :class:`~paycore.domain.personal_data.Erased`. A rebuild
after forgetting finds no data key and records the fields as erased from the start, so
the rows end the same either way.

A projector without the master key (``PAYCORE_MASTER_KEY`` or ``key_provider=``) cannot
open the fields: it records each as :data:`SEALED`, and ``paycore views rebuild`` run
with the key fills them in.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar
from uuid import UUID

from paycore.domain.errors import ConfigurationError
from paycore.domain.holder import Holder
from paycore.domain.personal_data import DataKeys, Erased, mask, open_sealed
from paycore.projections.store import Rows
from paycore.projections.tables import Table
from paycore.projections.views.base import AggregateView, Handler, Recorded, on, replace

#: What a field shows when the projector had no master key to open it with.
SEALED = "<sealed>"

#: Gives the store's data keys; raises ConfigurationError without a master key.
KeySource = Callable[[], DataKeys]


@dataclass(frozen=True)
class HolderRow:
    holder_id: UUID
    #: Field -> its masked value (:data:`SEALED` if the projector had no master key).
    masked: dict[str, str]
    #: The fields erased by forgetting, by name only.
    erased: list[str]
    forgotten: bool
    #: "account_id/card_id" of each card issued to the holder, in issue order.
    cards: list[str]
    #: How many times the holder's data was exported (the right of access).
    exports: int
    version: int
    registered_at: datetime
    forgotten_at: datetime | None
    updated_at: datetime

    def details(self) -> dict[str, str | Erased]:
        """Every field: its masked value, or :class:`Erased` once the holder was forgotten."""
        return {**{f: Erased(f) for f in self.erased}, **self.masked}


HOLDERS = Table("paycore_holders", HolderRow, key=("holder_id",), group="holder_id")


class HoldersView(AggregateView[HolderRow]):
    """Holders with their details masked, their cards, their exports and erasure."""

    name = "paycore.holders"
    table = HOLDERS
    aggregate = Holder

    def __init__(self, keys: KeySource | None = None) -> None:
        self._keys = keys

    def _masked(
        self, holder_id: UUID, sealed: Mapping[str, str]
    ) -> tuple[dict[str, str], list[str]]:
        """The masked values of ``sealed``, and the fields that no longer open (erased)."""
        if not sealed:
            return {}, []
        try:
            keys = self._keys() if self._keys is not None else None
        except ConfigurationError:
            keys = None
        if keys is None:
            return dict.fromkeys(sealed, SEALED), []
        key = keys.get(holder_id)
        opened = {
            f: open_sealed(key, holder_id, f, base64.b64decode(text)) for f, text in sealed.items()
        }
        masked = {f: mask(f, v) for f, v in opened.items() if isinstance(v, str)}
        return masked, [f for f, v in opened.items() if isinstance(v, Erased)]

    def _registered(self, recorded: Recorded, rows: Rows) -> None:
        masked, erased = self._masked(recorded.aggregate_id, recorded.fields["sealed"])
        row = HolderRow(
            holder_id=recorded.aggregate_id,
            masked=masked,
            erased=erased,
            forgotten=False,
            cards=[],
            exports=0,
            version=recorded.version,
            registered_at=recorded.timestamp,
            forgotten_at=None,
            updated_at=recorded.timestamp,
        )
        self.put(rows, row, recorded)

    def _corrected(self, recorded: Recorded, rows: Rows) -> None:
        row: HolderRow = self.row(rows, recorded)
        e = recorded.fields
        masked, erased = self._masked(recorded.aggregate_id, e["sealed"])
        removed = set(e["removed"]) | set(masked) | set(erased)
        kept = {f: v for f, v in row.masked.items() if f not in removed}
        still_erased = [f for f in row.erased if f not in removed]
        changed = replace(row, masked={**kept, **masked}, erased=[*still_erased, *erased])
        self.put(rows, changed, recorded)

    def _card_held(self, recorded: Recorded, rows: Rows) -> None:
        row: HolderRow = self.row(rows, recorded)
        self.put(rows, replace(row, cards=[*row.cards, recorded.fields["card"]]), recorded)

    def _exported(self, recorded: Recorded, rows: Rows) -> None:
        row: HolderRow = self.row(rows, recorded)
        self.put(rows, replace(row, exports=row.exports + 1), recorded)

    def _forgotten(self, recorded: Recorded, rows: Rows) -> None:
        row: HolderRow = self.row(rows, recorded)
        forgotten = replace(
            row,
            masked={},
            erased=sorted({*row.erased, *row.masked}),
            forgotten=True,
            forgotten_at=recorded.timestamp,
        )
        self.put(rows, forgotten, recorded)

    changes: ClassVar[Mapping[str, Handler]] = dict(
        [
            on(Holder.Registered, _registered),
            on(Holder.Corrected, _corrected),
            on(Holder.CardHeld, _card_held),
            on(Holder.Exported, _exported),
            on(Holder.Forgotten, _forgotten),
        ]
    )
