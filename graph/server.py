"""A read-only SPARQL 1.1 Protocol endpoint over the local graph, with an explorer page.

Built on Werkzeug (request parsing, routing, the threaded development server).
Routes:

``GET/POST /sparql``
    the SPARQL 1.1 Protocol query operation: ``query`` as a URL or form
    parameter, or a body of type ``application/sparql-query``; the answer's
    format by content negotiation (SPARQL results JSON, XML, CSV, TSV; Turtle,
    N-Triples or JSON-LD for graph results). Updates are refused with 403;
    malformed queries, ``SERVICE`` and ``FROM`` with 400; a query past the
    timeout with 503. Answers are capped at ``limit`` rows.
``GET /query/NAME``
    a named query of the gallery, parameters as URL parameters (bound).
``GET /queries``
    the gallery as JSON.
``GET /map``, ``GET /map?focus=NAME``
    the interactive maps.
``GET /``
    the explorer page (offline: no remote resource).

Requests whose ``Host`` is not a loopback name are refused (DNS rebinding)
unless the server was started for a specific ``--host``; CORS headers are only
sent when asked for.
"""

from __future__ import annotations

import json
from pathlib import Path

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from .errors import AlignKGError, QueryError

LOOPBACK = {"localhost", "127.0.0.1", "[::1]", "::1"}

#: Media type -> (format for graph.sparql.serialize, kind of answer it fits).
MEDIA = {
    "application/sparql-results+json": ("json", "results"),
    "application/json": ("json", "results"),
    "application/sparql-results+xml": ("xml", "results"),
    "application/xml": ("xml", "results"),
    "text/csv": ("csv", "results"),
    "text/tab-separated-values": ("tsv", "results"),
    "text/turtle": ("ttl", "graph"),
    "application/n-triples": ("nt", "graph"),
    "application/ld+json": ("jsonld", "graph"),
}
DEFAULT_MEDIA = {"results": "application/sparql-results+json", "graph": "text/turtle"}
_TEMPLATE = Path(__file__).parent / "templates" / "explorer.html"


