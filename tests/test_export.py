"""Exports: RDF that parses back to the same graph, GraphML/GEXF that networkx reads back,
DOT that Graphviz accepts, Mermaid that GitHub can draw, and an RFC 4180 edge list."""

import csv
import io
import json
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from collections import Counter

import networkx as nx
import pytest
from rdflib import BNode, Graph

from alignkg import export
from alignkg.errors import AlignKGError
from alignkg.store import Store

AKG = "https://w3id.org/alignkg#"
RDFLIB_FORMAT = {"ttl": "turtle", "jsonld": "json-ld", "nt": "nt"}

#: A proposal and two entities whose labels and definitions try every trick
#: (quotes, entities, Mermaid directives, HTML, DOT escapes, CSV separators,
#: a control character XML cannot carry), at an IRI that is no prefixed name.
HOSTILE = r'''@prefix akg: <https://w3id.org/alignkg#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
akg:evil-proposal a akg:Proposal ;
  rdfs:label "Evil \"quoted\" #1; a:b %%{init: {\"theme\": \"dark\"}}%% <script>x</script> `tick` | pipe"@en ;
  skos:definition "line one\nline two, with \"quotes\", a comma, a back\\slash\\ and &amp; \u0001 bell"@en ;
  akg:qualifiedRelation [ akg:relation akg:usesTechnique ; akg:target akg:evil-technique ;
      akg:inSection akg:s001-p2 ; akg:derived true ; akg:rationale "test, \"quoted\""@en ] ,
    [ akg:relation akg:requires ; akg:target <https://example.org/x/y?z=1&w=end> ;
      akg:inSection akg:s001-p2 ; akg:derived true ; akg:rationale "test"@en ] .
akg:evil-technique a akg:Technique ;
  rdfs:label "end\\\" -> x [label=\"pwned\"]; } { \\n %% comment"@en ;
  skos:definition "ends in a backslash \\"@en ;
  akg:inSection akg:s001-p2 .
<https://example.org/x/y?z=1&w=end> a akg:Concept ;
  rdfs:label "an, \"odd\"\nconcept"@en ;
  skos:definition "at an IRI without a prefix"@en ;
  akg:inSection akg:s001-p2 .
'''


@pytest.fixture(scope="module")
def store():
    return Store()


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    path = tmp_path_factory.mktemp("hostile") / "hostile.ttl"
    path.write_text(HOSTILE, encoding="utf-8")
    return Store(data=[path])


def kept_nodes(G):
    return {n for n, d in G.nodes(data=True) if d["kind"] in export.EXPORT_KINDS}


def kept_edges(G):
    keep = kept_nodes(G)
    return [(u, v, d) for u, v, d in G.edges(data=True) if u in keep and v in keep]


# -- RDF ---------------------------------------------------------------------


def shape(graph):
    """The triples with every blank node replaced by what it says (its outgoing triples, recursively)."""
    memo = {}

    def term(node, depth=0):
        if not isinstance(node, BNode):
            return node.n3()
        assert depth < 50, "blank nodes in a cycle"
        if node not in memo:
            memo[node] = "[" + " ; ".join(sorted(f"{p.n3()} {term(o, depth + 1)}"
                                                 for p, o in graph.predicate_objects(node))) + "]"
        return memo[node]

    return Counter((term(s), p.n3(), term(o)) for s, p, o in graph)


@pytest.mark.parametrize("fmt", sorted(RDFLIB_FORMAT))
def test_rdf_export_parses_back_to_the_same_graph(store, fmt):
    text = export.export(store, fmt)
    back = Graph().parse(data=text, format=RDFLIB_FORMAT[fmt])
    original = store.rdf
    assert len(back) == len(original)
    assert shape(back) == shape(original)  # same triples, blank nodes matched by content
    assert sum(1 for _ in back.subjects(None, None, unique=True)) > 200


@pytest.mark.parametrize("fmt", sorted(RDFLIB_FORMAT))
def test_rdf_export_is_deterministic_across_parses(store, fmt):
    """Blank nodes get fresh random ids on every parse; the export does not change."""
    text = export.export(store, fmt)
    reparsed = Graph().parse(data=export.to_turtle(store.rdf), format="turtle")
    assert export.FORMATS[fmt][0](reparsed) == text


