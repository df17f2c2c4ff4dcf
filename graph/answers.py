"""The read commands' answers: algorithm results turned into :class:`~graph.output.Result` rows.

Each function takes the projected graph and what the user typed, resolves
names, calls :mod:`graph.algorithms` and shapes the rows of the JSON contract
(``iri``, ``label``, ``kind`` on every row, plus command-specific keys).
"""

from __future__ import annotations

from . import algorithms
from .errors import AlignKGError
from .output import Result
from .resolve import resolve

#: What users may type after ``list`` -> the kind it means.
KIND_NAMES = {
    "proposals": "proposal",
    "techniques": "technique",
    "concepts": "concept",
    "assumptions": "assumption",
    "failure-modes": "failure-mode",
    "criteria": "criterion",
    "evaluations": "evaluation",
    "training-stories": "training-story",
    "stories": "training-story",
    "story-components": "story-component",
    "training-goals": "training-goal",
    "training-rationales": "training-rationale",
    "sources": "source",
    "sections": "section",
}


def kind_of(word: str) -> str:
    """The kind meant by ``word`` (plural or singular, any case)."""
    key = word.strip().lower().replace("_", "-").replace(" ", "-")
    if key in KIND_NAMES:
        return KIND_NAMES[key]
    if key in KIND_NAMES.values():
        return key
    if key.endswith("ies") and key[:-3] + "y" in KIND_NAMES.values():
        return key[:-3] + "y"
    import difflib

    close = difflib.get_close_matches(key, list(KIND_NAMES), n=3, cutoff=0.5)
    hint = f"; did you mean: {', '.join(close)}?" if close else f"; kinds are: {', '.join(sorted(KIND_NAMES))}"
    raise AlignKGError(f"unknown kind {word!r}{hint}")


def entity(G, iri) -> dict:
    """The contract's minimum for a node: iri, label, kind."""
    data = G.nodes[iri]
    return {"iri": iri, "label": data["label"], "kind": data["kind"]}


def _sort_key(G, iri):
    data = G.nodes[iri]
    return (data["kind"], data.get("number", 0), data["label"].casefold())


def cite(sections) -> str:
    """One short citation for a list of section records."""
    return "; ".join(f"{s['source']} — {s['heading']}" if s.get("source") else s["heading"] for s in sections)


def steps(G, path) -> list:
    """An explanation path as plain dicts with labels."""
    out = []
    for step in path:
        out.append({
            "from": step["from"],
            "from_label": G.nodes[step["from"]]["label"],
            "relation": step["relation"],
            "relation_label": step.get("relation_label", step["relation"]),
            "to": step["to"],
            "to_label": G.nodes[step["to"]]["label"],
            "sections": step.get("sections", []),
            "criteria": step.get("criteria", []),
            "rationale": step.get("rationale"),
            "derived": step.get("derived"),
        })
    return out


def explain_lines(path, indent="    ") -> list:
    """Human-readable lines for an explanation path."""
    lines = []
    for s in path:
        crit = f" (on {', '.join(s['criteria'])})" if s.get("criteria") else ""
        derived = " [derived]" if s.get("derived") else ""
        lines.append(f"{indent}{s['from_label']} --{s['relation_label']}--> {s['to_label']}{crit}{derived}")
        if s.get("sections"):
            lines.append(f"{indent}    source: {cite(s['sections'])}")
    return lines


def list_entities(G, kind=None) -> Result:
    wanted = kind_of(kind) if kind else None
    iris = sorted((n for n, d in G.nodes(data=True) if wanted is None or d["kind"] == wanted), key=lambda n: _sort_key(G, n))
    rows = []
    for iri in iris:
        data = G.nodes[iri]
        rows.append({**entity(G, iri), "definition": data.get("definition"), "sources": cite(data.get("sections", []))})
    return Result(rows, ["label", "kind", "definition"] if wanted is None else ["label", "definition"],
                  meta={"kind": wanted} if wanted else {})


def _relations(G, iri):
    rows = []
    for _, other, data in G.out_edges(iri, data=True):
        rows.append({**entity(G, other), "direction": "out", "relation": data["relation"],
                     "relation_label": data["relation_label"], "dependency": data.get("dependency", False),
                     "sections": data.get("sections", []), "source": cite(data.get("sections", [])),
                     "rationale": data.get("rationale")})
    for other, _, data in G.in_edges(iri, data=True):
        rows.append({**entity(G, other), "direction": "in", "relation": data["relation"],
                     "relation_label": data["relation_label"], "dependency": data.get("dependency", False),
                     "sections": data.get("sections", []), "source": cite(data.get("sections", [])),
                     "rationale": data.get("rationale")})
    order = {"out": 0, "in": 1}
    return sorted(rows, key=lambda r: (order[r["direction"]], r["relation"], r["label"].casefold()))


