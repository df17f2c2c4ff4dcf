"""RDF terms that every output can carry: checks at load time, escapes for each syntax.

An RDF term can hold things that some syntax cannot write back: a lone
surrogate (``"\\uD800"`` in Turtle becomes half a character that no UTF-8 file
can hold), an IRI or datatype IRI with a space, a language tag with a space
(JSON-LD lets one through), an N3 formula or variable (not RDF at all), a
number too long for Python to convert. This module decides at the root:

- what no RDF syntax can carry is refused when the file is read, with file and
  line (:func:`check_graph`, :func:`term_problem`), so nothing downstream ever
  sees it;
- what only XML cannot carry (C0 control characters other than tab and line
  breaks, U+FFFE and U+FFFF) is refused by the XML writers, naming the term
  (:func:`check_xml_text`), and a carriage return, which an XML parser would
  turn into a line feed, is written as ``&#13;`` (:func:`xml_keep_cr`);
- line numbers are counted the way the RDF syntaxes count lines: ``\\n``,
  ``\\r\\n`` and a lone ``\\r`` each end a line (:func:`line_number`).

Every function is pure; :mod:`alignkg.parse`, :mod:`alignkg.export` and
:mod:`graph.sparql` call them.
"""

from __future__ import annotations

import re
import sys

from .errors import AlignKGError, DataError

#: A lone surrogate: half of a UTF-16 pair, not a character; no UTF-8 file can hold it.
SURROGATE = re.compile("[\ud800-\udfff]")
#: Characters an IRI may not contain (RFC 3987): controls, space, <>"{}|\\^`.
BAD_IRI = re.compile(r'[\x00-\x20<>"{}|\\^`\x7f]')
#: A language tag as Turtle, N-Triples and SPARQL write it (BCP 47 well-formedness is stricter).
LANGUAGE_TAG = re.compile(r"^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$")
#: A blank node label every syntax can write (Turtle's PN_CHARS, ASCII subset).
BLANK_LABEL = re.compile(r"^[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_-])?$")
#: Characters XML 1.0 cannot carry at all, not even as a character reference.
XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_LINE_BREAK_BYTES = re.compile(rb"\r\n|\r|\n")


def line_number(text: str | bytes, offset: int) -> int:
    """The 1-based line of ``offset`` in ``text``, where ``\\n``, ``\\r\\n`` and ``\\r`` end lines.

    Turtle, N-Triples and SPARQL all count a lone carriage return as a line
    end, so a file saved with old Mac line ends must not be reported as one
    long line.

    Parameters
    ----------
    text : str or bytes
    offset : int
        Index of a character (or byte) in ``text``.

    Returns
    -------
    int

    Examples
    --------
    >>> line_number("a\\rb\\r\\nc\\nd", 7)
    4
    >>> line_number(b"a\\rb", 2)
    2
    """
    pattern = _LINE_BREAK_BYTES if isinstance(text, bytes) else _LINE_BREAK
    offset = max(0, min(offset, len(text)))
    count = len(pattern.findall(text, 0, offset))
    if offset and text[offset - 1:offset + 1] in ("\r\n", b"\r\n"):  # offset on the \n of a \r\n
        count -= 1
    return count + 1


def cr_line_ends(text: str) -> str:
    """Turtle text whose lines end in a lone ``\\r`` (old Mac files), with ``\\n`` line ends instead.

    Turtle allows a carriage return as white space, but rdflib's parser does
    not, so such a file failed on its first line end. Only a file with no
    ``\\n`` at all is changed (then every ``\\r`` is a line end, even inside a
    long literal, as its author saw it); line numbers are unchanged.

    Examples
    --------
    >>> cr_line_ends("a\\rb\\r"), cr_line_ends("a\\r\\nb")
    ('a\\nb\\n', 'a\\r\\nb')
    """
    return text.replace("\r", "\n") if "\r" in text and "\n" not in text else text


