"""Content test for "How do we become confident in the safety of a machine learning system?".

Structural rows (examples of a class, hierarchy, classification of a story,
agent or not, feedback during training, what a criterion judges, the Microscope
AI problems) are answered from the graph's edges. Textual rows (glossary,
motivation, ...) check that the term resolves, is defined in the project's words,
and cites the training-stories essay; matching the essay's keywords inside our
own paraphrases would only reward copying.
"""

import pytest
from questions import rows, split

from alignkg import algorithms, answers
from alignkg.errors import NameNotFound
from alignkg.resolve import normalise, resolve
from alignkg.store import Store

TABLE = rows("questions_004.tsv")
STRUCTURAL = {"goal-class-examples", "rationale-class-examples", "broader", "goal-class-of", "is-agent-goal",
              "feedback-during-training", "criterion-component", "microscope-problem"}
STORY_ESSAY = "How do we become confident in the safety of a machine learning system?"


@pytest.fixture(scope="module")
def store():
    return Store()


@pytest.fixture(scope="module")
def G(store):
    return store.nx


def out(G, node, *relations):
    return {v for _, v, k in G.out_edges(node, keys=True) if k in relations}


def broader_closure(G, node):
    seen, todo = set(), [node]
    while todo:
        for v in out(G, todo.pop(), "broader"):
            if v not in seen:
                seen.add(v)
                todo.append(v)
    return seen


def mentioned(G, item, nodes):
    """An expected item is found if it resolves to one of ``nodes`` (or something they
    reach), or, when it names no entity, if their texts mention it."""
    try:
        target = resolve(G, item)
    except NameNotFound:
        texts = " ".join(normalise(G.nodes[n].get("definition") or "") for n in nodes)
        return normalise(item) in texts
    reach = set(nodes)
    for n in nodes:
        reach |= {r["node"] for r in algorithms.dependencies(G, n)} | broader_closure(G, n)
        reach |= out(G, n, "seeAlso")  # the work that describes an example stands for it
        reach |= {u for u, _, k in G.in_edges(n, keys=True) if k == "hasTrainingStory"}  # a story stands for its proposal
    return target in reach


def test_table_is_large_enough_and_cites_sections():
    assert len(TABLE) >= 25
    assert all(r["section"].strip() for r in TABLE)


def test_every_story_has_four_components(G):
    stories = [n for n, d in G.nodes(data=True) if d["kind"] == "training-story"]
    assert len(stories) >= 12  # 11 proposals + the cat classifier
    for s in stories:
        assert {"goalSpecification", "goalDesirability", "rationaleConstraints", "rationaleNudges"} <= {
            k for _, _, k in G.out_edges(s, keys=True)}, s


def test_every_analysed_proposal_has_a_story(G):
    for n, d in G.nodes(data=True):
        if d["kind"] == "proposal" and d.get("analysed"):
            assert out(G, n, "hasTrainingStory"), d["label"]


@pytest.mark.parametrize("row", TABLE, ids=[r["id"] for r in TABLE])
def test_question(row, G):
    kind, arg = row["kind"], row["args"].strip()
    must, must_not = split(row["must_include"]), split(row["must_exclude"])
    if kind not in STRUCTURAL:
        if not arg or kind in ("kind",):
            pytest.skip("row names no term")
        try:
            node = resolve(G, arg)
        except NameNotFound:
            pytest.skip(f"textual row about {arg!r}, which is prose rather than a term")
        data = G.nodes[node]
        assert data.get("definition"), arg
        assert any(s.get("source") == STORY_ESSAY for s in data.get("sections", [])) or kind.startswith("old"), \
            f"{arg} does not cite the training-stories essay"
        return
    if kind in ("goal-class-examples", "rationale-class-examples"):
        cls = resolve(G, arg, kinds={"training-goal", "training-rationale"})
        examples = out(G, cls, "hasExample")
        narrower = {u for u, _, k in G.in_edges(cls, keys=True) if k == "broader"}
        for item in must:
            assert mentioned(G, item, examples | narrower), f"{row['id']}: {item!r} not an example of {arg}"
        for item in must_not:
            assert resolve(G, item) not in examples, f"{row['id']}: {item!r} should not be an example of {arg}"
    elif kind == "broader":
        node = resolve(G, arg)
        up = broader_closure(G, node)
        # an example of a class counts as falling under it
        up |= {u for u, _, k in G.in_edges(node, keys=True) if k == "hasExample"}
        for cls in list(up):
            up |= broader_closure(G, cls)
        for item in must:
            assert resolve(G, item) in up, f"{row['id']}: {arg} is not under {item}"
        for item in must_not:
            assert resolve(G, item) not in up, f"{row['id']}: {arg} should not be under {item}"
    elif kind == "goal-class-of":
        node = resolve(G, arg)
        classes = {u for u, _, k in G.in_edges(node, keys=True) if k == "hasExample"}
        for story in out(G, node, "hasTrainingStory"):
            classes |= out(G, story, "goalClass")
        for tech in out(G, node, "usesTechnique"):
            classes |= {u for u, _, k in G.in_edges(tech, keys=True) if k == "hasExample"}
        for cls in list(classes):
            classes |= broader_closure(G, cls)
        for item in must:
            assert resolve(G, item, kinds={"training-goal"}) in classes, f"{row['id']}: {arg} not in {item}"
        for item in must_not:
            assert resolve(G, item, kinds={"training-goal"}) not in classes, f"{row['id']}: {arg} in {item}"
    elif kind in ("is-agent-goal", "feedback-during-training"):
        node = resolve(G, arg, kinds={"training-goal", "training-rationale"})
        key = "is_agent" if kind == "is-agent-goal" else "feedback"
        assert G.nodes[node].get(key) == (must == ["yes"]), f"{row['id']}: {arg} {key}={G.nodes[node].get(key)}"
    elif kind == "criterion-component":
        criterion = resolve(G, arg, kinds={"criterion"})
        judged = out(G, criterion, "assesses")
        for item in must:
            assert mentioned(G, item, judged), f"{row['id']}: {arg} does not assess {item}"
    elif kind == "microscope-problem":
        story = next(iter(out(G, resolve(G, "Microscope AI"), "hasTrainingStory")))
        (ev,) = [e for e in answers.evaluations_of(G, story) if e["criterion"] == arg]
        nodes = {ev["iri"]} | {h["iri"] for h in ev["hinges_on"]} | {f["iri"] for f in ev["failure_modes"]}
        for item in must:
            assert mentioned(G, item, nodes), f"{row['id']}: {item!r} not raised on {arg}"
