"""Read RDF files into an rdflib graph, safely, with located errors.

Formats are chosen by extension, never guessed. Input is read as UTF-8. Nothing
is fetched: URLs are refused as input files, RDF/XML may not declare a DOCTYPE
or entities, and JSON-LD may only use inline contexts. Every failure is a
:class:`~graph.errors.DataError` whose message starts with ``FILE:LINE:``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from . import ONTOLOGY_DIR, SHAPES_FILE
from .errors import DataError

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
}

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_XML_DTD = re.compile(r"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


def ontology_files(directory: Path = ONTOLOGY_DIR) -> list[Path]:
    """The shipped data: every Turtle file under ``ontology/`` except the shapes."""
    return sorted(p for p in directory.rglob("*.ttl") if p != SHAPES_FILE)


def read_bytes(path: str | Path) -> bytes:
    """Read a user-named file, turning every OS problem into a one-line error."""
    name = str(path)
    if _URL.match(name):
        raise DataError(f"{name}: not a local file; alignkg reads only local files (use --endpoint for remote data)")
    p = Path(path)
    try:
        if p.is_dir():
            raise DataError(f"{name}: is a directory, not an RDF file")
        return p.read_bytes()
    except FileNotFoundError:
        raise DataError(f"{name}: no such file") from None
    except PermissionError:
        raise DataError(f"{name}: permission denied") from None
    except OSError as exc:
        raise DataError(f"{name}: cannot read ({exc.strerror or exc})") from None


def format_of(path: str | Path) -> str:
    """The rdflib format for a file name, from its extension."""
    ext = Path(path).suffix.lower()
    try:
        return FORMATS[ext]
    except KeyError:
        known = ", ".join(sorted(FORMATS))
        raise DataError(f"{path}: unknown extension {ext or '(none)'!r}; use one of {known}") from None


def decode(path: str | Path, data: bytes) -> str:
    """Decode UTF-8 strictly, reporting the line of the first bad byte."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise DataError(f"{path}:{line}: not UTF-8 (byte 0x{data[exc.start]:02x}); save the file as UTF-8") from None


def _check_xml(path, text: str) -> None:
    m = _XML_DTD.search(text)
    if m:
        line = text.count("\n", 0, m.start()) + 1
        raise DataError(f"{path}:{line}: RDF/XML with a DOCTYPE or ENTITY declaration is refused (entity expansion)")


def _check_jsonld(path, text: str) -> None:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataError(f"{path}:{exc.lineno}: invalid JSON ({exc.msg})") from None

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("@context", "@import") and _has_reference(value):
                    raise DataError(f"{path}: JSON-LD {key} refers to another document; only inline contexts are allowed")
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(doc)


def _has_reference(value) -> bool:
    if isinstance(value, str):
        return True
    if isinstance(value, list):
        return any(isinstance(v, str) for v in value)
    return False


def _nt_error_line(text: str) -> int | None:
    """Find the first line rdflib's N-Triples parser rejects (it does not say)."""
    from rdflib import Graph

    for number, line in enumerate(text.splitlines(), 1):
        if line.strip() and not line.lstrip().startswith("#"):
            try:
                Graph().parse(data=line, format="nt")
            except Exception:
                return number
    return None


def parse_text(graph, path, text: str, fmt: str) -> None:
    """Parse ``text`` (the contents of ``path``) into ``graph``; errors name file and line."""
    import logging

    logging.getLogger("rdflib").setLevel(logging.ERROR)
    if not text.strip():
        raise DataError(f"{path}: file is empty")
    if fmt == "xml":
        _check_xml(path, text)
    if fmt == "json-ld":
        _check_jsonld(path, text)
    try:
        graph.parse(data=text, format=fmt, publicID=Path(path).resolve().as_uri())
    except DataError:
        raise
    except Exception as exc:  # every parser has its own exception types
        raise DataError(_located(path, text, fmt, exc)) from None


def _located(path, text, fmt, exc) -> str:
    text_of_exc = str(exc).strip()
    why = getattr(exc, "_why", None) or (text_of_exc.splitlines()[0] if text_of_exc else type(exc).__name__)
    line = getattr(exc, "lines", None)
    if line is not None:  # notation3 BadSyntax: 0-based line
        return f"{path}:{line + 1}: Turtle syntax error: {why}"
    get_line = getattr(exc, "getLineNumber", None)
    if callable(get_line):  # SAXParseException
        return f"{path}:{get_line()}: RDF/XML error: {exc.getMessage()}"
    if fmt == "nt":
        number = _nt_error_line(text)
        where = f"{path}:{number}" if number else str(path)
        return f"{where}: N-Triples syntax error: {why}"
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
    >>> from graph.load import load, ontology_files
    >>> len(load(ontology_files())) > 100
    True
    """
    from rdflib import Graph

    g = Graph() if graph is None else graph
    for path in paths:
        parse_text(g, path, decode(path, read_bytes(path)), format_of(path))
    return g