def line_of(text: str, *needles: str) -> int | None:
    """The line of the first needle found in ``text`` (tried in order), or None.

    Examples
    --------
    >>> line_of("a\\rb\\rc", "x", "c")
    3
    """
    for needle in needles:
        at = text.find(needle) if needle else -1
        if at >= 0:
            return line_number(text, at)
    return None


def _codepoint(char: str) -> str:
    return f"U+{ord(char):04X}"


def iri_problem(iri: str) -> str | None:
    """What makes ``iri`` unwritable as an IRI, or None.

    Examples
    --------
    >>> iri_problem("http://example.org/a b")
    'it contains a space'
    >>> iri_problem("http://example.org/ok") is None
    True
    """
    bad = SURROGATE.search(iri)
    if bad:
        return f"it contains the lone surrogate {_codepoint(bad.group())}"
    bad = BAD_IRI.search(iri)
    if bad:
        return "it contains a space" if bad.group() == " " else f"it contains the character {bad.group()!r}"
    return None


def _shown(text: str, width: int = 60) -> str:
    text = SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04X}", text)
    return text if len(text) <= width else text[:width - 3] + "..."


def term_problem(term) -> tuple[str, tuple[str, ...]] | None:
    """Why an rdflib term cannot be written in RDF, and what to search the file for; None if it can.

    Checked: N3 formulas and variables (not RDF), lone surrogates anywhere,
    datatype IRIs that are not IRIs, language tags with characters no RDF
    syntax allows, blank node labels that N-Triples cannot write. IRIs in
    subject, predicate and object position are also checked (:func:`iri_problem`).

    Parameters
    ----------
    term : rdflib.term.Node

    Returns
    -------
    tuple of (str, tuple of str) or None
        The message, and strings whose first occurrence in the source text
        gives the line.

    Examples
    --------
    >>> from rdflib import Literal, URIRef
    >>> term_problem(Literal("x", datatype=URIRef("http://example.org/a b")))[0]
    'invalid datatype IRI <http://example.org/a b>: it contains a space'
    >>> term_problem(Literal("half \\ud800"))[0]
    "literal 'half \\\\uD800' contains the lone surrogate U+D800 (half of a UTF-16 pair, not a character)"
    >>> term_problem(Literal("fine", lang="en-GB")) is None
    True
    """
    from rdflib import BNode, Literal, URIRef, Variable
    from rdflib.graph import Graph

    if isinstance(term, Graph):
        return "an N3 formula { ... } is not RDF; alignkg reads plain triples", ("{",)
    if isinstance(term, Variable):
        return f"an N3 variable ?{_shown(str(term))} is not RDF; alignkg reads plain triples", (f"?{term}", "@forAll",
                                                                                               "@forSome")
    if isinstance(term, URIRef):
        why = iri_problem(term)
        return (f"invalid IRI <{_shown(term, 80)}>: {why}", iri_needles(term)) if why else None
    if isinstance(term, BNode):
        bad = SURROGATE.search(term)
        if bad or not BLANK_LABEL.match(term):
            return (f"blank node label '_:{_shown(term)}' cannot be written in N-Triples or Turtle; "
                    "use letters, digits, '_', '-' and '.'", (f"_:{term}", str(term)))
        return None
    if isinstance(term, Literal):
        lexical = str(term)
        bad = SURROGATE.search(lexical)
        if bad:
            escape = f"\\u{ord(bad.group()):04x}"
            return (f"literal '{_shown(lexical)}' contains the lone surrogate {_codepoint(bad.group())} "
                    "(half of a UTF-16 pair, not a character)",
                    (escape, escape.upper().replace("\\U", "\\u"), f"\\U0000{ord(bad.group()):04x}",
                     f"\\U0000{ord(bad.group()):04X}", _shown(lexical, 20)))
        if term.datatype is not None:
            why = iri_problem(term.datatype)
            if why:
                return f"invalid datatype IRI <{_shown(term.datatype, 80)}>: {why}", iri_needles(term.datatype)
        if term.language is not None and not LANGUAGE_TAG.match(term.language):
            return (f"invalid language tag {_shown(term.language)!r} on {_shown(lexical, 30)!r}: a tag is letters, "
                    "digits and '-' (such as en or en-GB)", (term.language,))
    return None


