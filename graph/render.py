"""Interactive HTML maps: plain data in, one self-contained HTML file out.

A map page holds a *universe* of nodes and edges and several *views* of it,
each a set of nodes with fixed positions computed here, in Python, by a
layered layout (:func:`layered_layout`): what depends sits above what it
depends on (proposals, then what they use and assume, then the concepts
underneath), wide layers wrap into staggered rows, and the order within a
layer comes from barycentre sweeps. Nothing is random and the page runs no
physics, so the same input gives the same bytes and the same picture.

Views: ``overview`` (the default map: the proposals and what two or more of
them rest on), ``all`` (the whole universe), ``map`` (a focus, comparison or
what-if map) and ``focus:<id>`` for every node (its neighbourhood, opened by
a double click, the panel or the search box). The page keeps the view, the
hidden kinds, the search and the selected node in the URL fragment.

The page comes from ``templates/map.html`` with vis-network's script and
stylesheet inlined from pyvis's bundled copy (pyvis's own output links a CDN).
The template is filled in one pass, so nothing inserted (a label reading
``{{VIS_JS}}``, say) is ever read as a placeholder; the data is embedded as
JSON with ``<``, ``>`` and ``&`` escaped and the page inserts every label and
definition with ``textContent``: nothing from the data is parsed as HTML.
"""

from __future__ import annotations

import html
import json
import math
import re
from pathlib import Path

from . import OUTPUT_DIR
from .output import ensure_directory, write_atomic

#: Kinds shown on maps, with colour and vis-network shape.
STYLE = {
    "proposal": ("#d62728", "box"),
    "technique": ("#1f77b4", "diamond"),
    "concept": ("#2ca02c", "dot"),
    "assumption": ("#ff7f0e", "triangle"),
    "failure-mode": ("#9467bd", "triangleDown"),
    "training-goal": ("#17becf", "hexagon"),
    "training-rationale": ("#8c564b", "square"),
    "training-story": ("#e377c2", "ellipse"),
    "criterion": ("#7f7f7f", "square"),
}
MAP_KINDS = frozenset(STYLE) - {"criterion"}
#: Above this many nodes a page carries no per-node focus layouts (a focus then
#: shows the node's neighbourhood at its place in the whole layout).
LARGE_GRAPH = 1500

#: The overview's size: at most this many nodes, proposals included, when the
#: proposals leave room (a big --data graph keeps its proposals and the most shared).
OVERVIEW_MOST = 60

#: vis-network shapes that differ from STYLE's (which exports share): a story's
#: long label wraps better in a box than in an ellipse.
VIS_SHAPE = {"training-story": "box"}

#: Label text colour per kind; box-shaped kinds carry their label inside.
FONT_COLOUR = {"proposal": "#ffffff"}

#: The layout's measures, in canvas pixels.
FONT = 16            # label font size
LABEL_WIDTH = 150    # labels wrap at this width (vis-network widthConstraint)
SHAPE = 14           # radius of the shapes that carry their label below
GAP_X, GAP_Y, GAP_LAYER = 36, 34, 56
VERDICT_ROOM = 12    # room under a proposal's label for its verdict squares
VIEWPORT = (1240, 960)  # the map's area in a 1600x1000 window, minus a margin

_TEMPLATE = Path(__file__).parent / "templates" / "map.html"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "map"


#: Highlight groups on compare and what-if maps: border colour and legend text.
GROUPS = {
    # set by graph.review.mark on a --focus map of a user's story (alignkg render --focus NAME --data CARD)
    "inherited-open": ("#d62728", "inherited risk the story does not address"),
    "inherited": ("#2ca02c", "inherited risk the story addresses"),
    "nearest": ("#1f77b4", "nearest shipped proposal"),
    "focus": ("#000000", "the node in focus"),
    "a": ("#1f4fb4", "only the first"),
    "shared": ("#e6a700", "shared by both"),
    "b": ("#138a36", "only the second"),
    "failing": ("#000000", "assumed to fail"),
    "lost": ("#e6007e", "loses support"),
    "weakened": ("#f28e2b", "weakened (another route remains)"),
}
_GROUP_ORDER = {"a": 0, "shared": 1, "b": 2}

