"""``paycore holders show|export|forget`` in processes of their own, on a SQLite store."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from uuid import UUID, uuid4

import pytest

from paycore.domain.core import PaymentsCore
from paycore.domain.holder import Holder
from paycore.domain.personal_data import MasterKey

MASTER_HEX = "1f" * 32
ASHA = {
    "first_name": "Asha",
    "last_name": "Verma",
    "email": "asha.verma@example.com",
    "mobile": "9876543210",
    "pan": "ABCDE1234F",
}
MASKED = {
    "first_name": "A***",
    "last_name": "V***",
    "email": "a***@example.com",
    "mobile": "******3210",
    "pan": "ABCDE****F",
}
NO_KEY = (
    "paycore: error: CONFIGURATION: holders' details are encrypted under a master key: set "
    "PAYCORE_MASTER_KEY to 64 hex digits (or pass key_provider=), the same for every "
    "instance of this store"
)


def paycore(*args: str, cwd: Path, master_key: bool = True) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "PAYCORE_MASTER_KEY"}
    if master_key:
        env["PAYCORE_MASTER_KEY"] = MASTER_HEX
    return subprocess.run(
        [sys.executable, "-c", "from paycore.adapters.cli.main import run; run()", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def store(tmp_path: Path) -> tuple[Path, UUID, str]:
    """A SQLite store with one holder holding one card, and a view built over them."""
    core = PaymentsCore(
        f"sqlite:///{tmp_path / 'paycore.db'}", key_provider=MasterKey.from_hex(MASTER_HEX)
    )
    holder_id = core.register_holder(uuid4(), ASHA)
    account = core.open_card_account("C1", "Acme", "Travel", "CORPORATE")
    card = core.issue_card(account, "PREPAID", holder_id=holder_id)
    core.close()
    built = paycore("views", "update", cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    return tmp_path, holder_id, f"{account}/{card}"


def events_of(folder: Path, holder_id: UUID) -> list[object]:
    core = PaymentsCore(f"sqlite:///{folder / 'paycore.db'}")
    try:
        return list(core.events.get(holder_id))
    finally:
        core.close()


def test_show_prints_the_details_masked_and_never_a_clear_value(
    store: tuple[Path, UUID, str],
) -> None:
    folder, holder_id, card = store
    shown = paycore("holders", "show", str(holder_id), "--json", cwd=folder, master_key=False)
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout) == {
        "holder_id": str(holder_id),
        "forgotten": False,
        "forgotten_at": None,
        "cards": [card],
        "exports": 0,
        "details": MASKED,
        "erased": [],
    }
    table = paycore("holders", "show", str(holder_id), cwd=folder, master_key=False)
    assert table.returncode == 0, table.stderr
    assert "ABCDE****F" in table.stdout
    assert "******3210" in table.stdout
    for value in ASHA.values():
        assert value not in table.stdout + shown.stdout + table.stderr


def test_export_prints_everything_in_clear_and_records_actor_and_reason(
    store: tuple[Path, UUID, str],
) -> None:
    folder, holder_id, card = store
    exported = paycore(
        "holders", "export", str(holder_id), "--actor", "dpo@acme", "--reason", "access 7",
        cwd=folder,
    )  # fmt: skip
    assert exported.returncode == 0, exported.stderr
    assert json.loads(exported.stdout) == {
        "holder_id": str(holder_id),
        "forgotten": False,
        "details": ASHA,
        "erased": [],
        "cards": [card],
    }
    last = events_of(folder, holder_id)[-1]
    assert isinstance(last, Holder.Exported)
    assert (last.actor, last.purpose, str(last.source)) == ("dpo@acme", "access 7", "api")


def test_forget_erases_the_holder_for_show_and_export(store: tuple[Path, UUID, str]) -> None:
    folder, holder_id, card = store
    forgotten = paycore(
        "holders", "forget", str(holder_id), "--reason", "erasure 9", "--actor", "dpo", "--json",
        cwd=folder,
    )  # fmt: skip
    assert forgotten.returncode == 0, forgotten.stderr
    assert json.loads(forgotten.stdout) == {"holder_id": str(holder_id), "forgotten": True}
    last = events_of(folder, holder_id)[-1]
    assert isinstance(last, Holder.Forgotten)
    assert (last.actor, last.reason) == ("dpo", "erasure 9")

    shown = paycore("holders", "show", str(holder_id), "--json", cwd=folder)
    assert shown.returncode == 0, shown.stderr
    row = json.loads(shown.stdout)
    assert (row["forgotten"], row["cards"]) == (True, [card])
    assert row["details"] == dict.fromkeys(ASHA)
    assert row["erased"] == sorted(ASHA)
    table = paycore("holders", "show", str(holder_id), cwd=folder)
    assert table.stdout.count("<erased>") == len(ASHA)

    exported = paycore("holders", "export", str(holder_id), "--reason", "access 8", cwd=folder)
    assert exported.returncode == 0, exported.stderr
    assert json.loads(exported.stdout)["details"] == dict.fromkeys(ASHA)


def test_export_and_forget_without_the_master_key_are_one_configuration_line(
    store: tuple[Path, UUID, str],
) -> None:
    folder, holder_id, _ = store
    before = len(events_of(folder, holder_id))
    for command in ("export", "forget"):
        result = paycore(
            "holders", command, str(holder_id), "--reason", "r", cwd=folder, master_key=False
        )
        assert (result.returncode, result.stdout) == (3, "")
        assert result.stderr.splitlines() == [NO_KEY]
    assert len(events_of(folder, holder_id)) == before


def test_an_unknown_or_malformed_holder_id_is_one_line(store: tuple[Path, UUID, str]) -> None:
    folder, _, _ = store
    missing = uuid4()
    unknown = paycore("holders", "show", str(missing), cwd=folder)
    assert unknown.returncode == 1
    assert unknown.stderr.splitlines() == [
        f"paycore: error: NOT_FOUND: no holder {missing} in the holders view"
    ]
    malformed = paycore("holders", "export", "asha", "--reason", "r", cwd=folder)
    assert malformed.returncode == 2
    assert "'asha' is not a holder id (a UUID)" in malformed.stderr
    assert len(malformed.stderr.splitlines()) == 1
    no_reason = paycore("holders", "forget", str(missing), cwd=folder)
    assert no_reason.returncode == 2
    assert "--reason" in no_reason.stderr


def test_the_demo_forgets_asha_and_leaves_her_erased_with_the_chain_intact(
    tmp_path: Path,
) -> None:
    demo = paycore("demo", cwd=tmp_path, master_key=False)
    assert demo.returncode == 0, demo.stderr
    assert "refused as it should be: a new card for a forgotten holder -> HOLDER_FORGOTTEN" in (
        demo.stdout
    )
    assert re.search(r"hash chain over \d+ events after forgetting: intact", demo.stdout)
    assert re.search(r"her card's balance: (₹[\d,.]+) before, \1 after", demo.stdout)
    holder_id = re.search(r"paycore holders show ([0-9a-f-]{36})", demo.stdout)
    assert holder_id is not None

    shown = paycore("holders", "show", holder_id[1], "--json", cwd=tmp_path, master_key=False)
    assert shown.returncode == 0, shown.stderr
    row = json.loads(shown.stdout)
    assert (row["forgotten"], row["exports"]) == (True, 1)
    assert row["erased"] == ["email", "first_name", "last_name", "mobile", "pan", "title"]
    assert set(row["details"].values()) == {None}
    verified = paycore("audit", "verify", cwd=tmp_path, master_key=False)
    assert verified.returncode == 0, verified.stderr

    stored = b"".join(p.read_bytes() for p in tmp_path.glob("paycore.db*"))
    for value in ("asha.rao@example.com", "9812345670", "ABCPR1234K", "9898989898"):
        assert value.encode() not in stored
        assert value.encode().hex().encode() not in stored
