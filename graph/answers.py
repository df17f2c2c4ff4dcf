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
    data = G.nodes[iri]  # numbered entities in their essay's order, then the others (proposals named later)
    return (data["kind"], "number" not in data, data.get("number", 0), data["label"].casefold())


def cite(sections) -> str:
    """One short citation for a list of section records."""
    parts = []
    for s in sections:
        source = s.get("source_short") or s.get("source")
        parts.append(f"{source} — {s['heading']}" if source else s["heading"])
    return "; ".join(parts)


def steps(G, path, memo: dict | None = None) -> list:
    """An explanation path as plain dicts with labels.

    With ``memo`` (a dict kept for one answer), a step object shared by many
    paths (the search shares one per edge) becomes one dict, not one per path:
    a long chain's paths were quadratic in copies.
    """
    if memo is not None:
        out = []
        for step in path:
            hit = memo.get(id(step))
            if hit is None:
                hit = memo[id(step)] = (step, steps(G, (step,))[0])
            out.append(hit[1])
        return out
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
        if data["kind"] == "proposal":  # the essay's number; none for proposals it only names
            rows[-1]["number"] = data.get("number")
    columns = ["label", "kind", "definition"] if wanted is None else ["label", "definition"]
    if wanted == "proposal":
        columns = ["number", "label", "definition"]
    return Result(rows, columns, meta={"kind": wanted} if wanted else {}, blank={"number": "later"})


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
            "verdict_rationale": node.get("verdict_rationale"),
            "routes": routes_of(G, ev),
            "same_as": [entity(G, e) for e in _analysis().same_judgement(G, ev)],
        })
    return sorted(out, key=lambda e: e["criterion_number"])


def _analysis():
    from . import analysis

    return analysis


def route_name(G, route) -> str:
    """A route's short name: its label after the "Proposal N, criterion:" prefix."""
    label = G.nodes[route]["label"]
    return label.split(": ", 1)[1] if ": " in label else label


def routes_of(G, evaluation) -> list:
    """The explicit routes of an evaluation as plain records (empty when it has none)."""
    out = []
    for r in _analysis().routes(G, evaluation):
        if r["node"] is None:
            continue
        data = G.nodes[r["node"]]
        out.append({**entity(G, r["node"]), "name": route_name(G, r["node"]),
                    "hinges": [entity(G, h) for h in r["hinges"]], "limits": [entity(G, v) for v in r["limits"]],
                    "preferred": r["preferred"], "derived": data.get("derived"),
                    "rationale": data.get("rationale"), "sections": data.get("sections", [])})
    return out


def evaluation_lines(ev, indent="") -> list:
    """Readable lines for one evaluation: verdict, summary, hinges, failure modes, source."""
    derived = "  [derived]" if ev.get("derived") else ""
    lines = [f"{indent}{ev['criterion']}: {ev['verdict'] or 'no verdict'}{derived}"]
    if ev.get("verdict_rationale"):
        lines.append(f"{indent}    why this verdict: {ev['verdict_rationale']}")
    if ev.get("same_as"):
        lines.append(f"{indent}    same as: {'; '.join(e['label'] for e in ev['same_as'])}")
    lines.append(f"{indent}    {ev['summary']}")
    if ev["hinges_on"]:
        lines.append(f"{indent}    hinges on: {'; '.join(h['label'] for h in ev['hinges_on'])}")
    for r in ev.get("routes", []):
        mark = " (preferred)" if r["preferred"] else ""
        lines.append(f"{indent}    route{mark}: {r['name']}: {'; '.join(h['label'] for h in r['hinges'])}")
    if ev["failure_modes"]:
        lines.append(f"{indent}    failure modes: {'; '.join(f['label'] for f in ev['failure_modes'])}")
    lines.append(f"{indent}    source: {cite(ev['sections'])}")
    return lines


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
    for extra in ("number", "verdict", "verdict_rationale", "derived", "analysed", "in_story_terms", "is_agent",
                  "feedback", "preferred", "rationale"):
        if extra in data:
            record[extra] = data[extra]
    if data["kind"] == "evaluation":
        record["routes"] = routes_of(G, iri)
    evaluations = evaluations_of(G, iri) if data["kind"] == "proposal" else []
    header = [f"{data['label']}  ({data['kind']}, {data['short']})"]
    if data.get("alt_labels"):
        header.append(f"also: {', '.join(data['alt_labels'])}")
    if data.get("definition"):
        header.append(f"definition: {data['definition']}")
    if data.get("in_story_terms"):
        header.append(f"in training-story terms: {data['in_story_terms']}")
    if data.get("verdict"):
        header.append(f"verdict: {data['verdict']}")
    if data.get("verdict_rationale"):
        header.append(f"why this verdict: {data['verdict_rationale']}")
    for r in record.get("routes", []):
        mark = " (preferred)" if r["preferred"] else ""
        header.append(f"route{mark}: {r['name']}: {'; '.join(h['label'] for h in r['hinges'])}")
    if data.get("rationale"):
        header.append(f"rationale: {data['rationale']}")
    if data.get("sections"):
        header.append(f"source: {cite(data['sections'])}")
    for ev in evaluations:
        header.append("")
        header.extend(evaluation_lines(ev))
    json_doc = {**record, "evaluations": evaluations, "results": relations}
    return Result(relations, ["direction", "relation", "label", "kind", "source"], header=header, json_override=json_doc)


