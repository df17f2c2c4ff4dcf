"""SPARQL: ad-hoc queries, named queries with bound parameters, and what is refused."""

import pytest
from conftest import assert_clean_error

from alignkg.queries import catalogue

COUNT_EVALUATIONS = """
SELECT (COUNT(DISTINCT ?e) AS ?n) (COUNT(DISTINCT ?p) AS ?proposals) WHERE {
  ?e a akg:Evaluation ; akg:evaluates ?p ; akg:onCriterion ?c ; akg:inSection/akg:heading ?h .
  ?c a akg:ProposalCriterion .
  ?p akg:number ?num .
}"""


def test_44_of_44_evaluations_each_with_a_source_section(run):
    r = run("sparql", COUNT_EVALUATIONS, "--format", "json")
    assert r.code == 0, r
    (b,) = r.json["results"]["bindings"]
    assert (int(b["n"]["value"]), int(b["proposals"]["value"])) == (44, 11)


def test_select_json_is_sparql_results_json(run):
    r = run("sparql", "SELECT ?p WHERE { ?p a akg:Proposal } LIMIT 2", "--format", "json")
    doc = r.json
    assert doc["head"]["vars"] == ["p"]
    assert all(b["p"]["type"] == "uri" for b in doc["results"]["bindings"])


def test_ask_construct_and_stdin(run):
    assert run("sparql", "ASK { akg:hch a akg:Concept }", "--format", "json").json == {"head": {}, "boolean": True}
    r = run("sparql", "CONSTRUCT { ?p akg:limitsTo ?x } WHERE { ?p akg:limitsTo ?x }", "--format", "json")
    assert any(row["object"].endswith("#hch") for row in r.json["results"])
    r = run("sparql", "--format", "csv", input="SELECT ?l WHERE { akg:hch rdfs:label ?l }")
    assert r.out.splitlines() == ["l", "HCH"]


@pytest.mark.parametrize("query, fragment", [
    ("SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }", "SERVICE is not allowed"),
    ("SELECT * WHERE { { SELECT ?s WHERE { SERVICE <http://x> { ?s ?p ?o } } } }", "SERVICE is not allowed"),
    ("SELECT * FROM <file:///etc/passwd> WHERE { ?s ?p ?o }", "FROM / FROM NAMED are not allowed"),
    ("SELECT * FROM NAMED <http://example.org/g> WHERE { ?s ?p ?o }", "FROM / FROM NAMED are not allowed"),
    ("INSERT DATA { <urn:a> <urn:b> <urn:c> }", "updates"),
    ("LOAD <file:///etc/passwd>", "updates"),
    ("PREFIX x: <urn:x#>\nDELETE WHERE { ?s ?p ?o }", "updates"),
    ("SELECT * WHERE {\n  ?s ?p \n}", "line 3, column"),
    ("", "empty query"),
])
def test_refused_and_malformed_queries(run, query, fragment):
    assert_clean_error(run("sparql", query), fragment)


def test_every_named_query_has_a_header_and_runs(run):
    queries = catalogue()
    assert len(queries) >= 3
    for name, q in queries.items():
        assert q.summary and q.description and q.example, name
        r = run("query", name, "--format", "json")
        assert r.code == 0, (name, r)
        assert "bindings" in r.json["results"], name


def test_query_list(run):
    r = run("query", "--list", "--format", "json")
    assert {"direct-dependents", "evaluations-on-criterion"} <= {x["name"] for x in r.json["results"]}


def test_named_query_parameter_is_resolved_and_bound(run):
    r = run("query", "evaluations-on-criterion", "--param", "criterion=inner alignment", "--format", "json")
    rows = r.json["results"]["bindings"]
    assert len(rows) == 11
    r = run("query", "direct-dependents", "-p", "target=akg:hch", "--format", "csv")
    assert "Imitative amplification + intermittent oversight" in r.out


def test_parameter_text_never_becomes_query_text(run, tmp_path):
    evil = 'HCH" } } ; DROP ALL ; SELECT * { ?s ?p ?o'
    assert_clean_error(run("query", "direct-dependents", "--param", f"target={evil}"), "unknown name")


def test_bad_parameters(run):
    assert_clean_error(run("query", "direct-dependents", "--param", "nope=1"), "no parameter 'nope'")
    assert_clean_error(run("query", "direct-dependents", "--param", "target"), "KEY=VALUE")
    assert_clean_error(run("query", "direct-dependent"), "unknown query", "direct-dependents")


