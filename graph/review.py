"""Review a user's training story against the framework and the graph: pure functions.

The story is read from the projected graph (:mod:`graph.project`), whether it
came from a TOML card (:mod:`graph.card`) or from Turtle, so both give the same
review. ``own`` is the set of node keys the user's file defines: their
proposals are the ones reviewed, and they are never their own "nearest
proposal" or the source of an inherited risk.

The review has five parts, each with the gaps it finds:

components
    the four components of the second essay present and non-empty; a goal
    class and at least one rationale class named;
criteria
    an evaluation on every training-story criterion, with a verdict, a summary
    and the assumptions it hinges on;
inherited risks
    for each technique the story uses, the hinge assumptions (and the failure
    modes named beside them) that the graph's evaluations attach to other
    proposals using the same technique, restricted to hinges that make a claim
    about that technique (``concerns``, one dependency step, or a broader
    technique), plus failure modes the technique itself is vulnerable to; each
    is addressed when the story assumes the assumption or mitigates, or names,
    the failure mode;
nearest proposals
    the proposals with the highest Jaccard similarity (as ``compare`` measures
    it) over techniques, limits, requirements and assumptions, and what they
    rely on that the story does not mention (information, not gaps);
sensitivity
    for each assumption of the story, what it loses if the assumption fails
    (:func:`graph.analysis.what_if`), and which other proposals rest on it.
"""

from __future__ import annotations

from . import algorithms
from .analysis import jaccard, what_if

#: (relation from the story, JSON key, heading), in the essay's order.
COMPONENTS = (
    ("goalSpecification", "goal_specification", "Training goal specification"),
    ("goalDesirability", "goal_desirability", "Training goal desirability"),
    ("rationaleConstraints", "rationale_constraints", "Training rationale constraints"),
    ("rationaleNudges", "rationale_nudges", "Training rationale nudges"),
)
#: The relations whose targets a proposal "relies on" for similarity (``compare``'s components and assumptions).
FEATURES = ("usesTechnique", "limitsTo", "requires", "assumes")
NEAREST = 3


def _out(G, node, relation):
    return sorted({v for _, v, k in G.out_edges(node, keys=True) if k == relation},
                  key=lambda n: (G.nodes[n].get("label", n).casefold(), n))


def _ent(G, n) -> dict:
    d = G.nodes[n]
    return {"iri": n, "label": d["label"], "kind": d["kind"]}


def stories(G, proposal) -> list:
    """The training stories of ``proposal``."""
    return _out(G, proposal, "hasTrainingStory")


def _both(G, proposal):
    return [proposal, *stories(G, proposal)]


def features(G, proposal) -> set:
    """What a proposal (and its story) directly relies on: techniques, limits, requirements, assumptions.

    >>> import networkx as nx
    >>> G = nx.MultiDiGraph()
    >>> _ = G.add_edge("p", "t", key="usesTechnique"); _ = G.add_edge("p", "s", key="hasTrainingStory")
    >>> _ = G.add_edge("s", "a", key="assumes")
    >>> sorted(features(G, "p"))
    ['a', 't']
    """
    return {v for n in _both(G, proposal) for _, v, k in G.out_edges(n, keys=True) if k in FEATURES}


def techniques(G, proposal) -> list:
    """The techniques a proposal or its story uses directly."""
    return sorted({t for n in _both(G, proposal) for t in _out(G, n, "usesTechnique")},
                  key=lambda n: G.nodes[n]["label"].casefold())


def _up(G, node) -> set:
    """``node`` and everything broader than it."""
    seen, todo = {node}, [node]
    while todo:
        for _, v, d in G.out_edges(todo.pop(), data=True):
            if d.get("hierarchy") and v not in seen:
                seen.add(v)
                todo.append(v)
    return seen


def _about(G, assumption) -> set:
    """What an assumption makes a claim about: one dependency step, then broader entities."""
    return {r["node"] for r in algorithms.dependencies(G, assumption, direct=True)}


def _evaluations(G, node) -> list:
    return sorted(u for u, _, k in G.in_edges(node, keys=True) if k == "evaluates")


def _criterion(G, ev):
    found = _out(G, ev, "onCriterion")
    return found[0] if found else None


