"""Set PIN, sent at once: a PIN never enters an event, so the relay cannot send it."""

from __future__ import annotations

from paycore.adapters.enkash import EnkashClient
from paycore.adapters.enkash import models as m
from paycore.domain.card_account import Card, CardAccount
from paycore.domain.errors import InvalidArgument
from paycore.domain.otp import Pin


class EnkashPinGateway:
    """The :class:`~paycore.domain.core.PinGateway` of the EnKash platform.

    ``PaymentsCore(pin_gateway=EnkashPinGateway(client))``: ``set_card_pin`` calls the
    platform inside the command, before the ``PinSet`` event is saved. A failed call
    raises and nothing is recorded; a call that times out leaves the PIN unknown and
    the command refused, so the holder sets it again (setting a PIN twice is harmless).
    """

    def __init__(self, client: EnkashClient) -> None:
        self._client = client

    def set_pin(self, account: CardAccount, card: Card, pin: Pin) -> None:
        if account.remote_id is None or card.remote_id is None:
            msg = f"card {card.card_id} is not on the platform yet; set its PIN once it is"
            raise InvalidArgument(msg, card_id=card.card_id)
        self._client.set_pin(
            m.SetPinRequest(
                companyId=account.company_id,
                cardAccountId=account.remote_id,
                enKashCardId=card.remote_id,
                pinBlock=pin.value,  # type: ignore[arg-type]
            )
        )
