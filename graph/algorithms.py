"""Reachability along dependency edges: pure functions on the projected graph.

"P depends on X" when X can be reached from P along dependency edges (any
sub-property of akg:dependsOn) and skos:broader edges (depending on a narrower
concept is depending on the broader one). Other relations (variant of,
contrasted with, mitigates, vulnerable to, ...) are never followed. With
``direct=True`` a path may use exactly one dependency edge, followed by any
number of broader edges.

Every answer carries an explanation: the shortest path, as a list of steps
``{"from", "to", "relation", ...edge attributes}``. These functions take a
networkx graph and return plain data; they know nothing of rdflib or pyvis.
"""

from __future__ import annotations

from collections import deque
from operator import itemgetter

PROPOSAL = frozenset({"proposal"})
_EDGE_ORDER = itemgetter(0, 1, 2)


def _followed(data) -> bool:
    return bool(data.get("dependency") or data.get("hierarchy"))


def _cost(data) -> int:
    return 1 if data.get("dependency") else 0


def _step(G, u, v, key):
    """One step of a path: the edge's attributes, with ``from`` and ``to``.

    A followed projection (:func:`graph.graphio.load_followed`) gives an edge's
    attributes beyond its relation's through ``G.graph["edge_attrs"]``, read here.
    """
    attrs = G.graph.get("edge_attrs")
    data = attrs(u, v, key) if attrs is not None else G.edges[u, v, key]
    return {"from": u, "to": v, **{k: data[k] for k in data}}


def _search(G, start, *, reverse, direct):
    """Breadth-first search over followed edges from ``start``.

    Returns ``{node: (steps, previous_state)}`` style parent links, as a dict
    mapping each reached node to its shortest path (list of steps) from or to
    ``start``. States are (node, dependency edges used) so that ``direct``
    can cap that number at one.
    """
    limit = 1 if direct else None
    parent = {(start, 0): None}
    queue = deque([(start, 0)])
    while queue:
        node, used = queue.popleft()
        edges = G.in_edges(node, keys=True, data=True) if reverse else G.out_edges(node, keys=True, data=True)
        # only followed edges are sorted (most edges of a big graph are not followed); same order
        for u, v, key, data in sorted([e for e in edges if _followed(e[3])], key=_EDGE_ORDER):
            nxt = u if reverse else v
            spent = used + _cost(data)
            if limit is not None and spent > limit:
                continue
            spent = min(spent, 1)  # only "none yet" vs "some" matters: keeps the state space finite
            state = (nxt, spent)
            if state not in parent:
                parent[state] = ((node, used), (u, v, key))
                queue.append(state)
    # Paths share structure: one step dict per edge, and each state's path is built once from its
    # parent's (a chain of n links costs n step dicts and n(n+1)/2 references, not n(n+1)/2 dicts).
    step_of, path_of, paths = {}, {(start, 0): ()}, {}
    for state in parent:  # insertion order is BFS order: a state's parent comes before it
        if parent[state] is None:
            continue
        prev, edge = parent[state]
        step = step_of.get(edge)
        if step is None:
            step = step_of[edge] = _step(G, *edge)
        path_of[state] = path_of[prev] + (step,)
        node, used = state
        if node == start or node in paths or used == 0:
            continue
        chain = path_of[state]
        paths[node] = list(chain[::-1]) if reverse else list(chain)
    return paths


