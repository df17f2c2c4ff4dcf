"""A pool of query worker processes with a hard timeout.

Each worker is a fresh Python process (``python -m alignkg.workers STORE_DIR PARENT_PID``)
that opens the pyoxigraph store read-only and answers queries one at a time
over its stdin/stdout. The parent checks a query (:func:`alignkg.sparql.check`)
and substitutes its parameters before it is sent, so a worker only ever sees
the final query text and only calls ``Store.query`` (never an update).

Timeouts are hard: a worker that has not finished when its deadline passes is
killed with SIGKILL and replaced; the parse happens inside the worker, so it is
inside the time limit too, and no lock is shared between queries.

Workers die with their parent whatever signal ends it: on Linux each sets
``PR_SET_PDEATHSIG`` (SIGKILL) through ``prctl``; everywhere, a watchdog thread
exits the worker when the lifeline pipe from the parent reaches end of file.
Workers are started from one long-lived thread of the pool, because the parent
death signal fires when the *thread* that started a child ends.

A server's workers also answer the connections it lends them (:mod:`alignkg.lane`):
each gets a control socket (connections come and go over it) and a shared slot where it
writes the deadline of its current query, which the pool's watcher thread enforces.

Frames on the worker's stdout are ``kind (1 byte) + length (4 bytes) + payload``:
``H`` (JSON: type, vars), ``D`` (bytes of the answer), ``T`` (truncated),
``E`` (an error message), ``Z`` (done).
"""

from __future__ import annotations

import json
import os
import select
import struct
import sys
import time
from json.encoder import encode_basestring as _quote  # the string writer of json.dumps(ensure_ascii=False)

_HEAD = struct.Struct(">cI")
CHUNK = 1 << 16


# -- worker side ----------------------------------------------------------------


def _die_with_parent(parent: int, lifeline: int) -> None:
    import signal
    import threading

    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
        except Exception:  # no prctl: the lifeline below still works
            pass
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(0)

    def watch():
        try:
            while os.read(lifeline, 1):
                pass
        finally:
            os._exit(0)

    threading.Thread(target=watch, daemon=True).start()


class _Frames:
    """A binary file-like object whose writes become ``D`` frames on stdout."""

    def __init__(self, out):
        self.out, self.buf = out, bytearray()

    def write(self, data) -> int:
        self.buf += data
        if len(self.buf) >= CHUNK:
            self.flush(push=True)  # big answers stream as they come
        return len(data)

    def flush(self, push: bool = False) -> None:
        if self.buf:
            send(self.out, b"D", bytes(self.buf))
            self.buf.clear()
        if push:
            self.out.flush()


def send(out, kind: bytes, payload: bytes = b"") -> None:
    out.write(_HEAD.pack(kind, len(payload)) + payload)
    if kind in (b"Z", b"E"):  # a small answer leaves in one write: one wake-up of the parent
        out.flush()


def _json_term(t) -> dict:
    import pyoxigraph as ox

    if isinstance(t, ox.NamedNode):
        return {"type": "uri", "value": t.value}
    if isinstance(t, ox.BlankNode):
        return {"type": "bnode", "value": t.value}
    if isinstance(t, ox.Literal):
        out = {"type": "literal", "value": t.value}
        if t.language:
            out["xml:lang"] = t.language
        elif t.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
            out["datatype"] = t.datatype.value
        return out
    return {"type": "triple", "value": str(t)}


_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


def _json_text(t) -> str:
    """``json.dumps(_json_term(t), ensure_ascii=False)``, written directly (the busy path of small answers).

    >>> import pyoxigraph as ox
    >>> _json_text(ox.Literal("chat", language="fr"))
    '{"type": "literal", "value": "chat", "xml:lang": "fr"}'
    """
    kind = type(t).__name__
    if kind == "NamedNode":
        return '{"type": "uri", "value": ' + _quote(t.value) + "}"
    if kind == "Literal":
        if t.language:
            return '{"type": "literal", "value": ' + _quote(t.value) + ', "xml:lang": ' + _quote(t.language) + "}"
        datatype = t.datatype.value
        if datatype != _XSD_STRING:
            return '{"type": "literal", "value": ' + _quote(t.value) + ', "datatype": ' + _quote(datatype) + "}"
        return '{"type": "literal", "value": ' + _quote(t.value) + "}"
    return json.dumps(_json_term(t), ensure_ascii=False)


