"""Read RDF files into an rdflib graph, safely, with located errors.

Formats are chosen by extension, never guessed. Input is read as UTF-8 (a
byte-order mark is allowed). Nothing is fetched: URLs are refused as input
files, RDF/XML may not declare a DOCTYPE or entities, and JSON-LD may only use
inline contexts. Devices and sockets are refused (``/dev/zero`` would never
end); a pipe is read like a file. What a parser accepts but the data cannot mean is refused too: an
IRI with a space or another character IRIs may not contain, a literal that is
not a value of its datatype (``"abc"^^xsd:integer``), and a literal longer than
:data:`MAX_LITERAL` characters. Every failure is a
:class:`~graph.errors.DataError` whose message starts with ``FILE:LINE:`` when
the line is known, ``FILE:`` otherwise.
"""

from __future__ import annotations

import io
import json
import re
import stat
import warnings
from pathlib import Path

from . import ONTOLOGY_DIR, SHAPES_FILE
from .errors import DataError
from .terms import badsyntax_line, check_graph, distinct_terms, cr_line_ends, iri_needles, line_number, line_of, number_too_long

#: File extension -> rdflib parser name.
FORMATS = {
    ".ttl": "turtle",
    ".turtle": "turtle",
    ".nt": "nt",
    ".ntriples": "nt",
    ".n3": "n3",
    ".rdf": "xml",
    ".owl": "xml",
    ".xml": "xml",
    ".jsonld": "json-ld",
    ".json": "json-ld",
    ".toml": "card",  # a training-story card (graph/card.py), not an RDF syntax
}

#: The longest literal accepted, in characters (a whole definition is a few hundred).
MAX_LITERAL = 1_000_000
#: The longest parser message quoted in an error.
MAX_WHY = 200
#: Default cap on one input file, in MiB (``ALIGNKG_MAX_INPUT_MB``).
DEFAULT_MAX_INPUT_MB = 1024
#: Default cap on the triples of all user files together (``ALIGNKG_MAX_TRIPLES``).
DEFAULT_MAX_TRIPLES = 20_000_000
#: A file that fails the fast parser is re-read with rdflib for its exact message up to this size.
RDFLIB_RETRY_BYTES = 16 * 1024 * 1024

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_XML_DTD = re.compile(r"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
#: Characters an IRI may not contain (RFC 3987): controls, space, <>"{}|\^`.
_BAD_IRI = re.compile(r'[\x00-\x20<>"{}|\\^`\x7f]')


def ontology_files(directory: Path = ONTOLOGY_DIR) -> list[Path]:
    """The shipped data: every Turtle file under ``ontology/`` except the shapes."""
    return sorted(p for p in directory.rglob("*.ttl") if p != SHAPES_FILE)


def max_input_bytes() -> int:
    """The largest input file accepted, in bytes: ``$ALIGNKG_MAX_INPUT_MB`` (default 1024) MiB."""
    return _env_int("ALIGNKG_MAX_INPUT_MB", DEFAULT_MAX_INPUT_MB) * 1024 * 1024


def max_triples() -> int:
    """The most triples the user's files may add, all together: ``$ALIGNKG_MAX_TRIPLES`` (default 20,000,000)."""
    return _env_int("ALIGNKG_MAX_TRIPLES", DEFAULT_MAX_TRIPLES)


def _env_int(name: str, default: int) -> int:
    import os

    value = os.environ.get(name)
    if not value:
        return default
    try:
        number = int(value)
        if number <= 0:
            raise ValueError
    except ValueError:
        raise DataError(f"{name}={value!r} is not a positive whole number") from None
    return number


def read_bytes(path: str | Path, limit: int | None = None) -> bytes:
    """Read a user-named file, turning every OS problem into a one-line error.

    The size cap (``limit`` bytes, :func:`max_input_bytes` by default) is
    checked while reading, so a pipe that never ends is refused after the cap,
    not after memory runs out.
    """
    return _read(path, limit, keep=True)


def file_digest(path: str | Path, digest, limit: int | None = None) -> bytes | None:
    """Feed the bytes of ``path`` to ``digest`` (a hashlib object), streaming, with the checks of
    :func:`read_bytes`; return the bytes only when the file cannot be read twice (a pipe), else None."""
    return _read(path, limit, keep=False, digest=digest)


def _read(path, limit, keep, digest=None):
    name = str(path)
    if _URL.match(name):
        raise DataError(f"{name}: not a local file; alignkg reads only local files (use --endpoint for remote data)")
    p = Path(path)
    limit = max_input_bytes() if limit is None else limit
    try:
        mode = p.stat().st_mode
        if stat.S_ISDIR(mode):
            raise DataError(f"{name}: is a directory, not an RDF file")
        if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) or stat.S_ISSOCK(mode):  # /dev/zero would never end
            raise DataError(f"{name}: is a device or socket, not a file")
        too_big = DataError(f"{name}: larger than the input limit of {limit / (1024 * 1024):,.0f} MiB "
                            f"(set ALIGNKG_MAX_INPUT_MB to raise it)")
        with open(p, "rb") as fh:
            if stat.S_ISREG(mode) and p.stat().st_size > limit:
                raise too_big
            chunks, size = [], 0
            while True:
                chunk = fh.read(min(1 << 22, limit + 1 - size))
                if not chunk:
                    break
                size += len(chunk)
                if size > limit:
                    raise too_big
                if digest is not None:
                    digest.update(chunk)
                if keep or not stat.S_ISREG(mode):  # a pipe cannot be read twice
                    chunks.append(chunk)
        return b"".join(chunks) if keep or not stat.S_ISREG(mode) else None
    except FileNotFoundError:
        raise DataError(f"{name}: no such file") from None
    except PermissionError:
        raise DataError(f"{name}: permission denied") from None
    except OSError as exc:
        raise DataError(f"{name}: cannot read ({exc.strerror or exc})") from None
    except ValueError as exc:  # e.g. an embedded NUL byte
        raise DataError(f"{name!r}: not a usable file name ({exc})") from None


