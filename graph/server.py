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
unless the server was started for a specific ``--host``. Requests from a
foreign ``Origin`` (a web page of another site, a cross-site form POST) are
refused with 403 unless ``--cors`` names that origin (or ``*``); CORS headers
are only sent for the origins named.

Fair to every client: queries run in a bounded pool of worker processes
(:mod:`alignkg.workers`) stopped at the timeout, parsing included; connections
are served by a bounded pool of threads, and a connection that does not send
its request line and headers within ``header_timeout`` seconds (or its body
within ``body_timeout``), or stays idle that long between requests, is closed;
a body larger than :data:`MAX_BODY` is refused (413) while it is read; a
repeated ``query`` parameter or any ``default-graph-uri`` / ``named-graph-uri``
is refused with 400. Answers to repeated queries come from a bounded
least-recently-used cache (the graph never changes while it is served).

An HTTP/1.1 connection stays open between requests without a body (each answer
in one write when its length is known, chunked otherwise); a request with a
body closes it after the answer (werkzeug's own path, which drains what was not
read), and idle open connections are closed as soon as a new client would have
to wait for a thread.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from pathlib import Path

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from .errors import AlignKGError, QueryError
from .protocol import (HOLD, INTERNAL_ERROR, LAST_CHUNK, LOOPBACK, MEDIA, AnswerCache, Negotiator, NoCache, chunk,
                       error_status, host_allowed, kind_of)

#: Largest request body accepted (bytes); checked while the body is read.
MAX_BODY = 1 << 20


class _Request(Request):
    max_content_length = MAX_BODY
    max_form_memory_size = MAX_BODY
    max_form_parts = 100

_SPARQL_METHODS = frozenset({"GET", "HEAD", "POST"})
_TEMPLATE = Path(__file__).parent / "templates" / "explorer.html"


