"""Empty answers that say why, tables that fit a terminal, and the wording of answers (issue 12).

Everything goes through the real CLI on the shipped graph: in-process (CliRunner,
where stdout is not a terminal) and, for terminal behaviour, as a subprocess whose
stdout and stderr are a real pseudo-terminal 80 columns wide.
"""

from __future__ import annotations

import csv
import fcntl
import io
import os
import pty
import re
import select
import shlex
import struct
import subprocess
import sys
import termios
from collections import Counter

import pytest
from conftest import ROOT

# --- empty answers -----------------------------------------------------------------------------

EMPTY = [
    (("depends-on", "deceptive alignment"), ["failure mode", "not a dependency", "alignkg show"]),
    (("depends-on", "myopia", "--direct"), ["--direct", "per-episode myopia", "drop --direct"]),
    (("depends-on", "proposal 2"), ["is a proposal", "alignkg dependencies"]),
    (("depends-on", "outer alignment"), ["criterion", "evaluations-on-criterion"]),
    (("what-if", "proposal 2"), ["expects assumptions, concepts or techniques", "is a proposal",
                                 "alignkg dependencies"]),
    (("what-if", "deceptive alignment"), ["failure mode", "alignkg show"]),
    (("dependencies", "myopia"), ["concept", "alignkg depends-on myopia"]),
    (("dependencies", "proposal 2", "--kind", "failure-modes"), ["nothing of kind failure-mode", "drop --kind"]),
    (("shared", "deceptive alignment", "gradient hacking"), ["failure mode", "no dependencies"]),
    (("critical", "--kind", "proposals"), ["--kind"]),
    (("dependencies", "market making"), ["only names", "alignkg show"]),
]


def _hint(result) -> str:
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert lines[0].startswith("alignkg: hint: "), result.err
    return lines[0]


@pytest.mark.parametrize("args, fragments", EMPTY, ids=[" ".join(a) for a, _ in EMPTY])
def test_an_empty_answer_says_why_in_one_line_on_stderr(run, args, fragments):
    r = run(*args)
    assert r.code == 0, r
    hint = _hint(r)
    for fragment in fragments:
        assert fragment in hint, (fragment, hint)
    assert "hint" not in r.out and "\n\n" not in r.out.strip(), "stdout holds only the (empty) answer"
    as_json = run(*args, "--format", "json")
    assert as_json.code == 0 and as_json.json["results"] == [], "JSON shape unchanged, still empty"
    _hint(as_json)


def _suggested_commands(hint: str) -> list:
    """The `alignkg ...` command lines a hint names, as argument lists."""
    out = []
    for match in re.finditer(r"alignkg((?: (?:'[^']*'|[^\s;,']+))+)", hint):
        words = shlex.split(match.group(1))
        for stop in ("or", "then"):
            if stop in words:
                words = words[: words.index(stop)]
        out.append(words)
    return out


@pytest.mark.parametrize("args", [("depends-on", "deceptive alignment"), ("what-if", "proposal 2"),
                                  ("depends-on", "outer alignment"), ("dependencies", "myopia")])
def test_the_command_a_hint_names_does_answer(run, args):
    commands = _suggested_commands(_hint(run(*args)))
    assert commands
    for words in commands:
        answer = run(*words, "--format", "json")
        assert answer.code == 0, (words, answer)
        doc = answer.json
        rows = doc["results"]["bindings"] if isinstance(doc["results"], dict) else doc["results"]
        assert rows, f"{words} answers nothing either"


def test_failure_mode_hint_counts_the_proposals_show_lists(run):
    hint = _hint(run("depends-on", "deceptive alignment"))
    count = int(re.search(r"\((\d+) proposals? vulnerable", hint).group(1))
    direct = {row["iri"] for row in run("show", "deceptive alignment", "--format", "json").json["results"]
              if row["relation"] == "vulnerableTo" and row["direction"] == "in" and row["kind"] == "proposal"}
    assert count >= len(direct) > 0


