"""The embedded store and its cache: warm starts, self-healing entries, safety, eviction,
RDFS entailment, and the caps on inputs that grow without bound."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT, assert_clean_error

AKG = "https://w3id.org/alignkg#"
ARGS = ("depends-on", "HCH", "--format", "json")  # reads followed.json and names.sqlite when warm
SHOW = ("show", "HCH", "--format", "json")  # reads graph.json


def cli(cache, *args, env=None, timeout=180, stdin=None):
    """``python cli.py ARGS`` with its own cache directory; (code, stdout, stderr)."""
    full_env = {**os.environ, "ALIGNKG_CACHE_DIR": str(cache), **(env or {})}
    proc = subprocess.run([sys.executable, str(ROOT / "cli.py"), *map(str, args)], cwd=ROOT, env=full_env,
                          capture_output=True, text=True, timeout=timeout, stdin=stdin)
    return proc.returncode, proc.stdout, proc.stderr


def entries(cache: Path) -> list[Path]:
    return sorted(p for p in cache.iterdir() if len(p.name) == 32)


def fresh_answer(tmp_path_factory, name: str, args) -> str:
    """The answer to ``args`` from a fresh cache of its own."""
    code, out, err = cli(tmp_path_factory.mktemp(name), *args)
    assert code == 0 and err == "", err
    return out


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """``depends-on HCH`` from a fresh cache (one entry for the shipped graph)."""
    return fresh_answer(tmp_path_factory, "reference-cache", ARGS)


@pytest.fixture(scope="module")
def show_reference(tmp_path_factory):
    """``show HCH`` from a fresh cache (a command that reads the whole projection, graph.json)."""
    return fresh_answer(tmp_path_factory, "show-cache", SHOW)


def snapshot(entry: Path) -> dict:
    return {str(p.relative_to(entry)): (p.stat().st_ino, p.stat().st_mtime_ns) for p in entry.rglob("*")
            if p.is_file() and p.name != "meta.json"}


def test_warm_start_opens_the_entry_and_rebuilds_nothing(tmp_path, reference):
    """A warm start reads the entry written by the first run: no file of it is rewritten, no build directory made."""
    code, out, _ = cli(tmp_path, *ARGS)
    assert code == 0 and out == reference
    [entry] = entries(tmp_path)
    assert stat.S_IMODE(tmp_path.stat().st_mode) == 0o700 or tmp_path.exists()
    before = snapshot(entry)
    assert {"graph.json", "followed.json", "names.sqlite"} <= set(before) and any(k.startswith("ox/") for k in before)
    code, out, err = cli(tmp_path, *ARGS)
    assert code == 0 and out == reference and err == ""
    assert snapshot(entry) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([entry.name, "digests.json", "recent.json"])  # no build left
    assert not list(tmp_path.rglob("*.pickle"))


def test_cache_directory_is_created_private(tmp_path):
    """A missing cache directory is created 0700."""
    cache = tmp_path / "new" / "cache"
    assert cli(cache, "list", "criteria")[0] == 0
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    assert stat.S_IMODE(entries(cache)[0].stat().st_mode) == 0o700


def _flip(path: Path):
    data = bytearray(path.read_bytes())
    for i in range(len(data) // 3, len(data) // 3 + 8):
        data[i] ^= 0x5A
    path.write_bytes(bytes(data))


def _truncate(path: Path):
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _fifo(path: Path):
    path.unlink()
    os.mkfifo(path)


def _directory(path: Path):
    path.unlink()
    path.mkdir()


def _foreign_meta(path: Path):
    path.write_text(json.dumps({"format": "someone-else", "files": []}))


def _wrong_type(name: str, content: bytes):
    """A file of the entry replaced by valid JSON of the wrong shape, with meta.json updated to match it."""

    def damage(entry: Path):
        import hashlib

        path = entry / name
        path.write_bytes(content)
        meta = json.loads((entry / "meta.json").read_text())
        meta["files"][name] = [path.stat().st_size, hashlib.sha256(path.read_bytes()).hexdigest()]
        (entry / "meta.json").write_text(json.dumps(meta))

    return damage


_wrong_type_graph = _wrong_type("graph.json", b'{"format": "alignkg-graph", "version": 1, "nodes": 5}')


def _unrecorded(name: str):
    """meta.json without the record of ``name``."""

    def damage(entry: Path):
        meta = json.loads((entry / "meta.json").read_text())
        del meta["files"][name]
        (entry / "meta.json").write_text(json.dumps(meta))

    return damage


def _truncate_store(entry: Path):
    biggest = max((p for p in (entry / "ox").iterdir() if p.is_file()), key=lambda p: p.stat().st_size)
    _truncate(biggest)


DAMAGE = {
    "flipped bytes in graph.json": lambda e: _flip(e / "graph.json"),
    "truncated graph.json": lambda e: _truncate(e / "graph.json"),
    "truncated names.sqlite": lambda e: _truncate(e / "names.sqlite"),
    "flipped bytes in meta.json": lambda e: _flip(e / "meta.json"),
    "foreign meta.json": lambda e: _foreign_meta(e / "meta.json"),
    "wrong-type graph.json": _wrong_type_graph,
    "graph.json is a FIFO": lambda e: _fifo(e / "graph.json"),
    "meta.json is a FIFO": lambda e: _fifo(e / "meta.json"),
    "graph.json is a directory": lambda e: _directory(e / "graph.json"),
    "the whole entry is a file": lambda e: (__import__("shutil").rmtree(e), e.write_bytes(b"junk")),
    "a truncated store file": _truncate_store,
    "flipped bytes in followed.json": lambda e: _flip(e / "followed.json"),
    "truncated followed.json": lambda e: _truncate(e / "followed.json"),
    "wrong-type followed.json": _wrong_type("followed.json",
                                            b'{"format": "alignkg-followed", "version": 1, "nodes": 5}\n'),
    "followed.json without its first line": _wrong_type("followed.json", b'{"format": "alignkg-followed"}'),
    "followed.json is a FIFO": lambda e: _fifo(e / "followed.json"),
    "followed.json is a directory": lambda e: _directory(e / "followed.json"),
    "followed.json missing": lambda e: (e / "followed.json").unlink(),
    "followed.json not recorded in meta.json": _unrecorded("followed.json"),
}
#: The damages to the whole projection are seen by a command that reads it (warm depends-on does not).
WHOLE_PROJECTION = {"flipped bytes in graph.json", "truncated graph.json", "wrong-type graph.json",
                    "graph.json is a FIFO", "graph.json is a directory"}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_damaged_entry_is_discarded_and_rebuilt(tmp_path, reference, show_reference, damage):
    """Flipped bytes, truncation, foreign or wrong-type content, a FIFO or a directory in an entry: the answer is right (exit 0, at most one note on stderr), never a hang, and the next run is clean."""
    assert cli(tmp_path, *ARGS)[0] == 0
    [entry] = entries(tmp_path)
    DAMAGE[damage](entry)
    args = SHOW if damage in WHOLE_PROJECTION else ARGS if damage != "a truncated store file" else \
        ("sparql", "SELECT (COUNT(*) AS ?n) WHERE { ?s a akg:Proposal }", "--format", "json")
    code, out, err = cli(tmp_path, *args, timeout=120)
    assert code == 0, err
    expected = {ARGS: reference, SHOW: show_reference}.get(args)
    if expected is not None:
        assert out == expected
    assert len(err.strip().splitlines()) <= 1 and "Traceback" not in err
    if "followed.json" in damage or damage in WHOLE_PROJECTION:
        assert err.startswith("alignkg: note: discarded a damaged cache entry"), "the damage was seen"
    if err:
        assert err.startswith("alignkg: note: discarded a damaged cache entry")
    code, out2, err2 = cli(tmp_path, *args)
    assert code == 0 and out2 == out and err2 == ""


def test_followed_projection_answers_as_the_whole_graph():
    """followed.json holds every node with its light attributes and exactly the edges the reachability
    and shared-assumption algorithms read, each with all its attributes, in the same order; every
    node's dependents, dependencies, route conditions and empty-answer hints come out as from the whole graph."""
    from alignkg import algorithms, answers, hints
    from alignkg.graphio import LIGHT_NODE_KEYS, dump_followed, followed_edge, load_followed
    from alignkg.store import Store

    G = Store().nx
    H = load_followed(dump_followed(G, answers.route_conditions(G)))
    assert list(H) == list(G) and len(H) == len(G)
    for n, data in G.nodes(data=True):
        assert H.nodes[n] == {k: data[k] for k in LIGHT_NODE_KEYS if k in data}
    kept = [(u, v, k) for u, v, k, d in G.edges(keys=True, data=True) if followed_edge(k, d)]
    assert list(H.edges(keys=True)) == kept and 0 < len(kept) < G.number_of_edges()
    for u, v, k in kept:
        assert H.graph["edge_attrs"](u, v, k) == G.edges[u, v, k]
    for n in G:  # (in-edges in the order of the out-edges, as graph.json's loader adds them too)
        assert sorted(H.in_edges(n, keys=True)) == sorted((a, b, k) for a, b, k, d in G.in_edges(n, keys=True, data=True)
                                                          if followed_edge(k, d))
    conditional = 0
    for u, v, k in kept:
        step = {"from": u, "relation": G.edges[u, v, k]["relation"], "to": v}
        assert answers.only_on_routes(H, [step]) == answers.only_on_routes(G, [step])
        conditional += bool(answers.only_on_routes(G, [step]))
    assert conditional, "the shipped graph has dependencies that hold only on some routes"
    for n in G:
        assert algorithms.depends_on(H, n, kinds=None) == algorithms.depends_on(G, n, kinds=None)
        assert algorithms.dependencies(H, n, direct=True) == algorithms.dependencies(G, n, direct=True)
        assert algorithms.resting_on(H, n) == algorithms.resting_on(G, n)
        assert hints.depends_on(H, n, direct=True) == hints.depends_on(G, n, direct=True)
        assert hints.dependencies(H, n, kinds={"technique"}) == hints.dependencies(G, n, kinds={"technique"})
    pairs = list(zip(list(G)[::7], list(G)[3::7]))
    assert all(hints.shared(H, pair) == hints.shared(G, pair) for pair in pairs)


