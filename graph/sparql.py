"""Run user SPARQL safely on the local graph, with pyoxigraph as the engine.

Queries are checked before anything runs (:func:`check`): a small SPARQL
lexer (strings, IRIs and comments skipped, so the words inside them do not
count) refuses ``SERVICE`` anywhere (nested sub-queries included), ``FROM`` /
``FROM NAMED`` and every update form. Only ``Store.query`` of pyoxigraph ever
sees the text, so an update could not run even if it got past the check.

The usual prefixes (:data:`alignkg.namespace.PREFIXES`) are bound.
Parameters are bound the same way on every engine (:func:`bind`): each is
turned into an RDF term, written by :func:`term_text` in N-Triples syntax
(checked, escaped) and substituted for the variable's tokens in the query,
so the local engine and any remote endpoint run the very same query text.

Queries run in worker processes (:mod:`alignkg.workers`) with a hard timeout
that covers parsing and evaluation; large answers stream. A process's first
query runs in a child forked from it (:func:`runner`), later ones in a pool of
workers it keeps: a command line then pays for no second interpreter.
"""

from __future__ import annotations

import re
import sys
from contextlib import contextmanager

from .errors import QueryError

MAX_QUERY = 100_000
#: :data:`alignkg.namespace.PREFIXES` as plain strings, so that a query's way from the command line
#: to the engine imports no rdflib (tests/test_sparql.py checks the two tables agree)
PREFIX_IRIS = {
    "akg": "https://w3id.org/alignkg#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "prov": "http://www.w3.org/ns/prov#",
    "sh": "http://www.w3.org/ns/shacl#",
}
#: The lexer's regexes are compiled on first use (:func:`_compiled`), not at import: a query's
#: process starts before they are needed (see :func:`fork_ahead`).
_UPDATE = (r"^\s*(?:(?:#[^\n]*\n|PREFIX\s+\S*\s*<[^>]*>|BASE\s*<[^>]*>)\s*)*"
           r"(INSERT|DELETE|LOAD|CLEAR|DROP|CREATE|ADD|MOVE|COPY|WITH)\b", re.IGNORECASE)


_COMPILED: dict = {}


def _compiled(source: tuple):
    """``re.compile(*source)``, compiled once per process.

    >>> _compiled(("a+", 0)).match("aa").group()
    'aa'
    """
    pattern = _COMPILED.get(source)
    if pattern is None:
        pattern = _COMPILED[source] = re.compile(*source)
    return pattern


def query_text(query: str | None, query_file: str | None) -> str:
    """The query from the argument, ``--file`` or stdin (exactly one of them)."""
    if query and query_file:
        raise QueryError("give the query either as an argument or with --file, not both")
    if query_file:
        if query_file == "-":
            return sys.stdin.read()
        from .parse import decode, read_bytes

        return decode(query_file, read_bytes(query_file))
    if query is None:
        if sys.stdin is None or sys.stdin.isatty():
            raise QueryError("no query: give it as an argument, with --file FILE, or on stdin")
        return sys.stdin.read()
    return query


def _name_class(members: str) -> str:
    """The regex class of ``members`` (characters below U+00C0) and of U+00C0-U+FFFF, as its complement.

    Both forms match the same characters; the complement, written as runs, compiles in a fraction
    of the time (Python builds a bitmap of every character of a range up to U+FFFF), which every
    query's command line pays once.

    >>> import re
    >>> c = re.compile(_name_class("ab"))
    >>> [bool(c.match(x)) for x in "ab\u00c0\uffffc\u00b6\U00010000"]
    [True, True, True, True, False, False, False]
    """
    skip, start = [], None  # runs of the characters below U+00C0 that are not members, as ranges
    for i in range(0xC1):
        if i < 0xC0 and chr(i) not in members:
            start = i if start is None else start
        elif start is not None:
            skip.append(f"\\x{start:02x}" if start == i - 1 else f"\\x{start:02x}-\\x{i - 1:02x}")
            start = None
    return f"[^{''.join(skip)}\\U00010000-\\U0010FFFF]"


_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_DIGITS = "0123456789"
# SPARQL's name characters, as [0-9A-Za-z_\u00B7\u00C0-\uFFFF] and so on (tests/test_sparql.py checks each)
_VAR_CHAR = _name_class(_DIGITS + _LETTERS + "_\u00b7")
_BNODE_CHAR = _name_class(_DIGITS + _LETTERS + "_-.\u00b7")
_PREFIX_START = _name_class(_LETTERS)
_LOCAL_CHAR = _name_class(_DIGITS + _LETTERS + "_:-.\u00b7")