def test_result_formats_follow_sparql_11(run):
    q = "SELECT ?p ?l WHERE { ?p a akg:Proposal ; rdfs:label ?l ; akg:number 5 }"
    tsv = run("sparql", q, "--format", "tsv").out.splitlines()
    assert tsv == ["?p\t?l", '<https://w3id.org/alignkg#microscope-ai>\t"Microscope AI"@en']
    csv_lines = run("sparql", q, "--format", "csv").out.splitlines()
    assert csv_lines == ["p,l", "https://w3id.org/alignkg#microscope-ai,Microscope AI"]
    import xml.etree.ElementTree as ET

    root = ET.fromstring(run("sparql", q, "--format", "xml").out)
    ns = "{http://www.w3.org/2005/sparql-results#}"
    assert [v.get("name") for v in root.iter(ns + "variable")] == ["p", "l"]
    assert root.find(f".//{ns}uri").text == "https://w3id.org/alignkg#microscope-ai"


def test_graph_results_as_rdf(run):
    from rdflib import Graph

    q = "CONSTRUCT { ?p akg:limitsTo ?l } WHERE { ?p akg:limitsTo ?l }"
    for fmt, parser in (("ttl", "turtle"), ("nt", "nt"), ("jsonld", "json-ld")):
        r = run("sparql", q, "--format", fmt)
        assert r.code == 0 and len(Graph().parse(data=r.out, format=parser)) >= 6, fmt
    r = run("sparql", "DESCRIBE akg:hch", "--format", "nt")
    assert r.code == 0 and "<https://w3id.org/alignkg#hch>" in r.out
    assert_clean_error(run("sparql", "SELECT * WHERE { ?s ?p ?o } LIMIT 1", "--format", "ttl"), "CONSTRUCT and DESCRIBE")


def test_limit_cuts_and_says_so(run):
    r = run("sparql", "SELECT ?s WHERE { ?s a akg:Proposal }", "--limit", "3", "--format", "json")
    assert len(r.json["results"]["bindings"]) == 3
    assert "cut at the --limit" in r.err


def test_timeout_stops_a_cartesian_product(run_process):
    import time

    start = time.monotonic()
    r = run_process("sparql", "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }", "--timeout", "1")
    assert_clean_error(r, "timeout")
    assert time.monotonic() - start < 20


def test_runaway_property_path_is_stopped(run):
    r = run("sparql", "SELECT (COUNT(*) AS ?n) WHERE { ?a (<urn:x:p>|!<urn:x:q>)* ?b . ?c (!<urn:x:q>)* ?d }",
            "--timeout", "1")
    assert_clean_error(r, "timeout")


def test_query_from_file(run, tmp_path):
    f = tmp_path / "q.rq"
    f.write_text("SELECT ?l WHERE { akg:hch rdfs:label ?l }")
    assert run("sparql", "--file", f, "--format", "csv").out.splitlines() == ["l", "HCH"]
    assert_clean_error(run("sparql", "--file", tmp_path / "none.rq"), "no such file")


@pytest.mark.parametrize("value", ["inf", "nan", "1e20", "-1", "abc"])
def test_timeout_must_be_a_finite_number_of_seconds(run, value):
    assert_clean_error(run("sparql", "ASK {}", "--timeout", value), "--timeout")
    assert_clean_error(run("query", "direct-dependents", "--timeout", value), "--timeout")


def test_parsing_is_inside_the_timeout(run):
    """A huge expression (pyoxigraph parses it in the worker) is stopped, or refused, within the time limit."""
    import time

    heavy = "SELECT ?x WHERE { BIND(" + "+".join(["(1*2-3)"] * 11000) + " AS ?x) }"
    start = time.monotonic()
    r = run("sparql", heavy, "--timeout", "1", "--format", "csv")
    assert r.code in (0, 2) and "Traceback" not in r.err
    assert time.monotonic() - start < 15


@pytest.mark.parametrize("value, fragment", [
    ('HCH" } ; DROP ALL ; #', "not a valid IRI"),  # as an iri parameter: never query syntax
    ("urn:a>", "not a valid IRI"),
    ("urn:a b", "not a valid IRI"),
])
def test_iri_parameters_are_checked_terms(run, value, fragment):
    assert_clean_error(run("query", "direct-dependents", "--param", f"target=<{value}>"), "")


