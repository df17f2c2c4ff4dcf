"""Researcher questions beyond reachability: what-if, critical, path, compare.

Pure functions on the projected graph (see :mod:`graph.project`); they return
plain data and import neither rdflib nor pyvis. Evaluations are nodes with
``evaluates``, ``onCriterion`` and ``hingesOn`` edges; proposals carry
``number`` when the source numbers them.
"""

from __future__ import annotations

from collections import defaultdict

from .algorithms import dependencies, depends_on


def _out(G, node, relation):
    return [v for _, v, k in G.out_edges(node, keys=True) if k == relation]


def _evaluations(G, proposal):
    """(evaluation, criterion) pairs of a proposal."""
    pairs = []
    for ev, _, k in G.in_edges(proposal, keys=True):
        if k == "evaluates":
            for c in _out(G, ev, "onCriterion"):
                pairs.append((ev, c))
    return pairs


def routes(G, evaluation):
    """The alternative routes of an evaluation, each a set of hinges (and possibly a limit).

    An evaluation without explicit ``hasRoute`` edges has one implicit route made
    of all its hinges (``"node": None``), so that it behaves as before routes existed.

    Parameters
    ----------
    G : networkx.MultiDiGraph
    evaluation : str
        Node key of the evaluation.

    Returns
    -------
    list of dict
        ``{"node", "hinges": [assumption keys], "limits": [node keys],
        "preferred": bool}``, explicit routes with the preferred one first.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.MultiDiGraph()
    >>> for u, v, k in [("e", "a", "hingesOn"), ("e", "b", "hingesOn"), ("e", "r1", "hasRoute"),
    ...                 ("e", "r2", "hasRoute"), ("r1", "a", "routeHinge"), ("r2", "b", "routeHinge")]:
    ...     _ = G.add_edge(u, v, key=k, relation=k)
    >>> [(r["node"], r["hinges"]) for r in routes(G, "e")]
    [('r1', ['a']), ('r2', ['b'])]
    """
    explicit = sorted(_out(G, evaluation, "hasRoute"), key=lambda r: (G.nodes[r].get("preferred") is not True, r))
    if not explicit:
        return [{"node": None, "hinges": sorted(_out(G, evaluation, "hingesOn")), "limits": [], "preferred": False}]
    return [{"node": r, "hinges": sorted(_out(G, r, "routeHinge")), "limits": sorted(_out(G, r, "throughLimit")),
             "preferred": G.nodes[r].get("preferred") is True} for r in explicit]


def same_judgement(G, evaluation):
    """The evaluations the source says ``evaluation`` comes out the same as, and that its verdict follows.

    Stated on the evaluation itself, on its preferred route, or on every one of
    its routes (then it holds whichever route is taken).

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.MultiDiGraph()
    >>> _ = G.add_edge("e3", "e2", key="sameJudgementAs")
    >>> same_judgement(G, "e3")
    ['e2']
    """
    found = set(_out(G, evaluation, "sameJudgementAs"))
    explicit = [r for r in routes(G, evaluation) if r["node"] is not None]
    per_route = [set(_out(G, r["node"], "sameJudgementAs")) for r in explicit]
    for r, same in zip(explicit, per_route):
        if r["preferred"]:
            found |= same
    if per_route:
        found |= set.intersection(*per_route)
    return sorted(found)


def _failed(route, broken):
    return bool(broken & (set(route["hinges"]) | set(route["limits"])))