def test_ntriples_lines_are_sorted(store):
    lines = export.to_ntriples(store.rdf).splitlines()
    assert lines == sorted(lines) and len(lines) == len(store.rdf)


def test_jsonld_has_an_inline_context_only(store):
    doc = json.loads(export.to_jsonld(store.rdf))
    assert doc["@context"]["akg"] == AKG
    assert set(doc["@context"]) == {"akg", "rdf", "rdfs", "owl", "xsd", "skos", "dcterms", "prov", "sh"}

    def contexts(value):
        if isinstance(value, dict):
            for key, inner in value.items():
                if key == "@context":
                    yield inner
                yield from contexts(inner)
        elif isinstance(value, list):
            for inner in value:
                yield from contexts(inner)

    assert all(isinstance(c, dict) for c in contexts(doc)), "a remote (string) @context"


def test_turtle_keeps_the_project_prefixes(store):
    text = export.to_turtle(store.rdf)
    assert "@prefix akg: <https://w3id.org/alignkg#> ." in text
    assert "akg:microscope-ai" in text


# -- GraphML and GEXF --------------------------------------------------------

NODE_ATTRS = {"label", "kind", "definition", "iri", "sources"}
EDGE_ATTRS = {"relation", "dependency", "sources"}


def edge_multiset(graph):
    return Counter((u, v, d["relation"], d["dependency"], d.get("sources", "")) for u, v, d in graph.edges(data=True))


def check_read_back(G, text, read, path):
    ET.fromstring(text.encode("utf-8"))  # well-formed XML
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<')
    path.write_text(text, encoding="utf-8")
    H = read(path)
    F = export.flat_graph(G)
    assert H.number_of_nodes() == F.number_of_nodes() == len(kept_nodes(G))
    assert H.number_of_edges() == F.number_of_edges() == len(kept_edges(G))
    assert {d["iri"] for _, d in H.nodes(data=True)} == kept_nodes(G)
    for n, d in H.nodes(data=True):
        for attr in NODE_ATTRS:  # a reader may drop an empty string
            assert d.get(attr, "") == F.nodes[n][attr], (n, attr)
            assert isinstance(d.get(attr, ""), str)
    for _, _, d in H.edges(data=True):
        assert EDGE_ATTRS <= set(d) | {"sources"}
        assert isinstance(d["dependency"], bool) and isinstance(d["relation"], str)
    assert edge_multiset(H) == edge_multiset(F)
    return H


def test_graphml_reads_back_with_networkx(store, tmp_path):
    G = store.nx
    H = check_read_back(G, export.to_graphml(G), nx.read_graphml, tmp_path / "alignkg.graphml")
    kinds = Counter(d["kind"] for _, d in H.nodes(data=True))
    assert kinds["proposal"] >= 11 and kinds["technique"] and kinds["assumption"]
    assert not {"evaluation", "section", "source"} & set(kinds)
    assert H.nodes["akg:microscope-ai"]["number"] == 5


def test_gexf_reads_back_with_networkx(store, tmp_path):
    G = store.nx
    H = check_read_back(G, export.to_gexf(G), nx.read_gexf, tmp_path / "alignkg.gexf")
    assert H.nodes["akg:hch"]["label"] == "HCH"


def test_xml_exports_survive_hostile_text(hostile, tmp_path):
    """Every text reads back exactly (a carriage return too); a control character XML 1.0 cannot write is refused."""
    G = hostile.nx.copy()
    evil = AKG + "evil-proposal"
    for make in (export.to_graphml, export.to_gexf):
        with pytest.raises(AlignKGError, match=r"cannot carry the definition of akg:evil-proposal .*U\+0001"):
            make(G)
    G.nodes[evil]["definition"] = G.nodes[evil]["definition"].replace("\x01", "\r\n\t")
    for name, make, read in (("h.graphml", export.to_graphml, nx.read_graphml), ("h.gexf", export.to_gexf, nx.read_gexf)):
        H = check_read_back(G, make(G), read, tmp_path / name)
        node = H.nodes["akg:evil-proposal"]
        assert node["label"] == G.nodes[evil]["label"]
        assert node["definition"] == G.nodes[evil]["definition"] and "\r\n\t bell" in node["definition"]
        assert any(d["iri"] == "https://example.org/x/y?z=1&w=end" for _, d in H.nodes(data=True))