_TOKEN = (r"""
    (?P<ws>\s+)
  | (?P<comment>\#[^\n\r]*)
  | (?P<string>\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"|'''(?:[^'\\]|\\.|'(?!''))*'''
              |"(?:[^"\\\n\r]|\\.)*"|'(?:[^'\\\n\r]|\\.)*')
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<var>[?$]""" + _VAR_CHAR + r"""+)
  | (?P<lang>@[A-Za-z]+(?:-[A-Za-z0-9]+)*)
  | (?P<bnode>_:""" + _BNODE_CHAR + r"""*)
  | (?P<pname>(?:""" + _PREFIX_START + _BNODE_CHAR + r"""*)?:(?:""" + _LOCAL_CHAR + r"""|%[0-9A-Fa-f]{2}|\\.)*)
  | (?P<word>[A-Za-z_][0-9A-Za-z_]*)
  | (?P<number>[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?|\.[0-9]+(?:[eE][+-]?[0-9]+)?)
  | (?P<punct>\^\^|&&|\|\||!=|<=|>=|.)
""", re.VERBOSE | re.DOTALL)

_QUERY_FORMS = {"SELECT": "SELECT", "ASK": "ASK", "CONSTRUCT": "CONSTRUCT", "DESCRIBE": "DESCRIBE"}
_UPDATE_WORDS = {"INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH"}


def tokens(text: str):
    """The tokens of a SPARQL text as ``(kind, text)`` pairs (whitespace and comments included).

    Linear in the length of the text (no backtracking parser), so it is safe to
    run before any time limit applies.

    >>> [t for t in tokens('SELECT ?x { ?x rdfs:label "SERVICE" }') if t[0] != "ws"][:4]
    [('word', 'SELECT'), ('var', '?x'), ('punct', '{'), ('var', '?x')]
    """
    for m in _compiled(_TOKEN).finditer(text):
        yield m.lastgroup, m.group()


def check(text: str) -> str:
    """Check a query before it runs; its form (SELECT, ASK, CONSTRUCT or DESCRIBE).

    Refuses an empty or too long text, updates, ``SERVICE`` and ``FROM`` with a
    :class:`QueryError`. Syntax is checked by the engine itself, inside the
    time limit.

    >>> check("PREFIX x: <urn:x#> SELECT * { ?s x:service ?o }")
    'SELECT'
    >>> check("SELECT * { SERVICE <http://example.org/> { ?s ?p ?o } }")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    ...
    alignkg.errors.QueryError: SERVICE is not allowed: alignkg queries only the local graph
    """
    form = _CHECKED.get(text)
    if form is not None:  # the same text was checked before (a server asked it again, open_stream after the caller)
        return form
    if len(text) > MAX_QUERY:
        raise QueryError(f"query too long ({len(text)} characters; at most {MAX_QUERY})")
    if not text.strip():
        raise QueryError("empty query")
    form = None
    for kind, tok in tokens(text):
        if kind != "word":
            continue
        word = tok.upper()
        if form is None:
            if word in _UPDATE_WORDS:
                raise QueryError("updates (INSERT, DELETE, LOAD, CLEAR, ...) are not allowed: alignkg is read-only")
            if word in _QUERY_FORMS:
                form = _QUERY_FORMS[word]
        if word == "SERVICE":
            raise QueryError("SERVICE is not allowed: alignkg queries only the local graph")
        if word == "FROM":
            raise QueryError("FROM / FROM NAMED are not allowed: add files with --data instead")
    if form is None and _compiled(_UPDATE).match(text):
        raise QueryError("updates (INSERT, DELETE, LOAD, CLEAR, ...) are not allowed: alignkg is read-only")
    form = form or "SELECT"
    if len(text) <= _CHECKED_TEXT:  # only accepted texts are kept: a refusal is always re-checked
        if len(_CHECKED) >= _CHECKED_MAX:
            _CHECKED.clear()
        _CHECKED[text] = form
    return form


#: Accepted query texts of at most _CHECKED_TEXT characters and their forms (at most _CHECKED_MAX of them).
_CHECKED: dict = {}
_CHECKED_TEXT, _CHECKED_MAX = 4096, 1024


def prepare(text: str) -> str:
    """Check a query (see :func:`check`) and return its text, ready for :func:`execute`."""
    check(text)
    return text


_IRI_OK = re.compile(r'[^<>"{}|^`\\\x00-\x20]*\Z')
_LANG_OK = re.compile(r"[A-Za-z]+(?:-[A-Za-z0-9]+)*\Z")
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}


def _iri_text(value: str) -> str:
    if not _IRI_OK.match(value):
        raise QueryError(f"not a valid IRI for a parameter: {value!r}")
    return f"<{value}>"


