"""After any sequence of commands, each view equals what the aggregates and the stored
events say, however the log is cut into batches and catch-ups."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from uuid import UUID

from hypothesis import given
from hypothesis import strategies as st

from paycore.domain.card_account import Card, CardAccount, UsageControls
from paycore.domain.core import PaymentsCore
from paycore.domain.errors import PaycoreError
from paycore.domain.money import Money
from paycore.domain.otp import Pin
from paycore.projections import Projector, open_views
from tests.projections.expected import OTP, Clock, assert_views_match, object_id

CHANNELS = ("POS", "ONLINE", "ATM", "CONTACTLESS")


class NoPinGateway:
    def set_pin(self, account: CardAccount, card: Card, pin: Pin) -> None:
        return None


@dataclass
class World:
    """The ids the commands so far made, for later commands to name."""

    core: PaymentsCore
    clock: Clock
    accounts: list[UUID] = field(default_factory=list)
    cards: list[tuple[UUID, str]] = field(default_factory=list)
    invoices: list[UUID] = field(default_factory=list)
    notes: list[tuple[UUID, str]] = field(default_factory=list)
    payments: list[UUID] = field(default_factory=list)
    orders: list[UUID] = field(default_factory=list)


@dataclass(frozen=True)
class Step:
    command: str
    pick: int
    paise: int
    flag: bool
    choice: int

    @property
    def amount(self) -> Money:
        return Money(Decimal(self.paise) / 100)

    def one_of(self, items: list[Any]) -> Any:
        if not items:
            raise LookupError
        return items[self.pick % len(items)]


def card_commands(world: World, step: Step, n: int) -> None:
    core = world.core
    if step.command == "open_account":
        world.accounts.append(core.open_card_account("CO", "Acme", "Travel", "CORPORATE"))
        return
    if step.command == "issue_card":
        account = step.one_of(world.accounts)
        kind = ("PREPAID", "GIFT")[step.choice % 2]
        load = step.amount if step.flag else "0"
        world.cards.append((account, core.issue_card(account, kind, initial_load=load)))
        return
    account, card = step.one_of(world.cards)
    if step.command == "activate":
        core.activate_card(account, card, kyc_completed=True, terms_accepted=step.flag)
    elif step.command == "load":
        key = "load-key" if step.choice == 0 else None
        core.load_card(account, card, step.amount, idempotency_key=key)
    elif step.command == "spend":
        channel = CHANNELS[step.choice % len(CHANNELS)]
        core.record_card_spend(account, card, step.amount, channel, f"T{n}", world.clock.now)
    elif step.command == "controls":
        controls = UsageControls(
            disabled_channels=(CHANNELS[step.choice % len(CHANNELS)],),
            per_transaction=step.amount if step.flag else None,
            daily_count=step.choice,
        )
        core.set_usage_controls(account, [card], controls)
    elif step.command == "block_code":
        move = (core.lock_card, core.unlock_card, core.block_card)[step.choice % 3]
        move(account, card, "")
    elif step.command == "replace":
        world.cards.append((account, core.replace_card(account, card)))
    elif step.command == "remote_card":
        core.record_remote_card(account, card, f"EK{n}", "411111XXXXXX1111")
    elif step.command == "pin":
        core.set_card_pin(account, card, "1234")


def invoice_commands(world: World, step: Step, n: int) -> None:
    core = world.core
    if step.command == "receive_invoice":
        world.invoices.append(
            core.receive_invoice(
                object_id("INV", n),
                "SUP",
                step.amount,
                allows_partial=step.flag,
                buyer_b2b_id="b",
                supplier_b2b_id="s",
            )
        )
        return
    if step.command == "confirm_note":
        core.confirm_cd_note(*step.one_of(world.notes))
        return
    invoice = step.one_of(world.invoices)
    if step.command == "respond":
        core.respond_to_invoice(invoice, ("ACCEPT", "ACCEPT", "REJECT", "RETURN")[step.choice], "r")
    elif step.command == "edit_invoice":
        core.edit_invoice(invoice, "SUP-2", step.amount, allows_partial=step.flag)
    elif step.command == "cancel_invoice":
        core.cancel_invoice(invoice, "r")
    elif step.command == "note":
        note_type = ("CREDIT", "DEBIT")[step.choice % 2]
        core.receive_cd_note(invoice, f"N{n}", note_type, step.amount)
        world.notes.append((invoice, f"N{n}"))
    elif step.command == "pay":
        invoices = [invoice]
        if step.choice == 3 and len(world.invoices) > 1:
            invoices = list(dict.fromkeys([invoice, *world.invoices[:2]]))
        amount = step.amount if step.flag else None
        world.payments.append(core.initiate_payment(invoices, amount=amount))


def payment_commands(world: World, step: Step, n: int) -> None:
    """Moves a payment one step along its lifecycle, or (now and then) fails it."""
    core, payment = world.core, step.one_of(world.payments)
    status = core.get_payment(payment).status
    if step.choice == 3 and not step.flag:
        core.record_payment_failure(payment, "declined")
    elif status == "INITIATED":
        core.request_payment_otp(payment)
    elif status == "OTP_SENT":
        core.authorise_payment(payment, OTP if step.flag or step.choice else "000000")
    elif status == "AUTHORISED":
        core.submit_payment(payment)
    else:
        core.record_payment_success(payment, f"UTR{n}")


def order_commands(world: World, step: Step, n: int) -> None:
    core = world.core
    if step.command == "draft_po":
        world.orders.append(
            core.draft_purchase_order(
                object_id("PO", n),
                "PO",
                "goods",
                step.amount,
                buyer_b2b_id="b",
                supplier_b2b_id="s",
            )
        )
        return
    order = step.one_of(world.orders)
    if step.command == "send_po":
        core.send_purchase_order(order)
    elif step.command == "po_response":
        core.record_po_response(order, ("ACCEPT", "ACCEPT", "REJECT", "RETURN")[step.choice], "r")
    elif step.command == "edit_po":
        core.edit_purchase_order(order, "more goods", step.amount)
    elif step.command == "fulfil":
        core.record_po_fulfilment(order, step.amount)
    elif step.command == "close_po":
        core.close_purchase_order(order)
    elif step.command == "cancel_po":
        core.cancel_purchase_order(order, "r")


COMMANDS = {
    card_commands: (
        "open_account",
        "issue_card",
        "activate",
        "load",
        "spend",
        "controls",
        "block_code",
        "replace",
        "remote_card",
        "pin",
    ),
    invoice_commands: (
        "receive_invoice",
        "respond",
        "edit_invoice",
        "cancel_invoice",
        "note",
        "confirm_note",
        "pay",
    ),
    # Three names, so that payments move about as often as the other aggregates change.
    payment_commands: ("advance_payment", "next_payment_step", "move_payment_on"),
    order_commands: (
        "draft_po",
        "send_po",
        "po_response",
        "edit_po",
        "fulfil",
        "close_po",
        "cancel_po",
    ),
}
RUNNER = {name: run for run, names in COMMANDS.items() for name in names}

steps = st.builds(
    Step,
    command=st.sampled_from(list(RUNNER)),
    pick=st.integers(0, 5),
    paise=st.integers(100, 120_000),
    flag=st.booleans(),
    choice=st.integers(0, 3),
)


def prelude(world: World) -> None:
    """Something for every command to act on: cards in use, accepted invoices, payments
    under way, an order sent."""
    core = world.core
    account = core.open_card_account("CO", "Acme", "Travel", "CORPORATE")
    world.accounts.append(account)
    for kind in ("PREPAID", "PREPAID", "GIFT"):
        card = core.issue_card(account, kind, initial_load="1000.00")
        core.activate_card(account, card, kyc_completed=True, terms_accepted=True)
        world.cards.append((account, card))
    for n in range(3):
        invoice = core.receive_invoice(
            object_id("INV", 1000 + n), "SUP", "900.00", buyer_b2b_id="b", supplier_b2b_id="s"
        )
        if n:
            core.respond_to_invoice(invoice, "ACCEPT", "ok")
        world.invoices.append(invoice)
    submitted = core.initiate_payment([world.invoices[1]], amount="100.00")
    core.request_payment_otp(submitted)
    core.authorise_payment(submitted, OTP)
    core.submit_payment(submitted)
    world.payments += [submitted, core.initiate_payment([world.invoices[2]])]
    order = core.draft_purchase_order(
        object_id("PO", 1000), "PO", "goods", "900.00", buyer_b2b_id="b", supplier_b2b_id="s"
    )
    core.send_purchase_order(order)
    world.orders.append(order)


def apply(world: World, step: Step, n: int) -> None:
    """Runs one command; a refusal by a business rule, or a step that names nothing yet,
    writes nothing and the sequence goes on."""
    with contextlib.suppress(PaycoreError, LookupError):
        RUNNER[step.command](world, step, n)
    world.clock.advance(minutes=0.25)


@given(
    commands=st.lists(steps, min_size=10, max_size=40),
    batch_size=st.integers(1, 40),
    cut=st.integers(0, 40),
)
def test_each_view_equals_a_fold_of_the_events_after_any_commands(
    commands: list[Step], batch_size: int, cut: int
) -> None:
    clock = Clock()
    core = PaymentsCore("memory://", clock=clock, otp_codes=lambda: OTP, pin_gateway=NoPinGateway())
    world = World(core, clock)
    prelude(world)
    with Projector(core, open_views("memory://"), batch_size=batch_size) as projector:
        for n, step in enumerate(commands):
            if n == cut:
                projector.update()
            apply(world, step, n)
        projector.update()
        assert_views_match(core, projector.store)
        projector.store.close()
