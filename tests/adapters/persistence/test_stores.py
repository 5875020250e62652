"""One URL chooses the store: the wiring from a URL to the library's settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from paycore.adapters.persistence.stores import store_env
from paycore.domain.core import PaymentsCore
from paycore.domain.errors import ConfigurationError


def test_the_store_is_chosen_by_one_url(tmp_path: Path) -> None:
    assert store_env("memory://") == {"PERSISTENCE_MODULE": "eventsourcing.popo"}
    sqlite = store_env(f"sqlite:///{tmp_path}/x.db")
    assert (sqlite["PERSISTENCE_MODULE"], sqlite["SQLITE_DBNAME"]) == (
        "eventsourcing.sqlite",
        f"{tmp_path}/x.db",
    )
    postgres = store_env("postgresql://me:secret@db.local:6543/pay?schema=core&pool_size=9")
    assert postgres["PERSISTENCE_MODULE"] == "paycore.adapters.persistence.postgres:Factory"
    assert (postgres["POSTGRES_HOST"], postgres["POSTGRES_PORT"]) == ("db.local", "6543")
    assert (postgres["POSTGRES_DBNAME"], postgres["POSTGRES_SCHEMA"]) == ("pay", "core")
    assert (postgres["POSTGRES_USER"], postgres["POSTGRES_PASSWORD"]) == ("me", "secret")
    assert postgres["POSTGRES_POOL_SIZE"] == "9"


@pytest.mark.parametrize(
    "url", ["mysql://x/y", "sqlite:///", "postgresql://host-only", "postgresql://h/db?color=red"]
)
def test_an_unusable_url_is_a_configuration_error(url: str) -> None:
    with pytest.raises(ConfigurationError):
        store_env(url)


def test_a_url_password_never_reaches_the_error_message() -> None:
    with pytest.raises(ConfigurationError) as error:
        store_env("postgresql://me:hunter2@db/pay?color=red")
    assert "hunter2" not in str(error.value)


def test_the_core_takes_its_settings_from_the_store_wiring(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/x.db"
    assert PaymentsCore.store_settings(url) == store_env(url)


def test_a_host_may_name_its_own_store_wiring() -> None:
    class Elsewhere(PaymentsCore):
        store_wiring = f"{__name__}:_popo_only"

    core = Elsewhere("anything://at-all")
    assert core.store_settings("anything://at-all") == {"PERSISTENCE_MODULE": "eventsourcing.popo"}
    core.close()


def _popo_only(url: str) -> dict[str, str]:
    return {"PERSISTENCE_MODULE": "eventsourcing.popo"}