def review_components(G, story) -> dict:
    """The four components, the goal class and the rationale classes of ``story``, with gaps."""
    comps, gaps = {}, []
    for relation, key, heading in COMPONENTS:
        nodes = _out(G, story, relation) if story else []
        text = (G.nodes[nodes[0]].get("definition") or "").strip() if nodes else ""
        comps[key] = {"heading": heading, "text": text, "iri": nodes[0] if nodes else None}
        if not text:
            gaps.append({"part": "components", "item": heading,
                         "message": f"{heading} is {'empty' if nodes else 'missing'}: "
                                    f"write {_WHAT[key]}"})
    goal = [_ent(G, n) for n in _out(G, story, "goalClass")] if story else []
    rationale = [_ent(G, n) for n in _out(G, story, "rationaleClass")] if story else []
    if not goal:
        gaps.append({"part": "components", "item": "training goal class",
                     "message": "no training goal class: name the class of model the story aims at"})
    if not rationale:
        gaps.append({"part": "components", "item": "training rationale classes",
                     "message": "no training rationale class: name the kinds of reason the story gives"})
    return {"components": comps, "goal_class": goal, "rationale_classes": rationale, "gaps": gaps}


_WHAT = {
    "goal_specification": "what model training should produce, as mechanistically as you can",
    "goal_desirability": "why every model meeting the specification would be safe and useful",
    "rationale_constraints": "what is known of any model training yields, and why the goal fits it",
    "rationale_nudges": "why training will favour the goal over other models meeting the constraints",
}


def review_criteria(G, story) -> dict:
    """One row per training-story criterion of the graph: the story's verdict, hinges and failure modes."""
    criteria = sorted((n for n, d in G.nodes(data=True) if d.get("kind") == "criterion" and _is_story_criterion(G, n)),
                      key=lambda n: (G.nodes[n].get("number", 99), n))
    by_criterion = {}
    for ev in _evaluations(G, story) if story else []:
        c = _criterion(G, ev)
        if c is not None:
            by_criterion.setdefault(c, ev)
    rows, gaps = [], []
    for c in criteria:
        label = G.nodes[c]["label"]
        ev = by_criterion.get(c)
        if ev is None:
            rows.append({**_ent(G, c), "verdict": None, "summary": None, "hinges_on": [], "failure_modes": []})
            gaps.append({"part": "criteria", "item": label,
                         "message": f"no evaluation on {label}: add one with a verdict and its hinge assumptions"})
            continue
        d = G.nodes[ev]
        row = {**_ent(G, c), "evaluation": ev, "verdict": d.get("verdict"), "summary": (d.get("definition") or "").strip(),
               "hinges_on": [_ent(G, a) for a in _out(G, ev, "hingesOn")],
               "failure_modes": [_ent(G, f) for f in _out(G, ev, "namesFailureMode")]}
        rows.append(row)
        for key, what, hint in (("verdict", "verdict", "one of the verdict levels"),
                                ("summary", "summary", "why the story meets the criterion or not"),
                                ("hinges_on", "hinge assumptions", "the assumptions the verdict turns on")):
            if not row[key]:
                gaps.append({"part": "criteria", "item": label,
                             "message": f"the evaluation on {label} gives no {what}: add {hint}"})
    return {"criteria": rows, "gaps": gaps}


def _is_story_criterion(G, node) -> bool:
    """A criterion of the second essay: one that ``assesses`` a part of a training story."""
    return any(k == "assesses" for _, _, k in G.out_edges(node, keys=True))


