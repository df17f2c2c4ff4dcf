"""Why an answer is empty: one line for stderr, naming the command that would answer.

An empty answer is correct (exit 0) but rarely what the user meant: asking
which proposals depend on a failure mode, what a proposal's failure would
break, or counting only direct edges to a concept that proposals reach
through narrower ones. Each function here takes the projected graph and the
resolved nodes of a command whose answer came out empty and says why, in
one line, with the command to run instead. They are pure (no printing).
"""

from __future__ import annotations

import shlex

from . import algorithms

#: Kinds that no proposal can depend on or lose -> why, and the words of the command to ask instead.
_NOT_DEPENDED_ON = {
    "criterion": ("proposals are evaluated on a criterion, not dependent on it",
                  lambda label: ["query", "evaluations-on-criterion", "--param", f"criterion={label}"]),
    "evaluation": ("an evaluation judges a proposal and is not depended on", lambda label: ["show", label]),
    "source": ("a source is cited, not depended on", lambda label: ["query", "essay-sections"]),
    "section": ("a section is cited, not depended on", lambda label: ["show", label]),
}


def command(*words: str) -> str:
    """A command line the user can paste: ``alignkg`` and the words, quoted for a shell.

    >>> command("show", "deceptive alignment")
    "alignkg show 'deceptive alignment'"
    """
    return shlex.join(["alignkg", *words])


def _label(G, node) -> str:
    return G.nodes[node]["label"]


def _some(G, nodes, n=3) -> str:
    labels = list(dict.fromkeys(_label(G, x) for x in nodes))
    return ", ".join(labels[:n]) + (f" and {len(labels) - n} more" if len(labels) > n else "")


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def _vulnerable(G, node) -> str:
    proposals, _ = algorithms.resting_on(G, node)
    label = _label(G, node)
    return (f"{label} is a failure mode: proposals are vulnerable to it, which is not a dependency"
            f" ({_plural(len(proposals), 'proposal')} vulnerable to it or to a narrower failure mode); see {command('show', label)}"
            f" or {command('query', 'evaluations-naming-failure-mode', '--param', f'failure={label}')}")


def _entry(path):
    """Where a path enters its target: ``(0, node)`` for the narrower concept its final broader
    steps start from, ``(1, node)`` for the node of its last step otherwise (sorts narrower first)."""
    k = len(path)
    while k and path[k - 1].get("hierarchy"):
        k -= 1
    return (0, path[k]["from"]) if k < len(path) else (1, path[-1]["from"])


def depends_on(G, target, *, direct=False) -> str:
    """Why no proposal depends on ``target``.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.MultiDiGraph()
    >>> G.add_node("p", kind="proposal", label="P")
    >>> depends_on(G, "p")
    'P is a proposal, and no proposal depends on another; for what it depends on: alignkg dependencies P'
    """
    kind, label = G.nodes[target]["kind"], _label(G, target)
    if kind == "failure-mode":
        return _vulnerable(G, target)
    if kind == "proposal":
        return (f"{label} is a proposal, and no proposal depends on another; "
                f"for what it depends on: {command('dependencies', label)}")
    if kind in _NOT_DEPENDED_ON:
        why, ask = _NOT_DEPENDED_ON[kind]
        return f"{label} is a {kind}: {why}; see {command(*ask(label))}"
    if direct:
        found = algorithms.depends_on(G, target)
        if found:
            near = [node for _, node in sorted(_entry(r["path"]) for r in found)]
            return (f"--direct counted only proposals one dependency step from {label} (then broader concepts);"
                    f" {_plural(len(found), 'proposal')} reach it in more steps, through {_some(G, near)};"
                    f" drop --direct to see them")
    return (f"no proposal reaches {label} ({kind}) along dependency edges (uses technique, assumes, limits to,"
            f" requires, concerns, broader); for its other relations: {command('show', label)}")