def test_flat_graph_ids_are_xml_name_tokens(hostile):
    F = export.flat_graph(hostile.nx)
    assert all(re.fullmatch(r"[A-Za-z0-9._:-]+", n) for n in F)
    assert all(re.fullmatch(r"e\d+", k) for _, _, k in F.edges(keys=True))


# -- DOT ---------------------------------------------------------------------


def dot_structure(text):
    """Check quotes and braces outside strings balance; return the number of node and edge statements."""
    depth, in_string, escaped, seen_brace = 0, False, False, False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
            elif ch == "\n":
                raise AssertionError("a line break inside a DOT string")
        elif ch == '"':
            in_string = True
        elif ch in "{[":
            depth += 1
            seen_brace = True
        elif ch in "}]":
            depth -= 1
            assert depth >= 0, "unbalanced closing bracket"
    assert not in_string, "unterminated string"
    assert depth == 0 and seen_brace, "unbalanced brackets"
    nodes = len(re.findall(r'^  "(?:[^"\\]|\\.)*" \[label=', text, re.M))
    edges = len(re.findall(r'^  "(?:[^"\\]|\\.)*" -> "(?:[^"\\]|\\.)*" \[', text, re.M))
    return nodes, edges


def graphviz_accepts(text, tmp_path):
    dot = shutil.which("dot")
    if dot is None:
        return None
    source = tmp_path / "g.dot"
    source.write_text(text, encoding="utf-8")
    proc = subprocess.run([dot, "-Tsvg", "-o", str(tmp_path / "g.svg"), str(source)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "syntax error" not in proc.stderr.lower(), proc.stderr
    return (tmp_path / "g.svg").read_text(encoding="utf-8")


def test_dot_is_balanced_and_styles_dependencies(store):
    G = store.nx
    text = export.to_dot(G)
    assert text.startswith("digraph alignkg {")
    assert dot_structure(text) == (len(kept_nodes(G)), len(kept_edges(G)))
    solid = sum(1 for _, _, d in kept_edges(G) if d["dependency"])
    assert text.count("style=solid]") + text.count("style=solid,") == solid
    assert text.count("style=dashed") == len(kept_edges(G)) - solid


def test_dot_escapes_hostile_labels(hostile, tmp_path):
    text = export.to_dot(hostile.nx)
    dot_structure(text)
    assert 'label="end\\\\\\" -> x [label=\\"pwned\\"]; } { \\\\n %% comment"' in text
    assert 'label="an, \\"odd\\"\\nconcept"' in text


def test_graphviz_accepts_the_dot(store, hostile, tmp_path):
    if shutil.which("dot") is None:
        pytest.skip("Graphviz (dot) not installed")
    assert "<svg" in graphviz_accepts(export.to_dot(store.nx), tmp_path)
    svg = graphviz_accepts(export.to_dot(hostile.nx), tmp_path)
    assert "pwned" in svg and "<script>" not in svg


# -- Mermaid -----------------------------------------------------------------

NODE_LINE = re.compile(r'^    (\S+?)(\["|\(")(.*)("\]|"\))$')
EDGE_LINE = re.compile(r'^    (\S+) (-->|-\.->)(?:\|"(.*)"\|)? (\S+)$')


def parse_mermaid(text):
    """Nodes ``{id: label}`` and edges ``[(from, to, label)]``; every line must be understood."""
    lines = text.splitlines()
    assert lines[0] == "flowchart LR"
    nodes, edges, classes = {}, [], set()
    for line in lines[1:]:
        if line.startswith("    %% "):
            continue
        if m := NODE_LINE.match(line):
            assert m.group(1) not in nodes, f"duplicate node id {m.group(1)}"
            nodes[m.group(1)] = m.group(3)
        elif m := EDGE_LINE.match(line):
            edges.append((m.group(1), m.group(4), m.group(3)))
        elif m := re.match(r"^    classDef ([A-Za-z0-9_]+) fill:#[0-9a-f]{6},stroke:#[0-9a-f]{6},color:#[0-9a-f]{6}$", line):
            classes.add(m.group(1))
        elif m := re.match(r"^    class ([A-Za-z0-9_,]+) ([A-Za-z0-9_]+)$", line):
            assert m.group(2) in classes
            assert set(m.group(1).split(",")) <= set(nodes)
        else:
            raise AssertionError(f"unexpected Mermaid line: {line!r}")
    for text_ in list(nodes.values()) + [e[2] for e in edges if e[2]]:
        assert '"' not in text_, text_
        bare = re.sub(r"#\w+;", "", text_)  # entity codes are fine; nothing else that Mermaid or HTML reads
        assert not set(bare) & set('#;:%<>&`|{}\\'), text_
        assert "\n" not in text_
    for a, b, _ in edges:
        assert a in nodes and b in nodes
    assert all(re.fullmatch(r"[A-Za-z0-9_]+", n) for n in nodes)
    return nodes, edges


def test_mermaid_draws_proposals_and_their_direct_dependencies(store):
    G = store.nx
    nodes, edges = parse_mermaid(export.to_mermaid(G))
    proposals = {n for n, d in G.nodes(data=True) if d["kind"] == "proposal"}
    pairs = {(u, v) for p in proposals for u, v, d in G.out_edges(p, data=True) if d["dependency"]}
    assert len(nodes) == len(proposals | {v for _, v in pairs})
    assert len(edges) == len(pairs)
    assert '"5. Microscope AI"' in export.to_mermaid(G)
    assert len(export.to_mermaid(G)) < 50_000, "GitHub refuses Mermaid text over 50,000 characters"


def test_mermaid_escapes_hostile_labels(hostile):
    text = export.to_mermaid(hostile.nx)
    nodes, _ = parse_mermaid(text)
    assert "%%{" not in text and "<script" not in text
    assert nodes["proposal_evil_proposal"].startswith("Evil #quot;quoted#quot; #35;1#59; a#58;b #37;#37;#123;init")
    assert "concept_y_z_1_w_end" in nodes


def test_mermaid_overview_is_small_enough_for_the_readme(store):
    G = store.nx
    nodes, edges = parse_mermaid(export.mermaid_overview(G))
    numbered = [d for _, d in G.nodes(data=True) if d["kind"] == "proposal" and d.get("number")]
    assert len(numbered) == 11
    assert sum(1 for label in nodes.values() if re.match(r"\d+\. ", label)) == 11
    assert 11 < len(edges) <= 60
    assert "concept_hch" in nodes and "technique_relaxed_adversarial_training" in nodes


# -- CSV ---------------------------------------------------------------------


def test_csv_has_one_row_per_exported_edge(store):
    G = store.nx
    text = export.to_csv(G)
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")  # RFC 4180 line ends
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert tuple(rows[0].keys()) == export.CSV_COLUMNS
    assert len(rows) == len(kept_edges(G))
    keep = kept_nodes(G)
    for row in rows:
        assert row["source"] in keep and row["target"] in keep
        assert row["source_label"] == G.nodes[row["source"]]["label"]
        assert row["dependency"] in ("true", "false")
    assert sum(r["dependency"] == "true" for r in rows) == sum(1 for _, _, d in kept_edges(G) if d["dependency"])
    assert any(r["relation"] == "usesTechnique" and r["sections"].startswith("Overview of 11 proposals") for r in rows)


def test_csv_quotes_hostile_labels(hostile):
    rows = list(csv.DictReader(io.StringIO(export.to_csv(hostile.nx), newline="")))
    odd = [r for r in rows if r["target"] == "https://example.org/x/y?z=1&w=end"]
    assert [r["target_label"] for r in odd] == ['an, "odd"\nconcept']


# -- dispatch ----------------------------------------------------------------


def test_formats_table_and_dispatch(store):
    assert set(export.FORMATS) == {"ttl", "jsonld", "nt", "graphml", "gexf", "mermaid", "dot", "csv"}
    for fmt, (function, extension, media_type) in export.FORMATS.items():
        assert callable(function) and extension.startswith(".") and "/" in media_type
        text = export.export(store, fmt)
        assert isinstance(text, str) and text.strip()
    with pytest.raises(AlignKGError, match="unknown export format 'svg'"):
        export.export(store, "svg")


def test_export_command_stdout_and_output_file(run, tmp_path):
    r = run("export", "--format", "nt")
    assert r.code == 0 and r.out.count("\n") > 1000
    out = tmp_path / "graph.graphml"
    r = run("export", "--format", "graphml", "--output", out)
    assert r.code == 0 and out.read_text(encoding="utf-8").startswith("<?xml")
    from conftest import assert_clean_error

    assert_clean_error(run("export", "--format", "graphml", "--output", out), "already exists")
    assert_clean_error(run("export", "--format", "xml"), "--format")
