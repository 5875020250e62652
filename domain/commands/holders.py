"""The commands of holders: register, correct, export and forget (issue 15).

Personal values are sealed here, under the holder's data key, before the aggregate sees
them, and opened here after; the aggregate and its events hold ciphertext only. The data
keys come from the store's key table, reached by topic (``key_wiring``) so the domain
imports no adapter, under the master key: ``key_provider=``, else ``PAYCORE_MASTER_KEY``.

A shared store (a SQLite file, PostgreSQL) without a master key still opens: only the
holder commands refuse, with ``CONFIGURATION``, before anything is read or written (as
OTP commands do without their key), so processes that never touch a holder need no key.
On ``memory://`` an instance may draw its own, as no other can share that store.

Crash order of forgetting: the ``Forgotten`` event is saved first, then the data key
destroyed. A crash between the two leaves a holder recorded as forgotten whose key
still exists: every read of a forgotten holder answers ``Erased`` without the key,
and forgetting again (what a retry sends) destroys it. The other order could lose the
key with no record of who erased the person and why.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.popo import POPOFactory
from eventsourcing.utils import resolve_topic

from paycore.domain.arguments import REASON_LENGTH, check_text, check_uuid
from paycore.domain.errors import AlreadyExists, ConfigurationError, InvalidArgument
from paycore.domain.holder import Holder, sealed_text
from paycore.domain.personal_data import (
    MASTER_KEY_VARIABLE,
    DataKeys,
    Erased,
    HolderDetails,
    KeyProvider,
    MasterKey,
    seal,
)
from paycore.domain.runner import CommandRunner, Context, Key, Unit


def _sealed(key: bytes, holder_id: UUID, values: Mapping[str, str]) -> dict[str, str]:
    return {f: sealed_text(seal(key, holder_id, f, v)) for f, v in values.items()}


class HolderCommands(CommandRunner):
    #: Which function gives the store's data keys (``url``, ``provider``) -> DataKeys.
    key_wiring: ClassVar[str] = "paycore.adapters.persistence.keys:holder_keys"

    def __init__(
        self, url: str | None = None, *, key_provider: KeyProvider | None = None, **kwargs: Any
    ) -> None:
        super().__init__(url, **kwargs)
        configured = os.environ.get(MASTER_KEY_VARIABLE)
        if key_provider is None and configured:
            key_provider = MasterKey.from_hex(configured)
        if key_provider is None and isinstance(self.factory, POPOFactory):
            key_provider = MasterKey(os.urandom(32))
        self._key_provider = key_provider
        self._holder_keys: DataKeys | None = None

    @property
    def holder_keys(self) -> DataKeys:
        """The store's data keys; ``CONFIGURATION`` on a shared store without a master key."""
        if self._holder_keys is None:
            if self._key_provider is None:
                msg = (
                    f"holders' details are encrypted under a master key: set "
                    f"{MASTER_KEY_VARIABLE} to 64 hex digits (or pass key_provider=), the "
                    "same for every instance of this store"
                )
                raise ConfigurationError(msg, setting=MASTER_KEY_VARIABLE)
            wiring = resolve_topic(self.key_wiring)
            self._holder_keys = wiring(self.url, self._key_provider)
        return self._holder_keys

    def close(self) -> None:
        if self._holder_keys is not None:
            self._holder_keys.close()
        super().close()

    # Queries.

    def get_holder(self, holder_id: UUID, version: int | None = None) -> Holder:
        return self._get(Holder, holder_id, version)

    def holder_details(self, holder: Holder) -> dict[str, str | Erased]:
        """The clear details of ``holder`` (``Erased`` once forgotten); not audited: for
        the relay's just-in-time sending and masked views. A person's access request is
        ``export_holder``."""
        return holder.details(None if holder.forgotten else self.holder_keys.get(holder.id))

    # Commands.

    def register_holder(
        self,
        holder_id: UUID,
        details: Mapping[str, object],
        *,
        context: Context = None,
        idempotency_key: Key = None,
    ) -> UUID:
        """Registers a holder with their details, checked and sealed; returns the id."""
        holder_id = check_uuid(holder_id, "holder_id")
        checked = HolderDetails.of(details)
        keys = self.holder_keys

        def register(unit: Unit) -> UUID:
            if unit.find(Holder, holder_id) is not None:
                msg = f"the holder {holder_id} already exists"
                raise AlreadyExists(msg, kind="Holder", id=str(holder_id))
            # A key made by an attempt whose save failed is taken up, not made again.
            key = keys.get(holder_id) or keys.create(holder_id)
            sealed = _sealed(key, holder_id, checked.values)
            return unit.create(Holder.create_with_id(holder_id, "Registered", sealed=sealed)).id

        # The fingerprint holds the field names, never their values.
        args = {"holder_id": holder_id, "fields": list(checked.values)}
        return self._run("register_holder", args, register, context, idempotency_key)

    def correct_holder(
        self,
        holder_id: UUID,
        changes: Mapping[str, object],
        *,
        context: Context = None,
        idempotency_key: Key = None,
    ) -> None:
        """Corrects some fields (None removes one); the result is checked as a whole."""
        holder_id = check_uuid(holder_id, "holder_id")
        if not isinstance(changes, Mapping) or not changes:
            msg = "changes must be a non-empty mapping of holder fields"
            raise InvalidArgument(msg, argument="changes", expected="a non-empty mapping")
        keys = self.holder_keys

        def correct(unit: Unit) -> None:
            holder = unit.get(Holder, holder_id)
            holder.refuse_if_forgotten("correction")
            key = keys.get(holder_id)
            current = {f: v for f, v in holder.details(key).items() if isinstance(v, str)}
            corrected = HolderDetails(current).corrected(changes).values
            changed = {f: v for f, v in corrected.items() if current.get(f) != v}
            removed = [f for f in current if f not in corrected]
            holder.correct(_sealed(key, holder_id, changed) if key else {}, removed)

        args = {"holder_id": holder_id, "fields": sorted(str(f) for f in changes)}
        self._run("correct_holder", args, correct, context, idempotency_key)

    def export_holder(
        self, holder_id: UUID, purpose: str = "access request", *, context: Context = None
    ) -> dict[str, Any]:
        """Everything paycore holds about the holder, in clear, as JSON-ready values (the
        right of access); recorded with the actor and ``purpose``, nothing personal."""
        holder_id = check_uuid(holder_id, "holder_id")
        purpose = check_text(purpose, "purpose", REASON_LENGTH)
        keys = self.holder_keys

        def export(unit: Unit) -> dict[str, Any]:
            holder = unit.get(Holder, holder_id)
            details = holder.details(None if holder.forgotten else keys.get(holder_id))
            holder.record_export(purpose)
            return {
                "holder_id": str(holder_id),
                "forgotten": holder.forgotten,
                "details": {f: v if isinstance(v, str) else None for f, v in details.items()},
                "erased": sorted(f for f, v in details.items() if isinstance(v, Erased)),
                "cards": list(holder.cards),
            }

        return self._run("export_holder", {"holder_id": holder_id}, export, context)

    def forget_holder(
        self,
        holder_id: UUID,
        reason: str,
        *,
        context: Context = None,
        idempotency_key: Key = None,
    ) -> None:
        """Erases the holder: records who and why, then destroys their data key."""
        holder_id = check_uuid(holder_id, "holder_id")
        reason = check_text(reason, "reason", REASON_LENGTH)
        keys = self.holder_keys
        self._run(
            "forget_holder",
            {"holder_id": holder_id, "reason": reason},
            lambda unit: unit.get(Holder, holder_id).forget(reason),
            context,
            idempotency_key,
        )
        # After the event is saved (see the module's docstring for a crash in between).
        keys.destroy(holder_id)
