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

The rules run in Python over the asserted triples the build keeps anyway
(:class:`graph.asserted.Asserted`), and their results go into the store in the
same bulk load as the data. As SPARQL CONSTRUCTs run inside pyoxigraph they
took 15 s at a million triples, against about 2 s here; tests/test_entail.py
keeps those CONSTRUCTs as the rules' specification and checks that both give
the same triples. (owlrl's RDFS closure does the same on an rdflib graph,
plus the axiomatic triples, and is much slower still.)
"""

from __future__ import annotations

_AKG = "https://w3id.org/alignkg#"
_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
_SUB_CLASS = "http://www.w3.org/2000/01/rdf-schema#subClassOf"
_SUB_PROPERTY = "http://www.w3.org/2000/01/rdf-schema#subPropertyOf"

#: evaluation property -> the proposal property it implies.
EVALUATION_RULES = {
    _AKG + "hingesOn": _AKG + "assumes",
    _AKG + "namesFailureMode": _AKG + "vulnerableTo",
}


def strictly_above(pairs) -> tuple[dict, dict]:
    """Node -> everything strictly above it along the relation of ``pairs`` (transitively, the
    node itself excluded, cycles allowed); and node -> what is directly above it.

    >>> above, up = strictly_above([("a", "b"), ("b", "c"), ("c", "a")])
    >>> sorted(above["a"]), sorted(up["a"])
    (['b', 'c'], ['b'])
    """
    up = {}
    for s, o in pairs:
        up.setdefault(s, set()).add(o)
    above = {}
    for start in up:
        seen, stack = set(), list(up[start])
        while stack:
            node = stack.pop()
            if node in seen:
                continue
            seen.add(node)
            if type(node) is str:
                stack.extend(up.get(node, ()))
        seen.discard(start)
        above[start] = seen
    return above, up


def _sorted(terms):
    return sorted(terms, key=lambda t: (type(t) is not str, t if type(t) is str else t.value))


def entailed(asserted):
    """Yield the entailed triples of ``asserted`` as (subject, predicate, object) kept terms.

    Terms are as :mod:`graph.asserted` keeps them (key strings, literals);
    :func:`graph.asserted.nt` writes them. Some triples may be asserted
    already (a user may state a shortcut too); the store keeps one copy.

    Parameters
    ----------
    asserted : graph.asserted.Asserted
        The asserted triples, by predicate.

    Examples
    --------
    >>> from pyoxigraph import RdfFormat, parse
    >>> from alignkg.asserted import Asserted
    >>> data = Asserted()
    >>> _ = list(data.tee(parse(b'''@prefix akg: <https://w3id.org/alignkg#> .
    ... @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
    ... akg:usesTechnique rdfs:subPropertyOf akg:dependsOn .
    ... akg:Proposal rdfs:subClassOf akg:Entity .
    ... akg:p a akg:Proposal ;
    ...     akg:qualifiedRelation [ akg:relation akg:usesTechnique ; akg:target akg:t ] .''', RdfFormat.TURTLE)))
    >>> sorted(p.split("#")[1] + " " + o.split("#")[1] for s, p, o in entailed(data))
    ['dependsOn t', 'type Entity', 'usesTechnique t']
    """
    properties_above, properties_up = strictly_above(asserted.pairs(_SUB_PROPERTY))
    classes_above, classes_up = strictly_above(asserted.pairs(_SUB_CLASS))
    supers_of = {}

    def supers(p):  # strict super-properties that are IRIs (rdfs7 on a statement with property p)
        out = supers_of.get(p)
        if out is None:
            out = supers_of[p] = [t for t in _sorted(properties_above.get(p, ()))
                                  if type(t) is str and not t.startswith("_:")]
        return out

    # shortcut 1: a qualification implies the plain statement, and its super-properties' (rdfs7)
    relation_of, target_of = {}, {}
    for q, p in asserted.pairs(_AKG + "relation"):
        relation_of.setdefault(q, []).append(p)
    for q, t in asserted.pairs(_AKG + "target"):
        target_of.setdefault(q, []).append(t)
    for s, q in asserted.pairs(_AKG + "qualifiedRelation"):
        if type(q) is not str:
            continue
        for p in relation_of.get(q, ()):
            if type(p) is not str or p.startswith("_:"):
                continue
            for sup in (p, *supers(p)):
                for t in target_of.get(q, ()):
                    yield s, sup, t
    # shortcuts 2 and 3: an evaluation's hinges and failure modes imply statements about its proposal
    evaluations = {s for s, o in asserted.pairs(_RDF_TYPE) if o == _AKG + "Evaluation"}
    evaluated = {}
    for e, x in asserted.pairs(_AKG + "evaluates"):
        if e in evaluations and type(x) is str:
            evaluated.setdefault(e, []).append(x)
    for via, implied in EVALUATION_RULES.items():
        implied_all = [implied, *supers(implied)]
        for e, y in asserted.pairs(via):
            for x in evaluated.get(e, ()):
                for p in implied_all:
                    yield x, p, y
    # rdfs5 and rdfs11: the schema relations are transitive
    for relation, above, direct in ((_SUB_PROPERTY, properties_above, properties_up),
                                    (_SUB_CLASS, classes_above, classes_up)):
        for s in above:
            for o in _sorted(above[s] - direct[s]):
                yield s, relation, o
    # rdfs7: a statement with a sub-property states its super-properties too
    for p in list(asserted.predicates()):
        ups = supers(p)
        if ups:
            for s, o in asserted.pairs(p):
                for sup in ups:
                    yield s, sup, o
    # rdfs9: an instance of a subclass is an instance of its super-classes
    for x, c in asserted.pairs(_RDF_TYPE):
        if type(c) is str:
            for d in _sorted(classes_above.get(c, ())):
                yield x, _RDF_TYPE, d


def entailed_ntriples(asserted) -> bytes:
    """The triples of :func:`entailed` as N-Triples (for a store's bulk loader)."""
    from .asserted import nt

    return "".join(f"{nt(s)} <{p}> {nt(o)} .\n" for s, p, o in entailed(asserted)).encode("utf-8")


def entail(store) -> int:
    """Add the shortcut and RDFS triples to the pyoxigraph ``store`` in place; return how many were new.

    The build adds them in its own bulk load (:func:`entailed_ntriples`);
    this is for a store filled some other way.

    Examples
    --------
    >>> from pyoxigraph import Store, RdfFormat
    >>> s = Store()
    >>> s.load(b'''@prefix akg: <https://w3id.org/alignkg#> .
    ... akg:e a akg:Evaluation ; akg:evaluates akg:p ; akg:hingesOn akg:a .''', RdfFormat.TURTLE)
    >>> entail(s)
    1
    """
    from pyoxigraph import Quad

    from .asserted import Asserted, term

    before = len(store)
    store.extend([Quad(term(s), term(p), term(o)) for s, p, o in entailed(Asserted.from_store(store))])
    return len(store) - before
