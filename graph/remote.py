"""Answer from a remote SPARQL 1.1 endpoint instead of the local graph.

For graphs that outgrow one machine: push the graph to a store (Oxigraph,
Apache Jena Fuseki, GraphDB, Virtuoso, QLever, ...) with the Graph Store
Protocol, or bulk-load ``alignkg export --format nt`` with the store's own
loader, then point ``--endpoint`` at its query URL. Nothing is fetched unless
the user names an endpoint, and redirects are not followed.

Parameters are never pasted as user text: they are turned into RDF terms and
substituted into the query by :func:`alignkg.sparql.bind`, exactly as for the
local engine, so every engine runs the same query text; the text sent is
checked locally first (no SERVICE, FROM or update).

``depends-on``, ``shared`` and ``what-if`` find the entities involved where the
data is (SPARQL property paths over the dependency properties the remote schema
declares), fetch only their neighbourhood (labels, qualifications, sections,
evaluations), and answer with the very functions that answer locally, so the
rows and columns are the same wherever the data lives.

An endpoint that answers badly (HTML, JSON that is not SPARQL results, text
that is not UTF-8, bad N-Triples, numbers too long to read, more than
:data:`MAX_ANSWER` bytes) is reported in one line naming the endpoint.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request

from .errors import AlignKGError, QueryError

USER_AGENT = "alignkg (+https://w3id.org/alignkg)"
#: Largest answer read from an endpoint (bytes); checked while reading.
MAX_ANSWER = 256 << 20
#: IRIs per VALUES block when fetching a neighbourhood.
BATCH = 200
_TERM_TYPES = {"uri", "bnode", "literal", "typed-literal", "triple"}


def _check_url(url: str, option: str = "--endpoint") -> str:
    """``url`` if it is a well-formed http(s) URL, else an :class:`AlignKGError` (exit 2).

    >>> _check_url("http://[::1")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    ...
    alignkg.errors.AlignKGError: --endpoint 'http://[::1': not a valid URL (Invalid IPv6 URL)
    """
    if not isinstance(url, str) or any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
        raise AlignKGError(f"{option} {url!r}: a URL cannot contain spaces or control characters")
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port  # noqa: B018 (raises ValueError on a bad port)
        host = parts.hostname
    except ValueError as exc:
        raise AlignKGError(f"{option} {url!r}: not a valid URL ({exc})") from None
    if parts.scheme not in ("http", "https") or not parts.netloc or not host:
        raise AlignKGError(f"{option} {url!r}: give an http:// or https:// URL")
    try:
        host.encode("idna")
    except UnicodeError:
        raise AlignKGError(f"{option} {url!r}: not a valid host name") from None
    return url


def with_values(text: str, bindings: dict) -> str:
    """Deprecated name of :func:`alignkg.sparql.bind` (parameters substituted as RDF terms)."""
    from .sparql import bind

    return bind(text, bindings)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # a 3xx answer becomes an HTTPError, reported with its Location


class Remote:
    """A SPARQL 1.1 query endpoint (read-only use)."""

    def __init__(self, url: str, timeout: float = 30.0, max_bytes: int = MAX_ANSWER):
        self.url, self.timeout, self.max_bytes = _check_url(url), timeout, max_bytes
        self._index = None
        self._deps = None

    # -- protocol ------------------------------------------------------------

    def _bad(self, what: str) -> AlignKGError:
        return AlignKGError(f"{self.url}: the endpoint answered badly: {what}")

    def _post(self, url, body: bytes, content_type: str, accept: str, method="POST"):
        import http.client

        req = urllib.request.Request(url, data=body, method=method, headers={
            "Content-Type": content_type, "Accept": accept, "User-Agent": USER_AGENT})
        opener = urllib.request.build_opener(_NoRedirect)
        try:
            with opener.open(req, timeout=self.timeout) as r:
                data = bytearray()
                while True:
                    chunk = r.read(1 << 16)
                    if not chunk:
                        break
                    data += chunk
                    if len(data) > self.max_bytes:
                        raise self._bad(f"more than {self.max_bytes} bytes (the answer is read up to that size)")
                return r.headers.get_content_type(), r.headers.get_content_charset(), bytes(data)
        except urllib.error.HTTPError as exc:
            if 300 <= exc.code < 400:
                where = exc.headers.get("Location", "elsewhere")
                raise AlignKGError(f"{url}: HTTP {exc.code}: the endpoint redirects to {where!r}; "
                                   "give that URL if you trust it (redirects are not followed)") from None
            try:
                detail = " ".join(exc.read(2000).decode("utf-8", "replace").split())[:300]
            except (OSError, http.client.HTTPException):
                detail = ""
            raise AlignKGError(f"{url}: HTTP {exc.code}: {detail or exc.reason}") from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise AlignKGError(f"{url}: cannot reach the endpoint ({reason})") from None
        except (http.client.HTTPException, ValueError, UnicodeError) as exc:
            raise AlignKGError(f"{url}: the endpoint sent a malformed HTTP answer ({type(exc).__name__}: "
                               f"{' '.join(str(exc).split())[:200]})") from None

    def _text(self, data: bytes, charset) -> str:
        if charset and charset.lower().replace("_", "-") not in ("utf-8", "utf8", "us-ascii", "ascii"):
            raise self._bad(f"text in {charset}, not UTF-8")
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise self._bad(f"text that is not UTF-8 (byte {exc.start})") from None

    def _results(self, ctype, charset, data: bytes):
        """Parse and check a SPARQL 1.1 JSON results document; an :class:`~alignkg.sparql.Answer`."""
        from rdflib import BNode, Literal, URIRef, Variable

        from .sparql import Answer

        if ctype in ("text/html", "application/xhtml+xml"):
            raise self._bad("an HTML page, not SPARQL results (is this the query URL?)")
        text = self._text(data, charset)
        try:
            doc = json.loads(text)
        except (ValueError, RecursionError) as exc:
            raise self._bad(f"not JSON ({' '.join(str(exc).split())[:120]})") from None
        if not isinstance(doc, dict):
            raise self._bad(f"a JSON {type(doc).__name__}, not a SPARQL results object")
        if "boolean" in doc:
            if not isinstance(doc["boolean"], bool):
                raise self._bad("an ASK answer whose boolean is not true or false")
            return Answer("ASK", boolean=doc["boolean"])
        head, results = doc.get("head"), doc.get("results")
        names = head.get("vars") if isinstance(head, dict) else None
        if not isinstance(names, list) or not all(isinstance(v, str) for v in names):
            raise self._bad("SPARQL results without head.vars")
        bindings = results.get("bindings") if isinstance(results, dict) else None
        if not isinstance(bindings, list):
            raise self._bad("SPARQL results without results.bindings")

        def term(b):
            if b is None:
                return None
            if not isinstance(b, dict) or b.get("type") not in _TERM_TYPES or not isinstance(b.get("value"), str):
                raise self._bad(f"a binding that is not an RDF term: {json.dumps(b)[:80]}")
            if b["type"] == "uri":
                return URIRef(b["value"])
            if b["type"] == "bnode":
                return BNode(b["value"])
            lang, datatype = b.get("xml:lang"), b.get("datatype")
            if not isinstance(lang, (str, type(None))) or not isinstance(datatype, (str, type(None))):
                raise self._bad(f"a literal with a bad language or datatype: {json.dumps(b)[:80]}")
            try:
                return Literal(b["value"], lang=lang or None, datatype=None if lang else datatype)
            except ValueError as exc:
                raise self._bad(f"a bad literal ({' '.join(str(exc).split())[:80]})") from None

        variables = [Variable(v) for v in names]
        rows = []
        for b in bindings:
            if not isinstance(b, dict):
                raise self._bad("a solution that is not a JSON object")
            rows.append(tuple(term(b.get(v)) for v in names))
        return Answer("SELECT", variables, rows)

    def _triples(self, ctype, charset, data: bytes):
        from rdflib import Graph

        if ctype in ("text/html", "application/xhtml+xml"):
            raise self._bad("an HTML page, not RDF (is this the query URL?)")
        fmt = {"text/turtle": "turtle", "application/n-triples": "nt", "text/plain": "nt"}.get(ctype)
        if fmt is None:
            raise self._bad(f"{ctype}, not N-Triples or Turtle")
        text = self._text(data, charset)
        try:
            return Graph().parse(data=text, format=fmt)
        except Exception as exc:  # rdflib raises several types for bad input
            raise self._bad(f"bad {'N-Triples' if fmt == 'nt' else 'Turtle'} "
                            f"({' '.join(str(exc).split())[:120]})") from None

    def execute(self, text: str, bindings=None, *, limit=None):
        """Run a query remotely; an :class:`~alignkg.sparql.Answer`, like a local run."""
        from .namespace import PREFIXES
        from .sparql import Answer, bind, check

        form = check(text)
        prefixes = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in PREFIXES.items())
        full = prefixes + bind(text, bindings)
        check(full)  # the very text sent is checked here first
        graph_query = form in ("CONSTRUCT", "DESCRIBE")
        accept = "application/n-triples, text/turtle;q=0.9" if graph_query else "application/sparql-results+json"
        ctype, charset, data = self._post(self.url, urllib.parse.urlencode({"query": full}).encode(),
                                          "application/x-www-form-urlencoded", accept)
        if graph_query:
            g = self._triples(ctype, charset, data)
            triples = list(g)[:limit] if limit else list(g)
            return Answer(form, triples=triples, truncated=bool(limit and len(g) > limit))
        answer = self._results(ctype, charset, data)
        if answer.type == "SELECT" and limit and len(answer.rows) > limit:
            answer.rows, answer.truncated = answer.rows[:limit], True
        return answer

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

        if self._deps is None:
            props = sorted({str(p) for (p,) in self.select(
                "SELECT DISTINCT ?p WHERE { ?p rdfs:subPropertyOf+ akg:dependsOn }")})
            if not props:
                raise AlignKGError(f"{self.url}: the endpoint has no alignkg schema (push it with 'alignkg push')")
            self._deps = "|".join(URIRef(p).n3() for p in props)
        return self._deps

    def _dependency_path(self, direct=False):
        """The property path of "depends on" over the remote schema's dependency properties."""
        dep = self._dependency_properties()
        tail = "skos:broader" if direct else f"{dep}|skos:broader"
        return f"({dep})/({tail})*"

    def depends_on(self, target: str, direct=False):
        from rdflib import URIRef

        rows = self.select(f"""SELECT DISTINCT ?p WHERE {{
            ?p a akg:Proposal . ?p {self._dependency_path(direct)} ?target . }}""", {"target": URIRef(target)})
        return sorted({str(p) for (p,) in rows})

    def dependencies(self, source: str, direct=False):
        from rdflib import URIRef

        rows = self.select(f"SELECT DISTINCT ?x WHERE {{ ?source {self._dependency_path(direct)} ?x . }}",
                           {"source": URIRef(source)})
        return {str(x) for (x,) in rows} - {source}

    def _reach(self, node: str, *, upward: bool):
        """Every entity that reaches ``node`` (upward=False: that ``node`` reaches) along dependency and
        broader edges, ``node`` included; computed by the endpoint."""
        from rdflib import URIRef

        path = f"({self._dependency_properties()}|skos:broader)*"
        pattern = f"?x {path} ?n ." if not upward else f"?n {path} ?x ."
        return {str(x) for (x,) in self.select(f"SELECT DISTINCT ?x WHERE {{ {pattern} }}", {"n": URIRef(node)})
                if x is not None} | {node}

    def _evaluations_of(self, nodes):
        """The evaluations of ``nodes`` (and of their training stories)."""
        out = set()
        for batch in _batches(sorted(nodes)):
            values = " ".join(f"<{n}>" for n in batch)
            out |= {str(e) for (e,) in self.select(
                f"SELECT DISTINCT ?e WHERE {{ VALUES ?n {{ {values} }} ?n akg:hasTrainingStory? ?x . "
                "?e akg:evaluates ?x }")}
        return out

    def _describe(self, nodes):
        """Every triple whose subject is one of ``nodes`` (IRIs), and those of the blank nodes they point
        to (qualifications), as a set of rdflib triples (asked as a SELECT: JSON reads faster than N-Triples)."""
        triples = set()
        for batch in _batches(sorted(nodes)):
            values = " ".join(f"<{n}>" for n in batch)
            for n, p, o, q, v in self.select(f"SELECT ?n ?p ?o ?q ?v WHERE {{ VALUES ?n {{ {values} }} ?n ?p ?o . "
                                             "OPTIONAL { ?o ?q ?v . FILTER(isBlank(?o)) } }"):
                if n is None or p is None or o is None:
                    continue
                triples.add((n, p, o))
                if q is not None and v is not None:
                    triples.add((o, q, v))
        return triples

    def neighbourhood(self, core, context=(), depth=6):
        """The projected graph of ``core`` entities and what explains them, fetched from the endpoint.

        Every fetched node comes with its triples, its qualifications (blank nodes)
        and, following ``akg:inSection``, ``dcterms:isPartOf`` and ``akg:verdict``,
        its sources. ``context`` nodes (evaluations) also bring what they point to,
        two steps deep (criteria, hinge assumptions, routes). The schema
        (sub-class and sub-property closure, the properties' labels and types) comes
        along, so :func:`alignkg.project.project` gives the same nodes and edges as
        locally for everything the answer touches.
        """
        from rdflib import RDF, BNode, Graph, URIRef

        from .namespace import AKG, PREFIXES
        from .project import project

        provenance = {AKG.inSection, AKG.verdict, URIRef("http://purl.org/dc/terms/isPartOf")}
        g = Graph()
        for prefix, ns in PREFIXES.items():
            g.bind(prefix, ns, override=True)
        budget = {n: 0 for n in core}
        budget.update({n: 2 for n in context})
        seen, frontier = set(), set(budget)
        for _ in range(depth):
            new = {n for n in frontier - seen if _iri_ok(n)}
            if not new:
                break
            seen |= new
            frontier = set()
            triples = self._describe(new)
            owners = {o: str(s) for s, _, o in triples if isinstance(o, BNode) and isinstance(s, URIRef)}
            for s, p, o in triples:
                g.add((s, p, o))
                if not isinstance(o, URIRef) or p == RDF.type:
                    continue
                owner = owners.get(s, "") if isinstance(s, BNode) else str(s)  # a blank node counts as its owner
                left = budget.get(owner, 0)
                if left > 0 or p in provenance:
                    key = str(o)
                    budget[key] = max(budget.get(key, 0), left - 1)
                    frontier.add(key)
        for row in self.select("SELECT ?a ?p ?b WHERE { VALUES ?p { rdfs:subClassOf rdfs:subPropertyOf } "
                               "?a ?p ?b }"):
            if None not in row:
                g.add(row)
        predicates = {str(p) for p in g.predicates()} - seen
        for t in self._describe({p for p in predicates if _iri_ok(p)}):
            g.add(t)
        from .sparql import ox_store

        return project(ox_store(g))

    def depends_on_graph(self, target: str):
        """The projected neighbourhood that answers ``depends-on target``."""
        nodes = self._reach(target, upward=False)
        return self.neighbourhood(nodes, self._evaluations_of(nodes))  # evaluations explain "assumes" edges

    def shared_graph(self, sources):
        """The projected neighbourhood that answers ``shared`` on ``sources``."""
        nodes = set()
        for s in sources:
            nodes |= self._reach(s, upward=True)
        return self.neighbourhood(nodes, self._evaluations_of(nodes))

    def what_if_graph(self, failing):
        """The projected neighbourhood that answers ``what-if`` on ``failing`` (with the mulligan check)."""
        nodes = set()
        for f in [*failing, "https://w3id.org/alignkg#mulligan"]:
            nodes |= self._reach(f, upward=False)
        return self.neighbourhood(nodes, self._evaluations_of(nodes))


def _iri_ok(value: str) -> bool:
    from .sparql import _IRI_OK

    return bool(value) and _IRI_OK.match(value) is not None


def _batches(items, size=BATCH):
    items = list(items)
    for i in range(0, len(items), size):
        yield items[i:i + size]


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