def format_of(path: str | Path) -> str:
    """The rdflib format for a file name, from its extension."""
    ext = Path(path).suffix.lower()
    try:
        return FORMATS[ext]
    except KeyError:
        known = ", ".join(sorted(FORMATS))
        raise DataError(f"{path}: unknown extension {ext or '(none)'!r}; use one of {known}") from None


def decode(path: str | Path, data: bytes) -> str:
    """Decode UTF-8 strictly, reporting the line of the first bad byte; drop a byte-order mark.

    >>> decode("x.ttl", b"\\xef\\xbb\\xbf# caf\\xc3\\xa9")
    '# café'
    """
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        line = line_number(data, exc.start)
        raise DataError(f"{path}:{line}: not UTF-8 (byte 0x{data[exc.start]:02x}); save the file as UTF-8") from None


def _check_xml(path, text: str) -> None:
    m = _XML_DTD.search(text)
    if m:
        line = line_number(text, m.start())
        raise DataError(f"{path}:{line}: RDF/XML with a DOCTYPE or ENTITY declaration is refused (entity expansion)")


def _check_jsonld(path, text: str) -> None:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataError(f"{path}:{line_number(text, exc.pos)}: invalid JSON ({exc.msg})") from None
    except ValueError as exc:  # a number past Python's digit limit
        raise DataError(number_too_long(path, text, exc) or f"{path}: invalid JSON ({exc})") from None
    except RecursionError:
        raise DataError(f"{path}: JSON nested too deeply to parse") from None

    stack = [doc]  # iterative: a deep document must not exhaust the Python stack
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                ref = _reference(value) if key in ("@context", "@import") else None
                if ref is not None:
                    quoted = json.dumps(ref, ensure_ascii=False)
                    shown = quoted if len(quoted) <= 80 else quoted[:76] + '..."'
                    raise DataError(f"{_where(path, _line_of(text, quoted))}: JSON-LD {key} refers to another "
                                    f"document ({shown}); only inline contexts are allowed")
                stack.append(value)
        elif isinstance(node, list):
            stack.extend(node)


