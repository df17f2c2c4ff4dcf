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
from .output import write_atomic

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


def map_data(G, focus=None) -> dict:
    """The nodes and edges of a map, as plain data.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        Projected graph.
    focus : str, optional
        Node key: keep it, what it depends on and what depends on it.

    Returns
    -------
    dict
        ``{"nodes": [...], "edges": [...], "focus": key or None}``; each node has
        ``id``, ``label``, ``kind``, ``definition``, ``sources``; each edge
        ``from``, ``to``, ``relation``, ``dependency``, ``sources``.

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
    from .answers import cite

    keep = {n for n, d in G.nodes(data=True) if d.get("kind") in MAP_KINDS}
    if focus is not None:
        around = {r["node"] for r in algorithms.dependencies(G, focus)}
        around |= {r["node"] for r in algorithms.depends_on(G, focus, kinds=None)}
        keep = (around & keep) | {focus}
    nodes = []
    for n in sorted(keep):
        d = G.nodes[n]
        nodes.append({"id": n, "label": d["label"], "kind": d["kind"], "definition": d.get("definition") or "",
                      "sources": cite(d.get("sections", [])), "short": d.get("short", n)})
    edges = []
    for u, v, d in G.edges(data=True):
        if u in keep and v in keep:
            edges.append({"from": u, "to": v, "relation": d.get("relation_label", d.get("relation")),
                          "dependency": bool(d.get("dependency") or d.get("hierarchy")),
                          "sources": cite(d.get("sections", []))})
    return {"nodes": nodes, "edges": edges, "focus": focus}


def _network(data):
    """A pyvis Network of ``data`` (used for its node/edge/option model)."""
    from pyvis.network import Network

    net = Network(directed=True, cdn_resources="remote")
    for n in data["nodes"]:
        colour, shape = STYLE.get(n["kind"], ("#999999", "dot"))
        focus = n["id"] == data["focus"]
        net.add_node(n["id"], label=n["label"], shape=shape, color=colour, title=_tooltip(n),
                     size=30 if focus else 16, borderWidth=4 if focus else 1, kind=n["kind"])
    for e in data["edges"]:
        net.add_edge(e["from"], e["to"], title=f"{e['relation']}\n{e['sources']}".strip(),
                     relation=e["relation"], dashes=not e["dependency"], arrows="to", color="#555555" if e["dependency"] else "#aaaaaa")
    large = len(data["nodes"]) > LARGE_GRAPH
    net.set_options(json.dumps({
        "physics": {"enabled": not large, "solver": "forceAtlas2Based",
                    "forceAtlas2Based": {"springLength": 140, "gravitationalConstant": -90},
                    "stabilization": {"enabled": True, "iterations": 400, "fit": True}},
        "edges": {"smooth": {"type": "continuous"}},
        "nodes": {"font": {"size": 14}},
        "interaction": {"hover": True, "tooltipDelay": 150},
    }))
    return net


def _tooltip(node) -> str:
    parts = [f"{node['label']} ({node['kind']})", node["definition"]]
    if node["sources"]:
        parts.append(f"Source: {node['sources']}")
    return "\n".join(p for p in parts if p)


def _script_json(value) -> str:
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
                              "sources": n["sources"], "short": n["short"]} for n in data["nodes"]},
        "large": len(data["nodes"]) > LARGE_GRAPH,
    }
    template = _TEMPLATE.read_text(encoding="utf-8")
    return (template.replace("{{TITLE}}", html.escape(title))
                    .replace("{{VIS_CSS}}", css)
                    .replace("{{VIS_JS}}", js)
                    .replace("{{DATA}}", _script_json(payload)))


def write_map(G, focus=None, output=None, force=False) -> Path:
    """Render a map (of everything, or around ``focus``) and write it atomically.

    Without ``output`` the file goes to ``output/`` (replaced if present);
    an explicit ``output`` that exists is only replaced with ``force``.
    """
    from .resolve import resolve

    key = resolve(G, focus) if focus else None
    data = map_data(G, key)
    title = f"alignkg — {G.nodes[key]['label']}" if key else "alignkg — map of alignment proposals"
    text = page(data, title)
    if output is None:
        OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
        name = f"focus-{_slug(G.nodes[key]['label'])}.html" if key else "alignkg-map.html"
        return write_atomic(OUTPUT_DIR / name, text, force=True)
    return write_atomic(output, text, force=force)
