"""Remote stores: push the graph to a real Oxigraph server on 127.0.0.1 and get
the same answers from it as from the local graph.

Rows are compared as multisets, and GROUP_CONCAT values as sets of parts:
engines may order ties and group members differently.
"""

import os
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from conftest import free_port, wait_until_up

from alignkg.queries import catalogue

NAMES = ["myopia", "HCH", "transparency tools", "per-episode myopia", "relaxed adversarial training",
         "human feedback", "transparency tools can detect deception"]


def oxigraph_binary():
    found = shutil.which("oxigraph") or str(Path(sys.executable).parent / "oxigraph")
    return found if os.path.exists(found) else None


@pytest.fixture(scope="module")
def oxigraph(tmp_path_factory):
    binary = oxigraph_binary()
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("oxigraph is required in CI (pip install oxigraph)")
        pytest.skip("oxigraph not installed")
    port = free_port()
    proc = subprocess.Popen([binary, "serve", "--location", str(tmp_path_factory.mktemp("oxigraph")),
                             "--bind", f"127.0.0.1:{port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{base}/query?query=ASK%7B%7D")
        yield base
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture(scope="module")
def pushed(oxigraph, run_module):
    r = run_module("push", "--endpoint", f"{oxigraph}/store")
    assert r.code == 0 and r.out.startswith("pushed "), r
    return f"{oxigraph}/query"


@pytest.fixture(scope="module")
def run_module():
    from click.testing import CliRunner
    from conftest import Run

    from alignkg.cli import cli

    def invoke(*args):
        result = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
        return Run(result.exit_code, result.stdout, result.stderr)

    return invoke


def normalise(doc):
    if "boolean" in doc:
        return doc["boolean"]
    rows = Counter()
    for b in doc["results"]["bindings"]:
        row = []
        for var in doc["head"]["vars"]:
            value = b.get(var, {}).get("value", "")  # rdflib leaves an empty GROUP_CONCAT unbound; the spec says ""
            parts = [x for part in value.split("; ") for x in part.split(", ")]
            if len(parts) > 1:
                value = tuple(sorted(parts))
            row.append(value)
        rows[tuple(row)] += 1
    return rows


@pytest.mark.parametrize("name", sorted(catalogue()))
def test_gallery_query_same_remotely(name, pushed, run_module):
    local = run_module("query", name, "--format", "json")
    remote = run_module("query", name, "--format", "json", "--endpoint", pushed)
    assert local.code == 0 and remote.code == 0, (local, remote)
    assert normalise(remote.json) == normalise(local.json)


@pytest.mark.parametrize("name", NAMES)
def test_depends_on_same_remotely(name, pushed, run_module):
    for extra in ([], ["--direct"]):
        local = {r["iri"] for r in run_module("depends-on", name, *extra, "--format", "json").json["results"]}
        remote = run_module("depends-on", name, *extra, "--format", "json", "--endpoint", pushed)
        assert remote.code == 0, remote
        assert {r["iri"] for r in remote.json["results"]} == local, (name, extra)


def test_shared_and_what_if_same_remotely(pushed, run_module):
    pairs = [("proposal 2", "proposal 3"), ("proposal 2", "proposal 9"), ("Microscope AI", "STEM AI")]
    for a, b in pairs:
        local = {r["iri"] for r in run_module("shared", a, b, "--format", "json").json["results"]}
        remote = {r["iri"] for r in run_module("shared", a, b, "--format", "json", "--endpoint", pushed).json["results"]}
        assert remote == local, (a, b)
    for name in ("HCH", "transparency tools can detect deception", "myopia"):
        local = {r["iri"]: sorted(r["criteria"]) for r in run_module("what-if", name, "--format", "json").json["results"]}
        remote = {r["iri"]: sorted(r["criteria"]) for r in
                  run_module("what-if", name, "--format", "json", "--endpoint", pushed).json["results"]}
        assert remote == local, name


def test_remote_sparql_and_errors(pushed, run_module):
    r = run_module("sparql", "SELECT (COUNT(?p) AS ?n) WHERE { ?p a akg:Proposal ; akg:number ?x }",
                   "--endpoint", pushed, "--format", "csv")
    assert r.out.splitlines() == ["n", "11"]
    from conftest import assert_clean_error

    assert_clean_error(run_module("depends-on", "HCH", "--endpoint", pushed, "--explain"), "local graph only")
    assert_clean_error(run_module("depends-on", "HCH", "--endpoint", "ftp://example.org/q"), "http://")
    dead = free_port()
    assert_clean_error(run_module("depends-on", "HCH", "--endpoint", f"http://127.0.0.1:{dead}/query"),
                       "cannot reach")