def _reference(value) -> str | None:
    """The first document a JSON-LD ``@context`` or ``@import`` value refers to, if any."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return next((v for v in value if isinstance(v, str)), None)
    return None


class _Lines:
    """A text stream that hands rdflib's N-Triples parser one whole line per read.

    The parser's own buffering rescans its buffer for every 2 kB chunk, which
    is quadratic in the length of a line (a 1 MB literal took seconds); given
    whole lines it is linear. It also tells us the line that failed.
    """

    encoding = "utf-8"

    def __init__(self, text: str):
        self._io = io.StringIO(text, newline="")  # split on \n, \r\n and \r, as N-Triples does
        self.number = 0

    def read(self, size: int = -1) -> str:
        line = self._io.readline()
        if line:
            self.number += 1
        return line


def _line_of(text: str, *needles: str) -> int | None:
    """The line of the first needle found in ``text`` (tried in order), or None."""
    for needle in needles:
        at = text.find(needle) if needle else -1
        if at >= 0:
            return line_number(text, at)
    return None


def _where(path, line) -> str:
    return f"{path}:{line}" if line else str(path)


def _check_terms(path, text: str, graph) -> None:
    """Refuse what the parsers let through: bad IRIs, ill-typed and oversized literals."""
    from rdflib import Literal, URIRef

    for term in distinct_terms(graph):
        if isinstance(term, URIRef):
            bad = _BAD_IRI.search(term)
            if bad:
                line = line_of(text, *iri_needles(term))  # as written, or with the character escaped
                char = "a space" if bad.group() == " " else f"the character {bad.group()!r}"
                shown = term if len(term) <= 80 else term[:77] + "..."
                raise DataError(f"{_where(path, line)}: invalid IRI <{shown}>: it contains {char}")
        elif isinstance(term, Literal):
            lexical = str(term)
            if len(lexical) > MAX_LITERAL:
                head = lexical[:40]
                line = _line_of(text, f'"{head}', f"'{head}", f">{head}")
                raise DataError(f"{_where(path, line)}: literal of {len(lexical):,} characters is too long "
                                f"(at most {MAX_LITERAL:,})")
            if getattr(term, "ill_typed", False):
                line, lexical = _ill_typed_at(text, term.datatype) or (
                    _line_of(text, f'"{lexical}"', f"'{lexical}'", f">{lexical}<"), lexical)
                shown = lexical if len(lexical) <= 40 else lexical[:37] + "..."
                raise DataError(f"{_where(path, line)}: {shown!r} is not a valid {_short_type(term.datatype)}")


def _short_type(datatype) -> str:
    from rdflib.namespace import XSD

    text = str(datatype)
    return "xsd:" + text[len(str(XSD)):] if text.startswith(str(XSD)) else f"<{text}>"


def _ill_typed_at(text: str, datatype) -> tuple[int, str] | None:
    """Line and lexical form, as written, of the first ill-typed ``"..."^^datatype`` in Turtle or N-Triples text.

    rdflib normalises some lexical forms (a boolean ``"J"`` becomes ``"false"``),
    so the text is searched for what the user actually wrote.

    >>> from rdflib.namespace import XSD
    >>> _ill_typed_at('<a> <b> "true"^^xsd:boolean .\\n<a> <c> "J"^^xsd:boolean .', XSD.boolean)
    (2, 'J')
    """
    from rdflib import Literal

    names = [re.escape(f"<{datatype}>"), re.escape(_short_type(datatype))]
    pattern = re.compile(r'"((?:[^"\\\n]|\\.)*)"\^\^(?:' + "|".join(names) + r")(?![\w-])")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for m in pattern.finditer(text):
            if Literal(m.group(1), datatype=datatype).ill_typed:
                return line_number(text, m.start()), m.group(1)
    return None


def parse_apart(graph, path, text: str, fmt: str):
    """Parse and check ``text`` (the contents of ``path``) into a graph of its own.

    The new graph shares ``graph``'s prefixes but none of its triples, so a
    file that fails half-way adds nothing; errors name file and line.

    Returns
    -------
    rdflib.Graph
        The file's triples, to be added to ``graph`` by the caller.
    """
    import logging

    from rdflib import Graph

    logging.getLogger("rdflib").setLevel(logging.ERROR)
    if not text.strip():
        raise DataError(f"{path}: file is empty")
    if fmt == "card":  # TOML training-story card: graph/card.py maps it onto the RDF model
        from .card import to_graph

        part = to_graph(path, text, namespace_manager=graph.namespace_manager)
        _check_terms(path, text, part)
        return part
    if fmt == "xml":
        _check_xml(path, text)
    if fmt == "json-ld":
        _check_jsonld(path, text)
    part = Graph(namespace_manager=graph.namespace_manager)
    lines = _Lines(text) if fmt == "nt" else None
    with warnings.catch_warnings():  # rdflib warns about odd literals on stderr; _check_terms reports them
        warnings.simplefilter("ignore")
        try:
            if lines is not None:
                from rdflib.plugins.parsers.ntriples import NTGraphSink, W3CNTriplesParser

                W3CNTriplesParser(NTGraphSink(part)).parse(lines)
            else:
                part.parse(data=cr_line_ends(text) if fmt in ("turtle", "n3") else text, format=fmt,
                           publicID=Path(path).resolve().as_uri())
        except DataError:
            raise
        except RecursionError:
            raise DataError(f"{path}: nested too deeply to parse (brackets or lists hundreds of levels deep)") from None
        except Exception as exc:  # every parser has its own exception types
            raise DataError(number_too_long(path, text, exc)
                            or _located(path, fmt, exc, lines.number if lines else None) + _looks_like(text, fmt)) from None
        _check_terms(path, text, part)
        check_graph(path, text, part)  # what no RDF syntax could write back: surrogates, formulas, odd tags
    return part


def parse_text(graph, path, text: str, fmt: str) -> None:
    """Parse ``text`` (the contents of ``path``) into ``graph``; errors name file and line.

    The file is parsed and checked apart (:func:`parse_apart`) before its
    triples join ``graph``, so a bad file adds nothing.
    """
    graph.addN((s, p, o, graph) for s, p, o in parse_apart(graph, path, text, fmt))


def _looks_like(text: str, fmt: str) -> str:
    """A hint when a file that failed to parse looks like another format than its extension says.

    >>> _looks_like('<?xml version="1.0"?><rdf:RDF/>', "turtle")
    ' (it looks like RDF/XML: name the file .rdf)'
    """
    if fmt not in ("turtle", "nt"):
        return ""
    head = text.lstrip()[:100]
    if head.startswith(("<?xml", "<rdf:RDF")):
        return " (it looks like RDF/XML: name the file .rdf)"
    if head.startswith("{"):
        return " (it looks like JSON-LD: name the file .jsonld)"
    return ""


def _located(path, fmt, exc, line=None) -> str:
    text_of_exc = str(exc).strip()
    why = getattr(exc, "_why", None) or (text_of_exc.splitlines()[0] if text_of_exc else type(exc).__name__)
    why = why if len(why) <= MAX_WHY else why[:MAX_WHY - 3] + "..."
    bad_line = getattr(exc, "lines", None)
    if bad_line is not None:  # notation3 BadSyntax: 0-based line
        return f"{path}:{badsyntax_line(exc)}: Turtle syntax error: {why}"
    get_line = getattr(exc, "getLineNumber", None)
    if callable(get_line):  # SAXParseException
        return f"{path}:{get_line()}: RDF/XML error: {exc.getMessage()}"
    if fmt == "nt":
        return f"{_where(path, line)}: N-Triples syntax error: {why}"
    return f"{path}: cannot parse as {fmt}: {why}"


def load(paths, graph=None):
    """Parse ``paths`` into one rdflib graph (a new one unless ``graph`` is given).

    Parameters
    ----------
    paths : iterable of str or Path
        Files to read; the format comes from each extension.
    graph : rdflib.Graph, optional
        Graph to add to.

    Returns
    -------
    rdflib.Graph

    Examples
    --------
    >>> from alignkg.parse import load, ontology_files
    >>> len(load(ontology_files())) > 100
    True
    """
    from rdflib import Graph

    g = Graph() if graph is None else graph
    for path in paths:
        parse_text(g, path, decode(path, read_bytes(path)), format_of(path))
    return g


# ------------------------------------------------------------------ the fast path: pyoxigraph

_XSD = "http://www.w3.org/2001/XMLSchema#"
_PLAIN = {_XSD + "string", "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"}


class _Refused(Exception):
    """A term the fast parser accepted but the data may not hold (long or ill-typed literal)."""

    def __init__(self, message_tail: str, needles=()):
        super().__init__(message_tail)
        self.tail, self.needles = message_tail, needles


class TripleBudget:
    """How many more triples the user's files may add (:func:`max_triples`), counted while reading."""

    def __init__(self, limit: int | None = None):
        self.limit = max_triples() if limit is None else limit
        self.left = self.limit

    def exceeded(self, path) -> DataError:
        return DataError(f"{path}: more than {self.limit:,} triples in the input files "
                         f"(the limit; set ALIGNKG_MAX_TRIPLES to raise it)")


