"""Tamper evidence: a SHA-256 hash chain over the stored events in their total order.

Each link is ``h_n = SHA256(h_{n-1} || canonical_n)``, where ``canonical_n`` is the
stored event at position ``n`` exactly as the store holds it (position, originator id,
version, topic, state bytes), and ``h_0`` is a fixed genesis value. The links are kept
in their own table, extended by the projector like a view but never dropped by a
rebuild. A :class:`Digest` (position and head hash, signed with HMAC-SHA256 or Ed25519)
exported now and kept elsewhere lets :func:`verify` prove later that nothing at or
before that position has changed, even if whoever changed the events rewrote the
links as well.
"""

from __future__ import annotations

import hashlib
import hmac
import struct
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, ClassVar
from uuid import UUID

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from eventsourcing.persistence import ApplicationRecorder, Notification

from paycore.domain.errors import InvalidArgument
from paycore.projections.store import Rows, ViewStore
from paycore.projections.tables import Table
from paycore.projections.views import Recorded, View, new_row

GENESIS = hashlib.sha256(b"paycore.hash-chain.v1").digest()
HMAC_SHA256 = "HMAC-SHA256"
ED25519 = "Ed25519"
#: Events and links read per query while verifying.
PAGE = 1000

SigningKey = bytes | Ed25519PrivateKey
VerifyingKey = bytes | Ed25519PublicKey | Ed25519PrivateKey


@dataclass(frozen=True)
class ChainLink:
    position: int
    digest: bytes


CHAIN = Table("paycore_hash_chain", ChainLink, key=("position",))


def canonical(notification: Notification) -> bytes:
    """The bytes of a stored event that the chain covers, each field length-prefixed."""
    originator_id = notification.originator_id
    originator = (
        originator_id.bytes if isinstance(originator_id, UUID) else str(originator_id).encode()
    )
    topic = notification.topic.encode()
    return b"".join(
        (
            struct.pack(">QI", notification.id, len(originator)),
            originator,
            struct.pack(">QI", notification.originator_version, len(topic)),
            topic,
            struct.pack(">I", len(notification.state)),
            notification.state,
        )
    )


def link(previous: bytes, notification: Notification) -> bytes:
    return hashlib.sha256(previous + canonical(notification)).digest()


class HashChainView(View):
    """Extends the chain over each batch; a rebuild of the views leaves it alone, since
    recomputing it from the store as it is now would launder any tampering."""

    name = "paycore.hash_chain"
    tables = (CHAIN,)
    rebuildable: ClassVar[bool] = False

    def project(self, batch: Sequence[Recorded], rows: Rows) -> None:
        head = rows.last(CHAIN)
        digest = GENESIS if head is None else head.digest
        for recorded in batch:
            digest = link(digest, recorded.notification)
            rows.put(CHAIN, new_row(ChainLink, position=recorded.position, digest=digest))


# Digests.


def _message(position: int, head: str) -> bytes:
    return f"paycore.hash-chain.v1:{position}:{head}".encode()


@dataclass(frozen=True)
class Digest:
    """The chain's head at one position, signed; JSON-able through :meth:`to_json`."""

    position: int
    head: str
    algorithm: str
    signature: str

    @classmethod
    def sign(cls, position: int, head: bytes, key: SigningKey) -> Digest:
        message = _message(position, head.hex())
        if isinstance(key, Ed25519PrivateKey):
            return cls(position, head.hex(), ED25519, key.sign(message).hex())
        signature = hmac.new(key, message, hashlib.sha256).hexdigest()
        return cls(position, head.hex(), HMAC_SHA256, signature)

    def is_signed_with(self, key: VerifyingKey) -> bool:
        message = _message(self.position, self.head)
        if self.algorithm == HMAC_SHA256 and isinstance(key, bytes):
            expected = hmac.new(key, message, hashlib.sha256).hexdigest()
            return hmac.compare_digest(expected, self.signature)
        if self.algorithm == ED25519 and not isinstance(key, bytes):
            public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
            try:
                public.verify(bytes.fromhex(self.signature), message)
            except (InvalidSignature, ValueError):
                return False
            return True
        return False

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Digest:
        return cls(
            position=int(data["position"]),
            head=str(data["head"]),
            algorithm=str(data["algorithm"]),
            signature=str(data["signature"]),
        )


@dataclass(frozen=True)
class Verification:
    """What :func:`verify` found: ``ok``, or the first position that is not as chained."""

    ok: bool
    #: The last position whose event matched the chain.
    checked_position: int
    first_bad_position: int | None
    reason: str
    #: The last position in the store when the check began; events after
    #: ``checked_position`` are not chained yet (the projector chains them).
    stored_position: int = 0


def head(store: ViewStore) -> ChainLink | None:
    """The last link of the recorded chain."""
    links = store.select(CHAIN, descending=True, limit=1)
    return links[0] if links else None


def _events(recorder: ApplicationRecorder) -> Iterator[Notification]:
    after = 0
    while page := recorder.select_notifications(after, PAGE, inclusive_of_start=False):
        yield from page
        after = page[-1].id


def _links(store: ViewStore) -> Iterator[ChainLink]:
    after = 0
    while page := store.select(CHAIN, ("position", ">", after), limit=PAGE):
        yield from page
        after = page[-1].position


def verify(
    recorder: ApplicationRecorder,
    store: ViewStore,
    digest: Digest | None = None,
    key: VerifyingKey | None = None,
) -> Verification:
    """Recomputes the chain from the stored events and compares it with the recorded
    links, then (if given) with the digest, whose signature ``key`` must check."""
    stored = recorder.max_notification_id() or 0
    if digest is not None:
        if key is None:
            msg = "a digest is verified with the key it was signed with (or its public key)"
            raise InvalidArgument(msg, argument="key", expected="the digest's signing key")
        if not digest.is_signed_with(key):
            reason = "the digest's signature does not match the key"
            return Verification(False, 0, None, reason, stored)
    events, links = _events(recorder), _links(store)
    previous, checked = GENESIS, 0
    at_digest = GENESIS if digest is not None and digest.position == 0 else None
    for chained in links:
        event = next(events, None)
        bad = _first_difference(previous, event, chained)
        if bad is not None:
            return Verification(False, checked, *bad, stored)
        assert event is not None
        previous, checked = chained.digest, chained.position
        if digest is not None and checked == digest.position:
            at_digest = previous
    if digest is not None and (at_digest is None or at_digest.hex() != digest.head):
        reason = (
            f"the chain at position {digest.position} is not the one the digest signed: "
            "events at or before it were changed, removed or inserted, and the links "
            "rewritten to match"
        )
        return Verification(False, checked, digest.position, reason, stored)
    reason = f"the events up to position {checked} match"
    if digest is not None:
        reason += " the signed digest"
    if stored > checked:
        reason += f"; those after it, up to {stored}, are not chained yet"
    return Verification(True, checked, None, reason, stored)


def _first_difference(
    previous: bytes, event: Notification | None, chained: ChainLink
) -> tuple[int, str] | None:
    if event is None or event.id > chained.position:
        return chained.position, f"the event at position {chained.position} is missing"
    if event.id < chained.position:
        return event.id, f"the event at position {event.id} was never chained: inserted"
    if link(previous, event) != chained.digest:
        reason = (
            f"the event at position {event.id} differs from the one chained there: "
            "changed or moved (or the link itself was changed)"
        )
        return event.id, reason
    return None
