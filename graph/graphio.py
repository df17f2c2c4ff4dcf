"""The projection on disk, in formats that cannot run code: ``graph.json``, ``followed.json``
and ``names.sqlite``.

``graph.json`` holds the networkx projection compactly: the section records
once, each relation's constant attributes once, nodes as attribute objects,
edges as rows. ``followed.json`` holds the followed projection that the
reachability commands answer from (:func:`dump_followed`): every node with
light attributes, only the edges those algorithms read, and the route
conditions precomputed, laid out so that a warm start parses only node keys
and edge columns and decodes the rest of a node or an edge when a search
reaches it. ``names.sqlite`` holds the name index of :mod:`graph.resolve`
(normalised name -> IRIs and ranks), looked up one key at a time, so a warm
start neither rebuilds it nor reads it whole.
"""

from __future__ import annotations

import gc
import json
import sqlite3
import sys
from contextlib import contextmanager

GRAPH_FORMAT = "alignkg-graph"
GRAPH_VERSION = 2
_RELATION_KEYS = ("relation", "relation_label", "dependency", "hierarchy", "symmetric")


@contextmanager
def no_gc():
    """Pause the cyclic garbage collector while building large acyclic structures.

    Hundreds of thousands of new dicts set off full collections that walk the whole
    heap again and again (4x the time of reading graph.json at 100k triples); the
    structures built here hold no cycles, so nothing is lost by waiting.
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def dump_graph(G) -> bytes:
    """The projection as compact JSON bytes (see :func:`load_graph`)."""
    with no_gc():
        return _dump_graph(G)


def _dump_graph(G) -> bytes:
    """The projection as compact JSON bytes (see :func:`load_graph`).

    >>> import networkx as nx
    >>> G = nx.MultiDiGraph()
    >>> G.add_node("a", iri="a", sections=[{"iri": "s"}])
    >>> G.add_edge("a", "a", key="r", relation="r", relation_label="r", dependency=True, hierarchy=False,
    ...            symmetric=False, sections=[], rationale=None, derived=None, criteria=[])
    'r'
    >>> H = load_graph(dump_graph(G))
    >>> H.nodes["a"]["sections"], H.edges["a", "a", "r"]["dependency"]
    ([{'iri': 's'}], True)
    """
    sections, sec = _section_table()
    nodes, node_ids = [], {}
    for n, data in G.nodes(data=True):
        node_ids[n] = len(nodes)
        row = dict(data)
        if isinstance(row.get("sections"), list):
            row["sections"] = sec(row["sections"])
        nodes.append([n, row])
    relations, edges = _encode_edges(G.edges(keys=True, data=True), node_ids, sec)
    doc = {"format": GRAPH_FORMAT, "version": GRAPH_VERSION, "sections": sections,
           "relations": relations, "nodes": nodes, "edges": edges}
    return _json_bytes(doc)


def _compact_encoder():
    """One reusable compact JSON encoder: the same text as ``json.dumps(doc, ensure_ascii=False,
    separators=(",", ":"))``, without building an encoder per call (the followed projection
    encodes one small fragment per node and per edge: 265k of them at a million triples)."""
    from json.encoder import c_make_encoder, encode_basestring

    python = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False)
    if c_make_encoder is None:
        return python.encode
    encode = c_make_encoder(None, python.default, encode_basestring, None, ":", ",", False, False, True)
    return lambda doc: "".join(encode(doc, 0))


_ENCODE = _compact_encoder()
#: One decoder for the many small fragments of a followed projection (json.loads adds checks and a
#: lookup per call, a third of the time of a fragment); the fragments are this module's own output.
_DECODE = json.JSONDecoder().raw_decode


def _json_bytes(doc) -> bytes:
    """Compact JSON of ``doc`` as UTF-8 bytes (lone surrogates kept, as the loaders expect).

    >>> _json_bytes({"a": [1, None, "é"]})
    b'{"a":[1,null,"\\xc3\\xa9"]}'
    """
    return _ENCODE(doc).encode("utf-8", "surrogatepass")


def _section_table():
    """(records, numbering function): each distinct section record (by identity) gets one number."""
    sections, section_ids = [], {}

    def sec(records):
        out = []
        for record in records:
            ident = id(record)
            if ident not in section_ids:
                section_ids[ident] = len(sections)
                sections.append(record)
            out.append(section_ids[ident])
        return out

    return sections, sec


def _encode_edges(edges, node_ids, sec):
    """``(relations, columns)`` for ``(u, v, key, data)`` edges: each relation's constant attributes once,
    edges as columns of ints (parsed far faster than one small list per edge); a lone section is an
    int; rationale/derived/criteria only for the few edges that have them."""
    relations, relation_ids = [], {}
    edge_u, edge_v, edge_rel, edge_secs, extra = [], [], [], [], []
    for u, v, key, data in edges:
        constant = tuple(data.get(k) for k in _RELATION_KEYS)
        rel = relation_ids.get((key, constant))
        if rel is None:
            rel = relation_ids[(key, constant)] = len(relations)
            relations.append([key, dict(zip(_RELATION_KEYS, constant))])
        secs = sec(data.get("sections") or [])
        edge_u.append(node_ids[u])
        edge_v.append(node_ids[v])
        edge_rel.append(rel)
        edge_secs.append(secs[0] if len(secs) == 1 else secs)
        rationale, derived, criteria = data.get("rationale"), data.get("derived"), data.get("criteria") or []
        if rationale is not None or derived is not None or criteria:
            extra.append([len(edge_u) - 1, rationale, derived, criteria])
    return relations, {"u": edge_u, "v": edge_v, "relation": edge_rel, "sections": edge_secs, "extra": extra}


def _decode_edges(G, doc, names, sections) -> None:
    """Add the edges of :func:`_encode_edges`' columns to ``G`` (whose nodes ``names`` are in place)."""
    succ, pred = G._succ, G._pred
    relations = [(key, attrs) for key, attrs in doc["relations"]]
    edges = doc["edges"]
    extra = {row[0]: row[1:] for row in edges["extra"]}
    for i, (u, v, rel, secs) in enumerate(zip(edges["u"], edges["v"], edges["relation"], edges["sections"],
                                                strict=True)):
        key, constant = relations[rel]
        un, vn = names[u], names[v]
        attrs = dict(constant)
        attrs["sections"] = [sections[secs]] if type(secs) is int else [sections[j] for j in secs]
        more = extra.get(i)
        if more is None:
            attrs["rationale"] = attrs["derived"] = None
            attrs["criteria"] = []
        else:
            attrs["rationale"], attrs["derived"], attrs["criteria"] = more
        keydict = succ[un].get(vn)
        if keydict is None:
            keydict = succ[un][vn] = pred[vn][un] = {}
        keydict[key] = attrs


