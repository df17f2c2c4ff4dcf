"""Training-story cards: a TOML file a researcher writes, mapped one to one onto the RDF model.

A card states one proposal and its training story (the second essay's four
components, goal class, rationale classes), the techniques it uses and the
assumptions it makes (each an entity of the graph, or declared new), the
failure modes it addresses, and its evaluations on the training-story criteria
with verdicts and hinge assumptions. :func:`to_graph` turns a card into the
same triples a hand-written Turtle file in the project's model would hold
(see ``docs/examples/``), so ``check``, ``--data`` and every read command
accept either. :func:`template` writes an empty card with comments that list
the goal classes, rationale classes, criteria and verdicts from the graph.

Every error is a :class:`~graph.errors.DataError` whose message starts with
``FILE:LINE:``: TOML syntax errors carry tomllib's line, unknown keys name the
closest known ones, and names that match no entity list the closest labels.

The card is the source of its own claims: it becomes an ``akg:Source`` whose
``dcterms:title`` is the card's ``[source] title``, every entity and relation
cites a section of it, and everything is marked ``akg:derived true`` since
neither essay states it.
"""

from __future__ import annotations

import difflib
import re
import sys
from dataclasses import dataclass

from .errors import AlignKGError, AmbiguousName, DataError

#: The card's tables and their keys: key -> (kind of value, RDF property it becomes, what to write).
FIELDS = {
    "proposal": {
        "name": ("text", "rdfs:label", "the proposal's name"),
        "summary": ("text", "skos:definition", "one or two sentences saying what the proposal does"),
        "id": ("text", None, "a short identifier used in the IRIs (letters, digits, dashes)"),
        "base": ("text", None, "the IRI namespace of the card's entities"),
    },
    "source": {
        "title": ("text", "dcterms:title", "the title of the document the card's claims come from"),
        "section": ("text", "akg:heading", "the heading of the part of that document the claims come from"),
    },
    "story": {
        "summary": ("text", "skos:definition", "the story in a sentence or two"),
        "goal_specification": ("text", "akg:goalSpecification",
                               "what model training should produce, as mechanistically as you can"),
        "goal_desirability": ("text", "akg:goalDesirability",
                              "why any model meeting the specification would be safe and do what you want"),
        "rationale_constraints": ("text", "akg:rationaleConstraints",
                                  "what is known of whatever model training yields, and why the goal fits it"),
        "rationale_nudges": ("text", "akg:rationaleNudges",
                             "why training will favour the goal over other models meeting the constraints"),
        "goal_class": ("names", "akg:goalClass", "the training goal class the story aims at"),
        "rationale_classes": ("names", "akg:rationaleClass", "the training rationale classes the story uses"),
    },
    "technique": {
        "name": ("text", "akg:usesTechnique", "a technique of the graph, or a new one with new = true"),
        "why": ("text", "akg:rationale", "why the proposal uses it"),
        "new": ("bool", None, "true to declare a technique the graph does not have"),
        "definition": ("text", "skos:definition", "for a new technique: what it is"),
        "section": ("text", "akg:inSection", "the heading of the part of the source that says this"),
    },
    "assumption": {
        "name": ("text", "akg:assumes", "an assumption of the graph, or a new one with new = true"),
        "why": ("text", "akg:rationale", "why the proposal needs it"),
        "new": ("bool", None, "true to declare an assumption the graph does not have"),
        "definition": ("text", "skos:definition", "for a new assumption: the claim"),
        "concerns": ("names", "akg:concerns", "for a new assumption: the entities it makes a claim about"),
        "section": ("text", "akg:inSection", "the heading of the part of the source that says this"),
    },
    "failure_mode": {
        "name": ("text", "rdfs:label", "the name of a failure mode the graph does not have"),
        "definition": ("text", "skos:definition", "how the proposal could go wrong this way"),
        "section": ("text", "akg:inSection", "the heading of the part of the source that says this"),
    },
    "addresses": {
        "risk": ("text", "akg:mitigates", "a failure mode the story guards against"),
        "how": ("text", "akg:rationale", "how the story guards against it"),
        "section": ("text", "akg:inSection", "the heading of the part of the source that says this"),
    },
    "evaluation": {
        "criterion": ("text", "akg:onCriterion", "one of the training-story criteria"),
        "verdict": ("text", "akg:verdict", "one of the verdict levels of the graph"),
        "verdict_rationale": ("text", "akg:verdictRationale",
                              "one sentence on the wording that earns the verdict rather than the next level"),
        "summary": ("text", "skos:definition", "why the story meets the criterion or not"),
        "hinges_on": ("names", "akg:hingesOn", "the assumptions the verdict turns on"),
        "failure_modes": ("names", "akg:namesFailureMode", "the failure modes it warns about"),
        "section": ("text", "akg:inSection", "the heading of the part of the source that says this"),
    },
}
#: Tables written once ([story]) and tables written many times ([[technique]]).
SINGLE = ("proposal", "source", "story")
MANY = ("technique", "assumption", "failure_mode", "addresses", "evaluation")
#: The story components: card key -> (akg property local name, label).
COMPONENTS = {
    "goal_specification": ("goalSpecification", "training goal specification"),
    "goal_desirability": ("goalDesirability", "training goal desirability"),
    "rationale_constraints": ("rationaleConstraints", "training rationale constraints"),
    "rationale_nudges": ("rationaleNudges", "training rationale nudges"),
}