def term_text(term) -> str:
    """An RDF term (rdflib or pyoxigraph) in SPARQL/N-Triples syntax, checked and escaped.

    >>> from rdflib import Literal, URIRef
    >>> term_text(Literal('say "hi"\\n'))
    '"say \\\\"hi\\\\"\\\\n"'
    >>> term_text(URIRef("urn:a b"))  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    ...
    alignkg.errors.QueryError: not a valid IRI for a parameter: 'urn:a b'
    """
    name = type(term).__name__
    if name in ("URIRef", "NamedNode"):
        return _iri_text(str(term) if name == "URIRef" else term.value)
    if name in ("Literal",):
        value = term.value if hasattr(term, "datatype") and not hasattr(term, "toPython") else str(term)
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise QueryError(f"a parameter holds text that is not valid Unicode: {value!r}") from None
        text = '"' + "".join(_ESCAPES.get(c, c) for c in value) + '"'
        lang = getattr(term, "language", None)
        datatype = getattr(term, "datatype", None)
        if lang:
            if not _LANG_OK.match(lang):
                raise QueryError(f"not a valid language tag for a parameter: {lang!r}")
            return f"{text}@{lang}"
        if datatype is not None:
            dt = str(datatype) if isinstance(datatype, str) else datatype.value
            if dt != "http://www.w3.org/2001/XMLSchema#string":
                return f"{text}^^{_iri_text(dt)}"
        return text
    raise QueryError(f"a parameter must be an IRI or a literal, not {name}")


def bind(text: str, bindings: dict | None) -> str:
    """Substitute parameters (variable name -> RDF term) into a query, as terms.

    Every token ``?name`` / ``$name`` of a bound variable becomes the term
    (:func:`term_text`); in a SELECT projection it becomes ``(term AS ?name)``
    so the column stays, and in GROUP BY / ORDER BY ``(term)``. A query that
    binds the variable itself (``AS ?name``, ``VALUES ?name``) is refused. The
    text of the values never becomes query syntax: a term is one token.

    >>> from rdflib import URIRef
    >>> bind("SELECT ?x ?t WHERE { ?x ?p ?t }", {"t": URIRef("urn:a")})
    'SELECT ?x (<urn:a> AS ?t) WHERE { ?x ?p <urn:a> }'
    """
    if not bindings:
        return text
    terms = {str(k).lstrip("?$"): term_text(v) for k, v in bindings.items()}
    out = []
    depth = 0
    projection = None  # paren depth of the SELECT clause being read
    ordering = None    # paren depth of a GROUP BY / ORDER BY clause being read
    values = False
    previous = ""
    for kind, tok in tokens(text):
        if kind in ("ws", "comment"):
            out.append(tok)
            continue
        upper = tok.upper() if kind == "word" else ""
        if kind == "punct" and tok == "(":
            depth += 1
        elif kind == "punct" and tok == ")":
            depth -= 1
        elif kind == "punct" and tok in "{}":
            projection = ordering = None
            values = False
        elif upper == "SELECT":
            projection = depth
        elif upper in ("WHERE", "FROM"):
            projection = None
        elif upper == "BY" and previous in ("GROUP", "ORDER"):
            ordering = depth
        elif upper in ("HAVING", "LIMIT", "OFFSET"):
            ordering = None
        elif upper == "VALUES":
            values = True
            ordering = None
        if kind == "var" and tok[1:] in terms:
            name, term = tok[1:], terms[tok[1:]]
            if previous == "AS" or values:
                raise QueryError(f"the query binds ?{name} itself, so it cannot be given as a parameter")
            if projection is not None and depth == projection:
                tok = f"({term} AS ?{name})"
            elif ordering is not None and depth == ordering:
                tok = f"({term})"
            else:
                tok = term
        out.append(tok)
        previous = upper or tok
    return "".join(out)


DEFAULT_TIMEOUT = 30.0
#: Output formats of SELECT/ASK answers, and of CONSTRUCT/DESCRIBE graphs.
RESULT_FORMATS = ("table", "json", "csv", "tsv", "xml", "markdown")
GRAPH_FORMATS = ("table", "json", "csv", "markdown", "ttl", "nt", "jsonld")
_SERIALIZERS = {"ttl": "turtle", "nt": "nt", "jsonld": "json-ld"}


class Answer:
    """A query answer as plain picklable data: ``type`` is SELECT, ASK, CONSTRUCT or DESCRIBE."""

    def __init__(self, type_, vars_=(), rows=(), boolean=None, triples=(), truncated=False):
        self.type, self.vars, self.rows = type_, list(vars_), list(rows)
        self.boolean, self.triples, self.truncated = boolean, list(triples), truncated


