"""Money: INR as a Decimal with exactly two places; never a float, never negative."""

from __future__ import annotations

from decimal import Decimal, localcontext
from typing import Any

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
        Money(value, currency)
    return refusal.value


@pytest.mark.parametrize(
    ("value", "amount"),
    [("12.5", "12.50"), (7, "7.00"), (Decimal("0.01"), "0.01"), ("3.10", "3.10"), ("0", "0.00")],
)
def test_money_has_exactly_two_decimal_places(value: object, amount: str) -> None:
    money = Money(value)
    assert money.amount == Decimal(amount)
    assert money.amount.as_tuple().exponent == -2
    assert money.currency == "INR"


@pytest.mark.parametrize("value", ["12.345", "0.001", Decimal("1.005"), Decimal("1E-3")])
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
    assert str(Money("1234.5")) == "1234.50"


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


# What an amount is, exactly: the values a payments engineer would question.

MAX = "9999999999999.99"


@pytest.mark.parametrize(
    ("value", "amount"),
    [
        (MAX, MAX),
        (Decimal(MAX), MAX),
        ("10.000", "10.00"),  # trailing zeros past paise are the same amount
        (Decimal("1E+2"), "100.00"),  # a Decimal is a number, however it is written
        (10**13 - 1, "9999999999999.00"),
        ("007.50", "7.50"),
    ],
)
def test_money_reads_plain_decimal_amounts_up_to_the_largest(value: object, amount: str) -> None:
    money = Money(value)
    assert money.amount == Decimal(amount)
    assert str(money.amount) == amount


@pytest.mark.parametrize(
    "value",
    [
        "10000000000000.00",  # one paisa past the largest
        "10000000000000",
        Decimal("1E+13"),
        10**13,
        pytest.param(10**4300, id="an-int-past-the-int-to-str-limit"),
        "1" * 30 + ".123",  # 30 digits with 3 places: past the decimal context
        "\uff11\uff10\uff10",  # full-width digits
        "\u0661\u0660\u0660",  # Arabic-Indic digits
        "1_000",
        " 10.00",
        "10.00 ",
        "10.00\n",
        "+10.00",
        "1e2",
        "1E+2",
        "10.",
        ".50",
        "\u0661\u0660.\u0660\u0660",
    ],
)
def test_money_refuses_what_is_not_a_plain_amount_with_a_typed_error(value: object) -> None:
    error = raised(MoneyError, value)
    assert error.code == "MONEY_INVALID"
    assert error.details["argument"] == "amount"
    assert len(error.details["value"]) <= 60


@pytest.mark.parametrize("value", ["-0", "-0.00", Decimal("-0"), Decimal("-0.00"), "-10.00"])
def test_money_refuses_a_minus_sign_even_on_zero(value: object) -> None:
    """₹-0.00 is never stored: a signed zero is refused like any negative amount."""
    error = raised(MoneySignError, value)
    assert error.details == {"argument": "amount", "value": repr(value)}


def test_money_precision_refusal_names_the_argument_and_value() -> None:
    with pytest.raises(MoneyPrecisionError) as refusal:
        Money.positive("12.345", "total")
    assert refusal.value.details == {"argument": "total", "value": "'12.345'"}


def test_a_huge_integer_is_shown_by_its_size_not_its_digits() -> None:
    error = raised(MoneyError, 10**5000)
    assert error.details["value"] == "an int of 16610 bits"
    assert "16610 bits" in error.message


def test_money_stays_exact_whatever_decimal_context_the_host_sets() -> None:
    """A host's low-precision decimal context never rounds paycore's sums."""
    with localcontext() as context:
        context.prec = 3
        assert Money(MAX) - Money("0.01") + Money("0.01") == Money(MAX)
        assert Money("1234.56") == Money(Decimal("1234.56"))


@pytest.mark.parametrize(
    ("argument", "command"),
    [
        ("amount", lambda core, ids: core.load_card(*ids, "1_000")),
        ("balance_cap", lambda core, ids: core.open_card_account("C", "N", "T", "GIFT", " 5 ")),
        ("initial_load", lambda core, ids: core.issue_card(ids[0], "GIFT", initial_load="-0")),
    ],
)
def test_a_command_names_the_amount_argument_it_refuses(
    core: PaymentsCore, argument: str, command: Any
) -> None:
    account_id = core.open_card_account("CO1", "Acme Ltd", "Travel", "CORPORATE")
    card_id = core.issue_card(account_id, "PREPAID")
    before = core.recorder.max_notification_id()
    with pytest.raises(MoneyError) as refusal:
        command(core, (account_id, card_id))
    assert refusal.value.details["argument"] == argument
    assert core.recorder.max_notification_id() == before
