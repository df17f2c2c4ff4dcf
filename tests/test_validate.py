"""SHACL: the shipped data conforms; each broken rule is reported naming its node."""

from conftest import FIXTURES


def test_shipped_data_conforms(run):
    r = run("validate")
    assert r.code == 0, r
    assert "conforms" in r.err


def test_valid_fixture_conforms(run):
    assert run("validate", FIXTURES / "valid.ttl").code == 0


def test_invalid_fixture_fails_with_messages_naming_nodes(run):
    r = run("validate", FIXTURES / "invalid.ttl", "--format", "json")
    assert r.code == 1
    problems = [(x["label"], x["message"]) for x in r.json["results"]]
    def has(label, fragment):
        return any(label == l and fragment in m for l, m in problems)
    assert has("bare concept", "skos:definition")
    assert has("bare concept", "akg:Section")
    assert has("half proposal", "no evaluation on criterion akg:inner-alignment")
    assert has("half proposal", "has no qualified relation")
    assert has("half proposal --akg:usesTechnique--> transparency tools", "without a source section")
    assert has("half proposal on outer alignment", "derived")
    assert all(m for _, m in problems)


def test_a_derived_story_not_marked_derived_fails(run):
    r = run("validate", FIXTURES / "undeclared_derived_story.ttl", "--format", "json")
    assert r.code == 1
    messages = {(x["label"], x["message"]) for x in r.json["results"]}
    assert any(label == "undeclared story" and "mark it akg:derived true" in m for label, m in messages)
    assert any(label == "undeclared story component" and "mark it akg:derived true" in m for label, m in messages)
