"""Remote stores: the same answers from a real Oxigraph server and a real Virtuoso Open Source
server on 127.0.0.1 as from the local graph (same rows and same columns); endpoints that answer
badly, from a tiny local HTTP server, are reported in one line.

Rows are compared as multisets, and GROUP_CONCAT values as sets of parts:
engines may order ties and group members differently.
"""

import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from conftest import assert_clean_error, free_port, running, wait_until_up

from alignkg.queries import catalogue

NAMES = ["myopia", "HCH", "transparency tools", "per-episode myopia", "relaxed adversarial training",
         "human feedback", "transparency tools can detect deception"]


def oxigraph_binary():
    found = shutil.which("oxigraph") or str(Path(sys.executable).parent / "oxigraph")
    return found if os.path.exists(found) else None


def _required(name):
    if os.environ.get("CI"):
        pytest.fail(f"{name} is required in CI")
    pytest.skip(f"{name} not installed")


@pytest.fixture(scope="module")
def oxigraph(tmp_path_factory):
    binary = oxigraph_binary()
    if binary is None:
        _required("oxigraph (pip install oxigraph)")
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


VIRTUOSO_INI = """[Database]
DatabaseFile = {d}/virtuoso.db
ErrorLogFile = {d}/virtuoso.log
LockFile = {d}/virtuoso.lck
TransactionFile = {d}/virtuoso.trx
xa_persistent_file = {d}/virtuoso.pxa
TempStorage = TempDatabase
[TempDatabase]
DatabaseFile = {d}/virtuoso-temp.db
TransactionFile = {d}/virtuoso-temp.trx
[Parameters]
ServerPort = 127.0.0.1:{sql}
DisableUnixSocket = 1
DirsAllowed = ., {d}
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000
CheckpointInterval = 0
[HTTPServer]
ServerPort = 127.0.0.1:{http}
ServerRoot = {d}
ServerThreads = 4
[SPARQL]
ResultSetMaxRows = 1000000
MaxQueryExecutionTime = 60
"""