def _checked(quads, path, budget: TripleBudget | None):
    """Pass ``quads`` through, refusing oversized and ill-typed literals and counting against ``budget``."""
    from pyoxigraph import Literal

    verdicts = {}  # (lexical, datatype) -> ill-typed?; distinct typed values are few
    left = budget.left if budget is not None else None
    for quad in quads:
        if left is not None:
            left -= 1
            if left < 0:
                raise budget.exceeded(path)
        o = quad.object
        if type(o) is Literal:
            value = o.value
            if len(value) > MAX_LITERAL:
                raise _Refused(f"literal of {len(value):,} characters is too long (at most {MAX_LITERAL:,})",
                               (f'"{value[:40]}', f"'{value[:40]}"))
            datatype = o.datatype.value
            if datatype not in _PLAIN and datatype.startswith(_XSD):
                key = (value, datatype)
                bad = verdicts.get(key)
                if bad is None:
                    bad = verdicts[key] = _ill_typed(value, datatype)
                if bad:
                    shown = value if len(value) <= 40 else value[:37] + "..."
                    raise _Refused(f"{shown!r} is not a valid xsd:{datatype[len(_XSD):]}",
                                   (f'"{value}"^^',))
        yield quad
    if budget is not None:
        budget.left = left


def _ill_typed(value: str, datatype: str) -> bool:
    """rdflib's judgement (the reference path's), so both paths refuse the same literals."""
    import logging

    from rdflib import Literal, URIRef

    logging.getLogger("rdflib").setLevel(logging.ERROR)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return bool(Literal(value, datatype=URIRef(datatype)).ill_typed)