def load_graph(data: bytes):
    """The networkx projection from :func:`dump_graph`'s bytes; a foreign document raises ValueError.

    The loaded graph is then moved out of the cyclic collector's reach
    (``gc.freeze``): it lives as long as the process and holds no cycles, and
    at 1M triples every later full collection walked its 440k edge dicts again
    (half the CPU of a warm ``depends-on`` search).
    """
    with no_gc():
        G = _load_graph(data)
    gc.freeze()
    return G


def _load_graph(data: bytes):
    doc = json.loads(data.decode("utf-8", "surrogatepass"))
    if not isinstance(doc, dict) or doc.get("format") != GRAPH_FORMAT or doc.get("version") != GRAPH_VERSION:
        raise ValueError("not an alignkg graph")
    sections = doc["sections"]
    import networkx as nx

    G = nx.MultiDiGraph()
    names = []
    node_dict = G._node
    succ, pred = G._succ, G._pred
    for n, row in doc["nodes"]:
        if "sections" in row:
            row["sections"] = [sections[i] for i in row["sections"]]
        node_dict[n] = row
        succ[n] = {}
        pred[n] = {}
        names.append(n)
    _decode_edges(G, doc, names, sections)
    return G


def _write(path, data: bytes) -> list:
    """Write ``data`` to ``path``; its record for a cache entry's meta.json: [size, SHA-256]."""
    import hashlib

    with open(path, "wb") as fh:
        fh.write(data)
    return [len(data), hashlib.sha256(data).hexdigest()]


