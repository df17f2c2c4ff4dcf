"""`new story` and `check`: write a training story as a card (or Turtle) and have it reviewed.

Real CLI on the real ontology and real files: the worked example in docs/examples/, a small
card and its hand-written Turtle twin in tests/fixtures/cards/, and variants of them written
to tmp_path.
"""

from __future__ import annotations

import re

from conftest import FIXTURES, ROOT, assert_clean_error

try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib

CARDS = FIXTURES / "cards"
EXAMPLE = ROOT / "docs" / "examples" / "overseen-predictor.toml"
EXAMPLE_REVIEW = ROOT / "docs" / "examples" / "overseen-predictor.review.md"
CRITERIA = ["training goal alignment", "training goal competitiveness",
            "training rationale alignment", "training rationale competitiveness"]


def _variant(tmp_path, source, old, new, name="card.toml"):
    text = source.read_text(encoding="utf-8")
    assert old in text, old
    path = tmp_path / name
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def test_complete_card_passes_with_inherited_risks_and_nearest_proposals(run):
    r = run("check", CARDS / "complete.toml", "--format", "json")
    assert r.code == 0, r
    doc = r.json
    assert doc["complete"] is True and doc["results"] == []
    review = doc["reviews"][0]
    assert review["proposal"]["label"] == "Gradient-guarded imitation (test)"
    assert [c["label"] for c in review["criteria"]] == CRITERIA
    assert [c["verdict"] for c in review["criteria"]] == ["open", "not aimed at", "open", "open"]
    # the example: relaxed adversarial training brings in the consistent-gradient hinge, with its sources
    risks = {r["label"]: r for r in review["inherited_risks"]}
    gradient = risks["the overseer gives a consistent gradient away from deception"]
    assert gradient["kind"] == "assumption" and gradient["addressed"] is True
    assert gradient["techniques"] == ["relaxed adversarial training"]
    attached = {v["proposal"] for v in gradient["via"]}
    assert "Imitative amplification + relaxed adversarial training" in attached
    assert all(v["sections"] for v in gradient["via"])
    # a hinge about a technique the story does not use is not inherited
    assert "debaters use transparency tools effectively" not in risks
    nearest = review["nearest"]
    assert nearest[0]["label"] == "Imitative amplification + relaxed adversarial training"
    assert 0 < nearest[0]["similarity"] <= 1
    assert "imitative amplification" in {e["label"] for e in nearest[0]["not_mentioned"]}
    # sensitivity comes from what-if: both goal criteria hang on the imitation hinge
    sens = {s["label"]: s for s in review["sensitivity"]}
    assert sens["imitation gives a rich enough training signal"]["loses"] == CRITERIA[:2]


def test_complete_card_in_table_and_markdown(run):
    table = run("check", CARDS / "complete.toml")
    assert table.code == 0, table
    assert "Inherited risks (through relaxed adversarial training)" in table.out
    assert "complete: no gaps" in table.out
    md = run("check", CARDS / "complete.toml", "--format", "markdown")
    assert md.code == 0, md
    assert md.out.startswith("## Training-story review: Gradient-guarded imitation (test)")
    for heading in ("### Components", "### Criteria", "### Inherited risks", "### Nearest proposals",
                    "### Sensitivity", "### Gaps"):
        assert heading in md.out


def test_card_missing_a_component_exits_1_naming_the_gap(run, tmp_path):
    card = _variant(tmp_path, CARDS / "complete.toml",
                    'rationale_nudges = "The overseer', 'rationale_nudges = ""\nunused_nudge = "The overseer')
    # an unknown key is bad input (2), so remove it again: only the empty component remains
    text = card.read_text(encoding="utf-8")
    card.write_text(re.sub(r'\nunused_nudge = ".*"', "", text), encoding="utf-8")
    r = run("check", card, "--format", "json")
    assert r.code == 1, r
    gaps = r.json["results"]
    assert [g["item"] for g in gaps] == ["Training rationale nudges"]
    assert "write why training will favour the goal" in gaps[0]["message"]
    table = run("check", card)
    assert table.code == 1 and "GAP Training rationale nudges" in table.out and "1 gap(s)" in table.out