_SLUG = re.compile(r"[^a-z0-9]+")


def slug(text: str) -> str:
    """A lower-case, dash-separated identifier for ``text``.

    >>> slug("Relaxed Adversarial Training + myopia!")
    'relaxed-adversarial-training-myopia'
    """
    return _SLUG.sub("-", text.casefold()).strip("-")[:80]


def _toml():
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    return tomllib


# -----------------------------------------------------------------------------
#  Where things are in the card's text
# -----------------------------------------------------------------------------

_HEADER = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_.\"' -]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"^\s*(\"[^\"]*\"|'[^']*'|[A-Za-z0-9_-]+)\s*=")


class Lines:
    """The line of each table and key of a TOML text, found by a light scan.

    tomllib reports lines only for syntax errors; for the checks after parsing
    (unknown keys, unknown names, wrong types) this scan finds the line of
    ``(table, index, key)``: ``index`` counts ``[[table]]`` entries from 0.

    >>> at = Lines('[story]\\ngoal_class = "x"\\n[[technique]]\\nname = "a"\\n[[technique]]\\nname = "b"\\n')
    >>> at("story", 0, "goal_class"), at("technique", 1, "name"), at("technique", 1)
    (2, 6, 5)
    """

    def __init__(self, text: str):
        self.keys, self.tables = {}, {}
        counts, table, index, quote = {}, "", 0, None
        for number, line in enumerate(text.splitlines(), start=1):
            if quote is not None:  # inside a multi-line string
                if line.count(quote) % 2 == 1:
                    quote = None
                continue
            header = _HEADER.match(line)
            if header:
                table = header.group(2).strip().strip("\"'")
                index = counts[table] = counts.get(table, -1) + 1 if header.group(1) == "[[" else 0
                self.tables.setdefault((table, index), number)
                continue
            key = _KEY.match(line)
            if key:
                self.keys.setdefault((table, index, key.group(1).strip("\"'")), number)
                rest = line[key.end():]
                for q in ('"""', "'''"):
                    if rest.count(q) % 2 == 1:
                        quote = q
                        break

    def __call__(self, table, index=0, key=None):
        if key is not None and (table, index, key) in self.keys:
            return self.keys[(table, index, key)]
        return self.tables.get((table, index))


# -----------------------------------------------------------------------------
#  Parsing and checking a card
# -----------------------------------------------------------------------------


@dataclass
class Context:
    """What turning one card into triples needs: where it is, its text's lines, the graph to resolve against."""

    path: str
    lines: Lines
    G: object

    def fail(self, table, index, key, message):
        line = self.lines(table, index, key)
        field = f"{table}.{key}" if key else table
        if table in MANY:
            field = f"[[{table}]] #{index + 1}" + (f" {key}" if key else "")
        where = f"{self.path}:{line}" if line else str(self.path)
        raise DataError(f"{where}: {field}: {message}")


def parse(path, text: str) -> dict:
    """Parse the TOML text of a card; a syntax error names file, line and column.

    >>> parse("x.toml", '[story]\\ngoal_class = "simulators"')["story"]["goal_class"]
    'simulators'
    >>> parse("x.toml", "[story\\n")
    Traceback (most recent call last):
    ...
    graph.errors.DataError: x.toml:1: TOML syntax error: Expected ']' at the end of a table declaration (column 7)
    """
    tomllib = _toml()
    try:
        return tomllib.loads(text)
    except RecursionError:
        raise DataError(f"{path}: nested too deeply to parse (arrays or tables hundreds of levels deep)") from None
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        found = re.search(r"\(at line (\d+), column (\d+)\)", message)
        line = getattr(exc, "lineno", None) or (int(found.group(1)) if found else None)
        column = getattr(exc, "colno", None) or (int(found.group(2)) if found else None)
        why = getattr(exc, "msg", None) or re.sub(r"\s*\(at line \d+, column \d+\)|\s*\(at end of document\)", "", message)
        where = f"{path}:{line}" if line else str(path)
        col = f" (column {column})" if column else ""
        raise DataError(f"{where}: TOML syntax error: {why}{col}") from None


def _closest(word, known):
    close = difflib.get_close_matches(word, list(known), n=3, cutoff=0.4)
    return f"; did you mean: {', '.join(close)}?" if close else f"; known: {', '.join(known)}"


