"""The README's promises: two-command quick start, and examples whose output is real."""

import subprocess
import sys

from conftest import ROOT


def test_quick_start_is_make_demo_and_make_test():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("## Quick start")
    block = text[text.index("```sh", start):text.index("```", text.index("```sh", start) + 5)]
    commands = [line.split("#")[0].strip() for line in block.splitlines()[1:] if line.strip()]
    assert commands == ["make demo", "make test"]


def test_readme_examples_show_their_real_output():
    proc = subprocess.run([sys.executable, str(ROOT / "docs" / "readme_examples.py"), "--check"], cwd=ROOT)
    assert proc.returncode == 0, "README examples are stale: run python docs/readme_examples.py"
