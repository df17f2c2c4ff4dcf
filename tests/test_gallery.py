"""The gallery of named queries: each query run through the CLI against the shipped
graph, with the answer the essays lead one to expect.

Expected answers come from the essays (the section is named next to each) and were
checked against the data. Where the essay fixes the answer the test asserts it
exactly; where the data may grow (more derived links, more examples) it asserts a
subset or superset.
"""

from __future__ import annotations

import re
import shlex

import pytest
from conftest import ROOT

from alignkg.queries import TYPES, catalogue

QUERIES_DIR = ROOT / "queries"

P = {
    1: "Reinforcement learning + transparency tools",
    2: "Imitative amplification + intermittent oversight",
    3: "Imitative amplification + relaxed adversarial training",
    4: "Approval-based amplification + relaxed adversarial training",
    5: "Microscope AI",
    6: "STEM AI",
    7: "Narrow reward modeling + transparency tools",
    8: "Recursive reward modeling + relaxed adversarial training",
    9: "AI safety via debate with transparency tools",
    10: "Amplification with auxiliary RL objective + relaxed adversarial training",
    11: "Amplification alongside RL + relaxed adversarial training",
}
ALL = set(P)
RAT = {3, 4, 8, 10, 11}  # the proposals with relaxed adversarial training in their title
IMITATIVE = {2, 3, 10, 11}  # the proposals built on imitative amplification

_CACHE: dict = {}


def query(run, name, **params):
    """Rows of a named query (values as strings, unbound cells absent), via the CLI."""
    key = (name, tuple(sorted(params.items())))
    if key not in _CACHE:
        args = ["query", name]
        for k, v in params.items():
            args += ["--param", f"{k}={v}"]
        r = run(*args, "--format", "json")
        assert r.code == 0, r
        doc = r.json
        assert set(doc) >= {"head", "results"}, doc
        _CACHE[key] = [{k: v["value"] for k, v in b.items()} for b in doc["results"]["bindings"]]
    return _CACHE[key]


def sparql(run, text):
    r = run("sparql", text, "--format", "json")
    assert r.code == 0, r
    return [{k: v["value"] for k, v in b.items()} for b in r.json["results"]["bindings"]]


def numbers(rows, key="number"):
    return {int(r[key]) for r in rows if key in r}


def split(value, sep=", "):
    return set(value.split(sep)) if value else set()


# -----------------------------------------------------------------------------
#  The gallery itself: headers, listing, defaults, examples
# -----------------------------------------------------------------------------

NAMES = sorted(p.stem for p in QUERIES_DIR.glob("*.rq"))


def test_gallery_has_at_least_16_queries():
    assert len(NAMES) >= 16, NAMES


def test_list_shows_every_file_with_summary_description_example_and_defaults(run):
    r = run("query", "--list", "--format", "json")
    assert r.code == 0, r
    listed = {x["name"]: x for x in r.json["results"]}
    assert set(listed) == set(NAMES)
    for name, x in listed.items():
        assert x["summary"].strip(), name
        assert x["description"].strip(), name
        assert x["example"].startswith(f"alignkg query {name}"), (name, x["example"])
        for p in x["parameters"]:
            assert p["type"] in TYPES, (name, p)
            assert p["default"] not in (None, ""), (name, p)
            assert p["description"].strip(), (name, p)


@pytest.mark.parametrize("name", NAMES)
def test_header_is_well_formed_and_parameters_are_used_not_pasted(name):
    q = catalogue()[name]
    header, body = [], []
    for line in q.text.splitlines():
        (header if not body and line.startswith("#") else body).append(line)
    for line in header:  # every header line is a key or a description continuation
        assert re.match(r"^# (summary|description|param|example): ", line) or line.startswith("#   "), (name, line)
    text = "\n".join(body)
    for p in q.params:
        assert re.search(rf"\?{p.name}\b", text), (name, p.name)
        if p.type == "name":  # an entity's name or IRI never appears in the text itself
            assert p.default.lower() not in text.lower(), (name, "default written into the query", p.default)


