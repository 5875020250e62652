"""The checks every command runs on its arguments before it reads or writes anything.

Each check returns the value it accepts, or raises :class:`InvalidArgument` naming the
argument. The bounds are named here, once: the commands pass them to the checks and the
hypothesis strategies (``paycore.domain.testing.strategies``) draw up to them and one past.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from uuid import UUID

import attrs
from eventsourcing.persistence import Tracking

from paycore.domain.aggregate import ObjectVersion
from paycore.domain.errors import InvalidArgument, PaycoreError, shown

E = TypeVar("E")

# The longest accepted value of each text argument, in characters.

#: ``CommandContext.actor``, ``correlation_id`` and ``causation_id``; idempotency keys.
CONTEXT_TEXT_LENGTH = 200
IDEMPOTENCY_KEY_LENGTH = 200
#: A card account's company and titles: what the platform's card-account request takes.
COMPANY_ID_LENGTH = 100
COMPANY_NAME_LENGTH = 100
ACCOUNT_TITLE_LENGTH = 100
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
#: The name of a consumer of the notification log (``Tracking.application_name``).
CONSUMER_NAME_LENGTH = 100

#: Control characters (C0, DEL and C1): no text argument holds one. No person types them,
#: and PostgreSQL cannot store NUL in text at all.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
#: What the platform's B2B text and ids never hold (``^([^\\\"]){1,100}$``, on
#: https://docs.enkash.com/api-10664764 and every B2B page); paycore's ids follow it too,
#: since they go out as references and objectIds.
PLATFORM_FORBIDDEN = '\\"'

#: The largest whole number every store keeps (PostgreSQL BIGINT, SQLite INTEGER).
STORED_INT_MAX = 2**63 - 1
#: The instants paycore accepts: a day inside Python's range at either end, so that each
#: has a date in every time zone (any offset is less than a day).
EARLIEST_INSTANT = datetime.min.replace(tzinfo=UTC) + timedelta(days=1)
LATEST_INSTANT = datetime.max.replace(tzinfo=UTC) - timedelta(days=1)


def invalid(
    argument: str, expected: str, value: object, error: type[PaycoreError] = InvalidArgument
) -> PaycoreError:
    """The refusal of ``value`` for ``argument``: it names both, and what was expected."""
    msg = f"{argument} must be {expected}, not {type(value).__name__} {shown(value)}"
    return error(msg, argument=argument, value=shown(value))


def check_uuid(value: object, argument: str) -> UUID:
    if not isinstance(value, UUID):
        raise invalid(argument, "a UUID", value)
    return value


def text_fault(value: str, max_length: int, *, allow_empty: bool, forbidden: str) -> str | None:
    """What ``value`` must be and is not, as text a person could type (None: it is).

    Text is 1 to ``max_length`` characters, not blank (unless ``allow_empty``: then it
    may also be empty), with no control character, none of ``forbidden``, and valid
    Unicode (a lone surrogate cannot be stored).
    """
    if len(value) > max_length or not (value.strip() or (allow_empty and not value)):
        shape = "empty or " if allow_empty else ""
        return f"{shape}1-{max_length} characters, not blank"
    if CONTROL_CHARACTERS.search(value):
        return "text without control characters"
    if forbidden and any(c in value for c in forbidden):
        return f"text without any of {forbidden}"
    try:
        value.encode()
    except UnicodeEncodeError:
        return "text that is valid Unicode"
    return None


def check_text(
    value: object,
    argument: str,
    max_length: int,
    *,
    allow_empty: bool = False,
    forbidden: str = "",
    error: type[PaycoreError] = InvalidArgument,
) -> str:
    """Text a person could type (see :func:`text_fault`); else ``error``."""
    if not isinstance(value, str):
        raise invalid(argument, "a string", value, error)
    fault = text_fault(value, max_length, allow_empty=allow_empty, forbidden=forbidden)
    if fault is not None:
        raise invalid(argument, fault, value, error)
    return value


def check_optional_text(value: object, argument: str, max_length: int) -> str | None:
    return None if value is None else check_text(value, argument, max_length)


def check_id(value: object, argument: str) -> str:
    """A card id, reference, transaction id, remote id or note id: 1-64 characters,
    without the platform's forbidden backslash and double quote."""
    return check_text(value, argument, ID_LENGTH, forbidden=PLATFORM_FORBIDDEN)


def check_b2b_id(value: object, argument: str) -> str:
    return check_b2b_text(value, argument, B2B_ID_LENGTH)


def check_b2b_text(
    value: object,
    argument: str,
    max_length: int,
    error: type[PaycoreError] = InvalidArgument,
    *,
    allow_empty: bool = False,
) -> str:
    """Text of a B2B object (remarks, document numbers, subjects, B2B ids): text a person
    could type, without the platform's forbidden backslash and double quote."""
    return check_text(
        value, argument, max_length, allow_empty=allow_empty, forbidden=PLATFORM_FORBIDDEN,
        error=error,
    )  # fmt: skip


def check_flag(value: object, argument: str) -> bool:
    if not isinstance(value, bool):
        raise invalid(argument, "True or False", value)
    return value


def check_count(value: object, argument: str, *, minimum: int = 0, maximum: int) -> int:
    """A whole number from ``minimum`` to ``maximum``; never a bool."""
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
        raise invalid(argument, f"a whole number from {minimum} to {maximum}", value)
    return value


def check_aware(value: object, argument: str) -> datetime:
    """A timezone-aware instant from EARLIEST_INSTANT to LATEST_INSTANT, returned in UTC
    (the same instant: a zone's offset is not kept)."""
    expected = f"a timezone-aware datetime from {EARLIEST_INSTANT} to {LATEST_INSTANT}"
    if not isinstance(value, datetime):
        raise invalid(argument, expected, value)
    try:
        instant = None if value.utcoffset() is None else value.astimezone(UTC)
    except (ValueError, TypeError, OverflowError):
        instant = None
    if instant is None or not EARLIEST_INSTANT <= instant <= LATEST_INSTANT:
        raise invalid(argument, expected, value)
    return datetime.combine(instant.date(), instant.time(), UTC)


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
        return ObjectVersion(*value)
    raise invalid("object_version", "an ObjectVersion or a (current, new) pair", value)


def check_position(position: object) -> Tracking:
    """A consumer's position in the notification log."""
    if not isinstance(position, Tracking):
        raise invalid("position", "an eventsourcing Tracking", position)
    check_text(position.application_name, "position.application_name", CONSUMER_NAME_LENGTH)
    check_count(
        position.notification_id, "position.notification_id", minimum=1, maximum=STORED_INT_MAX
    )
    return position