class Endpoint:
    """The WSGI application. ``store`` is a :class:`graph.store.Store`."""

    def __init__(self, store, *, timeout=10.0, limit=10_000, host=None, cors=(), workers=2, body_timeout=30.0,
                 reaper=None, cache_bytes=64 << 20, lane=None):
        import math

        from .sparql import new_pool

        if not (isinstance(timeout, (int, float)) and math.isfinite(timeout) and timeout > 0):
            raise AlignKGError(f"--timeout {timeout!r}: give a finite number of seconds above 0")
        self.store, self.timeout, self.limit = store, timeout, limit
        self.cors = ("*",) if cors is True else tuple(cors or ())
        self.body_timeout, self.reaper = body_timeout, reaper
        self.cache = AnswerCache(cache_bytes) if cache_bytes else NoCache()
        self.allowed_hosts = LOOPBACK if host in (None, "127.0.0.1", "localhost", "::1") else None
        self.urls = Map([
            Rule("/", endpoint="explorer"),
            Rule("/sparql", endpoint="sparql", methods=["GET", "POST"]),
            Rule("/update", endpoint="update", methods=["GET", "POST"]),
            Rule("/queries", endpoint="queries"),
            Rule("/query/<name>", endpoint="named"),
            Rule("/map", endpoint="map"),
        ])
        self._media = Negotiator()  # (Accept header, kind of answer) -> negotiated media type (or None: 406)
        if lane is not None:  # the workers answer lent connections as this endpoint would (alignkg.lane)
            lane = {**lane, "timeout": timeout, "limit": limit, "cors_any": "*" in self.cors,
                    "hosts": None if self.allowed_hosts is None else sorted(self.allowed_hosts),
                    "cache_bytes": cache_bytes // workers}
        self.pool = new_pool(store, size=workers, lane=lane)  # the store is loaded, and the workers started, before serving

    # -- plumbing -----------------------------------------------------------

    def __call__(self, environ, start_response):
        return self.wsgi(environ, start_response)

    def _foreign(self, request):
        """Why a request from another site is refused, or None when it is not one (or is allowed)."""
        if "*" in self.cors:
            return None
        environ = request.environ
        origin = environ.get("HTTP_ORIGIN")
        if origin is not None:
            if origin == f"{request.scheme}://{request.host}" or origin in self.cors:
                return None
            return f"requests from origin {origin!r} are refused (start serve with --cors {origin} to allow it)"
        if environ.get("HTTP_SEC_FETCH_SITE") == "cross-site" and environ.get("HTTP_SEC_FETCH_MODE") != "navigate":
            return "cross-site requests are refused (start serve with --cors ORIGIN to allow one)"
        return None

    @_Request.application
    def wsgi(self, request):
        try:
            if not host_allowed(request.host, self.allowed_hosts):
                return self._text(403, "Host not allowed: this endpoint answers only loopback names "
                                       "(start it with --host to expose it)")
            foreign = self._foreign(request)
            if foreign:
                return self._text(403, foreign)
            if request.path == "/sparql" and request.method in _SPARQL_METHODS:  # the busy route, without the router
                response = self.on_sparql(request)
            else:
                endpoint, args = self.urls.bind_to_environ(request.environ).match()
                response = getattr(self, f"on_{endpoint}")(request, **args)
        except HTTPException as exc:
            response = self._text(exc.code, exc.description or exc.name)
        except QueryError as exc:
            response = self._text(error_status(str(exc)), str(exc))
        except AlignKGError as exc:
            response = self._text(400, str(exc))
        if "*" in self.cors:
            response.headers["Access-Control-Allow-Origin"] = "*"
        elif self.cors and request.environ.get("HTTP_ORIGIN") in self.cors:
            response.headers["Access-Control-Allow-Origin"] = request.environ["HTTP_ORIGIN"]
            response.headers["Vary"] = "Origin"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    @staticmethod
    def _text(status, message):
        return Response(message + "\n", status=status, mimetype="text/plain")

    def _answer(self, request, text, bindings=None):
        """Run a query and answer in the negotiated format; large answers stream."""
        from . import sparql as sq

        form = sq.check(text)
        kind = kind_of(form)
        media = self._media(request.environ.get("HTTP_ACCEPT"), kind)
        if media is None:
            return self._text(406, f"cannot answer in {request.headers.get('Accept')}; offered: "
                                   + ", ".join(m for m, (_, k) in MEDIA.items() if k == kind))
        fmt = MEDIA[media][0]
        key = (text, tuple(sorted((str(k), sq.term_text(v)) for k, v in (bindings or {}).items())), fmt)
        cached = self.cache.get(key)
        if cached is not None:
            body, truncated = cached
            response = Response(body, mimetype=media)
            response.headers["X-Alignkg-Cache"] = "hit"
        elif not sq.native(form, fmt):
            answer = sq.execute(self.store, text, bindings, timeout=self.timeout, limit=self.limit, pool=self.pool)
            response = Response(sq.serialize(answer, fmt), mimetype=media)
            truncated = answer.truncated
        else:
            stream = sq.open_stream(self.store, text, bindings, fmt=fmt, timeout=self.timeout, limit=self.limit,
                                    pool=self.pool)
            chunks, held, size = stream.chunks(), [], 0
            for chunk in chunks:
                held.append(chunk)
                size += len(chunk)
                if size > HOLD:
                    break
            else:
                chunks = None
            if chunks is None:
                body = b"".join(held)
                response = Response(body, mimetype=media)
                self.cache.put(key, (body, stream.truncated), len(body))
            else:  # too large to hold: stream the rest (a timeout now can only cut the body short)
                def rest(first=held, more=chunks):
                    yield from first
                    try:
                        yield from more
                    except AlignKGError:
                        return

                response = Response(rest(), mimetype=media, direct_passthrough=True)
            truncated = stream.truncated
        if truncated:
            response.headers["X-Alignkg-Truncated"] = f"results cut at {self.limit}"
        return response

    def _body_deadline(self, request):
        """Close the connection if the body does not arrive within ``body_timeout``."""
        sock = request.environ.get("werkzeug.socket")
        if self.reaper is not None and sock is not None:
            self.reaper.watch(sock, self.body_timeout)
        return sock

    @staticmethod
    def _body(request) -> bytes:
        """The request body, refused (413) as soon as it passes :data:`MAX_BODY`, chunked or not."""
        from werkzeug.exceptions import RequestEntityTooLarge

        if request.content_length is not None:  # werkzeug refuses a declared length above the cap before reading
            return request.get_data(cache=True)
        stream, data = request.environ["wsgi.input"], bytearray()
        while True:
            try:
                chunk = stream.read(1 << 16)
            except OSError as exc:  # a malformed chunked body
                raise AlignKGError(f"bad request body: {exc}") from None
            if not chunk:
                return bytes(data)
            data += chunk
            if len(data) > MAX_BODY:
                raise RequestEntityTooLarge(f"the body is larger than {MAX_BODY} bytes")

    def _one(self, request, key, values):
        if len(values) > 1:
            raise AlignKGError(f"the {key!r} parameter is given {len(values)} times; give it once")
        return values[0] if values else None

    # -- routes --------------------------------------------------------------

    def on_sparql(self, request):
        texts = request.args.getlist("query")
        if request.method == "POST":
            ctype = request.mimetype
            sock = self._body_deadline(request)
            try:
                if ctype == "application/sparql-update":
                    return self._text(403, "updates are not allowed: this endpoint is read-only")
                if ctype == "application/sparql-query":
                    raw = self._body(request)
                    try:
                        texts.append(raw.decode("utf-8"))
                    except UnicodeDecodeError:
                        return self._text(400, "the query is not UTF-8")
                else:
                    form = request.form
                    if "update" in form:
                        return self._text(403, "updates are not allowed: this endpoint is read-only")
                    texts += form.getlist("query")
            finally:
                if sock is not None and self.reaper is not None:
                    self.reaper.forget(sock)
        if "update" in request.args:
            return self._text(403, "updates are not allowed: this endpoint is read-only")
        text = self._one(request, "query", texts)
        if not text:
            return self._text(400, "no query: give ?query=... or POST one")
        for key in ("default-graph-uri", "named-graph-uri"):
            if request.values.getlist(key):
                return self._text(400, f"{key} is not supported: the endpoint serves one graph")
        return self._answer(request, text)

    def on_update(self, request):
        return self._text(403, "updates are not allowed: this endpoint is read-only")

    def on_queries(self, request):
        from .queries import catalogue

        return Response(json.dumps([{"name": q.name, "summary": q.summary, "description": q.description,
                                     "example": q.example, "text": q.text,
                                     "parameters": [p.as_dict() for p in q.params]}
                                    for q in catalogue().values()], ensure_ascii=False),
                        mimetype="application/json")

    def on_named(self, request, name):
        from .queries import bindings, named

        q = named(name)
        pairs = [f"{k}={self._one(request, k, request.args.getlist(k))}" for k in request.args]
        return self._answer(request, q.text, bindings(self.store, q, pairs))

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


class Reaper:
    """Closes connections whose deadline passed (slow or idle clients), from one thread.

    A handler thread blocked in ``recv`` on such a connection wakes up (the socket
    is shut down) and frees itself for the next client.
    """

    def __init__(self, tick=0.25):
        self.deadlines: dict = {}
        self.lock = threading.Lock()
        self.tick = tick
        self.stopped = threading.Event()
        threading.Thread(target=self._loop, daemon=True, name="alignkg-reaper").start()

    def watch(self, sock, seconds):
        with self.lock:
            self.deadlines[sock] = time.monotonic() + seconds

    def forget(self, sock):
        with self.lock:
            self.deadlines.pop(sock, None)

    def _loop(self):
        while not self.stopped.wait(self.tick):
            now = time.monotonic()
            with self.lock:
                late = [s for s, d in self.deadlines.items() if d <= now]
                for s in late:
                    del self.deadlines[s]
            for s in late:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def stop(self):
        self.stopped.set()


def _listen(host: str, port: int) -> socket.socket:
    """A listening socket on host:port, or an :class:`AlignKGError` saying why not (before any output)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError, OSError) as exc:
        raise AlignKGError(f"--host {host!r}: cannot resolve it ({getattr(exc, 'strerror', None) or exc})") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError as exc:
        sock.close()
        import errno

        why = "the port is in use" if exc.errno == errno.EADDRINUSE else (exc.strerror or str(exc))
        raise AlignKGError(f"cannot listen on {host}:{port}: {why}") from None
    return sock


def make(store, *, host="127.0.0.1", port=8780, timeout=10.0, limit=10_000, cors=(), exposed=False, workers=2,
         threads=16, queue=64, header_timeout=10.0, body_timeout=30.0, cache_bytes=64 << 20, lanes=True):
    """The endpoint's HTTP server (port 0 picks a free port); bound and listening when this returns.

    ``workers`` query processes; ``threads`` connections served at once, ``queue``
    more waiting (beyond that a connection gets 503 at once); ``header_timeout``
    for the request line and headers (and for an idle keep-alive connection),
    ``body_timeout`` for the body; ``cache_bytes`` of answers kept for repeated queries (0: none).
    With ``lanes``, each new connection is lent to an idle query worker, which answers its
    plain ``GET /sparql`` requests itself and gives back the rest (:mod:`alignkg.lane`).
    """
    import importlib.metadata
    from concurrent.futures import ThreadPoolExecutor

    from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler

    # the Server header, as werkzeug's handler writes it
    software = f"Werkzeug/{importlib.metadata.version('werkzeug')} {WSGIRequestHandler.sys_version}"
    sock = _listen(host, port)
    reaper = Reaper()
    try:
        app = Endpoint(store, timeout=timeout, limit=limit, host=host if exposed else None, cors=cors,
                       workers=workers, body_timeout=body_timeout, reaper=reaper, cache_bytes=cache_bytes,
                       lane={"header_timeout": header_timeout, "server": software} if lanes else None)
    except BaseException:
        sock.close()
        reaper.stop()
        raise
    app.pool.full.wait(30)  # the first connections find their workers up

    class Handler(WSGIRequestHandler):
        protocol_version = "HTTP/1.1"
        timeout = 30  # seconds for any one read or write (a client that stops reading its answer)
        kept = False  # True once the connection was kept open after an answer

        def handle_one_request(self):
            if self.kept and self.server.lend(self.connection, self.client_address, self.rfile):
                self.close_connection = True  # a worker answers it now (alignkg.lane)
                return
            reaper.watch(self.connection, header_timeout)  # idle wait, request line and headers
            kept = self.kept
            if kept:  # waiting for the next request: the server may close it for a client in the queue
                self.server.idle(self.connection, True)
            try:
                return super().handle_one_request()
            finally:
                reaper.forget(self.connection)
                if kept:
                    self.server.idle(self.connection, False)

        def parse_request(self):
            ok = super().parse_request()
            reaper.forget(self.connection)  # headers read; the body has its own deadline
            if self.kept:
                self.server.idle(self.connection, False)
            return ok

        def run_wsgi(self):
            if not _reusable(self) or self.server.crowded():
                self.kept = False
                return super().run_wsgi()  # werkzeug's own: "Connection: close", an unread body drained
            self.environ = environ = self.make_environ()
            started = []

            def start_response(status, headers, exc_info=None):
                started[:] = (status, headers)
                return _no_write

            sent = [False]
            try:
                chunks = self.server.app(environ, start_response)
                try:
                    _send(self, started[0], started[1], chunks, environ["REQUEST_METHOD"] == "HEAD", sent)
                finally:
                    if hasattr(chunks, "close"):
                        chunks.close()
            except OSError:  # the client went away, or stopped reading
                self.close_connection = True
            except Exception:  # a bug: logged, 500 if nothing was sent yet, and the connection closed either way
                import traceback

                self.close_connection = True
                self.log_error("error on request:\n%s", traceback.format_exc())
                if not sent[0]:
                    try:
                        self.connection.sendall(INTERNAL_ERROR)
                    except OSError:
                        pass
            self.kept = not self.close_connection

        def log_request(self, *args, **kwargs):
            pass

    class Server(BaseWSGIServer):
        multithread = True

        def __init__(self):
            self._ready = False
            super().__init__(host, port, app, handler=Handler, fd=sock.fileno())
            self.server_name, self.server_port = host, self.port
            self.pool = ThreadPoolExecutor(threads, thread_name_prefix="alignkg-http")
            self.slots = threading.BoundedSemaphore(threads + queue)
            self.lock, self.active, self.waiting = threading.Lock(), 0, set()  # connections; idle kept-alive ones
            self.lent: dict = {}  # connection -> lends from threads whose end must leave it open
            self._ready = True

        def crowded(self) -> bool:
            """Whether connections wait for a thread (then no connection is kept open after its answer)."""
            return self.active > threads

        def idle(self, connection, waiting: bool) -> None:
            with self.lock:
                if waiting:
                    self.waiting.add(connection)
                else:
                    self.waiting.discard(connection)

        def process_request(self, request, client_address):
            if not self.slots.acquire(blocking=False):
                try:
                    request.sendall(b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\n"
                                    b"Content-Length: 22\r\nConnection: close\r\n\r\ntoo many connections\r\n")
                except OSError:
                    pass
                self.shutdown_request(request)
                return
            with self.lock:
                self.active += 1
                idle = list(self.waiting) if self.active > threads else ()
            for connection in idle:  # a new client must wait: close the kept-alive connections that are idle
                try:
                    connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            request.settimeout(Handler.timeout)  # as a handler would
            if not self.lend(request, client_address):
                self.pool.submit(self._work, request, client_address)

        def lend(self, request, client_address, rfile=None) -> bool:
            """Lend a connection to an idle query worker (alignkg.lane); False when none is idle.

            A connection a thread has read from (``rfile``) is lent only when nothing was read ahead.
            """
            if not lanes or app.pool.idle.empty():
                return False
            if rfile is not None:
                request.settimeout(0.0)
                try:
                    ahead = rfile.peek(1)  # what is buffered, or what a non-blocking read finds
                except OSError:
                    ahead = b"?"
                finally:
                    request.settimeout(Handler.timeout)
                if ahead:
                    return False
            if rfile is not None:  # the thread's own end must not finish the connection
                with self.lock:
                    self.lent[request] = self.lent.get(request, 0) + 1
            if app.pool.lend(request, lambda conn, keep, error: self._back(conn, client_address, keep, error)):
                return True
            if rfile is not None:
                self._away(request)
            return False

        def _away(self, request) -> bool:
            """Whether a thread's end must leave the connection open (it was lent from a thread), counting it off."""
            with self.lock:
                count = self.lent.get(request, 0)
                if count > 1:
                    self.lent[request] = count - 1
                else:
                    self.lent.pop(request, None)
                return count > 0

        def _back(self, request, client_address, keep, error):
            """A lent connection comes back from its worker (on the pool's watcher thread, which must not
            block): finished here, or answered and served on by a thread."""
            if not keep and error is None:
                self._done(request)
                return
            try:
                self.pool.submit(self._resume, request, client_address, keep, error)
            except RuntimeError:  # the server is closing
                self._done(request)

        def _resume(self, request, client_address, keep, error):
            if error is not None:  # the worker was stopped mid-query: this process answers for it
                from .protocol import text_answer
                from .sparql import failure

                message = str(failure(error, app.timeout))
                try:
                    request.settimeout(Handler.timeout)  # the worker left it blocking
                    request.sendall(text_answer(error_status(message), message, software, "*" in app.cors))
                except OSError:
                    keep = False
            if keep:
                self._work(request, client_address)
            else:
                self._done(request)

        def _work(self, request, client_address):
            try:
                self.finish_request(request, client_address)
            except Exception:
                self.handle_error(request, client_address)
            finally:
                if not self._away(request):
                    self._done(request)

        def _done(self, request):
            self.shutdown_request(request)
            with self.lock:
                self.active -= 1
                self.waiting.discard(request)
            self.slots.release()

        def handle_error(self, request, client_address):
            pass  # a client that went away; nothing to report

        def server_close(self):
            super().server_close()
            if not self._ready:  # werkzeug closes its own first socket while starting
                return
            self.pool.shutdown(wait=False, cancel_futures=True)
            reaper.stop()
            app.pool.close()

    try:
        server = Server()
    finally:
        sock.close()  # the server holds its own copy
    return server


def _reusable(handler) -> bool:
    """Whether the connection of a parsed request can stay open after the answer.

    Only HTTP/1.1 requests without a body (nothing left unread on the connection),
    whose client did not ask to close.

    >>> class H: request_version, close_connection, headers = "HTTP/1.1", False, {"Host": "x"}
    >>> _reusable(H())
    True
    """
    headers = handler.headers
    return (handler.request_version == "HTTP/1.1" and not handler.close_connection
            and headers.get("Content-Length", "0").strip() == "0" and headers.get("Transfer-Encoding") is None
            and headers.get("Expect") is None)


def _no_write(data):
    raise RuntimeError("this server does not support the WSGI write() callable")


def _send(handler, status: str, headers, chunks, head_only: bool, sent: list) -> None:
    """Write a WSGI answer on a connection that stays open: in one write when its length is known, else chunked."""
    from .protocol import head

    chunked = not head_only and not any(key.lower() == "content-length" for key, _ in headers)
    first = head(status, headers, handler.version_string(), chunked)
    write = handler.connection.sendall
    if not chunked:
        body = b"" if head_only else b"".join(chunks)
        sent[0] = True
        write(first + body)
        return
    sent[0] = True
    write(first)
    for data in chunks:
        if data:
            write(chunk(data))
    write(LAST_CHUNK)


def serve(store, **options):
    """Run the endpoint until interrupted."""
    server = make(store, **options)
    try:
        server.serve_forever()
    finally:
        server.server_close()