# -- the engine ---------------------------------------------------------------------

def ox_store(graph, directory=None):
    """A pyoxigraph store (on disk in ``directory``, else in memory) holding an rdflib graph's triples.

    Terms that Oxigraph refuses (a bad IRI or language tag) are left out: they could
    not be queried anyway.

    >>> from rdflib import Graph, URIRef
    >>> g = Graph(); g.add((URIRef("urn:a"), URIRef("urn:b"), URIRef("urn:c")))
    <Graph identifier=... (<class 'rdflib.graph.Graph'>)>
    >>> len(ox_store(g))
    1
    """
    import pyoxigraph as ox
    from rdflib import BNode, Literal, URIRef

    blank = {}  # rdflib's blank-node ids need not be valid Oxigraph ids (Virtuoso's 'nodeID://b1'): fresh ones

    def term(t):
        if isinstance(t, URIRef):
            return ox.NamedNode(str(t))
        if isinstance(t, BNode):
            node = blank.get(t)
            if node is None:
                node = blank[t] = ox.BlankNode()
            return node
        if isinstance(t, Literal):
            if t.language:
                return ox.Literal(str(t), language=t.language)
            return ox.Literal(str(t), datatype=ox.NamedNode(str(t.datatype)) if t.datatype else None)
        raise ValueError(type(t).__name__)

    def quads():
        for s, p, o in graph:
            try:
                yield ox.Quad(term(s), term(p), term(o))
            except (ValueError, TypeError):
                continue

    store = ox.Store(directory) if directory else ox.Store()
    store.bulk_extend(quads())
    return store


_BRIDGES: dict = {}


def _store_dir(source) -> str:
    """The directory of an on-disk pyoxigraph store holding ``source``'s graph.

    ``source`` is a :class:`alignkg.store.Store` (its ``ox_path`` when it has one)
    or a bare rdflib graph, which is written once into a private temporary
    pyoxigraph store, removed at exit.
    """
    path = getattr(source, "ox_path", None)
    if path:
        return str(path)
    key = getattr(source, "key", None)  # a Store's key: a hash of its inputs' contents
    if key is not None and key in _BRIDGES:
        return _BRIDGES[key][1]
    graph = getattr(source, "rdf", source)
    if key is None:
        key = id(graph)
        if key in _BRIDGES and _BRIDGES[key][0] is graph:
            return _BRIDGES[key][1]
    from .store import cache_dir, temporary_dir

    parent = cache_dir()  # beside the cache when there is one
    try:
        if parent is not None:
            parent.mkdir(parents=True, exist_ok=True)
        directory = str(temporary_dir("alignkg-ox-", parent))
    except OSError:
        directory = str(temporary_dir("alignkg-ox-"))
    store = ox_store(graph, directory)
    store.flush()
    del store
    _BRIDGES[key] = (graph, directory)
    return directory


_POOLS: dict = {}
_MAX_POOLS = 4


def pool_for(source, size: int = 1):
    """The worker pool of ``source`` (created on first use, closed at exit)."""
    from .workers import Pool

    path = _store_dir(source)
    key = (path, size)
    if key in _POOLS:
        _POOLS[key] = _POOLS.pop(key)  # most recently used last
    else:
        while len(_POOLS) >= _MAX_POOLS:  # one process asking many stores (tests, notebooks) keeps a few
            _POOLS.pop(next(iter(_POOLS))).close()
        _POOLS[key] = Pool(path, size)
    return _POOLS[key]


