"""Cardholders' personal data: their details, checked before anything is stored; the
encryption of each field under its holder's data key; what views show of a field.

The fields and their patterns are the holder fields of Create Prepaid Card
(https://docs.enkash.com/api-13438387) and Create Gift Card
(https://docs.enkash.com/api-13012983): ``email``, ``mobile`` (``^\\d{10}$``), ``title``,
``firstName``, ``lastName``, ``gender``, the address and ``pincode``, the delivery address
of a physical card (``physicalDeliveryAddressFlag`` and ``delivery*``) and the PAN among
``documents`` (``docType`` ``PAN``). The holder aggregate is :mod:`paycore.domain.holder`.

A refusal names the field and the shape it must have, never the value: the values are
personal data, and errors go into logs (see docs/privacy.md).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Final, Protocol
from uuid import UUID

import attrs
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from paycore.domain.arguments import text_fault
from paycore.domain.errors import ConfigurationError, InvalidArgument

#: The documented patterns (Create Prepaid Card, https://docs.enkash.com/api-13438387).
MOBILE: Final = re.compile(r"\d{10}")
EMAIL: Final = re.compile(r"[a-zA-Z0-9._%+-]+@[a-zA-Z0-9.-]+\.[a-zA-Z]{2,}")
PAN: Final = re.compile(r"[A-Z]{5}[0-9]{4}[A-Z]")
PINCODE: Final = re.compile(r"[1-9][0-9]{5}")
NAME_LENGTH: Final = 100
ADDRESS_LENGTH: Final = 200
EMAIL_LENGTH: Final = 254

#: Every personal field a holder may have, in the platform's order.
ADDRESS_FIELDS: Final = ("address", "address2", "city", "state", "country", "pincode")
DELIVERY_FIELDS: Final = (
    "delivery_address",
    "delivery_address2",
    "delivery_city",
    "delivery_state",
    "delivery_country",
    "delivery_pincode",
)
FIELDS: Final = (
    "title",
    "first_name",
    "last_name",
    "gender",
    "email",
    "mobile",
    "pan",
    *ADDRESS_FIELDS,
    *DELIVERY_FIELDS,
)
#: Without these a physical card cannot be delivered.
DELIVERY_REQUIRED: Final = (
    "delivery_address",
    "delivery_city",
    "delivery_state",
    "delivery_pincode",
)
PATTERNS: Final = {
    "email": (EMAIL, "an email address"),
    "mobile": (MOBILE, "10 digits"),
    "pan": (PAN, "a PAN: 5 capital letters, 4 digits, 1 capital letter"),
    "pincode": (PINCODE, "a pincode: 6 digits, the first not 0"),
    "delivery_pincode": (PINCODE, "a pincode: 6 digits, the first not 0"),
}
GENDERS: Final = frozenset({"M", "F", "O"})


def _refuse(field: str, expected: str) -> InvalidArgument:
    # the value is personal data: the refusal names only the field and its shape
    return InvalidArgument(f"{field} must be {expected}", argument=field, expected=expected)


def check_field(field: str, value: object) -> str:
    """``value`` for the personal field ``field``, checked; else INVALID_ARGUMENT."""
    if field not in FIELDS:
        raise InvalidArgument(
            f"{field!r} is not a holder field", argument="details", expected=list(FIELDS)
        )
    if not isinstance(value, str):
        raise _refuse(field, "a string")
    if field in PATTERNS:
        pattern, expected = PATTERNS[field]
        if (field == "email" and len(value) > EMAIL_LENGTH) or not pattern.fullmatch(value):
            raise _refuse(field, expected)
        return value
    if field == "gender":
        if value not in GENDERS:
            raise _refuse(field, "one of F, M, O")
        return value
    limit = NAME_LENGTH if field in {"title", "first_name", "last_name"} else ADDRESS_LENGTH
    fault = text_fault(value, limit, allow_empty=False, forbidden='\\"')
    if fault is not None:
        raise _refuse(field, fault)
    return value


@attrs.frozen(repr=False)
class HolderDetails:
    """A holder's personal details (every field optional, as on the platform), checked.

    Its ``repr`` shows the field names only, never a value.
    """

    values: Mapping[str, str]

    @classmethod
    def of(cls, details: object, *, physical_card: bool = False) -> HolderDetails:
        if not isinstance(details, Mapping):
            raise InvalidArgument(
                "details must be a mapping of holder fields",
                argument="details",
                expected="a mapping",
            )
        checked = {str(f): check_field(str(f), v) for f, v in details.items() if v is not None}
        if not checked.get("first_name"):
            raise _refuse("first_name", "given: a holder has a name")
        if physical_card:
            check_delivery(checked)
        return cls(dict(sorted(checked.items(), key=lambda item: FIELDS.index(item[0]))))

    def __repr__(self) -> str:
        return f"HolderDetails(fields={list(self.values)})"

    def corrected(self, changes: Mapping[str, object]) -> HolderDetails:
        """These details with ``changes`` applied (None removes a field), checked again."""
        merged: dict[str, object] = dict(self.values)
        for field, value in changes.items():
            if value is None:
                merged.pop(str(field), None)
            else:
                merged[str(field)] = value
        return HolderDetails.of(merged)


def check_delivery(details: Mapping[str, str]) -> None:
    """A physical card needs a delivery address: every field of DELIVERY_REQUIRED."""
    missing = [f for f in DELIVERY_REQUIRED if not details.get(f)]
    if missing:
        raise InvalidArgument(
            "a physical card needs a delivery address: " + ", ".join(missing) + " missing",
            argument="details",
            missing=missing,
        )


# Encryption per person: the primitives, with no I/O. Each
# personal field is AES-GCM ciphertext under its holder's data key, bound to the holder
# id and the field name (associated data); data keys are kept only wrapped by a master
# key (a KeyProvider: the env var PAYCORE_MASTER_KEY, or a host's KMS).

MASTER_KEY_BYTES: Final = 32
DATA_KEY_BYTES: Final = 32
NONCE_BYTES: Final = 12


class KeyProvider(Protocol):
    """Wraps and unwraps holders' data keys; a host backs it with its KMS."""

    def wrap(self, holder_id: UUID, data_key: bytes) -> bytes: ...

    def unwrap(self, holder_id: UUID, wrapped: bytes) -> bytes: ...


