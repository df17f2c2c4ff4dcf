"""Interactive HTML maps: plain data in, one self-contained HTML file out.

pyvis builds the network (nodes, edges, options); the page itself comes from
our template (``templates/map.html``) with vis-network's script and stylesheet
inlined from pyvis's bundled copy, because pyvis's own output links a CDN.
The data is embedded as JSON with ``<``, ``>`` and ``&`` escaped, and the page
inserts every label and definition with ``textContent``: nothing from the data
is ever parsed as HTML.
"""

from __future__ import annotations

import html
import json
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
LARGE_GRAPH = 1500

_TEMPLATE = Path(__file__).parent / "templates" / "map.html"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "map"


#: Highlight groups on compare and what-if maps: border colour and legend text.
GROUPS = {
    "focus": ("#000000", "the node in focus"),
    "shared": ("#e6a700", "shared by both"),
    "a": ("#1f4fb4", "only the first"),
    "b": ("#138a36", "only the second"),
    "failing": ("#000000", "assumed to fail"),
    "lost": ("#e6007e", "loses support"),
}


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
        ``{"nodes": [...], "edges": [...], "focus": key or None, "groups": [...]}``;
        each node has ``id``, ``label``, ``kind``, ``definition``, ``sources``
        and optionally ``group``; each edge ``from``, ``to``, ``relation``,
        ``dependency``, ``sources``.

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
    from .answers import cite

    keep = {n for n, d in G.nodes(data=True) if d.get("kind") in MAP_KINDS}
    group, notes = {}, {}
    if focus is not None:
        around = {r["node"] for r in algorithms.dependencies(G, focus)}
        around |= {r["node"] for r in algorithms.depends_on(G, focus, kinds=None)}
        keep = (around & keep) | {focus}
        group[focus] = "focus"
    elif compare is not None:
        a, b = compare
        deps = [{r["node"]: r["path"] for r in algorithms.dependencies(G, x)} for x in (a, b)]
        nodes_a, nodes_b = set(deps[0]), set(deps[1])
        keep = ((nodes_a | nodes_b) & keep) | {a, b}
        for n in keep:
            group[n] = "shared" if n in nodes_a and n in nodes_b else "a" if n in nodes_a else "b"
        group[a], group[b] = "a", "b"
    elif what_if is not None:
        found = lose(G, what_if)
        on_paths = {step[end] for r in found for p in r["paths"].values() for step in p for end in ("from", "to")}
        keep = (on_paths & keep) | set(what_if) | {r["node"] for r in found}
        for f in what_if:
            group[f] = "failing"
        for r in found:
            group[r["node"]] = "lost"
            lost = ", ".join(G.nodes[c]["label"] for c in r["criteria"]) or "no named criterion"
            notes[r["node"]] = f"Loses support on: {lost}"
    nodes = []
    for n in sorted(keep):
        d = G.nodes[n]
        node = {"id": n, "label": d["label"], "kind": d["kind"], "definition": d.get("definition") or "",
                "sources": cite(d.get("sections", [])), "short": d.get("short", n)}
        if n in group:
            node["group"] = group[n]
        if n in notes:
            node["note"] = notes[n]
        nodes.append(node)
    edges = []
    for u, v, d in G.edges(data=True):
        if u in keep and v in keep:
            edges.append({"from": u, "to": v, "relation": d.get("relation_label", d.get("relation")),
                          "dependency": bool(d.get("dependency") or d.get("hierarchy")),
                          "sources": cite(d.get("sections", []))})
    used = [g for g in GROUPS if any(n.get("group") == g for n in nodes)]
    return {"nodes": nodes, "edges": edges, "focus": focus,
            "groups": [{"group": g, "colour": GROUPS[g][0], "text": GROUPS[g][1]} for g in used]}


def spiral_layout(nodes):
    """Fixed positions for a large map: kinds in turn along a golden-angle spiral.

    >>> sorted(spiral_layout([{"id": "a", "kind": "x"}, {"id": "b", "kind": "x"}]))
    ['a', 'b']
    """
    import math

    ordered = sorted(nodes, key=lambda n: (n["kind"], n["label"] if "label" in n else n["id"]))
    golden = math.pi * (3 - math.sqrt(5))
    return {n["id"]: (round(18 * math.sqrt(i) * math.cos(i * golden), 1),
                      round(18 * math.sqrt(i) * math.sin(i * golden), 1)) for i, n in enumerate(ordered)}