def from_rdflib(term):
    """The pyoxigraph term for an rdflib term.

    >>> from rdflib import Literal
    >>> from_rdflib(Literal("x", lang="en")).language
    'en'
    """
    from pyoxigraph import BlankNode, Literal, NamedNode
    from rdflib import BNode, URIRef

    if isinstance(term, URIRef):
        return NamedNode(str(term))
    if isinstance(term, BNode):
        return BlankNode()  # fresh: a blank node never meets one of another file
    if term.language:
        return Literal(str(term), language=term.language)
    if term.datatype is not None:
        return Literal(str(term), datatype=NamedNode(str(term.datatype)))
    return Literal(str(term))


def bulk_format(path, raw: bytes):
    """The pyoxigraph format in which the store's bulk loader can read ``raw`` as it is, else None.

    N-Triples, and Turtle without brackets or parentheses: the blank nodes of
    such a file are all labelled, so the bulk loader and :func:`quads_from`
    with ``rename=False`` give them the same identity (an anonymous ``[]``
    gets a new random one in every parse).
    """
    from pyoxigraph import RdfFormat

    fmt = format_of(path)
    if not raw.strip():
        return None
    if fmt == "nt":
        return RdfFormat.N_TRIPLES
    if fmt == "turtle" and b"[" not in raw and b"(" not in raw:
        return RdfFormat.TURTLE
    return None


def without_bom(raw: bytes) -> bytes:
    """``raw`` without a UTF-8 byte-order mark."""
    return raw[3:] if raw.startswith(b"\xef\xbb\xbf") else raw


def base_of(path) -> str:
    """The base IRI of a file's relative IRIs: its own ``file:`` URI."""
    return Path(path).resolve().as_uri()


