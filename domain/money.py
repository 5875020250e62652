"""Money: Indian rupees as a Decimal with exactly two places, never a float.

An amount comes in as a ``Decimal``, an ``int`` or a plain decimal string: ASCII digits,
optionally a point and more digits (``"1200"``, ``"1200.5"``, ``"1200.50"``). Anything else
is refused, never guessed at: a float, padding (``" 10.00 "``), a sign (``"+5"``, and
``"-0"``: a signed zero is refused like any negative amount), an exponent (``"1e3"``),
digit separators (``"1_000"``, ``"1,000"``) and digits of other scripts (full-width,
Devanagari, ...).
Trailing zeros past paise are the same amount (``"10.000"`` is ₹10.00); other digits past
paise are refused, never rounded. The largest amount is 9,999,999,999,999.99: fifteen
digits, as the platform's amounts are sent. Arithmetic is exact whatever decimal context
the host sets.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from decimal import Context, Decimal
from typing import Any, ClassVar

import attrs

from paycore.domain.errors import PaycoreError, shown
from paycore.domain.values import Immutable

CURRENCY = "INR"
_PAISE = Decimal("0.01")
#: The largest amount paycore accepts: fifteen digits, two of them paise.
MAX_AMOUNT = Decimal("9999999999999.99")
_AMOUNT_TEXT = re.compile(r"(-?)[0-9]+(?:\.[0-9]+)?")
#: Sums and differences of amounts up to MAX_AMOUNT are exact in it, whatever the
#: thread's own decimal context.
_EXACT = Context(prec=40)


class MoneyError(PaycoreError):
    code: ClassVar[str] = "MONEY_INVALID"


class MoneyPrecisionError(MoneyError):
    code: ClassVar[str] = "MONEY_PRECISION"


class MoneySignError(MoneyError):
    code: ClassVar[str] = "MONEY_SIGN"


class MoneyCurrencyError(MoneyError):
    code: ClassVar[str] = "MONEY_CURRENCY"


def read_amount(value: object, argument: str = "amount") -> Decimal:
    """The amount ``value`` stands for, in paise; more than two decimal places is an
    error, not a rounding. Errors name ``argument`` and show the value."""
    if isinstance(value, str):
        text = _AMOUNT_TEXT.fullmatch(value)
        if text is None:
            raise _refusal(
                MoneyError,
                "is not an amount: write ASCII digits, optionally a point and more digits "
                "(1200.50), with nothing around them",
                argument,
                value,
            )
        if text.group(1):
            raise _negative(argument, value)
        amount = Decimal(value)
    elif isinstance(value, Decimal) or (isinstance(value, int) and not isinstance(value, bool)):
        amount = Decimal(value)
        if not amount.is_finite():
            raise _refusal(MoneyError, "is not a finite amount", argument, value)
        if amount.is_signed():
            raise _negative(argument, value)
    else:
        msg = (
            f"{argument} must be a Decimal, int or numeric string, not "
            f"{type(value).__name__} (floats are never accepted for money)"
        )
        raise MoneyError(msg, argument=argument, value=shown(value))
    if amount > MAX_AMOUNT:
        largest = rupees(MAX_AMOUNT)
        error = _refusal(
            MoneyError, f"is larger than the largest amount, {largest}", argument, value
        )
        error.details["maximum"] = str(MAX_AMOUNT)
        raise error
    paise = amount.quantize(_PAISE, context=_EXACT)
    if paise != amount:
        raise _refusal(
            MoneyPrecisionError,
            "has more than two decimal places; amounts are in whole paise",
            argument,
            value,
        )
    return paise


def _refusal(error: type[MoneyError], why: str, argument: str, value: object) -> MoneyError:
    """The error for ``value``, built only once it is refused (``shown`` is not free)."""
    seen = shown(value)
    return error(f"{argument} {seen} {why}", argument=argument, value=seen)


def _negative(argument: str, value: object) -> MoneyError:
    return _refusal(
        MoneySignError, "is negative; amounts are never negative, not even -0", argument, value
    )


def _by_amount(compare: Callable[[Decimal, Decimal], bool]) -> Callable[[Money, object], bool]:
    def method(self: Money, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented  # type: ignore[no-any-return]  # Python then raises TypeError
        return compare(self.amount, other.amount)

    return method


@attrs.frozen
class Money(Immutable):
    """A non-negative INR amount with exactly two decimal places.

    ``Money("12.5")`` is ₹12.50; ``Money("12.345")``, ``Money(-1)``,
    ``Money(1.5)`` (a float) and ``Money(1, "USD")`` are errors.
    """

    amount: Decimal = attrs.field(converter=read_amount)
    currency: str = attrs.field(default=CURRENCY)

    @currency.validator
    def _check_currency(self, _: Any, currency: str) -> None:
        if currency != CURRENCY:
            msg = f"currency {shown(currency)} is not supported; paycore works in {CURRENCY}"
            raise MoneyCurrencyError(msg, currency=shown(currency))

    ZERO: ClassVar[Money]

    @classmethod
    def positive(cls, value: object, argument: str = "amount") -> Money:
        """An amount that must be above zero; errors name ``argument``."""
        money = cls.of(value, argument)
        if money.amount == 0:
            msg = f"{argument} must be greater than zero"
            raise MoneySignError(msg, argument=argument, value=shown(value))
        return money

    @classmethod
    def of(cls, value: object, argument: str = "amount") -> Money:
        """Accepts a Money as it is, or reads an amount; errors name ``argument``."""
        return value if isinstance(value, Money) else cls(read_amount(value, argument))

    # Ordered by amount alone (the currency is always INR), without the tuples that
    # attrs' generated comparisons build: money is compared in every rule.
    __lt__ = _by_amount(operator.lt)
    __le__ = _by_amount(operator.le)
    __gt__ = _by_amount(operator.gt)
    __ge__ = _by_amount(operator.ge)

    def __add__(self, other: Money) -> Money:
        return Money(_EXACT.add(self.amount, other.amount))

    def __sub__(self, other: Money) -> Money:
        """Subtraction that would go below zero is an error: money never goes negative."""
        return Money(_EXACT.subtract(self.amount, other.amount))

    def __bool__(self) -> bool:
        return self.amount != 0

    def __str__(self) -> str:
        """The plain decimal that JSON and error ``details`` carry (``"6800.00"``); a
        person reads :func:`rupees` instead."""
        return str(self.amount)


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