@pytest.fixture(scope="module")
def virtuoso(tmp_path_factory, run_module):
    """Virtuoso Open Source on loopback ports, with a temporary database, loaded with its own bulk
    loader from `alignkg export --format nt`; the endpoint URL names the graph it was loaded into."""
    binary, isql = shutil.which("virtuoso-t"), shutil.which("isql-vt") or shutil.which("isql")
    if binary is None or isql is None:
        _required("virtuoso-opensource (virtuoso-t, isql-vt)")
    d = tmp_path_factory.mktemp("virtuoso")
    sql, http = free_port(), free_port()
    (d / "virtuoso.ini").write_text(VIRTUOSO_INI.format(d=d, sql=sql, http=http))
    r = run_module("export", "--format", "nt")
    assert r.code == 0, r
    (d / "alignkg.nt").write_text(r.out, encoding="utf-8")
    proc = subprocess.Popen([binary, "-f", "-c", "virtuoso.ini"], cwd=d, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        wait_until_up(f"http://127.0.0.1:{http}/sparql?query=ASK%7B%7D", seconds=90)
        subprocess.run([isql, f"127.0.0.1:{sql}", "dba", "dba",
                        f"exec=ld_dir('{d}', 'alignkg.nt', 'urn:alignkg'); rdf_loader_run(); checkpoint;"],
                       check=True, timeout=120, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        yield f"http://127.0.0.1:{http}/sparql?default-graph-uri=urn%3Aalignkg"
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


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


@pytest.fixture(scope="module", params=["oxigraph", "virtuoso"])
def endpoint(request):
    """The query URL of each engine, loaded with the same graph."""
    return request.getfixturevalue("pushed" if request.param == "oxigraph" else "virtuoso")


def _local_and_remote(run_module, endpoint, *args):
    local = run_module(*args, "--format", "json")
    remote = run_module(*args, "--format", "json", "--endpoint", endpoint)
    assert local.code == 0 and remote.code == 0, (local, remote)
    return local.json, remote.json


@pytest.mark.parametrize("name", sorted(catalogue()))
def test_gallery_query_same_remotely(name, endpoint, run_module):
    local, remote = _local_and_remote(run_module, endpoint, "query", name)
    assert remote["head"] == local["head"], "the same columns"
    assert normalise(remote) == normalise(local), "the same rows"


@pytest.mark.parametrize("name", NAMES)
def test_depends_on_same_remotely(name, endpoint, run_module):
    for extra in ([], ["--direct"]):
        local, remote = _local_and_remote(run_module, endpoint, "depends-on", name, *extra)
        assert remote["results"] == local["results"], (name, extra)  # rows, columns (via, path...) alike
        assert remote["endpoint"] == endpoint and remote["target"] == local["target"]


def test_shared_and_what_if_same_remotely(endpoint, run_module):
    for a, b in [("proposal 2", "proposal 3"), ("proposal 2", "proposal 9"), ("Microscope AI", "STEM AI")]:
        local, remote = _local_and_remote(run_module, endpoint, "shared", a, b)
        assert remote["results"] == local["results"], (a, b)
    for name in ("HCH", "transparency tools can detect deception", "myopia"):
        local, remote = _local_and_remote(run_module, endpoint, "what-if", name)
        assert remote["results"] == local["results"], name  # criteria, via, caught_before_deployment, sources
        assert {k for r in remote["results"] for k in r} >= {"via", "caught_before_deployment", "sources"}


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


# ---------------------------------------------------------------- endpoints that answer badly (#13.6)

SELECT = "SELECT ?x WHERE { ?x ?p ?o }"
CONSTRUCT = "CONSTRUCT { ?x ?p ?o } WHERE { ?x ?p ?o }"
RESULTS = "application/sparql-results+json"


def _binding(value: dict) -> bytes:
    return json.dumps({"head": {"vars": ["x"]}, "results": {"bindings": [{"x": value}]}}, ensure_ascii=False).encode()


#: case -> (status, content type, body, query, what the one error line must say)
BAD_ANSWERS = {
    "html": (200, "text/html", b"<!doctype html><title>Login</title><p>Sign in", SELECT, "HTML page"),
    "json-without-head": (200, RESULTS, b'{"results": {"bindings": []}}', SELECT, "head.vars"),
    "json-without-value": (200, RESULTS, _binding({"type": "uri"}), SELECT, "not an RDF term"),
    "json-list": (200, RESULTS, b"[1, 2, 3]", SELECT, "JSON list"),
    "json-truncated": (200, RESULTS, b'{"head": {"vars": ["x"]}, "results": {"bind', SELECT, "not JSON"),
    "latin-1-declared": (200, RESULTS + "; charset=iso-8859-1",
                         _binding({"type": "literal", "value": "café"}).decode().encode("latin-1"), SELECT,
                         "not UTF-8"),
    "latin-1-undeclared": (200, RESULTS, _binding({"type": "literal", "value": "café"}).decode().encode("latin-1"),
                           SELECT, "not UTF-8"),
    "5000-digit-number": (200, RESULTS, b'{"head": {}, "boolean": ' + b"9" * 5000 + b"}", "ASK { ?s ?p ?o }",
                          "not JSON"),
    "boolean-not-bool": (200, RESULTS, b'{"head": {}, "boolean": "yes"}', "ASK { ?s ?p ?o }", "true or false"),
    "bad-n-triples": (200, "application/n-triples", b"<urn:a> <urn:b> .\n", CONSTRUCT, "bad N-Triples"),
    "rdf-as-html": (200, "text/html", b"<html></html>", CONSTRUCT, "HTML page"),
    "redirect": (302, "text/plain", b"", SELECT, "redirects"),
    "server-error": (500, "text/plain", b"boom", SELECT, "HTTP 500"),
}


@pytest.fixture(scope="module")
def bad_endpoint():
    """A tiny HTTP server on 127.0.0.1 whose path names the bad answer it gives."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.do_GET()

        def do_GET(self):
            status, ctype, body, _, _ = BAD_ANSWERS.get(self.path.strip("/").split("?")[0],
                                                        (200, RESULTS, b"x" * 4000, None, None))
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            if status == 302:
                self.send_header("Location", "http://elsewhere.example/sparql")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    with running(ThreadingHTTPServer(("127.0.0.1", 0), Handler)) as server:
        yield f"http://127.0.0.1:{server.server_address[1]}"


@pytest.mark.parametrize("case", sorted(BAD_ANSWERS))
def test_endpoint_answering_badly_is_one_line(case, bad_endpoint, run_module):
    *_, query, fragment = BAD_ANSWERS[case]
    url = f"{bad_endpoint}/{case}"
    r = run_module("sparql", query, "--endpoint", url)
    assert_clean_error(r, url, fragment)


def test_named_commands_on_a_bad_endpoint(bad_endpoint, run_module):
    for command in (["depends-on", "HCH"], ["what-if", "HCH"], ["shared", "proposal 2", "proposal 3"],
                    ["query", "direct-dependents"]):
        assert_clean_error(run_module(*command, "--endpoint", f"{bad_endpoint}/html"), "HTML page")


def test_answers_are_read_with_a_size_cap(bad_endpoint):
    from alignkg.errors import AlignKGError
    from alignkg.remote import Remote

    with pytest.raises(AlignKGError, match="more than 1000 bytes"):
        Remote(f"{bad_endpoint}/big", max_bytes=1000).execute(SELECT)


@pytest.mark.parametrize("url, fragment", [
    ("http://[::1", "not a valid URL"),
    ("http://exa mple.org/sparql", "spaces or control characters"),
    ("http://example.org/sparql\r\nX-Injected: 1", "spaces or control characters"),
    ("http://example.org:99999/sparql", "not a valid URL"),
    ("ftp://example.org/q", "http://"),
    ("http:///sparql", "http://"),
])
def test_malformed_endpoint_urls(url, fragment, run_module):
    assert_clean_error(run_module("sparql", "ASK {}", "--endpoint", url), fragment)
    assert_clean_error(run_module("depends-on", "HCH", "--endpoint", url), fragment)


ENTAILED = [
    # (query, what the essays give) — answers that rely on the RDFS closure the store holds (#12)
    ("SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE { ?c a akg:Criterion }", [["n"], ["8"]]),
    ("SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p a akg:Proposal ; akg:number ?x ; akg:dependsOn+ akg:hch }",
     None),
    ("SELECT (COUNT(*) AS ?n) WHERE { ?a akg:dependsOn ?b }", None),
]


@pytest.mark.parametrize("text, expected", ENTAILED, ids=["criteria", "dependsOn-path", "dependsOn-count"])
def test_entailed_answers_are_the_same_after_push(text, expected, endpoint, run_module):
    """The local store holds the schema's sub-class and sub-property closure, and push/export carry it,
    so a remote engine answers queries on akg:Criterion and akg:dependsOn as the local graph does."""
    local = run_module("sparql", text, "--format", "csv")
    remote = run_module("sparql", text, "--format", "csv", "--endpoint", endpoint)
    assert local.code == 0 and remote.code == 0, (local, remote)
    rows = [line.split(",") for line in local.out.splitlines()]
    assert rows == [line.split(",") for line in remote.out.splitlines()]
    assert int(rows[1][0]) > 0
    if expected:
        assert rows == expected
