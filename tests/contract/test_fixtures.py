"""The fixtures hold what the pages show, and every documented message has one."""

from __future__ import annotations

import re

import pytest

from paycore.adapters.enkash import endpoints as ep
from paycore.adapters.webhooks import ROUTES
from tests.contract.fixtures import (
    PAGES,
    READ_ON,
    Fixture,
    all_fixtures,
    get,
    outside_lists,
    paths,
)

#: paycore's endpoints and routes whose path no page shows (docs/remote-api.md says why)
NOT_SHOWN = {
    "edit_purchase_order",  # A8: req-edit, by the naming pattern
    "api/v0/purchase-order/resp-edit",
    "api/v0/purchase-order/resp-confirm",
    "api/v0/invoice/req-create-invoice",
    "api/v0/invoice/req-edit-invoice",
    "api/v0/invoice/resp-confirm-invoice",
    "api/v0/invoice/resp-status-change-invoice",
    "api/v0/cd-note/resp-confirm",
}
#: routes of another product area, acknowledged only (out of paycore's areas)
ONBOARDING = {
    "api/v0/business-onboarding/respCheckEntity",
    "api/v0/business-onboarding/respRegEntity",
    "api/v0/business-onboarding/respSearchEntity",
}
FIXTURES = all_fixtures()


@pytest.mark.parametrize("fixture", FIXTURES, ids=repr)
def test_a_fixture_names_its_pages_and_the_day_they_were_read(fixture: Fixture) -> None:
    assert fixture.data["read"] == READ_ON
    assert fixture.data["pages"]
    assert all(page.startswith(PAGES) for page in fixture.data["pages"])
    assert fixture.data["method"] == "POST"
    assert fixture.data["path"].startswith("/")
    assert fixture.data["notes"], "say what the page leaves open"


@pytest.mark.parametrize("fixture", FIXTURES, ids=repr)
def test_the_example_has_every_member_the_page_shows_and_no_other(fixture: Fixture) -> None:
    request = fixture.request
    example = paths(request["example"])
    documented = paths(request["documented"])
    listed = set(request["required"]) | set(request["optional"])
    assumed = {p for p in fixture.list("assumed") if not p.startswith("payload")}
    assert documented <= example, documented - example
    assert set(request["required"]) <= example
    assert example <= documented | listed | assumed, example - documented - listed - assumed
    for twin in ("failure",):
        if twin in request:
            assert paths(request[twin]) == example


@pytest.mark.parametrize("fixture", [f for f in FIXTURES if f.answer["documented"]], ids=repr)
def test_the_answer_example_has_the_documented_members(fixture: Fixture) -> None:
    for answer in [fixture.answer, *fixture.answer.get("also", [])]:
        assert paths(answer["documented"]) == paths(answer["example"])


@pytest.mark.parametrize("fixture", FIXTURES, ids=repr)
def test_the_example_satisfies_the_pages_patterns_and_enums(fixture: Fixture) -> None:
    example = fixture.example()
    for path, pattern in fixture.request["patterns"].items():
        assert re.fullmatch(pattern, str(get(example, path))), path
    for path, values in fixture.request["enums"].items():
        assert get(example, path) in values, path


@pytest.mark.parametrize("fixture", FIXTURES, ids=repr)
def test_what_paycore_departs_from_is_on_the_page(fixture: Fixture) -> None:
    request = fixture.request
    for path in fixture.list("requires"):
        assert path in request["optional"] or path in outside_lists(request["documented"]), path
    for path, narrowed in fixture.paycore.get("enums", {}).items():
        assert set(narrowed) < set(request["enums"][path])
    for path in fixture.paycore.get("patterns", {}):
        assert path in request["patterns"] or fixture.webhook, path


def test_every_endpoint_with_a_documented_path_has_a_fixture() -> None:
    documented = {f.data["path"] for f in FIXTURES}
    for endpoint in ep.ENDPOINTS:
        assert endpoint.path in documented or endpoint.name in NOT_SHOWN, endpoint.name


def test_every_route_with_a_documented_path_has_a_fixture() -> None:
    received = {f.webhook.strip("/") for f in FIXTURES if f.webhook}
    assert set(ROUTES) == received | (NOT_SHOWN & set(ROUTES)) | ONBOARDING


@pytest.mark.parametrize(
    "fixture", [f for f in FIXTURES if f.answer["documented"] is None], ids=repr
)
def test_a_fixture_without_a_documented_answer_says_so_and_invents_none(fixture: Fixture) -> None:
    assert fixture.answer["example"] is None
    assert any("answer" in note.lower() and "not shown" in note for note in fixture.data["notes"])