def write_graph(G, path) -> list:
    """Write :func:`dump_graph` of ``G`` to ``path``; return its [size, SHA-256]."""
    return _write(path, dump_graph(G))


def read_graph(data: bytes):
    return load_graph(data)


#: The followed projection: what the reachability answers, and the hints for their empty answers, read of a node.
FOLLOWED_FORMAT = "alignkg-followed"
FOLLOWED_VERSION = 3
#: The integer columns of a followed projection, in the order they follow its first line.
_COLUMNS = ("node_ends", "u", "v", "relation", "ends", "in_order")
LIGHT_NODE_KEYS = ("iri", "short", "kind", "label", "alt_labels", "number", "analysed")


def followed_edge(key, data) -> bool:
    """Whether the reachability and shared-assumption algorithms read this edge: dependency and
    broader edges (followed), and ``vulnerableTo`` (what rests on a failure mode)."""
    return bool(data.get("dependency") or data.get("hierarchy")) or key == "vulnerableTo"


def dump_followed(G, route_conditions=()) -> bytes:
    """The followed projection of ``G`` as bytes (see :func:`load_followed`).

    Every node with only the attributes of :data:`LIGHT_NODE_KEYS`, and only
    the edges :func:`followed_edge` keeps, in ``G``'s order (so grouped by their
    first node). A search from one node reaches a small part of a big graph, and
    reads only the relations of the edges it passes; so the first line, the
    only part parsed on loading, is compact JSON of the node keys and the edges
    as columns of ints, and the rest is one compact JSON fragment per node (its
    attributes), then one per edge (sections, rationale, derived, criteria), at
    the byte offsets the first line records, decoded when first asked for.
    ``route_conditions`` are ``(u, relation, v, records)`` rows (see
    :func:`graph.answers.route_conditions`). The integer columns (node and edge
    offsets, edges' nodes and relations) follow that line as raw 64-bit
    little-endian words, the lengths of :data:`_COLUMNS` in its ``columns``: a
    warm start takes them as they are, neither parsing nor decoding a million numbers.

    >>> import networkx as nx
    >>> G = nx.MultiDiGraph()
    >>> G.add_node("p", iri="p", short="p", kind="proposal", label="P", alt_labels=[], number=1, definition="long")
    >>> G.add_node("x", iri="x", short="x", kind="concept", label="X", alt_labels=["ex"])
    >>> G.add_edge("p", "x", key="requires", relation="requires", relation_label="requires", dependency=True,
    ...            hierarchy=False, symmetric=False, sections=[{"iri": "s"}], rationale="why", derived=None,
    ...            criteria=[])
    'requires'
    >>> G.add_edge("x", "p", key="variantOf", relation="variantOf", dependency=False)
    'variantOf'
    >>> H = load_followed(dump_followed(G))
    >>> H.nodes["p"], list(H.edges(keys=True)), H.edges["p", "x", "requires"]["dependency"]
    ({'iri': 'p', 'short': 'p', 'kind': 'proposal', 'label': 'P', 'alt_labels': [], 'number': 1}, \
[('p', 'x', 'requires')], True)
    >>> H.graph["edge_attrs"]("p", "x", "requires")["sections"], H.graph["edge_attrs"]("p", "x", "requires")["rationale"]
    ([{'iri': 's'}], 'why')
    """
    with no_gc():
        sections, sec = _section_table()
        names = list(G.nodes)
        node_ids = {n: i for i, n in enumerate(names)}
        fragments, size, node_ends = [], 0, []
        for row in G._node.values():
            fragment = _json_bytes({key: row[key] for key in LIGHT_NODE_KEYS if key in row})
            fragments.append(fragment)
            size += len(fragment)
            node_ends.append(size)
        relations, relation_ids = [], {}
        edge_u, edge_v, edge_rel, ends, size = [], [], [], [], 0  # edge offsets start after the nodes'
        for u, v, key, data in G.edges(keys=True, data=True):
            if not followed_edge(key, data):
                continue
            constant = tuple(data.get(k) for k in _RELATION_KEYS)
            rel = relation_ids.get((key, constant))
            if rel is None:
                rel = relation_ids[(key, constant)] = len(relations)
                relations.append([key, dict(zip(_RELATION_KEYS, constant))])
            edge_u.append(node_ids[u])
            edge_v.append(node_ids[v])
            edge_rel.append(rel)
            detail = [sec(data.get("sections") or []), data.get("rationale"), data.get("derived"),
                      data.get("criteria") or []]
            fragment = _json_bytes(detail)
            fragments.append(fragment)
            size += len(fragment)
            ends.append(size)
        if any(a > b for a, b in zip(edge_u, edge_u[1:])):
            raise ValueError("the graph's edges are not grouped by their first node")  # EdgeAttributes bisects
        routes = [[node_ids[u], relation, node_ids[v], records] for u, relation, v, records in route_conditions]
        columns = dict(zip(_COLUMNS, (node_ends, edge_u, edge_v, edge_rel, ends,
                                      sorted(range(len(edge_v)), key=edge_v.__getitem__))))
        doc = {"format": FOLLOWED_FORMAT, "version": FOLLOWED_VERSION, "sections": sections,
               "relations": relations, "nodes": names, "columns": {k: len(c) for k, c in columns.items()},
               "route_conditions": routes}
        return b"".join([_json_bytes(doc), b"\n", *map(_column_bytes, columns.values()), *fragments])