@pytest.mark.parametrize("name", NAMES)
def test_every_query_runs_bare_and_its_example_runs(run, name):
    r = run("query", name, "--format", "json")
    assert r.code == 0, r
    assert "bindings" in r.json["results"]
    q = catalogue()[name]
    argv = shlex.split(q.example)
    assert argv[:3] == ["alignkg", "query", name], q.example
    given = {argv[i + 1].split("=", 1)[0] for i, a in enumerate(argv) if a in ("--param", "-p")}
    assert given <= {p.name for p in q.params}, (name, given)
    r = run(*argv[1:], "--format", "json")
    assert r.code == 0, r


# -----------------------------------------------------------------------------
#  proposals-with-verdict
# -----------------------------------------------------------------------------

def test_not_aimed_at_outer_alignment_is_microscope_ai_and_stem_ai(run):
    # Overview §5 and §6: both are "likely not outer aligned", by design; the second
    # essay's "Evaluating proposals" section says they are not trying to be.
    rows = query(run, "proposals-with-verdict")
    assert {r["label"] for r in rows} == {"Microscope AI", "STEM AI"}
    assert numbers(rows) == {5, 6}
    assert [int(r["number"]) for r in rows] == [5, 6]
    assert query(run, "proposals-with-verdict", verdict="NOT AIMED AT") == rows


def test_every_proposal_has_exactly_one_verdict_on_outer_alignment(run):
    seen = []
    for verdict in ("leans positive", "conditional", "open", "leans negative", "not aimed at"):
        seen += numbers(query(run, "proposals-with-verdict", criterion="outer alignment", verdict=verdict))
    assert sorted(seen) == sorted(ALL)


def test_verdict_on_a_training_story_criterion(run):
    # Training stories essay, "Case study: Microscope AI": the story's goal alignment is
    # left unsettled (the self-reference worry may or may not be fully met).
    rows = query(run, "proposals-with-verdict", criterion="training goal alignment", verdict="open")
    assert "Training story of Microscope AI" in {r["label"] for r in rows}
    assert all(r["sections"] for r in rows)


def test_unknown_verdict_is_an_empty_answer(run):
    assert query(run, "proposals-with-verdict", verdict="certain") == []


# -----------------------------------------------------------------------------
#  shared-assumptions
# -----------------------------------------------------------------------------

def test_assumptions_shared_by_several_proposals(run):
    rows = query(run, "shared-assumptions")
    by_label = {r["label"]: r for r in rows}
    for r in rows:
        nums = {int(n) for n in split(r["numbers"])}
        assert int(r["proposals"]) == len(nums) >= 2, r
        assert len(r["names"].split("; ")) == len(nums), r
    counts = [int(r["proposals"]) for r in rows]
    assert counts == sorted(counts, reverse=True)
    # Overview §2, §3, §10, §11: the imitative schemes limit to HCH, so their outer
    # alignment and performance competitiveness rest on HCH (§4's tree is not HCH).
    assert {int(n) for n in split(by_label["HCH is aligned"]["numbers"])} == IMITATIVE
    assert {int(n) for n in split(by_label["HCH is competitive"]["numbers"])} == IMITATIVE
    # Overview §4, §8, §10, §11 ("the same guarantee from before"): every RAT
    # proposal needs a consistent gradient away from deception.
    gradient = by_label["the overseer gives a consistent gradient away from deception"]
    assert {int(n) for n in split(gradient["numbers"])} >= RAT
    # Overview §7 and §8: per-episode myopia must be checkable.
    assert {int(n) for n in split(by_label["per-episode myopia can be verified"]["numbers"])} >= {7, 8}


def test_shared_assumptions_minimum_is_a_bound_parameter(run):
    rows = query(run, "shared-assumptions", min=4)
    assert rows and all(int(r["proposals"]) >= 4 for r in rows)
    assert {"HCH is aligned", "HCH is competitive"} <= {r["label"] for r in rows}
    assert len(rows) < len(query(run, "shared-assumptions"))


# -----------------------------------------------------------------------------
#  unsourced-concepts (data quality)
# -----------------------------------------------------------------------------