class _Child:
    """One query in a child forked from this process, for a process that asks one query only.

    A pool's worker is a fresh interpreter that must start, import pyoxigraph and open the
    store before it reads the query, all after this process has done the same work of its own;
    a fork starts from this process as it is. It can start before the store is known
    (:func:`fork_ahead`): it imports pyoxigraph, then waits for the store's directory and opens
    it while this process still binds the query's parameters (:func:`engine`). It then reads
    the query from a pipe and runs the very code of a worker (:func:`alignkg.workers.answer`),
    writing the same frames to a pipe; the timeout is as hard (the child is killed at the
    deadline) and the child dies with this process like a worker (``PR_SET_PDEATHSIG`` and a
    lifeline pipe). A child that is sent no query ends when its pipe closes (:meth:`close`, or
    this process's end). Each query gets a child of its own.
    """

    def __init__(self, path: str | None = None, data=None):
        self.path, self.data = path, data
        self.pid = None

    def start(self, path: str | None = None) -> "_Child":
        """Fork the child unless it runs; send it the store's directory ``path`` once it is known."""
        import os
        import struct

        if path is not None:
            self.path = path
        if self.pid is None:
            self._fork()
        if self.path is not None and not self._told:
            name = os.fsencode(self.path)
            _send_all(self._request, struct.pack(">I", len(name)) + name, None)
            self._told = True
        return self

    def _fork(self) -> None:
        import os

        from . import workers

        self._results, write_end = os.pipe()
        request_read, self._request = os.pipe()
        lifeline_read, self._lifeline = os.pipe()
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:  # the child: answer, then leave without running any of the parent's exit code
            code = 3
            try:
                for fd in (self._results, self._request, self._lifeline):
                    os.close(fd)
                if not os.environ.get("ALIGNKG_DEBUG"):  # as a worker's: a crash must not write to the user's
                    os.dup2(os.open(os.devnull, os.O_WRONLY), 2)  # stderr; the parent reports it in one line
                store, opened = _early_store(self.data)  # first: the watch on the parent costs 2.5 ms (ctypes)
                workers._die_with_parent(parent, lifeline_read)  # an orphan then ends at once
                import json
                import struct

                with open(request_read, "rb") as requests:  # the store's directory, then the query
                    head = requests.read(4)
                    if len(head) == 4:
                        path = os.fsdecode(requests.read(struct.unpack(">I", head)[0]))
                        if opened is None or opened != _identity(path):
                            import pyoxigraph as ox

                            store = None  # a wrong guess is closed before the store is opened
                            store = ox.Store.read_only(path)
                        request = requests.read()
                        if request:  # else this process needed no answer after all
                            out = open(write_end, "wb")
                            workers.answer(store, json.loads(request.decode("utf-8", "surrogatepass")), out)
                            out.flush()
                code = 0
            finally:
                os._exit(code)
        self.pid, self._told = pid, False
        for fd in (write_end, request_read, lifeline_read):
            os.close(fd)

    def run(self, payload: dict, timeout: float | None):
        """Yield the frames of one answer, like :meth:`alignkg.workers.Pool.run`."""
        import json
        import os
        import time

        deadline = None if timeout is None else time.monotonic() + timeout
        self.start()
        # the process is this answer's from now on (stopped when it ends); the next run forks another
        pid, request, results, lifeline = self.pid, self._request, self._results, self._lifeline
        self.pid = self._request = self._results = self._lifeline = None
        done = False
        try:
            body = json.dumps(payload, ensure_ascii=False).encode("utf-8", "surrogatepass")
            _send_all(request, body, deadline)
            os.close(request)
            request = None
            reader = _FrameReader(results)
            for kind, data in reader.frames(deadline):
                if kind in (b"Z", b"E"):  # the last frame: the child is ending; reaped before the caller
                    done = True           # reads it, whether or not it reads on (an error stops it)
                    _end(pid, False, results, lifeline)
                yield kind, data
        finally:
            if not done:  # timed out, died, or left mid-answer: killed
                _end(pid, True, request, results, lifeline)

    def close(self) -> None:
        """Stop the child if no run took it (one that was sent no query)."""
        if self.pid is not None:
            _end(self.pid, True, self._request, self._results, self._lifeline)
            self.pid = self._request = self._results = self._lifeline = None


def _early_store(data):
    """In a query's process forked before its store is known: the store the same ``--data`` files used
    last (:func:`alignkg.cachedir.recent_store`), opened now, and its identity; ``(None, None)`` when
    there is no guess (``data`` None: the caller did not say) or it does not open. Imports pyoxigraph."""
    import pyoxigraph as ox

    if data is None:
        return None, None
    from .cachedir import recent_store

    guess = recent_store(data)
    if guess is None:
        return None, None
    try:
        opened = _identity(guess)
        return ox.Store.read_only(guess), opened
    except Exception:  # noqa: BLE001 - any failure only means no early store; the right one opens later
        return None, None


def _identity(path: str):
    """A directory as itself: its path, device and inode (an entry rebuilt under the same name is another)."""
    import os

    try:
        st = os.stat(path)
    except OSError:
        return None
    return path, st.st_dev, st.st_ino


def _end(pid: int, kill: bool, *fds) -> None:
    """Reap the child ``pid`` (killed first if ``kill``) and close its pipes ``fds`` (None: closed already)."""
    import os

    if kill:
        import signal

        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    os.waitpid(pid, 0)
    for fd in fds:
        if fd is not None:
            os.close(fd)


