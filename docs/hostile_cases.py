"""Write docs/hostile-input.md, the table of hostile-input cases, from the tests.

    python docs/hostile_cases.py          # rewrite docs/hostile-input.md
    python docs/hostile_cases.py --check  # exit 1 if it is out of date

Each test function of tests/test_hostile.py is a case: its name (without
``test_``) names the case, the first line of its docstring says the behaviour,
the ``# ==== Section`` banner above it gives the section. Cases tested in other
modules come from that module's ``COVERED_ELSEWHERE`` list. The tests are read
with :mod:`ast`, never imported, so this runs without the test dependencies.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests" / "test_hostile.py"
TABLE = ROOT / "docs" / "hostile-input.md"
BANNER = re.compile(r"^# =+ (.+?)\s*$")

INTRO = """\
# Hostile input

Every bad input ends the same way: **one line on stderr** (`alignkg: error: ...`) naming
what is wrong and where (file and line when the parser knows it), **exit code 2**, no
traceback, nothing on stdout, no half-written output file, and the user's files untouched.
Each row below is one test; the table is generated from the tests by
`python docs/hostile_cases.py`, and `test_hostile_input_table_is_current` fails when it is
stale. Rows marked *elsewhere* are tested in another module and only listed here.

## Decisions

- **Formats come from the extension**, never guessed: RDF/XML in a `.data` file is refused,
  not sniffed. When a `.ttl`/`.nt` file fails and looks like RDF/XML or JSON-LD, the message
  says so.
- **What rdflib only warns about is an error**: an IRI with a space or another character
  IRIs may not contain, and a literal that is not a value of its datatype
  (`"abc"^^xsd:integer`, `"J"^^xsd:boolean`), named with file and line.
- **Literals are capped at 1,000,000 characters** (`alignkg.parse.MAX_LITERAL`); a definition is
  a few hundred. N-Triples are fed to rdflib's parser one line at a time, because its own
  buffering is quadratic in the length of a line (a 1 MB literal took 5 s, 5 MB two
  minutes); now a 20 MB line parses in half a second, and a too-long literal is refused
  with its line.
- **What no RDF syntax can write back is refused when the file is read**, with file and line
  (`alignkg.terms.check_graph`): a lone surrogate (`"\\uD800"`, half of a UTF-16 pair), an N3
  formula or variable, a datatype IRI that is no IRI, a language tag with characters no syntax
  allows, a blank node label N-Triples cannot write. Nothing downstream (show, render, every
  export and result format) then meets them.