def _column_bytes(numbers) -> bytes:
    """A column of integers as raw 64-bit little-endian words (see :func:`_column`).

    >>> _column(memoryview(_column_bytes([0, 7, 2 ** 40]))).tolist()
    [0, 7, 1099511627776]
    """
    from array import array

    column = array("q", numbers)
    if sys.byteorder == "big":
        column.byteswap()
    return column.tobytes()


def _column(raw):
    """The column of :func:`_column_bytes` from its bytes (any buffer), as an ``array`` of ``int``."""
    from array import array

    column = array("q")
    column.frombytes(raw)
    if sys.byteorder == "big":
        column.byteswap()
    return column


class EdgeAttributes:
    """The attributes of an edge of a followed projection, decoded when an answer asks for them.

    Called with ``(u, v, key)``, it returns all the attributes of that edge (a
    fresh dict): its relation's, and ``sections``, ``rationale``, ``derived`` and
    ``criteria``. The edges are stored grouped by their first node, so one
    bisection finds an edge.
    """

    def __init__(self, ids, relations, edges, blob: bytes, sections):
        self._ids, self._relations, self._blob, self._sections = ids, relations, blob, sections
        self._u, self._v, self._rel, self._ends = edges["u"], edges["v"], edges["relation"], edges["ends"]

    def __call__(self, u, v, key) -> dict:
        from bisect import bisect_left

        ui, vi = self._ids[u], self._ids[v]
        i = bisect_left(self._u, ui)
        while i < len(self._u) and self._u[i] == ui:
            if self._v[i] == vi and self._relations[self._rel[i]][0] == key:
                start = self._ends[i - 1] if i else 0
                secs, rationale, derived, criteria = _DECODE(str(self._blob[start:self._ends[i]], "utf-8",
                                                                     "surrogatepass"))[0]
                return {**self._relations[self._rel[i]][1], "sections": [self._sections[j] for j in secs],
                        "rationale": rationale, "derived": derived, "criteria": criteria}
            i += 1
        raise KeyError((u, v, key))


class _Fragments:
    """``fragments(i)``: the JSON value that ends at byte ``ends[i]`` of ``blob`` (and starts at the previous end)."""

    def __init__(self, blob: bytes, ends):
        self._blob, self._ends = blob, ends

    def __call__(self, index: int):
        start = self._ends[index - 1] if index else 0
        return _DECODE(str(self._blob[start:self._ends[index]], "utf-8", "surrogatepass"))[0]


