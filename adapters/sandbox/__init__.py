"""A stateful stand-in of the EnKash platform, served over loopback HTTP.

:func:`run_sandbox` starts one and yields a :class:`Sandbox` (its ``url``, its
``state``, its ``ledger`` of requests and effects, its ``faults``); a client made from
``sandbox.client_config()`` talks to it exactly as to the platform.
"""

from paycore.adapters.sandbox.faults import Fault, FaultPlan, FaultRates, WebhookFault
from paycore.adapters.sandbox.ledger import Ledger, Received
from paycore.adapters.sandbox.server import Sandbox, SandboxSettings, run_sandbox
from paycore.adapters.sandbox.state import Effect, PlatformState
from paycore.adapters.sandbox.webhooks import Delivery, WebhookTarget, deliver
from paycore.adapters.webhooks.auth import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign

__all__ = [
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "Delivery",
    "Effect",
    "Fault",
    "FaultPlan",
    "FaultRates",
    "Ledger",
    "PlatformState",
    "Received",
    "Sandbox",
    "SandboxSettings",
    "WebhookFault",
    "WebhookTarget",
    "deliver",
    "run_sandbox",
    "sign",
]
