"""Run user SPARQL safely on the local graph.

Queries are parsed with the usual prefixes bound (:data:`graph.namespace.PREFIXES`).
Anything that could reach outside the loaded data is refused before
evaluation: ``SERVICE`` anywhere in the algebra (nested sub-queries included)
and ``FROM`` / ``FROM NAMED`` (rdflib would fetch those IRIs). Updates cannot be
sent here at all: only the query grammar is accepted. Parameters are bound with
``initBindings``, never formatted into the text.
"""

from __future__ import annotations

import re
import sys
import threading

from .errors import QueryError
from .output import Result

MAX_QUERY = 100_000
_PARSER_LOCK = threading.Lock()
_UPDATE = re.compile(
    r"^\s*(?:(?:#[^\n]*\n|PREFIX\s+\S*\s*<[^>]*>|BASE\s*<[^>]*>)\s*)*"
    r"(INSERT|DELETE|LOAD|CLEAR|DROP|CREATE|ADD|MOVE|COPY|WITH)\b",
    re.IGNORECASE,
)


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


def _walk(node):
    """Yield every algebra node of a prepared query."""
    from rdflib.plugins.sparql.parserutils import CompValue

    stack = [node]
    seen = set()
    while stack:
        cur = stack.pop()
        if id(cur) in seen:
            continue
        seen.add(id(cur))
        if isinstance(cur, CompValue):
            yield cur
            stack.extend(cur.values())
        elif isinstance(cur, dict):
            stack.extend(cur.values())
        elif isinstance(cur, (list, tuple, set)):
            stack.extend(cur)


def prepare(text: str):
    """Parse and check a query; raise :class:`QueryError` with line and column."""
    import rdflib.plugins.sparql as rsparql
    from pyparsing import ParseException
    from rdflib.plugins.sparql import prepareQuery

    from .namespace import PREFIXES

    rsparql.SPARQL_LOAD_GRAPHS = False
    if len(text) > MAX_QUERY:
        raise QueryError(f"query too long ({len(text)} characters; at most {MAX_QUERY})")
    if not text.strip():
        raise QueryError("empty query")
    try:
        with _PARSER_LOCK:  # pyparsing, under rdflib's parser, is not thread-safe (found by the endpoint soak test)
            prepared = prepareQuery(text, initNs=PREFIXES)
    except ParseException as exc:
        if _UPDATE.match(text):
            raise QueryError("updates (INSERT, DELETE, LOAD, CLEAR, ...) are not allowed: alignkg is read-only") from None
        raise QueryError(f"SPARQL syntax error at line {exc.lineno}, column {exc.col}: {exc.msg}") from None
    except Exception as exc:  # rdflib raises several types for bad queries
        raise QueryError(f"bad SPARQL query: {' '.join(str(exc).split()) or type(exc).__name__}") from None
    for node in _walk(prepared.algebra):
        if node.name == "ServiceGraphPattern":
            raise QueryError("SERVICE is not allowed: alignkg queries only the local graph")
    if getattr(prepared.algebra, "datasetClause", None):
        raise QueryError("FROM / FROM NAMED are not allowed: add files with --data instead")
    return prepared


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


def _evaluate(graph, prepared, bindings, limit):
    res = graph.query(prepared, initBindings=bindings or {})
    if res.type == "ASK":
        return Answer("ASK", boolean=bool(res.askAnswer))
    if res.type in ("CONSTRUCT", "DESCRIBE"):
        triples = []
        for t in res.graph:
            if limit is not None and len(triples) >= limit:
                return Answer(res.type, triples=triples, truncated=True)
            triples.append(t)
        return Answer(res.type, triples=triples)
    rows = []
    for row in res:
        if limit is not None and len(rows) >= limit:
            return Answer("SELECT", res.vars, rows, truncated=True)
        rows.append(tuple(row))
    return Answer("SELECT", res.vars, rows)


def _child(graph, prepared, bindings, limit, conn):
    try:
        conn.send(("ok", _evaluate(graph, prepared, bindings, limit)))
    except Exception as exc:  # reported to the parent as a QueryError
        conn.send(("error", " ".join(str(exc).split()) or type(exc).__name__))
    finally:
        conn.close()


def execute(graph, text, bindings=None, *, timeout=DEFAULT_TIMEOUT, limit=None) -> Answer:
    """Evaluate a query (text or prepared) on ``graph`` in a child process.

    The child is forked, so it shares the parsed graph without copying it,
    and is killed when ``timeout`` seconds pass: a hard stop that works
    whatever the query engine is doing. ``limit`` caps the rows (or triples)
    returned; the answer says whether it was truncated. With ``timeout=None``
    the query runs in this process.
    """
    import multiprocessing

    prepared = prepare(text) if isinstance(text, str) else text
    if timeout is None:
        try:
            return _evaluate(graph, prepared, bindings, limit)
        except Exception as exc:
            raise QueryError(f"query failed: {' '.join(str(exc).split()) or type(exc).__name__}") from None
    ctx = multiprocessing.get_context("fork")
    receive, send = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_child, args=(graph, prepared, bindings, limit, send), daemon=True)
    child.start()
    send.close()
    try:
        if not receive.poll(timeout):
            raise QueryError(f"query stopped after the {timeout:g} s timeout (raise it with --timeout)")
        status, value = receive.recv()
    except EOFError:
        raise QueryError("query failed: the query process ended without an answer") from None
    finally:
        if child.is_alive():
            child.kill()
        child.join()
        receive.close()
    if status == "error":
        raise QueryError(f"query failed: {value}")
    return value


def run(graph, text, bindings=None, *, timeout=DEFAULT_TIMEOUT, limit=None) -> Result:
    """Evaluate a query and shape the answer as a :class:`Result` (see :func:`shape`)."""
    return shape(execute(graph, text, bindings, timeout=timeout, limit=limit))


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


def shape(answer: Answer) -> Result:
    """Turn an :class:`Answer` into a :class:`Result` (JSON: SPARQL 1.1 Query Results JSON)."""
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
