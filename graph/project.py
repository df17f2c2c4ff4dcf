"""Project the loaded store onto a networkx MultiDiGraph of entities and typed edges.

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

The result holds no rdflib terms, so it is stored as plain JSON
(:mod:`graph.graphio`) and the algorithms and renderer never need rdflib. It is
read from the asserted triples the build kept on their way into the store
(:class:`graph.asserted.Asserted`, one bucket per predicate), never from the
store itself; where the data gives several values
for one node (two labels, two numbers) the smallest is taken, so the answer
never depends on the order of storage.
"""

from __future__ import annotations

from .asserted import is_literal
from .namespace import PREFIXES

_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_RDFS = "http://www.w3.org/2000/01/rdf-schema#"
_OWL = "http://www.w3.org/2002/07/owl#"
_SKOS = "http://www.w3.org/2004/02/skos/core#"
_DCTERMS = "http://purl.org/dc/terms/"
_XSD = "http://www.w3.org/2001/XMLSchema#"
_AKG = "https://w3id.org/alignkg#"
_TYPE = _RDF + "type"
_BROADER = _SKOS + "broader"

#: Predicates that describe nodes rather than relate them.
_NOT_EDGES = {_TYPE, _AKG + "qualifiedRelation", _AKG + "inSection", _AKG + "relation", _AKG + "target",
              _AKG + "verdict", _RDFS + "isDefinedBy"}

_EVALUATION_RATIONALE = {
    _AKG + "assumes": "An evaluation of the proposal hinges on this assumption.",
    _AKG + "vulnerableTo": "An evaluation of the proposal names this failure mode.",
}
#: evaluation property -> the proposal property it implies (as in :mod:`graph.entail`).
_EVALUATION_RULES = {_AKG + "hingesOn": _AKG + "assumes", _AKG + "namesFailureMode": _AKG + "vulnerableTo"}
_INTEGERS = {_XSD + t for t in ("integer", "int", "long", "short", "byte", "nonNegativeInteger", "positiveInteger",
                                "negativeInteger", "nonPositiveInteger", "unsignedLong", "unsignedInt",
                                "unsignedShort", "unsignedByte")}


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


def _order(term):
    """Sort key of a kept term (see :mod:`graph.asserted`): blank nodes, then literals, then IRIs,
    each by value (the order of a pyoxigraph term's type name and value)."""
    if type(term) is str:
        return ("BlankNode", term[2:]) if term.startswith("_:") else ("NamedNode", term)
    return ("Literal", term.value)


def _target(term):
    """Provenance key of a relation's target: the node key, never equal to one for a literal."""
    return term if type(term) is str else ("literal", term.value)


def _python(literal):
    """The value of a literal the way the projection needs it: int, bool or str."""
    datatype = literal.datatype.value if literal.datatype is not None else None
    value = literal.value
    if datatype in _INTEGERS:
        try:
            return int(value)
        except ValueError:
            return value
    if datatype == _XSD + "boolean":
        return value.strip() in ("true", "1")
    return value


def _flag(term) -> bool:
    """A boolean attribute: a literal's value; a node counts as true."""
    return bool(_python(term)) if is_literal(term) else True


_short = short


class _Values:
    """Subject key -> objects of one predicate."""

    def __init__(self, asserted, predicate: str):
        by_subject = self.by_subject = {}
        for s, o in asserted.pairs(predicate):
            values = by_subject.get(s)
            if values is None:
                by_subject[s] = [o]
            else:
                values.append(o)

    def all(self, node):
        return self.by_subject.get(node, ())

    def one(self, node):
        """The smallest value (deterministic when the data gives several)."""
        values = self.by_subject.get(node)
        if not values:
            return None
        return min(values, key=_order) if len(values) > 1 else values[0]

    def text(self, node):
        """The English (or untagged) literal, else any literal."""
        values = self.by_subject.get(node)
        if not values:
            return None
        best = other = None
        for value in values:
            if type(value) is str:
                continue
            if value.language in (None, "en"):
                best = value.value if best is None else min(best, value.value)
            else:
                other = value.value if other is None else min(other, value.value)
        return best if best is not None else other