def _csv_cell(t, tsv: bool) -> str:
    import pyoxigraph as ox

    if t is None:
        return ""
    if tsv:
        return str(t).replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    text = t.value if isinstance(t, (ox.NamedNode, ox.Literal)) else ("_:" + t.value if isinstance(t, ox.BlankNode) else str(t))
    if any(c in text for c in ',"\r\n'):
        text = '"' + text.replace('"', '""') + '"'
    return text


def _xml_term(t) -> str:
    import pyoxigraph as ox
    from xml.sax.saxutils import escape, quoteattr

    if isinstance(t, ox.NamedNode):
        return f"<uri>{escape(t.value)}</uri>"
    if isinstance(t, ox.BlankNode):
        return f"<bnode>{escape(t.value)}</bnode>"
    attrs = ""
    if t.language:
        attrs = f" xml:lang={quoteattr(t.language)}"
    elif t.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
        attrs = f" datatype={quoteattr(t.datatype.value)}"
    return f"<literal{attrs}>{escape(t.value)}</literal>"


def _solutions(res, variables, fmt, limit, sink):
    """Write SELECT solutions in ``fmt`` with at most ``limit`` rows; True when cut."""
    names = [v.value for v in variables]
    keys = [_quote(name) + ": " for name in names]
    n = 0
    cut = False
    if fmt == "json":
        sink.write(json.dumps({"head": {"vars": names}}, ensure_ascii=False)[:-1].encode() + b',"results":{"bindings":[')
    elif fmt == "xml":
        head = "".join(f'<variable name="{v}"/>' for v in names)
        sink.write(('<?xml version="1.0"?><sparql xmlns="http://www.w3.org/2005/sparql-results#">'
                    f"<head>{head}</head><results>").encode())
    elif fmt == "tsv":
        sink.write(("\t".join("?" + v for v in names) + "\n").encode())
    else:
        sink.write((",".join(names) + "\r\n").encode())
    for row in res:
        if limit is not None and n >= limit:
            cut = True
            break
        values = [row[v] for v in variables]
        if fmt == "json":
            doc = ", ".join(k + _json_text(t) for k, t in zip(keys, values) if t is not None)
            sink.write(((",{" if n else "{") + doc + "}").encode())
        elif fmt == "xml":
            cells = "".join(f'<binding name="{k}">{_xml_term(t)}</binding>' for k, t in zip(names, values)
                            if t is not None)
            sink.write(f"<result>{cells}</result>".encode())
        elif fmt == "tsv":
            sink.write(("\t".join(_csv_cell(t, True) for t in values) + "\n").encode())
        else:
            sink.write((",".join(_csv_cell(t, False) for t in values) + "\r\n").encode())
        n += 1
    sink.write({"json": b"]}}", "xml": b"</results></sparql>"}.get(fmt, b""))
    return cut


_RESULT_FORMATS = ("json", "xml", "csv", "tsv")
#: the prefixes bound in queries: sent with a worker's first request, remembered after
_PREFIXES: dict = {}
_GRAPH_FORMATS = ("nt", "ttl", "jsonld")


