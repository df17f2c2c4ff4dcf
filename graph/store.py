"""The loaded knowledge graph behind a cache keyed by the input files' contents.

:class:`Store` offers the two views commands need: :attr:`Store.nx`, the
networkx projection (enough for every read command), and :attr:`Store.rdf`,
the rdflib graph (for SPARQL, validation and export). Both are pickled under
the cache directory with a key made from the bytes of every input file and of
the code that builds them, so an edit to any of them is picked up at once and
a warm start never imports rdflib.

The cache lives in ``$ALIGNKG_CACHE_DIR`` or ``$XDG_CACHE_HOME/alignkg``
(``~/.cache/alignkg``); ``ALIGNKG_CACHE_DIR=off`` disables it. A cache that
cannot be written is silently skipped.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from functools import cached_property
from pathlib import Path

from . import __version__
from .load import decode, format_of, ontology_files, read_bytes

_BUILD_CODE = ("load.py", "card.py", "entail.py", "project.py", "namespace.py")


def cache_dir() -> Path | None:
    """The cache directory, or None when caching is off."""
    configured = os.environ.get("ALIGNKG_CACHE_DIR")
    if configured == "off":
        return None
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "alignkg"


class Store:
    """The shipped ontology plus the user's ``--data`` files.

    Parameters
    ----------
    data : sequence of str
        Extra RDF files named by the user (read and checked at once, so a bad
        path fails before any work is done).
    include_shipped : bool
        Load ``ontology/`` too (the default).
    """

    def __init__(self, data=(), include_shipped=True):
        shipped = list(ontology_files()) if include_shipped else []
        self.paths = shipped + list(data)
        self._shipped = len(shipped)
        self._contents = []
        digest = hashlib.sha256(__version__.encode())
        here = Path(__file__).parent
        for name in _BUILD_CODE:
            digest.update((here / name).read_bytes())
        for path in self.paths:
            raw = read_bytes(path)
            format_of(path)  # fail early on an unknown extension
            self._contents.append(raw)
            digest.update(Path(path).suffix.encode() + b"\0" + hashlib.sha256(raw).digest())
        self.key = digest.hexdigest()[:32]

    # -- cache ---------------------------------------------------------------

    def _cached(self, name, build):
        directory = cache_dir()
        file = directory / f"{self.key}.{name}.pickle" if directory else None
        if file is not None:
            try:
                with open(file, "rb") as fh:
                    return pickle.load(fh)
            except (OSError, pickle.PickleError, EOFError, AttributeError, ImportError):
                pass
        value = build()
        if file is not None:
            try:
                directory.mkdir(parents=True, exist_ok=True)
                fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{name}-")
                try:
                    with os.fdopen(fd, "wb") as fh:
                        pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
                    os.replace(tmp, file)
                except BaseException:  # a full disk must not leave a half-written pickle behind
                    Path(tmp).unlink(missing_ok=True)
                    raise
            except (OSError, pickle.PickleError):
                pass
        return value

    # -- views ---------------------------------------------------------------

    def _build_rdf(self):
        from rdflib import Graph

        from .entail import entail
        from .load import parse_apart, parse_text
        from .namespace import PREFIXES

        g = Graph()
        for prefix, ns in PREFIXES.items():
            g.bind(prefix, ns, override=True)
        inputs = list(zip(self.paths, self._contents))
        # the user's files are parsed (and checked) first, so a bad one is reported at once;
        # their triples still join after the shipped ones, as if read in order
        users = [parse_apart(g, path, decode(path, raw), format_of(path)) for path, raw in inputs[self._shipped:]]
        for path, raw in inputs[:self._shipped]:
            parse_text(g, path, decode(path, raw), format_of(path))
        for part in users:
            g.addN((s, p, o, g) for s, p, o in part)
        entail(g)
        return g

    @cached_property
    def rdf(self):
        """The rdflib graph of all inputs, with entailed shortcut triples."""
        return self._cached("rdf", self._build_rdf)

    @cached_property
    def nx(self):
        """The networkx projection (see :mod:`graph.project`)."""

        def build():
            from .project import project

            return project(self.rdf)

        return self._cached("nx", build)