def inherited_risks(G, proposal, own=frozenset()) -> dict:
    """The hinge assumptions and failure modes the story inherits through the techniques it uses.

    Returns
    -------
    dict
        ``{"risks": [...], "gaps": [...]}``; each risk has ``iri``, ``label``,
        ``kind`` (assumption or failure-mode), ``techniques`` (labels),
        ``via`` (the proposals, criteria and source sections that attach it)
        and ``addressed``.
    """
    mine = _both(G, proposal)
    assumed = {v for n in mine for v in _out(G, n, "assumes")}
    covered = {v for n in mine for rel in ("mitigates", "vulnerableTo") for v in _out(G, n, rel)}
    risks = {}

    def add(node, technique, via):
        r = risks.setdefault(node, {**_ent(G, node), "techniques": [], "via": []})
        if technique not in r["techniques"]:
            r["techniques"].append(technique)
        if via not in r["via"]:
            r["via"].append(via)

    others = sorted((n for n, d in G.nodes(data=True) if d.get("kind") == "proposal" and n not in own),
                    key=lambda n: (G.nodes[n].get("number", 99), G.nodes[n]["label"].casefold(), n))
    # a hinge is inherited only if every technique it makes a claim about is one the story relies on
    # (or a broader one): "debaters use transparency tools effectively" is not a risk of a story without debate
    relied = set().union(*(_up(G, r["node"]) for r in algorithms.dependencies(G, proposal)), set())

    def fits(h):
        return all(x in relied for x in _about(G, h) if G.nodes[x].get("kind") == "technique")

    for t in techniques(G, proposal):
        up_t = _up(G, t)
        t_label = G.nodes[t]["label"]
        for other in others:
            shared = [x for x in techniques(G, other) if _up(G, x) & up_t]
            if not shared:
                continue
            for node in _both(G, other):
                for ev in _evaluations(G, node):
                    hinges = [h for h in _out(G, ev, "hingesOn")
                              if any(_about(G, h) & _up(G, x) & up_t for x in shared) and fits(h)]
                    if not hinges:
                        continue
                    c = _criterion(G, ev)
                    via = {"proposal": G.nodes[other]["label"], "proposal_iri": other,
                           "proposal_number": G.nodes[other].get("number"),
                           "evaluation": ev, "criterion": G.nodes[c]["label"] if c else None,
                           "sections": G.nodes[ev].get("sections", [])}
                    for h in hinges:
                        add(h, t_label, via)
                    for f in _out(G, ev, "namesFailureMode"):
                        add(f, t_label, via)
        for x in up_t:  # failure modes the technique itself (or a broader one) is vulnerable to
            for _, f, k, d in G.out_edges(x, keys=True, data=True):
                if k == "vulnerableTo":
                    add(f, t_label, {"proposal": None, "proposal_iri": None, "evaluation": None,
                                     "criterion": None, "sections": d.get("sections", []),
                                     "technique": G.nodes[x]["label"]})
    rows, gaps = [], []
    for node, r in risks.items():
        r["addressed"] = node in (assumed if r["kind"] == "assumption" else covered | assumed)
        rows.append(r)
    rows.sort(key=lambda r: (r["kind"] != "assumption", -len(r["via"]), r["label"].casefold()))
    for r in rows:
        # failure modes come with the evaluation that names them, and the graph does not say which of its
        # hinges each goes with: they are listed for the author to weigh, but only assumptions count as gaps
        if not r["addressed"] and r["kind"] == "assumption":
            how = "assume it (list it as an assumption or a hinge), or drop the technique"
            gaps.append({"part": "inherited risks", "item": r["label"],
                         "message": f"inherited {r['kind'].replace('-', ' ')} {r['label']!r} "
                                    f"(through {', '.join(r['techniques'])}; attached to "
                                    f"{_via_text(r['via'])}) is not addressed: {how}"})
    return {"risks": rows, "gaps": gaps}


def _via_text(via) -> str:
    names = []
    for v in via:
        name = v["proposal"] or f"the technique {v.get('technique')}"
        if name not in names:
            names.append(name)
    return ", ".join(names)


def nearest(G, proposal, own=frozenset(), n=NEAREST) -> list:
    """The ``n`` proposals most similar to ``proposal`` (Jaccard over :func:`features`), with what they rely on that it does not."""
    mine = features(G, proposal)
    rows = []
    for other, d in G.nodes(data=True):
        if d.get("kind") != "proposal" or other in own or other == proposal:
            continue
        theirs = features(G, other)
        score = jaccard(mine, theirs)
        if not theirs or score <= 0:
            continue
        extra = sorted(theirs - mine, key=lambda x: (G.nodes[x]["kind"] != "technique", G.nodes[x]["label"].casefold()))
        rows.append({**_ent(G, other), "similarity": round(score, 3),
                     "shared": [_ent(G, x) for x in sorted(theirs & mine, key=lambda x: G.nodes[x]["label"].casefold())],
                     "not_mentioned": [_ent(G, x) for x in extra]})
    rows.sort(key=lambda r: (-r["similarity"], G.nodes[r["iri"]].get("number", 99), r["label"].casefold()))
    return rows[:n]