class MasterKey:
    """A :class:`KeyProvider` holding a 32-byte master key (AES-GCM key wrapping, the
    wrapped key bound to its holder id). Its ``repr`` never shows the key."""

    def __init__(self, key: bytes) -> None:
        if not isinstance(key, bytes) or len(key) != MASTER_KEY_BYTES:
            raise ConfigurationError(
                f"the master key must be {MASTER_KEY_BYTES} bytes",
                setting="PAYCORE_MASTER_KEY",
                expected=f"{MASTER_KEY_BYTES} bytes",
            )
        self._aead = AESGCM(key)

    @classmethod
    def from_hex(cls, text: str) -> MasterKey:
        """The master key from 64 hex digits (how PAYCORE_MASTER_KEY holds it)."""
        try:
            key = bytes.fromhex(text)
        except ValueError:
            key = b""
        if len(key) != MASTER_KEY_BYTES:
            raise ConfigurationError(
                f"PAYCORE_MASTER_KEY must be {2 * MASTER_KEY_BYTES} hex digits",
                setting="PAYCORE_MASTER_KEY",
                expected=f"{2 * MASTER_KEY_BYTES} hex digits",
            )
        return cls(key)

    def __repr__(self) -> str:
        return "MasterKey(<hidden>)"

    def wrap(self, holder_id: UUID, data_key: bytes) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, data_key, b"paycore.key:" + holder_id.bytes)

    def unwrap(self, holder_id: UUID, wrapped: bytes) -> bytes:
        nonce, sealed = wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:]
        return self._aead.decrypt(nonce, sealed, b"paycore.key:" + holder_id.bytes)


def new_data_key() -> bytes:
    return AESGCM.generate_key(bit_length=8 * DATA_KEY_BYTES)


def _associated(holder_id: UUID, field: str) -> bytes:
    return b"paycore.holder:" + holder_id.bytes + b":" + field.encode()


def seal(data_key: bytes, holder_id: UUID, field: str, value: str) -> bytes:
    """``value`` of ``field`` as nonce + AES-GCM ciphertext, bound to holder and field."""
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(data_key).encrypt(nonce, value.encode(), _associated(holder_id, field))


@attrs.frozen
class Erased:
    """What a personal field reads as once its holder was forgotten (never a crash)."""

    field: str

    def __str__(self) -> str:
        return "<erased>"


def open_sealed(data_key: bytes | None, holder_id: UUID, field: str, sealed: bytes) -> str | Erased:
    """The clear value of a sealed field; :class:`Erased` when the key is gone (None)."""
    if data_key is None:
        return Erased(field)
    nonce, body = sealed[:NONCE_BYTES], sealed[NONCE_BYTES:]
    return AESGCM(data_key).decrypt(nonce, body, _associated(holder_id, field)).decode()


#: The setting the master key is read from (64 hex digits).
MASTER_KEY_VARIABLE: Final = "PAYCORE_MASTER_KEY"


class DataKeys(Protocol):
    """Holders' data keys as the application uses them (``HolderKeys`` in the
    persistence adapters): created at registration, destroyed when forgotten."""

    def create(self, holder_id: UUID) -> bytes: ...

    def get(self, holder_id: UUID) -> bytes | None: ...

    def destroy(self, holder_id: UUID) -> bool: ...

    def close(self) -> None: ...


# What views and the CLI show of a field: enough to recognise a person
# on a call, never enough to contact or identify them. The clear value comes only from an
# explicit call (``holder_details``, ``export_holder``).

#: Fields shown by their first letter only.
INITIAL_FIELDS: Final = frozenset({"first_name", "last_name"})
HIDDEN: Final = "***"


def mask(field: str, value: str) -> str:
    """``value`` of ``field`` partly hidden: a PAN ``ABCDE****F``, a mobile ``******3210``,
    an email ``a***@example.com``, a pincode ``411***``, a name ``A***``; every other
    field (title, gender, address lines) ``***``."""
    if field == "pan":
        return value[:5] + "*" * (len(value) - 6) + value[-1:]
    if field == "mobile":
        return "*" * (len(value) - 4) + value[-4:]
    if field == "email":
        local, _, domain = value.partition("@")
        return f"{local[:1]}{HIDDEN}@{domain}"
    if field in {"pincode", "delivery_pincode"}:
        return value[:3] + HIDDEN
    if field in INITIAL_FIELDS:
        return value[:1] + HIDDEN
    return HIDDEN