def test_bind_substitutes_terms_and_keeps_columns():
    from rdflib import Literal, URIRef

    from alignkg.errors import QueryError
    from alignkg.sparql import bind

    q = 'SELECT ?t (COUNT(?x) AS ?n) WHERE { ?x ?p ?t . FILTER(?t != "?t") } GROUP BY ?t ORDER BY ?t'
    assert bind(q, {"t": URIRef("urn:a")}) == (
        'SELECT (<urn:a> AS ?t) (COUNT(?x) AS ?n) WHERE { ?x ?p <urn:a> . FILTER(<urn:a> != "?t") } '
        'GROUP BY (<urn:a>) ORDER BY (<urn:a>)')
    assert bind("ASK { ?s ?p ?v }", {"v": Literal('a"b\\c\n', lang="en")}) == 'ASK { ?s ?p "a\\"b\\\\c\\n"@en }'
    assert bind("ASK { ?s ?p ?v }", {"v": Literal(5)}) == \
        'ASK { ?s ?p "5"^^<http://www.w3.org/2001/XMLSchema#integer> }'
    with pytest.raises(QueryError):
        bind("SELECT ?v WHERE { BIND(1 AS ?v) }", {"v": Literal(1)})
    with pytest.raises(QueryError):
        bind("SELECT ?v WHERE { VALUES ?v { 1 } }", {"v": Literal(1)})
    with pytest.raises(QueryError):
        bind("ASK { ?s ?p ?v }", {"v": Literal("x", datatype="urn:x> } ; DROP ALL ; <urn:y")})


def test_forked_child_answers_byte_for_byte_like_a_worker_and_stops_at_the_timeout():
    """A process's first query runs in a forked child (alignkg.sparql._Child), later ones in a pool's
    worker: every format, the --limit cut and the errors are the same bytes, and the timeout is hard."""
    import os
    import time

    from alignkg import sparql as sq
    from alignkg.errors import QueryError
    from alignkg.store import Store

    store = Store()
    child = sq._Child(sq._store_dir(store))
    with sq.new_pool(store) as pool:
        for text, fmt, limit in [("SELECT ?s ?l WHERE { ?s a akg:Proposal ; rdfs:label ?l } ORDER BY ?s", "json", None),
                                 ("SELECT ?s ?l WHERE { ?s a akg:Proposal ; rdfs:label ?l } ORDER BY ?s", "csv", 3),
                                 ("SELECT ?s ?l WHERE { ?s a akg:Proposal ; rdfs:label ?l } ORDER BY ?s", "tsv", None),
                                 ("ASK { ?s a akg:Proposal }", "json", None),
                                 ("CONSTRUCT { ?s a akg:Proposal } WHERE { ?s a akg:Proposal }", "nt", 2)]:
            ours = sq.open_stream(store, text, fmt=fmt, limit=limit, pool=child)
            theirs = sq.open_stream(store, text, fmt=fmt, limit=limit, pool=pool)
            assert (ours.type, ours.vars, ours.read(), ours.truncated) == \
                   (theirs.type, theirs.vars, theirs.read(), theirs.truncated), (text, fmt)
        for bad in ["SELEC * { ?s ?p ?o }", "SELECT * { ?s ?p ?o }"]:
            errors = []
            for runner in (child, pool):
                try:
                    sq.open_stream(store, bad, fmt="ttl", pool=runner).read()
                except QueryError as exc:
                    errors.append(str(exc))
            assert len(errors) == 2 and errors[0] == errors[1], errors
    def children():  # this process's child processes (Linux), zombies included
        path = f"/proc/self/task/{os.getpid()}/children"
        return set(open(path).read().split()) if os.path.exists(path) else set()

    before = children()
    start = time.monotonic()
    with pytest.raises(QueryError, match="timeout"):
        sq.open_stream(store, "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }",
                       timeout=1, pool=child).read()
    assert time.monotonic() - start < 10
    assert children() <= before  # the killed child was reaped: no process left behind


def test_plain_prefix_table_is_the_namespace_table():
    """The query path's rdflib-free copy of the prefixes says exactly what alignkg.namespace says."""
    from alignkg.namespace import PREFIXES
    from alignkg.sparql import PREFIX_IRIS

    assert PREFIX_IRIS == {p: str(ns) for p, ns in PREFIXES.items()}


