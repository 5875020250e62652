"""Every ``sh`` or ``console`` block in README.md and docs/*.md runs and exits 0.

A block runs in a fresh temporary folder with the venv's ``paycore`` first on PATH and
the export lines of a fresh ``paycore sandbox serve`` in its environment, under
``bash -euo pipefail``. A ``console`` block runs its ``$ `` lines (the rest is output).
A block that is not meant to run (it needs a real platform, or runs the whole suite)
says so on its fence: ```` ```sh no-run ````.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BIN = Path(sys.executable).parent
_OPENING = re.compile(r"^(?P<indent>\s*)```(?P<kind>sh|console)(?P<flags>[^\n`]*)$")
#: blocks in pages another engineer owns, still to be marked no-run (the lead's diff)
PENDING: set[tuple[str, int]] = set()


@dataclass(frozen=True)
class Block:
    page: str
    number: int
    kind: str
    runs: bool
    text: str

    def script(self) -> str:
        if self.kind == "sh":
            return self.text
        return "\n".join(line[2:] for line in self.text.splitlines() if line.startswith("$ "))


def blocks(page: Path) -> Iterator[Block]:
    lines = page.read_text().splitlines()
    number = 0
    index = 0
    while index < len(lines):
        opening = _OPENING.match(lines[index])
        index += 1
        if opening is None:
            continue
        indent = len(opening["indent"])
        body = []
        while not lines[index].strip().startswith("```"):
            body.append(lines[index][indent:])
            index += 1
        index += 1
        number += 1
        runs = "no-run" not in opening["flags"].split()
        yield Block(str(page.relative_to(ROOT)), number, opening["kind"], runs, "\n".join(body))


ALL = [b for page in PAGES for b in blocks(page)]
RUNNABLE = [
    pytest.param(
        b,
        id=f"{b.page}#{b.number}",
        marks=[pytest.mark.xfail(reason="to be marked no-run", strict=False)]
        if (b.page, b.number) in PENDING
        else [],
    )
    for b in ALL
    if b.runs
]


@pytest.fixture(scope="module")
def sandbox_environ() -> Iterator[dict[str, str]]:
    process = subprocess.Popen(
        [str(BIN / "paycore"), "sandbox", "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        environ = {}
        while not (line := process.stdout.readline()).startswith("# press Ctrl-C"):
            assert line, "the sandbox ended before it printed its exports"
            if line.startswith("export "):
                name, value = shlex.split(line)[1].split("=", 1)
                environ[name] = value
        yield environ
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
    finally:
        process.kill()
        process.wait()


def test_the_pages_hold_runnable_shell_blocks() -> None:
    assert len(RUNNABLE) >= 3
    assert all(b.script().strip() for b in ALL if b.runs)


@pytest.mark.parametrize("block", RUNNABLE)
def test_the_shell_block_runs(
    block: Block, sandbox_environ: dict[str, str], tmp_path: Path
) -> None:
    environ = os.environ | sandbox_environ | {"PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    environ.pop("PAYCORE_DATABASE_URL", None)
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", block.script()],
        cwd=tmp_path,
        env=environ,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, f"{block.page} block {block.number}:\n{done.stdout}\n{done.stderr}"