def sensitivity(G, proposal, own=frozenset()) -> list:
    """For each assumption of the story: the criteria it loses (and weakens) if the assumption fails."""
    mine = _both(G, proposal)
    assumptions = sorted({v for n in mine for v in _out(G, n, "assumes")}, key=lambda a: G.nodes[a]["label"].casefold())
    # what_if reads the criteria a proposal loses from the evaluations of the proposal; a story's
    # evaluations judge the story, so on a copy they also judge the proposal
    H = G.copy()
    for story in stories(G, proposal):
        for ev in _evaluations(G, story):
            H.add_edge(ev, proposal, key="evaluates", relation="evaluates", dependency=False)
    rows = []
    for a in assumptions:
        found = what_if(H, [a])
        lost, weakened = [], []
        for r in found:
            if r["node"] in mine:
                lost += [c for c in r["criteria"] if c not in lost]
                # what_if's "weakened" (criteria some route of which fails) holds dicts with a "criterion"
                for w in r.get("weakened", []):
                    c = w["criterion"] if isinstance(w, dict) else w
                    if c not in weakened:
                        weakened.append(c)
        others = [r["node"] for r in found if G.nodes[r["node"]].get("kind") == "proposal" and r["node"] not in own]
        rows.append({**_ent(G, a), "loses": [G.nodes[c]["label"] for c in lost],
                     "weakened": [G.nodes[c]["label"] for c in weakened if c not in lost],
                     "also_rest_on_it": [G.nodes[o]["label"] for o in sorted(others, key=lambda o: (G.nodes[o].get("number", 99), o))]})
    rows.sort(key=lambda r: (-len(r["loses"]), -len(r["weakened"]), r["label"].casefold()))
    return rows


def review(G, proposal, own=frozenset(), problems=()) -> dict:
    """The whole review of the story of ``proposal``.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        The projected graph, the user's file included.
    proposal : str
        Node key of the user's proposal.
    own : collection of str
        Node keys the user's file defines.
    problems : sequence of dict
        Validation problems found before the review (``{"field", "message"}``);
        each becomes a gap.

    Returns
    -------
    dict
        ``proposal``, ``story``, ``components``, ``goal_class``,
        ``rationale_classes``, ``criteria``, ``techniques``, ``inherited_risks``,
        ``nearest``, ``sensitivity``, ``gaps`` and ``complete``.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.MultiDiGraph()
    >>> G.add_node("p", label="P", kind="proposal")
    >>> r = review(G, "p")
    >>> r["complete"], r["gaps"][0]["message"]
    (False, 'the proposal has no training story: write its four components')
    """
    own = set(own) | {proposal}
    story_nodes = stories(G, proposal)
    story = story_nodes[0] if story_nodes else None
    gaps = [{"part": "validation", "item": p.get("field", ""), "message": p["message"]} for p in problems]
    if story is None:
        gaps.append({"part": "components", "item": "training story",
                     "message": "the proposal has no training story: write its four components"})
    comps = review_components(G, story)
    crit = review_criteria(G, story)
    used = techniques(G, proposal)
    if not used:
        gaps.append({"part": "techniques", "item": "techniques",
                     "message": "the story names no technique: list the techniques it uses, so that the risks "
                                "they carry in the graph can be checked"})
    inherited = inherited_risks(G, proposal, own)
    gaps += comps["gaps"] + crit["gaps"] + inherited["gaps"]
    return {
        "proposal": _ent(G, proposal),
        "story": _ent(G, story) if story else None,
        "components": comps["components"],
        "goal_class": comps["goal_class"],
        "rationale_classes": comps["rationale_classes"],
        "criteria": crit["criteria"],
        "techniques": [_ent(G, t) for t in used],
        "assumptions": [_ent(G, a) for a in sorted({v for n in _both(G, proposal) for v in _out(G, n, "assumes")},
                                                    key=lambda a: G.nodes[a]["label"].casefold())],
        "inherited_risks": inherited["risks"],
        "nearest": nearest(G, proposal, own),
        "sensitivity": sensitivity(G, proposal, own),
        "gaps": gaps,
        "complete": not gaps,
    }


def mark(G, result) -> None:
    """Mark a review's inherited risks and nearest proposals on ``G`` for the map (node attribute ``review_mark``).

    ``graph.render`` draws marked nodes with their group colour and keeps them on a
    ``--focus`` map of the reviewed proposal.
    """
    for r in result["inherited_risks"]:
        G.nodes[r["iri"]]["review_mark"] = "inherited" if r["addressed"] else "inherited-open"
        G.nodes[r["iri"]]["review_note"] = (f"Inherited through {', '.join(r['techniques'])} from "
                                           f"{_via_text(r['via'])}; {'addressed' if r['addressed'] else 'NOT addressed'} by the story")
    for r in result["nearest"]:
        G.nodes[r["iri"]].setdefault("review_mark", "nearest")
        G.nodes[r["iri"]].setdefault("review_note", f"Nearest proposal (similarity {r['similarity']})")


