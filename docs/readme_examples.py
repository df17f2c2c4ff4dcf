"""Keep the README's examples true: run each `$ alignkg ...` line, write its real output.

    python docs/readme_examples.py          # rewrite README.md in place
    python docs/readme_examples.py --check  # exit 1 if README.md is out of date

The ```mermaid block after <!-- mermaid-overview --> is regenerated from the
graph. A ```console block holds one or more commands, each on a line starting with
"$ alignkg", followed by its output. Commands run from the repository root as
`python cli.py ...` (stdout and stderr, as a terminal shows them).

The README's other shell snippets (```sh blocks) are run by tests/test_readme.py
through :func:`snippets`. The line before a fenced block may mark it:

    <!-- readme-test: not run (why) -->   the block is not run (make, installs, servers)
    <!-- readme-test: file NAME -->       the block is written to NAME for later blocks
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
BLOCK = re.compile(r"```console\n(.*?)```", re.S)


def run(command: str) -> str:
    args = shlex.split(command)[1:]
    proc = subprocess.run([sys.executable, str(ROOT / "cli.py"), *args], cwd=ROOT,
                          capture_output=True, text=True, env={"PATH": "/usr/bin:/bin", "COLUMNS": "100"})
    return proc.stdout + proc.stderr


def render_block(body: str) -> str:
    out = []
    for line in body.splitlines():
        if line.startswith("$ alignkg"):
            out.append(line)
            out.append(run(line[2:]).rstrip("\n"))
    return "\n".join(out) + "\n"


SNIPPET = re.compile(r"(?:<!-- readme-test: (?P<mark>[^>]*?) -->\n)?```(?P<lang>[\w-]*)\n(?P<body>.*?)```", re.S)


def snippets(text: str) -> list:
    r"""The README's fenced blocks that the snippet test handles, in order.

    Returns ``(action, argument, lang, body)`` tuples: ``("run", None, ...)``
    for a ```sh block to run, ``("skip", why, ...)`` for a block marked not
    run, ``("file", name, ...)`` for a block to write to a file. Other blocks
    (console, mermaid, unmarked examples in other languages) are left out.

    >>> snippets("<!-- readme-test: file a.ttl -->\n```turtle\nx\n```\n```sh\nls\n```\n")
    [('file', 'a.ttl', 'turtle', 'x\n'), ('run', None, 'sh', 'ls\n')]
    """
    out = []
    for m in SNIPPET.finditer(text):
        mark, lang, body = (m.group("mark") or "").strip(), m.group("lang"), m.group("body")
        if mark.startswith("file "):
            out.append(("file", mark[5:].strip(), lang, body))
        elif mark.startswith("not run"):
            out.append(("skip", mark[7:].strip(" ()") or "not run", lang, body))
        elif mark:
            raise ValueError(f"unknown readme-test mark: {mark!r}")
        elif lang == "sh":
            out.append(("run", None, lang, body))
    return out


MERMAID = re.compile(r"(<!-- mermaid-overview -->\n)```mermaid\n.*?```", re.S)


def mermaid_overview() -> str:
    sys.path.insert(0, str(ROOT))
    from alignkg.export import mermaid_overview as overview
    from alignkg.store import Store

    return overview(Store().nx).rstrip("\n") + "\n"


def updated(text: str) -> str:
    text = BLOCK.sub(lambda m: "```console\n" + render_block(m.group(1)) + "```", text)
    if MERMAID.search(text):
        diagram = mermaid_overview()
        text = MERMAID.sub(lambda m: m.group(1) + "```mermaid\n" + diagram + "```", text)
    return text


def main() -> int:
    text = README.read_text(encoding="utf-8")
    new = updated(text)
    if "--check" in sys.argv:
        return 0 if new == text else 1
    README.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
