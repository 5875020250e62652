"""The checks every command runs on its arguments before it reads or writes anything.

Each check returns the value it accepts, or raises :class:`InvalidArgument` naming the
argument. The bounds are named here, once: the commands pass them to the checks and the
hypothesis strategies (``paycore.domain.testing.strategies``) draw up to them and one past.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID

import attrs
from eventsourcing.persistence import Tracking

from paycore.domain.aggregate import ObjectVersion
from paycore.domain.errors import InvalidArgument

E = TypeVar("E")

# The longest accepted value of each text argument, in characters.

#: ``CommandContext.actor``, ``correlation_id`` and ``causation_id``; idempotency keys.
CONTEXT_TEXT_LENGTH = 200
IDEMPOTENCY_KEY_LENGTH = 200
#: A card account's company and titles (the platform's own limits).
COMPANY_ID_LENGTH = 100
COMPANY_NAME_LENGTH = 256
ACCOUNT_TITLE_LENGTH = 256
ACCOUNT_TYPE_LENGTH = 40
#: Ids and references paycore or the platform make: card ids, load references,
#: transaction ids, remote ids, note ids.
ID_LENGTH = 64
MASKED_NUMBER_LENGTH = 32
OTP_PURPOSE_LENGTH = 40
#: Why a card's block code changed (may be empty) and why a payment failed.
REASON_LENGTH = 200
UTR_LENGTH = 50
B2B_ID_LENGTH = 100
PO_SUBJECT_LENGTH = 200
PAYMENT_TYPE_LENGTH = 40
#: A payment's own remarks (may be empty); B2B remarks have their pattern in ``b2b``.
PAYMENT_REMARKS_LENGTH = 100
#: The name of a consumer of the notification log (``Tracking.application_name``).
CONSUMER_NAME_LENGTH = 100


def invalid(argument: str, expected: str, value: object) -> InvalidArgument:
    msg = f"{argument} must be {expected}, not {type(value).__name__} {value!r:.60}"
    return InvalidArgument(msg, argument=argument)


def check_uuid(value: object, argument: str) -> UUID:
    if not isinstance(value, UUID):
        raise invalid(argument, "a UUID", value)
    return value


def check_text(value: object, argument: str, max_length: int, *, allow_empty: bool = False) -> str:
    """Text a person could type: not blank (unless allowed), no control characters, and
    valid Unicode (a lone surrogate cannot be stored)."""
    if not isinstance(value, str):
        raise invalid(argument, "a string", value)
    if (not allow_empty and not value.strip()) or len(value) > max_length:
        raise invalid(argument, f"1-{max_length} characters, not blank", value)
    if any(ord(c) < 32 for c in value):
        raise invalid(argument, "text without control characters", value)
    try:
        value.encode()
    except UnicodeEncodeError:
        raise invalid(argument, "text that is valid Unicode", value) from None
    return value


def check_optional_text(value: object, argument: str, max_length: int) -> str | None:
    return None if value is None else check_text(value, argument, max_length)


def check_id(value: object, argument: str) -> str:
    """A card id, reference, transaction id, remote id or note id."""
    return check_text(value, argument, ID_LENGTH)


def check_b2b_id(value: object, argument: str) -> str:
    text = check_text(value, argument, B2B_ID_LENGTH)
    if "\\" in text or '"' in text:
        raise invalid(argument, "a B2B id without backslash or double quote", value)
    return text


def check_flag(value: object, argument: str) -> bool:
    if not isinstance(value, bool):
        raise invalid(argument, "True or False", value)
    return value


def check_count(value: object, argument: str, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise invalid(argument, f"a whole number from {minimum}", value)
    return value


def check_aware(value: object, argument: str) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise invalid(argument, "a timezone-aware datetime", value)
    return value


def check_choice(enum: Callable[[Any], E], value: object, argument: str) -> E:
    try:
        return enum(value)
    except (ValueError, TypeError):
        allowed = [m.value for m in enum]  # type: ignore[attr-defined]
        raise invalid(argument, f"one of {allowed}", value) from None


def check_object_version(value: object) -> ObjectVersion | None:
    """An ``ObjectVersion``, a ``(current, new)`` pair, or None (not checked)."""
    if value is None:
        return None
    if isinstance(value, ObjectVersion):
        attrs.validate(value)
        return value
    if isinstance(value, tuple) and len(value) == 2:
        current = check_count(value[0], "object_version.current")
        new = check_count(value[1], "object_version.new")
        return ObjectVersion(current, new)
    raise invalid("object_version", "an ObjectVersion or a (current, new) pair", value)


def check_position(position: object) -> Tracking:
    """A consumer's position in the notification log."""
    if not isinstance(position, Tracking):
        raise invalid("position", "an eventsourcing Tracking", position)
    check_text(position.application_name, "position.application_name", CONSUMER_NAME_LENGTH)
    check_count(position.notification_id, "position.notification_id", minimum=1)
    return position