def dependencies(G, source, *, kinds=None) -> str:
    """Why ``source`` depends on nothing (of ``kinds``)."""
    kind, label = G.nodes[source]["kind"], _label(G, source)
    if kinds and algorithms.dependencies(G, source):
        return f"{label} depends on nothing of kind {', '.join(sorted(kinds))}; drop --kind to see all it depends on"
    if G.nodes[source].get("analysed") is False:
        return f"{label} is {_NAMED_ONLY}; see {command('show', label)}"
    if kind != "proposal":
        return (f"{label} is a {kind} with no dependency of its own; dependencies answers best for a proposal;"
                f" for what rests on {label}: {command('depends-on', label)}")
    return f"{label} has no dependency edge in the graph; see {command('show', label)}"


def shared(G, sources) -> str:
    """Why ``sources`` share nothing."""
    labels = [_label(G, s) for s in sources]
    fm = [s for s in sources if G.nodes[s]["kind"] == "failure-mode"]
    if fm:
        together, _ = zip(*(algorithms.resting_on(G, s) for s in sources))
        common = set.intersection(*(set(t) for t in together))
        return (f"{_label(G, fm[0])} is a failure mode, which has no dependencies; the header lists the"
                f" {_plural(len(common), 'proposal')} vulnerable to all of them; see {command('show', labels[0])}")
    lonely = [s for s in sources if G.nodes[s]["kind"] != "proposal" and not algorithms.resting_on(G, s)[0]]
    if lonely:
        return (f"no proposal rests on {_label(G, lonely[0])}, so there is no common ground through proposals;"
                f" see {command('show', _label(G, lonely[0]))}")
    return (f"{' and '.join(labels)} have no dependency in common; to compare them side by side:"
            f" {command('compare', *labels)}" if all(G.nodes[s]['kind'] == 'proposal' for s in sources)
            else f"{' and '.join(labels)} have no dependency in common, nor do the proposals resting on them")


#: A proposal the sources name without analysing it (``akg:analysedInSource false``).
_NAMED_ONLY = "a proposal its source only names, without analysing it, so the graph records none of its parts"


def compare(G, proposals, by) -> str:
    """Why the matrix of ``proposals`` by ``by`` has no column."""
    named = [p for p in proposals if G.nodes[p].get("analysed") is False]
    if named:
        return (f"{_label(G, named[0])} is {_NAMED_ONLY}; compare analysed proposals"
                f" ({command('list', 'proposals')} numbers them)")
    return f"none of these proposals has anything to compare --by {by} in the graph; try another --by"


def what_if(G, failing) -> str | None:
    """Why nothing loses support if ``failing`` fail (None if some proposal does depend on them)."""
    for node in failing:
        kind, label = G.nodes[node]["kind"], _label(G, node)
        if kind == "proposal":
            return (f"what-if expects assumptions, concepts or techniques that might fail; {label} is a proposal,"
                    f" which nothing rests on; what it rests on: {command('dependencies', label)}, then what-if"
                    f" one of those")
        if kind == "failure-mode":
            return (f"what-if expects assumptions, concepts or techniques that might fail; {label} is a failure"
                    f" mode, what proposals are vulnerable to: {command('show', label)}")
        if kind in _NOT_DEPENDED_ON:
            return f"what-if expects assumptions, concepts or techniques; {label} is a {kind}"
    if any(algorithms.depends_on(G, f) for f in failing):
        return None
    labels = " and ".join(_label(G, f) for f in failing)
    return (f"no proposal depends on {labels}, so none loses support; for its other relations:"
            f" {command('show', _label(G, failing[0]))}")


def list_entities(G, kind) -> str:
    """Why there is no entity of ``kind``.

    >>> import networkx as nx
    >>> G = nx.MultiDiGraph()
    >>> G.add_node("x", kind="concept", label="x")
    >>> list_entities(G, "proposal")
    'the graph has no entity of kind proposal; kinds present: concept'
    """
    present = sorted({d["kind"] for _, d in G.nodes(data=True)})
    return f"the graph has no entity of kind {kind}; kinds present: {', '.join(present)}"


def critical(G, kinds) -> str:
    """Why nothing of ``kinds`` ranks."""
    return (f"no proposal depends on anything of kind {', '.join(kinds)}; critical ranks what proposals rest on"
            f" (try --kind assumption --kind concept --kind technique)")


def path(G, a, b) -> str:
    """Why no path joins ``a`` and ``b``."""
    return f"no chain of relations, in either direction, connects {_label(G, a)} and {_label(G, b)}"
