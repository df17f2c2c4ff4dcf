"""Add the triples the data implies, so that queries can use plain shortcuts.

Three rules, all documented in ontology/schema.ttl:

1. a qualification ``S akg:qualifiedRelation [akg:relation P; akg:target T]``
   implies ``S P T`` (as PROV-O's qualified influences imply the plain one);
2. an evaluation of proposal P that ``akg:hingesOn`` assumption A implies
   ``P akg:assumes A``;
3. an evaluation of proposal P that ``akg:namesFailureMode`` F implies
   ``P akg:vulnerableTo F``.
"""

from __future__ import annotations

from rdflib import RDF

from .namespace import AKG


#: evaluation property -> the proposal property it implies.
EVALUATION_RULES = {AKG.hingesOn: AKG.assumes, AKG.namesFailureMode: AKG.vulnerableTo}


def entail(graph):
    """Add the implied shortcut triples to ``graph`` in place and return how many were new.

    Examples
    --------
    >>> from rdflib import Graph
    >>> g = Graph().parse(data='''@prefix akg: <https://w3id.org/alignkg#> .
    ... akg:p akg:qualifiedRelation [ akg:relation akg:usesTechnique ; akg:target akg:t ] .''', format="turtle")
    >>> entail(g)
    1
    """
    new = set()
    for subject, q in graph.subject_objects(AKG.qualifiedRelation):
        relation, target = graph.value(q, AKG.relation), graph.value(q, AKG.target)
        if relation is not None and target is not None:
            new.add((subject, relation, target))
    for evaluation in graph.subjects(RDF.type, AKG.Evaluation):
        for proposal in graph.objects(evaluation, AKG.evaluates):
            for via, implied in EVALUATION_RULES.items():
                for target in graph.objects(evaluation, via):
                    new.add((proposal, implied, target))
    new = {t for t in new if t not in graph}
    for triple in new:
        graph.add(triple)
    return len(new)