def test_no_concept_or_referenced_node_is_unsourced(run):
    assert query(run, "unsourced-concepts") == []


def test_unsourced_concepts_catches_missing_bad_and_dangling_citations(run, tmp_path):
    extra = tmp_path / "extra.ttl"
    extra.write_text(
        "@prefix akg: <https://w3id.org/alignkg#> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        'akg:bare-idea a akg:Concept ; rdfs:label "bare idea"@en .\n'
        'akg:miscited a akg:Concept ; rdfs:label "miscited"@en ; akg:inSection akg:s001-p99 .\n'
        "akg:myopia akg:qualifiedRelation [ akg:relation akg:requires ; akg:target akg:myopya ;\n"
        "    akg:inSection akg:s001-p2 ] .\n",
        encoding="utf-8",
    )
    r = run("query", "unsourced-concepts", "--data", extra, "--format", "json")
    assert r.code == 0, r
    found = {b["node"]["value"].split("#")[1] for b in r.json["results"]["bindings"]}
    assert found == {"bare-idea", "miscited", "myopya"}


# -----------------------------------------------------------------------------
#  stories-by-goal-class / stories-by-rationale-class
# -----------------------------------------------------------------------------

def test_stories_aiming_at_simulators(run):
    # Training stories essay, landscape: "a training goal for imitative amplification
    # might be a model that simulates HCH"; §10 and §11 add RL to the same imitation.
    rows = query(run, "stories-by-goal-class")
    assert numbers(rows) == IMITATIVE
    stated = {int(r["number"]) for r in rows if "(derived)" not in r["goalClasses"]}
    assert stated == {2, 3}  # the essay names imitative amplification itself


def test_myopic_agents_include_act_based_ones(run):
    # Landscape: act-based agents are a subset of myopic agents; approval-based
    # amplification aims at an approval-directed (act-based) agent.
    rows = query(run, "stories-by-goal-class", goal="myopic agents")
    by_number = {int(r["number"]): r for r in rows if "number" in r}
    assert 4 in by_number
    assert "act-based agents" in by_number[4]["goalClasses"]
    assert "Approval-based amplification + relaxed adversarial training" == by_number[4]["proposal"]


def test_stem_ai_aims_at_a_narrow_agent(run):
    # Landscape: "an example of a proposal with a narrow agent as its training goal
    # would be STEM AI".
    rows = query(run, "stories-by-goal-class", goal="narrow agents")
    stem = [r for r in rows if r.get("proposal") == "STEM AI"]
    assert len(stem) == 1 and stem[0]["goalClasses"] == "narrow agents"


def test_microscope_ai_story_is_in_no_goal_class(run):
    # Landscape: the goal classes listed are "other than the ones that we just saw
    # with Microscope AI".
    classes = [r["class"] for r in query(run, "class-examples") if r["kind"] == "training goal"]
    for cls in classes:
        stories = {r["story"] for r in query(run, "stories-by-goal-class", goal=cls)}
        assert "Training story of Microscope AI" not in stories, cls


def test_stories_using_transparency_and_interpretability(run):
    rows = query(run, "stories-by-rationale-class")
    assert numbers(rows) >= {1, 2, 5, 7, 9}
    (micro,) = [r for r in rows if r.get("proposal") == "Microscope AI"]
    # Case study and landscape: told and classified by the essay itself.
    assert micro["storyDerived"] == "false"
    assert micro["rationaleClasses"] == "transparency and interpretability"


def test_inductive_bias_analysis_stories_are_the_essays_own(run):
    # Landscape: "as in both the cat detection and Microscope AI training stories".
    rows = query(run, "stories-by-rationale-class", rationale="inductive bias analysis")
    stories = {r["story"]: r for r in rows}
    assert {"Training story of a cat classifier", "Training story of Microscope AI"} <= set(stories)
    for name in ("Training story of a cat classifier", "Training story of Microscope AI"):
        assert stories[name]["storyDerived"] == "false"
        assert "(derived)" not in stories[name]["rationaleClasses"]