def iri_needles(iri: str) -> tuple[str, ...]:
    """What to search a file for to find ``iri``: as written, with its bad character escaped, or its tail."""
    bad = SURROGATE.search(iri) or BAD_IRI.search(iri)
    if not bad:
        return (f"<{iri}>",)
    code = ord(bad.group())
    escaped = [iri[:bad.start()] + esc + iri[bad.end():]
               for esc in (f"\\u{code:04x}", f"\\u{code:04X}", f"\\U{code:08x}", f"\\U{code:08X}")]
    start = max(iri.rfind(sep, 0, bad.start()) for sep in "/#:") + 1
    return (f"<{iri}>", *(f"<{e}>" for e in escaped), iri[start:bad.start() + 1])


def check_graph(path, text: str, graph) -> None:
    """Refuse a parsed file whose terms no RDF syntax can write back (see :func:`term_problem`).

    Parameters
    ----------
    path : str or Path
        The file, for the message.
    text : str
        Its contents, searched for the line of the offending term.
    graph : rdflib.Graph
        What the parser made of it.

    Raises
    ------
    graph.errors.DataError
        ``FILE:LINE: what is wrong`` (``FILE:`` when the line is not found).

    Examples
    --------
    >>> from rdflib import Graph
    >>> g = Graph().parse(data='<http://e/a> <http://e/p> "x"@en .', format="nt")
    >>> check_graph("ok.nt", '<http://e/a> <http://e/p> "x"@en .', g)
    """
    for term in distinct_terms(graph):
        found = term_problem(term)
        if found:
            message, needles = found
            line = line_of(text, *needles)
            raise DataError(f"{path}:{line}: {message}" if line else f"{path}: {message}")


def distinct_terms(graph):
    """Every term of ``graph`` (subjects, predicates, objects) once, in the order first met.

    >>> from rdflib import Graph
    >>> g = Graph().parse(data='<http://e/a> <http://e/p> <http://e/a> .', format="nt")
    >>> [str(t) for t in distinct_terms(g)]
    ['http://e/a', 'http://e/p']
    """
    seen = set()
    for triple in graph:
        for term in triple:
            if term not in seen:
                seen.add(term)
                yield term


def number_too_long(path, text: str, exc: BaseException) -> str | None:
    """The located message for a number too long to convert (Python's ``int`` digit limit), else None.

    Python refuses to turn more than ``sys.get_int_max_str_digits()`` digits
    into an ``int`` (quadratic time otherwise); parsers hit that as a bare
    ``ValueError``. The line is that of the first run of that many digits.

    Examples
    --------
    >>> text = "a\\rb " + "9" * 5000
    >>> number_too_long("f.ttl", text, ValueError("Exceeds the limit (4300 digits) for integer string conversion"))
    'f.ttl:2: a number of 5,000 digits is too long (at most 4,300)'
    >>> number_too_long("f.ttl", text, ValueError("other")) is None
    True
    """
    if not isinstance(exc, ValueError) or "integer string conversion" not in str(exc):
        return None
    limit = sys.get_int_max_str_digits() if hasattr(sys, "get_int_max_str_digits") else 4300
    run = re.search(r"\d{%d,}" % (limit + 1), text) if limit else None
    if run is None:
        return f"{path}: a number is too long (more than {limit:,} digits)"
    return f"{path}:{line_number(text, run.start())}: a number of {len(run.group()):,} digits is too long (at most {limit:,})"


