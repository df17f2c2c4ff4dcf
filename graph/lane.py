"""A query worker answering the HTTP connection that the server lent it.

``alignkg serve`` lends each new connection to an idle query worker
(:meth:`alignkg.workers.Pool.lend`). The worker then answers the connection's plain
SPARQL protocol requests itself (``GET /sparql?query=...`` over HTTP/1.1, kept alive):
it reads the request, checks the query (:func:`alignkg.sparql.check`), runs it and
writes the answer, with no hop from a server thread to the worker and back.

Whatever else comes is given back unread (only peeked at): another route, a body, an
``Origin`` header, a query that :func:`~alignkg.sparql.check` refuses, a format the
worker does not write itself, a request split across reads. The worker returns the
connection to the server, whose own code then answers it. It gives the connection back
too when the server needs the worker for another client's query, and closes it when it
stays idle past the header timeout, as the server does.

The timeout stays a hard stop. Before it runs a query the worker writes the deadline in
its :class:`Slot`, memory shared with the server; the server kills a worker past its
deadline and answers 503 itself on its own copy of the connection, or closes the
connection if the answer had started.
"""

from __future__ import annotations

import os
import re
import select
import socket
import struct
import time

from .protocol import LAST_CHUNK, chunk

#: the stages of a lent connection's current request, in its :class:`Slot`
IDLE, RUNNING, SENDING = 0, 1, 2
_PEEK = 1 << 16
_BODY_HEADERS = frozenset({"content-length", "transfer-encoding", "expect", "upgrade"})
#: what may not stand in a head the lane answers: control characters but tab, CR and LF outside CRLF
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x0c\x0e-\x1f\x7f]|\r(?!\n)|(?<!\r)\n")


class Slot:
    """A worker's current deadline and stage, in memory shared with the server (a ``memfd``).

    The worker writes it; the server reads it to stop a query past its deadline.
    """

    _FORMAT = struct.Struct("dB")

    def __init__(self, fd: int | None = None):
        import mmap

        if fd is None:
            fd = os.memfd_create("alignkg-slot")  # close-on-exec: given to its one worker only (pass_fds)
            os.ftruncate(fd, self._FORMAT.size)
        self.fd = fd
        self.map = mmap.mmap(fd, self._FORMAT.size)

    def set(self, deadline: float, stage: int) -> None:
        self._FORMAT.pack_into(self.map, 0, deadline, stage)

    def get(self) -> tuple:
        """``(deadline, stage)``, read until two reads agree (the worker may be writing)."""
        while True:
            first = self._FORMAT.unpack_from(self.map, 0)
            if self._FORMAT.unpack_from(self.map, 0) == first:
                return first


def parse(head: bytes):
    """The query and lower-cased headers of a request head the lane answers, or None to give it back.

    Only ``GET /sparql?query=...`` over HTTP/1.1 with one ``query`` parameter, plain
    ASCII headers, each once, no body and no ``Connection: close``.

    >>> parse(b"GET /sparql?query=ASK%20%7B%7D HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\n\\r\\n")
    ('ASK {}', {'host': '127.0.0.1'})
    >>> parse(b"POST /sparql HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\n\\r\\n") is None
    True
    """
    from urllib.parse import unquote_plus

    try:
        text = head.decode("ascii")
    except UnicodeDecodeError:
        return None
    if _CONTROL.search(text, 0, len(text) - 4):  # a CR or LF alone, or another control character
        return None
    lines = text.split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or parts[0] != "GET" or parts[2] != "HTTP/1.1":
        return None
    path, _, query = parts[1].partition("?")
    if path != "/sparql" or not query.startswith("query=") or "&" in query or "#" in query:
        return None
    text = unquote_plus(query[6:])  # as the server decodes a parameter: UTF-8, "+" a space
    if not text or "\ufffd" in text:
        return None
    headers = {}
    for line in lines[1:]:
        if not line:
            continue
        name, sep, value = line.partition(":")
        if not sep or not name or line[0] in " \t" or name[-1] in " \t":
            return None
        key = name.lower()
        if key in headers or key in _BODY_HEADERS:
            return None
        headers[key] = value.strip(" \t")
    if "close" in headers.get("connection", "").lower():
        return None
    return text, headers


def _host(header: str | None) -> str | None:
    """The host a ``Host`` header names, as the server's werkzeug reads it ("" when malformed)."""
    if header is None:
        return None
    from werkzeug.sansio.utils import get_host

    return get_host("http", header)


class _Sink:
    """Takes a worker's answer frames (:func:`alignkg.workers.answer`): held whole, streamed chunked past HOLD."""

    def __init__(self, lane, conn, deadline, media):
        self.lane, self.conn, self.deadline, self.media = lane, conn, deadline, media
        self.held, self.size = [], 0
        self.streaming = self.broken = self.truncated = False
        self.error = None

    def write(self, frame) -> int:
        kind, data = frame[:1], frame[5:]
        if self.broken:
            return len(frame)
        try:
            if kind == b"D":
                if self.streaming:
                    self.conn.sendall(chunk(data))
                else:
                    self.held.append(bytes(data))
                    self.size += len(data)
                    if self.size > self.lane.hold:
                        self._stream()
            elif kind == b"T":
                self.truncated = True
            elif kind == b"E":
                self.error = bytes(data).decode("utf-8", "replace")
        except OSError:  # the client went away or stopped reading
            self.broken = True
        return len(frame)

    def _stream(self):
        """Too large to hold: the head goes out now (chunked), then every chunk as it comes."""
        self.lane.slot.set(self.deadline, SENDING)
        self.streaming = True
        self.conn.sendall(self.lane.head(200, self.media, None, chunked=True))
        for data in self.held:
            self.conn.sendall(chunk(data))
        self.held = []

    def flush(self) -> None:
        pass