#: Verdict levels: the words that identify them (looked for in the verdict's
#: label or IRI, letters only, in this order), colour, legend text. Anything
#: else keeps its own words and a neutral colour: a level new to the data is
#: shown, never dropped.
VERDICTS = (
    (("notaimed",), "#9e9e9e", "not aimed at"),
    (("leansnegative", "unlikely", "negative"), "#d62728", "leans negative"),
    (("leanspositive", "likely", "positive"), "#2ca02c", "leans positive"),
    (("conditional",), "#1f77b4", "conditional"),
    (("open", "mixed"), "#e6a700", "open or mixed"),
)
UNKNOWN_VERDICT = "#6d4c41"


def verdict_style(verdict) -> tuple:
    """The colour and legend level of a verdict given by label or IRI.

    Tolerant by design: any spelling of a known level (``leans-positive``,
    ``akg:LeansPositive``, ``leans positive``) matches; an unknown verdict is
    kept with a neutral colour and its own words.

    >>> verdict_style("https://w3id.org/alignkg#LeansNegative")
    ('#d62728', 'leans negative')
    >>> verdict_style("not aimed at")
    ('#9e9e9e', 'not aimed at')
    >>> verdict_style("open")[1], verdict_style("akg:Unlikely")[1], verdict_style("leans-positive")[1]
    ('open or mixed', 'leans negative', 'leans positive')
    >>> verdict_style("https://example.org/v#Strange_Level")
    ('#6d4c41', 'strange level')
    """
    text = str(verdict or "").strip()
    local = re.split(r"[#/]", text)[-1] if "/" in text or "#" in text else text.split(":")[-1]
    letters = re.sub(r"[^a-z]", "", local.lower())
    for keys, colour, level in VERDICTS:
        if letters and any(k in letters for k in keys):
            return colour, level
    words = re.sub(r"([a-z])([A-Z])", r"\1 \2", local).replace("-", " ").replace("_", " ").lower().strip()
    return UNKNOWN_VERDICT, words or "no verdict"


