"""The paycore domain: money, aggregates, rules and the PaymentsCore application.

The names a host service needs most are importable from here::

    from paycore.domain import CommandContext, Money, PaymentsCore, PaycoreError

``paycore`` itself is a namespace shared by ``paycore.domain``, ``paycore.adapters`` and
``paycore.projections``, so nothing is importable from a bare ``paycore``; the installed
version is ``paycore.domain.__version__`` (read from the package's metadata).
"""

from importlib.metadata import version

from paycore.domain.aggregate import ObjectVersion, Source
from paycore.domain.asynchronous import AsyncPaymentsCore
from paycore.domain.core import PaymentsCore
from paycore.domain.errors import PaycoreError
from paycore.domain.money import Money
from paycore.domain.otp import IssuedOtp, PinGateway
from paycore.domain.runner import CommandContext

__version__ = version("paycore")

__all__ = [
    "AsyncPaymentsCore",
    "CommandContext",
    "IssuedOtp",
    "Money",
    "ObjectVersion",
    "PaycoreError",
    "PaymentsCore",
    "PinGateway",
    "Source",
    "__version__",
]