def only_on_routes(G, path) -> list:
    """The routes on which the first step of a dependency path holds, when it holds only on some.

    The first step leaves the dependent (a proposal); an ``assumes`` or
    ``limitsTo`` step that only some routes of its evaluations name is
    conditional on those routes. Empty when the step holds whatever route is taken.
    A followed projection (:func:`graph.graphio.load_followed`) carries these
    answers in ``G.graph["route_conditions"]``, computed by :func:`route_conditions`.
    """
    if not path:
        return []
    first = path[0]
    known = G.graph.get("route_conditions")
    if known is not None:
        return [dict(r) for r in known.get((first["from"], first["relation"], first["to"]), ())]
    return _route_records(G, first["from"], first["relation"], first["to"])


def _route_records(G, dependent, relation, target) -> list:
    found = _analysis().route_condition(G, dependent, relation, target)
    out = []
    for item in found:
        criterion = next((v for _, v, k in G.out_edges(item["evaluation"], keys=True) if k == "onCriterion"), None)
        out.append({**entity(G, item["route"]), "name": route_name(G, item["route"]),
                    "criterion": G.nodes[criterion]["label"] if criterion else None,
                    "criterion_number": G.nodes[criterion].get("number", 99) if criterion else 99})
    return sorted(out, key=lambda r: (r["criterion_number"], r["name"]))


def route_conditions(G) -> list:
    """Every dependency edge that holds only on some routes, with what :func:`only_on_routes` says of it.

    Only a dependent with an evaluation that has explicit routes can have one,
    so only their ``assumes`` and ``limitsTo`` edges are examined.

    Returns
    -------
    list of tuple
        ``(dependent, relation, target, route records)``, for the non-empty answers only.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.MultiDiGraph()
    >>> for n, kind in [("p", "proposal"), ("a", "assumption"), ("e", "evaluation"), ("c", "criterion"),
    ...                 ("r1", "route"), ("r2", "route")]:
    ...     G.add_node(n, label=f"P1, outer: {n}" if kind == "route" else n, kind=kind)
    >>> for u, v, k in [("p", "a", "assumes"), ("e", "p", "evaluates"), ("e", "c", "onCriterion"),
    ...                 ("e", "a", "hingesOn"), ("e", "r1", "hasRoute"), ("e", "r2", "hasRoute"),
    ...                 ("r1", "a", "routeHinge")]:
    ...     _ = G.add_edge(u, v, key=k, relation=k)
    >>> [(u, rel, v, [r["name"] for r in records]) for u, rel, v, records in route_conditions(G)]
    [('p', 'assumes', 'a', ['r1'])]
    """
    routed = {u for u, _, k in G.edges(keys=True) if k == "hasRoute"}
    dependents = {p for e in routed for _, p, k in G.out_edges(e, keys=True) if k == "evaluates"}
    out = []
    for u in sorted(dependents):
        for _, v, data in G.out_edges(u, data=True):
            relation = data.get("relation")
            if relation in ("assumes", "limitsTo"):
                records = _route_records(G, u, relation, v)
                if records:
                    out.append((u, relation, v, records))
    return out


def route_lines(routes, indent="    ") -> list:
    """Explanation lines saying that a dependency holds only on some routes."""
    if not routes:
        return []
    names = "; ".join(f"{r['name']} ({r['criterion']})" for r in routes)
    return [f"{indent}holds only on route(s): {names}"]


