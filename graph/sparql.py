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

from .errors import QueryError
from .output import Result

MAX_QUERY = 100_000
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
        from .load import decode, read_bytes

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


def run(graph, text: str, bindings=None) -> Result:
    """Evaluate a query (text or prepared) on ``graph`` and shape the answer.

    SELECT gives rows keyed by variable (JSON: SPARQL 1.1 Query Results JSON);
    ASK gives one row; CONSTRUCT and DESCRIBE give triples (JSON: rows of
    subject, predicate, object).
    """
    prepared = prepare(text) if isinstance(text, str) else text
    try:
        res = graph.query(prepared, initBindings=bindings or {})
    except Exception as exc:
        raise QueryError(f"query failed: {' '.join(str(exc).split()) or type(exc).__name__}") from None
    return shape(res)


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


def shape(res) -> Result:
    """Turn an rdflib query result into a :class:`Result`."""
    if res.type == "ASK":
        return Result([{"boolean": bool(res.askAnswer)}], ["boolean"],
                      json_override={"head": {}, "boolean": bool(res.askAnswer)})
    if res.type in ("CONSTRUCT", "DESCRIBE"):
        rows = [{"subject": str(s), "predicate": str(p), "object": str(o)} for s, p, o in res.graph]
        rows.sort(key=lambda r: (r["subject"], r["predicate"], r["object"]))
        return Result(rows, ["subject", "predicate", "object"])
    variables = [str(v) for v in res.vars]
    rows, bindings = [], []
    for row in res:
        rows.append({v: _value(row[v]) for v in variables})
        bindings.append({v: _term_json(row[v]) for v in variables if row[v] is not None})
    return Result(rows, variables, json_override={"head": {"vars": variables}, "results": {"bindings": bindings}})
