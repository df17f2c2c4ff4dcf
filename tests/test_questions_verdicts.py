"""The essays' judgements: verdicts, "same as" relations, routes and what-if over routes.

The table (tests/data/questions_verdicts.tsv) was written from the two essays
before the data was changed: one row per evaluation with the lean the essay
commits to and the phrase that decides it (in the project's words), the
"same as" relations, the alternative routes, and what-if questions whose answer
depends on routes (a criterion is lost when every route fails, weakened when
one fails and another remains). Proposal numbers are the first essay's; "story"
is the second essay's training story for Microscope AI.
"""

import pytest
from questions import G, by_number, rows, split  # noqa: F401  (fixtures)

from alignkg import analysis, answers
from alignkg.resolve import resolve

TABLE = rows("questions_verdicts.tsv")
LEVELS = {"leans-positive": "leans positive", "open": "open", "conditional": "conditional",
          "leans-negative": "leans negative", "not-aimed-at": "not aimed at"}


def evaluation_node(G, by_number, spec):
    """'N|criterion-key' or 'story|criterion label' -> the evaluation's node key."""
    who, criterion = split(spec, "|")
    if who == "story":
        target = next(v for _, v, k in G.out_edges(resolve(G, "Microscope AI"), keys=True) if k == "hasTrainingStory")
    else:
        target = by_number[int(who)]
    criterion = resolve(G, criterion.replace("-", " "), kinds={"criterion"})
    (ev,) = [e for e, c in analysis._evaluations(G, target) if c == criterion]
    return ev


def test_table_covers_every_evaluation(G):
    evaluations = [n for n, d in G.nodes(data=True) if d["kind"] == "evaluation"]
    verdict_rows = [r for r in TABLE if r["kind"] == "verdict"]
    assert len(verdict_rows) == len(evaluations) == 48
    assert all(r["section"].strip() and r["note"].strip() for r in TABLE)


@pytest.mark.parametrize("row", TABLE, ids=[f"{r['id']}-{r['kind']}" for r in TABLE])
def test_question(row, G, by_number):
    kind, args = row["kind"], row["args"]
    must, must_not = split(row["must_include"]), split(row["must_exclude"])
    if kind == "verdict":
        data = G.nodes[evaluation_node(G, by_number, args)]
        assert data.get("verdict") in {LEVELS[v] for v in must}, f"{row['id']}: {data.get('verdict')} ({row['note']})"
        assert data.get("verdict") not in {LEVELS[v] for v in must_not}
        assert data.get("verdict_rationale"), f"{row['id']}: verdict without rationale"
        assert data.get("sections"), f"{row['id']}: verdict without section"
    elif kind == "same-as":
        ev, other = evaluation_node(G, by_number, args), evaluation_node(G, by_number, must[0])
        same = set(analysis.same_judgement(G, ev))
        assert other in same, f"{row['id']}: {args} is not recorded as the same as {must[0]}"
        assert G.nodes[ev]["verdict"] == G.nodes[other]["verdict"], f"{row['id']}: the verdict does not follow"
    elif kind in ("routes", "preferred-route"):
        ev = evaluation_node(G, by_number, args)
        routes = analysis.routes(G, ev)
        assert len(routes) >= (len(must) if kind == "routes" else 2), f"{row['id']}: {len(routes)} route(s)"
        for spec in must:
            wanted = {resolve(G, n) for n in spec.split("+")}
            matching = [r for r in routes if wanted <= set(r["hinges"])]
            assert matching, f"{row['id']}: no route holds all of {spec}"
            if kind == "preferred-route":
                assert any(G.nodes[r["node"]].get("preferred") for r in matching), f"{row['id']}: not preferred"
        for spec in must_not:
            wanted = {resolve(G, n) for n in spec.split("+")}
            assert not any(G.nodes[r["node"]].get("preferred") for r in routes if wanted <= set(r["hinges"]))
    elif kind == "what-if":
        found = analysis.what_if(G, [resolve(G, n) for n in split(args, "|")])
        outcome = {}
        for item in found:
            n = G.nodes[item["node"]].get("number")
            for c in item["criteria"]:
                outcome[(n, c)] = "lost"
            for w in item["weakened"]:
                outcome[(n, w["criterion"])] = "weakened"

        def key(spec):
            n, criterion, how = spec.split(":")
            return (int(n), resolve(G, criterion.replace("-", " "), kinds={"criterion"})), how

        for spec in must:
            k, how = key(spec)
            assert outcome.get(k) == how, f"{row['id']}: {spec} but found {outcome.get(k)} ({row['note']})"
        for spec in must_not:
            k, how = key(spec)
            assert outcome.get(k) != how, f"{row['id']}: should not be {spec} ({row['note']})"
    elif kind == "conditional-dependency":
        number, name = split(args, "|")
        target = resolve(G, name)
        result = answers.depends_on(G, name)
        (hit,) = [r for r in result.rows if r["iri"] == by_number[int(number)]]
        conditional = bool(hit.get("only_on_routes"))
        assert conditional == (must == ["conditional"]), f"{row['id']}: {hit.get('only_on_routes')} ({row['note']})"
        assert target == result.meta["target"]["iri"]
    elif kind == "hinge":
        ev = evaluation_node(G, by_number, args)
        hinges = {v for _, v, k in G.out_edges(ev, keys=True) if k == "hingesOn"}
        for name in must:
            assert resolve(G, name) in hinges, f"{row['id']}: {name!r} is not a hinge ({row['note']})"
    elif kind == "misfit":
        criterion = resolve(G, args, kinds={"criterion"})
        misfits = {G.nodes[v].get("number") for _, v, k in G.out_edges(criterion, keys=True) if k == "fitsPoorly"}
        assert {int(n) for n in must} <= misfits and not ({int(n) for n in must_not} & misfits), misfits
        for _, v, k, d in G.out_edges(criterion, keys=True, data=True):
            if k == "fitsPoorly":
                assert any(s["source"].startswith("How do we become confident") for s in d["sections"]), d
    elif kind == "mitigates":
        node = resolve(G, args)
        targets = {v for _, v, k in G.out_edges(node, keys=True) if k == "mitigates"}
        for name in must:
            assert resolve(G, name) in targets, f"{row['id']}: {args} does not mitigate {name}"
    elif kind == "defined":
        data = G.nodes[resolve(G, args)]
        assert data.get("definition")
        assert any(s["heading"] in must for s in data["sections"]), data["sections"]
    elif kind == "depends-on":
        from alignkg import algorithms

        found = {str(G.nodes[r["node"]].get("number")) for r in algorithms.depends_on(G, resolve(G, args))}
        assert set(must) <= found and not (set(must_not) & found), f"{row['id']}: {sorted(found)}"
    elif kind == "not-dependency":
        from alignkg import algorithms

        number, name = split(args, "|")
        found = {r["node"] for r in algorithms.dependencies(G, by_number[int(number)])}
        assert resolve(G, name) not in found, f"{row['id']}: {row['note']}"
    else:
        pytest.fail(f"{row['id']}: unknown kind {kind!r}")


