"""Project the rdflib graph onto a networkx MultiDiGraph of entities and typed edges.

Nodes are the entities (anything typed with a class of the schema, or a
subclass of one), keyed by IRI string, with plain-data attributes: ``label``,
``kind``, ``definition``, ``alt_labels``, ``sections`` and a few more. Edges
are the object-property triples between two entities, keyed by the property's
short name (``usesTechnique``, ``broader``, ...), with attributes:

``relation`` / ``relation_label``
    the property's short name and its label;
``dependency``
    True when the property is akg:dependsOn or a sub-property of it;
``hierarchy``
    True for skos:broader (followed by depends-on from narrower to broader);
``sections``, ``rationale``, ``derived``, ``criteria``
    the provenance of the edge, from its qualification or from the
    evaluations that imply it.

The result holds no rdflib terms, so it pickles small and the algorithms and
renderer never need rdflib.
"""

from __future__ import annotations

import networkx as nx
from rdflib import RDF, RDFS, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, SKOS

from .namespace import AKG, KINDS, PREFIXES

#: Predicates that describe nodes rather than relate them.
_NOT_EDGES = {RDF.type, AKG.qualifiedRelation, AKG.inSection, AKG.relation, AKG.target,
              AKG.verdict, RDFS.isDefinedBy}


_EVALUATION_RATIONALE = {
    AKG.assumes: "An evaluation of the proposal hinges on this assumption.",
    AKG.vulnerableTo: "An evaluation of the proposal names this failure mode.",
}


def short(iri) -> str:
    """A prefixed name for ``iri`` when one of the usual prefixes fits.

    >>> short("https://w3id.org/alignkg#myopia")
    'akg:myopia'
    """
    iri = str(iri)
    for prefix, ns in PREFIXES.items():
        if iri.startswith(str(ns)) and len(iri) > len(str(ns)):
            return f"{prefix}:{iri[len(str(ns)):]}"
    return iri


def _text(graph, node, prop):
    """The English (or untagged) literal of ``prop``, else any literal."""
    best = None
    for value in graph.objects(node, prop):
        if isinstance(value, Literal):
            if value.language in (None, "en"):
                return str(value)
            best = best or str(value)
    return best


def _kinds_by_class(graph):
    """Map every class that is (a subclass of) a schema class to its kind name."""
    kinds = {}
    for cls, kind in KINDS.items():
        for sub in graph.transitive_subjects(RDFS.subClassOf, cls):
            kinds.setdefault(sub, kind)
    return kinds


def _dependency_properties(graph):
    return set(graph.transitive_subjects(RDFS.subPropertyOf, AKG.dependsOn))


def _section_info(graph, section):
    source = graph.value(section, DCTERMS.isPartOf)
    title = _text(graph, source, RDFS.label) if source is not None else None
    return {
        "iri": str(section),
        "heading": _text(graph, section, AKG.heading) or _text(graph, section, RDFS.label) or short(section),
        "source": title,
        "source_short": (_text(graph, source, DCTERMS.alternative) or title) if source is not None else None,
    }