def test_warm_reachability_commands_answer_from_the_followed_projection(tmp_path):
    """Warm, depends-on, dependencies, shared and path read followed.json, not graph.json: a planted
    graph.json (consistent with meta.json) changes what show says, not what they say."""
    commands = [("depends-on", "HCH", "--format", "json"), ("dependencies", "imitative amplification", "--explain"),
                ("shared", "imitative amplification", "microscope AI", "--format", "json"),
                ("path", "imitative amplification", "HCH", "--format", "json")]
    first = [cli(tmp_path, *c) for c in commands]
    assert all(code == 0 for code, _, _ in first)
    _plant(tmp_path, "PLANTED")
    assert json.loads(cli(tmp_path, "show", "akg:hch", "--format", "json")[1])["label"] == "PLANTED"
    assert [cli(tmp_path, *c) for c in commands] == first


def _plant(cache: Path, label: str):
    """Rewrite the entry's graph so that HCH is called ``label``, consistently (meta updated): a planted entry."""
    import hashlib

    [entry] = entries(cache)
    graph = entry / "graph.json"
    graph.write_bytes(graph.read_bytes().replace(b'"label":"HCH"', f'"label":"{label}"'.encode()))
    meta = json.loads((entry / "meta.json").read_text())
    meta["files"]["graph.json"] = [graph.stat().st_size, hashlib.sha256(graph.read_bytes()).hexdigest()]
    (entry / "meta.json").write_text(json.dumps(meta))
    return entry