def _check_keys(ctx: Context, card: dict) -> None:
    """Refuse unknown tables and keys, tables of the wrong shape and values of the wrong type."""
    for table, value in card.items():
        if table not in FIELDS:
            line = ctx.lines(table, 0)
            where = f"{ctx.path}:{line}" if line else str(ctx.path)
            raise DataError(f"{where}: unknown table [{table}]{_closest(table, FIELDS)}")
        entries = value if table in MANY else [value]
        if table in MANY and not isinstance(value, list):
            ctx.fail(table, 0, None, f"write [[{table}]] (a list of tables), not [{table}]")
        if table in SINGLE and not isinstance(value, dict):
            ctx.fail(table, 0, None, f"write [{table}] (one table), not [[{table}]]")
        for index, entry in enumerate(entries):
            for key, v in entry.items():
                if key not in FIELDS[table]:
                    ctx.fail(table, index, key, f"unknown key{_closest(key, FIELDS[table])}")
                kind, _, what = FIELDS[table][key]
                ok = (isinstance(v, str) if kind == "text" else isinstance(v, bool) if kind == "bool"
                      else isinstance(v, str) or (isinstance(v, list) and all(isinstance(x, str) for x in v)))
                if not ok:
                    shape = {"text": "text in quotes", "bool": "true or false",
                             "names": 'a name in quotes or a list of them (["a", "b"])'}[kind]
                    ctx.fail(table, index, key, f"expected {shape}: {what}")


def _names(value) -> list:
    return [value] if isinstance(value, str) else list(value or [])


def _text(value) -> str:
    return (value or "").strip()


def verdicts(rdf) -> dict:
    """The verdict levels of the graph: normalised name -> IRI (every instance of ``akg:Verdict``).

    Labels, alternative labels and local names all name a level; the scale is
    read from the data, so levels added to the schema are picked up as they are.
    """
    from rdflib import RDFS
    from rdflib.namespace import SKOS

    from .resolve import normalise

    from rdflib.namespace import OWL

    out = {}
    # current levels first, so a deprecated level never takes a name (an altLabel) from its replacement
    for v in sorted(_verdict_nodes(rdf), key=lambda v: (rdf.value(v, OWL.deprecated) is not None, str(v))):
        local = str(v).rsplit("#", 1)[-1]
        names = [local, re.sub(r"(?<!^)(?=[A-Z])", " ", local)]
        names += [str(x) for x in rdf.objects(v, RDFS.label)] + [str(x) for x in rdf.objects(v, SKOS.altLabel)]
        for name in names:
            out.setdefault(normalise(name), v)
    return out


def _verdict_nodes(rdf) -> set:
    """Every verdict level: instances of ``akg:Verdict`` or a subclass, and the other members of their SKOS schemes."""
    from rdflib import RDF, RDFS
    from rdflib.namespace import SKOS

    from .namespace import AKG

    classes = set(rdf.transitive_subjects(RDFS.subClassOf, AKG.Verdict))
    nodes = {v for c in classes for v in rdf.subjects(RDF.type, c)}
    schemes = {s for v in nodes for s in rdf.objects(v, SKOS.inScheme)}
    return nodes | {v for s in schemes for v in rdf.subjects(SKOS.inScheme, s)}


def verdict_levels(rdf) -> list:
    """The verdict levels as ``(label, definition)``, in the order the schema gives them
    (``akg:number``, ``sh:order`` or ``skos:notation``), else by label; deprecated levels are left out."""
    from rdflib import RDFS
    from rdflib.namespace import SH, SKOS

    from .namespace import AKG

    from rdflib.namespace import OWL

    rows = []
    for v in _verdict_nodes(rdf):
        if rdf.value(v, OWL.deprecated) is not None and str(rdf.value(v, OWL.deprecated)).lower() == "true":
            continue
        number = next((x for x in (rdf.value(v, AKG.number), rdf.value(v, SH.order), rdf.value(v, SKOS.notation))
                       if x is not None), None)
        try:
            rank = float(str(number)) if number is not None else 99
        except ValueError:
            rank = 99
        rows.append((rank, str(rdf.value(v, RDFS.label) or v),
                     str(rdf.value(v, SKOS.definition) or "")))
    return [(label, definition) for _, label, definition in sorted(rows, key=lambda r: (r[0], r[1].casefold()))]


def _shipped():
    """The shipped graph (networkx view and rdflib graph) that a card's names resolve against."""
    from .store import Store

    st = Store()
    return st.nx, st.rdf


