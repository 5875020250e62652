"""`paycore sync run` refuses what it is set up with in one line naming the setting:
the partner profile (missing, unreadable, invalid) and the PAYCORE_ENKASH_* variables
(a setting of this process is CONFIGURATION, never a refused platform request)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from paycore.adapters.sync.profile import PROFILE_VARIABLE, PartnerProfile
from paycore.domain.core import PaymentsCore
from paycore.domain.errors import ConfigurationError

PROFILE = {
    "plan_master_id": "PM1",
    "email": "ops@example.com",
    "mobile": "9876543210",
    "geocode": "1,2",
}


def test_no_profile_named_is_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PROFILE_VARIABLE, raising=False)
    with pytest.raises(ConfigurationError) as raised:
        PartnerProfile.from_file()
    assert raised.value.details == {"setting": PROFILE_VARIABLE}


def test_an_unreadable_profile_names_its_path(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.json"
    with pytest.raises(ConfigurationError) as raised:
        PartnerProfile.from_file(missing)
    assert raised.value.details == {"path": str(missing)}
    assert raised.value.message == f"partner profile {missing}: no such file or directory"


def test_an_invalid_profile_is_one_line_naming_the_file_and_field_not_the_value(
    tmp_path: Path,
) -> None:
    path = tmp_path / "partner.json"
    path.write_text(json.dumps({**PROFILE, "mobile": "98765-secret"}))
    with pytest.raises(ConfigurationError) as raised:
        PartnerProfile.from_file(path)
    assert raised.value.details == {"path": str(path), "field": "mobile"}
    assert raised.value.message.startswith(f"partner profile {path}: mobile: ")
    assert "\n" not in raised.value.message
    assert "98765-secret" not in raised.value.message


def test_a_valid_profile_at_the_limit_of_its_fields_is_read(tmp_path: Path) -> None:
    path = tmp_path / "partner.json"
    path.write_text(json.dumps({**PROFILE, "delivery_days": 0}))
    assert PartnerProfile.from_file(path).delivery_days == 0
    path.write_text(json.dumps({**PROFILE, "delivery_days": -1}))
    with pytest.raises(ConfigurationError) as raised:
        PartnerProfile.from_file(path)
    assert raised.value.details["field"] == "delivery_days"


def sync_run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``paycore sync run --drain`` in a process of its own, on a store that exists."""
    PaymentsCore(f"sqlite:///{tmp_path / 'p.db'}").close()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAYCORE_ENKASH_")}
    env.pop(PROFILE_VARIABLE, None)
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "from paycore.adapters.cli.main import run; run()",
            "sync",
            "run",
            "--drain",
            "--db",
            f"sqlite:///{tmp_path / 'p.db'}",
            *args,
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_sync_run_without_the_platform_variables_is_a_configuration_error(tmp_path: Path) -> None:
    profile = tmp_path / "partner.json"
    profile.write_text(json.dumps(PROFILE))
    result = sync_run(tmp_path, "--profile", str(profile))
    assert result.returncode == 3, result.stderr
    assert result.stderr.strip().splitlines() == [
        "paycore: error: CONFIGURATION: "
        "environment variable PAYCORE_ENKASH_CARD_BASE_URL is not set"
    ]


def test_sync_run_with_an_invalid_profile_is_one_line(tmp_path: Path) -> None:
    profile = tmp_path / "partner.json"
    profile.write_text(json.dumps({**PROFILE, "email": 7}))
    result = sync_run(tmp_path, "--profile", str(profile))
    assert result.returncode == 3, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"paycore: error: CONFIGURATION: partner profile {profile}: email: ")
