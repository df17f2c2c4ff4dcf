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
read in bulk from the pyoxigraph store, one scan per predicate and one pass
over the triples whose object is an IRI; where the data gives several values
for one node (two labels, two numbers) the smallest is taken, so the answer
never depends on the order of storage.
"""

from __future__ import annotations

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


def _key(term) -> str:
    """Node key of a pyoxigraph term: the IRI, or ``_:id`` for a blank node."""
    return term.value if type(term) is _NamedNode else f"_:{term.value}"


_NamedNode = None  # pyoxigraph.NamedNode, bound by project() (pyoxigraph is imported lazily)


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


_short = short


class _Values:
    """Subject key -> objects of one predicate, read in one scan."""

    def __init__(self, store, predicate: str):
        from pyoxigraph import NamedNode

        by_subject = self.by_subject = {}
        for q in store.quads_for_pattern(None, NamedNode(predicate), None, None):
            s = q.subject
            key = s.value if type(s) is NamedNode else f"_:{s.value}"
            values = by_subject.get(key)
            if values is None:
                by_subject[key] = [q.object]
            else:
                values.append(q.object)

    def all(self, node):
        return self.by_subject.get(node, ())

    def one(self, node):
        """The smallest value (deterministic when the data gives several)."""
        values = self.by_subject.get(node)
        if not values:
            return None
        return min(values, key=lambda t: (type(t).__name__, t.value)) if len(values) > 1 else values[0]

    def text(self, node):
        """The English (or untagged) literal, else any literal."""
        best = other = None
        for value in self.by_subject.get(node, ()):
            if type(value).__name__ != "Literal":
                continue
            if value.language in (None, "en"):
                best = value.value if best is None else min(best, value.value)
            else:
                other = value.value if other is None else min(other, value.value)
        return best if best is not None else other


def _narrower_properties(sub_property) -> dict:
    """property -> every property strictly below it (transitively), from ``rdfs:subPropertyOf`` values."""
    parents = {child: {_key(p) for p in ps if type(p).__name__ != "Literal"}
               for child, ps in sub_property.by_subject.items()}
    below = {}
    for child in parents:
        seen, stack = set(), list(parents[child])
        while stack:
            parent = stack.pop()
            if parent in seen or parent == child:
                continue
            seen.add(parent)
            stack.extend(parents.get(parent, ()))
        for parent in seen:
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


def project(store):
    """Build the networkx view of a loaded pyoxigraph store.

    Parameters
    ----------
    store : pyoxigraph.Store
        The loaded data as asserted, before :func:`graph.entail.entail`: the
        projection adds the shortcut edges itself (from the qualifications and
        evaluations it reads anyway) and keeps the asserted relations, not
        their entailed super-properties.

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
    from pyoxigraph import NamedNode

    from .namespace import KINDS

    global _NamedNode
    _NamedNode = NamedNode
    shorts = {}

    def short(iri):  # noqa: F811 - the module's short(), memoised for this build
        out = shorts.get(iri)
        if out is None:
            out = shorts[iri] = _short(iri)
        return out

    def values(p):
        return _Values(store, p)

    sub_class, sub_property = values(_RDFS + "subClassOf"), values(_RDFS + "subPropertyOf")
    children = {}
    for child, parents in sub_class.by_subject.items():
        for parent in parents:
            children.setdefault(_key(parent), []).append(child)
    kind_order = {kind: i for i, kind in enumerate(KINDS.values())}
    kinds = _closure(children, [(str(cls), kind) for cls, kind in KINDS.items()])
    sub_props = {}
    for child, parents in sub_property.by_subject.items():
        for parent in parents:
            sub_props.setdefault(_key(parent), []).append(child)
    dependency = set(_closure(sub_props, [(_AKG + "dependsOn", True)]))
    symmetric = {_key(q.subject) for q in store.quads_for_pattern(
        None, NamedNode(_TYPE), NamedNode(_OWL + "SymmetricProperty"), None)}

    label, definition, comment = values(_RDFS + "label"), values(_SKOS + "definition"), values(_RDFS + "comment")
    alt, in_section = values(_SKOS + "altLabel"), values(_AKG + "inSection")
    part_of, heading, alternative = values(_DCTERMS + "isPartOf"), values(_AKG + "heading"), values(_DCTERMS + "alternative")
    G = nx.MultiDiGraph()
    sections = {}

    def section_info(sec):
        source = part_of.one(sec)
        src = _key(source) if source is not None and type(source).__name__ != "Literal" else None
        title = label.text(src) if src is not None else None
        return {
            "iri": sec,
            "heading": heading.text(sec) or label.text(sec) or short(sec),
            "source": title,
            "source_short": (alternative.text(src) or title) if src is not None else None,
        }

    def section_list(node):
        out = []
        for sec in sorted({_key(t) for t in in_section.all(node) if type(t).__name__ != "Literal"}):
            if sec not in sections:
                sections[sec] = section_info(sec)
            out.append(sections[sec])
        return out

    node_kind = {}
    for q in store.quads_for_pattern(None, NamedNode(_TYPE), None, None):
        if type(q.subject).__name__ != "NamedNode" or type(q.object).__name__ == "Literal":
            continue
        kind = kinds.get(_key(q.object))
        if kind is None:
            continue
        node = q.subject.value
        if node not in node_kind or kind_order[kind] < kind_order[node_kind[node]]:
            node_kind[node] = kind

    number, derived_v, verdict = values(_AKG + "number"), values(_AKG + "derived"), values(_AKG + "verdict")
    verdict_rationale_v, rationale_node_v = values(_AKG + "verdictRationale"), values(_AKG + "rationale")
    preferred_v = values(_AKG + "preferred")
    flags = [(values(_AKG + "isAgent"), "is_agent"), (values(_AKG + "givesFeedbackDuringTraining"), "feedback")]
    story_terms, analysed_v = values(_AKG + "inStoryTerms"), values(_AKG + "analysedInSource")
    for node in sorted(node_kind):
        kind = node_kind[node]
        attrs = {
            "iri": node,
            "short": short(node),
            "kind": kind,
            "label": label.text(node) or short(node),
            "definition": definition.text(node) or comment.text(node),
            "alt_labels": sorted({t.value for t in alt.all(node)}),
            "sections": section_list(node),
        }
        numbers = [_python(n) for n in number.all(node) if type(n).__name__ == "Literal"]
        numbers = [v for v in numbers if isinstance(v, int) and not isinstance(v, bool)]  # else: SHACL reports it
        if numbers:  # several (SHACL reports that too): the smallest, the same on every run
            attrs["number"] = min(numbers)
        der = derived_v.one(node)
        if der is not None:
            attrs["derived"] = bool(_python(der)) if type(der).__name__ == "Literal" else True
        ver = verdict.one(node)
        if ver is not None:
            if type(ver).__name__ != "Literal":
                attrs["verdict"] = label.text(_key(ver)) or short(_key(ver))
                attrs["verdict_iri"] = _key(ver)
            else:
                attrs["verdict"] = ver.value
        for vals, key in ((verdict_rationale_v, "verdict_rationale"), (rationale_node_v, "rationale")):
            text = vals.text(node)
            if text:
                attrs[key] = text
        pref = preferred_v.one(node)
        if pref is not None and type(pref).__name__ == "Literal" and isinstance(_python(pref), bool):
            attrs["preferred"] = _python(pref)
        for vals, key in flags:
            value = vals.one(node)
            if value is not None:
                attrs[key] = bool(_python(value)) if type(value).__name__ == "Literal" else True
        terms = story_terms.text(node)
        if terms:
            attrs["in_story_terms"] = terms
        an = analysed_v.one(node)
        if an is not None:
            attrs["analysed"] = bool(_python(an)) if type(an).__name__ == "Literal" else True
        if kind == "section":
            attrs.update(section_info(node))
        G.add_node(node, **attrs)

    # provenance of each (subject, relation, target): from qualifications ...
    relation_v, target_v, rationale_v = values(_AKG + "relation"), values(_AKG + "target"), values(_AKG + "rationale")
    provenance = {}
    for q in store.quads_for_pattern(None, NamedNode(_AKG + "qualifiedRelation"), None, None):
        qk = _key(q.object)
        rel, tgt = relation_v.one(qk), target_v.one(qk)
        key = (_key(q.subject), _key(rel) if rel is not None and type(rel).__name__ != "Literal" else None,
               tgt.value if tgt is not None else None)
        der = derived_v.one(qk)
        provenance[key] = {
            "sections": section_list(qk),
            "rationale": rationale_v.text(qk),
            "derived": (bool(_python(der)) if type(der).__name__ == "Literal" else True) if der is not None else None,
            "criteria": [],
        }
    # ... and from the evaluations that imply "assumes" and "vulnerableTo".
    evaluates, on_criterion = values(_AKG + "evaluates"), values(_AKG + "onCriterion")
    via_values = {via: values(via) for via in _EVALUATION_RULES}
    evaluations = sorted(_key(q.subject) for q in store.quads_for_pattern(
        None, NamedNode(_TYPE), NamedNode(_AKG + "Evaluation"), None))
    for evaluation in evaluations:
        criterion = on_criterion.one(evaluation)
        der = derived_v.one(evaluation)
        ev_derived = bool(_python(der)) if der is not None and type(der).__name__ == "Literal" else der is not None
        for proposal in evaluates.all(evaluation):
            for via, implied in _EVALUATION_RULES.items():
                for target in via_values[via].all(evaluation):
                    entry = provenance.setdefault(
                        (_key(proposal), implied, target.value),
                        {"sections": [], "rationale": None, "derived": None, "criteria": []},
                    )
                    for sec in section_list(evaluation):
                        if sec not in entry["sections"]:
                            entry["sections"].append(sec)
                    if criterion is not None:
                        ck = _key(criterion) if type(criterion).__name__ != "Literal" else criterion.value
                        entry["criteria"].append(label.text(ck) or short(ck))
                    entry["rationale"] = entry["rationale"] or _EVALUATION_RATIONALE[implied]
                    entry["derived"] = bool(entry["derived"]) or ev_derived

    # the shortcut triples (see graph.entail) are the provenance keys: edges even before they are stored
    shortcuts = {}
    for s_key, p, o_key in provenance:
        if p is not None and p not in _NOT_EDGES and s_key in node_kind and o_key in node_kind:
            shortcuts.setdefault(p, []).append((s_key, o_key))
    predicates = sorted({row["p"].value for row in store.query(
        "SELECT DISTINCT ?p WHERE { ?s ?p ?o FILTER(isIRI(?o)) }") if row["p"].value not in _NOT_EDGES}
        | set(shortcuts))
    by_predicate, pair_predicates = {}, {}
    for p in predicates:
        edges = by_predicate[p] = shortcuts.get(p, [])
        for q in store.quads_for_pattern(None, NamedNode(p), None, None):
            o, s = q.object, q.subject
            if type(o) is NamedNode and type(s) is NamedNode:
                s_key, o_key = s.value, o.value
                if s_key in node_kind and o_key in node_kind:
                    edges.append((s_key, o_key))
        for pair in edges:
            pair_predicates.setdefault(pair, set()).add(p)
    # data that already holds the RDFS closure (an endpoint fed by push) states each relation
    # also through its super-properties: keep the most specific one, as the asserted data has it
    narrower = _narrower_properties(sub_property)
    succ, pred = G._succ, G._pred
    empty = {}
    for p in predicates:
        edges = by_predicate[p]
        below = narrower.get(p)
        if below:
            edges = [pair for pair in edges if not (pair_predicates[pair] & below)]
        if not edges:
            continue
        sp = short(p)
        relation = sp.split(":", 1)[-1] if sp.startswith(("akg:", "skos:", "rdfs:", "dcterms:")) else p
        constant = {"relation": relation, "relation_label": label.text(p) or sp.split(":")[-1],
                    "dependency": p in dependency, "hierarchy": p == _BROADER, "symmetric": p in symmetric}
        for s_key, o_key in sorted(set(edges)):
            info = provenance.get((s_key, p, o_key), empty)
            attrs = dict(constant)
            attrs["sections"] = info.get("sections") or (section_list(s_key) if p == _BROADER else [])
            attrs["rationale"] = info.get("rationale")
            attrs["derived"] = info.get("derived")
            attrs["criteria"] = sorted(set(info.get("criteria", ())))
            keydict = succ[s_key].get(o_key)
            if keydict is None:
                keydict = succ[s_key][o_key] = pred[o_key][s_key] = {}
            keydict[relation] = attrs  # as add_edge(key=relation) would, directly (no per-edge call)
    return G