def what_if(G, failing):
    """Which proposals lose support if the nodes ``failing`` fail, and on which criteria.

    A proposal loses support when it depends on a failing node. An evaluation's
    route fails when one of its hinges (or the limit it goes through) is, or
    depends on, a failing node. A criterion is *lost* when every route of the
    evaluation fails, and *weakened* when some route fails and another remains
    (an evaluation without routes has one route made of all its hinges). A
    proposal that reaches a failing node only through its components loses
    support on no named criterion: ``criteria`` and ``weakened`` are empty and
    ``structural`` True.

    Parameters
    ----------
    G : networkx.MultiDiGraph
    failing : sequence of str
        Node keys of the assumptions, concepts or techniques assumed to fail.

    Returns
    -------
    list of dict
        ``{"node", "criteria": [criterion keys lost outright], "weakened":
        [{"criterion", "evaluation", "failed_routes", "remaining_routes"}],
        "evaluations": [keys of the lost ones], "paths": {failing node: path},
        "structural": bool}``, proposals losing the most criteria first.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.MultiDiGraph()
    >>> G.add_node("p", kind="proposal"); G.add_node("a", kind="assumption")
    >>> G.add_node("e", kind="evaluation"); G.add_node("c", kind="criterion")
    >>> for u, v, k, dep in [("p", "a", "assumes", True), ("e", "p", "evaluates", False),
    ...                      ("e", "c", "onCriterion", False), ("e", "a", "hingesOn", False)]:
    ...     _ = G.add_edge(u, v, key=k, relation=k, dependency=dep)
    >>> [(r["node"], r["criteria"], r["weakened"]) for r in what_if(G, ["a"])]
    [('p', ['c'], [])]
    >>> G.add_node("b", kind="assumption")
    >>> for u, v, k in [("e", "b", "hingesOn"), ("e", "r1", "hasRoute"), ("e", "r2", "hasRoute"),
    ...                 ("r1", "a", "routeHinge"), ("r2", "b", "routeHinge")]:
    ...     _ = G.add_edge(u, v, key=k, relation=k, dependency=False)
    >>> [(w["criterion"], w["failed_routes"], w["remaining_routes"]) for w in what_if(G, ["a"])[0]["weakened"]]
    [('c', ['r1'], ['r2'])]
    """
    failing = list(dict.fromkeys(failing))
    hit = {}
    for f in failing:
        for r in depends_on(G, f):
            hit.setdefault(r["node"], {})[f] = r["path"]
    # which assumptions are, or depend on, a failing node
    broken = set(failing)
    for f in failing:
        broken |= {r["node"] for r in depends_on(G, f, kinds={"assumption"})}
    number = lambda c: G.nodes[c].get("number", 99)  # noqa: E731
    out = []
    for p, paths in hit.items():
        criteria, evaluations, weakened = set(), set(), []
        for ev, c in _evaluations(G, p):
            alternatives = routes(G, ev)
            failed = [r for r in alternatives if _failed(r, broken)]
            if not failed:
                continue
            if len(failed) == len(alternatives):
                criteria.add(c)
                evaluations.add(ev)
            else:
                weakened.append({"criterion": c, "evaluation": ev,
                                 "failed_routes": [r["node"] for r in failed],
                                 "remaining_routes": [r["node"] for r in alternatives if r not in failed]})
        weakened = [w for w in weakened if w["criterion"] not in criteria]
        out.append({"node": p, "criteria": sorted(criteria, key=number),
                    "weakened": sorted(weakened, key=lambda w: (number(w["criterion"]), w["criterion"])),
                    "evaluations": sorted(evaluations), "paths": paths,
                    "structural": not criteria and not weakened})
    return sorted(out, key=lambda r: (-len(r["criteria"]), -len(r["weakened"]),
                                      G.nodes[r["node"]].get("number", 99), r["node"]))


def route_condition(G, proposal, relation, target):
    """The routes on which a direct dependency of ``proposal`` holds, when it holds only on some.

    ``assumes`` edges come from the hinges of evaluations and ``limitsTo`` edges
    may be conditional on a route that goes through that limit. The dependency
    holds only on some routes when every evaluation that names ``target`` has
    explicit routes and at least one of them does not name it.

    Returns
    -------
    list of dict
        ``{"route", "evaluation"}`` for the routes that name ``target``; empty
        when the dependency holds on every route (or routes do not apply).

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.MultiDiGraph()
    >>> for u, v, k in [("e", "p", "evaluates"), ("e", "c", "onCriterion"), ("e", "a", "hingesOn"),
    ...                 ("e", "b", "hingesOn"), ("e", "r1", "hasRoute"), ("e", "r2", "hasRoute"),
    ...                 ("r1", "a", "routeHinge"), ("r2", "b", "routeHinge")]:
    ...     _ = G.add_edge(u, v, key=k, relation=k)
    >>> route_condition(G, "p", "assumes", "a")
    [{'route': 'r1', 'evaluation': 'e'}]
    """
    if relation not in ("assumes", "limitsTo"):
        return []
    key = "hinges" if relation == "assumes" else "limits"
    naming = []
    for ev, _ in _evaluations(G, proposal):
        alternatives = routes(G, ev)
        named = [r for r in alternatives if target in r[key]]
        if not named:
            continue
        if named == alternatives:  # holds on every route of this evaluation (or it has none)
            return []
        naming.extend({"route": r["node"], "evaluation": ev} for r in named)
    return naming