def test_automated_oversight_includes_recursive_oversight_of_rat(run):
    # Landscape: recursive oversight is a form of automated oversight, explored in
    # "Relaxed adversarial training for inner alignment".
    rows = query(run, "stories-by-rationale-class", rationale="automated oversight")
    assert numbers(rows) >= RAT
    for r in rows:
        if int(r.get("number", 0)) in RAT:
            assert "recursive oversight" in r["rationaleClasses"], r


# -----------------------------------------------------------------------------
#  derived-claims
# -----------------------------------------------------------------------------

ADAPTED = {
    ("training goal alignment", "outer alignment"),
    ("training goal competitiveness", "performance competitiveness"),
    ("training rationale alignment", "inner alignment"),
    ("training rationale competitiveness", "training competitiveness"),
}


def test_derived_claims_all_carry_a_rationale_and_a_section(run):
    rows = query(run, "derived-claims")
    assert rows
    assert all(r["rationale"].strip() and r["sections"].strip() for r in rows)
    pairs = {(r["subjectLabel"], r["objectLabel"]) for r in rows if r["relationLabel"] == "adapted from"}
    assert pairs == ADAPTED
    stories = {r["subjectLabel"] for r in rows if r["relationLabel"] == "has training story"}
    # The second essay tells Microscope AI's story itself; proposal 1's is built by the project.
    assert P[1] in stories and "Microscope AI" not in stories


def test_derived_claims_match_the_derived_qualifications(run):
    (count,) = sparql(run, """
        SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?sl ?rl ?ol ?why WHERE {
          ?q akg:derived true ; akg:relation ?r ; akg:target ?o ; akg:rationale ?why ;
             akg:inSection ?sec .
          ?s akg:qualifiedRelation ?q ; rdfs:label ?sl . ?r rdfs:label ?rl . ?o rdfs:label ?ol } }""")
    assert len(query(run, "derived-claims")) == int(count["n"])


@pytest.mark.parametrize("relation", ["adapted from", "adaptedFrom", "ADAPTED FROM"])
def test_derived_claims_filtered_by_relation(run, relation):
    # Training stories essay, "Evaluating proposals": the four criteria are "based on"
    # the overview's four; which maps to which is the project's reading.
    rows = query(run, "derived-claims", relation=relation)
    assert {(r["subjectLabel"], r["objectLabel"]) for r in rows} == ADAPTED
    assert {r["relationLabel"] for r in rows} == {"adapted from"}


# -----------------------------------------------------------------------------
#  relies-on-but-not
# -----------------------------------------------------------------------------

def test_human_feedback_without_demonstrations(run):
    # Overview §7 and §8: reward modeling relies "only on human feedback rather than on
    # human demonstrations", like approval-based amplification and unlike imitative.
    got = numbers(query(run, "relies-on-but-not"))
    assert got >= {4, 7, 8}
    assert not got & IMITATIVE
    assert not got & {5, 6}  # Microscope AI and STEM AI use no human training signal


def test_demonstrations_without_feedback(run):
    got = numbers(query(run, "relies-on-but-not", relies="human demonstrations", avoids="human feedback"))
    assert got >= {2, 3}
    assert not got & {4, 7, 8}


def test_relies_on_but_not_agrees_with_depends_on(run):
    def dependents(name):
        r = run("depends-on", name, "--format", "json")
        assert r.code == 0, r
        return {x["label"] for x in r.json["results"] if x["kind"] == "proposal"}

    for relies, avoids in (("human feedback", "human demonstrations"), ("relaxed adversarial training", "HCH")):
        got = {r["label"] for r in query(run, "relies-on-but-not", relies=relies, avoids=avoids)}
        assert got == dependents(relies) - dependents(avoids), (relies, avoids)
    assert query(run, "relies-on-but-not", relies="myopia", avoids="myopia") == []


# -----------------------------------------------------------------------------
#  failure-modes-of-proposal
# -----------------------------------------------------------------------------

def _failures(rows):
    out = {}
    for r in rows:
        out.setdefault((r["judged"], r["criterion"]), set()).add(r["failureMode"])
    return out


