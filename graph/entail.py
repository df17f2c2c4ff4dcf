"""Add the triples the data implies, materialised in the store every query sees.

Shortcut rules, documented in ontology/schema.ttl (:func:`entail`):

1. a qualification ``S akg:qualifiedRelation [akg:relation P; akg:target T]``
   implies ``S P T`` (as PROV-O's qualified influences imply the plain one);
2. an evaluation of proposal P that ``akg:hingesOn`` assumption A implies
   ``P akg:assumes A``;
3. an evaluation of proposal P that ``akg:namesFailureMode`` F implies
   ``P akg:vulnerableTo F``.

RDFS rules (:func:`entail_rdfs`), applied once, in this order, after the
shortcuts:

- rdfs5 and rdfs11: ``rdfs:subPropertyOf`` and ``rdfs:subClassOf`` are transitive;
- rdfs7: ``S P O`` and ``P rdfs:subPropertyOf Q`` give ``S Q O`` (so every
  dependency relation also states ``akg:dependsOn``);
- rdfs9: ``X a C`` and ``C rdfs:subClassOf D`` give ``X a D`` (so every
  criterion is an ``akg:Criterion`` and every entity an ``akg:Entity``).

``rdfs:domain`` and ``rdfs:range`` are not applied: they would give a type to
whatever a mistyped statement touches (a proposal used as a technique would
silently become a technique) and hide the mistakes that SHACL validation
reports. The reflexive and axiomatic triples of RDFS (``C rdfs:subClassOf C``,
``P a rdf:Property``) are not added either: they answer no question.

Both run as SPARQL updates inside pyoxigraph, on the whole store at once
(on the shipped graph this is much faster than owlrl's RDFS closure on an
rdflib graph, which also adds the axiomatic triples; see bench/scale.py).
"""

from __future__ import annotations

#: evaluation property -> the proposal property it implies.
EVALUATION_RULES = {
    "https://w3id.org/alignkg#hingesOn": "https://w3id.org/alignkg#assumes",
    "https://w3id.org/alignkg#namesFailureMode": "https://w3id.org/alignkg#vulnerableTo",
}

_PREFIXES = {
    "akg": "https://w3id.org/alignkg#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
}

SHORTCUT_RULES = [
    "INSERT { ?s ?p ?t } WHERE { ?s akg:qualifiedRelation ?q . ?q akg:relation ?p ; akg:target ?t . FILTER(isIRI(?p)) }",
    *(f"INSERT {{ ?p <{implied}> ?x }} WHERE {{ ?e a akg:Evaluation ; akg:evaluates ?p ; <{via}> ?x . }}"
      for via, implied in EVALUATION_RULES.items()),
]

RDFS_RULES = [
    # rdfs5, rdfs11: transitivity of the schema relations (no reflexive triples)
    "INSERT { ?a rdfs:subPropertyOf ?c } WHERE { ?a rdfs:subPropertyOf/rdfs:subPropertyOf+ ?c FILTER(?a != ?c) }",
    "INSERT { ?a rdfs:subClassOf ?c } WHERE { ?a rdfs:subClassOf/rdfs:subClassOf+ ?c FILTER(?a != ?c) }",
    # rdfs7: a statement with a sub-property states its super-properties too
    "INSERT { ?s ?q ?o } WHERE { ?p rdfs:subPropertyOf ?q FILTER(?p != ?q && isIRI(?q)) ?s ?p ?o }",
    # rdfs9: an instance of a subclass is an instance of its super-classes
    "INSERT { ?x a ?d } WHERE { ?c rdfs:subClassOf ?d FILTER(?c != ?d) ?x a ?c }",
]


def _count(store) -> int:
    return len(store)


def entail(store, count: bool = True) -> int | None:
    """Add the shortcut triples to the pyoxigraph ``store`` in place; return how many were new.

    Examples
    --------
    >>> from pyoxigraph import Store, RdfFormat
    >>> s = Store()
    >>> s.load(b'''@prefix akg: <https://w3id.org/alignkg#> .
    ... akg:p akg:qualifiedRelation [ akg:relation akg:usesTechnique ; akg:target akg:t ] .''', RdfFormat.TURTLE)
    >>> entail(s)
    1
    """
    before = _count(store) if count else 0
    for rule in SHORTCUT_RULES:
        store.update(rule, prefixes=_PREFIXES)
    return _count(store) - before if count else None


def entail_rdfs(store, count: bool = True) -> int | None:
    """Add the RDFS sub-class and sub-property closure to ``store`` in place; return how many triples were new.

    Examples
    --------
    >>> from pyoxigraph import Store, RdfFormat
    >>> s = Store()
    >>> s.load(b'''@prefix akg: <https://w3id.org/alignkg#> .
    ... @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
    ... akg:usesTechnique rdfs:subPropertyOf akg:dependsOn .
    ... akg:Proposal rdfs:subClassOf akg:Entity .
    ... akg:p a akg:Proposal ; akg:usesTechnique akg:t .''', RdfFormat.TURTLE)
    >>> entail_rdfs(s)
    2
    >>> bool(s.query("ASK { akg:p a akg:Entity ; akg:dependsOn akg:t }", prefixes=_PREFIXES))
    True
    """
    before = _count(store) if count else 0
    for rule in RDFS_RULES:
        store.update(rule, prefixes=_PREFIXES)
    return _count(store) - before if count else None