def test_a_node_nothing_reaches_gets_a_hint_for_depends_on_and_path(run, tmp_path):
    mine = tmp_path / "lonely.ttl"
    mine.write_text(
        "@prefix akg: <https://w3id.org/alignkg#> .\n@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n"
        '<https://example.org/lonely> a akg:Concept ; rdfs:label "lonely idea"@en ;\n'
        '    skos:definition "Related to nothing."@en .\n', encoding="utf-8")
    r = run("depends-on", "lonely idea", "--data", mine)
    assert r.code == 0 and "no proposal reaches lonely idea" in _hint(r)
    p = run("path", "myopia", "lonely idea", "--data", mine)
    assert p.code == 0 and "no chain of relations" in _hint(p)


def test_a_matrix_without_columns_says_why(run):
    r = run("compare", "market making", "Imitative Generalization")
    assert r.code == 0 and "only names" in _hint(r)
    assert run("compare", "--format", "json").json["columns"], "analysed proposals do have columns"


def test_a_non_empty_answer_has_no_hint(run):
    r = run("depends-on", "myopia")
    assert r.code == 0 and r.out and r.err == ""


# --- shared for techniques and failure modes ---------------------------------------------------

def test_shared_of_two_techniques_answers_through_the_proposals_built_on_them(run):
    doc = run("shared", "debate", "imitative amplification", "--format", "json").json
    assert [p["label"] for p in doc["proposals"]] == ["debate", "imitative amplification"]
    assert doc["results"], "debate and imitative amplification share something"
    labels = {row["label"] for row in doc["results"]}
    assert {"transparency tools", "myopia"} <= labels
    for row in doc["results"]:
        assert {"iri", "label", "kind", "basis"} <= set(row)
        if row["basis"] != "through proposals":
            continue
        users = {r["iri"] for r in run("depends-on", row["iri"], "--format", "json").json["results"]}
        for source, proposals in row["through"].items():
            resting = {r["iri"] for r in run("depends-on", source, "--format", "json").json["results"]}
            for p in proposals:  # each claim checked against depends-on itself
                assert p["iri"] in users and p["iri"] in resting, (row["label"], p["label"])
    table = run("shared", "debate", "imitative amplification")
    assert "proposals resting on both: none" in table.out
    assert "through debate: proposal 9" in table.out


def test_shared_of_techniques_lists_the_proposals_that_use_both(run):
    doc = run("shared", "imitative amplification", "relaxed adversarial training", "--format", "json").json
    numbers = {p["label"] for p in doc["resting_on_all"]}
    for p in numbers:
        for technique in ("imitative amplification", "relaxed adversarial training"):
            assert p in {r["label"] for r in run("depends-on", technique, "--format", "json").json["results"]}
    assert "Imitative amplification + relaxed adversarial training" in numbers


def test_shared_of_proposals_keeps_its_columns_and_basis_is_dependency(run):
    r = run("shared", "proposal 2", "proposal 9")
    assert r.out.splitlines()[2].split() == ["label", "kind"]
    rows = run("shared", "proposal 2", "proposal 9", "--format", "json").json["results"]
    assert rows and {row["basis"] for row in rows} == {"dependency"}


def test_shared_of_failure_modes_names_the_proposals_vulnerable_to_both(run):
    r = run("shared", "deceptive alignment", "gradient hacking", "--format", "json")
    both = {p["iri"] for p in r.json["resting_on_all"]}
    assert both
    for fm in ("deceptive alignment", "gradient hacking"):
        vulnerable = {row["iri"] for row in run("show", fm, "--format", "json").json["results"]
                      if row["relation"] == "vulnerableTo"}
        assert both <= vulnerable or fm == "deceptive alignment"  # narrower failure modes count too


# --- SPARQL with no rows -----------------------------------------------------------------------

NOTHING = "SELECT ?x WHERE { ?x a akg:NoSuchClass }"


def test_sparql_with_no_rows_says_no_results_for_a_table_and_stays_silent_in_csv_when_piped(run):
    table = run("sparql", NOTHING)
    assert table.code == 0 and table.out == "" and table.err.strip() == "no results"
    piped_csv = run("sparql", NOTHING, "--format", "csv")
    assert piped_csv.code == 0 and piped_csv.out.strip() == "x" and piped_csv.err == ""