def test_failure_modes_of_microscope_ai(run):
    rows = query(run, "failure-modes-of-proposal")
    got = _failures(rows)
    # Overview §5: deceptive optimization in the limit of perfect prediction (outer),
    # a deceptive mesa-optimizer to be avoided (inner).
    assert got[("proposal", "outer alignment")] == {"malign optimization in the limit"}
    assert got[("proposal", "inner alignment")] == {"deceptive alignment"}
    # Case study: self-fulfilling prophecies (goal alignment); optimization creeping in,
    # deception before the tools notice, increasingly alien abstractions (rationale).
    assert got[("training story", "training goal alignment")] == {"self-fulfilling prophecies"}
    assert got[("training story", "training rationale alignment")] >= {
        "unintended mesa-optimization", "deceptive alignment", "increasingly alien abstractions"}
    case_of = {r["failureMode"]: split(r["caseOf"]) for r in rows}
    assert "pseudo-alignment" in case_of["deceptive alignment"]
    assert "mesa-optimization" in case_of["unintended mesa-optimization"]
    order = [(r["judged"] != "proposal", int(r["criterionNumber"])) for r in rows]
    assert order == sorted(order)


def test_failure_modes_of_imitative_amplification_with_oversight(run):
    rows = query(run, "failure-modes-of-proposal", proposal="proposal 2")
    got = _failures(rows)
    # Overview §2 and its footnotes: deception, hidden from the overseer, possibly
    # through gradient hacking.
    assert got[("proposal", "inner alignment")] >= {"deceptive alignment", "obfuscated deception", "gradient hacking"}
    assert {r["judged"] for r in rows} == {"proposal"}


def test_failure_modes_of_approval_based_amplification(run):
    got = _failures(query(run, "failure-modes-of-proposal", proposal="proposal 4"))
    # Overview §4: the model may game the approval signal.
    assert "gaming the approval signal" in got[("proposal", "outer alignment")]


# -----------------------------------------------------------------------------
#  theoretical-limits
# -----------------------------------------------------------------------------

def test_theoretical_limits(run):
    rows = query(run, "theoretical-limits")
    got = {}
    for r in rows:
        got.setdefault(int(r["number"]), set()).add(r["limit"])
    rl = "the dominant behavior of the RL environment"
    # Overview: §1 the environment's dominant behaviour; §2, §3 HCH; §4 the
    # approval-maximization tree ("in general not HCH"); §8 the reward modeling tree;
    # §10 HCH or the RL limit depending on annealing; §11 HCH. §5, §6, §7, §9 name none.
    assert got == {1: {rl}, 2: {"HCH"}, 3: {"HCH"}, 4: {"approval-maximization tree"},
                   8: {"recursive reward modeling tree"}, 10: {"HCH", rl}, 11: {"HCH"}}
    via = {(int(r["number"]), r["limit"]): split(r["via"]) for r in rows}
    assert "imitative amplification" in via[(2, "HCH")]
    assert "approval-based amplification" in via[(4, "approval-maximization tree")]
    assert via[(1, rl)] == {"the proposal"}


# -----------------------------------------------------------------------------
#  concept-hierarchy
# -----------------------------------------------------------------------------

def test_concept_hierarchy(run):
    rows = query(run, "concept-hierarchy")
    pairs = {(r["broader"], r["narrower"]) for r in rows}
    assert pairs >= {
        ("myopia", "per-episode myopia"), ("myopia", "per-step myopia"),
        ("myopic agents", "act-based agents"),  # landscape: "a subset of myopic agents"
        ("automated oversight", "recursive oversight"),  # landscape: "a form of recursive oversight"
        ("inductive bias analysis", "loss landscape analysis"),  # "an extension of inductive bias analysis"
        ("iterated amplification", "imitative amplification"),
        ("iterated amplification", "approval-based amplification"),
        ("reward modeling", "narrow reward modeling"), ("reward modeling", "recursive reward modeling"),
        ("pseudo-alignment", "deceptive alignment"), ("pseudo-alignment", "proxy pseudo-alignment"),
    }
    assert not {(b, a) for a, b in pairs} & pairs  # no two-way edges
    kinds = {r["narrower"]: r.get("kind") for r in rows}
    assert kinds["act-based agents"] == "training goal class"
    assert kinds["per-episode myopia"] == "concept"
    (count,) = sparql(run, "SELECT (COUNT(*) AS ?n) WHERE { ?a skos:broader ?b }")
    assert len(rows) == int(count["n"])


