"""alignkg: a knowledge graph of AI-alignment proposals.

The package is layered; each module does one job:

- :mod:`alignkg.parse` reads RDF files into an rdflib graph (safely),
- :mod:`alignkg.entail` adds the shortcut triples that qualified relations imply,
- :mod:`alignkg.project` turns the rdflib graph into a networkx graph,
- :mod:`alignkg.store` ties these together behind a cache,
- :mod:`alignkg.resolve` turns user-typed names into IRIs,
- :mod:`alignkg.algorithms` answers reachability questions on the networkx graph,
- :mod:`alignkg.sparql`, :mod:`alignkg.queries`, :mod:`alignkg.validate`,
  :mod:`alignkg.render` and :mod:`alignkg.output` serve the CLI,
- :mod:`alignkg.api` is the Python API for notebooks: ``kg = alignkg.load()``.

``load``, ``KnowledgeGraph``, ``Answer`` and ``Map`` are importable from the
package itself; they are loaded on first use, so ``import alignkg`` stays light.

Heavy libraries (rdflib, pyshacl, pyvis) are imported inside the functions that
need them so that cached read commands start quickly.
"""

from pathlib import Path

__version__ = "0.1.0"


def _shipped(name: str) -> Path:
    """A directory of shipped data: inside the installed package (``alignkg/ontology``),
    or, in a source checkout where ``graph/`` is the package, beside it (``ontology/``).

    The package's own directory is the one its ``__init__.py`` is in (the data is read
    as files, so the package is always on a file system); ``importlib.resources`` would
    say the same after importing a tenth of every command's start-up time.
    """
    here = Path(__file__).resolve().parent
    inside = here / name
    return inside if inside.is_dir() else here.parent / name


ONTOLOGY_DIR = _shipped("ontology")
SHAPES_FILE = ONTOLOGY_DIR / "shapes.ttl"
QUERIES_DIR = _shipped("queries")
TEMPLATES_DIR = _shipped("templates")
#: maps and exports go to ``output/`` under the current directory unless ``--output`` says otherwise
OUTPUT_DIR = Path("output")

_API = ("load", "KnowledgeGraph", "Answer", "Map")
__all__ = ["ONTOLOGY_DIR", "QUERIES_DIR", "SHAPES_FILE", "TEMPLATES_DIR", "__version__", *_API]


def __getattr__(name):
    """``alignkg.KnowledgeGraph`` and friends, imported from :mod:`alignkg.api` when first asked for."""
    if name in _API:
        from . import api

        return getattr(api, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_API))