def test_entry_in_a_directory_others_can_write_is_never_loaded(tmp_path):
    """A cache directory writable by others (or an entry in it): nothing is loaded from it; one note, a right answer."""
    cache = tmp_path / "shared"
    assert cli(cache, "show", "HCH", "--format", "json")[0] == 0
    entry = _plant(cache, "PLANTED")
    code, out, _ = cli(cache, "show", "akg:hch", "--format", "json")
    assert json.loads(out)["label"] == "PLANTED", "the planted entry is consistent: this run proves it is used"
    cache.chmod(0o777)
    code, out, err = cli(cache, "show", "akg:hch", "--format", "json")
    assert code == 0 and json.loads(out)["label"] == "HCH"
    assert "not a private directory" in err and len(err.strip().splitlines()) == 1
    cache.chmod(0o700)
    entry.chmod(0o777)
    code, out, err = cli(cache, "show", "akg:hch", "--format", "json")
    assert code == 0 and json.loads(out)["label"] == "HCH"
    assert "discarded" in err


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give an entry to another user")
def test_entry_owned_by_another_user_is_never_loaded(tmp_path):
    """An entry (or a file in it) owned by another user is not loaded, even when its digests match."""
    assert cli(tmp_path, "show", "HCH", "--format", "json")[0] == 0
    entry = _plant(tmp_path, "PLANTED")
    os.chown(entry / "graph.json", 65534, 65534)
    code, out, err = cli(tmp_path, "show", "akg:hch", "--format", "json")
    assert code == 0 and json.loads(out)["label"] == "HCH", err