def depends_on(G, target, *, direct=False, kinds=PROPOSAL):
    """The entities of ``kinds`` that depend on ``target``, with explanation paths.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        Projected graph (edges carry ``dependency`` and ``hierarchy`` flags).
    target : str
        Node key of the thing depended on.
    direct : bool
        Only one dependency step (then broader edges) instead of the closure.
    kinds : collection of str or None
        Kinds of dependents to report (proposals by default; None for all).

    Returns
    -------
    list of dict
        ``{"node": key, "path": [step, ...]}`` sorted by path length, then key;
        each path runs from the dependent to ``target``.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.MultiDiGraph()
    >>> G.add_nodes_from([("p", {"kind": "proposal"}), ("t", {"kind": "technique"}),
    ...                   ("m1", {"kind": "concept"}), ("m", {"kind": "concept"})])
    >>> G.add_edge("p", "t", key="usesTechnique", dependency=True)
    'usesTechnique'
    >>> G.add_edge("t", "m1", key="requires", dependency=True)
    'requires'
    >>> G.add_edge("m1", "m", key="broader", hierarchy=True)
    'broader'
    >>> [(r["node"], len(r["path"])) for r in depends_on(G, "m")]
    [('p', 3)]
    >>> depends_on(G, "m", direct=True)
    []
    """
    paths = _search(G, target, reverse=True, direct=direct)
    found = [{"node": n, "path": p} for n, p in paths.items() if kinds is None or G.nodes[n].get("kind") in kinds]
    return sorted(found, key=lambda r: (len(r["path"]), r["node"]))


def dependencies(G, source, *, direct=False, kinds=None):
    """What ``source`` depends on, with explanation paths.

    Parameters
    ----------
    G : networkx.MultiDiGraph
    source : str
        Node key of the dependent (usually a proposal).
    direct : bool
        Only one dependency step (then broader edges).
    kinds : collection of str or None
        Kinds of dependencies to report (all by default).

    Returns
    -------
    list of dict
        ``{"node": key, "path": [step, ...]}``, paths running from ``source``.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.MultiDiGraph()
    >>> G.add_edge("p", "t", key="usesTechnique", dependency=True)
    'usesTechnique'
    >>> G.add_edge("t", "x", key="variantOf", dependency=False)
    'variantOf'
    >>> [r["node"] for r in dependencies(G, "p")]
    ['t']
    """
    paths = _search(G, source, reverse=False, direct=direct)
    found = [{"node": n, "path": p} for n, p in paths.items() if kinds is None or G.nodes[n].get("kind") in kinds]
    return sorted(found, key=lambda r: (len(r["path"]), r["node"]))


def shared(G, sources, *, direct=False, kinds=None):
    """What every one of ``sources`` depends on, with each one's path.

    Parameters
    ----------
    G : networkx.MultiDiGraph
    sources : sequence of str
        Two or more node keys (usually proposals).
    direct : bool
        Only direct dependencies (one dependency step, then broader edges).
    kinds : collection of str or None
        Kinds of shared dependencies to report.

    Returns
    -------
    list of dict
        ``{"node": key, "paths": {source: [step, ...]}}`` sorted by the
        longest of the paths, then key.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.MultiDiGraph()
    >>> G.add_edge("a", "hch", key="limitsTo", dependency=True)
    'limitsTo'
    >>> G.add_edge("b", "hch", key="limitsTo", dependency=True)
    'limitsTo'
    >>> G.add_edge("b", "x", key="requires", dependency=True)
    'requires'
    >>> [r["node"] for r in shared(G, ["a", "b"])]
    ['hch']
    """
    per_source = {s: {r["node"]: r["path"] for r in dependencies(G, s, direct=direct, kinds=kinds)} for s in sources}
    common = set.intersection(*(set(d) for d in per_source.values())) if per_source else set()
    common -= set(sources)
    found = [{"node": n, "paths": {s: per_source[s][n] for s in sources}} for n in common]
    return sorted(found, key=lambda r: (max(len(p) for p in r["paths"].values()), r["node"]))


