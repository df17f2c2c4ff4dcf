"""alignkg: a knowledge graph of AI-alignment proposals.

The package is layered; each module does one job:

- :mod:`graph.load` reads RDF files into an rdflib graph (safely),
- :mod:`graph.entail` adds the shortcut triples that qualified relations imply,
- :mod:`graph.project` turns the rdflib graph into a networkx graph,
- :mod:`graph.store` ties these together behind a cache,
- :mod:`graph.resolve` turns user-typed names into IRIs,
- :mod:`graph.algorithms` answers reachability questions on the networkx graph,
- :mod:`graph.sparql`, :mod:`graph.queries`, :mod:`graph.validate`,
  :mod:`graph.render` and :mod:`graph.output` serve the CLI.

Heavy libraries (rdflib, pyshacl, pyvis) are imported inside the functions that
need them so that cached read commands start quickly.
"""

from pathlib import Path

__version__ = "0.1.0"

ROOT = Path(__file__).resolve().parent.parent
ONTOLOGY_DIR = ROOT / "ontology"
SHAPES_FILE = ONTOLOGY_DIR / "shapes.ttl"
QUERIES_DIR = ROOT / "queries"
OUTPUT_DIR = ROOT / "output"