# -----------------------------------------------------------------------------
#  related-proposals
# -----------------------------------------------------------------------------

def _related(rows):
    return {(r["relation"], r["direction"], r["other"]) for r in rows}


def test_relatives_of_imitative_amplification_with_rat(run):
    rows = query(run, "related-proposals")
    # Overview §3 swaps §2's intermittent oversight for RAT; §4 swaps imitation for
    # approval; §10 adds an RL objective to the same imitation.
    assert _related(rows) >= {
        ("variant of", "out", P[2]), ("variant of", "in", P[4]), ("variant of", "in", P[10]),
        ("contrasted with", "in", P[4]),
    }
    assert {r["relation"] for r in rows} <= {"similar to", "contrasted with", "variant of"}
    derived = {(r["direction"], r["other"]): r["derived"] for r in rows if r["relation"] == "variant of"}
    assert derived[("out", P[2])] == "false"


def test_relatives_of_narrow_reward_modeling(run):
    rows = query(run, "related-proposals", proposal="narrow reward modeling + transparency tools")
    # Overview §7: like the mulligan of proposal 1, the optimization checks of Microscope
    # AI and the sandbox of STEM AI, and its oversight resembles RAT; §8: RRM is the
    # recursive version of narrow reward modeling.
    assert _related(rows) >= {
        ("similar to", "out", "Microscope AI"), ("similar to", "out", "STEM AI"),
        ("similar to", "out", P[1]), ("similar to", "out", "relaxed adversarial training"),
        ("variant of", "in", P[8]),
    }
    kinds = {r["other"]: r["kind"] for r in rows}
    assert kinds["relaxed adversarial training"] == "technique" and kinds["STEM AI"] == "proposal"


def test_related_is_read_in_both_directions(run):
    stem = _related(query(run, "related-proposals", proposal="STEM AI"))
    micro = _related(query(run, "related-proposals", proposal="Microscope AI"))
    # Overview §6: STEM AI is "in a similar vein to microscope AI".
    assert ("similar to", "out", "Microscope AI") in stem
    assert ("similar to", "in", "STEM AI") in micro
    assert ("similar to", "in", P[7]) in stem


# -----------------------------------------------------------------------------
#  class-examples
# -----------------------------------------------------------------------------