def to_graph(path, text: str, namespace_manager=None, shipped=None):
    """The triples of the card ``text`` (read from ``path``), as an rdflib graph.

    Parameters
    ----------
    path : str or Path
        Named in error messages.
    text : str
        The card's TOML.
    namespace_manager : rdflib.namespace.NamespaceManager, optional
        Prefixes for the new graph.
    shipped : (networkx.MultiDiGraph, rdflib.Graph), optional
        The graph names resolve against (the shipped ontology by default).

    Returns
    -------
    rdflib.Graph

    Raises
    ------
    DataError
        ``FILE:LINE: what is wrong`` for a syntax error, an unknown key, a
        value of the wrong type, or a name that matches no entity.
    """
    from rdflib import Graph, Literal, Namespace, URIRef, BNode
    from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS, XSD

    from .namespace import AKG
    from .resolve import normalise, resolve

    card = parse(path, text)
    G, rdf = shipped or _shipped()
    ctx = Context(str(path), Lines(text), G)
    _check_keys(ctx, card)

    proposal = card.get("proposal", {})
    name = _text(proposal.get("name"))
    if not name:
        ctx.fail("proposal", 0, "name" if "name" in proposal else None, "give the proposal a name (name = \"...\")")
    ident = slug(_text(proposal.get("id")) or name) or "proposal"
    base = _text(proposal.get("base")) or f"urn:alignkg:card:{ident}#"
    if not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]*$", base):
        ctx.fail("proposal", 0, "base", f"{base!r} is not an IRI")
    NS = Namespace(base)
    g = Graph(namespace_manager=namespace_manager) if namespace_manager is not None else Graph()
    g.bind("akg", AKG._NS)

    def lit(value):
        return Literal(value, lang="en")

    true = Literal(True)
    source_table = card.get("source", {})
    source = NS["source"]
    g.add((source, RDF.type, AKG.Source))
    g.add((source, DCTERMS.title, lit(_text(source_table.get("title")) or f"Training-story card: {name}")))
    g.add((source, RDFS.label, lit(_text(source_table.get("title")) or f"Training-story card: {name}")))
    sections = {}

    def section(heading=None):
        heading = _text(heading) or _text(source_table.get("section")) or "(whole card)"
        if heading not in sections:
            node = NS[f"section-{slug(heading) or len(sections)}"]
            g.add((node, RDF.type, AKG.Section))
            g.add((node, AKG.heading, Literal(heading, datatype=XSD.string)))
            g.add((node, DCTERMS.isPartOf, source))
            sections[heading] = node
        return sections[heading]

    def entity(node, cls, label, definition, heading=None):
        g.add((node, RDF.type, cls))
        g.add((node, RDFS.label, lit(label)))
        if definition:
            g.add((node, SKOS.definition, lit(definition)))
        g.add((node, AKG.inSection, section(heading)))
        g.add((node, AKG.derived, true))

    def relate(subject, prop, target, why, heading=None):
        g.add((subject, prop, target))
        q = BNode()
        g.add((subject, AKG.qualifiedRelation, q))
        g.add((q, AKG.relation, prop))
        g.add((q, AKG.target, URIRef(target)))
        g.add((q, AKG.inSection, section(heading)))
        g.add((q, AKG.rationale, lit(why)))
        g.add((q, AKG.derived, true))

    # new entities first, so that names can refer to them
    declared = {}  # (kind, normalised name) -> IRI

    def declare(kind, cls, table, index, entry, prefix):
        label = _text(entry.get("name"))
        if not label:
            ctx.fail(table, index, "name" if "name" in entry else None, 'give it a name (name = "...")')
        node = NS[f"{prefix}-{slug(label)}"]
        entity(node, cls, label, _text(entry.get("definition")), entry.get("section"))
        declared[(kind, normalise(label))] = node
        return node

    def find(kinds, word, table, index, key):
        word = _text(word)
        if not word:
            ctx.fail(table, index, key, "empty name")
        for kind in kinds:
            if (kind, normalise(word)) in declared:
                return declared[(kind, normalise(word))]
        try:
            return URIRef(resolve(G, word, kinds=set(kinds)))
        except AmbiguousName as exc:
            ctx.fail(table, index, key, f"{word!r} is ambiguous: it matches {', '.join(exc.candidates)}; "
                                        "use a full label or a prefixed name")
        except AlignKGError as exc:
            kinds_text = " or ".join(k.replace("-", " ") for k in kinds)
            ctx.fail(table, index, key, f"unknown {kinds_text} {word!r}{_hint(exc, kinds)}")

    for index, entry in enumerate(card.get("failure_mode", [])):
        declare("failure-mode", AKG.FailureMode, "failure_mode", index, entry, "failure-mode")
    for table, kind, cls in (("technique", "technique", AKG.Technique), ("assumption", "assumption", AKG.Assumption)):
        for index, entry in enumerate(card.get(table, [])):
            if entry.get("new"):
                if not _text(entry.get("definition")):
                    ctx.fail(table, index, "new", f"a new {kind} needs a definition (definition = \"...\")")
                declare(kind, cls, table, index, entry, kind)
            elif "definition" in entry or "concerns" in entry:
                key = "definition" if "definition" in entry else "concerns"
                ctx.fail(table, index, key, f"only a new {kind} (new = true) takes a {key}; "
                                            f"the graph defines {_text(entry.get('name'))!r} already")

    # the proposal and its story
    p = NS[ident]
    entity(p, AKG.Proposal, name, _text(proposal.get("summary")))
    g.add((p, AKG.analysedInSource, Literal(False)))
    story_table = card.get("story", {})
    s = NS[f"{ident}-story"]
    entity(s, AKG.TrainingStory, f"Training story of {name}",
           _text(story_table.get("summary")) or _text(proposal.get("summary")))
    relate(p, AKG.hasTrainingStory, s, "The card tells this story for the proposal.")
    for key, (prop, label) in COMPONENTS.items():
        value = _text(story_table.get(key))
        if value:  # an empty component is left out: check reports it as a gap
            node = NS[f"{ident}-{key.replace('_', '-')}"]
            entity(node, AKG.StoryComponent, f"{name} story: {label}", value)
            g.add((s, AKG[prop], node))
    for key, prop, kind in (("goal_class", AKG.goalClass, "training-goal"),
                            ("rationale_classes", AKG.rationaleClass, "training-rationale")):
        for word in _names(story_table.get(key)):
            if _text(word):
                relate(s, prop, find([kind], word, "story", 0, key), "The card classifies its story so.")

    for table, prop, kind in (("technique", AKG.usesTechnique, "technique"), ("assumption", AKG.assumes, "assumption")):
        for index, entry in enumerate(card.get(table, [])):
            target = find([kind], entry.get("name"), table, index, "name")
            why = _text(entry.get("why")) or f"The card lists this {kind}."
            relate(p, prop, target, why, entry.get("section"))
            if entry.get("new"):
                for word in _names(entry.get("concerns")):
                    if _text(word):
                        other = find(["technique", "concept", "assumption"], word, table, index, "concerns")
                        relate(target, AKG.concerns, other, f"The claim is about {_text(word)}.", entry.get("section"))
    for index, entry in enumerate(card.get("addresses", [])):
        target = find(["failure-mode"], entry.get("risk"), "addresses", index, "risk")
        how = _text(entry.get("how"))
        if not how:
            ctx.fail("addresses", index, "how" if "how" in entry else None, 'say how the story guards against it (how = "...")')
        relate(s, AKG.mitigates, target, how, entry.get("section"))

    levels = verdicts(rdf)
    seen = {}
    for index, entry in enumerate(card.get("evaluation", [])):
        criterion = find(["criterion"], entry.get("criterion"), "evaluation", index, "criterion")
        if criterion in seen:
            ctx.fail("evaluation", index, "criterion", f"the criterion is evaluated already in [[evaluation]] #{seen[criterion] + 1}")
        seen[criterion] = index
        crit_label = G.nodes[str(criterion)]["label"] if str(criterion) in G else _text(entry.get("criterion"))
        ev = NS[f"{ident}-on-{str(criterion).rsplit('#', 1)[-1]}"]
        entity(ev, AKG.Evaluation, f"{name} story on {crit_label}", _text(entry.get("summary")), entry.get("section"))
        g.add((ev, AKG.evaluates, s))
        g.add((ev, AKG.onCriterion, criterion))
        verdict = _text(entry.get("verdict"))
        if verdict:  # an empty verdict is a gap, reported by check
            level = levels.get(normalise(verdict))
            if level is None:
                known = [label for label, _ in verdict_levels(rdf)]
                ctx.fail("evaluation", index, "verdict", f"unknown verdict {verdict!r}{_closest(verdict, known)}")
            g.add((ev, AKG.verdict, level))
        if _text(entry.get("verdict_rationale")):
            g.add((ev, AKG.verdictRationale, lit(_text(entry.get("verdict_rationale")))))
        for word in _names(entry.get("hinges_on")):
            g.add((ev, AKG.hingesOn, find(["assumption"], word, "evaluation", index, "hinges_on")))
        for word in _names(entry.get("failure_modes")):
            g.add((ev, AKG.namesFailureMode, find(["failure-mode"], word, "evaluation", index, "failure_modes")))
    return g


