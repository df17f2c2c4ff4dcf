"""Named SPARQL queries: the .rq files of ``queries/`` and their metadata headers.

A named query starts with comment lines of the form ``# key: value``::

    # summary: one line
    # description: what it answers and how to read it
    # param: target (name, default: myopia) - what the parameter means
    # example: alignkg query direct-dependents --param target=HCH

Parameter types: ``name`` (resolved like a NAME on the command line, then
bound as an IRI), ``iri``, ``string``, ``integer``. Values are turned into
RDF terms and substituted for the variable by :func:`alignkg.sparql.bind`
(written and escaped as N-Triples terms, never pasted as user text), so the
local engine and every remote endpoint run the same query text;
tests/test_remote.py checks the answers agree on Oxigraph and Virtuoso.
"""

from __future__ import annotations

import re
from pathlib import Path

from . import QUERIES_DIR
from .errors import AlignKGError, QueryError

_HEADER = re.compile(r"^#\s*(\w+)\s*:\s*(.*)$")
_PARAM = re.compile(r"^(\w+)\s*\((\w+)(?:\s*,\s*default:\s*([^)]*))?\)\s*(?:[-—]+\s*(.*))?$")
TYPES = ("name", "iri", "string", "integer")


class _Record:
    """A plain record (no dataclasses: their import costs a query's command line 5 ms)."""

    __slots__ = ()

    def __eq__(self, other):
        return type(other) is type(self) and all(getattr(self, k) == getattr(other, k) for k in self.__slots__)

    def __repr__(self):
        return f"{type(self).__name__}({', '.join(f'{k}={getattr(self, k)!r}' for k in self.__slots__)})"

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__slots__}


class Param(_Record):
    """One ``# param:`` line of a named query."""

    __slots__ = ("name", "type", "default", "description")

    def __init__(self, name: str, type: str, default: str | None, description: str):
        self.name, self.type, self.default, self.description = name, type, default, description


class NamedQuery(_Record):
    """A named query: its file, its text and its metadata header."""

    __slots__ = ("name", "path", "text", "summary", "description", "example", "params")

    def __init__(self, name: str, path: Path, text: str, summary: str = "", description: str = "",
                 example: str = "", params: list | None = None):
        self.name, self.path, self.text = name, path, text
        self.summary, self.description, self.example = summary, description, example
        self.params = [] if params is None else params


def parse(path: Path) -> NamedQuery:
    """Read one .rq file and its header."""
    text = path.read_text(encoding="utf-8")
    q = NamedQuery(path.stem, path, text)
    last = None
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        m = _HEADER.match(line)
        if m:
            key, value = m.group(1).lower(), m.group(2).strip()
            if key == "param":
                pm = _PARAM.match(value)
                if not pm or pm.group(2) not in TYPES:
                    raise QueryError(f"{path}: bad param line {value!r}")
                q.params.append(Param(pm.group(1), pm.group(2), pm.group(3), pm.group(4) or ""))
            elif key in ("summary", "description", "example"):
                setattr(q, key, value)
            last = key
        elif last == "description":  # continuation lines
            q.description += " " + line.lstrip("#").strip()
    return q


def catalogue(directory: Path = QUERIES_DIR) -> dict:
    """Every named query, by name."""
    return {p.stem: parse(p) for p in sorted(directory.glob("*.rq"))}


def listing(directory: Path = QUERIES_DIR) -> "Result":
    from .output import Result

    rows = []
    for q in catalogue(directory).values():
        params = ", ".join(f"{p.name}={p.default}" if p.default else p.name for p in q.params)
        rows.append({"name": q.name, "summary": q.summary, "description": q.description, "params": params,
                     "parameters": [p.as_dict() for p in q.params], "example": q.example})
    return Result(rows, ["name", "params", "summary"])


def _parse_params(pairs) -> dict:
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise AlignKGError(f"bad --param {pair!r}: expected KEY=VALUE")
        out[key.strip()] = value
    return out


