"""The paycore domain: money, aggregates, rules and the PaymentsCore application.

The names a host service needs most are importable from here::

    from paycore.domain import CommandContext, Money, PaymentsCore, PaycoreError
"""

from paycore.domain.aggregate import ObjectVersion, Source
from paycore.domain.core import PaymentsCore
from paycore.domain.errors import PaycoreError
from paycore.domain.money import Money
from paycore.domain.otp import IssuedOtp, PinGateway
from paycore.domain.runner import CommandContext

__all__ = [
    "CommandContext",
    "IssuedOtp",
    "Money",
    "ObjectVersion",
    "PaycoreError",
    "PaymentsCore",
    "PinGateway",
    "Source",
]