def _network(data):
    """A pyvis Network of ``data`` (used for its node/edge/option model)."""
    from pyvis.network import Network

    net = Network(directed=True, cdn_resources="remote")
    large = len(data["nodes"]) > LARGE_GRAPH
    positions = spiral_layout(data["nodes"]) if large else {}
    for n in data["nodes"]:
        colour, shape = STYLE.get(n["kind"], ("#999999", "dot"))
        marked = n.get("group")
        extra = {"x": positions[n["id"]][0], "y": positions[n["id"]][1]} if large else {}
        net.add_node(n["id"], label=n["label"], shape=shape, title=_tooltip(n), kind=n["kind"],
                     color={"background": colour, "border": GROUPS[marked][0] if marked else colour},
                     size=30 if marked in ("focus", "failing") else 16,
                     borderWidth=5 if marked else 1, **extra)
    for e in data["edges"]:
        net.add_edge(e["from"], e["to"], title=f"{e['relation']}\n{e['sources']}".strip(),
                     relation=e["relation"], dashes=not e["dependency"], arrows="to", color="#555555" if e["dependency"] else "#aaaaaa")
    net.set_options(json.dumps({
        "physics": {"enabled": not large, "solver": "forceAtlas2Based",
                    "forceAtlas2Based": {"springLength": 140, "gravitationalConstant": -90},
                    "stabilization": {"enabled": True, "iterations": 200, "fit": True}},
        "edges": {"smooth": {"type": "continuous"}},
        "nodes": {"font": {"size": 14}},
        "interaction": {"hover": True, "tooltipDelay": 150},
    }))
    return net


def _tooltip(node) -> str:
    parts = [f"{node['label']} ({node['kind']})", node.get("note", ""), node["definition"]]
    if node["sources"]:
        parts.append(f"Source: {node['sources']}")
    return "\n".join(p for p in parts if p)


def script_json(value) -> str:
    """JSON safe to place inside a <script> element."""
    text = json.dumps(value, ensure_ascii=False)
    for bad, good in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(bad, good)
    return text


def _vis_assets():
    import pyvis

    base = Path(pyvis.__file__).parent / "templates" / "lib" / "vis-9.1.2"
    js = (base / "vis-network.min.js").read_text(encoding="utf-8").replace("</script", "<\\/script")
    css = (base / "vis-network.css").read_text(encoding="utf-8").replace("</style", "<\\/style")
    return js, css


def page(data, title: str) -> str:
    """The complete HTML page for map ``data``."""
    net = _network(data)
    js, css = _vis_assets()
    payload = {
        "nodes": net.nodes,
        "edges": net.edges,
        "options": json.loads(net.options.to_json()) if hasattr(net.options, "to_json") else net.options,
        "legend": [{"kind": k, "colour": c, "shape": s} for k, (c, s) in STYLE.items()
                   if any(n["kind"] == k for n in data["nodes"])],
        "focus": data["focus"],
        "details": {n["id"]: {"label": n["label"], "kind": n["kind"], "definition": n["definition"],
                              "sources": n["sources"], "short": n["short"], "note": n.get("note", "")}
                    for n in data["nodes"]},
        "groups": data.get("groups", []),
        "large": len(data["nodes"]) > LARGE_GRAPH,
    }
    template = _TEMPLATE.read_text(encoding="utf-8")
    return (template.replace("{{TITLE}}", html.escape(title))
                    .replace("{{VIS_CSS}}", css)
                    .replace("{{VIS_JS}}", js)
                    .replace("{{DATA}}", script_json(payload)))


def write_map(G, focus=None, output=None, force=False, compare=None, what_if=None) -> Path:
    """Render a map and write it atomically.

    Without ``output`` the file goes to ``output/`` (replaced if present);
    an explicit ``output`` that exists is only replaced with ``force``. At most
    one of ``focus``, ``compare`` (two names) and ``what_if`` (names) is used.
    """
    from .errors import AlignKGError
    from .resolve import resolve

    if sum(x is not None and x != () for x in (focus, compare, what_if)) > 1:
        raise AlignKGError("use only one of --focus, --compare and --what-if")
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
    else:
        data, title, name = map_data(G), "map of alignment proposals", "alignkg-map"
    text = page(data, f"alignkg — {title}")
    if output is None:
        ensure_directory(OUTPUT_DIR)  # a file named output/ is an error with its path, not a crash
        return write_atomic(OUTPUT_DIR / f"{name}.html", text, force=True)
    return write_atomic(output, text, force=force)