# -----------------------------------------------------------------------------
#  Presentation: table lines and a Markdown review
# -----------------------------------------------------------------------------


def _cite(sections) -> str:
    from .answers import short_cite

    return short_cite(sections) if sections else ""


def _via_lines(via, short=False) -> list:
    out = []
    for v in via:
        if v["proposal"] and short:
            name = f"proposal {v['proposal_number']}" if v.get("proposal_number") else v["proposal"]
            out.append(f"{name} ({v['criterion']}; {_source(v['sections'], short=True)})")
        elif v["proposal"]:
            out.append(f"{v['proposal']}, on {v['criterion']} ({_source(v['sections'])})")
        else:
            out.append(f"the technique {v.get('technique')} is vulnerable to it ({_source(v['sections'])})")
    return out


def _source(sections, short=False) -> str:
    """A compact citation: the source's short title, then "§N" for a numbered heading or the heading.

    >>> _source([{"source_short": "Overview", "heading": "3. Imitative amplification"}])
    'Overview §3'
    """
    out = []
    for s in sections:
        head, source = s["heading"], s.get("source_short") or s.get("source") or ""
        number = head.split(".", 1)[0]
        where = f"§{number}" if number.isdigit() else head.strip("()")
        if short and source.startswith("Overview"):  # "Overview of 11 proposals" -> "Overview"
            source = source.split()[0] if source else ""
        text = f"{source} {where}" if number.isdigit() else f"{source} — {where}" if source else where
        if text not in out:
            out.append(text)
    return "; ".join(out) or "no source section"


def text_lines(result) -> list:
    """The review as plain-text lines (the ``table`` format)."""
    r = result
    lines = [f"Review of {r['proposal']['label']}" + (f" ({r['story']['label']})" if r["story"] else ""), ""]
    lines.append("Training story components")
    for key, c in r["components"].items():
        lines.append(f"  {'ok ' if c['text'] else 'GAP'} {c['heading']}" + ("" if c["text"] else ": missing or empty"))
    lines.append(f"  {'ok ' if r['goal_class'] else 'GAP'} goal class: {', '.join(e['label'] for e in r['goal_class']) or '(none)'}")
    lines.append(f"  {'ok ' if r['rationale_classes'] else 'GAP'} rationale classes: "
                 f"{', '.join(e['label'] for e in r['rationale_classes']) or '(none)'}")
    lines += ["", "Training-story criteria (second essay)"]
    for c in r["criteria"]:
        ok = c["verdict"] and c["summary"] and c["hinges_on"]
        lines.append(f"  {'ok ' if ok else 'GAP'} {c['label']}: {c['verdict'] or 'no verdict'}"
                     + (f"; hinges on {', '.join(h['label'] for h in c['hinges_on'])}" if c["hinges_on"] else ""))
    lines += ["", f"Inherited risks (through {', '.join(t['label'] for t in r['techniques']) or 'no technique'})"]
    if not r["inherited_risks"]:
        lines.append("  none found in the graph")
    for risk in r["inherited_risks"]:
        flag = "ok " if risk["addressed"] else "GAP" if risk["kind"] == "assumption" else " ? "
        lines.append(f"  {flag} {risk['kind']}: {risk['label']}"
                     f" ({'addressed' if risk['addressed'] else 'not addressed'})")
        lines.append(f"        from {'; '.join(_via_lines(risk['via'], short=True))}")
    lines += ["", "Nearest proposals (Jaccard over techniques and assumptions, as compare)"]
    if not r["nearest"]:
        lines.append("  none shares a technique or an assumption")
    for n in r["nearest"]:
        lines.append(f"  {n['label']}  similarity {n['similarity']}")
        if n["not_mentioned"]:
            lines.append(f"        relies on, not in this story: {'; '.join(e['label'] for e in n['not_mentioned'])}")
    lines += ["", "Sensitivity: if an assumption fails, the story loses"]
    for s in r["sensitivity"]:
        lost = ", ".join(s["loses"]) or "no named criterion"
        weak = f"; weakened: {', '.join(s['weakened'])}" if s["weakened"] else ""
        also = f"  (also rests on it: {len(s['also_rest_on_it'])} proposal(s))" if s["also_rest_on_it"] else ""
        lines.append(f"  {s['label']}: {lost}{weak}{also}")
    lines += ["", f"{len(r['gaps'])} gap(s)" if r["gaps"] else "complete: no gaps"]
    lines += [f"  - [{g['part']}] {g['message']}" for g in r["gaps"]]
    return lines


