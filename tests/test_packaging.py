"""The distribution: a built wheel holds the three packages under ``paycore``."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_wheel_installs_paycore_domain_adapters_and_projections(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("paycore-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for package in ("domain", "domain/testing", "adapters", "adapters/cli", "projections"):
        assert f"paycore/{package}/__init__.py" in names
    for package in ("domain", "adapters", "projections"):
        assert f"paycore/{package}/py.typed" in names
    assert not any(name.startswith(("domain/", "tests/")) for name in names)

    # Unpacked as pip would install it. -S skips the .pth files, so the editable install
    # of this checkout cannot answer instead; the dependencies still come from this
    # environment's site-packages.
    installed = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(installed)
    probe = (
        "import paycore.domain, paycore.adapters.cli, paycore.projections as p;print(p.__file__)"
    )
    result = subprocess.run(
        [sys.executable, "-S", "-c", probe],
        env={
            **os.environ,
            "PYTHONPATH": f"{installed}{os.pathsep}{sysconfig.get_paths()['purelib']}",
        },
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.stdout.strip() == f"{installed}/paycore/projections/__init__.py", result.stderr