def test_goal_and_rationale_classes_with_their_examples(run):
    rows = query(run, "class-examples")
    goals = {r["class"]: r for r in rows if r["kind"] == "training goal"}
    rationales = {r["class"]: r for r in rows if r["kind"] == "training rationale"}
    kinds = [r["kind"] for r in rows]
    assert kinds == sorted(kinds)  # goal classes first
    # Training stories essay, "Exploring the landscape": seven goal classes, with
    # act-based agents named as a subset of myopic agents.
    assert set(goals) == {"loss-minimizing models", "fully aligned agents", "corrigible agents",
                          "myopic agents", "act-based agents", "simulators", "narrow agents",
                          "truthful question-answerers"}
    assert set(rationales) >= {"capability limitations", "inductive bias analysis",
                               "transparency and interpretability", "automated oversight",
                               "recursive oversight", "AI cognitive science", "precursor checking",
                               "loss landscape analysis", "game-theoretic/evolutionary analysis"}

    def examples(table, cls):
        return set(table[cls]["examples"].split("; ")) if table[cls].get("examples") else set()

    assert examples(goals, "simulators") == {"imitative amplification", "physics simulator",
                                             "GPT-style language model", "LCDT"}
    assert examples(goals, "narrow agents") == {"STEM AI"}
    assert examples(goals, "corrigible agents") == {"approval-directed agents"}
    assert examples(goals, "act-based agents") == {"approval-directed agents"}
    assert examples(goals, "fully aligned agents") == {"ambitious value learning"}
    assert examples(goals, "myopic agents") >= {"approval-directed agents", "LCDT"}
    assert examples(goals, "truthful question-answerers") >= {"intended model"}
    assert examples(goals, "loss-minimizing models") == set()
    assert examples(rationales, "recursive oversight") == {"relaxed adversarial training"}
    assert examples(rationales, "precursor checking") == {"short horizon length"}
    assert examples(rationales, "AI cognitive science") == {"Causal Analysis of Agent Behavior for AI Safety"}
    assert examples(rationales, "inductive bias analysis") >= {"Training story of a cat classifier", "Training story of Microscope AI"}  # the essay names the two stories
    for table in (goals, rationales):
        for r in table.values():
            listed = r["examples"].split("; ") if r.get("examples") else []
            # SPARQL leaves the order inside GROUP_CONCAT to the engine (pyoxigraph and Virtuoso do not keep a
            # sub-select's ORDER BY), so only the members are checked, and that none is listed twice
            assert len(listed) == len(set(listed)), r

    assert goals["act-based agents"]["broader"] == "myopic agents"
    assert rationales["recursive oversight"]["broader"] == "automated oversight"
    assert rationales["loss landscape analysis"]["broader"] == "inductive bias analysis"
    # Truthful question-answerers are "not an agent at all"; transparency gives feedback
    # during training, inductive bias analysis does not.
    assert goals["truthful question-answerers"]["agent"] == "false"
    assert goals["narrow agents"]["agent"] == "true"
    assert rationales["transparency and interpretability"]["feedbackDuringTraining"] == "true"
    assert rationales["inductive bias analysis"]["feedbackDuringTraining"] == "false"


# -----------------------------------------------------------------------------
#  essay-sections
# -----------------------------------------------------------------------------

def test_sections_of_the_overview_in_order(run):
    rows = query(run, "essay-sections")
    assert [r["heading"] for r in rows] == (
        ["(introduction)"] + [f"{n}. {P[n]}" for n in range(1, 12)] + ["(footnotes)"])
    for r in rows:
        assert int(r["claims"]) == int(r["relations"]) + int(r["evaluations"]) + int(r["entities"]), r
    # every proposal is judged on four criteria in its own section
    assert all(int(r["evaluations"]) >= 4 for r in rows[1:12])


def test_sections_of_the_training_stories_essay(run):
    rows = query(run, "essay-sections", essay="akg:training-stories-essay")
    headings = [r["heading"] for r in rows]
    assert set(headings) == {
        "(introduction)", "What’s a training story?", "Training story components",
        "How mechanistic does a training goal need to be?", "Relationship to inner alignment",
        "Do training stories capture all possible ways of addressing AI safety?",
        "Evaluating proposals for building safe advanced AI", "Case study: Microscope AI",
        "Exploring the landscape of possible training stories", "Training story sensitivity analysis",
        "(footnotes)"}
    assert headings[0] == "(introduction)" and headings[-1] == "(footnotes)"
    # Only the Microscope AI case study evaluates a story, on the four new criteria.
    evaluations = {r["heading"]: int(r["evaluations"]) for r in rows}
    assert evaluations.pop("Case study: Microscope AI") == 4
    # The introduction says Microscope AI and STEM AI were never trying to be outer aligned.
    assert evaluations.pop("(introduction)") == 2
    assert set(evaluations.values()) == {0}
    assert all(int(r["claims"]) >= 1 for r in rows)


# -----------------------------------------------------------------------------
#  story-criteria-origins
# -----------------------------------------------------------------------------

def test_training_story_criteria_and_their_origins(run):
    rows = query(run, "story-criteria-origins")
    assert [int(r["number"]) for r in rows] == [1, 2, 3, 4]
    assert {(r["criterion"], r["adaptedFrom"]) for r in rows} == ADAPTED
    assert all(r["derived"] == "true" and r["rationale"] for r in rows)
    assesses = {r["criterion"]: split(r["assesses"]) for r in rows}
    assert "training goal" in assesses["training goal alignment"]
    assert "training goal" in assesses["training goal competitiveness"]
    assert "training rationale" in assesses["training rationale alignment"]
    assert "training rationale" in assesses["training rationale competitiveness"]


