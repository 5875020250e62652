"""Cardholders' personal details, checked before anything is stored (issue 15, step 1).

The fields and their patterns are the holder fields of Create Prepaid Card
(https://docs.enkash.com/api-13438387) and Create Gift Card
(https://docs.enkash.com/api-13012983): ``email``, ``mobile`` (``^\\d{10}$``), ``title``,
``firstName``, ``lastName``, ``gender``, the address and ``pincode``, the delivery address
of a physical card (``physicalDeliveryAddressFlag`` and ``delivery*``) and the PAN among
``documents`` (``docType`` ``PAN``).

A refusal names the field and the shape it must have, never the value: the values are
personal data, and errors go into logs (see docs/privacy.md, to come).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

import attrs

from paycore.domain.arguments import text_fault
from paycore.domain.errors import InvalidArgument

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
