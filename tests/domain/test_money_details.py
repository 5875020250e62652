"""Money's refusals: each code, its details and its message, at the boundaries on both
sides (issue 16: the survivors of money.py changed only messages and details)."""

from __future__ import annotations

import operator
from decimal import Decimal
from typing import Any

import pytest

from paycore.domain.errors import PaycoreError
from paycore.domain.money import (
    MAX_AMOUNT,
    Money,
    MoneyCurrencyError,
    MoneyError,
    MoneyPrecisionError,
    MoneySignError,
    read_amount,
    rupees,
    total,
)


def refusal(call: Any, *args: Any) -> PaycoreError:
    with pytest.raises(PaycoreError) as raised:
        call(*args)
    return raised.value


@pytest.mark.parametrize(
    ("value", "error", "details", "message"),
    [
        (
            "1.2.3",
            MoneyError,
            {"value": "'1.2.3'"},
            "amt '1.2.3' is not an amount: write ASCII digits, optionally a point and more "
            "digits (1200.50), with nothing around them",
        ),
        (
            "-1",
            MoneySignError,
            {"value": "'-1'"},
            "amt '-1' is negative; amounts are never negative, not even -0",
        ),
        (
            Decimal("-0"),
            MoneySignError,
            {"value": "Decimal('-0')"},
            "amt Decimal('-0') is negative; amounts are never negative, not even -0",
        ),
        (
            -1,
            MoneySignError,
            {"value": "-1"},
            "amt -1 is negative; amounts are never negative, not even -0",
        ),
        (
            Decimal("NaN"),
            MoneyError,
            {"value": "Decimal('NaN')"},
            "amt Decimal('NaN') is not a finite amount",
        ),
        (
            Decimal("Infinity"),
            MoneyError,
            {"value": "Decimal('Infinity')"},
            "amt Decimal('Infinity') is not a finite amount",
        ),
        (
            1.5,
            MoneyError,
            {"value": "1.5"},
            "amt must be a Decimal, int or numeric string, not float (floats are never "
            "accepted for money)",
        ),
        (
            True,
            MoneyError,
            {"value": "True"},
            "amt must be a Decimal, int or numeric string, not bool (floats are never "
            "accepted for money)",
        ),
        (
            "1.001",
            MoneyPrecisionError,
            {"value": "'1.001'"},
            "amt '1.001' has more than two decimal places; amounts are in whole paise",
        ),
        (
            "10000000000000.00",
            MoneyError,
            {"value": "'10000000000000.00'", "maximum": "9999999999999.99"},
            "amt '10000000000000.00' is larger than the largest amount, ₹99,99,99,99,99,999.99",
        ),
    ],
)
def test_each_refusal_has_its_code_details_and_message(
    value: object, error: type[PaycoreError], details: dict[str, str], message: str
) -> None:
    refused = refusal(read_amount, value, "amt")
    assert type(refused) is error
    assert refused.details == {"argument": "amt", **details}
    assert refused.message == message
    assert str(refused) == f"{error.code}: {message}"


def test_the_codes_are_the_documented_ones() -> None:
    assert MoneyError.code == "MONEY_INVALID"
    assert MoneyPrecisionError.code == "MONEY_PRECISION"
    assert MoneySignError.code == "MONEY_SIGN"
    assert MoneyCurrencyError.code == "MONEY_CURRENCY"


def test_the_default_argument_name_is_amount() -> None:
    assert refusal(read_amount, "x").details["argument"] == "amount"
    assert refusal(Money.of, "x").details["argument"] == "amount"
    assert refusal(Money.positive, "0").details["argument"] == "amount"


def test_the_largest_amount_is_accepted_and_one_paisa_more_is_not() -> None:
    assert Decimal("9999999999999.99") == MAX_AMOUNT
    assert Money(MAX_AMOUNT).amount == MAX_AMOUNT
    assert Money("9999999999999.99").amount == MAX_AMOUNT
    over = refusal(Money, "10000000000000")
    assert over.code == "MONEY_INVALID"
    assert over.details["maximum"] == "9999999999999.99"
    refusal(Money, MAX_AMOUNT + Decimal("0.01"))


