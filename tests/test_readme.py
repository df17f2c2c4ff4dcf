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


def _readme_snippets():
    sys.path.insert(0, str(ROOT / "docs"))
    from readme_examples import snippets

    return snippets((ROOT / "README.md").read_text(encoding="utf-8"))


def test_every_shell_snippet_of_the_readme_runs(tmp_path):
    """Each ```sh block runs (exit 0) in a scratch directory with `alignkg` this checkout;
    blocks marked `<!-- readme-test: file NAME -->` are written there first, blocks
    marked `not run (why)` are skipped, and each of those marks gives its reason."""
    import os
    import stat

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "alignkg"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{ROOT / "cli.py"}" "$@"\n', encoding="utf-8")
    shim.chmod(shim.stat().st_mode | stat.S_IXUSR)
    work = tmp_path / "work"
    work.mkdir()
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}", "NO_COLOR": "1"}
    ran = 0
    for action, argument, _lang, body in _readme_snippets():
        if action == "skip":
            assert argument and argument != "not run", "a snippet marked not run must say why"
        elif action == "file":
            (work / argument).write_text(body, encoding="utf-8")
        else:
            proc = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", body], cwd=work, env=env,
                                  capture_output=True, text=True, timeout=300)
            assert proc.returncode == 0, f"README snippet failed (exit {proc.returncode}):\n{body}\n{proc.stderr}"
            ran += 1
    assert ran >= 1


def test_adding_your_own_rdf_snippet_conforms_and_shows_up(tmp_path, run):
    """The 'Adding your own RDF' example is valid data: validate exits 0 and depends-on finds it."""
    files = {name: body for action, name, _lang, body in _readme_snippets() if action == "file"}
    mine = tmp_path / "mine.ttl"
    mine.write_text(files["mine.ttl"], encoding="utf-8")
    checked = run("validate", mine)
    assert checked.code == 0, checked
    assert "conforms" in checked.err
    found = run("depends-on", "HCH", "--data", mine, "--format", "json")
    assert "My proposal" in {row["label"] for row in found.json["results"]}
