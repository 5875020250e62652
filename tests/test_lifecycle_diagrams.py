"""The lifecycle pictures in docs/lifecycles.md are the tables the code checks."""

from __future__ import annotations

import re
from pathlib import Path

from paycore.domain.aggregate import Lifecycle
from paycore.domain.card_account import CARD_LIFECYCLE, BlockCode
from paycore.domain.invoice import INVOICE_LIFECYCLE
from paycore.domain.payment import PAYMENT_LIFECYCLE
from paycore.domain.purchase_order import PO_LIFECYCLE

PAGE = Path(__file__).resolve().parent.parent / "docs" / "lifecycles.md"
LIFECYCLES = [CARD_LIFECYCLE, INVOICE_LIFECYCLE, PAYMENT_LIFECYCLE, PO_LIFECYCLE]


def diagrams() -> list[str]:
    return re.findall(r"^```mermaid\n(.*?)\n```", PAGE.read_text(), re.DOTALL | re.MULTILINE)


def test_the_page_draws_each_lifecycle_from_its_table() -> None:
    assert diagrams() == [lifecycle.mermaid() for lifecycle in LIFECYCLES]


def test_a_diagram_has_every_move_and_marks_the_final_statuses() -> None:
    drawn = CARD_LIFECYCLE.mermaid().splitlines()
    moves = {(a, b) for a, targets in CARD_LIFECYCLE.moves.items() for b in targets}
    assert {tuple(line.strip().split(" --> ")) for line in drawn[1:]} == {
        (str(a), str(b)) for a, b in moves
    } | {(str(BlockCode.BLOCKED), "[*]")}


def test_a_move_to_a_status_without_a_row_ends_there() -> None:
    lifecycle: Lifecycle[BlockCode] = Lifecycle(
        name="test",
        moves={BlockCode.ACTIVATION_IN_PROGRESS: frozenset({BlockCode.BLOCKED})},
        error=CARD_LIFECYCLE.error,
    )
    drawn = lifecycle.mermaid().splitlines()
    assert drawn == ["stateDiagram-v2", "    AP --> BL", "    BL --> [*]"]
