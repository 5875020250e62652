"""The outbound sync relay: paycore's events become calls to the platform, once.

:class:`SyncRelay` follows the notification log; :class:`EnkashPinGateway` sends PINs
synchronously (they never enter an event). ``docs/sync.md`` states the guarantees.
"""

from paycore.adapters.sync.items import DeadLetter
from paycore.adapters.sync.pin import EnkashPinGateway
from paycore.adapters.sync.profile import PartnerProfile
from paycore.adapters.sync.relay import CONSUMER, RelayBusy, RelaySettings, SyncRelay

__all__ = [
    "CONSUMER",
    "DeadLetter",
    "EnkashPinGateway",
    "PartnerProfile",
    "RelayBusy",
    "RelaySettings",
    "SyncRelay",
]