def _path_rows(G, found, explain):
    rows, memo = [], {}
    for item in found:
        path = steps(G, item["path"], memo)
        rows.append({**entity(G, item["node"]), "distance": len(path),
                     "via": " > ".join(s["relation_label"] for s in path), "path": path,
                     "only_on_routes": only_on_routes(G, item["path"])})
    detail = (lambda row: explain_lines(row["path"]) + route_lines(row["only_on_routes"])) if explain else None
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


def proposal_short(G, node) -> str:
    """"proposal N" for a numbered proposal, else its label."""
    number = G.nodes[node].get("number")
    return f"proposal {number}" if number is not None and G.nodes[node]["kind"] == "proposal" else G.nodes[node]["label"]


def _numbers(G, proposals) -> str:
    numbers = [G.nodes[p].get("number") for p in proposals]
    if all(n is not None for n in numbers):
        return ("proposal " if len(numbers) == 1 else "proposals ") + ", ".join(str(n) for n in numbers)
    return ", ".join(proposal_short(G, p) for p in proposals)


def shared(G, names, *, direct=False, explain=False) -> Result:
    """What A, B, ... depend on in common; for techniques and other non-proposals, also their common ground.

    Rows with ``basis`` "dependency" are what every one of the named nodes
    depends on itself. When a name is not a proposal (a technique, a concept,
    an assumption), rows with ``basis`` "through proposals" add what the
    proposals resting on each name all depend on, with those proposals in
    ``through``; ``resting_on_all`` lists the proposals that rest on every
    name (for failure modes: are vulnerable to every one).
    """
    if len(names) < 2:
        raise AlignKGError("shared needs at least two names")
    sources = [resolve(G, n) for n in names]
    found = algorithms.shared(G, sources, direct=direct)
    rows = []
    for item in found:
        paths = {s: steps(G, p) for s, p in item["paths"].items()}
        rows.append({**entity(G, item["node"]), "basis": "dependency", "via": "depended on by each", "paths": paths})
    labels = [G.nodes[s]["label"] for s in sources]
    meta = {"proposals": [entity(G, s) for s in sources], "direct": direct}
    header = [f"Shared by {' and '.join(labels)}:"]
    columns = ["label", "kind"]
    if any(G.nodes[s]["kind"] != "proposal" for s in sources):
        ground = algorithms.shared_ground(G, sources, direct=direct, exclude=[r["iri"] for r in rows])
        for item in ground["ground"]:
            via = "; ".join(f"{G.nodes[s]['label']}: {_numbers(G, ps)}" for s, ps in item["through"].items())
            rows.append({**entity(G, item["node"]), "basis": "through proposals", "via": f"through {via}",
                         "through": {s: [entity(G, p) for p in ps] for s, ps in item["through"].items()},
                         "paths": {s: steps(G, p) for s, p in item["paths"].items()}})
        both = "all" if len(sources) > 2 else "both"
        relation = "vulnerable to" if "vulnerable to" in ground["relations"].values() else "resting on"
        meta["resting_on_all"] = [entity(G, p) for p in ground["resting_on_all"]]
        header.append(f"proposals {relation} {both}: "
                      f"{', '.join(proposal_short(G, p) for p in ground['resting_on_all']) or 'none'}")
        columns = ["label", "kind", "via"]

    def detail(row):
        return [line for path in row["paths"].values() for line in explain_lines(path)]

    return Result(rows, columns, meta=meta, header=header, detail=detail if explain else None)


#: Story component property -> the JSON key of the CLI contract, and its heading.
COMPONENTS = (
    ("goalSpecification", "goal_specification", "Training goal specification"),
    ("goalDesirability", "goal_desirability", "Training goal desirability"),
    ("rationaleConstraints", "rationale_constraints", "Training rationale constraints"),
    ("rationaleNudges", "rationale_nudges", "Training rationale nudges"),
)


def _out(G, node, relation):
    return sorted((v for _, v, k in G.out_edges(node, keys=True) if k == relation), key=lambda n: G.nodes[n]["label"])


def _resolve_story_subject(G, name) -> str:
    """A proposal or training story named ``name``; a name of another kind says what it is instead."""
    from .errors import NameNotFound

    try:
        return resolve(G, name, kinds={"proposal", "training-story"})
    except NameNotFound:
        try:
            other = resolve(G, name)
        except AlignKGError:
            other = None
        if other is None:
            raise
        data = G.nodes[other]
        raise AlignKGError(f"{data['label']!r} ({data.get('short') or other}) is a {data['kind'].replace('-', ' ')}, "
                           "not a proposal: story expects a proposal or a training story "
                           "(see 'alignkg list proposals'; 'alignkg show' describes any entity)") from None


