"""What the platform needs that paycore's events do not hold: the partner's profile."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from paycore.adapters.enkash import models as m
from paycore.domain.errors import ConfigurationError

PROFILE_VARIABLE = "PAYCORE_SYNC_PROFILE"


class PartnerProfile(BaseModel):
    """Fixed values of the partner's requests, and the B2B parties it deals with.

    ``parties`` maps a B2B id to the party details (GSTIN, address) that purchase
    orders and notes carry; an order with a party missing here waits in the dead-letter
    list until the profile names it.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    plan_master_id: str = Field(min_length=1)
    email: str = Field(min_length=3)
    mobile: str = Field(pattern=r"^\d{10}$")
    #: the ``GEOCODE`` device tag of B2B requests ("lat,long")
    geocode: str = Field(min_length=1)
    #: the HSN/SAC code of the one line a purchase order or note is sent with
    hsn_code: str = "998599"
    #: the delivery date of a purchase order: this many days after it is sent
    delivery_days: int = Field(default=30, ge=0)
    parties: dict[str, m.Party] = Field(default_factory=dict)

    @classmethod
    def from_file(cls, path: str | Path | None = None) -> PartnerProfile:
        """Reads the JSON file at ``path``, or at ``$PAYCORE_SYNC_PROFILE``.

        Every problem (no file named, one that cannot be read, one that fails validation)
        is a :class:`~paycore.domain.errors.ConfigurationError` of one line naming the
        file and, for a bad value, its field (never the value).
        """
        where = path or os.environ.get(PROFILE_VARIABLE)
        if not where:
            msg = f"pass a partner profile file or set {PROFILE_VARIABLE}"
            raise ConfigurationError(msg, setting=PROFILE_VARIABLE)
        try:
            text = Path(where).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not UTF-8"
            msg = f"partner profile {where}: {reason.lower()}"
            raise ConfigurationError(msg, path=str(where)) from None
        try:
            return cls.model_validate_json(text)
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(part) for part in first["loc"]) or "(the file)"
            msg = f"partner profile {where}: {field}: {first['msg'].lower()}"
            raise ConfigurationError(msg, path=str(where), field=field) from None
