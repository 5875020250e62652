"""Mutation testing of the domain with mutmut 3, in a throw-away copy (``make mutation``).

paycore is installed editable with a package-dir mapping (``paycore.domain`` ->
``domain/``), so mutmut cannot run in this tree: its mutant names come from file paths
and the tests would import the original sources. The copy has the installed layout
(``paycore/domain``, ``paycore/adapters``, ``paycore/projections``), made from the
committed tree (``git archive HEAD``), so nothing in the working tree is ever mutated;
its ``tests/`` folder is then taken from the working tree, so new tests can be tried on
the committed sources before they are committed.

    python tests/mutation/run.py                       # every target, one run per file
    python tests/mutation/run.py domain/money.py       # one file
    python tests/mutation/run.py --sample              # the fixed CI sample (sample.txt)
    python tests/mutation/run.py --own-tests           # each target on its own tests

Exit status 1 when a mutant survives that is not listed in equivalents.txt.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
TARGETS = [
    "domain/money.py",
    "domain/otp.py",
    "domain/invoice.py",
    "domain/payment.py",
    "domain/purchase_order.py",
    "domain/card_account.py",
    "domain/commands/cards.py",
    "domain/commands/invoices.py",
    "domain/commands/payments.py",
    "domain/commands/purchase_orders.py",
]
_COMMANDS = ["test_commands", "test_bad_input", "test_core", "test_known_gaps_rules"]
#: Each target's own test files (``--own-tests``): a quicker run than all of tests/domain,
#: and a lower bound on its kill rate. CONTRIBUTING.md's table is measured with these.
OWN_TESTS = {
    "domain/money.py": ["test_money", "test_money_details"],
    "domain/otp.py": ["test_otp", "test_otp_key", "test_otp_details"],
    "domain/invoice.py": [
        "test_invoice",
        "test_invoice_details",
        "test_invoice_totals",
        "test_known_gaps_rules",
    ],
    "domain/payment.py": ["test_payment", "test_payment_details", "test_known_gaps_rules"],
    "domain/purchase_order.py": [
        "test_purchase_order",
        "test_purchase_order_details",
        "test_purchase_order_more",
        "test_known_gaps_rules",
    ],
    "domain/card_account.py": [
        "test_card_account",
        "test_card_account_details",
        "test_known_gaps_rules",
    ],
    "domain/commands/cards.py": [
        "test_card_commands_details",
        "test_card_commands_audit",
        "test_card_account",
        "test_card_account_details",
        "test_holders",
        "test_holders_details",
        *_COMMANDS,
    ],
    "domain/commands/invoices.py": [
        "test_invoice_commands_details",
        "test_invoice",
        "test_invoice_details",
        "test_invoice_totals",
        *_COMMANDS,
    ],
    "domain/commands/payments.py": [
        "test_payment",
        "test_payment_details",
        "test_payment_commands_audit",
        "test_otp_key",
        "test_secrets",
        *_COMMANDS,
    ],
    "domain/commands/purchase_orders.py": [
        "test_purchase_order",
        "test_purchase_order_details",
        "test_purchase_order_more",
        *_COMMANDS,
    ],
}
# Tests that enumerate the command classes' methods: mutmut's trampolines add methods
# there, so they only run when no command module is mutated.
INTROSPECTIVE = (
    "test_invalid_arguments_raise_a_paycore_error_and_write_nothing",
    "test_the_index_lists_each_command_in_the_module_that_defines_it",
    "test_every_command_but_the_log_consumers_own_is_in_the_index",
    "test_every_command_and_query_has_an_awaitable_twin_of_the_same_signature",
    "test_every_public_command_has_an_invalid_input_strategy",
    "test_the_async_core_has_nothing_the_core_does_not",
)
MUTMUT = str(Path(sys.executable).with_name("mutmut"))


def read_list(name: str) -> list[str]:
    lines = (HERE / name).read_text(encoding="utf-8").splitlines()
    return [ln.split()[0] for ln in lines if ln.strip() and not ln.startswith("#")]


def module_of(target: str) -> str:
    return "paycore." + target.removesuffix(".py").replace("/", ".")


#: The CI sample runs against these tests only (the sample is of money.py).
SAMPLE_TESTS = ["tests/domain/test_money.py", "tests/domain/test_money_details.py"]
#: Every selection runs on ``memory://`` only, as ``[tool.mutmut]`` in pyproject.toml does.
MEMORY_ONLY = "not sqlite and not postgres"


def make_copy(work: Path, target: str, tests: list[str]) -> None:
    """The committed tree in the installed layout, mutmut configured for one file."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "HEAD"], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(work)], input=archive, check=True)
    shutil.rmtree(work / "tests")
    shutil.copytree(ROOT / "tests", work / "tests", ignore=shutil.ignore_patterns("__pycache__"))
    (work / "paycore").mkdir()
    for package in ("domain", "adapters", "projections"):
        shutil.move(work / package, work / "paycore" / package)
    pyproject = (work / "pyproject.toml").read_text(encoding="utf-8")
    pyproject = re.sub(
        r"only_mutate = \[.*?\]",
        f'only_mutate = ["paycore/{target}"]',
        pyproject,
        count=1,
        flags=re.S,
    )
    if tests:
        selection = json.dumps([*tests, "-k", MEMORY_ONLY])
        pyproject = re.sub(
            r"pytest_add_cli_args_test_selection = \[.*?\]\n",
            f"pytest_add_cli_args_test_selection = {selection}\n",
            pyproject,
            count=1,
        )
    if target.startswith("domain/commands/"):
        # After the selection is set, so that a narrowed run leaves them out as well.
        skip = " and ".join(f"not {name}" for name in INTROSPECTIVE)
        pyproject = pyproject.replace(f'"{MEMORY_ONLY}"', f'"{MEMORY_ONLY} and {skip}"')
    (work / "pyproject.toml").write_text(pyproject, encoding="utf-8")


