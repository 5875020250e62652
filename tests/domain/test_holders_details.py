"""Holder details at their documented patterns (issue 15, step 1): each pattern at its
boundary and one past it; refusals name the field and never the personal value."""

from __future__ import annotations

import pytest

from paycore.domain.errors import InvalidArgument
from paycore.domain.personal_data import HolderDetails, check_field

BASE = {"first_name": "Asha", "last_name": "Verma", "mobile": "9876501234"}
DELIVERY = {
    "delivery_address": "12 Lake Road",
    "delivery_city": "Kota",
    "delivery_state": "Rajasthan",
    "delivery_pincode": "323307",
}


@pytest.mark.parametrize(
    ("field", "good", "bad"),
    [
        ("mobile", "0000000000", "987650123"),
        ("mobile", "9876501234", "98765012345"),
        ("mobile", "9876501234", "98765O1234"),
        ("pan", "ABCDE1234F", "ABCD1234F"),
        ("pan", "ZZZZZ9999Z", "abcde1234f"),
        ("pan", "ABCDE1234F", "ABCDE1234FG"),
        ("pincode", "100000", "012345"),
        ("pincode", "999999", "99999"),
        ("pincode", "323307", "3233070"),
        ("delivery_pincode", "323309", "023309"),
        ("email", "a.b%c+d@ex-ample.co", "a@b.c"),
        ("email", "x@y.in", "x@y"),
        ("gender", "F", "X"),
    ],
)
def test_a_pattern_takes_the_good_value_and_refuses_the_bad(
    field: str, good: str, bad: str
) -> None:
    assert check_field(field, good) == good
    with pytest.raises(InvalidArgument) as refused:
        check_field(field, bad)
    assert refused.value.code == "INVALID_ARGUMENT"
    assert refused.value.details["argument"] == field
    assert bad not in str(refused.value)
    assert bad not in repr(refused.value.details)


def test_email_is_at_most_254_characters() -> None:
    at_limit = "a" * 245 + "@ex.co.in"
    assert len(at_limit) == 254
    assert check_field("email", at_limit) == at_limit
    with pytest.raises(InvalidArgument) as refused:
        check_field("email", "a" + at_limit)
    assert refused.value.details == {"argument": "email", "expected": "an email address"}


def test_names_are_at_most_100_characters_and_addresses_200() -> None:
    assert check_field("first_name", "A" * 100) == "A" * 100
    with pytest.raises(InvalidArgument) as refused:
        check_field("first_name", "A" * 101)
    assert refused.value.details == {
        "argument": "first_name",
        "expected": "1-100 characters, not blank",
    }
    assert check_field("address", "B" * 200) == "B" * 200
    with pytest.raises(InvalidArgument) as refused:
        check_field("address", "B" * 201)
    assert refused.value.details["expected"] == "1-200 characters, not blank"


def test_an_unknown_field_or_a_non_string_is_refused() -> None:
    with pytest.raises(InvalidArgument) as refused:
        check_field("aadhaar", "123412341234")
    assert refused.value.details["argument"] == "details"
    assert "123412341234" not in str(refused.value)
    with pytest.raises(InvalidArgument) as refused:
        check_field("mobile", 9876501234)
    assert refused.value.details == {"argument": "mobile", "expected": "a string"}


def test_a_holder_needs_a_first_name() -> None:
    with pytest.raises(InvalidArgument) as refused:
        HolderDetails.of({"last_name": "Verma"})
    assert refused.value.details["argument"] == "first_name"


def test_a_physical_card_needs_a_delivery_address() -> None:
    assert (
        HolderDetails.of({**BASE, **DELIVERY}, physical_card=True).values["delivery_city"] == "Kota"
    )
    assert HolderDetails.of(BASE).values == BASE  # a virtual card needs none
    one_short = {**BASE, **DELIVERY}
    del one_short["delivery_pincode"]
    with pytest.raises(InvalidArgument) as refused:
        HolderDetails.of(one_short, physical_card=True)
    assert refused.value.details == {"argument": "details", "missing": ["delivery_pincode"]}


def test_details_never_show_their_values() -> None:
    details = HolderDetails.of({**BASE, "pan": "ABCDE1234F"})
    assert "ABCDE1234F" not in repr(details)
    assert "9876501234" not in repr(details)
    assert repr(details) == "HolderDetails(fields=['first_name', 'last_name', 'mobile', 'pan'])"


def test_a_correction_is_checked_and_none_removes_a_field() -> None:
    details = HolderDetails.of({**BASE, "pan": "ABCDE1234F"})
    corrected = details.corrected({"mobile": "9123456780", "pan": None})
    assert corrected.values == {**BASE, "mobile": "9123456780"}
    with pytest.raises(InvalidArgument) as refused:
        details.corrected({"pan": "ABCDE12345"})
    assert refused.value.details["argument"] == "pan"
    assert details.values["pan"] == "ABCDE1234F"  # the original is unchanged
