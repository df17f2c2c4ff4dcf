"""The SPARQL endpoint through real HTTP clients, and its explorer page in Chromium."""

import json
import os
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from alignkg.server import make
from alignkg.store import Store


@pytest.fixture(scope="module")
def endpoint():
    server = make(Store(), port=0, timeout=2.0, limit=50)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def fetch(url, data=None, headers=None, method=None):
    req = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.headers, r.read().decode("utf-8")
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode("utf-8")


def test_rdflib_sparqlstore_is_a_happy_client(endpoint):
    from rdflib.plugins.stores.sparqlstore import SPARQLStore

    client = SPARQLStore(query_endpoint=f"{endpoint}/sparql", returnFormat="json")
    rows = list(client.query("PREFIX akg: <https://w3id.org/alignkg#> "
                             "SELECT ?p WHERE { ?p a akg:Proposal ; akg:number ?n } ORDER BY ?n"))
    assert len(rows) == 11
    assert str(rows[4][0]) == "https://w3id.org/alignkg#microscope-ai"


@pytest.mark.parametrize("accept, marker", [
    ("application/sparql-results+json", '"bindings"'),
    ("application/sparql-results+xml", "<sparql"),
    ("text/csv", "l\r\nHCH"),
    ("text/tab-separated-values", '?l\n"HCH"'),
])
def test_get_post_and_content_negotiation(endpoint, accept, marker):
    q = "SELECT ?l WHERE { akg:hch rdfs:label ?l }"
    status, headers, body = fetch(f"{endpoint}/sparql?" + urllib.parse.urlencode({"query": q}), headers={"Accept": accept})
    assert status == 200 and headers.get_content_type() == accept and marker in body
    status, _, body2 = fetch(f"{endpoint}/sparql", data=q.encode(), method="POST",
                             headers={"Content-Type": "application/sparql-query", "Accept": accept})
    assert status == 200 and body2 == body
    status, _, body3 = fetch(f"{endpoint}/sparql", data=urllib.parse.urlencode({"query": q}).encode(),
                             headers={"Accept": accept})
    assert status == 200 and body3 == body


def test_graph_results_default_to_turtle(endpoint):
    q = "CONSTRUCT { ?p akg:limitsTo ?l } WHERE { ?p akg:limitsTo ?l }"
    status, headers, body = fetch(f"{endpoint}/sparql?" + urllib.parse.urlencode({"query": q}))
    assert status == 200 and headers.get_content_type() == "text/turtle" and "akg:limitsTo" in body


@pytest.mark.parametrize("how, expected", [
    ("update-param", 403), ("update-body", 403), ("update-route", 403), ("malformed", 400), ("service", 400),
    ("load-as-query", 400), ("from-file", 400), ("no-query", 400),
])
def test_refusals(endpoint, how, expected):
    url = f"{endpoint}/sparql"
    if how == "update-param":
        status, _, _ = fetch(url, data=urllib.parse.urlencode({"update": "DROP ALL"}).encode())
    elif how == "update-body":
        status, _, _ = fetch(url, data=b"DROP ALL", headers={"Content-Type": "application/sparql-update"})
    elif how == "update-route":
        status, _, _ = fetch(f"{endpoint}/update", data=b"update=DROP%20ALL")
    else:
        q = {"malformed": "SELEC nothing", "service": "SELECT * { SERVICE <http://example.org/> { ?s ?p ?o } }",
             "load-as-query": "LOAD <file:///etc/passwd>", "from-file": "SELECT * FROM <file:///etc/passwd> { ?s ?p ?o }",
             "no-query": ""}[how]
        status, _, body = fetch(url + "?" + urllib.parse.urlencode({"query": q}))
        assert "Traceback" not in body
    assert status == expected


def test_slow_query_gets_503_and_the_server_keeps_serving(endpoint):
    slow = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
    result = {}

    def run_slow():
        result["slow"] = fetch(f"{endpoint}/sparql?" + urllib.parse.urlencode({"query": slow}))

    t = threading.Thread(target=run_slow)
    t.start()
    time.sleep(0.3)
    status, _, _ = fetch(f"{endpoint}/sparql?" + urllib.parse.urlencode({"query": "ASK { ?s ?p ?o }"}))
    assert status == 200, "another client is served while the slow query runs"
    t.join(30)
    assert result["slow"][0] == 503 and "timeout" in result["slow"][2]


def test_result_cap(endpoint):
    status, headers, body = fetch(f"{endpoint}/sparql?" + urllib.parse.urlencode({"query": "SELECT * { ?s ?p ?o }"}),
                                  headers={"Accept": "application/sparql-results+json"})
    assert status == 200 and len(json.loads(body)["results"]["bindings"]) == 50
    assert headers["X-Alignkg-Truncated"]


