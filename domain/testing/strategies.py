"""Hypothesis strategies for the arguments of paycore's commands, valid and invalid.

Valid strategies draw values every command accepts as far as their shape goes (a valid
amount can still be refused by a business rule), from the whole range the checks accept:
any Unicode text but control characters and lone surrogates, up to the longest length;
amounts up to the largest, in every form a command reads; objectVersions and counts up
to the largest; instants from the earliest to the latest, in zones of any offset.
Invalid strategies draw values the argument checks must refuse with a typed
:class:`~paycore.domain.errors.PaycoreError` before anything is read or written, with
the hostile cases among them: digits of other scripts, padding, signs and exponents on
amounts, integers past every store and past Python's int-to-str limit, control
characters, instants past the end of the calendar.

:func:`invalid_command_arguments` draws, for every public command of
:class:`~paycore.domain.core.PaymentsCore`, keyword arguments in which at least one
argument is invalid::

    from hypothesis import given
    from paycore.domain.testing.strategies import Targets, invalid_command_arguments

    @given(invalid_command_arguments(targets)["load_card"])
    def test_load_card_refuses_bad_input(arguments): ...
"""

from __future__ import annotations

import functools
import inspect
import string
import sys
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from decimal import Decimal
from enum import StrEnum
from typing import Any
from uuid import UUID

import attrs
from eventsourcing.persistence import Tracking
from hypothesis import strategies as st

from paycore.domain.aggregate import MAX_OBJECT_VERSION, ObjectVersion
from paycore.domain.arguments import (
    ACCOUNT_TITLE_LENGTH,
    B2B_ID_LENGTH,
    COMPANY_ID_LENGTH,
    COMPANY_NAME_LENGTH,
    CONSUMER_NAME_LENGTH,
    CONTEXT_TEXT_LENGTH,
    EARLIEST_INSTANT,
    ID_LENGTH,
    IDEMPOTENCY_KEY_LENGTH,
    LATEST_INSTANT,
    MASKED_NUMBER_LENGTH,
    OTP_PURPOSE_LENGTH,
    PLATFORM_FORBIDDEN,
    PO_SUBJECT_LENGTH,
    REASON_LENGTH,
    STORED_INT_MAX,
    UTR_LENGTH,
    text_fault,
)
from paycore.domain.b2b import DOCUMENT_NUMBER_LENGTH, REMARKS_LENGTH
from paycore.domain.card_account import (
    MAX_CARDS_PER_CONTROLS,
    MAX_COUNT_LIMIT,
    AccountType,
    CardForm,
    CardKind,
    Channel,
    UsageControls,
)
from paycore.domain.core import PaymentsCore
from paycore.domain.invoice import INVOICE_ID_LENGTH, BuyerResponse, NoteType
from paycore.domain.money import MAX_AMOUNT, Money
from paycore.domain.otp import OTP_DIGITS, PIN_DIGITS
from paycore.domain.payment import PaymentType
from paycore.domain.purchase_order import PO_ID_LENGTH, SupplierResponse
from paycore.domain.runner import CommandContext, CommandRunner

Arguments = dict[str, Any]

ALPHANUMERIC = string.ascii_letters + string.digits

# Valid values.


def _up_to(low: int, high: int) -> st.SearchStrategy[int]:
    """Whole numbers from ``low`` to ``high``, the two bounds themselves often."""
    return st.integers(low, high) | st.sampled_from([low, high])


def money(
    min_value: Money | Decimal | str = "0.01", max_value: Money | Decimal | str = MAX_AMOUNT
) -> st.SearchStrategy[Money]:
    """Amounts in whole paise between ``min_value`` and ``max_value`` (inclusive)."""
    low, high = Money.of(min_value).amount, Money.of(max_value).amount
    return _up_to(int(low * 100), int(high * 100)).map(lambda p: Money(Decimal(p) / 100))


Amount = Money | Decimal | int | str


def amounts(
    min_value: Money | str = "0.01", max_value: Money | Decimal | str = MAX_AMOUNT
) -> st.SearchStrategy[Amount]:
    """Amounts in every form a command reads: a ``Money``, a ``Decimal`` (with an exponent
    too), an ``int`` when whole, and plain strings (with trailing zeros, or without)."""

    def forms(money: Money) -> st.SearchStrategy[Amount]:
        amount = money.amount
        plain = f"{amount.normalize():f}"
        whole = [int(amount)] if amount == amount.to_integral_value() else []
        return st.sampled_from([money, amount, amount.normalize(), str(amount), plain, *whole])

    return money(min_value, max_value).flatmap(forms)


def texts(max_length: int, *, forbidden: str = "") -> st.SearchStrategy[str]:
    """Any text the checks take, 1 to ``max_length`` characters (the longest too), not
    blank, of every character the checks let through (:func:`_refused`): today all of
    Unicode but control characters, lone surrogates and ``forbidden``."""
    characters = st.characters(exclude_characters=_refused(forbidden))
    any_length = st.text(characters, min_size=1, max_size=max_length)
    longest = st.text(characters, min_size=max_length, max_size=max_length)
    return (any_length | longest).filter(str.strip)


