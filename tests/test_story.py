"""`story` and the training-stories framework through the CLI."""

from conftest import assert_clean_error

KEYS = ("goal_specification", "goal_desirability", "rationale_constraints", "rationale_nudges")
PROPOSALS = ["Reinforcement learning + transparency tools", "proposal 2", "proposal 3", "proposal 4", "STEM AI",
             "proposal 7", "proposal 8", "proposal 9", "proposal 10", "proposal 11"]


def test_microscope_ai_story_is_the_essays_with_its_evaluation(run):
    r = run("story", "Microscope AI", "--format", "json")
    assert r.code == 0, r
    doc = r.json
    assert doc["derived"] is False
    assert all(doc[k] for k in KEYS)
    assert [e["criterion"] for e in doc["evaluations"]] == [
        "training goal alignment", "training goal competitiveness",
        "training rationale alignment", "training rationale competitiveness"]
    assert all(e["sections"] and e["summary"] for e in doc["evaluations"])
    problems = {f["label"] for e in doc["evaluations"] for f in e["failure_modes"]}
    assert "self-fulfilling prophecies" in problems
    text = run("story", "Microscope AI").out
    assert "DERIVED" not in text and "Training rationale nudges" in text and "training goal alignment:" in text


def test_every_other_proposal_has_a_derived_story(run):
    for name in PROPOSALS:
        r = run("story", name, "--format", "json")
        assert r.code == 0, (name, r)
        doc = r.json
        assert doc["derived"] is True, name
        assert all(doc[k] for k in KEYS), name
        assert doc["proposal"]["kind"] == "proposal"
        assert "DERIVED" in run("story", name).out


def test_story_of_a_later_proposal_is_a_clear_error(run):
    assert_clean_error(run("story", "market making"), "has no training story")
    assert_clean_error(run("story", "HCH"), "is a concept, not a proposal", "story expects a proposal")


def test_list_training_goals_gives_the_seven_classes(run):
    r = run("list", "training-goals", "--format", "json")
    assert r.code == 0
    rows = r.json["results"]
    labels = {x["label"] for x in rows}
    assert {"loss-minimizing models", "fully aligned agents", "corrigible agents", "myopic agents", "simulators",
            "narrow agents", "truthful question-answerers"} <= labels
    assert all(x["definition"] and x["sources"] for x in rows)


def test_list_training_rationales(run):
    rows = run("list", "training-rationales", "--format", "json").json["results"]
    assert len(rows) >= 8
    assert {"transparency and interpretability", "automated oversight"} <= {x["label"] for x in rows}


def test_depends_on_reaches_through_stories(run):
    r = run("depends-on", "transparency tools", "--format", "json")
    via_story = [x for x in r.json["results"] if any(s["relation"] == "hasTrainingStory" for s in x["path"])]
    assert r.code == 0
    assert all(x["kind"] == "proposal" for x in r.json["results"])
    # the story edges carry their derived flag into the explanation
    for x in via_story:
        assert any(s["derived"] for s in x["path"])
