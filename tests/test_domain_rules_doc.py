"""docs/domain-rules.md tells the truth: every error code, and the lifecycle tables."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import paycore.domain.core  # noqa: F401 - defines every error class
from paycore.domain.aggregate import Lifecycle
from paycore.domain.card_account import CARD_LIFECYCLE, BlockCode
from paycore.domain.errors import PaycoreError
from paycore.domain.invoice import INVOICE_LIFECYCLE, InvoiceStatus
from paycore.domain.payment import PAYMENT_LIFECYCLE, PaymentStatus
from paycore.domain.purchase_order import PO_LIFECYCLE, PurchaseOrderStatus

DOC = (Path(__file__).resolve().parent.parent / "docs" / "domain-rules.md").read_text()


def all_codes(cls: type[PaycoreError] = PaycoreError) -> set[str]:
    codes = set()
    for sub in cls.__subclasses__():
        # errors that tests define for themselves are not paycore's
        if sub.__module__.startswith("paycore."):
            codes |= {sub.code} | all_codes(sub)
    return codes


def test_every_error_code_is_documented() -> None:
    domain_codes = {c for c in all_codes() if not c.startswith(("REMOTE_", "AUTH_"))}
    undocumented = sorted(c for c in domain_codes if f"`{c}`" not in DOC)
    assert undocumented == []


def documented_table(heading: str) -> dict[str, set[str]]:
    section = DOC.split(f"### {heading}\n", 1)[1].split("\n#", 1)[0]
    rows = re.findall(r"^\| (\w+) \|([^|\n]*)\|$", section, re.MULTILINE)
    return {
        status: {t.strip() for t in targets.split(",") if t.strip()}
        for status, targets in rows
        if status != "From"
    }


@pytest.mark.parametrize(
    ("heading", "lifecycle", "statuses"),
    [
        ("Card lifecycle (block codes)", CARD_LIFECYCLE, BlockCode),
        ("Invoice lifecycle", INVOICE_LIFECYCLE, InvoiceStatus),
        ("Payment lifecycle", PAYMENT_LIFECYCLE, PaymentStatus),
        ("Purchase order lifecycle", PO_LIFECYCLE, PurchaseOrderStatus),
    ],
)
def test_documented_lifecycle_equals_the_code(
    heading: str,
    lifecycle: Lifecycle,
    statuses: type,  # type: ignore[type-arg]
) -> None:
    in_code = {str(s): {str(t) for t in lifecycle.allowed(s)} for s in statuses}
    assert documented_table(heading) == in_code