class Lane:
    """Answers lent connections in a worker; ``settings`` come from the server (see :meth:`serve`)."""

    def __init__(self, store, answer, slot: Slot, settings: dict):
        from .protocol import AnswerCache, HOLD, Negotiator

        self.store, self.answer, self.slot = store, answer, slot
        self.timeout, self.limit = settings["timeout"], settings["limit"]
        hosts = settings.get("hosts")
        self.hosts = None if hosts is None else frozenset(hosts)
        self.cors_any = bool(settings.get("cors_any"))
        self.idle = settings["header_timeout"]
        self.server = settings["server"]
        self.hold = settings.get("hold", HOLD)
        self.cache = AnswerCache(settings.get("cache_bytes", 16 << 20))
        self.media = Negotiator()
        self.prefixes = True

    def serve(self, conn: socket.socket, ctl: socket.socket) -> bytes:
        """Answer ``conn`` until it is given back (``b"R"``) or finished (``b"F"``); which one it was."""
        # blocking, each read only after select() said there is data; a write to a client that
        # stopped reading fails after 30 s (as the server's threads); the server's copy sets its own mode again
        conn.setblocking(True)
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, struct.pack("ll", 30, 0))
        try:
            while True:
                ready = select.select([conn, ctl], [], [], self.idle)[0]
                if not ready:
                    return b"F"  # idle past the header timeout: closed, as the server does
                if ctl in ready:
                    message = ctl.recv(16)
                    if not message:
                        os._exit(0)  # the server is gone
                    if message == b"Y":  # the server needs this worker: the connection goes back
                        return b"R"
                    continue
                try:
                    peeked = conn.recv(_PEEK, socket.MSG_PEEK)
                except OSError:
                    return b"F"
                if not peeked:
                    return b"F"  # the client closed it
                end = peeked.find(b"\r\n\r\n")
                if end < 0:
                    return b"R"  # not a whole head in one read: the server's own reader takes it
                try:
                    outcome = self._request(conn, peeked[:end + 4])
                except Exception:  # a bug: 500 unless an answer had started, and the connection closes
                    from .protocol import INTERNAL_ERROR

                    if self.slot.get()[1] != SENDING:
                        try:
                            conn.sendall(INTERNAL_ERROR)
                        except OSError:
                            pass
                    return b"F"
                if outcome is not None:
                    return outcome
        finally:
            self.slot.set(0.0, IDLE)
            conn.close()  # this process's copy: the server holds its own

    def _request(self, conn, head: bytes):
        """Answer one request whose head is ``head``; None to go on, ``b"R"`` or ``b"F"`` to stop."""
        from .errors import QueryError
        from .protocol import MEDIA, host_allowed, kind_of
        from .sparql import PREFIX_IRIS, check, native

        parsed = parse(head)
        if parsed is None:
            return b"R"
        text, headers = parsed
        if not host_allowed(_host(headers.get("host")), self.hosts) or "origin" in headers \
                or headers.get("sec-fetch-site") == "cross-site":
            return b"R"  # refusals and CORS are the server's
        try:
            form = check(text)
        except QueryError:
            return b"R"
        media = self.media(headers.get("accept"), kind_of(form))
        if media is None or not native(form, MEDIA[media][0]):
            return b"R"
        fmt = MEDIA[media][0]
        try:
            conn.recv(len(head), socket.MSG_WAITALL)  # the head is this lane's now
            key = (text, fmt)
            cached = self.cache.get(key)
            if cached is not None:
                body, truncated = cached
                self._send(conn, self.head(200, media, len(body), truncated=truncated, hit=True) + body)
                return None
            deadline = time.monotonic() + self.timeout
            self.slot.set(deadline, RUNNING)
            sink = _Sink(self, conn, deadline, media)
            request = {"query": text, "format": fmt, "limit": self.limit, "kind": form}
            if self.prefixes:
                request["prefixes"], self.prefixes = PREFIX_IRIS, False
            self.answer(self.store, request, sink)
            if sink.broken:
                return b"F"
            if sink.streaming:  # the head went out; a failure now can only cut the body short
                conn.sendall(LAST_CHUNK)
                self.slot.set(0.0, IDLE)
                return None
            if sink.error is not None:
                from .protocol import error_status, text_answer
                from .sparql import syntax_message

                message = syntax_message(sink.error)
                self._send(conn, text_answer(error_status(message), message, self.server, self.cors_any))
                return None
            body = b"".join(sink.held)
            self.cache.put(key, (body, sink.truncated), len(body))
            self._send(conn, self.head(200, media, len(body), truncated=sink.truncated) + body)
            return None
        except OSError:
            return b"F"

    def _send(self, conn, data: bytes) -> None:
        """Write a whole answer; a client too slow to take it within the timeout is cut off, as a streamed one."""
        self.slot.set(time.monotonic() + self.timeout, SENDING)
        conn.sendall(data)
        self.slot.set(0.0, IDLE)

    def head(self, code: int, media: str, length: int | None, *, truncated=False, hit=False,
             chunked=False) -> bytes:
        """The head of an answer in ``media`` as the server's endpoint writes it."""
        from .protocol import answer_head

        extra = [("X-Alignkg-Cache", "hit")] if hit else []
        if truncated:
            extra.append(("X-Alignkg-Truncated", f"results cut at {self.limit}"))
        return answer_head(code, media, length, self.server, cors_any=self.cors_any, extra=extra, chunked=chunked)