def quads_from(path, raw: bytes, *, budget: TripleBudget | None = None, rename: bool = True):
    """The quads of the file ``path`` (its bytes ``raw``), checked like :func:`parse_apart`.

    Turtle and N-Triples go through pyoxigraph's parser (fast, streaming);
    other formats, and any file that fails, go through rdflib's path, which
    gives the located message (for files up to :data:`RDFLIB_RETRY_BYTES`;
    larger ones are reported from pyoxigraph's own line and column). A file
    that fails may have yielded quads already: the caller builds into a store
    it throws away on error. Blank nodes are renamed apart for each file
    unless ``rename`` is false (then Turtle and N-Triples keep their labels).
    """
    from pyoxigraph import RdfFormat, parse

    fmt = format_of(path)
    fast = {"turtle": RdfFormat.TURTLE, "nt": RdfFormat.N_TRIPLES}.get(fmt)
    if fast is not None and raw.strip():
        _check_utf8(path, raw)  # pyoxigraph skips comments unread; the reference path refuses any bad byte
        if fmt == "turtle":
            _check_nesting(path, raw)
        body = without_bom(raw)
        try:
            quads = parse(body, fast, base_iri=base_of(path), rename_blank_nodes=rename, without_named_graphs=True)
            yield from _checked(quads, path, budget)
            return
        except SyntaxError as exc:
            problem = exc
        except _Refused as exc:
            problem = exc
        _explain(path, raw, fmt, problem)
    text = decode(path, raw)
    part = parse_apart(_empty_graph(), path, text, fmt)
    if budget is not None:
        budget.left -= len(part)
        if budget.left < 0:
            raise budget.exceeded(path)
    yield from _quads_of(part)


#: The deepest nesting of ``[ ]`` and ``( )`` accepted in Turtle (rdflib and the exports recurse on it).
MAX_NESTING = 256
_TURTLE_TOKENS = re.compile(rb'"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^\'\\]|\\.|\'(?!\'\'))*\'\'\''
                            rb'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|<[^>\n]*>|#[^\n]*|[\[\]()]')


def _check_nesting(path, raw: bytes) -> None:
    """Refuse Turtle nested deeper than :data:`MAX_NESTING` (strings, IRIs and comments skipped)."""
    if raw.count(b"[") + raw.count(b"(") < MAX_NESTING:
        return
    depth = 0
    for m in _TURTLE_TOKENS.finditer(raw):
        token = m.group()
        if token in (b"[", b"("):
            depth += 1
            if depth > MAX_NESTING:
                raise DataError(f"{path}: nested too deeply to parse (brackets or lists hundreds of levels deep)")
        elif token in (b"]", b")"):
            depth -= 1


def _check_utf8(path, raw: bytes) -> None:
    """Refuse bytes that are not UTF-8 (located by :func:`decode`), in chunks, without keeping the text."""
    import codecs

    check = codecs.getincrementaldecoder("utf-8")()
    try:
        for at in range(0, len(raw), 1 << 22):
            check.decode(raw[at:at + (1 << 22)])
        check.decode(b"", final=True)
    except UnicodeDecodeError:
        decode(path, raw)


def _empty_graph():
    from rdflib import Graph

    return Graph()


def _quads_of(graph):
    from pyoxigraph import Quad

    bnodes = {}
    for s, p, o in graph:
        terms = []
        for term in (s, p, o):
            if type(term).__name__ == "BNode":
                terms.append(bnodes.setdefault(term, from_rdflib(term)))
            else:
                terms.append(from_rdflib(term))
        yield Quad(*terms)


def _explain(path, raw: bytes, fmt: str, problem) -> None:
    """Raise the located DataError for a file the fast parser refused."""
    text = decode(path, raw)  # a byte that is not UTF-8 is reported first, with its line
    if len(raw) <= RDFLIB_RETRY_BYTES:
        parse_apart(_empty_graph(), path, text, fmt)  # raises the reference message
    if isinstance(problem, _Refused):
        raise DataError(f"{_where(path, _line_of(text, *problem.needles))}: {problem.tail}") from None
    line = getattr(problem, "lineno", None)
    why = str(problem.msg if hasattr(problem, "msg") else problem)
    why = re.sub(r"^Parser error at line \d+ (?:between columns \d+ and \d+|column \d+): ", "", why)
    why = why if len(why) <= MAX_WHY else why[:MAX_WHY - 3] + "..."
    kind = "N-Triples" if fmt == "nt" else "Turtle"
    raise DataError(f"{_where(path, line)}: {kind} syntax error: {why}" + _looks_like(text, fmt)) from None