def overview_ids(G, keep, *, direct=2, deep=3, most=OVERVIEW_MOST) -> set:
    """The overview: proposals and what two or more of them most rest on.

    Parameters
    ----------
    G : networkx.MultiDiGraph
    keep : set of str
        The nodes a map may show.
    direct : int
        Keep what at least this many proposals depend on directly
        (techniques, limits, assumptions, requirements).
    deep : int
        Also keep what at least this many proposals depend on at any depth
        (the concepts underneath).
    most : int
        At most this many nodes besides the proposals when there are few
        proposals (the most shared first); at least a third of it otherwise.

    Returns
    -------
    set of str

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.MultiDiGraph()
    >>> for n, k in [("p", "proposal"), ("q", "proposal"), ("t", "technique"), ("u", "technique")]:
    ...     G.add_node(n, kind=k)
    >>> for p in "pq": _ = G.add_edge(p, "t", key="usesTechnique", dependency=True)
    >>> _ = G.add_edge("p", "u", key="usesTechnique", dependency=True)
    >>> sorted(overview_ids(G, set(G)))
    ['p', 'q', 't']
    """
    from collections import Counter

    from . import algorithms

    proposals = sorted(n for n in keep if G.nodes[n].get("kind") == "proposal")
    near, far = Counter(), Counter()
    for p in proposals:
        near.update(r["node"] for r in algorithms.dependencies(G, p, direct=True)
                    if not any(s.get("relation") == "hasTrainingStory" for s in r["path"]))
        far.update(r["node"] for r in algorithms.dependencies(G, p)
                   if G.nodes[r["node"]].get("kind") != "training-story")
    chosen = sorted((({n for n, c in near.items() if c >= direct} | {n for n, c in far.items() if c >= deep}) & keep)
                    - set(proposals), key=lambda n: (-near[n], -far[n], n))
    return set(chosen[:max(most - len(proposals), most // 3)]) | set(proposals)


def map_data(G, focus=None, compare=None, what_if=None) -> dict:
    """The nodes and edges of a map, as plain data.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        Projected graph.
    focus : str, optional
        Node key: keep it, what it depends on and what depends on it.
    compare : (str, str), optional
        Two proposals: keep them and their dependencies, grouped as shared or
        belonging to one only.
    what_if : sequence of str, optional
        Failing nodes: keep them, the proposals that lose support and the
        paths between; lost proposals are marked with the criteria they lose.

    Returns
    -------
    dict
        ``{"nodes": [...], "edges": [...], "focus": key or None, "groups": [...],
        "overview": [keys] or None, "neighbourhoods": {key: [keys]}}``; each
        node has ``id``, ``label``, ``kind``, ``definition``, ``sources``,
        ``evaluations`` and optionally ``group``, ``number``, ``derived``;
        each edge ``from``, ``to``, ``relation``, ``dependency``, ``derived``,
        ``sources``. ``overview`` is set on the whole-graph map only.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.MultiDiGraph()
    >>> G.add_node("p", label="P", kind="proposal", sections=[])
    >>> G.add_node("e", label="E", kind="evaluation", sections=[])
    >>> [n["id"] for n in map_data(G)["nodes"]]
    ['p']
    """
    from . import algorithms
    from .analysis import what_if as lose
    from .answers import cite, evaluations_of

    keep = {n for n, d in G.nodes(data=True) if d.get("kind") in MAP_KINDS}
    group, notes = {}, {}
    overview, caption = None, ""
    if focus is not None:
        around = {r["node"] for r in algorithms.dependencies(G, focus)}
        around |= {r["node"] for r in algorithms.depends_on(G, focus, kinds=None)}
        keep = (around & keep) | {focus}
        group[focus] = "focus"
        for n, d in G.nodes(data=True):  # marks a review left (graph.review.mark): shown even when not around focus
            if d.get("review_mark") and n != focus:
                keep.add(n)
                group[n] = d["review_mark"]
                notes[n] = d.get("review_note", "")
    elif compare is not None:
        a, b = compare
        deps = [{r["node"]: r["path"] for r in algorithms.dependencies(G, x)} for x in (a, b)]
        nodes_a, nodes_b = set(deps[0]), set(deps[1])
        keep = ((nodes_a | nodes_b) & keep) | {a, b}
        for n in keep:
            group[n] = "shared" if n in nodes_a and n in nodes_b else "a" if n in nodes_a else "b"
        group[a], group[b] = "a", "b"
        caption = (f"{G.nodes[a]['label']} (blue border) and {G.nodes[b]['label']} (green border): what each rests on, "
                   "gold where they share it.")
    elif what_if is not None:
        found = lose(G, what_if)
        on_paths = {step[end] for r in found for p in r["paths"].values() for step in p for end in ("from", "to")}
        keep = (on_paths & keep) | set(what_if) | {r["node"] for r in found}
        for f in what_if:
            group[f] = "failing"
        caption = (f"If {' and '.join(G.nodes[f]['label'] for f in what_if)} failed: the proposals that lose support "
                   "(pink border) and the paths by which they rest on it.")
        for r in found:
            lost = [G.nodes[c]["label"] for c in r.get("criteria", [])]
            weakened = [G.nodes[c]["label"] if c in G else str(c)
                        for c in (w.get("criterion") if isinstance(w, dict) else w for w in r.get("weakened", []))]
            group[r["node"]] = "lost" if lost or not weakened else "weakened"
            text = f"Loses support on: {', '.join(lost) or 'no named criterion'}"
            if weakened:
                text += f"; weakened on: {', '.join(weakened)}"
            notes[r["node"]] = text
    else:
        overview = sorted(overview_ids(G, keep))
    nodes = []
    for n in sorted(keep):
        d = G.nodes[n]
        node = {"id": n, "label": d["label"], "kind": d["kind"], "definition": d.get("definition") or "",
                "sources": cite(d.get("sections", [])), "short": d.get("short", n)}
        if isinstance(d.get("number"), int):
            node["number"] = d["number"]
        if d.get("derived"):
            node["derived"] = True
        if d["kind"] == "proposal":
            node["evaluations"] = [{"criterion": ev["criterion"] or "", "verdict": ev["verdict"] or "",
                                    "derived": bool(ev.get("derived")), "sources": cite(ev["sections"])}
                                   for ev in evaluations_of(G, n)]
        if n in group:
            node["group"] = group[n]
        if n in notes:
            node["note"] = notes[n]
        nodes.append(node)
    edges = []
    for u, v, k, d in sorted(G.edges(keys=True, data=True), key=lambda e: (e[0], e[1], e[2])):
        if u in keep and v in keep and u != v:
            edges.append({"from": u, "to": v, "relation": d.get("relation_label", d.get("relation")),
                          "dependency": bool(d.get("dependency") or d.get("hierarchy")),
                          "derived": bool(d.get("derived")), "sources": cite(d.get("sections", []))})
    neighbourhoods = {}
    if len(keep) <= LARGE_GRAPH:
        for n in sorted(keep):
            around = {r["node"] for r in algorithms.dependencies(G, n)}
            around |= {r["node"] for r in algorithms.depends_on(G, n, kinds=None)}
            neighbourhoods[n] = sorted((around & keep) | {n})
    used = [g for g in GROUPS if any(n.get("group") == g for n in nodes)]
    return {"nodes": nodes, "edges": edges, "focus": focus, "overview": overview, "caption": caption,
            "neighbourhoods": neighbourhoods,
            "groups": [{"group": g, "colour": GROUPS[g][0], "text": GROUPS[g][1]} for g in used]}


# -- layout ---------------------------------------------------------------------------


def display_label(node) -> str:
    """The label drawn on the map: a numbered proposal shows its number.

    >>> display_label({"label": "STEM AI", "kind": "proposal", "number": 6})
    '6. STEM AI'
    """
    if node.get("kind") == "proposal" and isinstance(node.get("number"), int):
        return f"{node['number']}. {node['label']}"
    return node["label"]


def wrapped_lines(text: str, width: float = LABEL_WIDTH, font: float = FONT) -> int:
    """How many lines ``text`` takes when wrapped at ``width`` pixels (an upper estimate).

    Characters are taken as 0.62 em wide, wider than the average of the sans-serif
    faces a browser picks for vis-network's ``arial``, so that the estimate errs
    towards more lines; a word wider than the line is split, as vis-network does.

    >>> wrapped_lines("HCH"), wrapped_lines("Imitative amplification + intermittent oversight")
    (1, 4)
    """
    per_line = max(1, int(width // (0.62 * font)))
    lines, used = 1, 0
    for word in text.split():
        while len(word) > per_line:  # a long word is split
            if used:
                lines, used = lines + 1, 0
            word = word[per_line:]
            lines += 1
        need = len(word) if not used else used + 1 + len(word)
        if need <= per_line:
            used = need
        else:
            lines, used = lines + 1, len(word)
    return lines


def extent(node) -> tuple:
    """(width, above, below): a node's box around its position, with its label.

    Boxes carry their label inside, centred on the position; the other shapes
    carry it below the shape.

    >>> extent({"label": "HCH", "kind": "concept"})
    (150, 14, 39)
    """
    lines = wrapped_lines(display_label(node))
    line_h = math.ceil(FONT * 1.15)
    shape = VIS_SHAPE.get(node["kind"]) or STYLE.get(node["kind"], ("", "dot"))[1]
    if shape == "box":
        height = lines * line_h + 12 + (VERDICT_ROOM if node.get("evaluations") else 0)
        return LABEL_WIDTH + 12, height // 2 + 1, height // 2 + 1
    size = node_size(node)
    return LABEL_WIDTH, size, size + 6 + lines * line_h


def node_size(node) -> int:
    return SHAPE + 8 if node.get("group") in ("focus", "failing") else SHAPE


def _acyclic(ids, arcs):
    """``arcs`` minus the back edges of a depth-first search in sorted order: a DAG, always the same one."""
    out = {n: [] for n in ids}
    for u, v in sorted(set(arcs)):
        out[u].append(v)
    state, keep = {}, []
    for root in ids:
        if root in state:
            continue
        state[root] = 1
        stack = [(root, iter(out[root]))]
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = 2
                stack.pop()
            elif state.get(child) == 1:
                continue  # a back edge closes a cycle: dropped
            else:
                keep.append((node, child))
                if child not in state:
                    state[child] = 1
                    stack.append((child, iter(out[child])))
    return keep


def _layers(ids, edges, kinds):
    """Longest-path layers over dependency edges (cycles broken deterministically)."""
    import networkx as nx

    order = {k: i for i, k in enumerate(("proposal", "training-story", "technique", "assumption", "concept",
                                         "failure-mode", "training-goal", "training-rationale"))}
    arcs = _acyclic(ids, [(e["from"], e["to"]) for e in edges if e["dependency"] and e["from"] != e["to"]])
    D = nx.DiGraph()
    D.add_edges_from(arcs)
    layer = {}
    for n in nx.topological_sort(D):
        layer[n] = max((layer[p] + 1 for p in D.predecessors(n)), default=0)
    # nodes without dependency edges: under what points at them, else beside what they point at, else by kind
    above, below = {}, {}
    for e in edges:
        above.setdefault(e["to"], []).append(e["from"])
        below.setdefault(e["from"], []).append(e["to"])
    for n in ids:
        if n in layer:
            continue
        up = [layer[m] + 1 for m in above.get(n, []) if m in layer]
        down = [layer[m] for m in below.get(n, []) if m in layer]
        layer[n] = max(up) if up else min(down) if down else min(order.get(kinds[n], 8), 3)
    levels = sorted(set(layer.values()))
    rank = {v: i for i, v in enumerate(levels)}
    return {n: rank[layer[n]] for n in ids}


def _order(layer_of, edges, nodes_by_id, sweeps=6):
    """Order each layer by barycentre sweeps (ties by group, kind, label): fewer crossings."""
    count = max(layer_of.values()) + 1 if layer_of else 0
    layers = [[] for _ in range(count)]
    for n in sorted(layer_of, key=lambda n: (_GROUP_ORDER.get(nodes_by_id[n].get("group"), 1), nodes_by_id[n]["kind"],
                                             nodes_by_id[n].get("number", 99), nodes_by_id[n]["label"].casefold(), n)):
        layers[layer_of[n]].append(n)
    neighbours = {n: [] for n in layer_of}
    for e in edges:
        if e["from"] in layer_of and e["to"] in layer_of and e["from"] != e["to"]:
            neighbours[e["from"]].append(e["to"])
            neighbours[e["to"]].append(e["from"])
    pos = {}

    def place():
        for row in layers:
            for i, n in enumerate(row):
                pos[n] = (i + 0.5) / len(row)

    place()
    for sweep in range(sweeps):
        span = range(1, count) if sweep % 2 == 0 else range(count - 2, -1, -1)
        for li in span:
            ref = li - 1 if sweep % 2 == 0 else li + 1

            def key(n, li=li, ref=ref):
                near = [pos[m] for m in neighbours[n] if layer_of[m] == ref]
                anywhere = [pos[m] for m in neighbours[n] if layer_of[m] != li]
                values = near or anywhere
                bary = sum(values) / len(values) if values else pos[n]
                return (_GROUP_ORDER.get(nodes_by_id[n].get("group"), 1), round(bary, 9), pos[n], n)

            if all(nodes_by_id[n]["kind"] == "proposal" for n in layers[li]):
                continue  # a row of proposals keeps the essay's order
            layers[li].sort(key=key)
            for i, n in enumerate(layers[li]):
                pos[n] = (i + 0.5) / len(layers[li])
    return layers


def layered_layout(nodes, edges, viewport=VIEWPORT) -> dict:
    """Fixed positions: layers top to bottom, wide layers in staggered rows.

    A node sits above what it depends on (longest-path layering over the
    dependency edges); within a layer, barycentre sweeps order the nodes; a
    layer wider than the chosen number of columns is dealt, in that order, into
    rows offset by a fraction of a column, so the left-to-right order survives.
    The number of columns is the one that lets the whole layout fit
    ``viewport`` at the largest scale. Rows are spaced by the estimated height
    of their nodes' boxes (:func:`extent`), so no two boxes overlap.

    Parameters
    ----------
    nodes : list of dict
        Map nodes (``id``, ``label``, ``kind``, optional ``group``, ``number``).
    edges : list of dict
        Map edges (``from``, ``to``, ``dependency``).
    viewport : (int, int)
        Width and height to fit, in screen pixels.

    Returns
    -------
    dict
        ``{id: (x, y)}`` in canvas pixels, integers.

    Examples
    --------
    >>> nodes = [{"id": "p", "label": "P", "kind": "proposal"}, {"id": "t", "label": "T", "kind": "technique"}]
    >>> pos = layered_layout(nodes, [{"from": "p", "to": "t", "dependency": True}])
    >>> pos["p"][1] < pos["t"][1]
    True
    """
    if not nodes:
        return {}
    by_id = {n["id"]: n for n in nodes}
    ids = sorted(by_id)
    inside = [e for e in edges if e["from"] in by_id and e["to"] in by_id]
    layer_of = _layers(ids, inside, {n: by_id[n]["kind"] for n in ids})
    layers = _order(layer_of, inside, by_id)
    ext = {n: extent(by_id[n]) for n in ids}
    cell = max(w for w, _, _ in ext.values()) + GAP_X

    def arrange(cols):
        rows = []  # (layer index, [ids], x of each)
        for li, row in enumerate(layers):
            k = max(1, math.ceil(len(row) / cols))
            if k > 1 and all(by_id[n]["kind"] == "proposal" for n in row):  # read in order, row by row
                size = math.ceil(len(row) / k)
                for r in range(k):
                    chunk = row[r * size:(r + 1) * size]
                    rows.append((li, chunk, [(i - (len(chunk) - 1) / 2) * cell for i in range(len(chunk))]))
                continue
            step = cell / k
            xs = [(i - (len(row) - 1) / 2) * step for i in range(len(row))]
            for r in range(k):
                rows.append((li, row[r::k], xs[r::k]))
        width = max((max(xs) - min(xs) for _, _, xs in rows if xs), default=0) + cell
        rows = [r for r in rows if r[1]]
        height, y, last, placed = 0, 0, None, {}
        for li, row, xs in rows:
            above = max(ext[n][1] for n in row)
            if last is not None:
                y += last[1] + (GAP_LAYER if li != last[0] else GAP_Y) + above
            for n, x in zip(row, xs):
                placed[n] = (round(x), round(y))
            last = (li, max(ext[n][2] for n in row))
        height = y + last[1] + max(ext[n][1] for n in rows[0][1])
        return min(viewport[0] / width, viewport[1] / height), placed

    widest = max(len(row) for row in layers)
    best = None
    candidates = sorted({c for c in range(1, min(widest, 40) + 1)} | {widest} |
                        {int(40 * 1.15 ** i) for i in range(40) if 40 * 1.15 ** i < widest})
    for cols in candidates:
        scale, placed = arrange(cols)
        scale = min(scale, 1.0)  # the page never zooms past 1: among fits at full size, the fewest rows
        if best is None or scale >= best[0] - 1e-9:
            best = (scale, placed)
    return best[1]


def _neighbourhood(data, node_id):
    """The ids of a node's neighbourhood on a large map (no precomputed focus sets)."""
    near = {node_id}
    for e in data["edges"]:
        if node_id in (e["from"], e["to"]):
            near |= {e["from"], e["to"]}
    return sorted(near)


def views(data) -> dict:
    """Every view of a map with its layout: ``{key: {id: (x, y)}}``.

    ``map`` (or ``all`` for the whole-graph map) shows every node; ``overview``
    the overview; ``focus:<id>`` one node's neighbourhood (when the map is
    small enough to carry them all).
    """
    nodes, edges = data["nodes"], data["edges"]
    by_id = {n["id"]: n for n in nodes}
    out = {}
    base = "all" if data.get("overview") is not None else "map"
    out[base] = layered_layout(nodes, edges)
    if data.get("overview") is not None:
        out["overview"] = layered_layout([by_id[i] for i in data["overview"] if i in by_id], edges)
    for n, around in sorted((data.get("neighbourhoods") or {}).items()):
        if n == data.get("focus"):
            continue  # the focus map itself is the base view
        members = [dict(by_id[i], group="focus") if i == n else by_id[i] for i in around if i in by_id]
        out[f"focus:{n}"] = layered_layout(members, edges)
    return out


# -- the page --------------------------------------------------------------------------


def _tooltip(node) -> str:
    parts = [f"{node['label']} ({node['kind']})", node.get("note", ""), node["definition"]]
    if node["sources"]:
        parts.append(f"Source: {node['sources']}")
    return "\n".join(p for p in parts if p)


def _vis_node(n) -> dict:
    colour, shape = STYLE.get(n["kind"], ("#999999", "dot"))
    shape = VIS_SHAPE.get(n["kind"], shape)
    marked = n.get("group")
    border = GROUPS[marked][0] if marked else "#333333" if shape == "box" else colour
    node = {"id": n["id"], "label": display_label(n), "kind": n["kind"], "shape": shape, "title": _tooltip(n),
            "color": {"background": colour, "border": border,
                      "highlight": {"background": colour, "border": "#000000"},
                      "hover": {"background": colour, "border": "#000000"}},
            "font": {"size": FONT, "color": FONT_COLOUR.get(n["kind"], "#222222"), "face": "arial",
                     "strokeWidth": 0 if shape == "box" else 4, "strokeColor": "#ffffff"},
            "borderWidth": 5 if marked else 1, "widthConstraint": {"maximum": LABEL_WIDTH}}
    if shape == "box":
        node["widthConstraint"] = {"minimum": LABEL_WIDTH, "maximum": LABEL_WIDTH}
        node["margin"] = {"top": 6, "right": 6, "left": 6, "bottom": 6 + (VERDICT_ROOM if n.get("evaluations") else 0)}
    else:
        node["size"] = node_size(n)
    if n.get("derived"):
        node["shapeProperties"] = {"borderDashes": [6, 4]}
        node["borderWidth"] = max(node["borderWidth"], 2)
    return node


def _vis_edge(e, i) -> dict:
    colour = "rgba(70,70,70,0.7)" if e["dependency"] else "rgba(150,150,150,0.7)"
    title = f"{e['relation']}{' (derived)' if e['derived'] else ''}\n{e['sources']}".strip()
    return {"id": i, "from": e["from"], "to": e["to"], "title": title, "relation": e["relation"],
            "arrows": "to", "dashes": [8, 6] if e["derived"] else False, "width": 1.5 if e["dependency"] else 1,
            "color": {"color": colour, "highlight": "#000000", "hover": "#000000"}}


def _legend(data) -> dict:
    kinds = [{"kind": k, "colour": c, "shape": s} for k, (c, s) in STYLE.items()
             if any(n["kind"] == k for n in data["nodes"])]
    edges = [{"text": "depends on (arrow to what it rests on)", "colour": "#555555", "dashed": False},
             {"text": "other relation (contrast, variant, mitigates, …)", "colour": "#b0b0b0", "dashed": False}]
    if any(e["derived"] for e in data["edges"]) or any(n.get("derived") for n in data["nodes"]):
        edges.append({"text": "dashed: derived by the project, not stated in the essay", "colour": "#555555",
                      "dashed": True})
    levels = {}
    for n in data["nodes"]:
        for ev in n.get("evaluations", []):
            colour, level = verdict_style(ev["verdict"])
            levels.setdefault(level, colour)
    order = [level for _, _, level in VERDICTS]
    verdicts = [{"text": level, "colour": levels[level]}
                for level in sorted(levels, key=lambda v: (order.index(v) if v in order else len(order), v))]
    return {"kinds": kinds, "edges": edges, "verdicts": verdicts}


def script_json(value) -> str:
    """JSON safe to place inside a <script> element."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    for bad, good in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(bad, good)
    return text


def _vis_assets():
    import pyvis

    base = Path(pyvis.__file__).parent / "templates" / "lib" / "vis-9.1.2"
    js = (base / "vis-network.min.js").read_text(encoding="utf-8").replace("</script", "<\\/script")
    css = (base / "vis-network.css").read_text(encoding="utf-8").replace("</style", "<\\/style")
    return js, css


def fill(template: str, values: dict) -> str:
    """Replace every ``{{NAME}}`` of ``template`` in one pass.

    What is inserted is never scanned again, so a value containing
    ``{{NAME}}`` stays as it is.

    >>> fill("<title>{{TITLE}}</title>{{JS}}", {"TITLE": "{{JS}}", "JS": "code"})
    '<title>{{JS}}</title>code'
    """
    return re.sub(r"\{\{([A-Z_]+)\}\}", lambda m: values[m.group(1)] if m.group(1) in values else m.group(0),
                  template)


def page(data, title: str, view=None) -> str:
    """The complete HTML page for map ``data``.

    ``view`` is the view it opens on: ``overview`` by default on the
    whole-graph map (``all`` for every node), the map itself otherwise.
    """
    js, css = _vis_assets()
    ids = [n["id"] for n in data["nodes"]]
    index = {n: i for i, n in enumerate(ids)}
    layouts = views(data)
    default = view or ("overview" if data.get("overview") is not None else "map")
    if default not in layouts:
        default = next(iter(layouts), "map")
    payload = {
        "nodes": [_vis_node(n) for n in data["nodes"]],
        "edges": [_vis_edge(e, i) for i, e in enumerate(data["edges"])],
        "options": {
            "physics": {"enabled": False},
            "layout": {"randomSeed": 1, "improvedLayout": False},
            "edges": {"smooth": {"type": "cubicBezier", "forceDirection": "vertical", "roundness": 0.35},
                      "arrows": {"to": {"scaleFactor": 0.6}}},
            "interaction": {"hover": True, "tooltipDelay": 150, "navigationButtons": False},
            # draw (and so measure) every label whatever the zoom: bounding boxes stay true
            "nodes": {"scaling": {"label": {"drawThreshold": 0}}},
        },
        "views": {key: [[index[n], x, y] for n, (x, y) in sorted(pos.items(), key=lambda kv: index[kv[0]])]
                  for key, pos in layouts.items()},
        "view": default,
        "legend": _legend(data),
        "focus": data["focus"],
        "details": {n["id"]: {"label": n["label"], "kind": n["kind"], "definition": n["definition"],
                              "sources": n["sources"], "short": n["short"], "note": n.get("note", ""),
                              "derived": bool(n.get("derived")),
                              "evaluations": [dict(ev, colour=verdict_style(ev["verdict"])[0],
                                                   level=verdict_style(ev["verdict"])[1])
                                              for ev in n.get("evaluations", [])]}
                    for n in data["nodes"]},
        "groups": data.get("groups", []),
        "caption": data.get("caption", ""),
        "readable": 10.5 / FONT,
    }
    template = _TEMPLATE.read_text(encoding="utf-8")
    return fill(template, {"TITLE": html.escape(title), "VIS_CSS": css, "VIS_JS": js, "DATA": script_json(payload)})


def write_map(G, focus=None, output=None, force=False, compare=None, what_if=None, full=False) -> Path:
    """Render a map and write it atomically.

    Without ``output`` the file goes to ``output/`` (replaced if present);
    an explicit ``output`` that exists is only replaced with ``force``. At most
    one of ``focus``, ``compare`` (two names) and ``what_if`` (names) is used;
    with none, the map opens on the overview, or on every node with ``full``.
    """
    from .errors import AlignKGError
    from .resolve import resolve

    if sum(x is not None and x != () for x in (focus, compare, what_if)) > 1:
        raise AlignKGError("use only one of --focus, --compare and --what-if")
    if full and (focus is not None or compare or what_if):
        raise AlignKGError("--all maps the whole graph; it does not combine with --focus, --compare or --what-if")
    view = None
    if focus is not None:  # an empty --focus "" is an error of resolve(), not the whole map
        key = resolve(G, focus)
        data, title, name = map_data(G, focus=key), G.nodes[key]["label"], f"focus-{_slug(G.nodes[key]['label'])}"
    elif compare:
        a, b = (resolve(G, n) for n in compare)
        labels = [G.nodes[a]["label"], G.nodes[b]["label"]]
        data, title = map_data(G, compare=(a, b)), " vs ".join(labels)
        name = f"compare-{_slug(labels[0])[:28]}-{_slug(labels[1])[:28]}"
    elif what_if:
        keys = [resolve(G, n) for n in what_if]
        labels = [G.nodes[k]["label"] for k in keys]
        data, title = map_data(G, what_if=keys), "what if " + ", ".join(labels) + " fail"
        name = f"what-if-{_slug(' '.join(labels))[:50]}"
    elif full:
        data, title, name, view = map_data(G), "whole graph", "alignkg-map-all", "all"
    else:
        data, title, name = map_data(G), "map of alignment proposals", "alignkg-map"
    text = page(data, f"alignkg — {title}", view=view)
    if output is None:
        ensure_directory(OUTPUT_DIR)  # a file named output/ is an error with its path, not a crash
        return write_atomic(OUTPUT_DIR / f"{name}.html", text, force=True)
    return write_atomic(output, text, force=force)
