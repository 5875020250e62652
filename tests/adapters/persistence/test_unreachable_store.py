"""An unreachable PostgreSQL is one line naming the store (never its password), within
the connect timeout: 5 s unless the URL's ``connect_timeout`` says otherwise."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from paycore.adapters.persistence.stores import store_env
from paycore.domain.core import PaymentsCore
from paycore.domain.errors import StoreUnavailable

CLI = "from paycore.adapters.cli.main import run; run()"


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_the_connect_timeout_is_five_seconds_unless_the_url_says() -> None:
    assert store_env("postgresql://app@db/paycore")["POSTGRES_CONNECT_TIMEOUT"] == "5"
    url = "postgresql://app@db/paycore?connect_timeout=1"
    assert store_env(url)["POSTGRES_CONNECT_TIMEOUT"] == "1"


def test_opening_an_unreachable_store_names_it_without_its_password() -> None:
    port = closed_port()
    url = f"postgresql://app:hunter2@127.0.0.1:{port}/paycore?connect_timeout=1"
    with pytest.raises(StoreUnavailable) as raised:
        PaymentsCore(url)
    where = f"postgresql://app@127.0.0.1:{port}/paycore"
    assert raised.value.details["operation"] == f"opening the store {where}"
    assert raised.value.details["committed"] is False
    assert "hunter2" not in str(raised.value)
    assert "connect_timeout" not in str(raised.value)


def test_the_cli_says_so_in_one_line_and_exits_4(tmp_path: Path) -> None:
    port = closed_port()
    url = f"postgresql://app:hunter2@127.0.0.1:{port}/paycore?connect_timeout=1"
    result = subprocess.run(
        [sys.executable, "-c", CLI, "audit", "verify", "--db", url],
        cwd=tmp_path,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 4
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("paycore: error: STORE_UNAVAILABLE: ")
    assert f"postgresql://app@127.0.0.1:{port}/paycore" in lines[0]
    assert "hunter2" not in result.stderr