def _hint(exc, kinds) -> str:
    close = getattr(exc, "suggestions", None)
    hint = f"; did you mean: {', '.join(close)}?" if close else ""
    if "failure-mode" in kinds:
        return hint + " (or declare it in a [[failure_mode]] table)"
    if "technique" in kinds or "assumption" in kinds:
        return hint + " (or declare it new: new = true and a definition)"
    return hint


# -----------------------------------------------------------------------------
#  Validating a user's file against the shapes
# -----------------------------------------------------------------------------


def shacl_problems(full, own_graph, card: bool = True, shapes_file=None) -> list:
    """SHACL violations of the user's nodes, each naming the field to fix.

    Only the user's own triples (with the shortcut triples entailed from them),
    the types of the entities they point at and the schema's property and class
    axioms are validated, so the check takes a fraction of a second instead of
    validating the whole shipped graph again.

    Parameters
    ----------
    full : rdflib.Graph
        The store's graph, shipped data and the user's file together (entailed).
    own_graph : rdflib.Graph
        The user's file alone.
    card : bool
        Name fields as the card writes them (``story.goal_class``) rather than
        as RDF properties (``akg:goalClass``).

    Returns
    -------
    list of dict
        ``{"field", "message", "label"}``.
    """
    import pyshacl
    from rdflib import BNode, Graph, RDF, RDFS, URIRef
    from rdflib.namespace import DCTERMS, OWL, SH

    from . import SHAPES_FILE
    from .namespace import AKG
    from .project import short

    own = {s for s in own_graph.subjects() if isinstance(s, URIRef)}
    data = Graph()
    todo = list(own)
    seen = set(todo)
    while todo:  # the user's subjects and their blank nodes, as the store holds them (entailed triples too)
        s = todo.pop()
        for _, p, o in full.triples((s, None, None)):
            data.add((s, p, o))
            if isinstance(o, BNode) and o not in seen:
                seen.add(o)
                todo.append(o)
    for node in own:  # evaluations of the user's nodes, wherever they are stated (a shape reads their hinges)
        for ev in full.subjects(AKG.evaluates, node):
            data += full.triples((ev, None, None))
    for o in set(data.objects()):
        if isinstance(o, URIRef):  # what the shapes need to know of the entities pointed at
            for p in (RDF.type, DCTERMS.isPartOf):
                data += full.triples((o, p, None))
    for p in (RDFS.subPropertyOf, RDFS.subClassOf):
        data += full.triples((None, p, None))
    for t in (OWL.ObjectProperty, OWL.DatatypeProperty):
        data += full.triples((None, RDF.type, t))
    shapes = Graph().parse(shapes_file or SHAPES_FILE, format="turtle")
    # pyshacl parses a SPARQL constraint again for every focus node, so only the user's nodes are
    # focus nodes (the entities they point at are in the data for sh:class, not to be checked);
    # their qualifications (blank nodes, which focus_nodes cannot name) get the shapes that
    # target them in a second, SPARQL-free run
    _, report, _ = pyshacl.validate(data, shacl_graph=shapes, inference="none", advanced=True,
                                    allow_warnings=True, focus_nodes=sorted(str(n) for n in own))
    bnode_shapes = Graph()
    for shape in set(shapes.subjects(SH.targetObjectsOf, None)):
        bnode_shapes += shapes.cbd(shape)
    if len(bnode_shapes):
        _, more, _ = pyshacl.validate(data, shacl_graph=bnode_shapes, inference="none", allow_warnings=True)
        report += more
    out = []
    for result in report.subjects(RDF.type, SH.ValidationResult):
        focus = report.value(result, SH.focusNode)
        owner = focus
        if isinstance(focus, BNode):
            owner = data.value(None, AKG.qualifiedRelation, focus)
        if owner not in own:
            continue
        path = report.value(result, SH.resultPath)
        prop = short(path) if path is not None else ""
        classes = {short(t).split(":", 1)[-1] for t in data.objects(owner, RDF.type)}
        if any((c, prop) in COVERED for c in classes):
            continue  # the review reports these itself, in the story's own terms
        table = next((TABLE_OF_CLASS[c] for c in classes if c in TABLE_OF_CLASS), None)
        key = next((k for k, (_, p, _) in FIELDS.get(table, {}).items() if p == prop), None)
        field, what = (f"{table}.{key}", FIELDS[table][key][2]) if card and key else (prop, None)
        label = str(data.value(owner, RDFS.label) or short(owner))
        message = str(report.value(result, SH.resultMessage) or "does not conform")
        hint = f" Write {what}." if what else ""
        out.append({"field": field, "label": label, "message": f"{label}: {field + ': ' if field else ''}{message}{hint}"})
    return sorted(out, key=lambda r: r["message"])


