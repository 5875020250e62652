"""The per-person encryption primitives (issue 15, step 2, part): AES-GCM under each
holder's data key, bound to holder id and field; data keys wrapped by the master key."""

from __future__ import annotations

import base64
from uuid import uuid4

import pytest
from cryptography.exceptions import InvalidTag

from paycore.domain.errors import ConfigurationError
from paycore.domain.personal_data import (
    Erased,
    KeyProvider,
    MasterKey,
    new_data_key,
    open_sealed,
    seal,
)

PAN = "ABCDE1234F"


def test_a_sealed_field_opens_with_its_key_holder_and_field_only() -> None:
    holder, other = uuid4(), uuid4()
    key = new_data_key()
    sealed = seal(key, holder, "pan", PAN)
    assert open_sealed(key, holder, "pan", sealed) == PAN
    for stored in (PAN.encode(), PAN.encode().hex().encode(), base64.b64encode(PAN.encode())):
        assert stored not in sealed
    with pytest.raises(InvalidTag):
        open_sealed(key, other, "pan", sealed)  # bound to the holder
    with pytest.raises(InvalidTag):
        open_sealed(key, holder, "mobile", sealed)  # bound to the field
    with pytest.raises(InvalidTag):
        open_sealed(new_data_key(), holder, "pan", sealed)  # another person's key
    assert seal(key, holder, "pan", PAN) != sealed  # a fresh nonce each time


def test_without_its_key_a_field_reads_as_erased() -> None:
    sealed = seal(new_data_key(), uuid4(), "pan", PAN)
    erased = open_sealed(None, uuid4(), "pan", sealed)
    assert erased == Erased("pan")
    assert str(erased) == "<erased>"


def test_the_master_key_wraps_a_data_key_bound_to_its_holder() -> None:
    master: KeyProvider = MasterKey(bytes(range(32)))
    holder = uuid4()
    key = new_data_key()
    wrapped = master.wrap(holder, key)
    assert key not in wrapped
    assert master.unwrap(holder, wrapped) == key
    with pytest.raises(InvalidTag):
        master.unwrap(uuid4(), wrapped)
    with pytest.raises(InvalidTag):
        MasterKey(bytes(32)).unwrap(holder, wrapped)  # another master key
    assert "00010203" not in repr(master)


@pytest.mark.parametrize("size", [31, 33, 16])
def test_a_master_key_is_exactly_32_bytes(size: int) -> None:
    with pytest.raises(ConfigurationError) as refused:
        MasterKey(bytes(size))
    assert refused.value.code == "CONFIGURATION"
    assert refused.value.details == {"setting": "PAYCORE_MASTER_KEY", "expected": "32 bytes"}


def test_the_master_key_from_64_hex_digits_and_not_63_or_65() -> None:
    text = "ab" * 32
    holder, key = uuid4(), new_data_key()
    assert (
        MasterKey.from_hex(text).unwrap(holder, MasterKey(bytes.fromhex(text)).wrap(holder, key))
        == key
    )
    for bad in (text[:-1], text + "a", "zz" * 32):
        with pytest.raises(ConfigurationError) as refused:
            MasterKey.from_hex(bad)
        assert refused.value.details == {
            "setting": "PAYCORE_MASTER_KEY",
            "expected": "64 hex digits",
        }
        assert bad not in str(refused.value)