@functools.cache
def _refused(forbidden: str) -> str:
    """Every character the text checks refuse, found by asking them
    (:func:`~paycore.domain.arguments.text_fault`) of all of Unicode, halving the ranges
    they refuse; so a check that lets a character through has it drawn at once."""

    def refused_in(low: int, high: int) -> Iterator[str]:
        text = "a" + "".join(map(chr, range(low, high)))
        if text_fault(text, len(text), allow_empty=False, forbidden=forbidden) is None:
            return
        if high - low == 1:
            yield chr(low)
            return
        middle = (low + high) // 2
        yield from refused_in(low, middle)
        yield from refused_in(middle, high)

    return "".join(refused_in(0, sys.maxunicode + 1))


def ids() -> st.SearchStrategy[str]:
    """Card ids, references, transaction ids, remote ids and note ids."""
    return texts(ID_LENGTH, forbidden=PLATFORM_FORBIDDEN)


def remarks() -> st.SearchStrategy[str]:
    """B2B remarks: 1-100 characters, no backslash or double quote."""
    return texts(REMARKS_LENGTH, forbidden=PLATFORM_FORBIDDEN)


def document_numbers() -> st.SearchStrategy[str]:
    """Supplier invoice or buyer PO numbers: 1-50 characters, no backslash or double quote."""
    return texts(DOCUMENT_NUMBER_LENGTH, forbidden=PLATFORM_FORBIDDEN)


def b2b_ids() -> st.SearchStrategy[str]:
    """Buyer or supplier B2B ids."""
    return texts(B2B_ID_LENGTH, forbidden=PLATFORM_FORBIDDEN)


def subjects() -> st.SearchStrategy[str]:
    """What a purchase order is for: B2B text of up to 200 characters."""
    return texts(PO_SUBJECT_LENGTH, forbidden=PLATFORM_FORBIDDEN)


def object_versions() -> st.SearchStrategy[int]:
    """An objectVersion an object is received at: 1 to the largest."""
    return _up_to(1, MAX_OBJECT_VERSION)


def invoice_object_ids() -> st.SearchStrategy[str]:
    """Invoice objectIds: ``INV`` and 32 letters or digits."""
    return st.text(ALPHANUMERIC, min_size=INVOICE_ID_LENGTH, max_size=INVOICE_ID_LENGTH).map(
        "INV".__add__
    )


def purchase_order_object_ids() -> st.SearchStrategy[str]:
    """Purchase order objectIds: ``PO`` and 1-48 letters or digits."""
    return st.text(ALPHANUMERIC, min_size=1, max_size=PO_ID_LENGTH).map("PO".__add__)


def otps() -> st.SearchStrategy[str]:
    """Six digits."""
    return st.text(string.digits, min_size=OTP_DIGITS, max_size=OTP_DIGITS)


def pins() -> st.SearchStrategy[str]:
    """Four digits."""
    return st.text(string.digits, min_size=PIN_DIGITS, max_size=PIN_DIGITS)


def account_types() -> st.SearchStrategy[str]:
    return st.sampled_from([t.value for t in AccountType])


def card_kinds() -> st.SearchStrategy[CardKind]:
    return st.sampled_from(CardKind)


def card_forms() -> st.SearchStrategy[CardForm]:
    return st.sampled_from(CardForm)


def channels() -> st.SearchStrategy[Channel]:
    return st.sampled_from(Channel)


def payment_types() -> st.SearchStrategy[str]:
    return st.sampled_from([t.value for t in PaymentType])


def buyer_responses() -> st.SearchStrategy[BuyerResponse]:
    return st.sampled_from(BuyerResponse)


def supplier_responses() -> st.SearchStrategy[SupplierResponse]:
    return st.sampled_from(SupplierResponse)


def note_types() -> st.SearchStrategy[NoteType]:
    return st.sampled_from(NoteType)


def usage_controls(
    max_amount: Money | Decimal | str = "5000.00", max_count: int = 5
) -> st.SearchStrategy[UsageControls]:
    """Channel switches and limits; each limit is absent or a non-negative amount or count."""
    limit = st.none() | money("0.00", max_amount)
    count = st.none() | _up_to(0, max_count)
    return st.builds(
        UsageControls,
        disabled_channels=st.lists(channels(), max_size=2, unique=True).map(tuple),
        per_transaction=limit,
        daily_amount=limit,
        daily_count=count,
        monthly_amount=limit,
        monthly_count=count,
    )


#: Any offset a ``timezone`` takes: less than a day either way.
_OFFSET = timedelta(hours=24) - timedelta(microseconds=1)


def aware_datetimes() -> st.SearchStrategy[datetime]:
    """Any instant a command takes (EARLIEST_INSTANT to LATEST_INSTANT, to the
    microsecond), in a zone of any offset."""
    instants = st.datetimes(
        min_value=EARLIEST_INSTANT.replace(tzinfo=None),
        max_value=LATEST_INSTANT.replace(tzinfo=None),
    ).map(lambda moment: moment.replace(tzinfo=UTC)) | st.sampled_from(
        [EARLIEST_INSTANT, LATEST_INSTANT]
    )
    zones = (st.timedeltas(-_OFFSET, _OFFSET) | st.sampled_from([-_OFFSET, _OFFSET])).map(timezone)
    return st.builds(datetime.astimezone, instants, zones)