def _send_all(fd: int, data: bytes, deadline) -> None:
    """Write ``data`` to the pipe ``fd`` by ``deadline`` (:class:`alignkg.workers.Timeout` past it); a reader
    that has gone is not an error here (its frames say what happened)."""
    import os
    import select
    import time

    from .workers import Timeout

    os.set_blocking(fd, False)
    view = memoryview(data)
    while view:
        wait = None if deadline is None else deadline - time.monotonic()
        if wait is not None and wait <= 0:
            raise Timeout("timeout")
        if not select.select([], [fd], [], wait)[1]:
            raise Timeout("timeout")
        try:
            view = view[os.write(fd, view):]
        except BlockingIOError:
            continue
        except BrokenPipeError:
            return


class _FrameReader:
    """Reads a worker's frames from a pipe (the reading code of :class:`alignkg.workers.Worker`)."""

    def __init__(self, fd: int):
        self.fd, self.buf = fd, bytearray()

    def frames(self, deadline):
        """Yield ``(kind, payload)`` frames until ``Z`` or ``E``; :class:`alignkg.workers.Timeout` past ``deadline``."""
        from .workers import Worker

        return Worker.frames(self, deadline)


_ASKED = [0]  # queries this process has started through runner()
_SPARE: list = []  # a child forked before the store was known (fork_ahead), for the first query


def _forks() -> bool:
    """Whether this process's next query runs in a forked child: its first, single-threaded, on Linux."""
    return (_ASKED[0] == 0 and not _POOLS and sys.platform.startswith("linux")
            and ("threading" not in sys.modules or sys.modules["threading"].active_count() == 1))


def fork_ahead(data=None) -> None:
    """Fork the child that will run this process's first query (:class:`_Child`) now.

    A command that is about to ask a query calls this first thing: the child imports
    pyoxigraph while the command parses its arguments and finds the store, then opens the
    store while it binds the parameters, so that the query starts as soon as its text is
    ready. Given the command's ``--data`` files ``data``, the child opens at once the store
    they used last (:mod:`alignkg.cachedir`), and keeps it if the command then names that very
    directory. Nothing happens for a process that has asked before, runs threads, or is not on
    Linux; a child that is sent no query ends with this process (or at :func:`runner`).
    """
    if _forks() and not _SPARE:
        _SPARE.append(_Child(data=data).start())


def release() -> None:
    """Stop the child :func:`fork_ahead` forked if no query took it (``query --list``, ``--endpoint``)."""
    while _SPARE:
        _SPARE.pop().close()


def runner(source):
    """What runs a query of ``source`` when the caller brings no pool: a :class:`_Child` or a pool.

    The first query of a single-threaded process on Linux runs in a forked child
    (:class:`_Child`, the one :func:`fork_ahead` forked if it did): a command line asks one query,
    and a pool's fresh interpreter would cost more than the query itself on a warm store. From
    the second query on, or with threads about (a server), the process gets a pool of workers
    (:func:`pool_for`) that it reuses.
    """
    forks = _forks()
    _ASKED[0] += 1
    spare = _SPARE.pop() if _SPARE else None
    if forks:
        path = _store_dir(source)
        return spare.start(path) if spare is not None else _Child(path)
    if spare is not None:
        spare.close()
    return pool_for(source)


@contextmanager
def engine(source):
    """What runs the next query of ``source`` (:func:`runner`), started at once.

    A command line's forked child (:class:`_Child`) then opens the store while the command
    resolves and binds the query's parameters, instead of after; pass it as ``pool`` to
    :func:`open_stream` or :func:`execute`. A child that was sent no query (the parameters
    were wrong) is stopped on leaving.

    >>> from alignkg.store import Store
    >>> with engine(Store()) as run:  # doctest: +SKIP
    ...     print(execute(Store(), "ASK {}", pool=run).boolean)
    False
    """
    run = runner(source)
    if isinstance(run, _Child):
        run.start()
    try:
        yield run
    finally:
        if isinstance(run, _Child):
            run.close()


def new_pool(source, size: int = 1, lane: dict | None = None):
    """A pool of ``size`` workers of its own on ``source`` (the caller closes it); ``lane``: see :class:`~alignkg.workers.Pool`."""
    from .workers import Pool

    return Pool(_store_dir(source), size, lane)


def close_pools() -> None:
    """Stop every worker process of this process."""
    while _POOLS:
        _POOLS.popitem()[1].close()


# SPARQL XML is written by alignkg (graph/terms.py), which refuses what XML 1.0 cannot carry
_NATIVE = {("SELECT", "json"), ("SELECT", "csv"), ("SELECT", "tsv"),
           ("ASK", "json"), ("ASK", "tsv"),
           ("CONSTRUCT", "nt"), ("CONSTRUCT", "ttl"), ("CONSTRUCT", "jsonld"),
           ("DESCRIBE", "nt"), ("DESCRIBE", "ttl"), ("DESCRIBE", "jsonld")}


