"""Money: INR as a Decimal with exactly two places; never a float, never negative."""

from __future__ import annotations

from decimal import Decimal

import pytest

from paycore.domain.core import PaymentsCore
from paycore.domain.errors import PaycoreError
from paycore.domain.money import (
    Money,
    MoneyCurrencyError,
    MoneyError,
    MoneyPrecisionError,
    MoneySignError,
    total,
)
from tests.domain.rule_checks import refused


def raised(error: type[PaycoreError], value: object, *, currency: str = "INR") -> PaycoreError:
    with pytest.raises(error) as refusal:
        Money(value, currency)  # type: ignore[arg-type]
    return refusal.value


@pytest.mark.parametrize(
    ("value", "amount"),
    [("12.5", "12.50"), (7, "7.00"), (Decimal("0.01"), "0.01"), (" 3.10 ", "3.10"), ("0", "0.00")],
)
def test_money_has_exactly_two_decimal_places(value: object, amount: str) -> None:
    money = Money(value)  # type: ignore[arg-type]
    assert money.amount == Decimal(amount)
    assert money.amount.as_tuple().exponent == -2
    assert money.currency == "INR"


@pytest.mark.parametrize("value", ["12.345", "0.001", Decimal("1.005"), "1E-3"])
def test_money_with_more_than_two_places_is_an_error_not_a_rounding(value: object) -> None:
    assert raised(MoneyPrecisionError, value).code == "MONEY_PRECISION"


@pytest.mark.parametrize("value", [1.5, 0.1, 100.0, float("nan")])
def test_money_is_never_a_float(value: float) -> None:
    error = raised(MoneyError, value)
    assert error.code == "MONEY_INVALID"
    assert "float" in error.message


@pytest.mark.parametrize("value", ["abc", "", "NaN", "Infinity", True, None, [1]])
def test_money_is_a_finite_number(value: object) -> None:
    assert raised(MoneyError, value).code == "MONEY_INVALID"


@pytest.mark.parametrize("value", ["-0.01", -1, Decimal("-100.00")])
def test_money_is_never_negative(value: object) -> None:
    assert raised(MoneySignError, value).code == "MONEY_SIGN"


def test_subtracting_below_zero_is_an_error() -> None:
    assert Money("5.00") - Money("5.00") == Money.ZERO
    with pytest.raises(MoneySignError) as refusal:
        Money("5.00") - Money("5.01")
    assert refusal.value.code == "MONEY_SIGN"


@pytest.mark.parametrize("currency", ["USD", "inr", "EUR", ""])
def test_money_is_inr_only(currency: str) -> None:
    assert raised(MoneyCurrencyError, "1.00", currency=currency).code == "MONEY_CURRENCY"


def test_money_positive_refuses_zero() -> None:
    assert Money.positive("0.01") == Money("0.01")
    with pytest.raises(MoneySignError) as refusal:
        Money.positive("0.00")
    assert refusal.value.code == "MONEY_SIGN"


def test_money_adds_exactly_in_paise() -> None:
    assert total(Money(v) for v in ("0.10", "0.20", "0.70")) == Money("1.00")
    assert total([]) == Money.ZERO
    assert str(Money("1234.5")) == "₹1234.50"


BAD_AMOUNTS: list[tuple[object, type[PaycoreError], str]] = [
    ("10.005", MoneyPrecisionError, "MONEY_PRECISION"),
    (10.5, MoneyError, "MONEY_INVALID"),
    ("-10.00", MoneySignError, "MONEY_SIGN"),
    ("0.00", MoneySignError, "MONEY_SIGN"),
]


def test_a_command_refuses_a_bad_amount_before_writing(core: PaymentsCore) -> None:
    account_id = core.open_card_account("CO1", "Acme Ltd", "Travel", "CORPORATE")
    card_id = core.issue_card(account_id, "PREPAID")
    for amount, error, code in BAD_AMOUNTS:
        with refused(core, error, code):
            core.load_card(account_id, card_id, amount)  # type: ignore[arg-type]
    assert core.get_card_account(account_id).card(card_id).balance == Money.ZERO