# -----------------------------------------------------------------------------
#  evaluations-naming-failure-mode
# -----------------------------------------------------------------------------

def test_evaluations_warning_of_deception(run):
    rows = query(run, "evaluations-naming-failure-mode")
    proposals = [r for r in rows if "number" in r]
    # Overview: every inner-alignment discussion except STEM AI's (§6, which is about
    # models escaping the sandbox) is about avoiding a deceptive model.
    assert numbers(proposals) == ALL - {6}
    assert {r["criterion"] for r in proposals} == {"inner alignment"}
    stories = [r for r in rows if "number" not in r]
    assert ("Training story of Microscope AI", "training rationale alignment") in {
        (r["evaluated"], r["criterion"]) for r in stories}
    assert rows == proposals + stories  # stories after the proposals


def test_evaluations_warning_of_broader_failure_modes(run):
    pseudo = query(run, "evaluations-naming-failure-mode", failure="pseudo-alignment")
    assert numbers(pseudo) >= numbers(query(run, "evaluations-naming-failure-mode"))
    (p1,) = [r for r in pseudo if r.get("number") == "1"]
    # Overview §1: checks may catch proxy pseudo-alignment but not deceptive.
    assert split(p1["names"]) == {"deceptive alignment", "proxy pseudo-alignment"}
    hidden = query(run, "evaluations-naming-failure-mode", failure="obfuscation")
    # Overview §2 (obfuscated deception) and §3 (overfitting the oversight signal).
    assert numbers(hidden) >= {2, 3}


# -----------------------------------------------------------------------------
#  techniques-by-use
# -----------------------------------------------------------------------------

def test_techniques_by_use(run):
    rows = query(run, "techniques-by-use")
    table = {r["technique"]: r for r in rows}

    def uses(name, direct_only=True):
        nums = split(table[name].get("numbers", ""))
        return {int(n) for n in nums if not (direct_only and n.endswith("*"))}

    counts = [int(r["proposals"]) for r in rows]
    assert counts == sorted(counts, reverse=True)
    assert rows[0]["technique"] == "transparency tools"
    for r in rows:
        assert int(r["proposals"]) == len(split(r.get("numbers", ""))), r
    assert uses("transparency tools") >= {1, 2, 5, 6, 7, 9}
    assert uses("relaxed adversarial training") == RAT
    assert uses("imitative amplification") == IMITATIVE
    assert uses("debate") == {9}
    assert uses("approval-based amplification") == {4}
    # unmarked numbers are exactly the proposals that use the technique themselves
    direct = sparql(run, """SELECT ?t ?n WHERE { ?p a akg:Proposal ; akg:number ?n ; akg:usesTechnique ?x .
                            ?x rdfs:label ?t }""")
    expected = {}
    for d in direct:
        expected.setdefault(d["t"], set()).add(int(d["n"]))
    for name in table:
        assert uses(name) == expected.get(name, set()), name


# -----------------------------------------------------------------------------
#  mitigations
# -----------------------------------------------------------------------------

def test_mitigations(run):
    rows = query(run, "mitigations")
    pairs = {(r["problem"], r["mitigatedBy"]) for r in rows}
    assert pairs >= {
        ("defensibility that varies independently of truth", "cross-examination"),  # Overview §9
        ("malign optimization in the limit", "sandboxing"),  # Overview §6
        ("deceptive alignment", "short horizon length"),  # landscape, precursor checking
        ("increasingly alien abstractions", "automated oversight"),  # landscape
    }
    assert all(r["sections"] for r in rows)
    exposed = {r["problem"]: r.get("exposedProposals", "") for r in rows}
    deceptive = numbers(query(run, "evaluations-naming-failure-mode"))
    assert {int(n) for n in split(exposed["deceptive alignment"])} == deceptive
    assert split(exposed["defensibility that varies independently of truth"]) == {"9"}
