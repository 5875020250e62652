"""What the value objects of the domain share."""

from __future__ import annotations

from typing import Any, Self


class Immutable:
    """A value that never changes after construction, so a copy of it is itself.

    The aggregate cache hands out deep copies of aggregates; their values (amounts,
    cards, tallies, OTP challenges) need not be copied again. Subclasses are frozen attrs
    classes whose fields are never mutated in place either.
    """

    __slots__ = ()

    def __copy__(self) -> Self:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Self:
        return self
