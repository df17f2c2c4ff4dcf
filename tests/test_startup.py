"""A warm start's fixed costs: entry files trusted by their recorded signature (and still checked
when they change), names.sqlite opened in place, the query's process started early and never
left behind, the followed projection's raw columns."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT

ENTRY_FILES = ("graph.json", "followed.json", "names.sqlite")
DEPENDS = ("depends-on", "HCH", "--format", "json")  # reads followed.json and names.sqlite
SHOW = ("show", "HCH", "--format", "json")  # reads graph.json and names.sqlite


def cli(cache, *args):
    """``python cli.py ARGS`` with its own cache directory; (code, stdout, stderr)."""
    proc = subprocess.run([sys.executable, str(ROOT / "cli.py"), *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, timeout=180, env={**os.environ, "ALIGNKG_CACHE_DIR": str(cache)})
    return proc.returncode, proc.stdout, proc.stderr


def entry_of(cache: Path) -> Path:
    [entry] = [p for p in cache.iterdir() if len(p.name) == 32]
    return entry


def aged(entry: Path) -> None:
    """Date the entry's files a minute back, so that the next warm start records their signatures
    (a file written less than two seconds before it is hashed is not recorded)."""
    old = time.time() - 60
    for name in ENTRY_FILES:
        os.utime(entry / name, (old, old))


@pytest.fixture
def trusted(tmp_path):
    """A cache whose entry's files are recorded in digests.json; (cache, entry, depends-on answer, show answer)."""
    cache = tmp_path / "cache"
    code, depends, err = cli(cache, *DEPENDS)
    assert code == 0, err
    entry = entry_of(cache)
    aged(entry)
    code, show, err = cli(cache, *SHOW)  # hashes graph.json and names.sqlite once more and records them
    assert code == 0 and err == "", err
    assert cli(cache, *DEPENDS) == (0, depends, "")  # and followed.json
    recorded = json.loads((cache / "digests.json").read_text())
    assert {str(entry / name) for name in ENTRY_FILES} <= set(recorded)
    return cache, entry, depends, show


def test_a_warm_start_neither_hashes_nor_copies_entry_files_it_has_recorded(trusted, monkeypatch):
    """The recorded files are read without hashing (the projection) or not read at all (names.sqlite,
    opened where it lies), and give the same answers."""
    import hashlib
    from types import SimpleNamespace

    from alignkg import store as store_module

    cache, entry, depends, show = trusted
    monkeypatch.setenv("ALIGNKG_CACHE_DIR", str(cache))
    hashed = []

    def sha256(data=b""):
        hashed.append(len(data))
        return hashlib.sha256(data)

    monkeypatch.setattr(store_module, "hashlib", SimpleNamespace(sha256=sha256))
    store = store_module.Store()
    index = store.names
    assert index.get("hch") is not None
    [(_, _, where)] = index._connection().execute("PRAGMA database_list").fetchall()
    assert Path(where) == entry / "names.sqlite"  # the file itself, not a copy in memory
    assert store.followed.number_of_nodes() > 0 and store.nx.number_of_nodes() > 0
    smallest = min((entry / name).stat().st_size for name in ENTRY_FILES)
    assert hashed and max(hashed) < smallest, "an entry file was hashed again"


@pytest.mark.parametrize("name, args", [("names.sqlite", DEPENDS), ("followed.json", DEPENDS),
                                        ("graph.json", SHOW)])