def test_what_if_stem_ai_mesa_optimization_routes_through_the_cli(run):
    """Overview §6: two inner alignment options; losing one weakens, losing both loses."""
    stem = "https://w3id.org/alignkg#stem-ai"
    one = run("what-if", "mesa-optimization can be prevented", "--format", "json")
    assert one.code == 0, one
    (row,) = [r for r in one.json["results"] if r["iri"] == stem]
    assert "inner alignment" not in row["criteria"]
    (weak,) = [w for w in row["weakened"] if w["criterion"] == "inner alignment"]
    assert weak["failed_routes"] and weak["remaining_routes"]
    assert any("myopic" in r["label"] for r in weak["remaining_routes"])
    both = run("what-if", "mesa-optimization can be prevented", "mesa-optimization can be kept fully myopic",
               "--format", "json")
    (row,) = [r for r in both.json["results"] if r["iri"] == stem]
    assert "inner alignment" in row["criteria"]
    assert "inner alignment" not in {w["criterion"] for w in row["weakened"]}
    table = run("what-if", "mesa-optimization can be prevented")
    assert "weakened" in table.out and "STEM AI" in table.out


def test_compare_by_criteria_cells_carry_the_verdict_word(run):
    r = run("compare", "--by", "criteria", "--format", "json")
    assert r.code == 0, r
    values = set()
    for row in r.json["results"]:
        for cell in row["cells"].values():
            values.add(cell["value"])
            assert cell["value"] in LEVELS.values(), cell
            assert cell["rationale"] and cell["sections"], cell
    assert len(values) >= 3, values


def test_shacl_rejects_a_verdict_without_rationale(run, tmp_path):
    bad = tmp_path / "bad.ttl"
    bad.write_text("""@prefix akg: <https://w3id.org/alignkg#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
akg:bad-evaluation a akg:Evaluation ; rdfs:label "a bare verdict"@en ;
    skos:definition "An evaluation that gives a lean and no reason for it."@en ;
    akg:evaluates akg:stem-ai ; akg:onCriterion akg:training-goal-alignment ;
    akg:verdict akg:LeansPositive ; akg:inSection akg:s001-p6 ; akg:derived true .
""", encoding="utf-8")
    r = run("validate", str(bad))
    assert r.code == 1, r
    assert "verdictRationale" in r.out or "rationale" in r.out


def test_shacl_rejects_a_route_hinge_the_evaluation_lacks(run, tmp_path):
    bad = tmp_path / "route.ttl"
    bad.write_text("""@prefix akg: <https://w3id.org/alignkg#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
akg:p6-training-competitiveness akg:hasRoute akg:bad-route .
akg:bad-route a akg:Route ; rdfs:label "a stray route"@en ;
    skos:definition "A route whose hinge the evaluation does not hinge on."@en ;
    akg:routeHinge akg:hch-is-aligned ; akg:inSection akg:s001-p6 ; akg:derived true ;
    akg:rationale "Only here to be rejected."@en .
""", encoding="utf-8")
    r = run("validate", str(bad))
    assert r.code == 1, r
    assert "route" in r.out.lower()


def test_depends_on_explain_says_when_a_dependency_holds_only_on_one_route(run):
    """Overview §10: HCH is proposal 10's limit only when the losses are annealed toward imitation."""
    r = run("depends-on", "the dominant behavior of the RL environment", "--explain")
    assert r.code == 0, r
    block = r.out[r.out.index("Amplification with auxiliary RL objective"):]
    assert "holds only on route(s): annealing toward the RL loss (outer alignment)" in block
    j = run("depends-on", "HCH", "--format", "json").json
    rows = {x["label"]: x for x in j["results"]}
    assert [x["name"] for x in rows["Amplification with auxiliary RL objective + relaxed adversarial training"][
        "only_on_routes"]] == ["annealing toward imitation", "annealing toward imitation"]
    assert rows["Imitative amplification + intermittent oversight"]["only_on_routes"] == []


def test_shacl_rejects_a_verdict_that_does_not_follow_its_same_as(run, tmp_path):
    bad = tmp_path / "same.ttl"
    bad.write_text("""@prefix akg: <https://w3id.org/alignkg#> .
akg:p9-outer-alignment akg:sameJudgementAs akg:p2-outer-alignment .
""", encoding="utf-8")
    r = run("validate", str(bad))
    assert r.code == 1, r
    assert "comes out the same as" in r.out