def answer(store, request: dict, out) -> None:
    """Run one request on ``store`` and write its frames to ``out``."""
    import pyoxigraph as ox

    fmt, limit = request["format"], request.get("limit")
    if request.get("prefixes"):
        _PREFIXES.clear()
        _PREFIXES.update(request["prefixes"])
    try:
        res = store.query(request["query"], prefixes=_PREFIXES or None)
    except SyntaxError as exc:
        send(out, b"E", f"SPARQL syntax error: {exc}".encode())
        return
    except Exception as exc:
        send(out, b"E", f"query failed: {' '.join(str(exc).split())}".encode())
        return
    sink = _Frames(out)
    try:
        if isinstance(res, ox.QueryBoolean):
            if fmt in _GRAPH_FORMATS:
                send(out, b"E", f"--format {fmt} is for CONSTRUCT and DESCRIBE graphs; use json, xml, csv or tsv "
                                f"for ASK".encode())
                return
            send(out, b"H", json.dumps({"type": "ASK"}).encode())
            value = bool(res)
            if fmt == "json":
                sink.write(json.dumps({"head": {}, "boolean": value}).encode())
            elif fmt == "xml":
                sink.write(('<?xml version="1.0"?><sparql xmlns="http://www.w3.org/2005/sparql-results#">'
                            f"<head/><boolean>{'true' if value else 'false'}</boolean></sparql>").encode())
            elif fmt == "tsv":
                sink.write(b"?_askResult\n" + (b"true" if value else b"false") + b"\n")
            else:
                sink.write(b"_askResult\r\n" + (b"true" if value else b"false") + b"\r\n")
        elif isinstance(res, ox.QueryTriples):
            kind = request.get("kind") or "CONSTRUCT"
            if fmt in _RESULT_FORMATS and fmt != "json" or (fmt == "json" and not request.get("graph_json")):
                send(out, b"E", f"--format {fmt} is for SELECT and ASK answers; use ttl, nt or jsonld for "
                                f"{kind}".encode())
                return
            send(out, b"H", json.dumps({"type": kind}).encode())
            counted = [0, False]

            def capped():
                for t in res:
                    if limit is not None and counted[0] >= limit:
                        counted[1] = True
                        return
                    counted[0] += 1
                    yield t

            rdf = {"nt": ox.RdfFormat.N_TRIPLES, "ttl": ox.RdfFormat.TURTLE, "jsonld": ox.RdfFormat.JSON_LD}
            ox.serialize(capped(), sink, rdf.get(fmt, ox.RdfFormat.N_TRIPLES),
                         prefixes=dict(_PREFIXES) if fmt == "ttl" else None)
            if counted[1]:
                sink.flush()
                send(out, b"T")
        else:
            if fmt in _GRAPH_FORMATS:
                send(out, b"E", f"--format {fmt} is for CONSTRUCT and DESCRIBE graphs; use json, xml, csv or tsv "
                                f"for SELECT".encode())
                return
            variables = list(res.variables)
            send(out, b"H", json.dumps({"type": "SELECT", "vars": [v.value for v in variables]}).encode())
            if limit is None:  # no cap to apply: pyoxigraph's own writer, streaming
                res.serialize(sink, {"json": ox.QueryResultsFormat.JSON, "xml": ox.QueryResultsFormat.XML,
                                     "csv": ox.QueryResultsFormat.CSV, "tsv": ox.QueryResultsFormat.TSV}[fmt])
            elif _solutions(res, variables, fmt, limit, sink):
                sink.flush()
                send(out, b"T")
        sink.flush()
    except Exception as exc:  # an evaluation error found while iterating
        sink.buf.clear()
        send(out, b"E", f"query failed: {' '.join(str(exc).split()) or type(exc).__name__}".encode())
        return
    send(out, b"Z")


def _read_exact(fh, n: int) -> bytes:
    data = fh.read(n)
    if len(data) != n:
        raise EOFError
    return data


def main(argv=None) -> None:
    """The worker's loop: ``python -m alignkg.workers STORE_DIR PARENT_PID LIFELINE_FD [CTL_FD SLOT_FD SETTINGS]``.

    With a control socket (a server's worker), the worker also takes connections lent to it
    (:mod:`alignkg.lane`) between queries.
    """
    argv = sys.argv[1:] if argv is None else argv
    path, parent, lifeline = argv[0], int(argv[1]), int(argv[2])
    _die_with_parent(parent, lifeline)
    import pyoxigraph as ox

    try:
        store = ox.Store.read_only(path)
    except OSError as exc:  # the store went away (the parent is ending): nothing to serve
        sys.stderr.write(f"alignkg worker: cannot open the store: {exc}\n")
        os._exit(3)
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    ctl = None
    if len(argv) > 3:
        import socket

        ctl = socket.socket(fileno=int(argv[3]))
        lane = [None, int(argv[4]), json.loads(argv[5])]
    send(stdout, b"Z")  # ready
    while True:
        if ctl is not None and stdin.fileno() not in select.select([stdin.fileno(), ctl], [], [])[0]:
            _lent(store, ctl, lane)
            continue
        try:
            size = struct.unpack(">I", _read_exact(stdin, 4))[0]
            request = json.loads(_read_exact(stdin, size))
        except (EOFError, OSError, ValueError):
            os._exit(0)
        answer(store, request, stdout)