class _Names:
    """What :func:`alignkg.resolve.resolve` reads of a graph, with names looked up in the store's
    name index alone: the whole projection is read only for an ambiguous or unknown name, whose
    message lists labels. A query's parameters then cost one index lookup, not the projection."""

    def __init__(self, store, index):
        self._store, self.graph = store, {"_name_index": index}

    @property
    def nodes(self):
        return self._store.nx.nodes


def _name_graph(store):
    """The graph names resolve against: the name index alone when the store has one (see :class:`_Names`)."""
    index = getattr(store, "names", None)
    return store.nx if index is None else _Names(store, index)


def _term(make, value, what: str):
    """``make()``, an RDF term for a parameter, or a :class:`QueryError` saying ``what`` is wrong with ``value``.

    >>> import pyoxigraph as ox
    >>> _term(lambda: ox.NamedNode("urn:a"), "urn:a", "not a valid IRI")
    <NamedNode value=urn:a>
    >>> _term(lambda: ox.NamedNode("urn:a b"), "urn:a b", "not a valid IRI")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    ...
    alignkg.errors.QueryError: not a valid IRI for a parameter: 'urn:a b'
    """
    try:
        return make()
    except ValueError:  # pyoxigraph refuses it (a bad IRI, text that is not Unicode)
        raise QueryError(f"{what} for a parameter: {value!r}") from None


def bindings(store, q: NamedQuery, pairs) -> dict:
    """Turn ``--param`` values into RDF terms (pyoxigraph's; no rdflib on a query's way), by variable
    name, to bind with :func:`alignkg.sparql.bind`."""
    import pyoxigraph as ox

    from .resolve import resolve

    given = _parse_params(pairs)
    known = {p.name: p for p in q.params}
    unknown = sorted(set(given) - set(known))
    if unknown:
        raise AlignKGError(f"query {q.name!r} has no parameter {unknown[0]!r}; it takes: {', '.join(known) or 'none'}")
    out = {}
    for p in q.params:
        value = given.get(p.name, p.default)
        if value is None:
            raise AlignKGError(f"query {q.name!r} needs --param {p.name}=... ({p.description})")
        if p.type in ("name", "iri"):
            iri = resolve(_name_graph(store), value) if p.type == "name" else value
            term = _term(lambda: ox.NamedNode(iri), iri, "not a valid IRI")
        elif p.type == "integer":
            try:
                number = int(value)
            except ValueError:
                raise AlignKGError(f"--param {p.name}: {value!r} is not an integer") from None
            term = ox.Literal(str(number), datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer"))
        else:
            term = _term(lambda: ox.Literal(value), value, "text that is not valid Unicode")
        out[p.name] = term
    return out


def named(name: str) -> NamedQuery:
    """The named query ``name``, or an error listing the closest names."""
    import os

    file = f"{name}.rq"
    if not name.startswith(".") and file in os.listdir(QUERIES_DIR):  # one file read, not the whole gallery
        return parse(QUERIES_DIR / file)
    queries = catalogue()
    if name not in queries:
        import difflib

        close = difflib.get_close_matches(name, list(queries), n=3, cutoff=0.4)
        hint = f"; did you mean: {', '.join(close)}?" if close else "; see 'alignkg query --list'"
        raise AlignKGError(f"unknown query {name!r}{hint}")
    return queries[name]


def run_named(store, name: str, pairs=(), *, timeout=None, limit=None):
    """Run the named query ``name`` on the store's graph with bound parameters; an :class:`~graph.sparql.Answer`."""
    from .sparql import DEFAULT_TIMEOUT, execute

    q = named(name)
    return execute(store, q.text, bindings(store, q, pairs),
                   timeout=DEFAULT_TIMEOUT if timeout is None else timeout or None, limit=limit)


def run_remote(remote, name: str, pairs=(), *, limit=None):
    """Run the named query on a remote endpoint; ``name``-type parameters resolve against it."""
    from types import SimpleNamespace

    q = named(name)
    return remote.execute(q.text, bindings(SimpleNamespace(nx=remote.index()), q, pairs), limit=limit)