def _dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def test_least_recently_used_entries_are_evicted_past_the_cap(tmp_path):
    """With ALIGNKG_CACHE_MAX_MB set, the least recently used entries go first; the one in use stays."""
    files = []
    for name in "abc":
        f = tmp_path / f"{name}.ttl"
        f.write_text(f'<{AKG}{name}> a <{AKG}Concept> .\n')
        files.append(f)
    cache = tmp_path / "cache"
    assert cli(cache, "list", "criteria", "--data", files[0])[0] == 0
    [a] = entries(cache)
    cap = {"ALIGNKG_CACHE_MAX_MB": str(2.5 * _dir_size(a) / (1024 * 1024))}
    assert cli(cache, "list", "criteria", "--data", files[1], env=cap)[0] == 0
    [b] = [e for e in entries(cache) if e != a]
    time.sleep(0.05)
    assert cli(cache, "list", "criteria", "--data", files[0], env=cap)[0] == 0  # a is used again: b is now older
    time.sleep(0.05)
    assert cli(cache, "list", "criteria", "--data", files[2], env=cap)[0] == 0
    [c] = [e for e in entries(cache) if e not in (a, b)]
    assert entries(cache) == sorted([a, c]), "b, the least recently used, was evicted"
    assert cli(cache, "list", "criteria", env={"ALIGNKG_CACHE_MAX_MB": "0"})[0] == 0
    assert len(entries(cache)) == 1, "past the cap everything goes but the entry just used"


