"""What the platform needs that paycore's events do not hold: the partner's profile."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from paycore.adapters.enkash import models as m

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
        """Reads the JSON file at ``path``, or at ``$PAYCORE_SYNC_PROFILE``."""
        where = path or os.environ.get(PROFILE_VARIABLE)
        if not where:
            msg = f"pass a partner profile file or set {PROFILE_VARIABLE}"
            raise ValueError(msg)
        return cls.model_validate_json(Path(where).read_text())