#: rdf:type of a node -> the card table that writes it.
TABLE_OF_CLASS = {"Proposal": "proposal", "TrainingStory": "story", "Evaluation": "evaluation",
                  "Technique": "technique", "Assumption": "assumption", "FailureMode": "failure_mode",
                  "Source": "source", "Section": "source"}
#: (class, property) whose SHACL results the review already reports as gaps.
COVERED = {("TrainingStory", f"akg:{prop}") for prop, _ in COMPONENTS.values()} | {
    ("Evaluation", "skos:definition"), ("StoryComponent", "skos:definition")}


# -----------------------------------------------------------------------------
#  The template written by `alignkg new story`
# -----------------------------------------------------------------------------


def _one_line(text, width=90) -> str:
    """The first sentence of ``text``, cut to ``width`` characters.

    >>> _one_line("Models that predict. They never act.")
    'Models that predict.'
    """
    text = " ".join((text or "").split())
    first = re.split(r"(?<=[.;:])\s", text, maxsplit=1)[0]
    return first if len(first) <= width else first[: width - 1] + "…"


def _q(text: str) -> str:
    """A TOML basic string.

    >>> _q('say "hi"')
    '"say \\\\"hi\\\\""'
    """
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def template(name: str, G, rdf) -> str:
    """The text of an empty card for a proposal called ``name``, with the graph's vocabulary in comments.

    Goal classes, rationale classes, techniques, training-story criteria and
    verdict levels are listed from the graph (``G`` projected, ``rdf`` for the
    verdict scale), so the template follows the data.
    """
    def listing(kind):
        return sorted((d for d in G.nodes.values() if d.get("kind") == kind), key=lambda d: d["label"].casefold())

    criteria = sorted((d for n, d in G.nodes(data=True) if d.get("kind") == "criterion"
                       and any(k == "assesses" for _, _, k in G.out_edges(n, keys=True))),
                      key=lambda d: d.get("number", 99))
    levels = verdict_levels(rdf)
    out = [
        f"# alignkg training-story card: {name}",
        "#",
        "# Fill in the empty fields, then run:  alignkg check THIS-FILE",
        "# The card follows the second essay (Hubinger 2021, \"How do we become confident in the safety of",
        "# a machine learning system?\"): a training goal and a training rationale in four components,",
        "# judged on four criteria. It maps one to one onto alignkg's RDF model, so it also works as",
        "# --data for every command (alignkg story, what-if, render --focus ...).",
        "# Names (techniques, assumptions, classes, criteria, verdicts, failure modes) are matched like",
        "# any NAME: a label or alternative label in any case, or a prefixed name such as akg:myopia.",
        "# Text may span lines inside \"\"\"triple quotes\"\"\".",
        "",
        "[proposal]",
        f"name = {_q(name)}",
        'summary = ""      # what the proposal does, in a sentence or two',
        "",
        "[source]",
        'title = ""        # the document these claims come from: your draft, paper or post',
        'section = ""      # the part of it they come from (a heading)',
        "",
        "[story]",
        'summary = ""      # the story in a sentence or two',
        "# Training goal: what model you want, and why it would be good.",
    ]
    for key, (_, label) in COMPONENTS.items():
        out.append(f"# {label}: {FIELDS['story'][key][2]}.")
        out.append(f'{key} = ""')
    out.append("#")
    out.append("# The training goal class the story aims at; the classes in the graph:")
    out += [f"#   {d['label']} — {_one_line(d.get('definition'))}" for d in listing("training-goal")]
    out.append('goal_class = ""')
    out.append("# The training rationale classes the story uses (one or more); the classes in the graph:")
    out += [f"#   {d['label']} — {_one_line(d.get('definition'))}" for d in listing("training-rationale")]
    out.append("rationale_classes = []")
    out += [
        "",
        "# Techniques the proposal uses: one [[technique]] table each. The techniques in the graph:",
        *_wrapped([d["label"] for d in listing("technique")]),
        "# A technique the graph lacks: add  new = true  and  definition = \"...\".",
        "#",
        "# [[technique]]",
        '# name = "relaxed adversarial training"',
        '# why = "why the proposal uses it"',
        "",
        "# Assumptions the proposal makes, beyond the hinges of its evaluations: one [[assumption]]",
        "# table each (see them all with: alignkg list assumptions). A new one: new = true, a",
        "# definition, and concerns = [\"...\"] naming the techniques or concepts it makes a claim about.",
        "#",
        "# [[assumption]]",
        '# name = "the overseer gives a consistent gradient away from deception"',
        '# why = "why the proposal needs it"',
        "",
        "# Failure modes the story guards against (check lists the ones it inherits through its",
        "# techniques): one [[addresses]] table each. A failure mode the graph lacks: declare it in a",
        "# [[failure_mode]] table with name and definition.",
        "#",
        "# [[addresses]]",
        '# risk = "deceptive alignment"',
        '# how = "how the story guards against it"',
        "",
        "# Evaluations on the training-story criteria, one each. The verdict levels:",
        *[f"#   {label} — {_one_line(definition)}" for label, definition in levels],
    ]
    for d in criteria:
        out += [
            "",
            "[[evaluation]]",
            f"criterion = {_q(d['label'])}",
            f"# {_one_line(d.get('definition'), 120)}",
            'verdict = ""',
            'verdict_rationale = ""   # one sentence: what earns this level rather than the next',
            'summary = ""      # why the story meets the criterion, or not',
            "hinges_on = []    # the assumptions the verdict turns on",
            "failure_modes = []",
        ]
    return "\n".join(out) + "\n"