class Stream:
    """An answer on its way from a worker: ``type``, then the bytes (``chunks()``), then ``truncated``."""

    def __init__(self, frames, timeout: float | None = None):
        self._frames = frames
        self.timeout = timeout or 0.0  # for the message of a timeout, which may come before the head
        self.type = None
        self.vars = []
        self.truncated = False
        self._first = []
        for kind, payload in self._next():
            if kind == b"H":
                import json

                head = json.loads(payload)
                self.type, self.vars = head["type"], head.get("vars", [])
                break
            if kind == b"D":  # not expected before the head
                self._first.append(payload)

    def _next(self):
        from .workers import WorkerError

        try:
            for kind, payload in self._frames:
                if kind == b"E":
                    message = payload.decode("utf-8", "replace")
                    raise QueryError(syntax_message(message))
                if kind == b"T":
                    self.truncated = True
                    continue
                yield kind, payload
        except WorkerError as exc:
            raise failure(exc, self.timeout) from None

    timeout = 0.0

    def chunks(self):
        """The answer's bytes, as they come."""
        yield from self._first
        for kind, payload in self._next():
            if kind == b"D":
                yield payload

    def read(self) -> bytes:
        return b"".join(self.chunks())


def failure(exc, timeout: float) -> QueryError:
    """The :class:`QueryError` of a query a worker could not finish (:class:`alignkg.workers.WorkerError`)."""
    from .workers import Timeout

    if isinstance(exc, Timeout):
        return QueryError(f"query stopped after the {timeout:g} s timeout (raise it with --timeout)")
    return QueryError(f"query failed: {exc}")


_POSITION = re.compile(r"error at (\d+):(\d+): ?")


def syntax_message(message: str) -> str:
    """pyoxigraph's "error at L:C: ..." as "SPARQL syntax error at line L, column C: ..."."""
    m = _POSITION.search(message)
    if m:
        return f"SPARQL syntax error at line {m.group(1)}, column {m.group(2)}: {message[m.end():].strip()}"
    return message


def open_stream(source, text: str, bindings=None, *, fmt: str = "json", timeout=DEFAULT_TIMEOUT, limit=None,
                pool=None) -> Stream:
    """Start a query on ``source`` (a Store or an rdflib graph) and return its :class:`Stream`.

    ``fmt`` is a SPARQL results format (json, xml, csv, tsv) for SELECT/ASK or an
    RDF one (nt, ttl, jsonld) for CONSTRUCT/DESCRIBE. ``timeout`` (seconds, None
    for no limit) covers parsing and evaluation; ``limit`` caps rows or triples.
    """
    form = check(text)
    final = bind(text, bindings)
    if bindings:
        check(final)
    pool = pool or runner(source)
    payload = {"query": final, "format": fmt, "limit": limit, "kind": form, "prefixes": PREFIX_IRIS}
    return Stream(pool.run(payload, timeout), timeout)


def _to_rdflib(b):
    from rdflib import BNode, Literal, URIRef

    if b is None:
        return None
    if b["type"] == "uri":
        return URIRef(b["value"])
    if b["type"] == "bnode":
        return BNode(b["value"])
    return Literal(b["value"], lang=b.get("xml:lang"), datatype=b.get("datatype"))


def execute(source, text, bindings=None, *, timeout=DEFAULT_TIMEOUT, limit=None, pool=None) -> Answer:
    """Evaluate a query on ``source`` (a Store or an rdflib graph) in a worker process; an :class:`Answer`.

    The worker is killed when ``timeout`` seconds pass (None: no limit): a hard
    stop, whatever the engine is doing, parsing included. ``limit`` caps the
    rows (or triples) returned; the answer says whether it was truncated.
    """
    import json

    form = check(text)
    graph = form in ("CONSTRUCT", "DESCRIBE")
    stream = open_stream(source, text, bindings, fmt="nt" if graph else "json", timeout=timeout, limit=limit,
                         pool=pool)
    data = stream.read()
    if graph:
        from rdflib import Graph

        g = Graph().parse(data=data.decode("utf-8"), format="nt")
        return Answer(stream.type, triples=list(g), truncated=stream.truncated)
    doc = json.loads(data)
    if stream.type == "ASK":
        return Answer("ASK", boolean=bool(doc["boolean"]))
    from rdflib import Variable

    variables = [Variable(v) for v in doc["head"]["vars"]]
    rows = [tuple(_to_rdflib(b.get(str(v))) for v in variables) for b in doc["results"]["bindings"]]
    return Answer("SELECT", variables, rows, truncated=stream.truncated)