def _md(text) -> str:
    from .output import clean

    return clean(text).replace("|", "\\|").replace("\n", " ")


def markdown(result) -> str:
    """The review as a Markdown document to paste into a write-up."""
    r = result
    out = [f"## Training-story review: {_md(r['proposal']['label'])}", "",
           "Reviewed by `alignkg check` against the training-stories framework (Hubinger 2021) and the "
           "alignkg graph of the two essays.", ""]
    out += ["### Components", "", "| component | status |", "|---|---|"]
    for c in r["components"].values():
        out.append(f"| {c['heading']} | {'written' if c['text'] else '**missing**'} |")
    out.append(f"| training goal class | {_md(', '.join(e['label'] for e in r['goal_class'])) or '**missing**'} |")
    out.append(f"| training rationale classes | {_md(', '.join(e['label'] for e in r['rationale_classes'])) or '**missing**'} |")
    out += ["", "### Criteria", "", "| criterion | verdict | hinges on | failure modes |", "|---|---|---|---|"]
    for c in r["criteria"]:
        out.append(f"| {_md(c['label'])} | {_md(c['verdict'] or '**none**')} | "
                   f"{_md('; '.join(h['label'] for h in c['hinges_on'])) or '**none**'} | "
                   f"{_md('; '.join(f['label'] for f in c['failure_modes']))} |")
    out += ["", "### Inherited risks", "",
            f"Through the techniques it uses ({_md(', '.join(t['label'] for t in r['techniques'])) or 'none'}), "
            "the story inherits what the graph's evaluations attach to other proposals using them: the assumptions "
            "those evaluations hinge on that make a claim about the technique, and the failure modes named beside "
            "them. Failure modes are listed for the author to weigh; only unaddressed assumptions count as gaps.", ""]
    if r["inherited_risks"]:
        out += ["| risk | kind | through | attached to (source) | addressed |", "|---|---|---|---|---|"]
        for risk in r["inherited_risks"]:
            out.append(f"| {_md(risk['label'])} | {risk['kind']} | {_md(', '.join(risk['techniques']))} | "
                       f"{_md('; '.join(_via_lines(risk['via'])))} | "
                       f"{'yes' if risk['addressed'] else '**no**' if risk['kind'] == 'assumption' else 'no (to weigh)'} |")
    else:
        out.append("None found in the graph.")
    out += ["", "### Nearest proposals", ""]
    if r["nearest"]:
        out += ["| proposal | similarity | relies on, not mentioned by this story |", "|---|---|---|"]
        for n in r["nearest"]:
            out.append(f"| {_md(n['label'])} | {n['similarity']} | {_md('; '.join(e['label'] for e in n['not_mentioned']))} |")
    else:
        out.append("No proposal shares a technique or an assumption with this story.")
    out += ["", "### Sensitivity", "", "| if this assumption fails | the story loses | weakened | other proposals resting on it |",
            "|---|---|---|---|"]
    for s in r["sensitivity"]:
        out.append(f"| {_md(s['label'])} | {_md(', '.join(s['loses'])) or 'no named criterion'} | "
                   f"{_md(', '.join(s['weakened']))} | {len(s['also_rest_on_it'])} |")
    out += ["", "### Gaps", ""]
    out += [f"- [{g['part']}] {_md(g['message'])}" for g in r["gaps"]] or ["None: the story is complete."]
    return "\n".join(out) + "\n"


def mark_focus(G, name) -> None:
    """Mark the inherited risks and nearest proposals of proposal (or story) ``name`` on ``G``, for its map.

    Does nothing when ``name`` is neither a proposal nor a training story.
    """
    from .resolve import resolve

    node = resolve(G, name)
    kind = G.nodes[node]["kind"]
    if kind == "training-story":
        node = next((u for u, _, k in G.in_edges(node, keys=True) if k == "hasTrainingStory"), None)
    elif kind != "proposal":
        return
    if node is not None:
        mark(G, {"inherited_risks": inherited_risks(G, node, {node})["risks"], "nearest": nearest(G, node, {node})})
