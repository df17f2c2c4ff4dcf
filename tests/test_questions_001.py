"""Content test for "An overview of 11 proposals": the question table, answered by the graph.

Every row's names must resolve (a name researchers type that the graph does not
know is a failure), expected proposals must be in the answer and excluded ones
must not.
"""

import pytest
from questions import G, by_number, rows, split  # noqa: F401  (fixtures)

from alignkg import answers
from alignkg.resolve import resolve

TABLE = rows("questions_001.tsv")
CRITERIA = {"outer-alignment": "outer alignment", "inner-alignment": "inner alignment",
            "training-competitiveness": "training competitiveness",
            "performance-competitiveness": "performance competitiveness"}


def numbers(G, iris):
    return {G.nodes[i]["number"] for i in iris if "number" in G.nodes[i]}


def evaluation(G, proposal, criterion):
    (ev,) = [e for e in answers.evaluations_of(G, proposal) if e["criterion"] == CRITERIA[criterion]]
    return ev


def check_members(found, row, G=None):
    must = set(split(row["must_include"]))
    must_not = set(split(row["must_exclude"]))
    missing, wrong = must - found, must_not & found
    assert not missing and not wrong, f"{row['id']}: missing {sorted(missing)}, should not have {sorted(wrong)} ({row['note']})"


def test_table_is_large_enough_and_cites_sections():
    assert len(TABLE) >= 40
    assert all(r["section"].strip() for r in TABLE)


def test_all_eleven_proposals_are_numbered(by_number):
    assert sorted(by_number) == list(range(1, 12))


@pytest.mark.parametrize("row", TABLE, ids=[r["id"] for r in TABLE])
def test_question(row, G, by_number):
    kind, args = row["kind"], row["args"]
    from alignkg import algorithms

    if kind == "depends-on":
        found = numbers(G, [r["node"] for r in algorithms.depends_on(G, resolve(G, args))])
        check_members({str(n) for n in found}, row)
    elif kind in ("shared", "dependencies"):
        sources = [by_number[int(n)] for n in split(args, "|")]
        if kind == "shared":
            found = {r["node"] for r in algorithms.shared(G, sources)}
        else:
            found = {r["node"] for r in algorithms.dependencies(G, sources[0])}
        must = {resolve(G, n) for n in split(row["must_include"])}
        must_not = {resolve(G, n) for n in split(row["must_exclude"])}
        label = lambda xs: sorted(G.nodes[x]["label"] for x in xs)  # noqa: E731
        assert must <= found and not (must_not & found), \
            f"{row['id']}: missing {label(must - found)}, should not have {label(must_not & found)} ({row['note']})"
    elif kind == "variant-of":
        p = by_number[int(args)]
        found = {v for _, v, k in G.out_edges(p, keys=True) if k == "variantOf"}
        check_members({str(n) for n in numbers(G, found)}, row)
    elif kind == "limit":
        p = by_number[int(args)]
        techniques = {v for _, v, k in G.out_edges(p, keys=True) if k == "usesTechnique"}
        found = {v for u in {p} | techniques for _, v, k in G.out_edges(u, keys=True) if k == "limitsTo"}
        must = {resolve(G, n) for n in split(row["must_include"])}
        assert must <= found, f"{row['id']}: limits are {sorted(G.nodes[x]['label'] for x in found)}"
    elif kind == "verdict":
        number, criterion = split(args, "|")
        ev = evaluation(G, by_number[int(number)], criterion)
        expected = {"likely": "leans positive", "leans-positive": "leans positive", "unlikely": "leans negative",
                    "leans-negative": "leans negative", "open": "open", "conditional": "conditional",
                    "not-aimed-at": "not aimed at"}
        allowed = {expected[v] for v in split(row["must_include"])}
        if split(row["must_include"]) == ["unlikely"]:
            allowed.add("not aimed at")  # "likely not met, and not trying to" is a stronger "unlikely"
        assert ev["verdict"] in allowed, f"{row['id']}: verdict {ev['verdict']} ({row['note']})"
        assert ev["verdict"] not in {expected[v] for v in split(row["must_exclude"])}
    elif kind == "hinge":
        number, criterion = split(args, "|")
        ev = evaluation(G, by_number[int(number)], criterion)
        hinges = {h["iri"] for h in ev["hinges_on"]}
        reach = hinges | {r["node"] for h in hinges for r in algorithms.dependencies(G, h)}
        for name in split(row["must_include"]):
            assert resolve(G, name) in reach, f"{row['id']}: {name!r} not among {sorted(h['label'] for h in ev['hinges_on'])}"
    elif kind == "failure-mode":
        target = resolve(G, args, kinds={"failure-mode"})
        found = {u for u, _, k in G.in_edges(target, keys=True) if k == "vulnerableTo"}
        narrower = {u for u, _, k in G.in_edges(target, keys=True) if k == "broader"}
        found |= {u for n in narrower for u, _, k in G.in_edges(n, keys=True) if k == "vulnerableTo"}
        check_members({str(n) for n in numbers(G, found)}, row)
    elif kind == "not-outer-aligned-by-design":
        found = {n for n, p in by_number.items() if evaluation(G, p, "outer-alignment")["verdict"] == "not aimed at"}
        check_members({str(n) for n in found}, row)
    elif kind == "feedback-not-demonstrations":
        fb = {r["node"] for r in algorithms.depends_on(G, resolve(G, "human feedback"))}
        demo = {r["node"] for r in algorithms.depends_on(G, resolve(G, "human demonstrations"))}
        check_members({str(n) for n in numbers(G, fb - demo)}, row)
    else:
        pytest.fail(f"{row['id']}: unknown kind {kind!r}")
