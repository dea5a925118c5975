#!/usr/bin/env python3
"""The corpus templates that the pinned cfn-lint accepts (reports no error for).

The corpus test (tests/corpus.rs) requires stackforge to accept each of them too, when read by
`check PATH` and when rebuilt as raw resources. The list is committed
(tests/corpus/cfn-lint-accepted.txt) so `cargo test` needs no Python; the test command runs
this script with --check to prove the list is what cfn-lint says.

Usage (from the repository root, with the pinned cfn-lint of scripts/requirements-test.txt):
  .venv/bin/python scripts/corpus-accepted.py          # rewrites the list
  .venv/bin/python scripts/corpus-accepted.py --check  # fails if the list is stale
"""

import json
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent


def pinned_cfn_lint():
    """The cfn-lint version scripts/requirements-test.txt pins (the one place it is set)."""
    for line in (ROOT / "scripts" / "requirements-test.txt").read_text().splitlines():
        if line.startswith("cfn-lint=="):
            return line.split("==", 1)[1].strip()
    sys.exit("scripts/requirements-test.txt does not pin cfn-lint")


CFN_LINT_VERSION = pinned_cfn_lint()
CORPUS = ROOT / "tests" / "corpus"
TEMPLATES = CORPUS / "aws-cloudformation-templates"
LIST = CORPUS / "cfn-lint-accepted.txt"
EXTENSIONS = {".json", ".yaml", ".yml", ".template"}

HEADER = f"""\
# Corpus templates for which cfn-lint {CFN_LINT_VERSION} (default region us-east-1) reports no
# error (warnings allowed), relative to tests/corpus/. Written by scripts/corpus-accepted.py;
# the test command re-verifies it with the pinned cfn-lint (--check).
"""


def accepted():
    files = sorted(
        p for p in TEMPLATES.rglob("*") if p.is_file() and p.suffix in EXTENSIONS
    )
    cfn_lint = pathlib.Path(sys.executable).parent / "cfn-lint"
    version = subprocess.run(
        [cfn_lint, "--version"], capture_output=True, text=True, check=True
    ).stdout.split()[-1]
    if version != CFN_LINT_VERSION:
        sys.exit(f"corpus-accepted: needs cfn-lint {CFN_LINT_VERSION}, found {version}")
    out = subprocess.run(
        [cfn_lint, "--format", "json", "--", *map(str, files)],
        capture_output=True,
        text=True,
    )
    try:
        matches = json.loads(out.stdout or "[]")
    except json.JSONDecodeError:
        sys.exit(f"corpus-accepted: cfn-lint did not print JSON:\n{out.stdout}\n{out.stderr}")
    failing = {
        pathlib.Path(m["Filename"]).resolve()
        for m in matches
        if m["Level"] == "Error"
    }
    return [str(f.relative_to(CORPUS)) for f in files if f.resolve() not in failing]


def main():
    text = HEADER + "".join(f"{path}\n" for path in accepted())
    if sys.argv[1:] == ["--check"]:
        if LIST.read_text() != text:
            sys.exit(
                f"corpus-accepted: {LIST.relative_to(ROOT)} is stale; "
                "run .venv/bin/python scripts/corpus-accepted.py and review the change"
            )
        print(f"corpus-accepted: {LIST.relative_to(ROOT)} matches cfn-lint")
    elif sys.argv[1:]:
        sys.exit(__doc__)
    else:
        LIST.write_text(text)
        print(f"corpus-accepted: wrote {LIST.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
