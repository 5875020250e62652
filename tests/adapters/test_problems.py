"""Every error code has an HTTP status and a problem-details form (RFC 9457)."""

from __future__ import annotations

import importlib
import json
import pkgutil
from typing import ClassVar

import pytest

import paycore.adapters
import paycore.domain
import paycore.projections
from paycore.adapters.problems import MEDIA_TYPE, PROBLEM_TYPES, problem, problem_type
from paycore.domain import CommandContext, PaymentsCore
from paycore.domain.errors import ConfigurationError, InvoiceOverpayment, PaycoreError


def paycore_errors() -> set[type[PaycoreError]]:
    """Every PaycoreError class paycore defines, from every one of its modules."""
    for package in (paycore.domain, paycore.adapters, paycore.projections):
        for module in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
            if not module.name.endswith("__main__"):
                importlib.import_module(module.name)
    found: set[type[PaycoreError]] = set()
    todo = [PaycoreError]
    while todo:
        cls = todo.pop()
        if cls.__module__.startswith("paycore."):
            found.add(cls)
        todo.extend(cls.__subclasses__())
    return found


def test_every_error_code_has_its_own_status_and_title() -> None:
    codes = {cls.code for cls in paycore_errors()}
    assert len(codes) > 60
    assert sorted(codes - PROBLEM_TYPES.keys()) == []


def test_every_row_is_the_code_of_an_error_paycore_defines() -> None:
    assert sorted(PROBLEM_TYPES.keys() - {cls.code for cls in paycore_errors()}) == []


def test_every_status_is_a_client_or_a_server_error() -> None:
    statuses = {row.status for row in PROBLEM_TYPES.values()}
    assert statuses == {400, 404, 409, 422, 500, 502, 503, 504}


def test_a_refusal_is_a_problem_with_its_message_and_details() -> None:
    core = PaymentsCore("memory://")
    ops = CommandContext(actor="ops@acme.example", source="api")
    account_id = core.open_card_account("CO-1", "Acme", "Travel", "CORPORATE", context=ops)
    card_id = core.issue_card(account_id, "GIFT", initial_load="500.00", context=ops)
    with pytest.raises(PaycoreError) as refused:
        core.load_card(account_id, card_id, "100.00", context=ops)
    core.close()
    answer = problem(refused.value)
    assert (answer.status, answer.media_type) == (422, MEDIA_TYPE)
    assert json.loads(answer.body()) == {
        "type": "urn:paycore:error:GIFT_CARD_RELOAD",
        "title": "A gift card is never reloaded",
        "status": 422,
        "detail": refused.value.message,
        "code": "GIFT_CARD_RELOAD",
        "details": {"card_id": card_id},
    }


def test_details_become_json_and_the_type_takes_the_hosts_prefix() -> None:
    from paycore.domain.money import Money  # noqa: PLC0415

    error = InvoiceOverpayment("too much", outstanding=Money("680.00"), invoices=("a", "b"))
    answer = problem(error, type_prefix="https://api.acme.example/problems/")
    assert answer.document["type"] == "https://api.acme.example/problems/INVOICE_OVERPAYMENT"
    assert answer.document["details"] == {"outstanding": "680.00", "invoices": ["a", "b"]}


def test_a_server_error_tells_its_title_and_nothing_else() -> None:
    error = ConfigurationError("the key at /etc/paycore/otp.key is unreadable", path="/etc")
    assert problem(error).document == {
        "type": "urn:paycore:error:CONFIGURATION",
        "title": "paycore is not configured for this",
        "status": 500,
        "detail": "paycore is not configured for this",
        "code": "CONFIGURATION",
    }


class LaterOverpayment(InvoiceOverpayment):
    """An error class defined after the table, outside paycore."""

    code: ClassVar[str] = "TEST_LATER_OVERPAYMENT"


def test_a_code_without_a_row_takes_its_nearest_ancestors() -> None:
    assert problem_type(LaterOverpayment) == PROBLEM_TYPES["INVOICE_OVERPAYMENT"]
    assert problem(LaterOverpayment("x")).document["code"] == "TEST_LATER_OVERPAYMENT"