def test_unaddressed_inherited_assumption_is_a_gap(run, tmp_path):
    card = _variant(tmp_path, CARDS / "complete.toml",
                    '"the overseer gives a consistent gradient away from deception", ', "")
    r = run("check", card, "--format", "json")
    assert r.code == 1, r
    (gap,) = r.json["results"]
    assert gap["part"] == "inherited risks"
    assert "the overseer gives a consistent gradient away from deception" in gap["message"]
    assert "relaxed adversarial training" in gap["message"]


def test_missing_criterion_and_verdict_are_gaps(run, tmp_path):
    text = (CARDS / "complete.toml").read_text(encoding="utf-8")
    cut = text.index('[[evaluation]]\ncriterion = "training rationale competitiveness"')
    card = tmp_path / "card.toml"
    card.write_text(text[:cut].replace('verdict = "not aimed at"', 'verdict = ""'), encoding="utf-8")
    r = run("check", card, "--format", "json")
    assert r.code == 1, r
    messages = [g["message"] for g in r.json["results"]]
    assert any("no evaluation on training rationale competitiveness" in m for m in messages)
    assert any("training goal competitiveness gives no verdict" in m for m in messages)


def test_unknown_technique_exits_2_with_closest_matches(run, tmp_path):
    card = _variant(tmp_path, CARDS / "complete.toml", 'name = "relaxed adversarial training"',
                    'name = "relaxed adversarial trainig"')
    r = run("check", card)
    assert_clean_error(r, "unknown technique 'relaxed adversarial trainig'", "did you mean: relaxed adversarial training")
    line = card.read_text(encoding="utf-8").splitlines().index('name = "relaxed adversarial trainig"') + 1
    assert f"{card}:{line}:" in r.err


def test_malformed_card_exits_2_with_the_line(run, tmp_path):
    card = _variant(tmp_path, CARDS / "complete.toml", '[[evaluation]]\ncriterion = "training goal alignment"',
                    '[[evaluation]\ncriterion = "training goal alignment"')
    r = run("check", card)
    line = card.read_text(encoding="utf-8").splitlines().index("[[evaluation]") + 1
    assert_clean_error(r, f"{card}:{line}: TOML syntax error")


def test_unknown_key_and_verdict_name_the_closest(run, tmp_path):
    card = _variant(tmp_path, CARDS / "complete.toml", "goal_class =", "goal_clas =")
    assert_clean_error(run("check", card), "story.goal_clas: unknown key", "did you mean: goal_class")
    card = _variant(tmp_path, CARDS / "complete.toml", 'verdict = "not aimed at"', 'verdict = "not aimd at"')
    assert_clean_error(run("check", card), "unknown verdict 'not aimd at'", "did you mean: not aimed at")


def test_card_and_turtle_twin_give_the_same_review(run):
    card = run("check", CARDS / "complete.toml", "--format", "json")
    twin = run("check", CARDS / "twin.ttl", "--format", "json")
    assert card.code == twin.code == 0, (card, twin)
    assert card.json["reviews"] == twin.json["reviews"]
    assert run("check", CARDS / "complete.toml", "--format", "markdown").out == \
        run("check", CARDS / "twin.ttl", "--format", "markdown").out


