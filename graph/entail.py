"""Add the triples the data implies, materialised in the store every query sees.

Shortcut rules, documented in ontology/schema.ttl:

1. a qualification ``S akg:qualifiedRelation [akg:relation P; akg:target T]``
   implies ``S P T`` (as PROV-O's qualified influences imply the plain one);
2. an evaluation of proposal P that ``akg:hingesOn`` assumption A implies
   ``P akg:assumes A``;
3. an evaluation of proposal P that ``akg:namesFailureMode`` F implies
   ``P akg:vulnerableTo F``.

RDFS rules, on the asserted data and the shortcuts:

- rdfs5 and rdfs11: ``rdfs:subPropertyOf`` and ``rdfs:subClassOf`` are transitive;
- rdfs7: ``S P O`` and ``P rdfs:subPropertyOf Q`` give ``S Q O`` (so every
  dependency relation also states ``akg:dependsOn``);
- rdfs9: ``X a C`` and ``C rdfs:subClassOf D`` give ``X a D`` (so every
  criterion is an ``akg:Criterion`` and every entity an ``akg:Entity``).

``rdfs:domain`` and ``rdfs:range`` are not applied: they would give a type to
whatever a mistyped statement touches (a proposal used as a technique would
silently become a technique) and hide the mistakes that SHACL validation
reports. The reflexive and axiomatic triples of RDFS (``C rdfs:subClassOf C``,
``P a rdf:Property``) are not added either: they answer no question. The rules
run once over the asserted data: a property declared a sub-property of
``rdf:type`` or ``rdfs:subClassOf`` is not chased further.

Every rule is a SPARQL CONSTRUCT over the asserted data, run inside
pyoxigraph; their results go into the store in one bulk load. (owlrl's RDFS
closure does the same on an rdflib graph, plus the axiomatic triples, and is
much slower: see the store note.)
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

_QUALIFIED = "?s akg:qualifiedRelation ?q . ?q akg:relation ?p ; akg:target ?t . FILTER(isIRI(?p))"
_SUPER = "?p rdfs:subPropertyOf+ ?sup . FILTER(isIRI(?sup) && ?sup != ?p)"

RULES = [
    # shortcuts, and their super-properties (rdfs7 on the shortcut)
    f"CONSTRUCT {{ ?s ?p ?t }} WHERE {{ {_QUALIFIED} }}",
    f"CONSTRUCT {{ ?s ?sup ?t }} WHERE {{ {_QUALIFIED} {_SUPER} }}",
    *(f"CONSTRUCT {{ ?x <{implied}> ?y }} WHERE {{ ?e a akg:Evaluation ; akg:evaluates ?x ; <{via}> ?y . }}"
      for via, implied in EVALUATION_RULES.items()),
    *(f"CONSTRUCT {{ ?x ?sup ?y }} WHERE {{ ?e a akg:Evaluation ; akg:evaluates ?x ; <{via}> ?y . "
      f"BIND(<{implied}> AS ?p) {_SUPER} }}" for via, implied in EVALUATION_RULES.items()),
    # rdfs5, rdfs11: transitivity of the schema relations (no reflexive triples)
    "CONSTRUCT { ?a rdfs:subPropertyOf ?c } WHERE { ?a rdfs:subPropertyOf/rdfs:subPropertyOf+ ?c FILTER(?a != ?c) }",
    "CONSTRUCT { ?a rdfs:subClassOf ?c } WHERE { ?a rdfs:subClassOf/rdfs:subClassOf+ ?c FILTER(?a != ?c) }",
    # rdfs7: a statement with a sub-property states its super-properties too
    f"CONSTRUCT {{ ?s ?sup ?o }} WHERE {{ {_SUPER} ?s ?p ?o }}",
    # rdfs9: an instance of a subclass is an instance of its super-classes
    "CONSTRUCT { ?x a ?d } WHERE { ?c rdfs:subClassOf+ ?d FILTER(?c != ?d) ?x a ?c }",
]


def entailed(store):
    """Yield the entailed triples of the asserted data in ``store`` as pyoxigraph Quads (default graph).

    Some may be in the store already (a user may state a shortcut too).
    """
    from pyoxigraph import Quad

    for rule in RULES:
        for t in store.query(rule, prefixes=_PREFIXES):
            yield Quad(t.subject, t.predicate, t.object)


def entail(store, count: bool = True) -> int | None:
    """Add the shortcut and RDFS triples to the pyoxigraph ``store`` in place; return how many were new.

    Examples
    --------
    >>> from pyoxigraph import Store, RdfFormat
    >>> s = Store()
    >>> s.load(b'''@prefix akg: <https://w3id.org/alignkg#> .
    ... @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
    ... akg:usesTechnique rdfs:subPropertyOf akg:dependsOn .
    ... akg:Proposal rdfs:subClassOf akg:Entity .
    ... akg:p a akg:Proposal ;
    ...     akg:qualifiedRelation [ akg:relation akg:usesTechnique ; akg:target akg:t ] .''', RdfFormat.TURTLE)
    >>> entail(s)
    3
    >>> bool(s.query("ASK { akg:p a akg:Entity ; akg:usesTechnique akg:t ; akg:dependsOn akg:t }",
    ...              prefixes=_PREFIXES))
    True
    """
    before = len(store) if count else 0
    new = list(entailed(store)) if len(store) < 100_000 else entailed(store)
    store.bulk_extend(new)
    return len(store) - before if count else None