def project(graph) -> nx.MultiDiGraph:
    """Build the networkx view of an (entailed) rdflib graph.

    Parameters
    ----------
    graph : rdflib.Graph
        The loaded data, after :func:`graph.entail.entail`.

    Returns
    -------
    networkx.MultiDiGraph
        Nodes keyed by IRI string; see the module docstring for attributes.

    Examples
    --------
    >>> from rdflib import Graph
    >>> g = Graph().parse(data='''@prefix akg: <https://w3id.org/alignkg#> .
    ... @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
    ... akg:usesTechnique rdfs:subPropertyOf akg:dependsOn .
    ... akg:p a akg:Proposal ; rdfs:label "P" ; akg:usesTechnique akg:t .
    ... akg:t a akg:Technique ; rdfs:label "T" .''', format="turtle")
    >>> G = project(g)
    >>> G.nodes["https://w3id.org/alignkg#p"]["kind"]
    'proposal'
    >>> [d["dependency"] for _, _, d in G.edges(data=True)]
    [True]
    """
    kinds = _kinds_by_class(graph)
    dependency = _dependency_properties(graph)
    G = nx.MultiDiGraph()
    sections = {}

    def section_list(node):
        out = []
        for sec in sorted(graph.objects(node, AKG.inSection)):
            if sec not in sections:
                sections[sec] = _section_info(graph, sec)
            out.append(sections[sec])
        return out

    for node, cls in graph.subject_objects(RDF.type):
        kind = kinds.get(cls)
        if kind is None or not isinstance(node, URIRef) or str(node) in G:
            continue
        attrs = {
            "iri": str(node),
            "short": short(node),
            "kind": kind,
            "label": _text(graph, node, RDFS.label) or short(node),
            "definition": _text(graph, node, SKOS.definition) or _text(graph, node, RDFS.comment),
            "alt_labels": sorted({str(v) for v in graph.objects(node, SKOS.altLabel)}),
            "sections": section_list(node),
        }
        numbers = [n.toPython() for n in graph.objects(node, AKG.number)]
        numbers = [v for v in numbers if isinstance(v, int) and not isinstance(v, bool)]  # else: SHACL reports it
        if numbers:  # several (SHACL reports that too): the smallest, the same on every run
            attrs["number"] = min(numbers)
        derived = graph.value(node, AKG.derived)
        if derived is not None:
            attrs["derived"] = bool(derived.toPython())
        verdict = graph.value(node, AKG.verdict)
        if verdict is not None:
            attrs["verdict"] = _text(graph, verdict, RDFS.label) or short(verdict)
        for prop, key in ((AKG.isAgent, "is_agent"), (AKG.givesFeedbackDuringTraining, "feedback")):
            value = graph.value(node, prop)
            if value is not None:
                attrs[key] = bool(value.toPython())
        story_terms = _text(graph, node, AKG.inStoryTerms)
        if story_terms:
            attrs["in_story_terms"] = story_terms
        analysed = graph.value(node, AKG.analysedInSource)
        if analysed is not None:
            attrs["analysed"] = bool(analysed.toPython())
        if kind == "section":
            attrs.update(_section_info(graph, node))
        G.add_node(str(node), **attrs)

    # provenance of each (subject, relation, target): from qualifications ...
    provenance = {}
    for subject, q in graph.subject_objects(AKG.qualifiedRelation):
        key = (str(subject), graph.value(q, AKG.relation), str(graph.value(q, AKG.target)))
        derived = graph.value(q, AKG.derived)
        provenance[key] = {
            "sections": section_list(q),
            "rationale": _text(graph, q, AKG.rationale),
            "derived": bool(derived.toPython()) if derived is not None else None,
            "criteria": [],
        }
    # ... and from the evaluations that imply "assumes" and "vulnerableTo".
    from .entail import EVALUATION_RULES

    for evaluation in graph.subjects(RDF.type, AKG.Evaluation):
        criterion = graph.value(evaluation, AKG.onCriterion)
        ev_derived = bool((graph.value(evaluation, AKG.derived) or Literal(False)).toPython())
        for proposal in graph.objects(evaluation, AKG.evaluates):
            for via, implied in EVALUATION_RULES.items():
                for target in graph.objects(evaluation, via):
                    entry = provenance.setdefault(
                        (str(proposal), implied, str(target)),
                        {"sections": [], "rationale": None, "derived": None, "criteria": []},
                    )
                    for sec in section_list(evaluation):
                        if sec not in entry["sections"]:
                            entry["sections"].append(sec)
                    if criterion is not None:
                        entry["criteria"].append(_text(graph, criterion, RDFS.label) or short(criterion))
                    entry["rationale"] = entry["rationale"] or _EVALUATION_RATIONALE[implied]
                    entry["derived"] = bool(entry["derived"]) or ev_derived

    labels = {}
    for s, p, o in graph:
        if p in _NOT_EDGES or not isinstance(o, URIRef):
            continue
        s_key, o_key = str(s), str(o)
        if s_key not in G or o_key not in G:
            continue
        if p not in labels:
            labels[p] = _text(graph, p, RDFS.label) or short(p).split(":")[-1]
        relation = short(p).split(":", 1)[-1] if short(p).startswith(("akg:", "skos:", "rdfs:", "dcterms:")) else str(p)
        info = provenance.get((s_key, p, o_key), {})
        G.add_edge(
            s_key, o_key, key=relation,
            relation=relation,
            relation_label=labels[p],
            dependency=p in dependency,
            hierarchy=p == SKOS.broader,
            symmetric=(p, RDF.type, OWL.SymmetricProperty) in graph,
            sections=info.get("sections") or (section_list(s) if p == SKOS.broader else []),
            rationale=info.get("rationale"),
            derived=info.get("derived"),
            criteria=sorted(set(info.get("criteria", []))),
        )
    return G