def _wrapped(words, width=96) -> list:
    lines, line = [], "#  "
    for w in words:
        piece = f" {w};"
        if len(line) + len(piece) > width:
            lines.append(line.rstrip(";"))
            line = "#  "
        line += piece
    lines.append(line.rstrip(";"))
    return lines


def template_turtle(name: str, G, rdf) -> str:
    """The same template in Turtle, in alignkg's own model (for ``new story NAME --output FILE.ttl``).

    The structure the card would produce, with empty texts to fill in; the
    vocabulary lists carry the prefixed names to use.
    """
    def listing(kind):
        return sorted((d for d in G.nodes.values() if d.get("kind") == kind), key=lambda d: d["label"].casefold())

    def tq(text):
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'

    ident = slug(name) or "proposal"
    criteria = sorted((d for n, d in G.nodes(data=True) if d.get("kind") == "criterion"
                       and any(k == "assesses" for _, _, k in G.out_edges(n, keys=True))),
                      key=lambda d: d.get("number", 99))
    out = [
        f"# alignkg training story (Turtle): {name}",
        "#",
        "# Fill in the empty texts and the commented choices, then run:  alignkg check THIS-FILE",
        "# The same model a .toml card maps onto (alignkg new story NAME --output FILE.toml is the",
        "# friendlier form). Everything here is marked derived: neither essay states it.",
        "",
        "@prefix akg:     <https://w3id.org/alignkg#> .",
        "@prefix rdfs:    <http://www.w3.org/2000/01/rdf-schema#> .",
        "@prefix skos:    <http://www.w3.org/2004/02/skos/core#> .",
        "@prefix dcterms: <http://purl.org/dc/terms/> .",
        "@prefix xsd:     <http://www.w3.org/2001/XMLSchema#> .",
        f"@prefix :        <urn:alignkg:card:{ident}#> .",
        "",
        "# The document these claims come from, and the part of it.",
        ':source a akg:Source ; rdfs:label ""@en ; dcterms:title ""@en .',
        ':section a akg:Section ; akg:heading ""^^xsd:string ; dcterms:isPartOf :source .',
        "",
        f":{ident} a akg:Proposal ;",
        f"    rdfs:label {tq(name)}@en ;",
        '    skos:definition ""@en ;   # what the proposal does',
        "    akg:analysedInSource false ; akg:inSection :section ; akg:derived true ;",
        "    akg:qualifiedRelation",
        "        # One qualified relation per technique used and per assumption made; uncomment, for example:",
        "        # [ akg:relation akg:usesTechnique ; akg:target akg:relaxed-adversarial-training ;",
        "        #   akg:inSection :section ; akg:derived true ; akg:rationale \"why\"@en ] ,",
        "        # The techniques in the graph:",
        *[f"        #   {d['short']} — {d['label']}" for d in listing("technique")],
        "        # The assumptions: alignkg list assumptions --format csv (the iri column).",
        f"        [ akg:relation akg:hasTrainingStory ; akg:target :{ident}-story ;",
        "          akg:inSection :section ; akg:derived true ;",
        "          akg:rationale \"The training story this file tells for the proposal.\"@en ] .",
        "",
        f":{ident}-story a akg:TrainingStory ;",
        f"    rdfs:label {tq('Training story of ' + name)}@en ;",
        '    skos:definition ""@en ;',
        "    akg:inSection :section ; akg:derived true ;",
        "    # The goal class and the rationale classes: uncomment and pick the targets.",
        "    # akg:qualifiedRelation",
        "    #     [ akg:relation akg:goalClass ; akg:target akg:goal-... ;",
        "    #       akg:inSection :section ; akg:derived true ; akg:rationale \"why\"@en ] ,",
        "    #     [ akg:relation akg:rationaleClass ; akg:target akg:rationale-... ;",
        "    #       akg:inSection :section ; akg:derived true ; akg:rationale \"why\"@en ] ;",
        "    # Goal classes:",
        *[f"    #   {d['short']} — {_one_line(d.get('definition'), 80)}" for d in listing("training-goal")],
        "    # Rationale classes:",
        *[f"    #   {d['short']} — {_one_line(d.get('definition'), 80)}" for d in listing("training-rationale")],
    ]
    keys = list(COMPONENTS)
    for key, (prop, _) in COMPONENTS.items():
        out.append(f"    akg:{prop} :{ident}-{key.replace('_', '-')} {'.' if key == keys[-1] else ';'}")
    out.append("")
    for key, (prop, label) in COMPONENTS.items():
        out += [f"# {label}: {FIELDS['story'][key][2]}.",
                f":{ident}-{key.replace('_', '-')} a akg:StoryComponent ;",
                f"    rdfs:label {tq(name + ' story: ' + label)}@en ;",
                '    skos:definition ""@en ;',
                "    akg:inSection :section ; akg:derived true .", ""]
    levels = ", ".join(f"akg:{_local(v)}" for v in sorted(set(verdicts(rdf).values()), key=str))
    out.append(f"# Evaluations on the training-story criteria. akg:verdict is one of: {levels}.")
    for d in criteria:
        local = d["short"].split(":", 1)[-1]
        out += ["",
                f":{ident}-on-{local} a akg:Evaluation ;",
                f"    rdfs:label {tq(name + ' story on ' + d['label'])}@en ;",
                f"    akg:evaluates :{ident}-story ; akg:onCriterion {d['short']} ;",
                "    # akg:verdict akg:... ; akg:verdictRationale \"...\"@en ;",
                "    # akg:hingesOn akg:... ; akg:namesFailureMode akg:... ;",
                '    skos:definition ""@en ;',
                "    akg:inSection :section ; akg:derived true ."]
    return "\n".join(out) + "\n"


def _local(iri) -> str:
    return str(iri).rsplit("#", 1)[-1]