def story(G, name) -> Result:
    """The training story of a proposal (or a story named directly)."""
    iri = _resolve_story_subject(G, name)
    if G.nodes[iri]["kind"] == "proposal":
        stories = _out(G, iri, "hasTrainingStory")
        if not stories:
            raise AlignKGError(f"{G.nodes[iri]['label']!r} has no training story in the graph")
        proposal, iri = iri, stories[0]
    else:
        proposal = next((u for u, _, k in G.in_edges(iri, keys=True) if k == "hasTrainingStory"), None)
    data = G.nodes[iri]
    derived = bool(data.get("derived"))
    doc = {**entity(G, iri), "derived": derived,
           "proposal": entity(G, proposal) if proposal else None,
           "definition": data.get("definition"), "sections": data.get("sections", [])}
    components = {}
    for relation, key, _ in COMPONENTS:
        nodes = _out(G, iri, relation)
        comp = G.nodes[nodes[0]] if nodes else {}
        doc[key] = comp.get("definition")
        components[key] = {"iri": nodes[0] if nodes else None, "text": comp.get("definition"),
                           "derived": comp.get("derived"), "sections": comp.get("sections", [])}
    doc["components"] = components
    doc["goal_class"] = [entity(G, n) for n in _out(G, iri, "goalClass")]
    doc["rationale_classes"] = [entity(G, n) for n in _out(G, iri, "rationaleClass")]
    doc["evaluations"] = evaluations_of(G, iri)
    doc["proposal_evaluations"] = evaluations_of(G, proposal) if proposal else []
    doc["relies_on"] = [{**entity(G, v), "relation": d["relation"], "derived": d.get("derived"),
                         "sections": d.get("sections", [])}
                        for _, v, d in G.out_edges(iri, data=True) if d.get("dependency")]
    doc["results"] = doc["relies_on"]

    lines = [data["label"]]
    if derived:
        lines.append("DERIVED: the training-stories essay tells no story for this proposal; alignkg built this one")
        lines.append(f"from {cite(data.get('sections', []))}.")
    else:
        lines.append(f"As told in {cite(data.get('sections', []))}.")
    for _, key, heading in COMPONENTS:
        comp = components[key]
        lines += ["", heading + ("  [derived]" if comp["derived"] and not derived else ""), f"    {comp['text'] or '(missing)'}"]
    lines.append("")
    lines.append(f"Training goal class: {', '.join(e['label'] for e in doc['goal_class']) or '(not classified)'}")
    lines.append(f"Training rationale classes: {', '.join(e['label'] for e in doc['rationale_classes']) or '(not classified)'}")
    if doc["relies_on"]:
        lines.append(f"Relies on: {', '.join(e['label'] for e in doc['relies_on'])}")
    for title, evaluations in (("Evaluation on the training-story criteria", doc["evaluations"]),
                               ("Evaluation of the proposal (first essay)", doc["proposal_evaluations"])):
        if evaluations:
            lines += ["", f"{title}:"]
            for ev in evaluations:
                lines.extend(evaluation_lines(ev, indent="  "))
    rows = [{"component": heading[len("Training "):], "text": components[key]["text"] or "",
             "source": cite(components[key]["sections"]), "derived": bool(components[key]["derived"] or derived)}
            for _, key, heading in COMPONENTS]  # for CSV and Markdown; the table prints the story as text
    return Result(rows, ["component", "text", "source", "derived"], header=lines, json_override=doc,
                  table_rows=False)


def short_cite(sections) -> str:
    """A compact citation: "§N" for a numbered heading, else the heading; when the sections
    come from more than one source, those of every source but the first are named with it.

    >>> short_cite([{"heading": "5. Microscope AI", "source_short": "Overview"},
    ...             {"heading": "(introduction)", "source_short": "Training stories essay"}])
    '§5, Training stories essay: introduction'
    """
    sources = list(dict.fromkeys(s.get("source_short") for s in sections))
    out = []
    for s in sections:
        head = s["heading"]
        number = head.split(".", 1)[0]
        cite = f"§{number}" if number.isdigit() else head.strip("()")
        source = s.get("source_short")
        out.append((sources.index(source), f"{source}: {cite}" if source != sources[0] and source else cite))
    return ", ".join(dict.fromkeys(cite for _, cite in sorted(out, key=lambda pair: pair[0])))