def test_a_named_query_imports_neither_rdflib_nor_networkx_on_its_way_to_json(run):
    """Warm, a named query with a text parameter streamed as JSON loads neither library (0.1-0.2 s of
    start-up each, more than many queries take), and answers what the in-process CLI answers."""
    import json
    import subprocess
    import sys

    from conftest import ROOT

    args = ["query", "derived-claims", "--param", "relation=adapted from", "--format", "json"]
    expected = run(*args)  # also fills the cache
    assert expected.code == 0, expected
    proc = subprocess.run([sys.executable, "-X", "importtime", str(ROOT / "cli.py"), *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == expected.json
    loaded = {line.split("|")[-1].strip() for line in proc.stderr.splitlines() if line.startswith("import time:")}
    assert "pyoxigraph" in loaded or "alignkg.sparql" in loaded, proc.stderr[-500:]
    assert not {m for m in loaded if m.split(".")[0] in ("rdflib", "networkx")}, sorted(loaded)


@pytest.mark.parametrize("damage", ["truncated", "flipped"])
def test_a_named_query_on_a_damaged_name_index_rebuilds_and_answers(tmp_path, damage):
    """Name parameters are looked up in names.sqlite alone (not the projection); that file is still
    checked against its recorded digest: a damaged one is discarded and rebuilt, the answer unchanged."""
    import os
    import subprocess
    import sys

    from conftest import ROOT

    env = {**os.environ, "ALIGNKG_CACHE_DIR": str(tmp_path)}
    argv = [sys.executable, str(ROOT / "cli.py"), "query", "direct-dependents", "--param", "target=HCH",
            "--format", "json"]

    def cli():
        return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=300)

    first = cli()
    assert (first.returncode, first.stderr) == (0, ""), first.stderr
    [entry] = [p for p in tmp_path.iterdir() if p.is_dir() and (p / "meta.json").exists()]
    names = entry / "names.sqlite"
    data = bytearray(names.read_bytes())
    if damage == "truncated":
        del data[len(data) // 2:]
    else:
        data[len(data) // 2] ^= 0xFF
    names.write_bytes(bytes(data))
    second = cli()
    assert second.returncode == 0, second.stderr
    assert second.stdout == first.stdout
    assert second.stderr.startswith("alignkg: note: discarded a damaged cache entry"), second.stderr
    assert len(second.stderr.strip().splitlines()) == 1
    third = cli()
    assert (third.returncode, third.stdout, third.stderr) == (0, first.stdout, "")


def test_a_query_that_crashes_the_engine_is_one_line(run_process, tmp_path):
    """A group nested 20,000 deep overflows the engine's stack in the query's process (a command's
    first query: the forked child): the command still says so in one line, exit 2."""
    q = tmp_path / "deep.rq"
    q.write_text("SELECT * WHERE { " + "{ " * 20000 + "?s ?p ?o" + " }" * 20000 + " }")
    assert_clean_error(run_process("sparql", "--file", q, "--format", "json"), "query")


def test_the_lexers_name_classes_are_sparqls_over_every_code_point():
    """The lexer writes its name-character classes as complements (they compile ten times faster):
    each matches exactly the characters of the plain class, over every Unicode code point."""
    import re

    from alignkg import sparql as sq

    spec = {sq._VAR_CHAR: r"[0-9A-Za-z_\u00B7\u00C0-\uFFFF]", sq._BNODE_CHAR: r"[0-9A-Za-z_\-.\u00B7\u00C0-\uFFFF]",
            sq._PREFIX_START: r"[A-Za-z\u00C0-\uFFFF]", sq._LOCAL_CHAR: r"[0-9A-Za-z_:\-.\u00B7\u00C0-\uFFFF]"}
    everything = "".join(chr(i) for i in range(0x110000) if not 0xD800 <= i <= 0xDFFF)
    for ours, plain in spec.items():
        assert re.sub(ours, "", everything) == re.sub(plain, "", everything), plain


def test_a_query_stopped_before_its_first_row_names_the_timeout(run_process):
    """An aggregate that runs past --timeout before it sends anything: the message says the timeout given
    (it said 0 s when the stop came before the answer's head)."""
    r = run_process("sparql", "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }",
                    "--timeout", "1", "--format", "json")
    assert r.code == 2 and r.err.strip().endswith("query stopped after the 1 s timeout (raise it with --timeout)"), r
    assert r.out == ""