def resting_on(G, node):
    """The proposals that rest on ``node``, and how: ``(proposals, relation)``.

    A proposal rests on itself; a failure mode is what proposals are
    vulnerable to (``vulnerableTo``, narrower failure modes included), which is
    not a dependency; anything else is rested on by the proposals that depend
    on it.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.MultiDiGraph()
    >>> G.add_nodes_from([("p", {"kind": "proposal"}), ("f", {"kind": "failure-mode"}), ("g", {"kind": "failure-mode"})])
    >>> G.add_edge("g", "f", key="broader", hierarchy=True)
    'broader'
    >>> G.add_edge("p", "g", key="vulnerableTo", dependency=False)
    'vulnerableTo'
    >>> resting_on(G, "f")
    (['p'], 'vulnerable to')
    """
    kind = G.nodes[node].get("kind")
    if kind == "proposal":
        return [node], "is"
    if kind == "failure-mode":
        narrower, queue = {node}, deque([node])
        while queue:
            for u, _, data in G.in_edges(queue.popleft(), data=True):
                if data.get("hierarchy") and u not in narrower:
                    narrower.add(u)
                    queue.append(u)
        found = {u for n in narrower for u, _, k in G.in_edges(n, keys=True)
                 if k == "vulnerableTo" and G.nodes[u].get("kind") == "proposal"}
        return sorted(found), "vulnerable to"
    return [r["node"] for r in depends_on(G, node)], "depends on"


def shared_ground(G, sources, *, direct=False, exclude=()):
    """What the proposals resting on each of ``sources`` have in common.

    ``shared`` of two techniques (or concepts, assumptions) asks two questions
    beyond their own common dependencies: which proposals rest on all of
    them, and what the proposals built on the one and those built on the
    other both depend on. A proposal stands for itself; failure modes bring
    the proposals vulnerable to them (they have no dependencies of their own,
    so they add no common ground).

    Parameters
    ----------
    G : networkx.MultiDiGraph
    sources : sequence of str
        Two or more node keys of any kind.
    direct : bool
        Only the proposals' direct dependencies.
    exclude : collection of str
        Nodes not to report (the sources' own common dependencies, say).

    Returns
    -------
    dict
        ``{"resting_on_all": [proposal keys], "relations": {source: relation},
        "ground": [{"node", "through": {source: [proposal keys]}, "paths":
        {source: path from the first of those proposals}}]}``; ``ground`` is
        empty when a source is a failure mode or nothing rests on one.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.MultiDiGraph()
    >>> G.add_nodes_from([("p", {"kind": "proposal"}), ("q", {"kind": "proposal"}),
    ...                   ("a", {"kind": "technique"}), ("b", {"kind": "technique"}), ("m", {"kind": "concept"})])
    >>> for u, v in [("p", "a"), ("q", "b"), ("p", "m"), ("q", "m")]:
    ...     _ = G.add_edge(u, v, key="uses", dependency=True)
    >>> found = shared_ground(G, ["a", "b"])
    >>> found["resting_on_all"], [(g["node"], g["through"]) for g in found["ground"]]
    ([], [('m', {'a': ['p'], 'b': ['q']})])
    """
    resting, relations = {}, {}
    for s in sources:
        resting[s], relations[s] = resting_on(G, s)
    common = set.intersection(*(set(p) for p in resting.values())) if resting else set()
    out = {"resting_on_all": sorted(common, key=lambda n: (G.nodes[n].get("number", 99), n)),
           "relations": relations, "ground": []}
    if any(rel == "vulnerable to" or not resting[s] for s, rel in relations.items()):
        return out
    reach = {}  # source -> {node: {proposal: path}}
    for s in sources:
        per = reach.setdefault(s, {})
        for p in resting[s]:
            for r in dependencies(G, p, direct=direct):
                per.setdefault(r["node"], {})[p] = r["path"]
    ground = set.intersection(*(set(d) for d in reach.values())) - set(sources) - set(exclude)
    order = lambda p: (G.nodes[p].get("number", 99), p)  # noqa: E731
    for n in ground:
        through = {s: sorted(reach[s][n], key=order) for s in sources}
        paths = {s: reach[s][n][through[s][0]] for s in sources}
        out["ground"].append({"node": n, "through": through, "paths": paths})
    out["ground"].sort(key=lambda g: (-min(len(t) for t in g["through"].values()), g["node"]))
    return out
