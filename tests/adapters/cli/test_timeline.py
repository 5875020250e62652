"""``paycore audit trail ID --html FILE`` and the demo's ``paycore-timeline.html``: a
self-contained page (no external asset, no script) with every value escaped."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from paycore.domain import PaymentsCore
from paycore.domain.core import CommandContext

HOSTILE = "<script>alert(1)</script> & <b>bold</b>"
CLERK = CommandContext(actor="clerk@acme.example", source="api")
OTP_KEY = b"timeline-test-otp-key-32-bytes!!"


def paycore(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from paycore.adapters.cli.main import run; run()", *args],
        cwd=cwd, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_the_timeline_escapes_every_value_and_loads_nothing(tmp_path: Path) -> None:
    core = PaymentsCore(f"sqlite:///{tmp_path / 'p.db'}", otp_key=OTP_KEY)
    invoice = core.receive_invoice(
        "INV" + "A" * 32,
        "X/2026/1",
        "2360000.00",
        buyer_b2b_id="ACMEBUYER01",
        supplier_b2b_id="WIDGETSSUP01",
    )
    core.respond_to_invoice(invoice, "ACCEPT", HOSTILE, context=CLERK)
    core.close()
    built = paycore("--db", "sqlite:///p.db", "views", "update", cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    done = paycore("--db", "sqlite:///p.db", "audit", "trail", str(invoice), "--html", "t.html",
                   cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stderr == "timeline of 2 events written to t.html\n"
    page = (tmp_path / "t.html").read_text()
    assert "<script" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in page
    assert re.findall(r'(?:src|href)="', page) == []
    assert "@import" not in page
    assert "url(" not in page
    assert "<svg" in page
    assert page.count("<circle") == 2
    names = re.findall(r'class="name">([^<]*)<', page)
    assert names == ["Received", "Responded"]
    assert "total: ₹23,60,000.00" in page
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", page)
    assert "v2 · clerk@acme.example via api · position 2" in page


def test_the_demo_writes_the_timeline_and_leaves_nothing_untracked(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    gitignore = Path(__file__).parents[3] / ".gitignore"
    (tmp_path / ".gitignore").write_text(gitignore.read_text())
    subprocess.run(["git", "add", ".gitignore"], cwd=tmp_path, check=True)
    done = paycore("demo", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    page = (tmp_path / "paycore-timeline.html").read_text()
    assert "Invoice" in page
    assert "₹11,800.00" in page
    assert "--html paycore-timeline.html" in done.stdout
    status = ["git", "status", "--porcelain", "--untracked-files=all"]
    listed = subprocess.run(status, cwd=tmp_path, capture_output=True, text=True, check=True)
    assert [line for line in listed.stdout.splitlines() if line.startswith("??")] == []