def test_a_trusted_entry_file_changed_in_place_is_still_caught(trusted, name, args):
    """Bytes flipped in place, size and modification time put back: the change time moves, the file is
    hashed again, found damaged and rebuilt; the answer is right and the next run is clean."""
    cache, entry, depends, show = trusted
    path = entry / name
    before = path.stat()
    data = bytearray(path.read_bytes())
    for i in range(len(data) // 2, len(data) // 2 + 16):
        data[i] ^= 0x5A
    path.write_bytes(bytes(data))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size and path.stat().st_mtime_ns == before.st_mtime_ns
    expected = depends if args == DEPENDS else show
    code, out, err = cli(cache, *args)
    assert code == 0 and out == expected
    assert err.startswith("alignkg: note: discarded a damaged cache entry") and len(err.splitlines()) == 1, err
    assert cli(cache, *args) == (0, expected, "")


def test_a_wrong_record_of_an_entry_file_heals(trusted):
    """A record whose digest is not the one meta.json holds is not trusted: the file is hashed, found
    sound, and recorded again."""
    cache, entry, depends, _ = trusted
    record = cache / "digests.json"
    known = json.loads(record.read_text())
    known[str(entry / "names.sqlite")][1] = "0" * 64
    record.write_text(json.dumps(known))
    assert cli(cache, *DEPENDS) == (0, depends, "")
    assert json.loads(record.read_text())[str(entry / "names.sqlite")][1] != "0" * 64


#: Run in a fresh interpreter (single-threaded, no query asked yet: the CLI forks its query's process
#: early there): each command through click's CliRunner, then this process's children, zombies included.
_EARLY = """
import json, os, sys
from click.testing import CliRunner
from alignkg import sparql as sq
from alignkg.cli import cli

def children():
    return sorted(open(f"/proc/self/task/{os.getpid()}/children").read().split())

report = []
for args in json.loads(sys.argv[1]):
    sq._ASKED[0] = 0  # as a new command line: its first query
    result = CliRunner().invoke(cli, args)
    report.append({"code": result.exit_code, "out": result.stdout, "pools": len(sq._POOLS),
                   "spare": len(sq._SPARE), "children": children()})
print(json.dumps(report))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the early query process is Linux only")
def test_the_early_query_process_answers_like_a_worker_and_is_not_left_behind(tmp_path):
    """``query`` forks its process before the store is known and hands it the store and the query:
    the same bytes as a pool's worker, and no process left once the command is done, whether it
    answered, failed on a parameter or in the engine, or asked nothing (``--list``)."""
    commands = [["query", "direct-dependents", "--param", "target=HCH", "--format", "json"],
                ["query", "direct-dependents", "--param", "target=no-such-thing-at-all"],
                ["query", "--list"],
                ["sparql", "SELEC oops"],
                ["sparql", "SELECT ?l WHERE { akg:hch rdfs:label ?l }", "--format", "json"]]
    env = {**os.environ, "ALIGNKG_CACHE_DIR": str(tmp_path / "cache")}
    proc = subprocess.run([sys.executable, "-c", _EARLY, json.dumps(commands)], capture_output=True, text=True,
                          timeout=300, cwd=ROOT, env=env)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert [r["code"] for r in report] == [0, 2, 0, 2, 0]
    assert all(r["pools"] == 0 and r["spare"] == 0 and r["children"] == [] for r in report), report
    from alignkg import sparql as sq  # the same query on a pool's worker, in this process
    from alignkg.queries import bindings, named
    from alignkg.store import Store

    store = Store()
    q = named("direct-dependents")
    with sq.new_pool(store) as pool:
        theirs = sq.open_stream(store, q.text, bindings(store, q, ["target=HCH"]), fmt="json", pool=pool).read()
    assert json.loads(report[0]["out"]) == json.loads(theirs) and json.loads(theirs)["results"]["bindings"]
    assert "hch" in report[4]["out"].lower()


def test_a_query_process_that_gets_no_query_ends_with_its_parent():
    """Forked ahead of its query and never sent one (its parent ends at once): it ends too."""
    script = ("import os, sys; from alignkg import sparql as sq; sq.fork_ahead(); "
              "print(sq._SPARE[0].pid, flush=True); os._exit(0)")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                         cwd=ROOT).stdout
    pid = int(out)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and os.path.exists(f"/proc/{pid}") and \
            open(f"/proc/{pid}/stat").read().split(")")[-1].split()[0] != "Z":
        time.sleep(0.05)
    assert not os.path.exists(f"/proc/{pid}") or \
        open(f"/proc/{pid}/stat").read().split(")")[-1].split()[0] == "Z"


def test_followed_columns_that_do_not_fit_the_file_are_refused():
    """The raw integer columns after the first line must be as long as that line says."""
    import networkx as nx

    from alignkg.graphio import dump_followed, load_followed

    G = nx.MultiDiGraph()
    G.add_node("p", iri="p", short="p", kind="proposal", label="P", alt_labels=[])
    G.add_node("x", iri="x", short="x", kind="concept", label="X", alt_labels=[])
    G.add_edge("p", "x", key="requires", relation="requires", relation_label="requires", dependency=True,
               hierarchy=False, symmetric=False, sections=[], rationale=None, derived=None, criteria=[])
    data = dump_followed(G)
    assert list(load_followed(data).edges(keys=True)) == [("p", "x", "requires")]
    cut = data.index(b"\n")
    head = json.loads(data[:cut])
    for damage in ({"u": 10 ** 9}, {"v": -1}, {"ends": "2"}, {"in_order": None}):
        bad = {**head, "columns": {**head["columns"], **damage}}
        with pytest.raises(ValueError):
            load_followed(json.dumps(bad).encode() + data[cut:])
    with pytest.raises(ValueError):
        load_followed(data[: cut + 20])


# ---------------------------------------------------------------- the early store (graph/cachedir.py)

_ONLY = "SELECT ?l WHERE { ?s rdfs:label ?l FILTER(STRSTARTS(STR(?l), 'only in')) }"


def _two_graphs(tmp_path):
    a, b = tmp_path / "a.ttl", tmp_path / "b.ttl"
    for path, word in ((a, "A"), (b, "B")):
        path.write_text(f'@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n'
                        f'<urn:x:{word}> rdfs:label "only in {word}" .\n', encoding="utf-8")
    return a, b


def test_the_store_a_data_file_used_last_is_recorded_as_a_key(tmp_path):
    """After a query with ``--data``, recent.json names the entry (a key, not a path) under the file's
    absolute path, and the query's process finds the entry's store from it; a pipe is never recorded."""
    from alignkg.cachedir import recent_store

    cache = tmp_path / "cache"
    a, _ = _two_graphs(tmp_path)
    code, out, err = cli(cache, "sparql", _ONLY, "--format", "csv", "--data", a)
    assert code == 0 and out.splitlines()[1:] == ["only in A"], (out, err)
    record = json.loads((cache / "recent.json").read_text())
    assert record == {str(a): entry_of(cache).name}
    assert oct((cache / "recent.json").stat().st_mode & 0o777) == "0o600"
    os.environ["ALIGNKG_CACHE_DIR"], saved = str(cache), os.environ.get("ALIGNKG_CACHE_DIR")
    try:
        assert recent_store([str(a)]) == str(entry_of(cache) / "ox")
        assert recent_store(["-"]) is None and recent_store([str(tmp_path / "other.ttl")]) is None
        for bad in ("../../etc", "0" * 31, "Z" * 32, 7, None):  # a record that is not a key names nothing
            (cache / "recent.json").write_text(json.dumps({str(a): bad}))
            assert recent_store([str(a)]) is None, bad
        (cache / "recent.json").write_text(json.dumps({str(a): entry_of(cache).name}))
        os.chmod(cache / "recent.json", 0o666)  # writable by others: not read
        assert recent_store([str(a)]) is None
        os.chmod(cache / "recent.json", 0o600)
        assert recent_store([str(a)]) == str(entry_of(cache) / "ox")
        os.chmod(cache, 0o777)  # a cache directory others can write: the store is not used, nor guessed
        assert recent_store([str(a)]) is None
        os.chmod(cache, 0o700)
    finally:
        os.environ["ALIGNKG_CACHE_DIR"] = saved


def test_a_wrong_guess_of_the_store_is_not_used(tmp_path):
    """The query's process opens early the store recent.json names for the files; when the command
    then finds another store (the record is stale, or was tampered with), the answer comes from the
    right one: file A's, never file B's."""
    command = ("sparql", _ONLY)
    cache = tmp_path / "cache"
    a, b = _two_graphs(tmp_path)
    assert cli(cache, "sparql", _ONLY, "--data", b)[0] == 0  # B's entry exists
    code, right, err = cli(cache, *command, "--format", "csv", "--data", a)  # A's, with no record for A yet
    assert code == 0 and right.splitlines()[1:] == ["only in A"], (right, err)
    key_a = json.loads((cache / "recent.json").read_text())[str(a)]
    [key_b] = [p.name for p in cache.iterdir() if len(p.name) == 32 and p.name != key_a]
    (cache / "recent.json").write_text(json.dumps({str(a): key_b}))  # A now "uses" B's store
    os.chmod(cache / "recent.json", 0o600)
    assert cli(cache, *command, "--format", "csv", "--data", a) == (0, right, "")
    assert json.loads((cache / "recent.json").read_text())[str(a)] == key_a  # and the record is put right


@pytest.mark.parametrize("record", ["recent.json", "digests.json", "meta.json"])
def test_a_cache_record_nested_too_deep_is_damage_not_a_crash(tmp_path, record):
    """A record json cannot read for its depth (RecursionError, not ValueError) is a damaged record:
    ignored or rebuilt, the right answer, exit 0 -- it was an internal error, exit 70, in both lanes."""
    cache = tmp_path / "cache"
    a, _ = _two_graphs(tmp_path)
    code, right, err = cli(cache, "sparql", _ONLY, "--format", "csv", "--data", a)
    assert code == 0 and right.splitlines()[1:] == ["only in A"], (right, err)
    path = entry_of(cache) / record if record == "meta.json" else cache / record
    path.write_text("[" * 30000 + "]" * 30000)  # under each record's size cap
    os.chmod(path, 0o600)
    code, out, err = cli(cache, "sparql", _ONLY, "--format", "csv", "--data", a)
    assert (code, out) == (0, right), err
    assert "internal error" not in err


def test_recent_json_keeps_the_newest_records_when_names_are_long(tmp_path, monkeypatch):
    """64 records of names up to 4096 characters outgrow the 64 KiB recent.json may have: the oldest
    records go, not the whole record (it was written too big, read as damaged, and started afresh)."""
    from alignkg.cachedir import RECENT, recent_store, remember

    cache = tmp_path / "cache"
    cache.mkdir(mode=0o700)
    monkeypatch.setenv("ALIGNKG_CACHE_DIR", str(cache))
    folder = tmp_path / ("d" * 3000)
    names = [[str(folder / f"{i}.ttl")] for i in range(30)]
    for i, data in enumerate(names):
        remember(cache, data, f"{i:032x}")
        assert recent_store(data) == str(cache / f"{i:032x}" / "ox")
    assert (cache / RECENT).stat().st_size <= 1 << 16
    kept = [i for i, data in enumerate(names) if recent_store(data)]
    assert kept == list(range(kept[0], 30)) and len(kept) >= 64 * 1024 // 3200, kept
