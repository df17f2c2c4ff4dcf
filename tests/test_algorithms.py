"""The reachability algorithms on tiny inline graphs (no rdflib involved)."""

import networkx as nx
import pytest

from alignkg.algorithms import dependencies, depends_on, shared


def dep(G, u, v, rel="requires"):
    G.add_edge(u, v, key=rel, relation=rel, dependency=True, hierarchy=False)


def other(G, u, v, rel="variantOf"):
    G.add_edge(u, v, key=rel, relation=rel, dependency=False, hierarchy=False)


def broader(G, u, v):
    G.add_edge(u, v, key="broader", relation="broader", dependency=False, hierarchy=True)


@pytest.fixture
def G():
    g = nx.MultiDiGraph()
    for n, kind in [("p1", "proposal"), ("p2", "proposal"), ("p3", "proposal"), ("t", "technique"),
                    ("a", "assumption"), ("step", "concept"), ("episode", "concept"), ("myopia", "concept"),
                    ("x", "concept")]:
        g.add_node(n, kind=kind)
    dep(G=g, u="p1", v="t", rel="usesTechnique")
    dep(g, "t", "step")
    broader(g, "step", "myopia")
    broader(g, "episode", "myopia")
    dep(g, "p2", "a", "assumes")
    dep(g, "a", "episode", "concerns")
    other(g, "p3", "p1")          # variant of: never followed
    other(g, "p3", "myopia", "contrastedWith")
    return g


def test_transitive_and_broader(G):
    found = {r["node"]: [s["relation"] for s in r["path"]] for r in depends_on(G, "myopia")}
    assert found == {"p1": ["usesTechnique", "requires", "broader"], "p2": ["assumes", "concerns", "broader"]}


def test_non_dependency_edges_are_never_followed(G):
    assert "p3" not in {r["node"] for r in depends_on(G, "myopia")}
    assert dependencies(G, "p3") == []


def test_narrower_target_does_not_reach_siblings(G):
    assert [r["node"] for r in depends_on(G, "step")] == ["p1"]


def test_direct_is_one_dependency_step_then_broader(G):
    assert depends_on(G, "myopia", direct=True) == []
    assert [r["node"] for r in depends_on(G, "t", direct=True)] == ["p1"]
    dep(G, "p3", "episode")
    assert [r["node"] for r in depends_on(G, "myopia", direct=True)] == ["p3"]


def test_kinds_filter_and_narrower_concepts_are_not_dependents(G):
    # per-step myopia is a kind of myopia, not something that depends on it
    assert {r["node"] for r in depends_on(G, "myopia", kinds=None)} == {"p1", "p2", "t", "a"}


def test_paths_are_shortest_and_consistent(G):
    dep(G, "p1", "myopia", "requires")
    (row,) = [r for r in depends_on(G, "myopia") if r["node"] == "p1"]
    assert len(row["path"]) == 1
    for r in depends_on(G, "myopia"):
        assert r["path"][0]["from"] == r["node"] and r["path"][-1]["to"] == "myopia"
        for a, b in zip(r["path"], r["path"][1:]):
            assert a["to"] == b["from"]


def test_cycles_terminate(G):
    dep(G, "step", "t")
    assert {r["node"] for r in depends_on(G, "myopia")} == {"p1", "p2"}


def test_shared(G):
    dep(G, "p2", "t")
    result = shared(G, ["p1", "p2"])
    assert {r["node"] for r in result} == {"t", "step", "myopia"}
    for r in result:
        assert set(r["paths"]) == {"p1", "p2"}
    assert shared(G, ["p1", "p3"]) == []


def test_dependencies_forward(G):
    assert {r["node"] for r in dependencies(G, "p2")} == {"a", "episode", "myopia"}


def test_critical_counts_agree_with_depends_on_on_chains_and_cycles():
    """critical computes every node's dependents in one pass (bit sets); the counts must be those of
    depends_on, node by node, on a broader chain with a dependency cycle through it (#13: a long chain
    made critical take minutes)."""
    import networkx as nx

    from alignkg.analysis import critical

    G = nx.MultiDiGraph()
    G.add_node("p", kind="proposal")
    G.add_node("q", kind="proposal")
    for i in range(40):
        G.add_node(f"c{i}", kind="assumption")
    for i in range(39):
        G.add_edge(f"c{i}", f"c{i + 1}", key="broader", hierarchy=True)
    G.add_edge("p", "c0", key="assumes", dependency=True)
    G.add_edge("c7", "c3", key="requires", dependency=True)  # a cycle through the chain
    G.add_edge("q", "c20", key="assumes", dependency=True)
    G.add_node("e", kind="evaluation")
    G.add_edge("e", "c10", key="hingesOn")
    for row in critical(G, kinds=("assumption",)):
        n = row["node"]
        assert row["proposals"] == len(depends_on(G, n)), n
        assert row["dependents"] == len(depends_on(G, n, kinds=None)), n
        resting = {n} | {r["node"] for r in depends_on(G, n, kinds={"assumption"})}
        assert row["evaluations"] == int("c10" in resting), n
