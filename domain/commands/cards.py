"""The commands of card accounts and their cards."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import attrs

from paycore.domain.arguments import (
    ACCOUNT_TITLE_LENGTH,
    ACCOUNT_TYPE_LENGTH,
    COMPANY_ID_LENGTH,
    COMPANY_NAME_LENGTH,
    MASKED_NUMBER_LENGTH,
    OTP_PURPOSE_LENGTH,
    REASON_LENGTH,
    check_aware,
    check_choice,
    check_flag,
    check_id,
    check_text,
    check_uuid,
)
from paycore.domain.card_account import (
    BL,
    UL,
    BlockCode,
    CardAccount,
    CardForm,
    CardKind,
    Channel,
    L,
    UsageControls,
)
from paycore.domain.commands import holders
from paycore.domain.errors import InvalidArgument, PinGatewayMissing
from paycore.domain.holder import Holder
from paycore.domain.money import Money
from paycore.domain.otp import IssuedOtp, OneTimePassword, Pin
from paycore.domain.personal_data import check_delivery
from paycore.domain.runner import Context, Key, Unit, variant


def _card(account_id: object, card_id: object) -> tuple[UUID, str]:
    return check_uuid(account_id, "account_id"), check_id(card_id, "card_id")


class CardCommands(holders.HolderCommands):
    """Card commands; a card may be issued to a holder (``HolderCommands``)."""

    def get_card_account(self, account_id: UUID, version: int | None = None) -> CardAccount:
        return self._get(CardAccount, account_id, version)

    def open_card_account(
        self,
        company_id: str,
        company_name: str,
        account_title: str,
        account_type: str,
        balance_cap: Money | str = "200000.00",
        *,
        context: Context = None,
        idempotency_key: Key = None,
    ) -> UUID:
        args: dict[str, Any] = {
            "company_id": check_text(company_id, "company_id", COMPANY_ID_LENGTH),
            "company_name": check_text(company_name, "company_name", COMPANY_NAME_LENGTH),
            "account_title": check_text(account_title, "account_title", ACCOUNT_TITLE_LENGTH),
            "account_type": CardAccount.check_account_type(
                check_text(account_type, "account_type", ACCOUNT_TYPE_LENGTH)
            ),
            "balance_cap": Money.positive(balance_cap, "balance_cap"),
        }
        account_id = self.ids()
        return self._run(
            "open_card_account",
            args,
            lambda unit: unit.create(CardAccount.create_with_id(account_id, "Opened", **args)).id,
            context,
            idempotency_key,
        )

    def issue_card(
        self,
        account_id: UUID,
        kind: CardKind | str,
        form: CardForm | str = CardForm.VIRTUAL,
        initial_load: Money | str = "0",
        holder_id: UUID | None = None,
        *,
        context: Context = None,
        idempotency_key: Key = None,
    ) -> str:
        """Issues a card on the account, to a holder if given; returns the new card's id.

        A physical card's holder needs a delivery address; a forgotten holder gets none.
        """
        account_id = check_uuid(account_id, "account_id")
        card_kind = check_choice(CardKind, kind, "kind")
        card_form = check_choice(CardForm, form, "form")
        load = Money.of(initial_load, "initial_load")
        holder = None if holder_id is None else check_uuid(holder_id, "holder_id")
        args = {"account_id": account_id, "kind": card_kind, "form": card_form, "load": load}
        if holder is not None:
            args["holder_id"] = holder
        card_id = str(self.ids())
        # Before anything is read: a physical card's delivery address must be opened.
        keys = self.holder_keys if holder is not None and card_form is CardForm.PHYSICAL else None

        def issue(unit: Unit) -> str:
            account = unit.get(CardAccount, account_id)
            if holder is not None:
                held_by = unit.get(Holder, holder)
                held_by.refuse_if_forgotten("new card")
                if keys is not None:
                    details = held_by.details(keys.get(holder))
                    check_delivery({f: v for f, v in details.items() if isinstance(v, str)})
                held_by.hold_card(account_id, card_id)
            account.issue_card(
                card_id, card_kind, card_form, load, None if holder is None else str(holder)
            )
            return card_id

        return self._run("issue_card", args, issue, context, idempotency_key)

    def activate_card(
        self,
        account_id: UUID,
        card_id: str,
        *,
        kyc_completed: bool,
        terms_accepted: bool,
        context: Context = None,
        idempotency_key: Key = None,
    ) -> None:
        account_id, card_id = _card(account_id, card_id)
        kyc = check_flag(kyc_completed, "kyc_completed")
        terms = check_flag(terms_accepted, "terms_accepted")
        self._run(
            "activate_card",
            {"account_id": account_id, "card_id": card_id, "kyc": kyc, "terms": terms},
            lambda unit: unit.get(CardAccount, account_id).activate_card(
                card_id, kyc_completed=kyc, terms_accepted=terms
            ),
            context,
            idempotency_key,
        )

    def load_card(
        self,
        account_id: UUID,
        card_id: str,
        amount: Money | str,
        reference: str | None = None,
        *,
        context: Context = None,
        idempotency_key: Key = None,
    ) -> str:
        """Credits a card; returns the load's client reference (uniqueReferenceNumber)."""
        account_id, card_id = _card(account_id, card_id)
        money = Money.positive(amount, "amount")
        given = None if reference is None else check_id(reference, "reference")
        args = {"account_id": account_id, "card_id": card_id, "amount": money, "ref": given}
        client_reference = given or f"LD{self.ids().hex}"

        def load(unit: Unit) -> str:
            unit.get(CardAccount, account_id).load(card_id, money, client_reference)
            return client_reference

        return self._run("load_card", args, load, context, idempotency_key)

    def record_card_spend(
        self,
        account_id: UUID,
        card_id: str,
        amount: Money | str,
        channel: Channel | str,
        transaction_id: str,
        occurred_at: datetime,
        *,
        context: Context = None,
        idempotency_key: Key = None,
    ) -> None:
        """A card transaction the platform reports; refused beyond balance, channel or limits."""
        account_id, card_id = _card(account_id, card_id)
        money, via = Money.positive(amount, "amount"), check_choice(Channel, channel, "channel")
        transaction_id = check_id(transaction_id, "transaction_id")
        at = check_aware(occurred_at, "occurred_at")
        self._run(
            "record_card_spend",
            {
                "account_id": account_id,
                "card_id": card_id,
                "amount": money,
                "channel": via,
                "transaction_id": transaction_id,
                "occurred_at": at,
            },
            lambda unit: unit.get(CardAccount, account_id).spend(
                card_id, money, via, transaction_id, at
            ),
            context,
            idempotency_key,
        )

    def set_usage_controls(
        self,
        account_id: UUID,
        card_ids: Sequence[str],
        controls: UsageControls,
        *,
        context: Context = None,
        idempotency_key: Key = None,
    ) -> None:
        account_id = check_uuid(account_id, "account_id")
        if isinstance(card_ids, str) or not isinstance(card_ids, Sequence):
            msg = "card_ids is a list of card ids"
            raise InvalidArgument(msg, argument="card_ids")
        ids = [check_id(c, "card_ids[]") for c in card_ids]
        if not isinstance(controls, UsageControls):
            msg = "controls must be a UsageControls"
            raise InvalidArgument(msg, argument="controls")
        controls = attrs.evolve(controls)  # checked again, should a caller have changed it
        self._run(
            "set_usage_controls",
            {"account_id": account_id, "card_ids": ids, "controls": controls},
            lambda unit: unit.get(CardAccount, account_id).set_usage_controls(ids, controls),
            context,
            idempotency_key,
        )

    def set_card_pin(
        self,
        account_id: UUID,
        card_id: str,
        pin: str,
        *,
        context: Context = None,
        idempotency_key: Key = None,
    ) -> None:
        """Passes the PIN to the platform through the PIN gateway; records only when."""
        account_id, card_id = _card(account_id, card_id)
        checked_pin = Pin(pin)
        gateway = self.pin_gateway
        if gateway is None:
            msg = "no PIN gateway is configured; PaymentsCore(pin_gateway=...) sends PINs"
            raise PinGatewayMissing(msg)

        def set_pin(unit: Unit) -> None:
            account = unit.get(CardAccount, account_id)
            account.record_pin_set(card_id, self._now())
            gateway.set_pin(account, account.card(card_id), checked_pin)

        args = {"account_id": account_id, "card_id": card_id}  # never the PIN, not even hashed
        self._run("set_card_pin", args, set_pin, context, idempotency_key)

    def request_card_otp(
        self,
        account_id: UUID,
        card_id: str,
        purpose: str = "TRANSACTION_OTP",
        *,
        context: Context = None,
    ) -> IssuedOtp:
        account_id, card_id = _card(account_id, card_id)
        purpose = check_text(purpose, "purpose", OTP_PURPOSE_LENGTH)

        def request(unit: Unit) -> IssuedOtp:
            issued, challenge = self._issue_otp(purpose)
            unit.get(CardAccount, account_id).issue_otp(card_id, challenge)
            return issued

        return self._run("request_card_otp", {}, request, context)

    def verify_card_otp(
        self,
        account_id: UUID,
        card_id: str,
        otp: str,
        *,
        context: Context = None,
        idempotency_key: Key = None,
    ) -> str:
        """Consumes a matching OTP and returns what it was issued for."""
        account_id, card_id = _card(account_id, card_id)
        checked, key = OneTimePassword(otp), self.otp_key

        def verify(unit: Unit) -> str:
            account = unit.get(CardAccount, account_id)
            challenge = account.card(card_id).otp
            digest = key.digest_for(challenge, checked) if challenge else ""
            return account.verify_otp(card_id, digest, self._now())

        args = {"account_id": account_id, "card_id": card_id}  # never the OTP
        return self._run("verify_card_otp", args, verify, context, idempotency_key)

    def _change_block_code(
        self,
        code: BlockCode,
        account_id: UUID,
        card_id: str,
        reason: str = "",
        *,
        context: Context = None,
        idempotency_key: Key = None,
    ) -> None:
        account_id, card_id = _card(account_id, card_id)
        reason = check_text(reason, "reason", REASON_LENGTH, allow_empty=True)
        self._run(
            "change_block_code",
            {"account_id": account_id, "card_id": card_id, "code": code, "reason": reason},
            lambda unit: unit.get(CardAccount, account_id).change_block_code(card_id, code, reason),
            context,
            idempotency_key,
        )

    lock_card = variant(_change_block_code, L, "lock_card", "Locks a card for now (block code L).")
    unlock_card = variant(_change_block_code, UL, "unlock_card", "Unlocks a locked card (UL).")
    block_card = variant(_change_block_code, BL, "block_card", "Blocks a card for good (BL).")

    def replace_card(
        self,
        account_id: UUID,
        card_id: str,
        *,
        context: Context = None,
        idempotency_key: Key = None,
    ) -> str:
        """Blocks the card and moves its balance to a new card; returns the new card's id.

        The new card is its holder's, as the old one was (the holder records it; a
        physical one needs the holder's delivery address); a forgotten holder's card is
        not replaced (``HOLDER_FORGOTTEN``)."""
        account_id, card_id = _card(account_id, card_id)
        new_card_id = str(self.ids())

        def replace(unit: Unit) -> str:
            account = unit.get(CardAccount, account_id)
            old = account.card(card_id)
            account.replace(card_id, new_card_id)
            if old.holder_id is not None:
                holder = UUID(old.holder_id)
                held_by = unit.get(Holder, holder)
                held_by.refuse_if_forgotten("replacement card")
                if old.form is CardForm.PHYSICAL:
                    details = held_by.details(self.holder_keys.get(holder))
                    check_delivery({f: v for f, v in details.items() if isinstance(v, str)})
                held_by.hold_card(account_id, new_card_id)
            return new_card_id

        args = {"account_id": account_id, "card_id": card_id}
        return self._run("replace_card", args, replace, context, idempotency_key)

    def record_remote_card_account(
        self,
        account_id: UUID,
        remote_id: str,
        *,
        context: Context = None,
        idempotency_key: Key = None,
    ) -> None:
        """The platform's ``cardAccountId`` for this account (recorded by the sync)."""
        account_id = check_uuid(account_id, "account_id")
        remote_id = check_id(remote_id, "remote_id")
        self._run(
            "record_remote_card_account",
            {"account_id": account_id, "remote_id": remote_id},
            lambda unit: unit.get(CardAccount, account_id).register_remote_account(remote_id),
            context,
            idempotency_key,
        )

    def record_remote_card(
        self,
        account_id: UUID,
        card_id: str,
        remote_id: str,
        masked_number: str,
        *,
        context: Context = None,
        idempotency_key: Key = None,
    ) -> None:
        """The platform's ``enKashCardId`` and masked number for a card (from the sync)."""
        account_id, card_id = _card(account_id, card_id)
        remote_id = check_id(remote_id, "remote_id")
        masked = check_text(masked_number, "masked_number", MASKED_NUMBER_LENGTH)
        self._run(
            "record_remote_card",
            {"account_id": account_id, "card_id": card_id, "remote_id": remote_id},
            lambda unit: unit.get(CardAccount, account_id).register_remote_card(
                card_id, remote_id, masked
            ),
            context,
            idempotency_key,
        )
