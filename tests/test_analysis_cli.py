"""what-if, critical, compare, path and the compare / what-if maps, on the shipped graph."""

import re

from conftest import assert_clean_error, chromium_dom

from alignkg.render import map_data
from alignkg.resolve import resolve
from alignkg.store import Store

P1, P2, P7 = ("https://w3id.org/alignkg#" + x for x in
              ("rl-transparency-tools", "imitative-amplification-intermittent-oversight",
               "narrow-reward-modeling-transparency-tools"))


def test_what_if_transparency_cannot_catch_deception(run):
    r = run("what-if", "transparency tools can detect deceptive models", "--format", "json")
    assert r.code == 0, r
    rows = {x["iri"]: x for x in r.json["results"]}
    assert {P1, P2, P7} <= set(rows)
    for iri in (P1, P7):
        assert "inner alignment" in rows[iri]["criteria"]
    # Overview §2: proposal 2 may verify myopia instead of catching deception directly,
    # so its inner alignment is weakened (one route left), not lost
    assert "inner alignment" not in rows[P2]["criteria"]
    (weak,) = rows[P2]["weakened"]
    assert weak["criterion"] == "inner alignment" and [r["name"] for r in weak["remaining_routes"]] == [
        "verifying myopia instead"]
    for iri in (P1, P2, P7):
        path = next(iter(rows[iri]["paths"].values()))
        assert path[0]["from"] == iri and all(step["sections"] for step in path)
    assert rows[P1]["caught_before_deployment"] is True  # the essay's "mulligan"
    assert rows[P2]["caught_before_deployment"] is False


def test_what_if_several_and_structural(run):
    r = run("what-if", "HCH", "relaxed adversarial training", "--format", "json")
    assert r.code == 0
    assert [f["label"] for f in r.json["failing"]] == ["HCH", "relaxed adversarial training"]
    losses = [x["criteria_lost"] for x in r.json["results"]]
    assert losses == sorted(losses, reverse=True), "most exposed first"
    assert "--explain" and "source:" in run("what-if", "HCH", "--explain").out


def test_critical_ranks_by_proposals_then_evaluations(run):
    r = run("critical", "--top", "5", "--format", "json")
    rows = r.json["results"]
    assert len(rows) == 5 and {x["kind"] for x in rows} <= {"assumption", "concept"}
    keys = [(x["proposals"], x["evaluations"], x["dependents"], x["centrality"]) for x in rows]
    assert keys == sorted(keys, reverse=True)
    assert rows[0]["label"] == "myopia"
    assert "measure" in run("critical", "--help").out


def test_compare_by_criteria_markdown_is_the_11_by_4_matrix_with_citations(run):
    r = run("compare", "--by", "criteria", "--format", "markdown")
    assert r.code == 0
    lines = [line for line in r.out.splitlines() if line.startswith("|")]
    assert lines[0] == "| proposal | outer alignment | inner alignment | training competitiveness | performance competitiveness |"
    body = lines[2:]
    assert len(body) == 11
    for line in body:
        cells = [c.strip() for c in line.strip("|").split(" | ")][1:]
        assert len(cells) == 4 and all(re.search(r"\(.*§\d+.*\)", c) for c in cells), line
    assert ("not aimed at (§5, Training stories essay: introduction)" in r.out
            and "not aimed at (§6, Training stories essay: introduction)" in r.out)


def test_compare_components_json_has_jaccard_and_clustered_rows(run):
    r = run("compare", "proposal 2", "proposal 3", "STEM AI", "--format", "json")
    doc = r.json
    assert doc["by"] == "components"
    pairs = {(s["a"]["label"], s["b"]["label"]): s["jaccard"] for s in doc["similarity"]}
    sim = {frozenset(k): v for k, v in pairs.items()}
    p2, p3 = "Imitative amplification + intermittent oversight", "Imitative amplification + relaxed adversarial training"
    assert sim[frozenset({p2, p3})] > sim[frozenset({p2, "STEM AI"})]
    labels = [x["label"] for x in doc["results"]]
    assert abs(labels.index(p2) - labels.index(p3)) == 1, "similar proposals sit together"
    for row in doc["results"]:
        assert all(cell["sections"] for cell in row["cells"].values())


def test_compare_assumptions_and_story(run):
    assert run("compare", "--by", "assumptions", "--format", "csv").code == 0
    r = run("compare", "--by", "story", "--format", "json")
    assert any("simulators" in c["label"] for c in r.json["columns"])
    assert_clean_error(run("compare", "proposal 2"), "at least two")


def test_path_gives_each_step_with_source(run):
    r = run("path", "proposal 3", "myopia", "--format", "json")
    assert r.code == 0 and r.json["found"] == "dependency"
    assert r.json["results"][-1]["label"] == "myopia"
    assert all(step["sections"] for step in r.json["results"])
    r = run("path", "STEM AI", "HCH", "--format", "json")
    assert r.json["found"] in ("directed", "undirected") and r.json["results"]


def test_compare_and_what_if_map_data():
    G = Store().nx
    a, b = resolve(G, "proposal 2"), resolve(G, "proposal 3")
    data = map_data(G, compare=(a, b))
    groups = {n["id"]: n.get("group") for n in data["nodes"]}
    assert groups[resolve(G, "HCH")] == "shared"
    assert groups[resolve(G, "intermittent oversight")] == "a"
    assert groups[resolve(G, "relaxed adversarial training")] == "b"
    data = map_data(G, what_if=[resolve(G, "HCH")])
    lost = {n["id"] for n in data["nodes"] if n.get("group") == "lost"}
    assert a in lost and resolve(G, "STEM AI") not in lost


def test_only_one_map_mode(run):
    assert_clean_error(run("render", "--focus", "HCH", "--what-if", "myopia"), "only one of")


def test_compare_and_what_if_maps_draw_in_chromium(run, tmp_path, chromium):
    for args in (["--compare", "proposal 2", "proposal 9"], ["--what-if", "transparency tools can detect deception"]):
        out = tmp_path / "m.html"
        assert run("render", *args, "--output", out, "--force").code == 0
        dom = chromium_dom(chromium, out)
        assert 'data-ready="1"' in dom and re.search(r'data-painted="[1-9]\d{2,}"', dom), args
        assert "legend-item" in dom