class Endpoint:
    """The WSGI application. ``store`` is a :class:`graph.store.Store`."""

    def __init__(self, store, *, timeout=10.0, limit=10_000, host=None, cors=False):
        self.store, self.timeout, self.limit, self.cors = store, timeout, limit, cors
        self.allowed_hosts = LOOPBACK if host in (None, "127.0.0.1", "localhost", "::1") else None
        self.urls = Map([
            Rule("/", endpoint="explorer"),
            Rule("/sparql", endpoint="sparql", methods=["GET", "POST"]),
            Rule("/update", endpoint="update", methods=["GET", "POST"]),
            Rule("/queries", endpoint="queries"),
            Rule("/query/<name>", endpoint="named"),
            Rule("/map", endpoint="map"),
        ])
        self.store.rdf  # parse (or load from cache) before the first request

    # -- plumbing -----------------------------------------------------------

    def __call__(self, environ, start_response):
        return self.wsgi(environ, start_response)

    @Request.application
    def wsgi(self, request):
        try:
            if self.allowed_hosts is not None and request.host.rsplit(":", 1)[0] not in self.allowed_hosts \
                    and request.host not in self.allowed_hosts:
                return self._text(403, "Host not allowed: this endpoint answers only loopback names "
                                       "(start it with --host to expose it)")
            endpoint, args = self.urls.bind_to_environ(request.environ).match()
            response = getattr(self, f"on_{endpoint}")(request, **args)
        except HTTPException as exc:
            response = self._text(exc.code, exc.description or exc.name)
        except QueryError as exc:
            response = self._text(503 if "timeout" in str(exc) else 400, str(exc))
        except AlignKGError as exc:
            response = self._text(400, str(exc))
        if self.cors:
            response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    @staticmethod
    def _text(status, message):
        return Response(message + "\n", status=status, mimetype="text/plain")

    def _negotiate(self, request, kind):
        offers = [m for m, (_, k) in MEDIA.items() if k == kind]
        best = request.accept_mimetypes.best_match(offers, default=None) if request.accept_mimetypes else None
        if best is None:
            if request.accept_mimetypes and not request.accept_mimetypes.accept_html and \
                    "*/*" not in str(request.accept_mimetypes) and str(request.accept_mimetypes):
                return None
            best = DEFAULT_MEDIA[kind]
        return best

    def _answer(self, request, answer):
        from .sparql import serialize

        kind = "graph" if answer.type in ("CONSTRUCT", "DESCRIBE") else "results"
        media = self._negotiate(request, kind)
        if media is None:
            return self._text(406, f"cannot answer in {request.headers.get('Accept')}; offered: "
                                   + ", ".join(m for m, (_, k) in MEDIA.items() if k == kind))
        response = Response(serialize(answer, MEDIA[media][0]), mimetype=media)
        if answer.truncated:
            response.headers["X-Alignkg-Truncated"] = f"results cut at {self.limit}"
        return response

    # -- routes --------------------------------------------------------------

    def on_sparql(self, request):
        from .sparql import execute, prepare

        if request.method == "POST":
            ctype = request.mimetype
            if ctype == "application/sparql-update" or "update" in request.form:
                return self._text(403, "updates are not allowed: this endpoint is read-only")
            if ctype == "application/sparql-query":
                text = request.get_data(as_text=True)
            else:
                text = request.form.get("query")
        else:
            if "update" in request.args:
                return self._text(403, "updates are not allowed: this endpoint is read-only")
            text = request.args.get("query")
        if not text:
            return self._text(400, "no query: give ?query=... or POST one")
        for key in ("default-graph-uri", "named-graph-uri"):
            if request.values.get(key):
                return self._text(400, f"{key} is not supported: the endpoint serves one graph")
        prepared = prepare(text)
        return self._answer(request, execute(self.store.rdf, prepared, timeout=self.timeout, limit=self.limit))

    def on_update(self, request):
        return self._text(403, "updates are not allowed: this endpoint is read-only")

    def on_queries(self, request):
        from .queries import catalogue

        return Response(json.dumps([{"name": q.name, "summary": q.summary, "description": q.description,
                                     "example": q.example, "text": q.text,
                                     "parameters": [p.__dict__ for p in q.params]}
                                    for q in catalogue().values()], ensure_ascii=False),
                        mimetype="application/json")

    def on_named(self, request, name):
        from .queries import bindings, named
        from .sparql import execute

        q = named(name)
        pairs = [f"{k}={v}" for k, v in request.args.items()]
        answer = execute(self.store.rdf, q.text, bindings(self.store, q, pairs), timeout=self.timeout,
                         limit=self.limit)
        return self._answer(request, answer)

    def on_map(self, request):
        from .render import map_data, page
        from .resolve import resolve

        G = self.store.nx
        focus = request.args.get("focus")
        key = resolve(G, focus) if focus else None
        title = f"alignkg — {G.nodes[key]['label']}" if key else "alignkg — map of alignment proposals"
        return Response(page(map_data(G, focus=key), title), mimetype="text/html")

    def on_explorer(self, request):
        from .queries import catalogue
        from .render import script_json

        gallery = [{"name": q.name, "summary": q.summary, "text": q.text} for q in catalogue().values()]
        html = _TEMPLATE.read_text(encoding="utf-8").replace("{{GALLERY}}", script_json(gallery))
        return Response(html, mimetype="text/html")


def make(store, *, host="127.0.0.1", port=8780, timeout=10.0, limit=10_000, cors=False, exposed=False):
    """A threaded Werkzeug server for the endpoint (port 0 picks a free port)."""
    from werkzeug.serving import make_server

    app = Endpoint(store, timeout=timeout, limit=limit, host=host if exposed else None, cors=cors)
    return make_server(host, port, app, threaded=True)


def serve(store, **options):
    """Run the endpoint until interrupted."""
    server = make(store, **options)
    try:
        server.serve_forever()
    finally:
        server.server_close()