def contexts() -> st.SearchStrategy[CommandContext]:
    return st.builds(
        CommandContext,
        actor=texts(CONTEXT_TEXT_LENGTH),
        source=st.sampled_from(["api", "webhook", "sync", "system"]),
        correlation_id=st.none() | texts(CONTEXT_TEXT_LENGTH),
        causation_id=st.none() | texts(CONTEXT_TEXT_LENGTH),
    )


def positions() -> st.SearchStrategy[Tracking]:
    """A log consumer's position: a name and a notification id up to the largest stored."""
    return st.builds(Tracking, texts(CONSUMER_NAME_LENGTH), _up_to(1, STORED_INT_MAX))


# Invalid values.

#: Integers past every store, and past Python's int-to-str limit (4,300 digits).
_HUGE_INTEGERS = st.integers(STORED_INT_MAX + 1, 2**80) | st.sampled_from(
    [2**63, 10**30, 10**4300, 10**5000]
)
_NOT_TEXT = st.none() | st.integers() | st.binary(max_size=5) | st.lists(st.text(), max_size=2)
#: Decimal digits of scripts other than ASCII: full-width, Arabic-Indic, Devanagari, ...
_OTHER_DIGITS = st.characters(categories=["Nd"]).filter(lambda c: c not in string.digits)
_CONTROL = st.characters(categories=["Cc"])


def _written_oddly(text: str) -> st.SearchStrategy[str]:
    """A plain amount ``text`` padded, signed, with an exponent, separators, or digits of
    another script: the same number to ``Decimal``, never an amount to paycore."""
    return st.one_of(
        st.sampled_from([f" {text}", f"{text} ", f"{text}\n", f"+{text}", f"{text}e0"]),
        st.sampled_from([f"{text[:1]}_{text[1:]}", f"{text[:1]},{text[1:]}", f"{text}."]),
        st.lists(_OTHER_DIGITS, min_size=len(text), max_size=len(text)).map(
            lambda digits: "".join(
                d if c.isdigit() else c for c, d in zip(text, digits, strict=True)
            )
        ),
    ).filter(lambda odd: odd != text)


def invalid_amounts() -> st.SearchStrategy[object]:
    """What is never an amount: floats, three places, negatives (-0 too), amounts past the
    largest, numbers written oddly (see _written_oddly), other currencies, junk."""
    past_largest = money(MAX_AMOUNT).map(lambda m: m.amount + Decimal("0.01"))
    return st.one_of(
        st.floats(allow_nan=True, allow_infinity=True),
        st.tuples(st.integers(0, 10**6), st.integers(0, 99), st.integers(1, 9)).map(
            lambda t: f"{t[0]}.{t[1]:02d}{t[2]}"
        ),
        st.integers(1, 10**9).map(lambda n: f"-{Decimal(n) / 100}"),
        st.integers(-(10**9), -1),
        st.sampled_from(["-0", "-0.00", Decimal("-0"), Decimal("-0.00"), Decimal("sNaN")]),
        past_largest | past_largest.map(str) | _HUGE_INTEGERS,
        st.text("123456789", min_size=14, max_size=40).map(lambda d: f"{d}.123"),
        money("0.01", "99999.99").map(lambda m: str(m.amount)).flatmap(_written_oddly),
        money().map(lambda m: f"{m.amount} USD"),
        money().map(lambda m: f"USD {m.amount}"),
        st.sampled_from(["", " ", "abc", "NaN", "Infinity", "-Infinity", "1e20", "1,000.00"]),
        st.booleans(),
        st.none(),
        st.lists(st.integers(), max_size=2),
    )


def invalid_positive_amounts() -> st.SearchStrategy[object]:
    """Invalid amounts, and zero where an amount above zero is needed."""
    return invalid_amounts() | st.sampled_from([0, "0", "0.00", Decimal(0), Money.ZERO])


def invalid_texts(max_length: int, *, allow_empty: bool = False) -> st.SearchStrategy[object]:
    """Over-long text, text with a control character (NUL, DEL, C1 too), non-text, blanks
    (and, unless ``allow_empty``, the empty string)."""
    over_long = st.text(ALPHANUMERIC, min_size=max_length + 1, max_size=max_length + 20)
    control = st.tuples(texts(10), _CONTROL, texts(10)).map("".join)
    blank = st.sampled_from([" ", "\u3000", "\u00a0 ", " \u2028"])
    choices = [over_long, control, blank, _NOT_TEXT]
    return st.one_of(*choices) if allow_empty else st.one_of(*choices, st.just(""))