#: above this many nodes, betweenness centrality (a tie-breaker in :func:`critical`) is sampled
_CENTRALITY_SAMPLE = 1000


def dependents_closure(G, seed):
    """For every node, the union of ``seed`` values over the entities that depend on it.

    "Depend" is the relation of :func:`graph.algorithms.depends_on`: a path along
    dependency and broader edges with at least one dependency edge. Values are
    ints used as bit sets, so one pass over the graph answers every node at once
    (a long ``skos:broader`` chain costs a few big-int ORs per link, not a search
    per node). Cycles are iterated to a fixed point.

    Parameters
    ----------
    G : networkx.MultiDiGraph
    seed : dict
        node -> int (bits to contribute when that node is a dependent).

    Returns
    -------
    (dict, dict)
        ``hier[n]``: the seeds of ``n`` and of what reaches it along broader edges
        only; ``dep[n]``: the seeds of the entities that depend on ``n``.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.MultiDiGraph()
    >>> _ = G.add_edge("p", "t", key="usesTechnique", dependency=True)
    >>> _ = G.add_edge("t", "narrow", key="requires", dependency=True)
    >>> _ = G.add_edge("narrow", "broad", key="broader", hierarchy=True)
    >>> bits = {"p": 1, "t": 2, "narrow": 4, "broad": 8}
    >>> _, dep = dependents_closure(G, bits)
    >>> dep["broad"] == bits["p"] | bits["t"], dep["t"] == bits["p"]
    (True, True)
    """
    import networkx as nx

    preds = {n: [] for n in G.nodes}
    followed = nx.DiGraph()
    followed.add_nodes_from(G.nodes)
    for u, v, d in G.edges(data=True):
        if d.get("dependency") or d.get("hierarchy"):
            preds[v].append((u, bool(d.get("dependency"))))
            followed.add_edge(u, v)
    condensed = nx.condensation(followed)
    order = [n for c in nx.topological_sort(condensed) for n in sorted(condensed.nodes[c]["members"], key=str)]
    hier = {n: seed.get(n, 0) for n in G.nodes}
    dep = {n: 0 for n in G.nodes}
    changed = True
    while changed:  # one pass for a graph without cycles; a few more around cycles
        changed = False
        for n in order:
            h, d = hier[n], dep[n]
            for p, is_dependency in preds[n]:
                if is_dependency:
                    d |= hier[p] | dep[p]
                else:
                    h |= hier[p]
                    d |= dep[p]
            if h != hier[n] or d != dep[n]:
                hier[n], dep[n], changed = h, d, True
    return hier, dep