def test_store_ox_holds_everything_and_opens_read_only_elsewhere(tmp_path):
    """Store.ox answers SPARQL over shipped data and entailments; Store.ox_path opens read-only in another process."""
    from alignkg.store import Store

    st = Store()
    [row] = st.ox.query("SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE { ?c a <https://w3id.org/alignkg#Criterion> }")
    assert int(row["n"].value) == 8
    code = ("import sys, pyoxigraph as ox; s = ox.Store.read_only(sys.argv[1]); "
            "print(len(list(s.query('SELECT ?p WHERE { ?p <https://w3id.org/alignkg#dependsOn> ?x }'))))")
    proc = subprocess.run([sys.executable, "-c", code, str(st.ox_path)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and int(proc.stdout) > 100, proc.stderr
    assert len(st.rdf) == len(st.ox)


@pytest.mark.parametrize("query, check", [
    ("SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE { ?c a akg:Criterion }", lambda rows: rows == [{"n": "8"}]),
    ("SELECT (COUNT(*) AS ?n) WHERE { ?a akg:dependsOn ?b }", lambda rows: int(rows[0]["n"]) > 100),
    ("ASK { akg:hch a akg:Entity }", None),
])
def test_rdfs_entailments_hold_in_sparql(run, query, check):
    """The schema's sub-class and sub-property closure is in the graph SPARQL sees (issue 12.1)."""
    r = run("sparql", query, "--format", "json")
    assert r.code == 0, r
    if check is None:
        assert r.json["boolean"] is True
    else:
        rows = [{k: v["value"] for k, v in b.items()} for b in r.json["results"]["bindings"]]
        assert check(rows), rows


def test_transitive_dependson_path_agrees_with_depends_on(run):
    """`?p (akg:dependsOn|skos:broader)+ akg:myopia` in SPARQL finds exactly the proposals `depends-on myopia` finds."""
    r = run("sparql", "SELECT DISTINCT ?p WHERE { ?p a akg:Proposal ; (akg:dependsOn|skos:broader)+ akg:myopia }",
            "--format", "json")
    assert r.code == 0, r
    via_sparql = {b["p"]["value"] for b in r.json["results"]["bindings"]}
    cli_answer = run("depends-on", "myopia", "--format", "json")
    assert via_sparql == {x["iri"] for x in cli_answer.json["results"]} and len(via_sparql) >= 3


def test_domain_and_range_are_not_applied(run, tmp_path):
    """A proposal used where the schema expects a technique does not become a technique (rdfs2/3 are off)."""
    f = tmp_path / "odd.ttl"
    f.write_text(f"<{AKG}odd> a <{AKG}Proposal> ; <{AKG}usesTechnique> <{AKG}microscope-ai> .\n")
    r = run("sparql", "ASK { akg:microscope-ai a akg:Technique }", "--format", "json", "--data", f)
    assert r.code == 0 and r.json["boolean"] is False


def test_input_larger_than_the_cap_is_refused_while_reading(tmp_path):
    """A file (or a pipe) past ALIGNKG_MAX_INPUT_MB: exit 2 naming the limit, read no further than the cap."""
    big = tmp_path / "big.nt"
    big.write_bytes(b"<urn:a> <urn:b> <urn:c> .\n" * 100_000)  # 2.6 MB
    code, out, err = cli(tmp_path / "c", "list", "--data", big, env={"ALIGNKG_MAX_INPUT_MB": "1"})
    assert code == 2 and out == "" and "input limit of 1 MiB" in err and "ALIGNKG_MAX_INPUT_MB" in err
    fifo = tmp_path / "endless.nt"
    os.mkfifo(fifo)
    writer = subprocess.Popen(["sh", "-c", f"yes '<urn:a> <urn:b> <urn:c> .' > '{fifo}'"], stderr=subprocess.DEVNULL)
    try:
        code, out, err = cli(tmp_path / "c", "list", "--data", fifo, env={"ALIGNKG_MAX_INPUT_MB": "2"}, timeout=120)
    finally:
        writer.kill()
        writer.wait()
    assert code == 2 and "input limit of 2 MiB" in err, err


def test_too_many_triples_are_refused(tmp_path):
    """More triples than ALIGNKG_MAX_TRIPLES in the user's files: exit 2 naming the limit."""
    f = tmp_path / "many.nt"
    f.write_text("".join(f"<urn:a{i}> <urn:b> <urn:c> .\n" for i in range(50)))
    code, out, err = cli(tmp_path / "c", "list", "--data", f, env={"ALIGNKG_MAX_TRIPLES": "20"})
    assert code == 2 and out == "" and "more than 20 triples" in err and "ALIGNKG_MAX_TRIPLES" in err
    assert len(err.strip().splitlines()) == 1
    code, _, err = cli(tmp_path / "c", "list", "--data", f, env={"ALIGNKG_MAX_TRIPLES": "lots"})
    assert code == 2 and "ALIGNKG_MAX_TRIPLES='lots'" in err


def test_long_broader_chain_paths_share_structure():
    """A 3,000-link skos:broader chain: dependencies() returns in seconds, its paths share one step per edge."""
    import networkx as nx

    from alignkg.algorithms import dependencies

    G = nx.MultiDiGraph()
    G.add_node("p", kind="proposal")
    G.add_edge("p", "c0", key="requires", relation="requires", dependency=True)
    for i in range(3000):
        G.add_edge(f"c{i}", f"c{i + 1}", key="broader", relation="broader", hierarchy=True)
    started = time.monotonic()
    found = dependencies(G, "p")
    assert len(found) == 3001 and len(found[-1]["path"]) == 3001
    assert found[-1]["path"][0] is found[0]["path"][0], "one step object per edge, shared by every path"
    assert time.monotonic() - started < 60


def test_bad_data_still_reports_file_and_line_through_the_fast_parser(run, tmp_path):
    """Errors found by pyoxigraph in a large file (beyond rdflib's retry size) keep file and line."""
    import alignkg.parse as load

    f = tmp_path / "big-bad.nt"
    lines = [f"<urn:a{i}> <urn:b> <urn:c> .\n" for i in range(2000)]
    lines[1500] = "<urn:a> <urn:b> .\n"
    f.write_text("".join(lines))
    old = load.RDFLIB_RETRY_BYTES
    load.RDFLIB_RETRY_BYTES = 10  # as if the file were larger than the retry size
    try:
        assert_clean_error(run("list", "--data", f), f"{f}:1501: N-Triples syntax error")
    finally:
        load.RDFLIB_RETRY_BYTES = old


# ------------------------------------------------------------ gallery queries that need the entailment

def _rows(run, *args):
    r = run("query", *args, "--format", "json")
    assert r.code == 0, r
    return [{k: v["value"] for k, v in b.items()} for b in r.json["results"]["bindings"]]


def test_gallery_criteria_of_both_essays(run):
    """Overview (intro): four criteria, each of the 11 proposals judged on all; training stories essay: four new criteria."""
    rows = _rows(run, "criteria-of-both-essays")
    assert len(rows) == 8
    first = [r for r in rows if r["class"] == "proposal criterion"]
    assert {r["criterion"] for r in first} == {"outer alignment", "inner alignment", "training competitiveness",
                                               "performance competitiveness"}
    assert all(int(r["evaluations"]) == 11 for r in first)
    second = {r["criterion"] for r in rows if r["class"] != "proposal criterion"}
    assert second == {"training goal alignment", "training goal competitiveness", "training rationale alignment",
                      "training rationale competitiveness"}


def test_gallery_dependents_at_any_distance_agrees_with_depends_on(run):
    """The proposals among the dependents at any distance are exactly what `depends-on` answers, for two targets."""
    for target in ("myopia", "HCH"):
        rows = _rows(run, "dependents-at-any-distance", "--param", f"target={target}")
        proposals = {r["label"] for r in rows if r["kind"] == "proposal"}
        expected = {x["label"] for x in run("depends-on", target, "--format", "json").json["results"]}
        assert proposals == expected and proposals, target
        assert {r["kind"] for r in rows} > {"proposal"}, "techniques, stories or assumptions depend on it too"


def test_gallery_entities_by_kind_counts_through_the_subclass_closure(run):
    """Every entity is counted once under its most specific class: 13 proposals (11 + 2 later ones), 8 criteria."""
    counts = {r["kind"]: int(r["entities"]) for r in _rows(run, "entities-by-kind")}
    listed = run("list", "proposals", "--format", "json").json["results"]
    assert counts["proposal"] == len(listed) == 13
    assert counts["proposal criterion"] + counts["training story criterion"] == 8


def test_name_index_answers_from_any_thread():
    """The server resolves names (query parameters) on its request threads: the persisted
    SQLite index must answer there too, not only on the thread that opened it."""
    import threading

    from alignkg.resolve import resolve
    from alignkg.store import Store

    Store().nx  # built (or already) in the cache; a new Store opens it warm, with the SQLite index
    G = Store().nx
    assert type(G.graph["_name_index"]).__name__ == "NameIndex"
    assert resolve(G, "HCH")  # opens the index on this thread
    found, errors = [], []

    def worker():
        try:
            found.append(resolve(G, "myopia"))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and found == [resolve(G, "myopia")] * 4


def _data_file(tmp_path, label="memo one"):
    data = tmp_path / "memo.ttl"
    data.write_text(f"""@prefix akg: <https://w3id.org/alignkg#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
akg:memo-proposal a akg:Proposal ; rdfs:label "{label}" ;
    akg:qualifiedRelation [ akg:relation akg:usesTechnique ; akg:target akg:imitative-amplification ] .
""", encoding="utf-8")
    old = time.time() - 60  # older than the two seconds within which a file is hashed again
    os.utime(data, (old, old))
    return data


def test_warm_start_does_not_read_inputs_whose_signature_is_recorded(tmp_path, monkeypatch):
    """Like git's index: an input hashed once is not read again while its size, times, inode and device stay."""
    from alignkg import store as store_module

    monkeypatch.setenv("ALIGNKG_CACHE_DIR", str(tmp_path / "cache"))
    data = _data_file(tmp_path)
    first = store_module.Store(data=[str(data)])
    recorded = json.loads((tmp_path / "cache" / "digests.json").read_text())
    assert os.path.abspath(data) in recorded
    assert stat.S_IMODE((tmp_path / "cache" / "digests.json").stat().st_mode) == 0o600

    def no_reading(*args, **kwargs):
        raise AssertionError("an unchanged input was read again")

    monkeypatch.setattr(store_module, "file_digest", no_reading)
    assert store_module.Store(data=[str(data)]).key == first.key


def test_an_input_changed_behind_its_recorded_times_is_read_again(tmp_path):
    """Same size, same modification time put back: the change time still moves, so the new contents count."""
    data = _data_file(tmp_path, "memo one")
    code, out, err = cli(tmp_path / "cache", "show", "memo-proposal", "--format", "json", "--data", data)
    assert code == 0 and json.loads(out)["label"] == "memo one", err
    before = data.stat()
    data.write_text(data.read_text(encoding="utf-8").replace("memo one", "memo two"), encoding="utf-8")
    os.utime(data, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert data.stat().st_size == before.st_size and data.stat().st_mtime_ns == before.st_mtime_ns
    code, out, err = cli(tmp_path / "cache", "show", "memo-proposal", "--format", "json", "--data", data)
    assert code == 0 and json.loads(out)["label"] == "memo two", err


def _depends_on_memo(tmp_path, data):
    """``depends-on imitative amplification`` with ``data``, in the cache under ``tmp_path``."""
    return cli(tmp_path / "cache", "depends-on", "imitative amplification", "--format", "json", "--data", data)


def test_a_damaged_digest_record_is_ignored(tmp_path):
    data = _data_file(tmp_path)
    code, reference, _ = _depends_on_memo(tmp_path, data)
    assert code == 0
    record = tmp_path / "cache" / "digests.json"
    for damage in (b"{not json", b"[1, 2]", json.dumps({str(data): [[1], "zz"]}).encode()):
        record.write_bytes(damage)
        assert _depends_on_memo(tmp_path, data) == (0, reference, "")


def test_a_wrong_digest_under_a_matching_signature_heals_on_the_next_run(tmp_path):
    data = _data_file(tmp_path)
    code, reference, _ = _depends_on_memo(tmp_path, data)
    assert code == 0
    record = tmp_path / "cache" / "digests.json"
    known = json.loads(record.read_text())
    known[os.path.abspath(data)][1] = "0" * 64  # as if the file had other contents
    record.write_text(json.dumps(known))
    code, out, err = _depends_on_memo(tmp_path, data)
    assert code == 2 and "changed while it was being read; run again" in err
    assert _depends_on_memo(tmp_path, data) == (0, reference, "")


def test_a_command_without_a_cache_leaves_no_temporary_store(tmp_path):
    """The CLI ends without freeing its heap object by object, but still runs its exit handlers:
    with the cache off, the store built in a temporary directory is removed."""
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    code, out, err = cli("off", *ARGS, env={"TMPDIR": str(scratch)})
    assert code == 0 and '"results"' in out and err == ""
    assert list(scratch.iterdir()) == []


def test_temporary_stores_left_by_killed_processes_are_removed(tmp_path):
    """A process killed with SIGKILL runs no exit handler: the next temporary store removes what such processes
    left (their process id is in the name), and nothing of a live process or of another name."""
    import subprocess
    import sys

    scratch = tmp_path / "tmp"
    scratch.mkdir()
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    left = scratch / f"alignkg-store-{gone.pid}-abc"
    (left / "ox").mkdir(parents=True)
    live = scratch / f"alignkg-store-{os.getpid()}-def"
    live.mkdir()
    other = scratch / f"something-{gone.pid}-ghi"
    other.mkdir()
    code, out, err = cli("off", *ARGS, env={"TMPDIR": str(scratch)})
    assert code == 0 and '"results"' in out and err == ""
    assert sorted(p.name for p in scratch.iterdir()) == sorted([live.name, other.name])
