r"""Formats shared by the Bharat Connect B2B objects (invoices, purchase orders, notes).

The platform documents B2B free text as ``^([^\\\"]){1,N}$``: 1 to N characters, no
backslash or double quote (https://docs.enkash.com/api-10664764, Confirm Invoice; the
same on every B2B page). paycore also refuses what that pattern lets through but no
person types and not every store keeps: control characters (NUL above all: PostgreSQL
cannot store it) and blank text (see :func:`paycore.domain.arguments.text_fault`).
"""

from __future__ import annotations

import re
from uuid import NAMESPACE_URL, UUID, uuid5

from paycore.domain.arguments import check_b2b_text
from paycore.domain.errors import PaycoreError, RemarksFormat, shown

REMARKS_LENGTH = 100
#: Document numbers (supplier invoice number, buyer PO number).
DOCUMENT_NUMBER_LENGTH = 50


def check_format(
    value: object, pattern: re.Pattern[str], error: type[PaycoreError], argument: str
) -> str:
    """An objectId: ``value`` matches ``pattern`` whole."""
    if not isinstance(value, str) or not pattern.fullmatch(value):
        msg = f"{argument} {shown(value)} does not match {pattern.pattern}"
        raise error(msg, argument=argument, value=shown(value), pattern=pattern.pattern)
    return value


def check_remarks(remarks: object, *, allow_empty: bool = False) -> str:
    """B2B remarks: 1-100 characters of B2B text (empty too, where ``allow_empty``)."""
    return check_b2b_text(
        remarks, "remarks", REMARKS_LENGTH, RemarksFormat, allow_empty=allow_empty
    )


def id_from(kind: str, external_id: str) -> UUID:
    """The aggregate id for an external id: the same object always gets the same id."""
    return uuid5(NAMESPACE_URL, f"paycore:{kind}:{external_id}")