- **Numbers past Python's 4,300-digit limit** are refused with file and line, in Turtle and
  JSON-LD alike. **Lines end at `\\n`, `\\r\\n` or a lone `\\r`**, as Turtle and N-Triples say;
  a Turtle file with only `\\r` line ends (old Mac) is read (rdflib's parser failed on it), and
  errors in it are on the right line.
- **Conflicting `akg:number` values** (SHACL reports them): read commands use the smallest, so
  the answer is the same on every run with or without the cache.
- **Devices and sockets are refused** (`/dev/zero` would fill memory); a pipe is read like a
  file. A UTF-8 byte-order mark is accepted; any other encoding is refused with the line and
  byte.
- **A bad `--data` file is parsed first** and apart from the graph, so it is reported at once
  and adds nothing.
- **Nothing is fetched**: no URL as input file, no DOCTYPE or ENTITY in RDF/XML (checked
  before parsing), no JSON-LD `@context`/`@import` that names a document, `owl:imports`
  never followed. `test_no_network_by_default` runs every read command in-process with an
  audit hook on `socket.connect`, `socket.getaddrinfo`, `urllib.Request` and friends (the
  forked SPARQL process reports through a file), on the shipped graph and on every fixture of
  `tests/fixtures/hostile/`; it expects zero events, and checks that the hook does see a
  lookup it makes itself.
- **Terminals**: the table and Markdown formats show control characters (C0, C1 such as
  the 8-bit CSI, ANSI/OSC sequences), bidirectional overrides and line separators as Python
  escapes (`\\x1b[31m`, `\\u202e`); error messages too. JSON keeps the data exact (it escapes
  C0 controls itself); CSV keeps it exact as well, except for the next rule.
- **CSV cells that a spreadsheet would run as a formula** (starting with `=`, `+`, `-`, `@`,
  tab or CR) get a leading `'` in the CSV of read commands, as OWASP advises; numbers such as
  `-1.5` are left alone, and a row with a carriage return in a cell is fully quoted.
  `sparql --format csv` (the SPARQL 1.1 results format) is not altered; `export --format csv`
  also quotes a cell that starts with `'`, so dropping one leading `'` gives every cell back.
- **Every export and result format reads back exactly** through a parser that is not ours
  (rdflib and pyoxigraph for Turtle, N-Triples, JSON-LD and SPARQL results, `xml.etree` and
  networkx for GraphML and GEXF, pydot for DOT, the csv module), or is refused with exit 2
  naming the term: XML 1.0 cannot write most C0 control characters at all, so GraphML, GEXF
  and SPARQL XML refuse a label with one (carriage returns are written `&#13;`); DOT and
  Mermaid write control characters as entities; deep lists and long blank-node chains are
  written without recursion (Turtle nests at most 8 deep). A property-based test generates
  hostile user data and checks all of them.
- **Maps**: user text is only ever embedded as JSON with `<`, `>`, `&` escaped and inserted
  with `textContent`/`innerText`; the page title is HTML-escaped. Checked in the HTML and in
  headless Chromium (no injected element, no dialog, no request).
- **Outputs** are written to a temporary file (a short name, `.alignkg-XXXXXXXX.tmp`, so a name
  near the 255-byte limit works) and renamed; an existing file needs `--force`, and only a
  regular file is ever replaced (never a device node or FIFO, even with `--force`; a link to a
  file replaces the file); the replaced file keeps its mode, a new one gets 0666 less the umask;
  `-o -` writes to stdout; a failure (simulated disk full, during the write or at the rename)
  leaves no temporary file and the old file intact. A path that cannot be written (a file where
  a folder should be, a name too long, stdout on `/dev/full`) is exit 2 naming it. As root, `chmod` does not make a folder read-only, so that test
  skips and a simulated `EACCES` covers the message.
- **Fuzzing** (hypothesis): generated Turtle through `--data` in ten commands, generated
  names through the resolver and `show`, generated SPARQL through `alignkg sparql`; only exit
  0 or 2 with one clean line is accepted. 150 examples each, derandomised so the suite is
  reproducible; `ALIGNKG_FUZZ_EXAMPLES=5000 ALIGNKG_FUZZ_RANDOM=1` explores further.
- Cases marked *xfail* fail today because of code outside `graph/parse.py`, `resolve.py`,
  `output.py`, `render.py` and `store.py`; the reason says what to change there.
"""


def _marker(decorator) -> str | None:
    """'xfail: reason' or 'xN' (parametrised) for a decorator node, else None."""
    call = decorator if isinstance(decorator, ast.Call) else None
    name = ast.unparse(call.func if call else decorator)
    if name.endswith("mark.xfail") and call:
        reason = next((ast.literal_eval(k.value) for k in call.keywords if k.arg == "reason"), "")
        return f"xfail (strict): {' '.join(str(reason).split())}"
    if name.endswith("mark.parametrize") and call and len(call.args) >= 2:
        try:
            return f"x{len(ast.literal_eval(call.args[1]))}"
        except ValueError:
            return None
    return None


def _skips(function) -> list[str]:
    """Why a test may skip: the first clause of each pytest.skip(...) message, Chromium, Playwright."""
    out = []
    args = {a.arg for a in function.args.args}
    if "browser" in args:
        out.append("needs Chromium and Playwright")
    elif "chromium" in args:
        out.append("needs Chromium")
    for node in ast.walk(function):
        if isinstance(node, ast.Call):
            func = ast.unparse(node.func)
            if func == "pytest.skip" and node.args:
                try:
                    text = ast.literal_eval(node.args[0])
                except ValueError:
                    continue
                out.append("skips when " + text.split(":")[0].split(";")[0])
            elif func == "pytest.importorskip" and node.args:
                out.append(f"needs {ast.literal_eval(node.args[0]).split('.')[0].capitalize()}")
            elif func == "_hypothesis":
                out.append("needs Hypothesis")
    return out


def cases(source: str):
    """(section, case, behaviour, status, test) for every test, then for COVERED_ELSEWHERE."""
    tree = ast.parse(source)
    lines = source.splitlines()
    banners = [(i + 1, m.group(1)) for i, line in enumerate(lines) if (m := BANNER.match(line))]
    rows, elsewhere = [], []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
            section = next((name for line, name in reversed(banners) if line < node.lineno), "Other")
            doc = (ast.get_docstring(node) or "").strip().splitlines()
            marks = [m for m in map(_marker, node.decorator_list) if m]
            variants = 1
            for m in marks:
                variants *= int(m[1:]) if m.startswith("x") and m[1:].isdigit() else 1
            notes = [m for m in marks if not m[1:].isdigit()] + ([f"{variants} variants"] if variants > 1 else [])
            status = "; ".join(notes + _skips(node)) or "passes"
            rows.append((section, node.name[5:].replace("_", " "), doc[0] if doc else "",
                         status, f"`test_hostile.py::{node.name}`"))
        elif isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "COVERED_ELSEWHERE" for t in node.targets):
            elsewhere = ast.literal_eval(node.value)
    for section, case, behaviour, ref in elsewhere:
        rows.append((section, case, behaviour, "elsewhere", f"`{ref.removeprefix('tests/')}`"))
    return rows


def table(source: str) -> str:
    rows = cases(source)
    sections = list(dict.fromkeys(r[0] for r in rows))
    here = sum(1 for r in rows if r[3] != "elsewhere")
    xfail = sum(1 for r in rows if r[3].startswith("xfail"))
    out = [INTRO, f"## Cases\n\n{len(rows)} cases: {here} tested in `tests/test_hostile.py` ({xfail} of them "
                  f"expected to fail until the change they name is made), {len(rows) - here} tested elsewhere.\n"]

    def esc(text):
        return text.replace("|", "\\|")

    for section in sections:
        out.append(f"### {section}\n\n| # | case | behaviour | status | test |\n|---|---|---|---|---|")
        for number, (_, case, behaviour, status, test) in enumerate((r for r in rows if r[0] == section), 1):
            out.append(f"| {number} | {esc(case)} | {esc(behaviour)} | {esc(status)} | {esc(test)} |")
        out.append("")
    return "\n".join(out)


def main() -> int:
    text = table(TESTS.read_text(encoding="utf-8"))
    if "--check" in sys.argv:
        current = TABLE.read_text(encoding="utf-8") if TABLE.exists() else ""
        if current != text:
            print(f"{TABLE.relative_to(ROOT)} is stale: run python docs/hostile_cases.py", file=sys.stderr)
            return 1
        return 0
    TABLE.write_text(text, encoding="utf-8")
    print(TABLE.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