def run(source, text, bindings=None, *, timeout=DEFAULT_TIMEOUT, limit=None) -> "Result":
    """Evaluate a query and shape the answer as a :class:`Result` (see :func:`shape`)."""
    return shape(execute(source, text, bindings, timeout=timeout, limit=limit))


def native(form: str, fmt: str) -> bool:
    """Whether answers of this form in this format stream straight from the engine."""
    return (form, fmt) in _NATIVE


def serialize(answer: Answer, fmt: str) -> str:
    """The answer in a standard format: SPARQL 1.1 results (json, xml, csv, tsv) for
    SELECT/ASK, RDF (ttl, nt, jsonld) for CONSTRUCT/DESCRIBE; other formats go
    through :func:`shape` and :mod:`graph.output`."""
    from .output import render

    if answer.type in ("CONSTRUCT", "DESCRIBE"):
        if fmt in _SERIALIZERS:
            from rdflib import Graph

            from .namespace import PREFIXES

            g = Graph()
            for prefix, ns in PREFIXES.items():
                g.bind(prefix, ns, override=True)
            for t in answer.triples:
                g.add(t)
            from .export import FORMATS as WRITERS  # the export's writers: deep lists, stable blank nodes

            return WRITERS[fmt][0](g)
        if fmt not in GRAPH_FORMATS:
            raise QueryError(f"--format {fmt} is for SELECT and ASK answers; use ttl, nt or jsonld for {answer.type}")
        return render(shape(answer), fmt)
    if fmt == "tsv":
        return _tsv(answer)
    if fmt == "xml":
        from .terms import sparql_xml  # rdflib's writer drops 0 and false, and loses carriage returns

        return sparql_xml(answer)
    if (fmt == "csv" and answer.type == "SELECT") or (fmt == "json" and answer.type == "ASK"):
        from rdflib.query import Result as RdflibResult

        res = RdflibResult(answer.type)
        if answer.type == "ASK":
            res.askAnswer = answer.boolean
        else:
            res.vars = answer.vars
            res.bindings = [{v: t for v, t in zip(answer.vars, row) if t is not None} for row in answer.rows]
        text = res.serialize(format=fmt)
        return text.decode("utf-8") if isinstance(text, bytes) else text
    if fmt in _SERIALIZERS:
        raise QueryError(f"--format {fmt} is for CONSTRUCT and DESCRIBE graphs; use json, xml, csv or tsv for {answer.type}")
    return render(shape(answer), fmt)


def _tsv(answer: Answer) -> str:
    """SPARQL 1.1 TSV: a header of ?variables, then terms in Turtle syntax, tabs and newlines escaped."""
    from .terms import nt_term

    if answer.type == "ASK":
        return "?_askResult\n" + ("true" if answer.boolean else "false") + "\n"
    lines = ["\t".join(f"?{v}" for v in answer.vars)]
    for row in answer.rows:
        cells = []
        for term in row:
            text = "" if term is None else nt_term(term)  # one line, never a """long string"""
            cells.append(text.replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r"))
        lines.append("\t".join(cells))
    return "\n".join(lines) + "\n"


def _value(term):
    return None if term is None else str(term)


def _term_json(term):
    from rdflib import BNode, Literal

    if isinstance(term, Literal):
        out = {"type": "literal", "value": str(term)}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype:
            out["datatype"] = str(term.datatype)
        return out
    if isinstance(term, BNode):
        return {"type": "bnode", "value": str(term)}
    return {"type": "uri", "value": str(term)}


def shape(answer: Answer) -> "Result":
    """Turn an :class:`Answer` into a :class:`Result` (JSON: SPARQL 1.1 Query Results JSON)."""
    from .output import Result

    if answer.type == "ASK":
        return Result([{"boolean": answer.boolean}], ["boolean"],
                      json_override={"head": {}, "boolean": answer.boolean})
    if answer.type in ("CONSTRUCT", "DESCRIBE"):
        rows = [{"subject": str(s), "predicate": str(p), "object": str(o)} for s, p, o in answer.triples]
        rows.sort(key=lambda r: (r["subject"], r["predicate"], r["object"]))
        return Result(rows, ["subject", "predicate", "object"])
    variables = [str(v) for v in answer.vars]
    rows, bindings = [], []
    for row in answer.rows:
        rows.append({v: _value(t) for v, t in zip(variables, row)})
        bindings.append({v: _term_json(t) for v, t in zip(variables, row) if t is not None})
    return Result(rows, variables, json_override={"head": {"vars": variables}, "results": {"bindings": bindings}})