def test_new_story_template_parses_and_filled_in_passes(run, tmp_path):
    out = tmp_path / "mine.toml"
    r = run("new", "story", "My proposal", "--output", out)
    assert r.code == 0, r
    text = out.read_text(encoding="utf-8")
    card = tomllib.loads(text)
    assert card["proposal"]["name"] == "My proposal"
    assert [e["criterion"] for e in card["evaluation"]] == CRITERIA
    # the vocabulary comes from the graph, with one-line definitions
    assert "#   simulators — Models that do nothing but simulate some other process." in text
    assert "#   precursor checking — " in text
    assert "#   open — " in text
    # the empty template is valid input with gaps
    empty = run("check", out)
    assert empty.code == 1 and "GAP Training goal specification" in empty.out
    # filled in from the small complete card, it passes
    done = tomllib.loads((CARDS / "complete.toml").read_text(encoding="utf-8"))
    for key in ("summary",):
        text = re.sub(rf'^{key} = ""', f'{key} = "{done["proposal"][key]}"', text, count=1, flags=re.M)
    for key, value in done["story"].items():
        value = f'"{value}"' if isinstance(value, str) else "[" + ", ".join(f'"{v}"' for v in value) + "]"
        text = re.sub(rf'^{key} = (""|\[\])', lambda _: f"{key} = {value}", text, count=1, flags=re.M)
    text = re.sub(r'^title = ""', 'title = "test"', text, count=1, flags=re.M)
    for ev in done["evaluation"]:
        block = (f'criterion = "{ev["criterion"]}"')
        start = text.index(block)
        end = text.find("[[evaluation]]", start)
        end = len(text) if end < 0 else end
        part = text[start:end]
        part = part.replace('verdict = ""', f'verdict = "{ev["verdict"]}"', 1)
        part = part.replace('verdict_rationale = ""', f'verdict_rationale = "{ev["verdict_rationale"]}"', 1)
        part = part.replace('summary = ""', f'summary = "{ev["summary"]}"', 1)
        part = part.replace("hinges_on = []", "hinges_on = [" + ", ".join(f'"{h}"' for h in ev["hinges_on"]) + "]", 1)
        text = text[:start] + part + text[end:]
    text += '\n[[technique]]\nname = "relaxed adversarial training"\nwhy = "test"\n'
    text += '\n[[assumption]]\nname = "the model trained by the scheme helps rather than hinders oversight"\nwhy = "test"\n'
    out.write_text(text, encoding="utf-8")
    filled = run("check", out, "--format", "json")
    assert filled.code == 0, filled.json["results"]


def test_new_story_refuses_to_overwrite_and_non_toml(run, tmp_path):
    out = tmp_path / "mine.toml"
    out.write_text("keep me", encoding="utf-8")
    assert_clean_error(run("new", "story", "X", "--output", out), "already exists")
    assert out.read_text(encoding="utf-8") == "keep me"
    assert_clean_error(run("new", "story", "X", "--output", tmp_path / "mine.txt"), "name the file .toml")
    assert not (tmp_path / "mine.txt").exists()
    assert_clean_error(run("new", "story", "  "), "empty name")


def test_card_works_as_data_for_read_commands(run):
    r = run("story", "Gradient-guarded imitation (test)", "--data", CARDS / "complete.toml", "--format", "json")
    assert r.code == 0, r
    assert r.json["goal_class"][0]["label"] == "simulators"
    r = run("depends-on", "relaxed adversarial training", "--data", CARDS / "complete.toml", "--format", "json")
    assert "Gradient-guarded imitation (test)" in {row["label"] for row in r.json["results"]}
    assert run("validate", CARDS / "complete.toml").code == 0


def test_worked_example_passes_check_and_its_review_is_current(run_process):
    r = run_process("check", EXAMPLE.relative_to(ROOT))
    assert r.code == 0, r
    md = run_process("check", EXAMPLE.relative_to(ROOT), "--format", "markdown")
    assert md.code == 0, md
    assert md.out == EXAMPLE_REVIEW.read_text(encoding="utf-8"), (
        "docs/examples/overseen-predictor.review.md is stale; regenerate it with: alignkg check "
        "docs/examples/overseen-predictor.toml --format markdown > docs/examples/overseen-predictor.review.md")
    assert "NOT A CLAIM OF THE ESSAYS" in EXAMPLE.read_text(encoding="utf-8")


def test_check_csv_gives_the_gap_rows(run, tmp_path):
    card = _variant(tmp_path, CARDS / "complete.toml", 'goal_class = "simulators"', 'goal_class = ""')
    r = run("check", card, "--format", "csv")
    assert r.code == 1, r
    lines = r.out.splitlines()
    assert lines[0] == "iri,label,kind,part,item,message"
    assert len(lines) == 2 and "no training goal class" in lines[1]