def fail_verb(failing) -> str:
    """"fails" for one thing, "fail" for several.

    >>> fail_verb(["a"]), fail_verb(["a", "b"])
    ('fails', 'fail')
    """
    return "fails" if len(failing) == 1 else "fail"


def what_if(G, names, *, explain=False) -> Result:
    """What each proposal loses if NAME(s) fail: criteria lost outright, and criteria weakened.

    A criterion is weakened when one of its routes fails and another remains;
    ``--format json`` gives ``criteria`` (lost outright) and ``weakened``
    (criterion, failed routes, remaining routes) for each proposal.
    """
    from . import analysis

    failing = [resolve(G, n) for n in names]
    found = analysis.what_if(G, failing)
    try:
        mulligan = resolve(G, "akg:mulligan")
        caught = {r["node"] for r in algorithms.depends_on(G, mulligan)}
    except AlignKGError:
        caught = set()
    rows, json_rows = [], []
    for item in found:
        paths = {f: steps(G, p) for f, p in item["paths"].items()}
        criteria = [G.nodes[c]["label"] for c in item["criteria"]]
        weakened = [{"criterion": G.nodes[w["criterion"]]["label"], "criterion_iri": w["criterion"],
                     "evaluation": w["evaluation"],
                     "failed_routes": [{**entity(G, r), "name": route_name(G, r)} for r in w["failed_routes"]],
                     "remaining_routes": [{**entity(G, r), "name": route_name(G, r)} for r in w["remaining_routes"]]}
                    for w in item["weakened"]]
        evs = item["evaluations"] + [w["evaluation"] for w in item["weakened"]]
        sections = [s for ev in evs for s in G.nodes[ev].get("sections", [])]
        row = {**entity(G, item["node"]), "criteria": criteria, "criteria_lost": len(criteria),
               "structural": item["structural"], "caught_before_deployment": item["node"] in caught,
               "via": "; ".join(" > ".join(s["relation_label"] for s in p) for p in paths.values()),
               "sources": short_cite(sections) if sections else "", "paths": paths}
        json_rows.append({**row, "weakened": weakened})
        rows.append({**row, "weakened": [f"{w['criterion']} ({len(w['remaining_routes'])} of "
                                         f"{len(w['remaining_routes']) + len(w['failed_routes'])} routes left)"
                                         for w in weakened], "weakened_detail": weakened})
    header = [f"If {' and '.join(G.nodes[f]['label'] for f in failing)} {fail_verb(failing)}, these proposals lose support:"]
    if rows:
        worst = max(r["criteria_lost"] for r in rows)
        exposed = (f"most exposed: {', '.join(r['label'] for r in rows if r['criteria_lost'] == worst)} "
                   f"({worst} {'criterion' if worst == 1 else 'criteria'})") if worst else "no criterion lost outright"
        header.append(f"{exposed}; caught before deployment (mulligan): "
                      f"{', '.join(r['label'] for r in rows if r['caught_before_deployment']) or 'none'}")
        if any(r["weakened"] for r in rows):
            header.append("criteria: lost outright (every route fails); weakened: a route fails, another remains")

    def detail(row):
        lines = [line for p in row["paths"].values() for line in explain_lines(p)]
        for w in row["weakened_detail"]:
            lines.append(f"    {w['criterion']} weakened: fails on {'; '.join(r['name'] for r in w['failed_routes'])}; "
                         f"remains on {'; '.join(r['name'] for r in w['remaining_routes'])}")
        return lines

    meta = {"failing": [entity(G, f) for f in failing]}
    return Result(rows, ["label", "criteria", "caught_before_deployment", "sources", "weakened"],
                  meta=meta, header=header, detail=detail if explain else None,
                  json_override={**meta, "results": json_rows})


def critical(G, *, top=None, kinds=("assumption", "concept")) -> Result:
    from . import analysis

    rows = [{**entity(G, r["node"]), "proposals": r["proposals"], "evaluations": r["evaluations"],
             "dependents": r["dependents"], "centrality": r["centrality"]}
            for r in analysis.critical(G, kinds=tuple(kinds), top=top)]
    return Result(rows, ["label", "kind", "proposals", "evaluations", "dependents"])