def _lent(store, ctl, lane: list) -> None:
    """Read one message of the control socket: a connection lent (answered until it goes back), or a stale one."""
    import socket

    try:
        message, fds, _, _ = socket.recv_fds(ctl, 16, 1)
    except OSError:
        os._exit(0)
    if not message:
        os._exit(0)  # the server is gone
    if message != b"C" or not fds:  # a request to give back a connection this worker no longer has
        for fd in fds:
            os.close(fd)
        return
    if lane[0] is None:
        from .lane import Lane, Slot

        lane[0] = Lane(store, answer, Slot(lane[1]), lane[2])
    outcome = lane[0].serve(socket.socket(fileno=fds[0]), ctl)
    ctl.send(outcome)


# -- parent side ----------------------------------------------------------------


class WorkerError(Exception):
    """A query that failed in a worker, or a worker that died; the message says which."""


class Timeout(WorkerError):
    pass


class Worker:
    """One worker process and its pipes; with ``lane`` settings, a control socket and a slot to lend it connections."""

    def __init__(self, path: str, lane: dict | None = None):
        import subprocess

        read_end, self._lifeline = os.pipe()  # the write end stays here, never inherited
        argv = [sys.executable, "-c", _BOOT, _package_parent(), path, str(os.getpid()), str(read_end)]
        passed = [read_end]
        self.ctl = self.slot = None
        if lane is not None:
            import socket

            from .lane import Slot

            self.ctl, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            self.slot = Slot()
            argv += [str(theirs.fileno()), str(self.slot.fd), json.dumps(lane)]
            passed += [theirs.fileno(), self.slot.fd]
        try:
            self.proc = subprocess.Popen(
                argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, pass_fds=passed,
                # a worker that crashes (a Rust stack overflow on a deeply nested query) must not write
                # to the user's stderr: the parent reports it in one line
                stderr=None if os.environ.get("ALIGNKG_DEBUG") else subprocess.DEVNULL)
        finally:
            os.close(read_end)
            if lane is not None:
                theirs.close()
                os.close(self.slot.fd)  # the mapping stays
        self.fd = self.proc.stdout.fileno()
        self.buf = bytearray()
        self.prefixes = None
        self.lent = None  # the connection it answers, while lent
        self.killed = False
        self.asked = False  # asked to give it back

    def frames(self, deadline):
        """Yield ``(kind, payload)`` frames until ``Z``; raise :class:`Timeout` past ``deadline``."""
        while True:
            while len(self.buf) >= _HEAD.size:
                kind, size = _HEAD.unpack_from(self.buf)
                if len(self.buf) < _HEAD.size + size:
                    break
                payload = bytes(self.buf[_HEAD.size:_HEAD.size + size])
                del self.buf[:_HEAD.size + size]
                yield kind, payload
                if kind in (b"Z", b"E"):
                    return
            wait = None if deadline is None else deadline - time.monotonic()
            if wait is not None and wait <= 0:
                raise Timeout("timeout")
            ready, _, _ = select.select([self.fd], [], [], wait)
            if not ready:
                raise Timeout("timeout")
            data = os.read(self.fd, 1 << 20)
            if not data:
                raise WorkerError("the query process ended without an answer")
            self.buf += data

    def request(self, payload: dict) -> None:
        if payload.get("prefixes") == self.prefixes:
            payload = {k: v for k, v in payload.items() if k != "prefixes"}  # the worker has them
        else:
            self.prefixes = payload.get("prefixes")
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8", "surrogatepass")
        self.proc.stdin.write(struct.pack(">I", len(body)) + body)
        self.proc.stdin.flush()

    def kill(self) -> int | None:
        """Kill the process and close its pipes (once); the final stage of its slot (see :mod:`alignkg.lane`), if any."""
        if self.killed:
            return None
        self.killed = True
        try:
            self.proc.kill()
        except OSError:
            pass
        for fh in (self.proc.stdin, self.proc.stdout, self.ctl):
            if fh is None:
                continue
            try:
                fh.close()
            except OSError:
                pass
        try:
            os.close(self._lifeline)
        except OSError:
            pass
        self.proc.wait()
        if self.slot is None:
            return None
        stage = self.slot.get()[1]  # final: the process is gone
        self.slot.map.close()
        return stage