def critical(G, kinds=("assumption", "concept"), top=None):
    """Rank nodes by how many proposals, and proposal-criterion pairs, rest on them.

    The measure: (1) the number of proposals that depend on the node; (2) the
    number of evaluations (proposal x criterion) with a hinge assumption that
    is, or depends on, the node; ties broken by (3) the number of entities of
    any kind (techniques, assumptions, stories, ...) that depend on it, then
    (4) betweenness centrality in the graph of dependency and broader edges.
    Betweenness only counts paths *through* a node, so it is zero for the
    broad concepts everything ends at (myopia, HCH); the dependents count is
    the measure that separates those.

    Parameters
    ----------
    G : networkx.MultiDiGraph
    kinds : collection of str
        Kinds of node to rank.
    top : int, optional
        Keep only the first ``top``.

    Returns
    -------
    list of dict
        ``{"node", "proposals", "evaluations", "dependents", "centrality"}`` best first.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.MultiDiGraph()
    >>> G.add_nodes_from([("p", {"kind": "proposal"}), ("q", {"kind": "proposal"}), ("x", {"kind": "concept"})])
    >>> for u in ("p", "q"):
    ...     _ = G.add_edge(u, "x", key="requires", relation="requires", dependency=True)
    >>> critical(G)[0]["node"], critical(G)[0]["proposals"]
    ('x', 2)
    """
    import networkx as nx

    followed = nx.DiGraph()
    followed.add_nodes_from(G.nodes)
    followed.add_edges_from((u, v) for u, v, d in G.edges(data=True) if d.get("dependency") or d.get("hierarchy"))
    # betweenness is only the last tie-breaker: exact on graphs of ordinary size, sampled (seeded) on big ones
    sample = {"k": _CENTRALITY_SAMPLE, "seed": 0} if followed.number_of_nodes() > _CENTRALITY_SAMPLE else {}
    centrality = nx.betweenness_centrality(followed, **sample) if followed.number_of_edges() else {}
    evaluations_by_assumption = defaultdict(set)
    for ev, data in G.nodes(data=True):
        if data.get("kind") == "evaluation":
            for a in _out(G, ev, "hingesOn"):
                evaluations_by_assumption[a].add(ev)
    index = {n: i for i, n in enumerate(G.nodes)}
    ev_index = {e: i for i, e in enumerate(sorted({e for es in evaluations_by_assumption.values() for e in es}))}
    ev_bits = {n: sum(1 << ev_index[e] for e in es) for n, es in evaluations_by_assumption.items()}
    kind_of = {n: d.get("kind") for n, d in G.nodes(data=True)}
    _, dependents = dependents_closure(G, {n: 1 << i for n, i in index.items()})
    _, resting_evals = dependents_closure(
        G, {n: ev_bits.get(n, 0) if kind_of[n] == "assumption" else 0 for n in G.nodes})
    proposal_mask = sum(1 << index[n] for n, k in kind_of.items() if k == "proposal")
    rows = []
    for n in G.nodes:
        if kind_of[n] not in kinds:
            continue
        below = dependents[n] & ~(1 << index[n])  # as depends_on: the node itself is not its own dependent
        proposals = (below & proposal_mask).bit_count()
        if not proposals:
            continue
        evals = (resting_evals[n] | ev_bits.get(n, 0)).bit_count()
        rows.append({"node": n, "proposals": proposals, "evaluations": evals,
                     "dependents": below.bit_count(), "centrality": round(centrality.get(n, 0.0), 6)})
    rows.sort(key=lambda r: (-r["proposals"], -r["evaluations"], -r["dependents"], -r["centrality"], r["node"]))
    return rows[:top] if top else rows


def path(G, source, target, whole=None):
    """The shortest explanation from ``source`` to ``target``.

    Tried in order: along dependency and broader edges; along any edge in its
    direction; along any edge in either direction. ``whole`` (a function
    returning a graph) gives the graph for the last two when ``G`` holds only
    the followed edges (a followed projection); by default ``G`` itself.

    Returns
    -------
    (str, list of dict)
        How the path was found (``"dependency"``, ``"directed"``,
        ``"undirected"``, or ``"none"``) and its steps.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.MultiDiGraph()
    >>> _ = G.add_edge("a", "b", key="variantOf", relation="variantOf", dependency=False)
    >>> _ = G.add_edge("c", "b", key="requires", relation="requires", dependency=True)
    >>> kind, steps = path(G, "a", "c")
    >>> kind, [(s["from"], s["to"]) for s in steps]
    ('undirected', [('a', 'b'), ('c', 'b')])
    """
    import networkx as nx

    if source == target:
        return "dependency", []
    found = next((r["path"] for r in dependencies(G, source) if r["node"] == target), None)
    if found is not None:
        return "dependency", found
    if whole is not None:
        G = whole()
    for how, view in (("directed", G), ("undirected", G.to_undirected(as_view=True))):
        try:
            nodes = nx.shortest_path(view, source, target)
        except nx.NetworkXNoPath:
            continue
        steps = []
        for u, v in zip(nodes, nodes[1:]):
            if G.has_edge(u, v):
                key = sorted(G[u][v])[0]
                steps.append({"from": u, "to": v, **G.edges[u, v, key]})
            else:
                key = sorted(G[v][u])[0]
                steps.append({"from": v, "to": u, **G.edges[v, u, key]})
        return how, steps
    return "none", []


def jaccard(a, b) -> float:
    """Jaccard similarity of two sets (1.0 for two empty sets).

    >>> jaccard({1, 2}, {2, 3})
    0.3333333333333333
    """
    a, b = set(a), set(b)
    return 1.0 if not a and not b else len(a & b) / len(a | b)