def test_host_header_must_be_loopback(endpoint):
    status, _, body = fetch(f"{endpoint}/", headers={"Host": "attacker.example"})
    assert status == 403 and "Host not allowed" in body
    assert fetch(f"{endpoint}/", headers={"Host": "localhost"})[0] == 200


def test_cors_only_when_asked(endpoint):
    _, headers, _ = fetch(f"{endpoint}/queries")
    assert "Access-Control-Allow-Origin" not in headers
    server = make(Store(), port=0, cors=True, host="0.0.0.0", exposed=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        status, headers, _ = fetch(f"http://127.0.0.1:{server.server_port}/queries", headers={"Host": "kg.example"})
        assert status == 200 and headers["Access-Control-Allow-Origin"] == "*"
    finally:
        server.shutdown()
        server.server_close()


def test_named_query_with_bound_parameter(endpoint):
    status, _, body = fetch(f"{endpoint}/query/evaluations-on-criterion?criterion=inner%20alignment",
                            headers={"Accept": "application/sparql-results+json"})
    assert status == 200 and len(json.loads(body)["results"]["bindings"]) == 11
    assert fetch(f"{endpoint}/query/nope")[0] == 400


def test_explorer_works_offline_in_chromium(endpoint, browser):
    outside = []
    page = browser.new_page()

    def guard(route):
        if route.request.url.startswith(endpoint):
            return route.continue_()
        outside.append(route.request.url)
        return route.abort()

    page.route("**/*", guard)
    page.goto(f"{endpoint}/")
    page.wait_for_selector('body[data-ready="1"]')
    page.click("button.example[data-name='evaluations-on-criterion']")
    page.wait_for_selector("body[data-rows]")
    assert page.get_attribute("body", "data-last-status") == "200"
    assert page.locator("#results tr").count() == 12  # header + 11 proposals
    page.fill("#query", "SELECT ?x WHERE { akg:hch rdfs:label ?x }")
    page.click("#run")
    page.locator("#results td", has_text="HCH").first.wait_for()  # the page's CSP forbids eval
    page.goto(f"{endpoint}/map?focus=HCH")
    page.wait_for_selector('body[data-ready="1"]', timeout=30000)
    page.close()
    assert outside == []


def _rss_kib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def test_twenty_clients_for_a_minute(tmp_path):
    """20 concurrent clients query a real `alignkg serve` process for 60 s (ALIGNKG_SOAK_SECONDS):
    no error, every answer right, and the server's memory stays bounded."""
    import subprocess
    import sys

    from conftest import ROOT, free_port, wait_until_up

    seconds = float(os.environ.get("ALIGNKG_SOAK_SECONDS", "60"))
    port = free_port()
    server = subprocess.Popen([sys.executable, str(ROOT / "cli.py"), "serve", "--port", str(port)], cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              env={**os.environ, "ALIGNKG_CACHE_DIR": str(tmp_path)})
    base = f"http://127.0.0.1:{port}"
    queries = [("ASK { akg:hch a akg:Concept }", "true"),
               ("SELECT ?l WHERE { akg:microscope-ai rdfs:label ?l }", "Microscope AI"),
               ("SELECT (COUNT(?e) AS ?n) WHERE { ?e a akg:Evaluation ; akg:onCriterion/a akg:ProposalCriterion }", '"44"')]
    errors, answered = [], [0]
    try:
        wait_until_up(f"{base}/queries", seconds=30)
        start_rss = _rss_kib(server.pid)
        stop = time.monotonic() + seconds

        def client(i):
            n = 0
            while time.monotonic() < stop:
                q, expected = queries[(i + n) % len(queries)]
                n += 1
                try:
                    status, _, body = fetch(f"{base}/sparql?" + urllib.parse.urlencode({"query": q}),
                                            headers={"Accept": "application/sparql-results+json"})
                    if status != 200 or expected not in body:
                        errors.append((status, body[:200]))
                    else:
                        answered[0] += 1
                except Exception as exc:  # a client error is a failure of the test, not a crash of it
                    errors.append(repr(exc))

        threads = [threading.Thread(target=client, args=(i,)) for i in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(seconds + 60)
        end_rss = _rss_kib(server.pid)
    finally:
        server.terminate()
        server.wait(10)
    assert not errors, errors[:5]
    assert answered[0] >= 20, answered
    assert end_rss - start_rss < 150_000, f"server grew from {start_rss} to {end_rss} KiB"