def _package_parent() -> str:
    """Where the worker finds this very package, installed or run from a source checkout."""
    return os.path.dirname(os.path.abspath(__file__))


# The worker loads this very package under its name, from this file's folder (a source
# checkout may not have ``alignkg`` importable, and an installed one may be another copy).
_BOOT = ("import importlib.util as u, sys; d = sys.argv.pop(1); "
         "s = u.spec_from_file_location('alignkg', d + '/__init__.py', submodule_search_locations=[d]); "
         "m = sys.modules['alignkg'] = u.module_from_spec(s); s.loader.exec_module(m); "
         "from alignkg import workers; workers.main(sys.argv[1:])")


class Pool:
    """``size`` workers on the store at ``path``; :meth:`run` sends one query with a deadline.

    At most ``size`` queries run at once; further callers wait for a free
    worker (the wait counts against their timeout). A worker that times out or
    dies is killed and replaced by the pool's own spawner thread.

    With ``lane`` settings (a server's pool, see :mod:`alignkg.lane`), :meth:`lend`
    gives a connection to an idle worker, which answers it until it gives it back;
    a watcher thread takes connections back, stops a lent worker past its deadline,
    and asks lent workers to give their connections back when a query waits for one.
    """

    def __init__(self, path: str, size: int = 1, lane: dict | None = None):
        import queue
        import threading

        self.path, self.size, self.lane = str(path), size, lane
        self.idle: queue.LifoQueue = queue.LifoQueue()  # the worker that answered last (warm caches) goes first
        self._spawn: queue.Queue = queue.Queue()
        self._closed = False
        self.failures, self.broken = 0, None
        self._workers: set = set()
        self._lent: dict = {}  # worker -> the server's callback for its connection
        self._lock = threading.Lock()
        self.full = threading.Event()  # set once all ``size`` workers first run
        self._spawner = threading.Thread(target=self._spawn_loop, daemon=True, name="alignkg-workers")
        self._spawner.start()
        for _ in range(size):
            self._spawn.put(1)
        if lane is not None:
            self._wake = os.pipe()
            threading.Thread(target=self._watch_loop, daemon=True, name="alignkg-lanes").start()
        import atexit

        atexit.register(self.close)

    # -- lent connections --------------------------------------------------------

    def lend(self, conn, back) -> bool:
        """Give ``conn`` to an idle worker if there is one; False when none is idle (the caller serves it).

        ``back(conn, keep, error)`` is called (from the watcher thread) when the connection
        comes back: ``keep`` whether it is still open for more requests, ``error`` the
        :class:`WorkerError` of a query the worker could not finish (a :class:`Timeout`, or the
        worker died), which the caller answers before serving the connection on.
        """
        import queue
        import socket

        if self.lane is None or self._closed:
            return False
        try:
            worker = self.idle.get_nowait()
        except queue.Empty:
            return False
        try:
            socket.send_fds(worker.ctl, [b"C"], [conn.fileno()])
        except OSError:  # the worker died while idle
            self._replace(worker)
            return False
        worker.lent, worker.asked = conn, False
        with self._lock:
            self._lent[worker] = back
            if not self._closed:  # the pipe's write end is closed with the pool
                os.write(self._wake[1], b"w")
        return True

    def _watch_loop(self):
        wake = self._wake[0]
        while not self._closed:
            with self._lock:
                lent = list(self._lent)
            try:
                ready = select.select([wake] + [w.ctl for w in lent], [], [], 0.05 if lent else None)[0]
            except (OSError, ValueError):  # a worker closed meanwhile (the pool is closing)
                continue
            if wake in ready:
                os.read(wake, 4096)
            now = time.monotonic()
            for worker in lent:
                try:
                    self._watch(worker, worker.ctl in ready, now)
                except Exception:  # never let one worker stop the watcher (and with it every timeout)
                    pass
        os.close(wake)  # the read end is this thread's; close() closes the write end

    def _watch(self, worker, readable: bool, now: float) -> None:
        """One lent worker: its connection back (``R``, ``F``), dead, or past its deadline."""
        if readable:
            try:
                message = worker.ctl.recv(16)
            except OSError:
                message = b""
            if message in (b"R", b"F"):
                self._returned(worker, message == b"R")
                self.idle.put(worker)
                return
            if not message:  # the worker died
                self._stopped(worker)
                return
        deadline, stage = worker.slot.get()
        if stage and deadline <= now:
            self._stopped(worker)

    def _returned(self, worker, keep: bool, error: str | None = None) -> None:
        with self._lock:
            back = self._lent.pop(worker, None)
        conn, worker.lent = worker.lent, None
        if back is not None:
            back(conn, keep, error)

    def _stopped(self, worker) -> None:
        """A lent worker past its deadline (or dead): killed and replaced; the server answers for it."""
        from .lane import IDLE, RUNNING

        past = worker.slot.get()[0] <= time.monotonic()
        stage = self._replace(worker)
        error = None
        if stage == RUNNING:
            error = Timeout("timeout") if past else WorkerError("the query process ended without an answer")
        self._returned(worker, stage in (IDLE, RUNNING), error)

    def _replace(self, worker):
        """Kill a worker and start another in its place; the worker's final stage (:meth:`Worker.kill`)."""
        stage = worker.kill()
        with self._lock:
            self._workers.discard(worker)
        self._spawn.put(1)
        return stage

    def _reclaim(self) -> None:
        """Ask every lent worker to give its connection back (a query waits for a worker), once per lending."""
        import socket

        with self._lock:
            lent = [w for w in self._lent if not w.asked]
            for worker in lent:
                worker.asked = True
        for worker in lent:
            try:
                worker.ctl.send(b"Y", socket.MSG_DONTWAIT)
            except OSError:  # full or gone: the watcher learns which
                pass

    def _spawn_loop(self):
        while True:
            if self._spawn.get() is None:
                return
            if self._closed:
                continue
            import time

            w = None
            try:
                w = Worker(self.path, self.lane)
                for kind, _ in w.frames(time.monotonic() + 60):  # wait for "ready"
                    pass
                self.failures = 0
            except Exception as exc:
                if w is not None:
                    w.kill()
                if self._closed:
                    continue
                self.failures += 1
                if self.failures >= 3:  # callers stop waiting and say why
                    self.broken = f"the query process cannot start ({exc or type(exc).__name__})"
                time.sleep(0.5)
                self._spawn.put(1)
                continue
            with self._lock:
                self._workers.add(w)
                if len(self._workers) >= self.size:
                    self.full.set()
            self.idle.put(w)

    def run(self, payload: dict, timeout: float | None):
        """Yield the frames of one answer; the deadline covers waiting for a worker, parsing and evaluation."""
        import queue

        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            if self.broken:
                raise WorkerError(self.broken)
            wait = 0.5 if deadline is None else min(0.5, deadline - time.monotonic())
            if wait <= 0:
                raise Timeout("timeout")
            if self._lent and self.idle.empty():
                self._reclaim()
            try:
                worker = self.idle.get(timeout=wait)
                break
            except queue.Empty:
                continue
        ok = False
        try:
            worker.request(payload)
            for kind, data in worker.frames(deadline):
                if kind in (b"Z", b"E"):
                    ok = True  # the worker is free again, even if the reader stops here
                yield kind, data
        except OSError:
            raise WorkerError("the query process ended without an answer") from None
        finally:
            if ok:
                self.idle.put(worker)
            else:  # stopped early: timed out, died, or the reader went away mid-answer
                self._replace(worker)

    def close(self):
        with self._lock:
            closing, self._closed = not self._closed, True
            if closing and self.lane is not None:  # wake the watcher, which then ends
                os.write(self._wake[1], b"w")
                os.close(self._wake[1])
        self._spawn.put(None)
        with self._lock:
            workers = list(self._workers)
            self._workers.clear()
        for w in workers:
            w.kill()
        with self._lock:
            lent = list(self._lent)
        for w in lent:
            self._returned(w, False)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


if __name__ == "__main__":
    main()