class _Neighbours:
    """The adjacency of one node of a followed projection, built from the edge columns when asked.

    Out-edges are stored grouped by their first node, in-edges are listed in
    ``in_order`` grouped by their second: each node's edges are one bisection away,
    in the order the whole graph holds them.
    """

    def __init__(self, names, relations, edges, out: bool):
        self._names, self._relations, self._rel = names, relations, edges["relation"]
        if out:
            self._order, self._at, self._other = None, edges["u"], edges["v"]
        else:
            self._order, self._at, self._other = edges["in_order"], None, edges["u"]
            self._v = edges["v"]

    def __call__(self, index: int) -> dict:
        from bisect import bisect_left, bisect_right

        if self._at is None:  # the second nodes in in_order's order: sorted, so bisected too
            self._at = [self._v[e] for e in self._order]
        at, names, relations, rel, other, order = (self._at, self._names, self._relations, self._rel,
                                                   self._other, self._order)
        lo = bisect_left(at, index)
        hi = bisect_right(at, index, lo)
        out = {}
        for position in range(lo, hi):
            e = position if order is None else order[position]
            key, constant = relations[rel[e]]
            nbr = names[other[e]]
            keydict = out.get(nbr)
            if keydict is None:
                keydict = out[nbr] = {}
            keydict[key] = constant
        return out


class _LazyDict(dict):
    """A dict of every node of ``ids`` (node -> index), each node's value built on first use.

    networkx's node dict and outer adjacency dicts: membership, length and
    iteration answer for every node (iteration builds the missing values, in
    node order), so networkx sees a complete graph.
    """

    def __init__(self, ids: dict, build):
        super().__init__()
        self._nodes, self._build = ids, build

    def __missing__(self, node):
        value = self._build(self._nodes[node])
        dict.__setitem__(self, node, value)
        return value

    def __contains__(self, node):
        return node in self._nodes

    def get(self, node, default=None):
        return self[node] if node in self._nodes else default

    def __len__(self):
        return len(self._nodes)

    def __iter__(self):
        return iter(self._nodes)

    def keys(self):
        return self._nodes.keys()

    def items(self):
        return [(n, self[n]) for n in self._nodes]

    def values(self):
        return [self[n] for n in self._nodes]


def load_followed(data: bytes):
    """The followed projection from :func:`dump_followed`'s bytes; a foreign document raises ValueError.

    An edge's attributes are its relation's (``relation``, ``relation_label``,
    ``dependency``, ``hierarchy``, ``symmetric``: one dict shared by every edge of
    that relation, read-only); ``G.graph["edge_attrs"]`` (an :class:`EdgeAttributes`)
    gives all of them. ``G.graph["route_conditions"]`` maps ``(u, relation, v)`` to the
    route records of the dependencies that hold only on some routes.
    """
    with no_gc():
        cut = data.index(b"\n")
        doc = json.loads(data[:cut].decode("utf-8", "surrogatepass"))
        if not isinstance(doc, dict) or doc.get("format") != FOLLOWED_FORMAT \
                or doc.get("version") != FOLLOWED_VERSION:
            raise ValueError("not an alignkg followed projection")
        view, offset, counts, columns = memoryview(data), cut + 1, doc.get("columns"), {}
        for key in _COLUMNS:  # read where they are: no copy but the arrays themselves
            count = counts.get(key) if isinstance(counts, dict) else None
            if type(count) is not int or count < 0 or offset + 8 * count > len(data):
                raise ValueError("the columns do not match")
            columns[key] = _column(view[offset:offset + 8 * count])
            offset += 8 * count
        names, node_ends = doc["nodes"], columns.pop("node_ends")
        blob = view[offset:]  # the fragments, decoded where they lie when first asked for
        if len(node_ends) != len(names) or (names and node_ends[-1] > len(blob)):
            raise ValueError("the node columns do not match")
        ids = dict(zip(names, range(len(names))))
        if len(ids) != len(names):
            raise ValueError("a node is listed twice")
        import networkx as nx

        G = nx.MultiDiGraph()
        G._node = _LazyDict(ids, _Fragments(blob, node_ends))
        relations = [(key, attrs) for key, attrs in doc["relations"]]
        edges = columns
        count = len(edges["u"])
        if not (len(edges["v"]) == len(edges["relation"]) == len(edges["ends"]) == len(edges["in_order"]) == count) \
                or (count and edges["ends"][-1] != len(blob) - (node_ends[-1] if names else 0)):
            raise ValueError("the edge columns do not match")
        G._succ = G._adj = _LazyDict(ids, _Neighbours(names, relations, edges, out=True))
        G._pred = _LazyDict(ids, _Neighbours(names, relations, edges, out=False))
        edge_blob = blob[node_ends[-1]:] if names else blob
        G.graph["edge_attrs"] = EdgeAttributes(ids, relations, edges, edge_blob, doc["sections"])
        G.graph["route_conditions"] = {(names[u], relation, names[v]): records
                                       for u, relation, v, records in doc["route_conditions"]}
    gc.freeze()
    return G


