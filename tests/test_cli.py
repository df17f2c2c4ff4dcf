"""The CLI contract of DESIGN.md on the shipped graph: commands, JSON shapes, exit codes."""

import csv
import io

import pytest
from conftest import assert_clean_error

P2 = "https://w3id.org/alignkg#imitative-amplification-intermittent-oversight"
P3 = "https://w3id.org/alignkg#imitative-amplification-relaxed-adversarial-training"
HCH = "https://w3id.org/alignkg#hch"


def test_depends_on_hch_lists_both_slice_proposals_in_contract_shape(run):
    r = run("depends-on", "HCH", "--format", "json")
    assert r.code == 0, r
    doc = r.json
    assert doc["target"] == {"iri": HCH, "label": "HCH", "kind": "concept"}
    iris = {row["iri"] for row in doc["results"]}
    assert {P2, P3} <= iris
    for row in doc["results"]:
        assert {"iri", "label", "kind"} <= set(row)
        assert row["kind"] == "proposal"
        assert row["path"][-1]["to"] == HCH
        assert all(step["sections"] for step in row["path"]), "every step cites a section"


@pytest.mark.parametrize("name", ["hch", "Humans Consulting HCH", "akg:hch", HCH, "  hch  "])
def test_names_resolve_by_label_alt_label_prefixed_name_and_iri(run, name):
    r = run("depends-on", name, "--format", "json")
    assert r.code == 0, r
    assert r.json["target"]["iri"] == HCH


def test_depends_on_follows_broader_concepts_and_explains_with_sections(run):
    r = run("depends-on", "myopia", "--explain")
    assert r.code == 0, r
    assert "Imitative amplification + intermittent oversight" in r.out
    assert "source: Overview of 11 proposals" in r.out
    assert "--requires--> myopia" in r.out


def test_direct_restricts_to_one_dependency_step(run):
    everything = {x["iri"] for x in run("depends-on", "myopia", "--format", "json").json["results"]}
    direct = run("depends-on", "myopia", "--direct", "--format", "json").json
    assert direct["direct"] is True
    assert {x["iri"] for x in direct["results"]} <= everything
    assert all(sum(1 for s in x["path"] if s["relation"] != "broader") == 1 for x in direct["results"])


def test_unknown_name_exits_2_with_suggestion(run):
    r = run("depends-on", "myopya")
    assert_clean_error(r, "unknown name 'myopya'", "did you mean", "myopia")


def test_unknown_name_as_subprocess(run_process):
    r = run_process("depends-on", "no such thing")
    assert_clean_error(r, "unknown name")


def test_subprocess_json_run(run_process):
    r = run_process("list", "proposals", "--format", "json")
    assert r.code == 0, r
    assert {P2, P3} <= {x["iri"] for x in r.json["results"]}


def test_list_kind_and_unknown_kind(run):
    r = run("list", "techniques", "--format", "json")
    assert r.code == 0
    assert {x["kind"] for x in r.json["results"]} == {"technique"}
    assert "relaxed adversarial training" in {x["label"] for x in r.json["results"]}
    assert_clean_error(run("list", "technques"), "unknown kind", "techniques")


def test_show_proposal_gives_four_evaluations_with_hinges_and_sources(run):
    r = run("show", "Imitative amplification + relaxed adversarial training", "--format", "json")
    assert r.code == 0, r
    doc = r.json
    assert doc["kind"] == "proposal"
    assert [e["criterion"] for e in doc["evaluations"]] == [
        "outer alignment", "inner alignment", "training competitiveness", "performance competitiveness"]
    assert all(e["hinges_on"] and e["sections"] for e in doc["evaluations"])
    assert any(row["relation"] == "usesTechnique" and row["label"] == "relaxed adversarial training"
               for row in doc["results"])
    table = run("show", "proposal 3").out
    assert "inner alignment: open" in table and "hinges on:" in table


def test_dependencies_and_shared(run):
    deps = run("dependencies", "proposal 2", "--format", "json")
    assert deps.code == 0
    labels = {x["label"] for x in deps.json["results"]}
    assert {"HCH", "imitative amplification", "intermittent oversight", "transparency tools"} <= labels
    assert "relaxed adversarial training" not in labels
    sh = run("shared", "proposal 2", "proposal 3", "--format", "json")
    assert sh.code == 0
    assert [p["iri"] for p in sh.json["proposals"]] == [P2, P3]
    shared_labels = {x["label"] for x in sh.json["results"]}
    assert {"HCH", "imitative amplification"} <= shared_labels
    assert "intermittent oversight" not in shared_labels
    for row in sh.json["results"]:
        assert set(row["paths"]) == {P2, P3}


def test_shared_needs_two_names(run):
    assert_clean_error(run("shared", "proposal 2"), "at least two")


def test_csv_output_is_parseable_and_starts_with_ids(run):
    r = run("depends-on", "HCH", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(r.out)))
    assert {P2, P3} <= {row["iri"] for row in rows}
    assert list(rows[0])[:3] == ["iri", "label", "kind"]


def test_bad_option_is_one_line_exit_2(run):
    assert_clean_error(run("depends-on", "HCH", "--format", "yaml"), "--format")
    assert_clean_error(run("frobnicate"), "No such command")


def test_empty_answer_exits_0(run):
    r = run("depends-on", "akg:s001-p2", "--format", "json")
    assert r.code == 0 and r.json["results"] == []


def test_ambiguous_name_lists_candidates(run, tmp_path):
    extra = tmp_path / "twin.ttl"
    extra.write_text('@prefix akg: <https://w3id.org/alignkg#> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n'
                     'akg:twin-a a akg:Concept ; rdfs:label "twin"@en .\nakg:twin-b a akg:Concept ; rdfs:label "Twin"@en .\n')
    assert_clean_error(run("show", "twin", "--data", extra), "ambiguous name 'twin'", "akg:twin-a", "akg:twin-b")


def test_version_and_help(run):
    assert run("--version").code == 0
    r = run("--help")
    assert r.code == 0 and "depends-on" in r.out


@pytest.mark.parametrize("args", [("depends-on", "myopia"), ("shared", "imitative amplification", "microscope AI"),
                                  ("dependencies", "imitative amplification", "--direct")])
def test_json_answers_are_indented_json_byte_for_byte(run, args):
    """--format json is json.dumps(answer, ensure_ascii=False, indent=2) exactly, though the encoder writes
    each step and section record that many rows share only once."""
    import json

    r = run(*args, "--format", "json")
    assert r.code == 0, r
    doc = json.loads(r.out)
    assert r.out == json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
    steps = [step for row in doc["results"] for path in (row.get("paths") or {"": row.get("path", [])}).values()
             for step in path]
    cited = [json.dumps(s, sort_keys=True) for step in steps for s in step["sections"]]
    assert len(cited) > len(set(cited)), "the answer repeats shared section records"