def evaluations_of(G, proposal) -> list:
    """The evaluations of a proposal, in criterion order, with hinges and failure modes."""
    out = []
    for ev, _, d in G.in_edges(proposal, data=True):
        if d["relation"] != "evaluates":
            continue
        node = G.nodes[ev]
        criterion = next((v for _, v, k in G.out_edges(ev, keys=True) if k == "onCriterion"), None)
        targets = lambda key: [entity(G, v) for _, v, k in G.out_edges(ev, keys=True) if k == key]  # noqa: E731
        out.append({
            **entity(G, ev),
            "criterion": G.nodes[criterion]["label"] if criterion else None,
            "criterion_number": G.nodes[criterion].get("number", 99) if criterion else 99,
            "verdict": node.get("verdict"),
            "summary": node.get("definition"),
            "hinges_on": sorted(targets("hingesOn"), key=lambda e: e["label"]),
            "failure_modes": sorted(targets("namesFailureMode"), key=lambda e: e["label"]),
            "sections": node.get("sections", []),
            "derived": node.get("derived"),
        })
    return sorted(out, key=lambda e: e["criterion_number"])


def show(G, name) -> Result:
    iri = resolve(G, name)
    data = G.nodes[iri]
    relations = _relations(G, iri)
    record = {
        **entity(G, iri),
        "short": data["short"],
        "definition": data.get("definition"),
        "alt_labels": data.get("alt_labels", []),
        "sections": data.get("sections", []),
    }
    for extra in ("number", "verdict", "derived", "analysed"):
        if extra in data:
            record[extra] = data[extra]
    evaluations = evaluations_of(G, iri) if data["kind"] == "proposal" else []
    header = [f"{data['label']}  ({data['kind']}, {data['short']})"]
    if data.get("alt_labels"):
        header.append(f"also: {', '.join(data['alt_labels'])}")
    if data.get("definition"):
        header.append(f"definition: {data['definition']}")
    if data.get("verdict"):
        header.append(f"verdict: {data['verdict']}")
    if data.get("sections"):
        header.append(f"source: {cite(data['sections'])}")
    for ev in evaluations:
        header.append("")
        header.append(f"{ev['criterion']}: {ev['verdict'] or 'no verdict'}{'  [derived]' if ev.get('derived') else ''}")
        header.append(f"    {ev['summary']}")
        if ev["hinges_on"]:
            header.append(f"    hinges on: {'; '.join(h['label'] for h in ev['hinges_on'])}")
        if ev["failure_modes"]:
            header.append(f"    failure modes: {'; '.join(f['label'] for f in ev['failure_modes'])}")
        header.append(f"    source: {cite(ev['sections'])}")
    json_doc = {**record, "evaluations": evaluations, "results": relations}
    return Result(relations, ["direction", "relation", "label", "kind", "source"], header=header, json_override=json_doc)


def _path_rows(G, found, explain):
    rows = []
    for item in found:
        path = steps(G, item["path"])
        rows.append({**entity(G, item["node"]), "distance": len(path),
                     "via": " > ".join(s["relation_label"] for s in path), "path": path})
    detail = (lambda row: explain_lines(row["path"])) if explain else None
    return rows, detail


def depends_on(G, name, *, direct=False, explain=False) -> Result:
    target = resolve(G, name)
    found = algorithms.depends_on(G, target, direct=direct)
    rows, detail = _path_rows(G, found, explain)
    header = [f"Proposals that {'directly ' if direct else ''}depend on {G.nodes[target]['label']}:"]
    return Result(rows, ["label", "via"], meta={"target": entity(G, target), "direct": direct},
                  header=header, detail=detail)


def dependencies(G, name, *, direct=False, explain=False, kinds=None) -> Result:
    source = resolve(G, name)
    wanted = {kind_of(k) for k in kinds} if kinds else None
    found = algorithms.dependencies(G, source, direct=direct, kinds=wanted)
    rows, detail = _path_rows(G, found, explain)
    header = [f"{G.nodes[source]['label']} {'directly ' if direct else ''}depends on:"]
    return Result(rows, ["label", "kind", "via"], meta={"source": entity(G, source), "direct": direct},
                  header=header, detail=detail)


def shared(G, names, *, direct=False, explain=False) -> Result:
    if len(names) < 2:
        raise AlignKGError("shared needs at least two names")
    sources = [resolve(G, n) for n in names]
    found = algorithms.shared(G, sources, direct=direct)
    rows = []
    for item in found:
        paths = {s: steps(G, p) for s, p in item["paths"].items()}
        rows.append({**entity(G, item["node"]), "paths": paths})

    def detail(row):
        lines = []
        for s, path in row["paths"].items():
            lines.extend(explain_lines(path))
        return lines

    labels = [G.nodes[s]["label"] for s in sources]
    return Result(rows, ["label", "kind"], meta={"proposals": [entity(G, s) for s in sources], "direct": direct},
                  header=[f"Shared by {' and '.join(labels)}:"], detail=detail if explain else None)
