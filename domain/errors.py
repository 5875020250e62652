"""One error hierarchy for paycore, rooted at :class:`PaycoreError`.

Every error carries a stable machine ``code`` (what a host service switches on), a
message a person can act on, and the values involved (``details``). Secrets never go
into any of the three.
"""

from __future__ import annotations

from typing import Any, ClassVar


class PaycoreError(Exception):
    """Base of every error paycore raises on purpose."""

    code: ClassVar[str] = "PAYCORE_ERROR"
    #: True when the refusal itself is recorded as an event (a wrong OTP attempt
    #: counts towards the limit), so the application saves before re-raising.
    records_events: ClassVar[bool] = False

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self.message, self.details))


def _rebuild(cls: type[PaycoreError], message: str, details: dict[str, Any]) -> Any:
    return cls(message, **details)