def _with_forbidden(text: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """``text`` with the platform's forbidden backslash or double quote in it."""
    return st.tuples(text, st.sampled_from(PLATFORM_FORBIDDEN), text).map("".join)


def invalid_b2b_texts(max_length: int, *, allow_empty: bool = False) -> st.SearchStrategy[object]:
    """What :func:`invalid_texts` draws, and text with a backslash or double quote."""
    return invalid_texts(max_length, allow_empty=allow_empty) | _with_forbidden(texts(20))


def invalid_ids() -> st.SearchStrategy[object]:
    return invalid_b2b_texts(ID_LENGTH)


def unencodable_texts() -> st.SearchStrategy[str]:
    """Text with a lone surrogate: a Python string no store can encode (not UTF-8)."""
    return st.tuples(texts(10), st.characters(categories=["Cs"]), texts(10)).map("".join)


def _given(value: object) -> bool:
    """Not None: for an argument that may be left out, None is valid."""
    return value is not None


def invalid_optional_ids() -> st.SearchStrategy[object]:
    """Like :func:`invalid_ids`, for an id that may be left out (``None``)."""
    return invalid_ids().filter(_given)


def invalid_remarks() -> st.SearchStrategy[object]:
    """B2B remarks that are too long, empty, blank, hold a control character, a quote or
    backslash, or are not text."""
    return invalid_b2b_texts(REMARKS_LENGTH)


def invalid_document_numbers() -> st.SearchStrategy[object]:
    return invalid_b2b_texts(DOCUMENT_NUMBER_LENGTH)


def invalid_b2b_ids() -> st.SearchStrategy[object]:
    return invalid_b2b_texts(B2B_ID_LENGTH)


def invalid_invoice_object_ids() -> st.SearchStrategy[object]:
    """Anything but ``INV`` and exactly 32 letters or digits."""
    return st.one_of(
        st.text(ALPHANUMERIC, max_size=40)
        .filter(lambda s: len(s) != INVOICE_ID_LENGTH)
        .map("INV".__add__),
        invoice_object_ids().map(lambda s: "inv" + s[3:]),
        invoice_object_ids().map(lambda s: "PO" + s[3:]),
        invoice_object_ids().map(lambda s: s[:-1] + "-"),
        invoice_object_ids().map(lambda s: s + "\n"),
        _NOT_TEXT,
    )


def invalid_purchase_order_object_ids() -> st.SearchStrategy[object]:
    """Anything but ``PO`` and 1-48 letters or digits."""
    return st.one_of(
        st.just("PO"),
        st.text(ALPHANUMERIC, min_size=PO_ID_LENGTH + 1, max_size=60).map("PO".__add__),
        purchase_order_object_ids().map(lambda s: "po" + s[2:]),
        purchase_order_object_ids().map(lambda s: s + " "),
        invoice_object_ids(),
        _NOT_TEXT,
    )


_NAME_LETTERS = st.characters(min_codepoint=ord("a"), max_codepoint=ord("z"))


def holder_details(*, delivery: bool | None = None) -> st.SearchStrategy[dict[str, str]]:
    """Details a holder may be registered with: a first name and any of the mobile, email,
    PAN and last name; with a delivery address (``delivery``), without, or either (None)."""
    name = st.text(_NAME_LETTERS, min_size=1, max_size=12).map(str.capitalize)
    optional = st.fixed_dictionaries(
        {},
        optional={
            "last_name": name,
            "mobile": st.from_regex(r"[6-9][0-9]{9}", fullmatch=True),
            "email": name.map(lambda n: f"{n.lower()}@example.com"),
            "pan": st.from_regex(r"[A-Z]{5}[0-9]{4}[A-Z]", fullmatch=True),
        },
    )
    address = {
        "delivery_address": name.map(lambda n: f"12 {n} Road"),
        "delivery_city": name,
        "delivery_state": name,
        "delivery_pincode": st.from_regex(r"[1-9][0-9]{5}", fullmatch=True),
    }
    with_address = st.fixed_dictionaries(address)
    addresses: dict[bool | None, st.SearchStrategy[dict[str, str]]] = {
        True: with_address,
        False: st.just({}),
        None: with_address | st.just({}),
    }
    return st.builds(
        lambda first, more, where: {"first_name": first, **more, **where},
        name,
        optional,
        addresses[delivery],
    )


def invalid_holder_details() -> st.SearchStrategy[object]:
    """Holder details (or changes) that are refused: not a mapping, no first name, an
    unknown field, a value off its pattern."""
    return st.sampled_from(
        [
            "Asha",
            {},
            {"last_name": "Verma"},
            {"first_name": "Asha", "nickname": "A"},
            {"first_name": "Asha", "mobile": "98765"},
            {"first_name": "Asha", "pan": "abcde1234f"},
            {"first_name": "Asha", "pincode": "011001"},
            {"first_name": "Asha", "email": 5},
            {"first_name": "Asha", "gender": "X"},
        ]
    )


def invalid_uuids() -> st.SearchStrategy[object]:
    """Ids that are not ``UUID`` objects: their text, ints, None."""
    return st.uuids().map(str) | st.uuids().map(lambda u: u.int) | st.none() | st.text(max_size=5)


def invalid_uuid_lists() -> st.SearchStrategy[object]:
    """Not a list of UUIDs: a string, a set, or a list holding a non-UUID."""
    bad_item = st.lists(invalid_uuids(), min_size=1, max_size=3)
    return bad_item | st.uuids().map(str) | st.uuids().map(lambda u: {u}) | st.none()


def invalid_choices(enum: type[StrEnum]) -> st.SearchStrategy[object]:
    """Values outside ``enum``: other words, other case, other types."""
    values = {member.value for member in enum}
    words = st.text(string.ascii_uppercase + "_", max_size=20).filter(lambda s: s not in values)
    lower = st.sampled_from(sorted(v.lower() for v in values if v.lower() not in values))
    return words | lower | st.none() | st.integers() | st.lists(st.text(), max_size=1)


def invalid_flags() -> st.SearchStrategy[object]:
    """Anything but ``True`` or ``False``: 0, 1, "yes", None."""
    return st.sampled_from([0, 1, "yes", "true", "", None, [], 1.0])


def invalid_card_id_lists() -> st.SearchStrategy[object]:
    """0 or 101 card ids, a bare string, or a list with a non-text card id."""
    card_id = st.uuids().map(str)
    return st.one_of(
        st.just([]),
        st.lists(
            card_id,
            min_size=MAX_CARDS_PER_CONTROLS + 1,
            max_size=MAX_CARDS_PER_CONTROLS + 1,
            unique=True,
        ),
        card_id,
        st.lists(invalid_ids(), min_size=1, max_size=2),
        st.none(),
    )


def invalid_usage_controls() -> st.SearchStrategy[object]:
    """Not a ``UsageControls`` (a dict of its fields, None, text), or one forced past its
    own checks: a count past the largest, a negative amount, a channel that is none."""
    forced = st.one_of(
        st.tuples(
            st.sampled_from(["daily_count", "monthly_count"]),
            invalid_counts(0, MAX_COUNT_LIMIT).filter(_given),
        ),
        st.tuples(
            st.sampled_from(["per_transaction", "daily_amount"]), invalid_amounts().filter(_given)
        ),
        st.tuples(st.just("disabled_channels"), st.just(("TELEPATHY",))),
    )
    return st.one_of(
        usage_controls().map(lambda c: attrs.asdict(c, recurse=False)),
        st.none(),
        st.text(),
        forced.map(lambda change: _forced_usage_controls(*change)),
    )


def _forced_usage_controls(field: str, value: object) -> UsageControls:
    controls = UsageControls()
    object.__setattr__(controls, field, value)
    return controls


def invalid_otps() -> st.SearchStrategy[object]:
    """Not six ASCII digits."""
    return st.one_of(
        st.text(string.digits, max_size=10).filter(lambda s: len(s) != OTP_DIGITS),
        st.text(string.ascii_letters, min_size=OTP_DIGITS, max_size=OTP_DIGITS),
        st.just("\uff11\uff12\uff13\uff14\uff15\uff16"),  # full-width digits
        st.integers(0, 999999),
        st.none(),
    )


def invalid_pins() -> st.SearchStrategy[object]:
    """Not four ASCII digits."""
    return st.one_of(
        st.text(string.digits, max_size=8).filter(lambda s: len(s) != PIN_DIGITS),
        st.text(string.ascii_letters, min_size=PIN_DIGITS, max_size=PIN_DIGITS),
        st.integers(0, 9999),
        st.none(),
    )


def invalid_object_versions() -> st.SearchStrategy[object]:
    """Malformed objectVersions: negative, too large or non-integer parts, wrong shapes."""
    too_large = st.integers(MAX_OBJECT_VERSION + 1, STORED_INT_MAX) | _HUGE_INTEGERS
    part = (
        st.integers(-5, -1) | too_large | st.text(string.digits, min_size=1, max_size=2)
    ) | st.booleans()
    return st.one_of(
        st.tuples(part, st.integers(1, 5)),
        st.tuples(st.integers(1, 5), part),
        st.builds(_forced_object_version, part, part),
        st.integers(1, 5),
        st.lists(st.integers(1, 5), min_size=2, max_size=2),
        st.text(max_size=5),
    )


def _forced_object_version(current: object, new: object) -> ObjectVersion:
    """An ObjectVersion forced past its own checks, to prove commands check it again."""
    version = ObjectVersion(0, 1)
    object.__setattr__(version, "current", current)
    object.__setattr__(version, "new", new)
    return version


def invalid_counts(minimum: int, maximum: int) -> st.SearchStrategy[object]:
    """Not a whole number from ``minimum`` to ``maximum``."""
    above = st.integers(maximum + 1, maximum + 2**65) | _HUGE_INTEGERS
    below = st.integers(max_value=minimum - 1)
    return below | above | st.booleans() | st.text(max_size=3) | st.none()


def invalid_versions() -> st.SearchStrategy[object]:
    """Not an aggregate version (a whole number from 1 to the largest stored): True, 0,
    negatives, integers past every store, text, floats."""
    return invalid_counts(1, STORED_INT_MAX).filter(_given) | st.floats()


class _NoOffset(tzinfo):
    """A zone that knows no offset: a datetime in it is naive, though it has a tzinfo."""

    def utcoffset(self, moment: datetime | None) -> timedelta | None:
        return None

    def dst(self, moment: datetime | None) -> timedelta | None:
        return None

    def tzname(self, moment: datetime | None) -> str | None:
        return None


def invalid_datetimes() -> st.SearchStrategy[object]:
    """Naive datetimes (a tzinfo without an offset too), instants so near the end of the
    calendar that some zone has no date for them, text and numbers."""
    naive = aware_datetimes().map(lambda d: d.replace(tzinfo=None))
    edge = timedelta(days=1) - timedelta(microseconds=1)
    past_the_end = st.datetimes(
        min_value=datetime.max - edge, timezones=st.just(UTC)
    ) | st.datetimes(max_value=datetime.min + edge, timezones=st.just(UTC))
    return st.one_of(
        naive,
        naive.map(lambda d: d.replace(tzinfo=_NoOffset())),
        past_the_end,
        st.sampled_from([datetime.max.replace(tzinfo=timezone(timedelta(hours=14)))]),
        naive.map(datetime.isoformat),
        st.integers(),
        st.none(),
    )


def invalid_contexts() -> st.SearchStrategy[object]:
    """Not a ``CommandContext``."""
    return st.one_of(contexts().map(attrs.asdict), st.text(min_size=1), st.integers(1))


def contexts_with_invalid_fields() -> st.SearchStrategy[CommandContext]:
    """``CommandContext`` objects whose actor or ids are not text (or are blank).

    ``CommandContext(...)`` refuses such fields itself; these are forced past it (as a
    caller mutating a context would), to prove the command checks them again.
    """
    bad = st.one_of(_NOT_TEXT.filter(_given), st.sampled_from(["", " "]))
    fields = st.sampled_from(["actor", "correlation_id", "causation_id"])
    return st.builds(_forced_context, fields, bad)


def _forced_context(field: str, value: object) -> CommandContext:
    context = CommandContext()
    object.__setattr__(context, field, value)
    return context


def invalid_positions() -> st.SearchStrategy[object]:
    """Not a consumer position: no ``Tracking``, or one with a non-text name or a bad id."""
    return st.one_of(
        st.builds(Tracking, _NOT_TEXT | st.just(""), st.integers(1, 10)),
        st.builds(Tracking, texts(40), invalid_counts(1, STORED_INT_MAX)),
        st.tuples(texts(40), st.integers(1, 10)),
        st.none(),
    )


def invalid_idempotency_keys() -> st.SearchStrategy[object]:
    return invalid_texts(IDEMPOTENCY_KEY_LENGTH).filter(_given)


# Commands with at least one invalid argument.


@attrs.frozen
class Targets:
    """Existing aggregates the invalid commands aim at, so a refusal could have written."""

    account_id: UUID
    card_id: str
    invoice_id: UUID
    payment_id: UUID
    po_id: UUID


Strategies = dict[str, st.SearchStrategy[Any]]


def with_one_invalid(
    valid: Mapping[str, st.SearchStrategy[Any]], invalid: Mapping[str, st.SearchStrategy[Any]]
) -> st.SearchStrategy[Arguments]:
    """Keyword arguments: every argument valid but one, drawn from ``invalid``."""

    def corrupt(name: str) -> st.SearchStrategy[Arguments]:
        return st.fixed_dictionaries({**valid, name: invalid[name]})

    return st.sampled_from(sorted(invalid)).flatmap(corrupt)


def masked_card_numbers() -> st.SearchStrategy[str]:
    """At most the first six and last four digits, the rest masked."""
    digits = st.text(string.digits, max_size=6)
    masks = st.text("X*", min_size=1, max_size=10)
    return st.tuples(digits, masks, digits.map(lambda d: d[:4])).map("".join)


def invalid_masked_card_numbers() -> st.SearchStrategy[object]:
    """Full card numbers, or more than six leading or four trailing digits shown."""
    return st.one_of(
        st.text(string.digits, min_size=12, max_size=19),
        st.text(string.digits, min_size=7, max_size=9).map(lambda d: d + "XXXXXX1111"),
        st.text(string.digits, min_size=5, max_size=9).map(lambda d: "411111XXXXXX" + d),
        invalid_texts(MASKED_NUMBER_LENGTH),
    )


def _on(name: str, target: object) -> tuple[Strategies, Strategies]:
    """The id argument ``name`` of a command on ``target``, valid and invalid."""
    return {name: st.just(target)}, {name: invalid_uuids()}


def _on_card(targets: Targets) -> tuple[Strategies, Strategies]:
    return (
        {"account_id": st.just(targets.account_id), "card_id": st.just(targets.card_id)},
        {"account_id": invalid_uuids(), "card_id": invalid_ids()},
    )


def argument_strategies(targets: Targets) -> dict[str, tuple[Strategies, Strategies]]:
    """Per public command: strategies of its valid arguments and of its invalid ones.

    ``context`` and ``idempotency_key`` are left out: every command takes them alike.
    """
    card, bad_card = _on_card(targets)
    account, bad_account = _on("account_id", targets.account_id)
    invoice, bad_invoice = _on("invoice_id", targets.invoice_id)
    payment, bad_payment = _on("payment_id", targets.payment_id)
    po, bad_po = _on("po_id", targets.po_id)
    versioned, bad_versioned = (
        {"object_version": st.none()},
        {"object_version": invalid_object_versions()},
    )
    reason = {"reason": st.just("") | texts(REASON_LENGTH)}
    bad_reason = {"reason": invalid_texts(REASON_LENGTH, allow_empty=True)}
    b2b = {"buyer_b2b_id": b2b_ids(), "supplier_b2b_id": b2b_ids()}
    bad_b2b = {"buyer_b2b_id": invalid_b2b_ids(), "supplier_b2b_id": invalid_b2b_ids()}
    return {
        "open_card_account": (
            {
                "company_id": texts(COMPANY_ID_LENGTH),
                "company_name": texts(COMPANY_NAME_LENGTH),
                "account_title": texts(ACCOUNT_TITLE_LENGTH),
                "account_type": account_types(),
                "balance_cap": amounts(),
            },
            {
                "company_id": invalid_texts(COMPANY_ID_LENGTH),
                "company_name": invalid_texts(COMPANY_NAME_LENGTH),
                "account_title": invalid_texts(ACCOUNT_TITLE_LENGTH),
                "account_type": invalid_choices(AccountType),
                "balance_cap": invalid_positive_amounts(),
            },
        ),
        "issue_card": (
            {
                **account,
                "kind": card_kinds(),
                "form": card_forms(),
                "initial_load": amounts("0", "1.00"),
            },
            {
                **bad_account,
                "kind": invalid_choices(CardKind),
                "form": invalid_choices(CardForm),
                "initial_load": invalid_amounts(),
            },
        ),
        "activate_card": (
            {**card, "kyc_completed": st.booleans(), "terms_accepted": st.booleans()},
            {**bad_card, "kyc_completed": invalid_flags(), "terms_accepted": invalid_flags()},
        ),
        "load_card": (
            {**card, "amount": amounts("1.00", "10.00"), "reference": st.none() | ids()},
            {
                **bad_card,
                "amount": invalid_positive_amounts(),
                "reference": invalid_optional_ids(),
            },
        ),
        "record_card_spend": (
            {
                **card,
                "amount": amounts("0.01", "10.00"),
                "channel": channels(),
                "transaction_id": ids(),
                "occurred_at": aware_datetimes(),
            },
            {
                **bad_card,
                "amount": invalid_positive_amounts(),
                "channel": invalid_choices(Channel),
                "transaction_id": invalid_ids(),
                "occurred_at": invalid_datetimes(),
            },
        ),
        "set_usage_controls": (
            {
                **account,
                "card_ids": st.just([targets.card_id]),
                "controls": usage_controls(MAX_AMOUNT, MAX_COUNT_LIMIT),
            },
            {
                **bad_account,
                "card_ids": invalid_card_id_lists(),
                "controls": invalid_usage_controls(),
            },
        ),
        "set_card_pin": ({**card, "pin": pins()}, {**bad_card, "pin": invalid_pins()}),
        "request_card_otp": (
            {**card, "purpose": texts(OTP_PURPOSE_LENGTH)},
            {**bad_card, "purpose": invalid_texts(OTP_PURPOSE_LENGTH)},
        ),
        "verify_card_otp": ({**card, "otp": otps()}, {**bad_card, "otp": invalid_otps()}),
        "lock_card": ({**card, **reason}, {**bad_card, **bad_reason}),
        "unlock_card": ({**card, **reason}, {**bad_card, **bad_reason}),
        "block_card": ({**card, **reason}, {**bad_card, **bad_reason}),
        "replace_card": (card, bad_card),
        "record_remote_card_account": (
            {**account, "remote_id": ids()},
            {**bad_account, "remote_id": invalid_ids()},
        ),
        "record_remote_card": (
            {**card, "remote_id": ids(), "masked_number": masked_card_numbers()},
            {
                **bad_card,
                "remote_id": invalid_ids(),
                "masked_number": invalid_masked_card_numbers(),
            },
        ),
        # Holders: an id no holder has, so a valid call could only be refused as NOT_FOUND.
        "register_holder": (
            {"holder_id": st.uuids(), "details": st.just({"first_name": "Asha"})},
            {"holder_id": invalid_uuids(), "details": invalid_holder_details()},
        ),
        "correct_holder": (
            {"holder_id": st.uuids(), "changes": st.just({"mobile": "9876543210"})},
            {"holder_id": invalid_uuids(), "changes": invalid_holder_details()},
        ),
        "export_holder": (
            {"holder_id": st.uuids(), "purpose": texts(REASON_LENGTH)},
            {"holder_id": invalid_uuids(), "purpose": invalid_texts(REASON_LENGTH)},
        ),
        "forget_holder": (
            {"holder_id": st.uuids(), "reason": texts(REASON_LENGTH)},
            {"holder_id": invalid_uuids(), "reason": invalid_texts(REASON_LENGTH)},
        ),
        "receive_invoice": (
            {
                "object_id": invoice_object_ids(),
                "supplier_invoice_number": document_numbers(),
                "total": amounts(),
                "allows_partial": st.booleans(),
                "object_version": object_versions(),
                **b2b,
            },
            {
                "object_id": invalid_invoice_object_ids(),
                "supplier_invoice_number": invalid_document_numbers(),
                "total": invalid_positive_amounts(),
                "allows_partial": invalid_flags(),
                "object_version": invalid_counts(1, MAX_OBJECT_VERSION),
                **bad_b2b,
            },
        ),
        "respond_to_invoice": (
            {**invoice, **versioned, "response": buyer_responses(), "remarks": remarks()},
            {
                **bad_invoice,
                **bad_versioned,
                "response": invalid_choices(BuyerResponse),
                "remarks": invalid_remarks(),
            },
        ),
        "edit_invoice": (
            {
                **invoice,
                **versioned,
                "supplier_invoice_number": document_numbers(),
                "total": amounts(),
                "allows_partial": st.booleans(),
            },
            {
                **bad_invoice,
                **bad_versioned,
                "supplier_invoice_number": invalid_document_numbers(),
                "total": invalid_positive_amounts(),
                "allows_partial": invalid_flags(),
            },
        ),
        "cancel_invoice": (
            {**invoice, **versioned, "remarks": remarks()},
            {**bad_invoice, **bad_versioned, "remarks": invalid_remarks()},
        ),
        "receive_cd_note": (
            {
                **invoice,
                "note_id": ids(),
                "note_type": note_types(),
                "amount": amounts("0.01", "1.00"),
            },
            {
                **bad_invoice,
                "note_id": invalid_ids(),
                "note_type": invalid_choices(NoteType),
                "amount": invalid_positive_amounts(),
            },
        ),
        "confirm_cd_note": (
            {**invoice, "note_id": ids()},
            {**bad_invoice, "note_id": invalid_ids()},
        ),
        "initiate_payment": (
            {
                "invoice_ids": st.just([targets.invoice_id]),
                "payment_type": payment_types(),
                "amount": st.none() | amounts("1.00", "2.00"),
                "remarks": st.just("") | remarks(),
            },
            {
                "invoice_ids": invalid_uuid_lists(),
                "payment_type": invalid_choices(PaymentType),
                "amount": invalid_positive_amounts().filter(_given),
                "remarks": invalid_b2b_texts(REMARKS_LENGTH, allow_empty=True),
            },
        ),
        "request_payment_otp": (payment, bad_payment),
        "authorise_payment": ({**payment, "otp": otps()}, {**bad_payment, "otp": invalid_otps()}),
        "submit_payment": (payment, bad_payment),
        "record_payment_success": (
            {**payment, "utr": texts(UTR_LENGTH)},
            {**bad_payment, "utr": invalid_texts(UTR_LENGTH)},
        ),
        "record_payment_failure": (
            {**payment, "reason": texts(REASON_LENGTH)},
            {**bad_payment, "reason": invalid_texts(REASON_LENGTH)},
        ),
        "draft_purchase_order": (
            {
                "object_id": purchase_order_object_ids(),
                "buyer_po_number": document_numbers(),
                "subject": subjects(),
                "total": amounts(),
                **b2b,
            },
            {
                "object_id": invalid_purchase_order_object_ids(),
                "buyer_po_number": invalid_document_numbers(),
                "subject": invalid_b2b_texts(PO_SUBJECT_LENGTH),
                "total": invalid_positive_amounts(),
                **bad_b2b,
            },
        ),
        "send_purchase_order": ({**po, **versioned}, {**bad_po, **bad_versioned}),
        "edit_purchase_order": (
            {**po, **versioned, "subject": subjects(), "total": amounts()},
            {
                **bad_po,
                **bad_versioned,
                "subject": invalid_b2b_texts(PO_SUBJECT_LENGTH),
                "total": invalid_positive_amounts(),
            },
        ),
        "record_po_response": (
            {**po, **versioned, "response": supplier_responses(), "remarks": remarks()},
            {
                **bad_po,
                **bad_versioned,
                "response": invalid_choices(SupplierResponse),
                "remarks": invalid_remarks(),
            },
        ),
        "record_po_fulfilment": (
            {**po, "value": amounts()},
            {**bad_po, "value": invalid_positive_amounts()},
        ),
        "close_purchase_order": ({**po, **versioned}, {**bad_po, **bad_versioned}),
        "cancel_purchase_order": (
            {**po, **versioned, "remarks": remarks()},
            {**bad_po, **bad_versioned, "remarks": invalid_remarks()},
        ),
        "record_position": (
            {"position": positions()},
            {"position": invalid_positions()},
        ),
    }


#: Public methods of ``PaymentsCore`` that only read, or wire up the application.
NOT_COMMANDS = frozenset(
    {
        "close",
        "construct_recorder",
        "construct_snapshot_store",
        "register_transcodings",
        "store_settings",
        "tracking",
        "has_tracked",
        "max_tracked",
        "get_card_account",
        "get_holder",
        "holder_details",
        "get_invoice",
        "get_payment",
        "get_purchase_order",
        "invoice_id",
        "purchase_order_id",
    }
)


def public_commands() -> list[str]:
    """The public commands of ``PaymentsCore``: every public method that paycore defines
    (on the runner or a command module) and that is not in NOT_COMMANDS."""
    return sorted(
        {
            name
            for cls in PaymentsCore.__mro__
            if issubclass(cls, CommandRunner)
            for name in vars(cls)
            if not name.startswith("_")
            and callable(getattr(PaymentsCore, name))
            and name not in NOT_COMMANDS
        }
    )


def invalid_command_arguments(targets: Targets) -> dict[str, st.SearchStrategy[Arguments]]:
    """For the public commands of ``PaymentsCore``: keyword arguments, one of them invalid.

    ``context`` (and ``idempotency_key``, where a command takes one) may be the invalid one.
    """
    arguments = {}
    for command, (own_valid, own_invalid) in argument_strategies(targets).items():
        parameters = inspect.signature(getattr(PaymentsCore, command)).parameters
        valid, invalid = dict(own_valid), dict(own_invalid)
        if "context" in parameters:
            valid["context"] = st.none() | contexts()
            invalid["context"] = invalid_contexts()
        if "idempotency_key" in parameters:
            valid["idempotency_key"] = st.none()
            invalid["idempotency_key"] = invalid_idempotency_keys()
        arguments[command] = with_one_invalid(valid, invalid)
    return arguments
