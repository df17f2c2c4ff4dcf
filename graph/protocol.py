"""What the SPARQL endpoint decides from a request's headers, and how it writes an answer.

Shared by the server's threads (:mod:`alignkg.server`) and by the query workers that
answer connections lent to them (:mod:`alignkg.lane`), so that an answer is the same
whichever process writes it: the accepted hosts, the negotiated media type, the answer
cache, the status of an error, and the bytes of an answer's head.
"""

from __future__ import annotations

import threading
import time

LOOPBACK = {"localhost", "127.0.0.1", "[::1]", "::1"}
#: Bytes of an answer held back to learn whether it was cut before the headers go out.
HOLD = 4 << 20

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


def host_allowed(host: str | None, allowed) -> bool:
    """Whether a ``Host`` header names one of ``allowed`` (None: any host).

    >>> host_allowed("127.0.0.1:8780", LOOPBACK), host_allowed("evil.example:8780", LOOPBACK)
    (True, False)
    """
    if allowed is None:
        return True
    return host is not None and (host.rsplit(":", 1)[0] in allowed or host in allowed)


def best_media(accept: str | None, kind: str) -> str | None:
    """The media type to answer in for an ``Accept`` header and a kind of answer; None when none fits (406).

    ``kind`` is ``"results"`` (SELECT, ASK) or ``"graph"`` (CONSTRUCT, DESCRIBE). No
    header, ``*/*`` or a browser's HTML-first header get the kind's default.

    >>> best_media("text/csv;q=0.9, application/sparql-results+json", "results")
    'application/sparql-results+json'
    >>> best_media(None, "graph"), best_media("image/png", "results")
    ('text/turtle', None)
    """
    from werkzeug.datastructures import MIMEAccept
    from werkzeug.http import parse_accept_header

    accepted = parse_accept_header(accept, MIMEAccept)
    offers = [m for m, (_, k) in MEDIA.items() if k == kind]
    best = accepted.best_match(offers, default=None) if accepted else None
    if best is None:
        if accepted and not accepted.accept_html and "*/*" not in str(accepted) and str(accepted):
            return None
        best = DEFAULT_MEDIA[kind]
    return best


class Negotiator:
    """:func:`best_media`, remembered per (Accept header, kind): at most 256 headers of at most 1 KiB."""

    def __init__(self):
        self.known: dict = {}

    def __call__(self, accept: str | None, kind: str) -> str | None:
        key = (accept, kind)
        try:
            return self.known[key]
        except KeyError:
            pass
        media = best_media(accept, kind)
        if accept is None or len(accept) <= 1024:
            if len(self.known) >= 256:
                self.known.clear()
            self.known[key] = media
        return media


class AnswerCache:
    """Answers by (query text, bound terms, format), least recently used first out.

    The served graph never changes while the server runs, so an answer computed
    once is the answer; only complete answers of at most ``max_entry`` bytes are
    kept, ``max_total`` bytes in all.
    """

    def __init__(self, max_total=64 << 20, max_entry=1 << 20):
        from collections import OrderedDict

        self.entries, self.size = OrderedDict(), 0
        self.max_total, self.max_entry = max_total, max_entry
        self.lock = threading.Lock()

    def get(self, key):
        with self.lock:
            value = self.entries.get(key)
            if value is not None:
                self.entries.move_to_end(key)
                return value[0]
        return None

    def put(self, key, value, size):
        if size > self.max_entry:
            return
        with self.lock:
            if key in self.entries:
                return
            self.entries[key] = (value, size)
            self.size += size
            while self.size > self.max_total:
                _, (_, dropped) = self.entries.popitem(last=False)
                self.size -= dropped


class NoCache:
    """An :class:`AnswerCache` that keeps nothing (``--cache-bytes 0``)."""

    def get(self, key):
        return None

    def put(self, key, value, size):
        pass


def kind_of(form: str) -> str:
    """The kind of answer a query form gives: ``"graph"`` (CONSTRUCT, DESCRIBE) or ``"results"``."""
    return "graph" if form in ("CONSTRUCT", "DESCRIBE") else "results"


def chunk(data: bytes) -> bytes:
    """One chunk of a chunked body (the body ends with :data:`LAST_CHUNK`).

    >>> chunk(b"abc")
    b'3\\r\\nabc\\r\\n'
    """
    return b"%x\r\n%s\r\n" % (len(data), data)


LAST_CHUNK = b"0\r\n\r\n"


def error_status(message: str) -> int:
    """The status of a query that failed with ``message``: 503 past the timeout, else 400."""
    return 503 if "timeout" in message else 400


def status_line(code: int) -> str:
    """A status as werkzeug writes it.

    >>> status_line(503)
    '503 SERVICE UNAVAILABLE'
    """
    from werkzeug.http import HTTP_STATUS_CODES

    return f"{code} {HTTP_STATUS_CODES.get(code, 'UNKNOWN').upper()}"


#: the answer to a request that met a bug (nothing of another answer sent yet); the connection closes
INTERNAL_ERROR = (b"HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain\r\nContent-Length: 22\r\n"
                   b"Connection: close\r\n\r\ninternal server error\n")

_CONTENT_TYPES: dict = {}


def content_type(media: str) -> str:
    """The ``Content-Type`` of an answer in ``media``, as werkzeug writes it (a charset for text)."""
    try:
        return _CONTENT_TYPES[media]
    except KeyError:
        from werkzeug.utils import get_content_type

        value = _CONTENT_TYPES[media] = get_content_type(media, "utf-8")
        return value


_DATE = [0, ""]


def http_date() -> str:
    """The current time as an HTTP ``Date`` value (formatted once a second)."""
    from email.utils import formatdate

    now = int(time.time())
    if _DATE[0] != now:
        _DATE[:] = [now, formatdate(now, usegmt=True)]
    return _DATE[1]


def head(status: str, headers, server: str, chunked: bool = False) -> bytes:
    """The head of an HTTP/1.1 answer that keeps its connection open: status line, headers, blank line.

    >>> head("200 OK", [("Content-Length", "2")], "alignkg").split(b"\\r\\n")[0]
    b'HTTP/1.1 200 OK'
    """
    lines = [f"HTTP/1.1 {status}\r\nServer: {server}\r\nDate: {http_date()}\r\n"]
    lines += [f"{key}: {value}\r\n" for key, value in headers]
    if chunked:
        lines.append("Transfer-Encoding: chunked\r\n")
    lines.append("\r\n")
    return "".join(lines).encode("latin-1")


def answer_head(code: int, media: str, length: int | None, server: str, *, cors_any: bool = False,
                extra=(), chunked: bool = False) -> bytes:
    """The head of an answer in ``media`` as the endpoint writes it (``extra``: headers of its own)."""
    headers = [("Content-Type", content_type(media))]
    if length is not None:
        headers.append(("Content-Length", str(length)))
    headers += extra
    if cors_any:
        headers.append(("Access-Control-Allow-Origin", "*"))
    headers.append(("X-Content-Type-Options", "nosniff"))
    return head(status_line(code), headers, server, chunked)


def text_answer(code: int, message: str, server: str, cors_any: bool = False) -> bytes:
    """A whole plain-text answer (an error), as the endpoint's ``_text`` writes it, on a kept connection."""
    body = (message + "\n").encode("utf-8")
    return answer_head(code, "text/plain", len(body), server, cors_any=cors_any) + body