def cluster_order(items, features):
    """Order ``items`` so that similar ones sit together (average-linkage clustering on Jaccard distance).

    Parameters
    ----------
    items : sequence
    features : dict
        item -> set of features.

    Returns
    -------
    list
        The items, in the leaf order of the dendrogram.

    Examples
    --------
    >>> cluster_order(["a", "b", "c"], {"a": {1, 2}, "b": {9}, "c": {1, 2, 3}})
    ['b', 'a', 'c']
    """
    clusters = [[i] for i in items]

    def distance(x, y):
        pairs = [(i, j) for i in x for j in y]
        return sum(1 - jaccard(features[i], features[j]) for i, j in pairs) / len(pairs)

    while len(clusters) > 1:
        best = None
        for i in range(len(clusters)):
            for j in range(i + 1, len(clusters)):
                d = distance(clusters[i], clusters[j])
                if best is None or d < best[0]:
                    best = (d, i, j)
        _, i, j = best
        merged = clusters[i] + clusters[j]
        clusters = [c for k, c in enumerate(clusters) if k not in (i, j)] + [merged]
    return clusters[0] if clusters else []


def _misfits(G, criterion, proposal):
    """What the sources say about ``criterion`` not fitting ``proposal`` (``fitsPoorly`` edges)."""
    return [{"rationale": d.get("rationale"), "sections": d.get("sections", [])}
            for _, v, k, d in G.out_edges(criterion, keys=True, data=True) if k == "fitsPoorly" and v == proposal]


#: compare --by ... -> the relations whose targets are the matrix columns.
COMPARE_BY = {
    "components": ("usesTechnique", "limitsTo", "requires"),
    "assumptions": ("assumes",),
    "story": ("goalClass", "rationaleClass"),
}


def compare(G, proposals, by="components"):
    """A proposal x feature matrix, each cell with its citation, plus similarities.

    Parameters
    ----------
    G : networkx.MultiDiGraph
    proposals : sequence of str
        Proposal keys (rows).
    by : {"components", "assumptions", "criteria", "story"}
        Columns: direct components (techniques used, limits, requirements),
        assumptions, the four criteria (cells are verdicts), or the story's goal
        and rationale classes.

    Returns
    -------
    dict
        ``{"rows": ordered proposals, "columns": ordered features,
        "cells": {(row, column): {"value", "sections", ...}}, "similarity":
        {(a, b): jaccard}}``. With ``by="criteria"`` a cell's value is the
        verdict word, and it also carries the verdict's ``rationale``, its
        ``evaluation`` and ``caveats`` (a source saying the criterion does not
        fit the proposal).
    """
    cells = {}
    features = {}
    for p in proposals:
        feats = set()
        if by == "criteria":
            for ev, c in _evaluations(G, p):
                if G.nodes[c].get("kind") == "criterion" and "number" in G.nodes[c]:
                    cells[(p, c)] = {"value": G.nodes[ev].get("verdict") or "no verdict",
                                     "sections": G.nodes[ev].get("sections", []),
                                     "rationale": G.nodes[ev].get("verdict_rationale"),
                                     "evaluation": ev, "caveats": _misfits(G, c, p)}
                    feats.add((c, cells[(p, c)]["value"]))
        else:
            sources = [p]
            if by == "story":
                sources = _out(G, p, "hasTrainingStory")
            for s in sources:
                for _, v, k, d in G.out_edges(s, keys=True, data=True):
                    if k in COMPARE_BY[by]:
                        value = ", ".join(d.get("criteria") or []) or d.get("relation_label", k)
                        cells[(p, v)] = {"value": value, "sections": d.get("sections", [])}
                        feats.add(v)
        features[p] = feats
    order = cluster_order(list(proposals), features) if by != "criteria" else list(proposals)
    columns = sorted({c for (_, c) in cells},
                     key=lambda c: (-sum(1 for p in proposals if (p, c) in cells), G.nodes[c].get("number", 0),
                                    G.nodes[c]["label"].casefold()))
    if by == "criteria":
        columns = sorted({c for (_, c) in cells}, key=lambda c: G.nodes[c].get("number", 99))
    similarity = {(a, b): round(jaccard(features[a], features[b]), 3) for a in order for b in order if a < b}
    return {"rows": order, "columns": columns, "cells": cells, "similarity": similarity}