def test_two_places_are_accepted_and_a_third_is_not_even_as_zero_paise() -> None:
    assert Money("0.01").amount == Decimal("0.01")
    assert Money("1.10").amount.as_tuple().exponent == -2
    assert Money(Decimal("1.100")).amount == Decimal("1.10")  # trailing zero: same paise
    assert refusal(Money, "0.001").code == "MONEY_PRECISION"


def test_positive_refuses_zero_with_its_details_and_accepts_one_paisa() -> None:
    zero = refusal(Money.positive, "0", "fee")
    assert type(zero) is MoneySignError
    assert zero.details == {"argument": "fee", "value": "'0'"}
    assert zero.message == "fee must be greater than zero"
    assert Money.positive("0.01", "fee") == Money("0.01")
    assert refusal(Money.positive, "-0.01", "fee").details == {
        "argument": "fee",
        "value": "'-0.01'",
    }


def test_of_keeps_a_money_and_names_the_argument_of_a_bad_value() -> None:
    money = Money("5")
    assert Money.of(money) is money
    assert Money.of("5", "x") == money
    assert refusal(Money.of, "5.001", "price").details == {"argument": "price", "value": "'5.001'"}


def test_another_currency_is_refused_with_its_details() -> None:
    refused = refusal(Money, 1, "USD")
    assert type(refused) is MoneyCurrencyError
    assert refused.details == {"currency": "'USD'"}
    assert refused.message == "currency 'USD' is not supported; paycore works in INR"
    assert Money(1, "INR").currency == "INR"


def test_arithmetic_is_exact_and_never_goes_below_zero() -> None:
    assert Money(MAX_AMOUNT) - Money("0.01") == Money("9999999999999.98")
    assert Money("0.10") + Money("0.20") == Money("0.30")
    assert Money("5") - Money("5") == Money.ZERO
    below = refusal(Money.__sub__, Money(1), Money(2))
    assert type(below) is MoneySignError
    assert below.details == {"argument": "amount", "value": "Decimal('-1.00')"}
    assert total([]) == Money.ZERO
    assert total([Money("1.25"), Money("2.75"), Money(1)]) == Money(5)


def test_truth_and_text() -> None:
    assert not Money.ZERO
    assert Money("0.01")
    assert str(Money(3)) == "3.00"
    assert Money(0) == Money.ZERO


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (Money(0), "₹0.00"),
        (Money("999"), "₹999.00"),
        (Money("1000"), "₹1,000.00"),
        (Money("99999.5"), "₹99,999.50"),
        (Money("100000"), "₹1,00,000.00"),
        (Money("2360000"), "₹23,60,000.00"),
        (Money("12345678.9"), "₹1,23,45,678.90"),
        (Decimal("-1234.5"), "-₹1,234.50"),
        (Decimal("0"), "₹0.00"),
    ],
)
def test_rupees_groups_as_read_in_india(amount: Money | Decimal, text: str) -> None:
    assert rupees(amount) == text


def test_money_is_ordered_by_amount_on_both_sides_of_equal() -> None:
    small, large = Money("1.00"), Money("1.01")
    assert (small < large, large < small, small < Money(1)) == (True, False, False)
    assert (small <= large, large <= small, small <= Money(1)) == (True, False, True)
    assert (large > small, small > large, small > Money(1)) == (True, False, False)
    assert (large >= small, small >= large, small >= Money(1)) == (True, False, True)


@pytest.mark.parametrize("other", [Decimal(1), 1, "1.00"])
def test_money_is_not_ordered_against_other_types(other: object) -> None:
    for compare in (operator.lt, operator.le, operator.gt, operator.ge):
        with pytest.raises(TypeError):
            compare(Money(1), other)
