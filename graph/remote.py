"""Answer from a remote SPARQL 1.1 endpoint instead of the local graph.

For graphs that outgrow one machine: push the graph to a store (Oxigraph,
Apache Jena Fuseki, GraphDB, Virtuoso, QLever, ...) with the Graph Store
Protocol, then point ``--endpoint`` at its query URL. Nothing is fetched
unless the user names an endpoint.

Parameters are never pasted as user text: they are turned into RDF terms
(resolved IRIs, or literals) and written by rdflib in N-Triples syntax into a
``VALUES`` block at the start of the query's WHERE clause; the resulting query
is parsed locally before it is sent. Reachability (depends-on, shared,
what-if) uses SPARQL property paths over the dependency properties that the
remote schema declares, so it runs where the data is; explanation paths need
the local graph.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.parse
import urllib.request

from .errors import AlignKGError, QueryError

_WHERE = re.compile(r"\bWHERE\s*\{", re.IGNORECASE)
USER_AGENT = "alignkg (+https://w3id.org/alignkg)"


def _check_url(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise AlignKGError(f"--endpoint {url!r}: give an http:// or https:// URL")
    return url


def with_values(text: str, bindings: dict) -> str:
    """Bind ``bindings`` (Variable -> rdflib term) by a VALUES block at the start of the WHERE clause.

    >>> from rdflib import URIRef, Variable
    >>> with_values("SELECT ?x WHERE { ?x ?p ?t }", {Variable("t"): URIRef("urn:a")})
    'SELECT ?x WHERE { VALUES (?t) { (<urn:a>) } ?x ?p ?t }'
    """
    if not bindings:
        return text
    match = _WHERE.search(text)
    if match is None:
        raise QueryError("a parameterised query needs a WHERE clause to be sent to an endpoint")
    names = " ".join(f"?{v}" for v in bindings)
    values = " ".join(t.n3() for t in bindings.values())
    return f"{text[:match.end()]} VALUES ({names}) {{ ({values}) }}{text[match.end():]}"


class Remote:
    """A SPARQL 1.1 query endpoint (read-only use)."""

    def __init__(self, url: str, timeout: float = 30.0):
        self.url, self.timeout = _check_url(url), timeout
        self._index = None

    # -- protocol ------------------------------------------------------------

    def _post(self, url, body: bytes, content_type: str, accept: str, method="POST"):
        req = urllib.request.Request(url, data=body, method=method, headers={
            "Content-Type": content_type, "Accept": accept, "User-Agent": USER_AGENT})
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as r:
                return r.headers.get_content_type(), r.read()
        except urllib.error.HTTPError as exc:
            detail = " ".join(exc.read().decode("utf-8", "replace").split())[:300]
            raise AlignKGError(f"{url}: HTTP {exc.code}: {detail or exc.reason}") from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise AlignKGError(f"{url}: cannot reach the endpoint ({reason})") from None

    def execute(self, text: str, bindings=None, *, limit=None):
        """Run a query remotely; an :class:`~graph.sparql.Answer`, like a local run."""
        from rdflib import BNode, Graph, Literal, URIRef, Variable

        from .namespace import PREFIXES
        from .sparql import Answer, prepare

        body = with_values(text, bindings or {})
        prefixes = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in PREFIXES.items())
        full = prefixes + body
        prepared = prepare(full)  # the very text sent is checked here first
        kind = prepared.algebra.name
        graph_query = kind in ("ConstructQuery", "DescribeQuery")
        accept = "application/n-triples, text/turtle;q=0.9" if graph_query else "application/sparql-results+json"
        ctype, data = self._post(self.url, urllib.parse.urlencode({"query": full}).encode(),
                                 "application/x-www-form-urlencoded", accept)
        if graph_query:
            g = Graph().parse(data=data.decode("utf-8"), format="turtle" if ctype == "text/turtle" else "nt")
            triples = list(g)[:limit] if limit else list(g)
            return Answer("CONSTRUCT" if kind == "ConstructQuery" else "DESCRIBE", triples=triples,
                          truncated=bool(limit and len(g) > limit))
        doc = json.loads(data)
        if "boolean" in doc:
            return Answer("ASK", boolean=doc["boolean"])

        def term(b):
            if b is None:
                return None
            if b["type"] == "uri":
                return URIRef(b["value"])
            if b["type"] == "bnode":
                return BNode(b["value"])
            return Literal(b["value"], lang=b.get("xml:lang"), datatype=b.get("datatype"))

        variables = [Variable(v) for v in doc["head"]["vars"]]
        rows = [tuple(term(b.get(str(v))) for v in variables) for b in doc["results"]["bindings"]]
        truncated = bool(limit and len(rows) > limit)
        return Answer("SELECT", variables, rows[:limit] if limit else rows, truncated=truncated)

    def select(self, text: str, bindings=None):
        return self.execute(text, bindings).rows

    # -- the graph questions -------------------------------------------------

    def index(self):
        """A small networkx graph of the remote entities (labels, kinds), for name resolution."""
        if self._index is None:
            import networkx as nx

            from .namespace import KINDS
            from .project import short

            classes = {str(c): k for c, k in KINDS.items()}
            G = nx.MultiDiGraph()
            rows = self.select("""SELECT ?x ?c ?label ?alt WHERE {
                ?x a/rdfs:subClassOf* ?c ; rdfs:label ?label . OPTIONAL { ?x skos:altLabel ?alt } }""")
            for x, c, label, alt in rows:
                kind = classes.get(str(c))
                key = str(x)
                if kind is None:
                    continue
                if key not in G:
                    G.add_node(key, iri=key, short=short(key), kind=kind, label=str(label), alt_labels=[])
                if alt is not None and str(alt) not in G.nodes[key]["alt_labels"]:
                    G.nodes[key]["alt_labels"].append(str(alt))
            self._index = G
        return self._index

    def _dependency_properties(self):
        from rdflib import URIRef

        props = sorted({str(p) for (p,) in self.select(
            "SELECT DISTINCT ?p WHERE { ?p rdfs:subPropertyOf+ akg:dependsOn }")})
        if not props:
            raise AlignKGError(f"{self.url}: the endpoint has no alignkg schema (push it with 'alignkg push')")
        return "|".join(URIRef(p).n3() for p in props)

    def _dependency_path(self, direct=False):
        """The property path of "depends on" over the remote schema's dependency properties."""
        dep = self._dependency_properties()
        tail = "skos:broader" if direct else f"{dep}|skos:broader"
        return f"({dep})/({tail})*"

    def depends_on(self, target: str, direct=False):
        from rdflib import URIRef, Variable

        rows = self.select(f"""SELECT DISTINCT ?p WHERE {{
            ?p a akg:Proposal . ?p {self._dependency_path(direct)} ?target . }}""",
                           {Variable("target"): URIRef(target)})
        return sorted({str(p) for (p,) in rows})

    def dependencies(self, source: str, direct=False):
        from rdflib import URIRef, Variable

        rows = self.select(f"SELECT DISTINCT ?x WHERE {{ ?source {self._dependency_path(direct)} ?x . }}",
                           {Variable("source"): URIRef(source)})
        return {str(x) for (x,) in rows} - {source}

    def what_if(self, failing):
        """proposal -> set of criteria lost outright (possibly empty) if ``failing`` fail."""
        return {p: lost for p, (lost, _) in self.what_if_routes(failing).items()}

    def what_if_routes(self, failing):
        """proposal -> (criteria lost outright, {criterion: (failed routes, remaining routes)}).

        The same rule as :func:`graph.analysis.what_if`: an evaluation's route fails
        when one of its hinges (or the limit it goes through) is, or depends on, a
        failing node; a criterion is lost when every route fails, weakened when
        another remains; an evaluation without routes has one route of all its hinges.
        """
        from rdflib import URIRef, Variable

        path = f"({self._dependency_properties()}|skos:broader)*"
        affected, broken, limits = {}, set(), set()
        for f in failing:
            for p in self.depends_on(f):
                affected.setdefault(p, {})
            binding = {Variable("f"): URIRef(f)}
            for e, p, c, a in self.select(f"""SELECT DISTINCT ?e ?p ?c ?a WHERE {{
                ?e akg:evaluates ?p ; akg:onCriterion ?c ; akg:hingesOn ?a . ?a {path} ?f . }}""", binding):
                affected.setdefault(str(p), {})[str(e)] = str(c)
                broken.add(str(a))
            limits |= {str(r) for (r,) in self.select(
                f"SELECT DISTINCT ?r WHERE {{ ?r akg:throughLimit ?l . ?l {path} ?f . }}", binding)}
        routes = {}
        for e, r, h in self.select("SELECT ?e ?r ?h WHERE { ?e akg:hasRoute ?r . ?r akg:routeHinge ?h . }"):
            routes.setdefault(str(e), {}).setdefault(str(r), set()).add(str(h))
        out = {}
        for p, evaluations in affected.items():
            lost, weakened = set(), {}
            for e, c in evaluations.items():
                alternatives = routes.get(e)
                if not alternatives:
                    lost.add(c)
                    continue
                failed = sorted(r for r, hinges in alternatives.items() if hinges & broken or r in limits)
                if len(failed) == len(alternatives):
                    lost.add(c)
                elif failed:
                    weakened[c] = (failed, sorted(set(alternatives) - set(failed)))
            out[p] = (lost, {c: w for c, w in weakened.items() if c not in lost})
        return out


def push(store, url: str, timeout: float = 120.0) -> int:
    """Replace the default graph of a Graph Store Protocol endpoint with the local graph.

    ``url`` is the store's graph-store URL (Oxigraph: ``http://HOST:PORT/store``;
    Fuseki: ``http://HOST:PORT/DATASET/data``). Returns the number of triples sent.
    """
    from .export import to_ntriples

    _check_url(url)
    text = to_ntriples(store.rdf)
    target = url + ("&" if "?" in url else "?") + "default"
    Remote(url, timeout)._post(target, text.encode("utf-8"), "application/n-triples", "*/*", method="PUT")
    return len(store.rdf)