def test_render_focus_marks_inherited_risks(run, tmp_path):
    out = tmp_path / "map.html"
    r = run("render", "--focus", "Gradient-guarded imitation (test)", "--data", CARDS / "complete.toml",
            "--output", out)
    assert r.code == 0, r
    html = out.read_text(encoding="utf-8")
    assert "inherited risk the story addresses" in html
    assert "Inherited through relaxed adversarial training" in html
    assert "nearest shipped proposal" in html


def test_validation_names_the_field_and_what_to_write(run, tmp_path):
    card = _variant(tmp_path, CARDS / "complete.toml",
                    'summary = "A test proposal: a model trained to imitate a human, with relaxed adversarial '
                    'training against deception."', 'summary = ""')
    r = run("check", card, "--format", "json")
    assert r.code == 1, r
    messages = [g["message"] for g in r.json["results"] if g["part"] == "validation"]
    assert any("proposal.summary:" in m and "Write one or two sentences saying what the proposal does" in m
               for m in messages), messages
    # in Turtle the field is the property, and a qualification is named by its owner
    twin = _variant(tmp_path, CARDS / "twin.ttl", "akg:rationale \"The overseer's estimate is trained on.\"@en ]",
                    "]", name="twin.ttl")
    r = run("check", twin, "--format", "json")
    assert r.code == 1, r
    (gap,) = r.json["results"]
    assert gap["part"] == "validation"
    assert gap["message"].startswith("Gradient-guarded imitation (test): akg:rationale: A relation needs an akg:rationale")


def test_new_story_turtle_template_parses_and_filled_in_passes(run, tmp_path):
    out = tmp_path / "mine.ttl"
    r = run("new", "story", 'My "Turtle" proposal', "--output", out)
    assert r.code == 0, r
    empty = run("check", out, "--format", "json")
    assert empty.code == 1, empty
    assert "Training goal specification" in {g["item"] for g in empty.json["results"]}
    text = out.read_text(encoding="utf-8")
    assert "#   akg:goal-simulators — Models that do nothing but simulate some other process." in text
    # fill it in: texts, one technique, the classes, and each evaluation's verdict and hinges
    text = text.replace('skos:definition ""@en', 'skos:definition "Filled in for the test."@en')
    text = text.replace('dcterms:title ""@en', 'dcterms:title "test"@en').replace('rdfs:label ""@en', 'rdfs:label "test"@en')
    text = text.replace('akg:heading ""^^xsd:string', 'akg:heading "test"^^xsd:string')
    text = text.replace("        # [ akg:relation akg:usesTechnique", "        [ akg:relation akg:usesTechnique")
    text = text.replace('        #   akg:inSection :section ; akg:derived true ; akg:rationale "why"@en ] ,',
                        '          akg:inSection :section ; akg:derived true ; akg:rationale "why"@en ] ,', 1)
    block = text[text.index("    # akg:qualifiedRelation"):text.index("    # Goal classes:")]
    filled = "\n".join(line.replace("    # ", "    ", 1) for line in block.splitlines()) + "\n"
    filled = filled.replace("akg:goal-...", "akg:goal-simulators").replace("akg:rationale-...", "akg:rationale-recursive-oversight")
    text = text.replace(block, filled)
    text = text.replace('    # akg:verdict akg:... ; akg:verdictRationale "..."@en ;',
                        '    akg:verdict akg:Open ; akg:verdictRationale "The test leaves it open."@en ;')
    text = text.replace("    # akg:hingesOn akg:... ; akg:namesFailureMode akg:... ;",
                        "    akg:hingesOn akg:consistent-gradient-against-deception , "
                        "akg:trained-model-aids-oversight , akg:rat-increases-transparency ;")
    out.write_text(text, encoding="utf-8")
    done = run("check", out, "--format", "json")
    assert done.code == 0, done.json["results"]
    assert done.json["reviews"][0]["goal_class"][0]["label"] == "simulators"
