"""Money: Indian rupees as a Decimal with exactly two places, never a float."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar

import attrs

from paycore.domain.errors import PaycoreError
from paycore.domain.values import Immutable

CURRENCY = "INR"
_PAISE = Decimal("0.01")


class MoneyError(PaycoreError):
    code: ClassVar[str] = "MONEY_INVALID"


class MoneyPrecisionError(MoneyError):
    code: ClassVar[str] = "MONEY_PRECISION"


class MoneySignError(MoneyError):
    code: ClassVar[str] = "MONEY_SIGN"


class MoneyCurrencyError(MoneyError):
    code: ClassVar[str] = "MONEY_CURRENCY"


def _to_amount(value: object) -> Decimal:
    """Reads an amount exactly; more than two decimal places is an error, not a rounding."""
    if isinstance(value, bool) or not isinstance(value, (Decimal, int, str)):
        msg = (
            f"an amount must be a Decimal, int or numeric string, not "
            f"{type(value).__name__} (floats are never accepted for money)"
        )
        raise MoneyError(msg, amount=repr(value))
    try:
        amount = Decimal(value.strip() if isinstance(value, str) else value)
    except InvalidOperation:
        msg = f"{value!r} is not a number"
        raise MoneyError(msg, amount=repr(value)) from None
    if not amount.is_finite():
        msg = f"{value!r} is not a finite amount"
        raise MoneyError(msg, amount=repr(value))
    exponent = amount.as_tuple().exponent
    assert isinstance(exponent, int)
    if exponent < -2 and amount != amount.quantize(_PAISE):
        msg = f"{value} has more than two decimal places; amounts are in whole paise"
        raise MoneyPrecisionError(msg, amount=str(value))
    if amount < 0:
        msg = f"{value} is negative; amounts are never negative"
        raise MoneySignError(msg, amount=str(value))
    if amount > Decimal("1e13"):
        msg = f"{value} is larger than any amount paycore accepts (10^13 rupees)"
        raise MoneyError(msg, amount=str(value))
    return amount.quantize(_PAISE)


@attrs.frozen(order=True)
class Money(Immutable):
    """A non-negative INR amount with exactly two decimal places.

    ``Money("12.5")`` is ₹12.50; ``Money("12.345")``, ``Money(-1)``,
    ``Money(1.5)`` (a float) and ``Money(1, "USD")`` are errors.
    """

    amount: Decimal = attrs.field(converter=_to_amount)
    currency: str = attrs.field(default=CURRENCY)

    @currency.validator
    def _check_currency(self, _: Any, currency: str) -> None:
        if currency != CURRENCY:
            msg = f"currency {currency!r} is not supported; paycore works in {CURRENCY}"
            raise MoneyCurrencyError(msg, currency=currency)

    ZERO: ClassVar[Money]

    @classmethod
    def positive(cls, value: object) -> Money:
        """An amount that must be above zero."""
        money = cls.of(value)
        if money.amount == 0:
            msg = "the amount must be greater than zero"
            raise MoneySignError(msg, amount=str(money))
        return money

    @classmethod
    def of(cls, value: object) -> Money:
        """Accepts a Money as it is, or reads an amount."""
        return value if isinstance(value, Money) else cls(value)

    def __add__(self, other: Money) -> Money:
        return Money(self.amount + other.amount)

    def __sub__(self, other: Money) -> Money:
        """Subtraction that would go below zero is an error: money never goes negative."""
        return Money(self.amount - other.amount)

    def __bool__(self) -> bool:
        return self.amount != 0

    def __str__(self) -> str:
        return f"₹{self.amount}"


Money.ZERO = Money(0)


def total(amounts: Any) -> Money:
    """The sum of some amounts (zero for none)."""
    result = Money.ZERO
    for amount in amounts:
        result += amount
    return result


def rupees(amount: Money | Decimal) -> str:
    """An amount as a person in India reads it: ``₹23,60,000.00`` (the last three digits
    of the rupees, then pairs: thousands, lakhs, crores)."""
    value = amount.amount if isinstance(amount, Money) else amount
    sign = "-" if value < 0 else ""
    whole, _, paise = f"{abs(value):.2f}".partition(".")
    head, tail = whole[:-3], whole[-3:]
    pairs = [head[max(end - 2, 0) : end] for end in range(len(head), 0, -2)]
    return f"{sign}₹{','.join([*reversed(pairs), tail])}.{paise}"