def _pty_process(args, columns=80, stdout_to_pty=True):
    """Run the CLI with stderr (and stdout, unless told) on a pseudo-terminal ``columns`` wide."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    env = {**os.environ, "COLUMNS": str(columns), "NO_COLOR": "1"}
    env.pop("LINES", None)
    proc = subprocess.Popen([sys.executable, str(ROOT / "cli.py"), *args], cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                            stdout=slave if stdout_to_pty else subprocess.PIPE, stderr=slave)
    os.close(slave)
    chunks = []
    while True:
        ready, _, _ = select.select([master], [], [], 120)
        if not ready:
            proc.kill()
            pytest.fail(f"{args} produced nothing for 120 s")
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed its side
            break
        if not data:
            break
        chunks.append(data)
    piped = proc.stdout.read().decode() if proc.stdout else ""
    proc.wait(timeout=120)
    os.close(master)
    return proc.returncode, b"".join(chunks).decode().replace("\r\n", "\n"), piped


def test_sparql_with_no_rows_says_no_results_on_a_terminal_whatever_the_format():
    code, terminal, stdout = _pty_process(["sparql", NOTHING, "--format", "json"], stdout_to_pty=False)
    assert code == 0 and "no results" in terminal
    assert '"bindings": []' in stdout, "stdout keeps the standard empty JSON answer"


# --- tables on an 80-column terminal -----------------------------------------------------------

WIDE = [
    ["what-if", "HCH"],
    ["compare"],
    ["compare", "--by", "criteria"],
    ["list"],
    ["list", "proposals"],
    ["story", "proposal 3"],
    ["shared", "debate", "imitative amplification"],
]


@pytest.mark.parametrize("args", WIDE, ids=[" ".join(a) for a in WIDE])
def test_no_line_exceeds_80_columns_in_an_80_column_terminal(run, args):
    code, out, _ = _pty_process(args)
    assert code == 0, out
    long = [line for line in out.splitlines() if len(line) > 80]
    assert not long, long[:3]
    assert "…" not in out, "on a terminal cells wrap, they are not cut"
    words = lambda text: Counter(w for w in re.findall(r"[\w§+-]+", text.replace("_", " ")) if w.strip("-"))  # noqa: E731
    piped = re.sub(r"[\w§+-]*…", " ", run(*args).out)  # piped cells cut at 72 characters
    if re.search(r"^-+ ", piped, re.M) and not re.search(r"^-+ ", out, re.M):  # rows as records: no column header
        lines = piped.splitlines()
        header = next(i for i, line in enumerate(lines) if re.match(r"^-+ ", line)) - 1
        piped = "\n".join(lines[:header] + lines[header + 1:])
    missing = words(piped) - words(out)
    assert not missing, f"the terminal leaves out what the piped table shows: {list(missing)[:5]}"


def test_a_wider_terminal_gets_wider_lines_and_piped_output_stays_one_line_per_row(run):
    code, out, _ = _pty_process(["list", "proposals"], columns=160)
    assert code == 0 and max(map(len, out.splitlines())) > 80
    assert max(map(len, out.splitlines())) <= 160
    piped = run("list", "proposals").out.splitlines()
    assert len(piped) == 2 + len(run("list", "proposals", "--format", "json").json["results"])


def test_story_wraps_its_paragraphs_on_a_terminal(run):
    code, out, _ = _pty_process(["story", "proposal 3"])
    assert code == 0
    text = run("story", "proposal 3", "--format", "json").json["goal_specification"]
    joined = " ".join(line.strip() for line in out.splitlines())
    assert text in joined
    paragraph = [line for line in out.splitlines() if line.startswith("    ")]
    assert len(paragraph) > 4, "the components' paragraphs wrap onto indented lines"


# --- story as rows -----------------------------------------------------------------------------

def test_story_as_csv_gives_the_four_components_as_rows(run):
    r = run("story", "proposal 3", "--format", "csv")
    assert r.code == 0 and r.out.strip(), "not a blank line"
    rows = list(csv.DictReader(io.StringIO(r.out)))
    assert list(rows[0])[:3] == ["component", "text", "source"]
    doc = run("story", "proposal 3", "--format", "json").json
    assert [row["component"] for row in rows] == ["goal specification", "goal desirability",
                                                   "rationale constraints", "rationale nudges"]
    for row, key in zip(rows, ("goal_specification", "goal_desirability", "rationale_constraints",
                               "rationale_nudges")):
        assert row["text"] == doc[key] and row["text"]
        assert row["source"]


def test_story_as_markdown_is_a_table_of_components(run):
    r = run("story", "Microscope AI", "--format", "markdown")
    assert "| component | text | source | derived |" in r.out
    assert r.out.count("\n| ") == 5


# --- wording -----------------------------------------------------------------------------------

def test_what_if_agrees_in_number(run):
    one = run("what-if", "transparency tools can detect deception").out
    assert "transparency tools can detect deception fails," in one
    assert "(1 criterion)" in one and "fail(s)" not in one and "1 criteria" not in one
    two = run("what-if", "HCH", "myopia").out
    assert "HCH and myopia fail," in two


def test_list_proposals_in_essay_order_with_numbers_then_the_later_ones(run):
    doc = run("list", "proposals", "--format", "json").json["results"]
    numbers = [row["number"] for row in doc]
    numbered = [n for n in numbers if n is not None]
    assert numbered == list(range(1, 12)) and numbers[: len(numbered)] == numbered
    table = run("list", "proposals").out.splitlines()
    assert table[0].split()[:2] == ["number", "label"]
    assert table[2].split()[0] == "1" and table[12].split()[0] == "11"
    assert all(line.split()[0] == "later" for line in table[13:])


def test_critical_shows_a_measure_that_separates_its_top_rows(run):
    table = run("critical", "--top", "5").out.splitlines()
    assert table[0].split()[-1] == "dependents" and "centrality" not in table[0]
    rows = run("critical", "--top", "5", "--format", "json").json["results"]
    assert all(row["dependents"] > 0 for row in rows)
    assert "centrality" in rows[0], "JSON keeps its keys"
    found = run("sparql", "SELECT ?p WHERE { ?p rdfs:subPropertyOf+ akg:dependsOn }", "--format", "json").json
    dependency = "|".join(f"<{b['p']['value']}>" for b in found["results"]["bindings"])
    for row in rows[:2]:  # the count, checked by the SPARQL engine: entities with a dependency path to it
        query = (f"SELECT (COUNT(DISTINCT ?d) AS ?n) WHERE {{ ?d ({dependency})/({dependency}|skos:broader)* "
                 f"<{row['iri']}> FILTER(?d != <{row['iri']}>) }}")
        counted = int(run("sparql", query, "--format", "csv").out.splitlines()[1])
        assert counted == row["dependents"] > row["proposals"], (row["label"], counted)


def test_fitted_tables_never_exceed_the_width_and_lose_no_word():
    """Any table, any width from 20: every line fits, and every character of every cell is still there."""
    hypothesis = pytest.importorskip("hypothesis")
    st = hypothesis.strategies
    from alignkg.output import Result, to_table

    word = st.text(alphabet="abcdefghij§+-—(),;", min_size=1, max_size=30)
    cell = st.lists(word, max_size=8).map(" ".join)

    @hypothesis.settings(max_examples=200, deadline=None)
    @hypothesis.given(st.integers(1, 7).flatmap(lambda n: st.tuples(
        st.lists(st.text(alphabet="abc_", min_size=1, max_size=25), min_size=n, max_size=n, unique=True),
        st.lists(st.lists(cell, min_size=n, max_size=n), min_size=1, max_size=5))), st.integers(20, 200),
        st.lists(cell, max_size=3))
    def check(table, width, header):
        columns, cells = table
        rows = [dict(zip(columns, r)) for r in cells]
        text = to_table(Result(rows, columns, header=header), width)
        assert all(len(line) <= width for line in text.splitlines())
        shown = Counter(text.replace("_", "").replace("-", "").replace(" ", "").replace("\n", ""))
        wanted = Counter("".join(["".join(r) for r in cells] + header).replace("-", "").replace(" ", ""))
        assert not wanted - shown, "a cell lost characters (cut, not wrapped)"

    check()