def path(G, source, target, *, whole=None) -> Result:
    """The shortest explanation from ``source`` to ``target`` (see :func:`graph.analysis.path`).

    ``G`` may be a followed projection: then ``whole()`` gives the whole graph,
    which the searches along every relation need when no dependency path exists.
    """
    from . import analysis

    a, b = resolve(G, source), resolve(G, target)
    how, found = analysis.path(G, a, b, whole=whole)
    path_steps = steps(G, found)
    rows = [{"iri": s["to"], "label": s["to_label"], "kind": G.nodes[s["to"]]["kind"], "step": i + 1,
             "from": s["from_label"], "relation": s["relation_label"], "to": s["to_label"],
             "source": short_cite(s["sections"]), "sections": s["sections"], "rationale": s["rationale"]}
            for i, s in enumerate(path_steps)]
    kinds = {"dependency": "along dependency edges", "directed": "along relations in their direction",
             "undirected": "along relations in either direction", "none": "no connection"}
    header = [f"From {G.nodes[a]['label']} to {G.nodes[b]['label']}: {len(rows)} step(s), {kinds[how]}"]
    return Result(rows, ["step", "from", "relation", "to", "source"], header=header,
                  meta={"source": entity(G, a), "target": entity(G, b), "found": how})


def compare(G, names, *, by="components") -> Result:
    from . import analysis

    if by not in ("components", "assumptions", "criteria", "story"):
        raise AlignKGError(f"unknown --by {by!r}; use components, assumptions, criteria or story")
    if names:
        proposals = [resolve(G, n, kinds={"proposal"}) for n in names]
    else:
        proposals = sorted((n for n, d in G.nodes(data=True) if d["kind"] == "proposal" and d.get("analysed")),
                           key=lambda n: G.nodes[n].get("number", 99))
    if len(proposals) < 2 and names:
        raise AlignKGError("compare needs at least two proposals (or none, for all of them)")
    m = analysis.compare(G, proposals, by=by)
    columns = [G.nodes[c]["label"] for c in m["columns"]]
    rows, caveated = [], False
    for p in m["rows"]:
        row = {**entity(G, p), "proposal": G.nodes[p]["label"], "cells": {}}
        for c, label in zip(m["columns"], columns):
            cell = m["cells"].get((p, c))
            mark = " †" if cell and cell.get("caveats") else ""
            row[label] = f"{cell['value']} ({short_cite(cell['sections'])}){mark}" if cell else ""
            if cell:
                row["cells"][c] = {"column": label, "value": cell["value"], "sections": cell["sections"]}
                for extra in ("rationale", "caveats"):
                    if cell.get(extra):
                        row["cells"][c][extra] = cell[extra]
                caveated = caveated or bool(mark)
        rows.append(row)
    similarity = [{"a": entity(G, a), "b": entity(G, b), "jaccard": j} for (a, b), j in m["similarity"].items()]
    header = ["† a later source says this criterion does not fit the proposal (its caveats in --format json)"] \
        if caveated else []
    return Result(rows, ["proposal", *columns], header=header,
                  meta={"by": by, "columns": [entity(G, c) for c in m["columns"]], "similarity": similarity})


def _remote(result: Result, remote) -> Result:
    """A local answer computed on an endpoint's neighbourhood: the same rows and columns, plus where from."""
    result.meta = {**result.meta, "endpoint": remote.url}
    if result.header:
        first = result.header[0]
        result.header = [f"{first[:-1]} (from {remote.url}):" if first.endswith(":") else first,
                         *result.header[1:]]
    return result


def remote_depends_on(remote, name, *, direct=False, explain=False) -> Result:
    """depends-on answered from a SPARQL endpoint: the dependents are found there, then answered
    by :func:`depends_on` on their fetched neighbourhood (same rows, columns and paths as locally)."""
    target = resolve(remote.index(), name)
    return _remote(depends_on(remote.depends_on_graph(target), target, direct=direct, explain=explain), remote)


def remote_shared(remote, names, *, direct=False, explain=False) -> Result:
    if len(names) < 2:
        raise AlignKGError("shared needs at least two names")
    index = remote.index()
    sources = [resolve(index, n) for n in names]
    return _remote(shared(remote.shared_graph(sources), sources, direct=direct, explain=explain), remote)


def remote_what_if(remote, names, *, explain=False) -> Result:
    index = remote.index()
    failing = [resolve(index, n) for n in names]
    return _remote(what_if(remote.what_if_graph(failing), failing, explain=explain), remote)