def write_followed(G, path) -> list:
    """Write the followed projection of ``G`` (with its route conditions) to ``path``; return its
    [size, SHA-256]."""
    from .answers import route_conditions

    return _write(path, dump_followed(G, route_conditions(G)))


def write_names(G, path) -> None:
    """Write the name index of ``G`` (:func:`graph.resolve.name_index`) as SQLite to ``path``."""
    from .resolve import _index

    index = _index(G)
    con = sqlite3.connect(str(path))
    try:
        con.execute("CREATE TABLE names (key TEXT PRIMARY KEY, matches TEXT NOT NULL) WITHOUT ROWID")
        encode = json.JSONEncoder().encode  # json.dumps's defaults (ASCII), built once for 300k rows
        con.executemany("INSERT INTO names VALUES (?, ?)",
                        ((k if k.isascii() else k.encode("utf-8", "surrogatepass").decode("utf-8", "replace"),
                          encode(v)) for k, v in index.items()))
        con.commit()
    finally:
        con.close()


class NameIndex:
    """The persisted name index: ``get(key, default)`` like the dict that :mod:`graph.resolve` builds.

    Opened from verified bytes (``sqlite3`` deserialize) where Python allows it, else read-only from disk.
    """

    def __init__(self, path, data: bytes | None = None):
        import threading

        self._path, self._data, self._con = path, data, None
        self._lock = threading.Lock()  # the server's threads share one read-only index

    def _connection(self):
        if self._con is None:
            con = sqlite3.connect(":memory:", check_same_thread=False)
            if self._data is not None and hasattr(con, "deserialize"):
                con.deserialize(self._data)
            else:
                con.close()
                from pathlib import Path

                con = sqlite3.connect(Path(self._path).resolve().as_uri() + "?mode=ro&immutable=1", uri=True,
                                      check_same_thread=False)
            self._con, self._data = con, None
        return self._con

    def get(self, key, default=None):
        try:
            key.encode("utf-8")
        except UnicodeEncodeError:
            return default
        with self._lock:
            row = self._connection().execute("SELECT matches FROM names WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else default


def to_rdflib(store, graph) -> None:
    """Add every triple of the pyoxigraph ``store`` (default graph) to the rdflib ``graph``."""
    from pyoxigraph import BlankNode, DefaultGraph, NamedNode
    from rdflib import BNode, Literal, URIRef

    xsd_string = "http://www.w3.org/2001/XMLSchema#string"
    lang_string = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
    cache = {}

    def term(t):
        kind = type(t)
        if kind is NamedNode:
            value = t.value
            out = cache.get(value)
            if out is None:
                out = cache[value] = URIRef(value)
            return out
        if kind is BlankNode:
            return BNode(t.value)
        if t.language:
            return Literal(t.value, lang=t.language)
        datatype = t.datatype.value
        if datatype in (xsd_string, lang_string):
            return Literal(t.value)
        return Literal(t.value, datatype=term(t.datatype))

    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        graph.addN((term(q.subject), term(q.predicate), term(q.object), graph)
                   for q in store.quads_for_pattern(None, None, None, DefaultGraph()))
