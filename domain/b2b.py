"""Formats shared by the Bharat Connect B2B objects (invoices, purchase orders, notes)."""

from __future__ import annotations

import re
from uuid import NAMESPACE_URL, UUID, uuid5

from paycore.domain.errors import PaycoreError, RemarksFormat

REMARKS_LENGTH = 100
DOCUMENT_NUMBER_LENGTH = 50
#: Free text on B2B messages: 1-100 characters, no backslash or double quote.
REMARKS = re.compile(rf'[^\\"]{{1,{REMARKS_LENGTH}}}')
#: Document numbers (supplier invoice number, buyer PO number): 1-50 such characters.
DOCUMENT_NUMBER = re.compile(rf'[^\\"]{{1,{DOCUMENT_NUMBER_LENGTH}}}')


def check_format(
    value: object, pattern: re.Pattern[str], error: type[PaycoreError], what: str
) -> str:
    if not isinstance(value, str) or not pattern.fullmatch(value) or not _encodable(value):
        msg = f"{what} {value!r:.120} does not match {pattern.pattern}"
        raise error(msg, value=repr(value)[:120], pattern=pattern.pattern)
    return value


def _encodable(text: str) -> bool:
    """Whether a store can keep the text (a lone surrogate is not Unicode text)."""
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def check_remarks(remarks: object) -> str:
    return check_format(remarks, REMARKS, RemarksFormat, "remarks")


def id_from(kind: str, external_id: str) -> UUID:
    """The aggregate id for an external id: the same object always gets the same id."""
    return uuid5(NAMESPACE_URL, f"paycore:{kind}:{external_id}")