def badsyntax_line(exc) -> int | None:
    """The 1-based line of a Turtle/N3 ``BadSyntax`` error, counting ``\\r`` line ends too.

    rdflib's parser counts only ``\\n``, so every error in a file with
    carriage-return line ends would be on line 1; the error also keeps the
    text and the offset, from which the line is counted again.

    Examples
    --------
    >>> from rdflib.plugins.parsers.notation3 import BadSyntax
    >>> badsyntax_line(BadSyntax("f", 0, "a\\rb\\rc oops", 6, "bad"))
    3
    """
    raw, at = getattr(exc, "_str", None), getattr(exc, "_i", None)
    if isinstance(raw, bytes) and isinstance(at, int):
        return line_number(raw.decode("utf-8", "replace"), at)
    lines = getattr(exc, "lines", None)
    return lines + 1 if isinstance(lines, int) else None


# -- writers -----------------------------------------------------------------


def check_xml_text(value: str, what: str, fmt: str) -> str:
    """``value`` if XML 1.0 can carry it; else an error naming ``what`` and the character.

    XML 1.0 has no way to write most C0 control characters (not even as
    ``&#7;``), nor U+FFFE/U+FFFF; silently dropping them would change the
    data, so the XML formats refuse the term and point to a format that can
    carry it.

    Raises
    ------
    graph.errors.AlignKGError
        Exit 2, naming the term.

    Examples
    --------
    >>> check_xml_text("fine\\ttext", "label of akg:x", "graphml")
    'fine\\ttext'
    >>> check_xml_text("bell\\x07", "label of akg:x", "graphml")
    Traceback (most recent call last):
    ...
    graph.errors.AlignKGError: graphml cannot carry the label of akg:x ('bell\\x07'): XML 1.0 has no way to write the control character U+0007; use an RDF format (ttl, nt, jsonld) or json
    """
    bad = XML_ILLEGAL.search(value)
    if bad:
        kind = "control character" if ord(bad.group()) < 0x20 else "character"
        near = value[max(0, bad.start() - 30):bad.end() + 10]
        raise AlignKGError(f"{fmt} cannot carry the {what} ({_shown(near, 50)!r}): XML 1.0 has no way to write "
                           f"the {kind} {_codepoint(bad.group())}; use an RDF format (ttl, nt, jsonld) or json")
    return value


def xml_keep_cr(document: str) -> str:
    """Write every carriage return of an XML document as ``&#13;``.

    An XML parser turns a literal ``\\r`` (or ``\\r\\n``) into ``\\n``, so the
    text would not read back as written. The writers of this package never
    put a ``\\r`` in markup, so each one in the document is data.

    Examples
    --------
    >>> xml_keep_cr("<a>x\\r\\ny</a>")
    '<a>x&#13;\\ny</a>'
    """
    return document.replace("\r", "&#13;")


def check_result_terms(answer, fmt: str):
    """Refuse a SPARQL answer that the result format ``fmt`` cannot carry (XML only, today).

    Parameters
    ----------
    answer : graph.sparql.Answer
    fmt : str
        The result format.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> from rdflib import Literal, Variable
    >>> check_result_terms(SimpleNamespace(vars=[Variable("l")], rows=[(Literal("ok"),)], triples=[]), "xml")
    """
    if fmt != "xml":
        return
    for row in answer.rows:
        for var, term in zip(answer.vars, row):
            if term is not None:
                check_xml_text(str(term), f"value of ?{var}", "SPARQL XML results")
                if getattr(term, "datatype", None):
                    check_xml_text(str(term.datatype), f"datatype of ?{var}", "SPARQL XML results")


