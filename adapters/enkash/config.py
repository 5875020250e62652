"""Where the EnKash platform is and who paycore is to it.

Built in code (``EnkashConfig(...)``) or from the environment
(``EnkashConfig.from_env()``); see ``docs/remote-api.md`` for the variables and for the
hosts of each environment. Secrets are ``SecretStr``: they never show in a repr.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from paycore.domain.errors import ConfigurationError

ENV_PREFIX = "PAYCORE_ENKASH_"


class EnkashConfig(BaseModel):
    """Connection settings of one partner on one EnKash environment.

    ``client_secret`` is both the OAuth client secret (Basic header of the token
    request) and the key material of the card-payload encryption, as the platform
    issues one secret for both.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    card_base_url: str = Field(min_length=1)
    b2b_base_url: str = Field(min_length=1)
    ap_base_url: str = Field(min_length=1)
    token_url: str = Field(min_length=1)
    partner_id: str = Field(min_length=1)
    client_id: str = Field(min_length=1)
    client_secret: SecretStr
    username: str = Field(min_length=1)
    password: SecretStr
    connect_timeout: float = Field(default=5.0, gt=0)
    read_timeout: float = Field(default=30.0, gt=0)
    #: a token is renewed this many seconds before ``expires_in`` runs out (at most
    #: half of its lifetime)
    token_refresh_margin: float = Field(default=30.0, ge=0)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> EnkashConfig:
        """Read ``PAYCORE_ENKASH_<FIELD>`` for every field (upper case).

        Fields with a default may be left unset. A missing or invalid one is a
        :class:`~paycore.domain.errors.ConfigurationError` naming its variable.
        """
        source = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for name in cls.model_fields:
            key = ENV_PREFIX + name.upper()
            if key in source:
                values[name] = source[key]
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            # A setting of this process, not a request to the platform: CONFIGURATION,
            # naming the variable (never its value: it may be a secret).
            first = exc.errors()[0]
            setting = ENV_PREFIX + str(first["loc"][0]).upper() if first["loc"] else ENV_PREFIX
            problem = "is not set" if first["type"] == "missing" else first["msg"].lower()
            raise ConfigurationError(
                f"environment variable {setting} {problem}", setting=setting
            ) from None

    def timeout(self) -> httpx.Timeout:
        return httpx.Timeout(
            connect=self.connect_timeout,
            read=self.read_timeout,
            write=self.read_timeout,
            pool=self.connect_timeout,
        )