def run_one(target: str, names: list[str], keep: bool, tests: list[str]) -> Counter[str]:
    work = Path(tempfile.mkdtemp(prefix="mut-" + Path(target).stem + "-"))
    try:
        make_copy(work, target, SAMPLE_TESTS if names else tests)
        env = {**os.environ, "HYPOTHESIS_PROFILE": "dev"}
        env.pop("PYTHONPATH", None)
        patterns = names or [module_of(target) + ".*"]
        log = work / "mutmut-run.log"
        with log.open("w") as out:
            code = subprocess.run(
                ["nice", "-n", "15", MUTMUT, "run", "--max-children", "2", *patterns],
                cwd=work,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                check=False,
            ).returncode
        if code != 0:
            sys.stdout.write(log.read_text(encoding="utf-8")[-3000:])
            raise SystemExit(f"mutmut run failed for {target} (exit {code}); log in {log}")
        results = subprocess.run(
            [MUTMUT, "results", "--all", "true"],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        statuses: dict[str, str] = {}
        for line in results.splitlines():
            name, _, status = line.strip().rpartition(": ")
            if name.startswith(module_of(target) + ".") and (not names or name in names):
                statuses[name] = status
        return tally(target, statuses)
    finally:
        if keep:
            print(f"copy kept in {work} (cd there; mutmut show <name>)")
        else:
            shutil.rmtree(work, ignore_errors=True)


SURVIVORS: list[str] = []


def tally(target: str, statuses: dict[str, str]) -> Counter[str]:
    equivalents = set(read_list("equivalents.txt"))
    counts: Counter[str] = Counter()
    for name, status in sorted(statuses.items()):
        # A listed mutant that no test reaches ("no tests") is in dead code, see its line.
        if status in ("survived", "no tests") and name in equivalents:
            counts["equivalent"] += 1
        elif status == "survived" or status == "no tests":
            counts["survived"] += 1
            SURVIVORS.append(name)
        else:
            counts[status] += 1
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("files", nargs="*", help="targets, e.g. domain/money.py")
    parser.add_argument("--sample", action="store_true", help="the fixed CI sample")
    parser.add_argument(
        "--tests",
        action="append",
        default=[],
        help="run only these test files (a quicker, stricter run: a lower bound)",
    )
    parser.add_argument(
        "--own-tests",
        action="store_true",
        help="run each target against its own test files (OWN_TESTS), as the table is measured",
    )
    parser.add_argument("--keep", action="store_true", help="keep the copy to inspect")
    args = parser.parse_args()
    plan: dict[str, list[str]] = {}
    if args.sample:
        for name in read_list("sample.txt"):
            target = next(t for t in TARGETS if name.startswith(module_of(t) + "."))
            plan.setdefault(target, []).append(name)
    else:
        for target in args.files or TARGETS:
            if target not in TARGETS:
                raise SystemExit(f"{target} is not a mutation target: {TARGETS}")
            plan[target] = []
    rows = []
    total: Counter[str] = Counter()
    for target, names in plan.items():
        own = [f"tests/domain/{name}.py" for name in OWN_TESTS[target]] if args.own_tests else []
        counts = run_one(target, names, args.keep, args.tests or own)
        total += counts
        rows.append((target, counts))
    rows.append(("total", total))
    print(f"{'file':36} killed survived equivalent timeout other  kill rate")
    for target, c in rows:
        judged_keys = ("killed", "survived", "equivalent", "timeout")
        other = sum(v for k, v in c.items() if k not in judged_keys)
        judged = c["killed"] + c["survived"] + c["timeout"]
        rate = f"{100 * (c['killed'] + c['timeout']) / judged:.1f}%" if judged else "-"
        print(
            f"{target:36} {c['killed']:6} {c['survived']:8} {c['equivalent']:10} "
            f"{c['timeout']:7} {other:5}  {rate:>8}"
        )
    for name in SURVIVORS:
        print("survived:", name)
    return 1 if SURVIVORS else 0


if __name__ == "__main__":
    raise SystemExit(main())