def nt_term(term) -> str:
    """An RDF term in N-Triples syntax, always on one line: the form SPARQL TSV results use too.

    Unlike rdflib's ``n3()``, a literal with a line break is never written
    as a ``\"\"\"long string\"\"\"`` (which TSV readers refuse), and tabs,
    line feeds and carriage returns are escaped, so a TSV cell stays one cell.

    Examples
    --------
    >>> from rdflib import BNode, Literal, URIRef
    >>> nt_term(Literal('a "b"\\n\\tc', lang="en")), nt_term(Literal(0)), nt_term(URIRef("http://e/x"))
    ('"a \\\\"b\\\\"\\\\n\\\\tc"@en', '"0"^^<http://www.w3.org/2001/XMLSchema#integer>', '<http://e/x>')
    """
    from rdflib import BNode, Literal
    from rdflib.namespace import XSD

    if isinstance(term, Literal):
        text = (str(term).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
                .replace("\r", "\\r").replace("\t", "\\t"))
        if term.language:
            return f'"{text}"@{term.language}'
        if term.datatype is not None and term.datatype != XSD.string:
            return f'"{text}"^^<{term.datatype}>'
        return f'"{text}"'
    if isinstance(term, BNode):
        return f"_:{term}"
    return f"<{term}>"


def sparql_xml(answer) -> str:
    """The SPARQL 1.1 Query Results XML of a SELECT or ASK answer, which any XML parser reads back exactly.

    Written here rather than by rdflib, whose writer drops the value of a
    literal that is false in Python (``0``, ``false``, ``0.0``) and leaves
    carriage returns for the parser to turn into line feeds. Line breaks,
    tabs and leading or trailing spaces are written as character references,
    which no reader trims. A term XML 1.0 cannot carry is refused
    (:func:`check_result_terms`).

    Parameters
    ----------
    answer : graph.sparql.Answer

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> from rdflib import Literal, Variable
    >>> print(sparql_xml(SimpleNamespace(type="SELECT", vars=[Variable("n")], rows=[(Literal(0),)])))
    <?xml version="1.0" encoding="UTF-8"?>
    <sparql xmlns="http://www.w3.org/2005/sparql-results#">
      <head><variable name="n"/></head>
      <results>
        <result><binding name="n"><literal datatype="http://www.w3.org/2001/XMLSchema#integer">0</literal></binding></result>
      </results>
    </sparql>
    <BLANKLINE>
    """
    from xml.sax.saxutils import escape, quoteattr

    from rdflib import BNode, Literal

    def text(value):
        # white space as character references: a reader may trim the raw white space around a
        # literal's text (pyoxigraph does: a label "\n" came back as "")
        body = escape(str(value)).replace("\r", "&#13;").replace("\n", "&#10;").replace("\t", "&#9;")
        core = body.strip(" ")
        if not core:
            return "&#32;" * len(body)
        lead, trail = len(body) - len(body.lstrip(" ")), len(body) - len(body.rstrip(" "))
        return "&#32;" * lead + core + "&#32;" * trail

    def attr(value):
        return xml_keep_cr(quoteattr(str(value), {"\n": "&#10;", "\t": "&#9;"}))

    head = ['<?xml version="1.0" encoding="UTF-8"?>', '<sparql xmlns="http://www.w3.org/2005/sparql-results#">']
    if answer.type == "ASK":
        return "\n".join(head + ["  <head/>", f"  <boolean>{'true' if answer.boolean else 'false'}</boolean>",
                                 "</sparql>", ""])
    check_result_terms(answer, "xml")
    lines = head + ["  <head>" + "".join(f"<variable name={attr(v)}/>" for v in answer.vars) + "</head>",
                    "  <results>"]
    for row in answer.rows:
        cells = []
        for var, term in zip(answer.vars, row):
            if term is None:
                continue
            if isinstance(term, Literal):
                extra = (f" xml:lang={attr(term.language)}" if term.language
                         else f" datatype={attr(term.datatype)}" if term.datatype is not None else "")
                value = f"<literal{extra}>{text(term)}</literal>"
            elif isinstance(term, BNode):
                value = f"<bnode>{text(term)}</bnode>"
            else:
                value = f"<uri>{text(term)}</uri>"
            cells.append(f"<binding name={attr(var)}>{value}</binding>")
        lines.append("    <result>" + "".join(cells) + "</result>")
    return "\n".join(lines + ["  </results>", "</sparql>", ""])