def _narrower_properties(asserted) -> dict:
    """property -> every property strictly below it (transitively), from ``rdfs:subPropertyOf``."""
    from .entail import strictly_above

    above, _ = strictly_above(asserted.pairs(_RDFS + "subPropertyOf"))
    below = {}
    for child, parents in above.items():
        for parent in parents:
            if not is_literal(parent):
                below.setdefault(parent, set()).add(child)
    return below


def _closure(pairs: dict, roots) -> dict:
    """node -> the first root (in ``roots`` order) it reaches downwards along ``pairs`` (child lists)."""
    out = {}
    for root, value in roots:
        stack = [root]
        while stack:
            node = stack.pop()
            if node in out and node != root:
                continue
            out.setdefault(node, value)
            stack.extend(c for c in pairs.get(node, ()) if c not in out)
    return out


def _children(values) -> dict:
    """object key -> subject keys, for a relation such as ``rdfs:subClassOf`` (literal objects skipped)."""
    out = {}
    for child, parents in values.by_subject.items():
        for parent in parents:
            if not is_literal(parent):
                out.setdefault(parent, []).append(child)
    return out


def project(source):
    """Build the networkx view of the asserted data.

    Parameters
    ----------
    source : graph.asserted.Asserted or pyoxigraph.Store
        The data as asserted (a store is read whole first), without the
        triples of :func:`graph.entail.entailed`: the projection adds the
        shortcut edges itself (from the qualifications and evaluations it
        reads anyway) and keeps the asserted relations, not their entailed
        super-properties.

    Returns
    -------
    networkx.MultiDiGraph
        Nodes keyed by IRI string; see the module docstring for attributes.

    Examples
    --------
    >>> from pyoxigraph import Store, RdfFormat
    >>> s = Store()
    >>> s.load(b'''@prefix akg: <https://w3id.org/alignkg#> .
    ... @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
    ... akg:usesTechnique rdfs:subPropertyOf akg:dependsOn .
    ... akg:p a akg:Proposal ; rdfs:label "P" ; akg:usesTechnique akg:t .
    ... akg:t a akg:Technique ; rdfs:label "T" .''', RdfFormat.TURTLE)
    >>> G = project(s)
    >>> G.nodes["https://w3id.org/alignkg#p"]["kind"]
    'proposal'
    >>> [d["dependency"] for _, _, d in G.edges(data=True)]
    [True]
    """
    import networkx as nx

    from .asserted import Asserted
    from .namespace import KINDS

    asserted = source if isinstance(source, Asserted) else Asserted.from_store(source)
    shorts, cache = {}, {}

    def short(iri):  # noqa: F811 - the module's short(), memoised for this build
        out = shorts.get(iri)
        if out is None:
            out = shorts[iri] = _short(iri)
        return out

    def values(p):
        out = cache.get(p)
        if out is None:
            out = cache[p] = _Values(asserted, p)
        return out

    sub_property = values(_RDFS + "subPropertyOf")
    kind_order = {kind: i for i, kind in enumerate(KINDS.values())}
    kinds = _closure(_children(values(_RDFS + "subClassOf")), [(str(cls), kind) for cls, kind in KINDS.items()])
    dependency = set(_closure(_children(sub_property), [(_AKG + "dependsOn", True)]))
    types = list(asserted.pairs(_TYPE))
    symmetric = {s for s, o in types if o == _OWL + "SymmetricProperty"}

    label, definition, comment = values(_RDFS + "label"), values(_SKOS + "definition"), values(_RDFS + "comment")
    alt, in_section = values(_SKOS + "altLabel"), values(_AKG + "inSection")
    part_of, heading, alternative = values(_DCTERMS + "isPartOf"), values(_AKG + "heading"), values(_DCTERMS + "alternative")
    G = nx.MultiDiGraph()
    sections = {}

    def section_info(sec):
        source = part_of.one(sec)
        src = source if source is not None and not is_literal(source) else None
        title = label.text(src) if src is not None else None
        return {
            "iri": sec,
            "heading": heading.text(sec) or label.text(sec) or short(sec),
            "source": title,
            "source_short": (alternative.text(src) or title) if src is not None else None,
        }

    def section_list(node):
        found = in_section.by_subject.get(node)
        if not found:
            return []
        out = []
        for sec in sorted({t for t in found if not is_literal(t)}):
            if sec not in sections:
                sections[sec] = section_info(sec)
            out.append(sections[sec])
        return out

    node_kind = {}
    for s, o in types:
        if is_literal(o) or s.startswith("_:"):
            continue
        kind = kinds.get(o)
        if kind is None:
            continue
        if s not in node_kind or kind_order[kind] < kind_order[node_kind[s]]:
            node_kind[s] = kind

    nodes = G._node
    for node in sorted(node_kind):
        nodes[node] = {
            "iri": node,
            "short": short(node),
            "kind": node_kind[node],
            "label": label.text(node) or short(node),
            "definition": definition.text(node) or comment.text(node),
            "alt_labels": sorted({t.value for t in alt.all(node)}),
            "sections": section_list(node),
        }
        G._succ[node], G._pred[node] = {}, {}

    def having(p):  # (attributes, values) of each node with values of the predicate p
        for node, found in values(_AKG + p).by_subject.items():
            attrs = nodes.get(node)
            if attrs is not None:
                yield attrs, found

    # the optional attributes, one predicate at a time, always added in this order
    for attrs, found in having("number"):
        numbers = [_python(n) for n in found if is_literal(n)]
        numbers = [v for v in numbers if isinstance(v, int) and not isinstance(v, bool)]  # else: SHACL reports it
        if numbers:  # several (SHACL reports that too): the smallest, the same on every run
            attrs["number"] = min(numbers)
    for attrs, found in having("derived"):
        attrs["derived"] = _flag(min(found, key=_order))
    for attrs, found in having("verdict"):
        ver = min(found, key=_order)
        if not is_literal(ver):
            attrs["verdict"] = label.text(ver) or short(ver)
            attrs["verdict_iri"] = ver
        else:
            attrs["verdict"] = ver.value
    rationale_v = values(_AKG + "rationale")
    for p, key in (("verdictRationale", "verdict_rationale"), ("rationale", "rationale")):
        vals = values(_AKG + p)
        for attrs, _ in having(p):
            text = vals.text(attrs["iri"])
            if text:
                attrs[key] = text
    for attrs, found in having("preferred"):
        pref = min(found, key=_order)
        if is_literal(pref) and isinstance(_python(pref), bool):
            attrs["preferred"] = _python(pref)
    for p, key in (("isAgent", "is_agent"), ("givesFeedbackDuringTraining", "feedback")):
        for attrs, found in having(p):
            attrs[key] = _flag(min(found, key=_order))
    story_terms = values(_AKG + "inStoryTerms")
    for attrs, _ in having("inStoryTerms"):
        terms = story_terms.text(attrs["iri"])
        if terms:
            attrs["in_story_terms"] = terms
    for attrs, found in having("analysedInSource"):
        attrs["analysed"] = _flag(min(found, key=_order))
    for node, kind in node_kind.items():
        if kind == "section":
            nodes[node].update(section_info(node))
    derived_v = values(_AKG + "derived")

    # provenance of each (subject, relation, target): from qualifications ...
    relation_v, target_v = values(_AKG + "relation"), values(_AKG + "target")
    provenance = {}
    for s, qk in asserted.pairs(_AKG + "qualifiedRelation"):
        if is_literal(qk):
            continue  # a literal has no relation or target
        rel, tgt = relation_v.one(qk), target_v.one(qk)
        key = (s, rel if rel is not None and not is_literal(rel) else None, _target(tgt) if tgt is not None else None)
        der = derived_v.one(qk)
        provenance[key] = {
            "sections": section_list(qk),
            "rationale": rationale_v.text(qk),
            "derived": _flag(der) if der is not None else None,
            "criteria": [],
        }
    # ... and from the evaluations that imply "assumes" and "vulnerableTo".
    evaluates, on_criterion = values(_AKG + "evaluates"), values(_AKG + "onCriterion")
    via_values = {via: values(via) for via in _EVALUATION_RULES}
    evaluations = sorted({s for s, o in types if o == _AKG + "Evaluation"})
    for evaluation in evaluations:
        criterion = on_criterion.one(evaluation)
        if criterion is not None:
            ck = criterion if not is_literal(criterion) else criterion.value
            criterion = label.text(ck) or short(ck)
        der = derived_v.one(evaluation)
        ev_derived = bool(_python(der)) if der is not None and is_literal(der) else der is not None
        ev_sections = section_list(evaluation)
        for proposal in evaluates.all(evaluation):
            if is_literal(proposal):
                continue
            for via, implied in _EVALUATION_RULES.items():
                for target in via_values[via].all(evaluation):
                    entry = provenance.get((proposal, implied, _target(target)))
                    if entry is None:
                        entry = provenance[(proposal, implied, _target(target))] = {
                            "sections": [], "rationale": None, "derived": None, "criteria": []}
                    for sec in ev_sections:
                        if sec not in entry["sections"]:
                            entry["sections"].append(sec)
                    if criterion is not None:
                        entry["criteria"].append(criterion)
                    entry["rationale"] = entry["rationale"] or _EVALUATION_RATIONALE[implied]
                    entry["derived"] = bool(entry["derived"]) or ev_derived

    # the shortcut triples (see graph.entail) are the provenance keys: edges even before they are stored
    shortcuts = {}
    for s_key, p, o_key in provenance:
        if p is not None and p not in _NOT_EDGES and s_key in node_kind and o_key in node_kind:
            shortcuts.setdefault(p, []).append((s_key, o_key))
    predicates = sorted((set(asserted.predicates()) - _NOT_EDGES) | set(shortcuts))
    by_predicate = {}
    for p in predicates:
        edges = by_predicate[p] = set(shortcuts.get(p, ()))
        for s, o in asserted.pairs(p):
            if type(o) is str and s in node_kind and o in node_kind:
                edges.add((s, o))
    # data that already holds the RDFS closure (an endpoint fed by push) states each relation
    # also through its super-properties: keep the most specific one, as the asserted data has it
    narrower = _narrower_properties(asserted)
    succ, pred = G._succ, G._pred
    for p in predicates:
        edges = by_predicate[p]
        for b in narrower.get(p, ()):
            if by_predicate.get(b):
                edges = edges - by_predicate[b]
        if not edges:
            continue
        sp = short(p)
        relation = sp.split(":", 1)[-1] if sp.startswith(("akg:", "skos:", "rdfs:", "dcterms:")) else p
        constant = {"relation": relation, "relation_label": label.text(p) or sp.split(":")[-1],
                    "dependency": p in dependency, "hierarchy": p == _BROADER, "symmetric": p in symmetric}
        broader = p == _BROADER
        bare = {**constant, "sections": None, "rationale": None, "derived": None, "criteria": None}
        for s_key, o_key in sorted(edges):
            info = provenance.get((s_key, p, o_key))
            attrs = bare.copy()
            if info is None:  # most edges: only their relation's attributes
                attrs["sections"] = section_list(s_key) if broader else []
                attrs["criteria"] = []
            else:
                attrs["sections"] = info["sections"] or (section_list(s_key) if broader else [])
                attrs["rationale"] = info["rationale"]
                attrs["derived"] = info["derived"]
                criteria = info["criteria"]
                attrs["criteria"] = sorted(set(criteria)) if criteria else []
            keydict = succ[s_key].get(o_key)
            if keydict is None:
                keydict = succ[s_key][o_key] = pred[o_key][s_key] = {}
            keydict[relation] = attrs  # as add_edge(key=relation) would, directly (no per-edge call)
    return G
