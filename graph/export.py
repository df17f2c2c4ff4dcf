"""Exports of the graph for other tools: RDF, Gephi/Cytoscape, Graphviz, Mermaid, CSV.

Every export is a pure function from one of the store's views to text:

- the RDF formats (``ttl``, ``jsonld``, ``nt``) serialise the whole rdflib
  graph, entailed shortcut triples included, with blank nodes renamed after
  what they say (:func:`stable_blank_nodes`), so exporting the same data twice
  gives the same bytes (N-Triples lines are sorted too); JSON-LD carries an
  inline ``@context`` made from :data:`graph.namespace.PREFIXES`, never a
  remote one;
- the graph formats (``graphml``, ``gexf``, ``dot``, ``csv``) take the
  networkx projection and keep the kinds the HTML map shows
  (:data:`EXPORT_KINDS`, which is :data:`graph.render.MAP_KINDS`): proposals,
  techniques, concepts, assumptions, failure modes, training stories and the
  classes of training goals and rationales. Sections and sources are
  provenance, carried instead as a ``sources`` citation string on every node
  and edge; evaluations and criteria are the scaffolding of the essays'
  verdicts, already folded into the ``assumes`` and ``vulnerableTo`` edges
  (whose ``criteria`` attribute names the criteria); story components are
  the text of a story, one per story and part. Use an RDF export for all of
  it;
- ``mermaid`` draws the proposals and what they depend on in one step, for
  GitHub; :func:`mermaid_overview` draws the 11 proposals, the techniques they
  use and their theoretical limits, for the README.

:data:`FORMATS` maps each format name to ``(function, extension, media
type)`` and :func:`export` dispatches on it. Writing the text to a file is the
caller's job (:func:`graph.output.write_atomic`).
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections import defaultdict

import networkx as nx

from .answers import cite
from .errors import AlignKGError
from .render import MAP_KINDS, STYLE

#: Kinds kept by the graph exports (GraphML, GEXF, DOT, CSV): those of the HTML map.
EXPORT_KINDS = MAP_KINDS

#: Formats that serialise the rdflib graph; the others take the networkx projection.
RDF_FORMATS = frozenset({"ttl", "jsonld", "nt"})

#: Header of the CSV edge list.
CSV_COLUMNS = ("source", "source_label", "relation", "target", "target_label", "dependency", "sections")

_XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


# -- RDF ---------------------------------------------------------------------


def stable_blank_nodes(graph):
    """A copy of ``graph`` whose blank nodes are named after what they say.

    A blank node's name is a hash of its outgoing triples (recursively, for
    nested blank nodes) and of the triples that point at it, so two parses of
    the same data get the same names, and serialisations that order by term
    come out in the same order. Blank nodes that nothing tells apart (the
    same triples in and out) differ only by a counter; they are
    interchangeable, so the output does not change. The copy has the
    original's prefixes, with :data:`graph.namespace.PREFIXES` on top, and
    holds its triples in sorted order.

    This is linear in the size of the graph, where
    :func:`rdflib.compare.to_canonical_graph` takes seconds on the shipped
    data; the two agree in spirit on tree-shaped blank nodes such as
    qualified relations, which is all the shipped data has.

    Parameters
    ----------
    graph : rdflib.Graph

    Returns
    -------
    rdflib.Graph

    Examples
    --------
    >>> from rdflib import Graph
    >>> data = '@prefix ex: <http://example.org/> . ex:a ex:q [ ex:r ex:b ] .'
    >>> one = stable_blank_nodes(Graph().parse(data=data, format="turtle"))
    >>> two = stable_blank_nodes(Graph().parse(data=data, format="turtle"))
    >>> set(one) == set(two)
    True
    """
    from rdflib import BNode, Graph

    from .namespace import PREFIXES

    memo = {}

    def digest(root):
        """A blank node's name-to-be: a hash of its triples, nested blank nodes by their own hash.

        Iterative (a 2,000-item RDF list is a chain of 2,000 blank nodes) and
        linear: each node is hashed once. A node met again on the current path
        (a cycle of blank nodes) counts as ``[cycle]``.
        """
        stack, on_path = [(root, False)], set()
        while stack:
            node, expanded = stack.pop()
            if node in memo:
                continue
            if not expanded:
                on_path.add(node)
                stack.append((node, True))
                stack.extend((o, False) for o in graph.objects(node)
                             if isinstance(o, BNode) and o not in memo and o not in on_path)
                continue
            parts = sorted(f"{p.n3()} {memo.get(o, '[cycle]') if isinstance(o, BNode) else o.n3()}"
                           for p, o in graph.predicate_objects(node))
            memo[node] = "[" + hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest() + "]"
            on_path.discard(node)
        return memo[root]

    def content(node):
        return digest(node) if isinstance(node, BNode) else node.n3()

    blanks = {t for triple in graph for t in triple if isinstance(t, BNode)}
    by_digest = defaultdict(list)
    for node in blanks:
        incoming = sorted(f"{content(s)} {p.n3()}" for s, p in graph.subject_predicates(node))
        text = content(node) + "\n" + "\n".join(incoming)
        by_digest[hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]].append(node)
    names = {}
    for digest, nodes in by_digest.items():
        for i, node in enumerate(sorted(nodes)):
            names[node] = BNode(f"b{digest}" + (f"x{i}" if len(nodes) > 1 else ""))

    out = Graph(bind_namespaces="none")
    for prefix, namespace in graph.namespaces():
        out.bind(prefix, namespace, override=True, replace=True)
    for prefix, namespace in PREFIXES.items():
        out.bind(prefix, namespace, override=True, replace=True)
    renamed = [tuple(names.get(t, t) for t in triple) for triple in graph]
    for triple in sorted(renamed, key=lambda t: tuple(term.n3() for term in t)):
        out.add(triple)
    return out


def jsonld_context() -> dict:
    """The inline JSON-LD ``@context``: one term per prefix of :data:`graph.namespace.PREFIXES`.

    Examples
    --------
    >>> jsonld_context()["akg"]
    'https://w3id.org/alignkg#'
    """
    from .namespace import PREFIXES

    return {prefix: str(namespace) for prefix, namespace in PREFIXES.items()}


def to_turtle(rdf) -> str:
    """The whole graph as Turtle (a serialiser dump: not for ``ontology/``).

    Parameters
    ----------
    rdf : rdflib.Graph
        :attr:`graph.store.Store.rdf`.

    Returns
    -------
    str

    Examples
    --------
    >>> from rdflib import Graph
    >>> g = Graph().parse(data='<https://w3id.org/alignkg#p> a <https://w3id.org/alignkg#Proposal> .', format="turtle")
    >>> print(to_turtle(g).strip())
    @prefix akg: <https://w3id.org/alignkg#> .
    <BLANKLINE>
    akg:p a akg:Proposal .
    """
    import io as _io

    out = _io.BytesIO()
    _shallow_turtle_serializer()(stable_blank_nodes(rdf)).serialize(out, encoding="utf-8")
    return out.getvalue().decode("utf-8")


#: Blank nodes nest as ``[ ... ]`` or ``( ... )`` at most this deep in Turtle; deeper ones get a label.
MAX_TURTLE_NESTING = 8


def _shallow_turtle_serializer():
    """rdflib's Turtle serialiser, nesting blank nodes at most :data:`MAX_TURTLE_NESTING` deep.

    rdflib writes a blank node used once inline, recursively, so a chain of
    a thousand blank nodes (nested lists, N-Triples ``_:b1 :p _:b2 . _:b2
    :p _:b3 ...``) hit Python's recursion limit, and even a shallower nesting
    gives Turtle that parsers refuse as nested too deeply. Past the cap the
    node is written by its label (``_:b...``) and described on its own.
    """
    from rdflib.plugins.serializers.turtle import TurtleSerializer

    class ShallowTurtleSerializer(TurtleSerializer):
        def p_squared(self, node, position, newline=False):
            if self.depth >= MAX_TURTLE_NESTING:
                return False
            return super().p_squared(node, position, newline)

    return ShallowTurtleSerializer


def to_jsonld(rdf) -> str:
    """The whole graph as JSON-LD, compacted with an inline ``@context`` (no remote context).

    Examples
    --------
    >>> import json
    >>> from rdflib import Graph
    >>> g = Graph().parse(data='<https://w3id.org/alignkg#p> a <https://w3id.org/alignkg#Proposal> .', format="turtle")
    >>> doc = json.loads(to_jsonld(g))
    >>> doc["@context"]["akg"], doc["@type"]
    ('https://w3id.org/alignkg#', 'akg:Proposal')
    """
    import json

    from rdflib.plugins.shared.jsonld.context import Context

    graph = stable_blank_nodes(rdf)
    context = _jsonld_context_for(graph)
    converter = _flat_jsonld_converter()(Context(context), True, False)
    doc = converter.convert(graph)
    if isinstance(doc, list):
        doc = {"@graph": doc}
    doc["@context"] = context
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n"


def _jsonld_context_for(graph) -> dict:
    """:func:`jsonld_context` without the prefixes that an IRI of ``graph`` uses as its scheme.

    JSON-LD reads ``akg:x`` as a compact IRI whenever ``akg`` is a prefix, so
    a real IRI with the scheme ``akg:`` would come back as
    ``https://w3id.org/alignkg#x``; without the prefix, both are written in full.

    Examples
    --------
    >>> from rdflib import Graph, URIRef
    >>> g = Graph()
    >>> g.add((URIRef("akg:odd"), URIRef("http://e/p"), URIRef("http://e/o")))
    <Graph identifier=... (<class 'rdflib.graph.Graph'>)>
    >>> "akg" in _jsonld_context_for(g), "skos" in _jsonld_context_for(g)
    (False, True)
    """
    from rdflib import Literal

    context = jsonld_context()
    iris = {str(t.datatype) if isinstance(t, Literal) else str(t) for triple in graph for t in triple
            if not isinstance(t, Literal) or t.datatype}
    clash = {prefix for prefix, ns in context.items()
             if any(iri.startswith(prefix + ":") and not iri.startswith(ns) for iri in iris)}
    return {prefix: ns for prefix, ns in context.items() if prefix not in clash}


#: RDF lists nest as JSON-LD ``@list`` at most this deep; deeper ones are written as their triples.
MAX_JSONLD_LIST_NESTING = 8


def _flat_jsonld_converter():
    """rdflib's JSON-LD converter, made flat, deterministic and exact.

    - rdflib describes a blank node object by recursing into it, so a chain
      of a thousand blank nodes hit Python's recursion limit; here each one
      is queued and described at the top level (``{"@id": "_:b..."}`` where it
      is used);
    - lists nest as ``@list`` at most :data:`MAX_JSONLD_LIST_NESTING` deep;
    - subjects come in sorted order, so the same graph gives the same bytes;
    - ``""``, ``0`` and ``false`` are written as value objects, since rdflib
      dropped a falsy value when the property had another;
    - an ``xsd:double`` keeps its lexical form (a JSON number cannot say
      ``INF`` or ``NaN``, nor keep ``1.50E0`` as written);
    - blank nodes that only other blank nodes point at, in a cycle, are
      described too (rdflib dropped them).
    """
    from rdflib import RDF, BNode, Literal, URIRef
    from rdflib.namespace import XSD
    from rdflib.plugins.serializers.jsonld import Converter

    class FlatConverter(Converter):
        def from_graph(self, graph):
            nodemap, self._pending, self._in_lists, self._depth = {}, [], set(), 0
            subjects = sorted(set(graph.subjects()))
            for s in subjects:
                if isinstance(s, URIRef) or (isinstance(s, BNode) and not any(graph.subjects(None, s))):
                    self.process_subject(graph, s, nodemap)
            while True:
                while self._pending:
                    self.process_subject(graph, self._pending.pop(), nodemap)
                left = [s for s in subjects if isinstance(s, BNode) and s.n3() not in nodemap and s not in self._in_lists]
                if not left:
                    break
                self._pending.append(left[0])
            return list(nodemap.values())

        def to_raw_value(self, graph, s, o, nodemap):
            if isinstance(o, BNode):
                items = self.to_collection(graph, o) if self._depth < MAX_JSONLD_LIST_NESTING else None
                if items is not None:
                    node = o
                    while isinstance(node, BNode) and node not in self._in_lists:
                        self._in_lists.add(node)
                        node = graph.value(node, RDF.rest)
                    self._depth += 1
                    try:
                        return {self.context.list_key: [self.to_raw_value(graph, s, item, nodemap) for item in items]}
                    finally:
                        self._depth -= 1
                self._pending.append(o)
                return {self.context.id_key: o.n3()}
            if isinstance(o, Literal) and o.datatype == XSD.double:
                return {self.context.type_key: self.context.to_symbol(o.datatype), self.context.value_key: str(o)}
            raw = super().to_raw_value(graph, s, o, nodemap)
            if isinstance(o, Literal) and not isinstance(raw, dict) and not raw:
                # "", 0 and false as bare JSON: rdflib's add_to_node tests the values it has so far for
                # truth, and a second value of the same property replaced a falsy first one
                return {self.context.value_key: raw}
            return raw

    return FlatConverter


def to_ntriples(rdf) -> str:
    """The whole graph as N-Triples, one triple a line, lines sorted.

    Examples
    --------
    >>> from rdflib import Graph
    >>> g = Graph().parse(data='@prefix ex: <http://example.org/> . ex:b ex:p ex:c . ex:a ex:p "x"@en .', format="turtle")
    >>> print(to_ntriples(g), end="")
    <http://example.org/a> <http://example.org/p> "x"@en .
    <http://example.org/b> <http://example.org/p> <http://example.org/c> .
    """
    text = stable_blank_nodes(rdf).serialize(format="nt")
    # split on line feeds only: str.splitlines also breaks at U+0085, U+2028, \x0b ... inside literals
    lines = sorted(line for line in text.split("\n") if line.strip())
    return "\n".join(lines) + ("\n" if lines else "")


# -- the projection, flattened -----------------------------------------------


def _local_name(iri: str) -> str:
    return re.split(r"[#/:]", iri.rstrip("#/"))[-1] or iri


def _unique_ids(keys, make) -> dict:
    """``key -> make(key)``, with ``_2``, ``_3`` ... appended where two keys make the same id."""
    ids, used = {}, set()
    for key in keys:
        base = make(key)
        candidate, n = base, 1
        while candidate in used:
            n += 1
            candidate = f"{base}_{n}"
        used.add(candidate)
        ids[key] = candidate
    return ids


def flat_graph(G, kinds=EXPORT_KINDS) -> nx.MultiDiGraph:
    """The part of the projection worth a map, with scalar attributes only.

    Nodes are renamed to XML-safe ids made from their prefixed names
    (``akg:microscope-ai``: a GraphML ``NMTOKEN``); the IRI is kept as an
    attribute. Edges are keyed ``e0``, ``e1``, ... in a stable order.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        The projection (:attr:`graph.store.Store.nx`).
    kinds : set of str
        Kinds of node to keep (default :data:`EXPORT_KINDS`).

    Returns
    -------
    networkx.MultiDiGraph
        Node attributes: ``label``, ``kind``, ``definition``, ``iri``,
        ``short``, ``alt_labels``, ``sources`` (strings) and ``number`` (int,
        numbered proposals only). Edge attributes: ``relation``, ``label``
        (the relation's label), ``dependency``, ``hierarchy``, ``derived``
        (booleans), ``sources``, ``rationale``, ``criteria`` (strings).
        Lists are joined with ``"; "``, missing values are ``""`` or False.

    Examples
    --------
    >>> G = nx.MultiDiGraph()
    >>> G.add_node("https://w3id.org/alignkg#p", label="P", kind="proposal", short="akg:p", sections=[])
    >>> G.add_node("https://w3id.org/alignkg#e", label="E", kind="evaluation", short="akg:e", sections=[])
    >>> G.add_edge("https://w3id.org/alignkg#e", "https://w3id.org/alignkg#p", key="evaluates", relation="evaluates")
    'evaluates'
    >>> F = flat_graph(G)
    >>> list(F.nodes(data="iri")), F.number_of_edges()
    ([('akg:p', 'https://w3id.org/alignkg#p')], 0)
    """
    keep = sorted(n for n, d in G.nodes(data=True) if d.get("kind") in kinds)
    ids = _unique_ids(keep, lambda n: re.sub(r"[^A-Za-z0-9._:-]", "_", G.nodes[n].get("short") or n) or "node")
    F = nx.MultiDiGraph()
    for n in keep:
        d = G.nodes[n]
        attrs = {
            "label": str(d.get("label") or d.get("short") or n),
            "kind": str(d["kind"]),
            "definition": str(d.get("definition") or ""),
            "iri": str(d.get("iri") or n),
            "short": str(d.get("short") or n),
            "alt_labels": "; ".join(str(a) for a in d.get("alt_labels") or []),
            "sources": cite(d.get("sections") or []),
        }
        F.add_node(ids[n], **attrs)
        if isinstance(d.get("number"), int) and not isinstance(d.get("number"), bool):
            F.nodes[ids[n]]["number"] = d["number"]
    edges = sorted(
        ((u, v, d) for u, v, d in G.edges(data=True) if u in ids and v in ids),
        key=lambda e: (e[0], str(e[2].get("relation", "")), e[1]),
    )
    for i, (u, v, d) in enumerate(edges):
        relation = str(d.get("relation") or "")
        text = {
            "relation": relation,
            "label": str(d.get("relation_label") or relation),
            "sources": cite(d.get("sections") or []),
            "rationale": str(d.get("rationale") or ""),
            "criteria": "; ".join(str(c) for c in d.get("criteria") or []),
        }
        F.add_edge(ids[u], ids[v], key=f"e{i}",
                   **text,
                   dependency=bool(d.get("dependency")), hierarchy=bool(d.get("hierarchy")),
                   derived=bool(d.get("derived")))
    return F


def _xml_checked(F, fmt: str):
    """``F`` if XML 1.0 can carry every text in it; else exit 2 naming the node or edge and the field.

    Control characters other than tab and line breaks have no XML 1.0
    spelling at all (:func:`graph.terms.check_xml_text`); dropping them
    would change the data, so the XML formats refuse and name the term.
    """
    from .terms import check_xml_text

    for n, d in F.nodes(data=True):
        for key, value in d.items():
            if isinstance(value, str):
                check_xml_text(value, f"{key} of {n}", fmt)
    for u, v, d in F.edges(data=True):
        for key, value in d.items():
            if isinstance(value, str):
                check_xml_text(value, f"{key} of the edge {u} -> {v}", fmt)
    return F


def _xml_document(write, F) -> str:
    """The XML that networkx's ``write(F, file)`` writes, behind one UTF-8 declaration.

    The whole document is written at once: networkx's ``generate_*`` split
    it with ``str.splitlines``, which also breaks text at U+2028, U+0085 or
    a carriage return inside a label. A carriage return in text content is
    written ``&#13;``, since an XML parser would read it as a line feed
    (:func:`graph.terms.xml_keep_cr`).
    """
    from .terms import xml_keep_cr

    buffer = io.BytesIO()
    write(F, buffer, encoding="utf-8", prettyprint=True)
    body = re.sub(r"^<\?xml[^>]*\?>\s*", "", buffer.getvalue().decode("utf-8"))
    return _XML_DECLARATION + xml_keep_cr(body.rstrip("\n")) + "\n"


def to_graphml(G) -> str:
    """GraphML of :func:`flat_graph` (Gephi, Cytoscape, yEd), written by networkx.

    Examples
    --------
    >>> G = nx.MultiDiGraph()
    >>> G.add_node("https://w3id.org/alignkg#p", label="P & Q", kind="proposal", short="akg:p", sections=[])
    >>> "<node id=\\"akg:p\\">" in to_graphml(G)
    True
    """
    return _xml_document(nx.write_graphml_xml, _xml_checked(flat_graph(G), "graphml"))


def to_gexf(G) -> str:
    """GEXF 1.2 of :func:`flat_graph` (Gephi), written by networkx.

    networkx stamps the file with the day it was written (``lastmodifieddate``)
    and repeats each edge's key (``e0``, ...), which is also its id, in a
    ``networkx_key`` attribute.

    Examples
    --------
    >>> G = nx.MultiDiGraph()
    >>> G.add_node("https://w3id.org/alignkg#p", label="P", kind="proposal", short="akg:p", sections=[])
    >>> 'label="P"' in to_gexf(G)
    True
    """
    F = _xml_checked(flat_graph(G), "gexf")
    for _, _, key, d in F.edges(keys=True, data=True):
        d["id"] = key
    return _xml_document(lambda F, fh, **kw: nx.write_gexf(F, fh, version="1.2draft", **kw), F)


# -- Graphviz ----------------------------------------------------------------

_DOT_SHAPES = {"box": "box", "diamond": "diamond", "dot": "ellipse", "triangle": "triangle",
               "triangleDown": "invtriangle", "hexagon": "hexagon", "square": "box", "ellipse": "ellipse"}


def dot_string(text) -> str:
    """``text`` as a double-quoted DOT string whose label shows it literally.

    Backslashes are doubled (Graphviz reads ``\\n``, ``\\N`` ... in labels),
    quotes escaped, ``&`` written ``&amp;`` (Graphviz decodes entities in
    labels), a line feed becomes ``\\n`` and every other control character
    (carriage return, tab, C1, line separators) a numeric entity such as
    ``&#13;``, so the text reads back exactly.

    Examples
    --------
    >>> print(dot_string('say "hi" \\\\ & <b>\\nbye\\r\\x07'))
    "say \\"hi\\" \\\\ &amp; <b>\\nbye&#13;&#7;"
    """
    text = str(text).replace("\\", "\\\\").replace('"', '\\"').replace("&", "&amp;")
    text = text.replace("\n", "\\n")
    return '"' + _CONTROL.sub(lambda m: f"&#{ord(m.group())};", text) + '"'


def _text_colour(fill: str) -> str:
    r, g, b = (int(fill[i:i + 2], 16) for i in (1, 3, 5))
    return "#000000" if 0.299 * r + 0.587 * g + 0.114 * b > 150 else "#ffffff"


def to_dot(G) -> str:
    """Graphviz DOT of :func:`flat_graph`: dependency edges solid, the others dashed.

    Nodes are coloured and shaped by kind as on the HTML map, with the
    definition as tooltip; ``skos:broader`` edges (``hierarchy``) get a hollow
    arrowhead. Every id and label is a quoted, escaped string
    (:func:`dot_string`).

    Examples
    --------
    >>> G = nx.MultiDiGraph()
    >>> G.add_node("a", label='the "A"', kind="proposal", short="akg:a", sections=[])
    >>> G.add_node("b", label="B", kind="technique", short="akg:b", sections=[])
    >>> G.add_edge("a", "b", relation="usesTechnique", relation_label="uses technique", dependency=True)
    0
    >>> print(to_dot(G).splitlines()[-2])
      "akg:a" -> "akg:b" [label="uses technique", style=solid];
    """
    F = flat_graph(G)
    lines = [
        "digraph alignkg {",
        '  graph [rankdir=LR, charset="UTF-8", overlap=false, fontname="Helvetica"];',
        '  node [style="filled,rounded", fontname="Helvetica", fontsize=11];',
        '  edge [fontname="Helvetica", fontsize=9, color="#555555"];',
    ]
    for n, d in F.nodes(data=True):
        fill, shape = STYLE.get(d["kind"], ("#999999", "dot"))
        tooltip = f"{d['label']} ({d['kind']})" + (f"\n{d['definition']}" if d["definition"] else "")
        lines.append(f"  {dot_string(n)} [label={dot_string(d['label'])}, shape={_DOT_SHAPES.get(shape, 'box')}, "
                     f'fillcolor="{fill}", fontcolor="{_text_colour(fill)}", tooltip={dot_string(tooltip)}];')
    for u, v, d in F.edges(data=True):
        style = "solid" if d["dependency"] else "dashed"
        extra = ", arrowhead=empty" if d["hierarchy"] else ""
        lines.append(f"  {dot_string(u)} -> {dot_string(v)} [label={dot_string(d['label'])}, style={style}{extra}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


# -- Mermaid -----------------------------------------------------------------

#: Characters written as Mermaid entity codes inside a quoted label. ``"``
#: would end the label, ``#`` starts an entity, ``;`` ends one, ``:`` and
#: ``%`` feed Mermaid's ``style``/``%%{init}%%`` preprocessing, ``<``, ``>``
#: and ``&`` are HTML, a backtick starts a Markdown string, ``|`` ends an
#: edge label, and braces and backslashes are kept out of the parser's way.
MERMAID_ENTITIES = {'"': "#quot;", "#": "#35;", ";": "#59;", ":": "#58;", "%": "#37;", "<": "#lt;",
                    ">": "#gt;", "&": "#amp;", "`": "#96;", "|": "#124;", "{": "#123;", "}": "#125;", "\\": "#92;"}


def mermaid_label(text) -> str:
    """``text`` as a quoted Mermaid label, safe for GitHub's renderer.

    The characters of :data:`MERMAID_ENTITIES` and every control character
    (line breaks and tabs included) become entity codes (``#10;``), which
    Mermaid shows as the character itself, so the text reads back exactly
    and the label stays on one line.

    Examples
    --------
    >>> mermaid_label('say "hi"; #1 <b>\\nnext')
    '"say #quot;hi#quot;#59; #35;1 #lt;b#gt;#10;next"'
    """
    return '"' + "".join(MERMAID_ENTITIES.get(c) or (f"#{ord(c)};" if _CONTROL.match(c) else c)
                         for c in str(text)) + '"'


def mermaid_id(kind: str, iri: str) -> str:
    """A Mermaid node id for an entity: kind and local name, ``[A-Za-z0-9_]`` only.

    The kind prefix keeps ids clear of Mermaid's keywords (``end``) and of
    edge syntax (an id starting with ``o`` or ``x`` after ``--``).

    Examples
    --------
    >>> mermaid_id("failure-mode", "https://w3id.org/alignkg#deceptive-alignment")
    'failure_mode_deceptive_alignment'
    """
    return re.sub(r"[^A-Za-z0-9_]", "_", f"{kind}_{_local_name(iri)}")


def _mermaid_class(kind: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", kind) or "other"


def _display_label(d) -> str:
    number = d.get("number")
    return f"{number}. {d['label']}" if d.get("kind") == "proposal" and isinstance(number, int) else d["label"]


def _node_order(G, n):
    d = G.nodes[n]
    kinds = list(STYLE)
    rank = kinds.index(d["kind"]) if d["kind"] in kinds else len(kinds)
    number = d.get("number") if isinstance(d.get("number"), int) else 10**6
    return (rank, number, str(d.get("label", "")).casefold(), n)


def _mermaid(G, nodes, edges, comments=()) -> str:
    """A ``flowchart LR`` of ``nodes`` and ``edges`` ``(u, v, arrow, label or None)``."""
    order = sorted(nodes, key=lambda n: _node_order(G, n))
    ids = _unique_ids(order, lambda n: mermaid_id(G.nodes[n]["kind"], n))
    lines = ["flowchart LR"] + [f"    %% {c}" for c in comments]
    for n in order:
        d = G.nodes[n]
        shape = ('["', '"]') if d["kind"] == "proposal" else ('("', '")')
        lines.append(f"    {ids[n]}{shape[0]}{mermaid_label(_display_label(d))[1:-1]}{shape[1]}")
    for u, v, arrow, label in edges:
        text = f'|{mermaid_label(label)}|' if label else ""
        lines.append(f"    {ids[u]} {arrow}{text} {ids[v]}")
    by_kind = defaultdict(list)
    for n in order:
        by_kind[G.nodes[n]["kind"]].append(ids[n])
    for kind, members in by_kind.items():
        fill, _ = STYLE.get(kind, ("#999999", None))
        lines.append(f"    classDef {_mermaid_class(kind)} fill:{fill},stroke:#333333,color:{_text_colour(fill)}")
    for kind, members in by_kind.items():
        lines.append(f"    class {','.join(members)} {_mermaid_class(kind)}")
    return "\n".join(lines) + "\n"


def to_mermaid(G) -> str:
    """A Mermaid flowchart of every proposal and what it directly depends on.

    Only dependency edges leaving a proposal are drawn (one arrow per pair,
    labelled with its relations); the nodes are the proposals and the targets
    of those edges, of whatever kind. Ids come from :func:`mermaid_id`,
    labels from :func:`mermaid_label`, and there is one ``classDef`` per kind,
    coloured as on the HTML map.

    Examples
    --------
    >>> G = nx.MultiDiGraph()
    >>> G.add_node("p", label="P", kind="proposal")
    >>> G.add_node("t", label="T", kind="technique")
    >>> G.add_edge("p", "t", relation="usesTechnique", relation_label="uses technique", dependency=True)
    0
    >>> print(to_mermaid(G).splitlines()[3])
        proposal_p -->|"uses technique"| technique_t
    """
    proposals = [n for n, d in G.nodes(data=True) if d.get("kind") == "proposal"]
    relations = defaultdict(set)
    for p in proposals:
        for _, v, d in G.out_edges(p, data=True):
            if d.get("dependency"):
                relations[(p, v)].add(str(d.get("relation_label") or d.get("relation")))
    nodes = set(proposals) | {v for _, v in relations}
    pairs = sorted(relations, key=lambda pair: (_node_order(G, pair[0]), _node_order(G, pair[1])))
    edges = [(u, v, "-->", " / ".join(sorted(relations[(u, v)]))) for u, v in pairs]
    return _mermaid(G, nodes, edges)


def mermaid_overview(G, max_edges: int = 60) -> str:
    """A compact Mermaid flowchart for the README: the 11 proposals, their techniques and limits.

    The proposals are the numbered ones the overview analyses, labelled with
    their number; solid arrows go to the techniques each uses, dotted ones
    labelled ``limit`` to its theoretical limits (``akg:limitsTo``, such as
    HCH). Nothing else is drawn, so the diagram stays readable.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        The projection.
    max_edges : int
        Refuse to draw more edges than this (the data has grown past a
        readable overview): raises :class:`graph.errors.AlignKGError`.

    Examples
    --------
    >>> G = nx.MultiDiGraph()
    >>> G.add_node("p", label="P", kind="proposal", number=1, analysed=True)
    >>> G.add_node("h", label="HCH", kind="concept")
    >>> G.add_edge("p", "h", relation="limitsTo", relation_label="limits to", dependency=True)
    0
    >>> print(mermaid_overview(G).splitlines()[4])
        proposal_p -.->|"limit"| concept_h
    """
    proposals = [n for n, d in G.nodes(data=True)
                 if d.get("kind") == "proposal" and isinstance(d.get("number"), int) and d.get("analysed", True)]
    edges = set()
    for p in proposals:
        for _, v, d in G.out_edges(p, data=True):
            if d.get("relation") == "usesTechnique":
                edges.add((p, v, "-->", None))
            elif d.get("relation") == "limitsTo":
                edges.add((p, v, "-.->", "limit"))
    if len(edges) > max_edges:
        raise AlignKGError(f"the overview would have {len(edges)} edges (more than {max_edges})")
    nodes = set(proposals) | {v for _, v, _, _ in edges}
    ordered = sorted(edges, key=lambda e: (_node_order(G, e[0]), e[2], _node_order(G, e[1])))
    return _mermaid(G, nodes, ordered, comments=["solid: uses technique; dotted: theoretical limit"])


# -- CSV ---------------------------------------------------------------------


def to_csv(G) -> str:
    """The edges of :func:`flat_graph` as an RFC 4180 CSV edge list (CRLF line ends).

    Columns: :data:`CSV_COLUMNS`. ``source`` and ``target`` are IRIs,
    ``dependency`` is ``true`` or ``false``, ``sections`` the edge's source
    sections as one citation string. A cell a spreadsheet would run as a
    formula gets a leading ``'`` (:func:`csv_cell`), and so does a cell that
    starts with ``'``: dropping one leading ``'`` gives the text back exactly.

    Examples
    --------
    >>> G = nx.MultiDiGraph()
    >>> G.add_node("https://w3id.org/alignkg#p", label="P, the first", kind="proposal", sections=[])
    >>> G.add_node("https://w3id.org/alignkg#t", label="T", kind="technique", sections=[])
    >>> G.add_edge("https://w3id.org/alignkg#p", "https://w3id.org/alignkg#t", relation="usesTechnique", dependency=True)
    0
    >>> to_csv(G).splitlines()[1]
    'https://w3id.org/alignkg#p,"P, the first",usesTechnique,https://w3id.org/alignkg#t,T,true,'
    """
    F = flat_graph(G)
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for u, v, d in F.edges(data=True):
        writer.writerow([csv_cell(str(x)) for x in (
            F.nodes[u]["iri"], F.nodes[u]["label"], d["relation"], F.nodes[v]["iri"],
            F.nodes[v]["label"], "true" if d["dependency"] else "false", d["sources"])])
    return buf.getvalue()


def csv_cell(text: str) -> str:
    """A CSV cell that no spreadsheet runs as a formula and that reads back exactly.

    A leading ``'`` is added where :func:`graph.output.spreadsheet_safe` adds
    one, and also before a ``'`` already there, so the rule to read a cell
    back is simply: drop one leading ``'``.

    Examples
    --------
    >>> csv_cell("=1+2"), csv_cell("'quoted"), csv_cell("-1.5"), csv_cell("HCH")
    ("'=1+2", "''quoted", '-1.5', 'HCH')
    """
    from .output import spreadsheet_safe

    return "'" + text if text.startswith("'") or spreadsheet_safe(text) != text else text


# -- dispatch ----------------------------------------------------------------

#: format name -> (function, file extension, media type). The RDF formats take
#: ``Store.rdf``, the others ``Store.nx``. GraphML, GEXF and Mermaid have no
#: registered media type; these are the ones in common use.
FORMATS = {
    "ttl": (to_turtle, ".ttl", "text/turtle"),
    "jsonld": (to_jsonld, ".jsonld", "application/ld+json"),
    "nt": (to_ntriples, ".nt", "application/n-triples"),
    "graphml": (to_graphml, ".graphml", "application/graphml+xml"),
    "gexf": (to_gexf, ".gexf", "application/gexf+xml"),
    "mermaid": (to_mermaid, ".mmd", "text/vnd.mermaid"),
    "dot": (to_dot, ".dot", "text/vnd.graphviz"),
    "csv": (to_csv, ".csv", "text/csv"),
}


def export(store, fmt: str) -> str:
    """The text of ``store``'s graph in format ``fmt`` (a key of :data:`FORMATS`).

    Parameters
    ----------
    store : graph.store.Store
    fmt : str

    Returns
    -------
    str

    Raises
    ------
    graph.errors.AlignKGError
        For an unknown format (the message lists the known ones).

    Examples
    --------
    >>> export(None, "svg")
    Traceback (most recent call last):
    ...
    graph.errors.AlignKGError: unknown export format 'svg'; formats are: csv, dot, gexf, graphml, jsonld, mermaid, nt, ttl
    """
    if fmt not in FORMATS:
        raise AlignKGError(f"unknown export format {fmt!r}; formats are: {', '.join(sorted(FORMATS))}")
    function = FORMATS[fmt][0]
    return function(store.rdf if fmt in RDF_FORMATS else store.nx)
