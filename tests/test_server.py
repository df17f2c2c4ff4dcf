"""The SPARQL endpoint through real HTTP clients, and its explorer page in Chromium."""

import json
import os
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
from conftest import running

from alignkg.server import make
from alignkg.store import Store


@pytest.fixture(scope="module")
def endpoint():
    with running(make(Store(), port=0, timeout=2.0, limit=50)) as server:
        yield f"http://127.0.0.1:{server.server_port}"


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


def test_keep_alive_answers_on_one_connection_and_a_timeout_stays_hard(endpoint):
    """An HTTP/1.1 client asks several queries over one connection (a slow one among them: 503 at the
    timeout, and the connection goes on); a request with a body gets its answer and the connection closes."""
    import http.client

    port = int(endpoint.rsplit(":", 1)[1])
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    accept = {"Accept": "application/sparql-results+json"}

    def ask(query):
        conn.request("GET", "/sparql?" + urllib.parse.urlencode({"query": query}), headers=accept)
        response = conn.getresponse()
        return response, response.read()

    response, body = ask("SELECT ?l WHERE { akg:microscope-ai rdfs:label ?l }")
    assert response.status == 200 and "Microscope AI" in body.decode()
    assert response.getheader("Connection") is None and not response.will_close
    first = conn.sock
    start = time.monotonic()
    response, body = ask("SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }")
    assert response.status == 503 and b"timeout" in body
    assert time.monotonic() - start < 10, "the query is stopped at the 2 s timeout"
    response, body = ask("ASK { akg:hch a akg:Concept }")
    assert response.status == 200 and json.loads(body)["boolean"] is True
    assert conn.sock is first, "the three answers came over the same connection"
    conn.request("POST", "/sparql", body="ASK { akg:hch a akg:Concept }",
                 headers={**accept, "Content-Type": "application/sparql-query"})
    response = conn.getresponse()
    assert response.status == 200 and json.loads(response.read())["boolean"] is True and response.will_close
    conn.close()


def test_a_large_answer_streams_chunked_on_a_kept_alive_connection():
    """An answer too large to hold (over 4 MiB) streams in chunks; the connection then serves the next query."""
    import http.client

    server = make(Store(), port=0, timeout=60.0, limit=100_000)
    with running(server):
        conn = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=60)
        big = "SELECT * WHERE { ?s ?p ?o . ?a ?b ?c } LIMIT 20000"
        conn.request("GET", "/sparql?" + urllib.parse.urlencode({"query": big}),
                     headers={"Accept": "application/sparql-results+json"})
        response = conn.getresponse()
        assert response.status == 200 and response.getheader("Transfer-Encoding") == "chunked"
        body = response.read()
        assert len(body) > 4 << 20 and len(json.loads(body)["results"]["bindings"]) == 20000
        first = conn.sock
        conn.request("GET", "/sparql?" + urllib.parse.urlencode({"query": "ASK { akg:hch a akg:Concept }"}))
        response = conn.getresponse()
        assert response.status == 200 and json.loads(response.read())["boolean"] is True
        assert conn.sock is first
        conn.close()


def test_a_bug_answers_500_and_closes_a_kept_alive_connection(caplog):
    """A route that raises (a bug) on a kept-alive connection: 500, the connection closed, the error logged.
    (The server's threads answer here: without lanes, no worker takes the connection.)"""
    import http.client

    server = make(Store(), port=0, timeout=5.0, lanes=False)

    def broken(request):
        raise ZeroDivisionError("a bug")

    server.app.on_sparql = broken
    with running(server):
        conn = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=30)
        conn.request("GET", "/sparql?" + urllib.parse.urlencode({"query": "ASK {}"}))
        response = conn.getresponse()
        assert response.status == 500 and response.will_close
        assert b"Traceback" not in response.read()
        conn.close()
    assert "ZeroDivisionError" in caplog.text


def test_idle_kept_alive_connections_do_not_keep_new_clients_waiting():
    """Every thread holds an idle kept-alive connection: a new client is served at once, not after the
    idle timeout (the idle connections are closed for it)."""
    import http.client

    server = make(Store(), port=0, timeout=5.0, threads=2, queue=4, header_timeout=30.0)
    with running(server):
        idle = []
        for _ in range(2):
            conn = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=30)
            conn.request("GET", "/sparql?" + urllib.parse.urlencode({"query": "ASK {}"}))
            response = conn.getresponse()
            assert response.status == 200 and not response.will_close
            response.read()
            idle.append(conn)
        start = time.monotonic()
        status, _, body = fetch(f"http://127.0.0.1:{server.server_port}/sparql?"
                                + urllib.parse.urlencode({"query": "ASK { akg:hch a akg:Concept }"}))
        assert status == 200 and "true" in body
        assert time.monotonic() - start < 5, "served without waiting for the 30 s idle timeout"
        for conn in idle:
            conn.close()


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
    with running(make(Store(), port=0, cors=True, host="0.0.0.0", exposed=True)) as server:
        status, headers, _ = fetch(f"http://127.0.0.1:{server.server_port}/queries", headers={"Host": "kg.example"})
        assert status == 200 and headers["Access-Control-Allow-Origin"] == "*"


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


# ---------------------------------------------------------------- hostile clients (#13.5)

@pytest.fixture(scope="module")
def strict():
    """A server with small limits, so slow clients and floods show within seconds."""
    server = make(Store(), port=0, timeout=2.0, limit=50, threads=3, queue=2, header_timeout=1.0, body_timeout=1.0,
                  cors=("http://friend.example",))
    with running(server):
        yield server


def _url(server, query="ASK { ?s ?p ?o }"):
    return f"http://127.0.0.1:{server.server_port}/sparql?" + urllib.parse.urlencode({"query": query})


def test_slow_clients_are_dropped_and_do_not_starve_others(strict):
    import socket

    slow = []
    for _ in range(8):  # more than threads + queue: the rest are refused at once
        s = socket.create_connection(("127.0.0.1", strict.server_port))
        s.sendall(b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHo")  # and never finishes its headers
        slow.append(s)
    start = time.monotonic()
    deadline = start + 10
    status = None
    while time.monotonic() < deadline:
        try:
            status = fetch(_url(strict))[0]
        except OSError:
            status = None
        if status == 200:
            break
        time.sleep(0.2)
    assert status == 200, "a normal client is served once the slow ones are dropped"
    assert time.monotonic() - start < 6
    for s in slow:  # every slow connection was closed by the server (EOF, or a 503 then EOF)
        s.settimeout(5)
        data = b""
        try:
            while chunk := s.recv(4096):
                data += chunk
        except OSError:
            pass
        assert data in (b"",) or data.startswith(b"HTTP/1.1 503") or data.startswith(b"HTTP/1.1 408"), data[:80]
        s.close()


def test_slow_body_is_cut(strict):
    import socket

    s = socket.create_connection(("127.0.0.1", strict.server_port))
    s.sendall(b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/sparql-query\r\n"
              b"Content-Length: 1000\r\n\r\nASK")
    s.settimeout(10)
    start = time.monotonic()
    try:
        while s.recv(4096):
            pass
    except OSError:
        pass
    assert time.monotonic() - start < 5, "the connection is closed once the body deadline passes"
    s.close()


@pytest.mark.parametrize("how", ["content-length", "chunked"])
def test_oversized_body_is_refused_while_read(strict, how):
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", strict.server_port, timeout=20)
    size = 5 << 20
    if how == "content-length":
        conn.putrequest("POST", "/sparql")
        conn.putheader("Content-Type", "application/sparql-query")
        conn.putheader("Content-Length", str(size))
        conn.endheaders()
        try:
            conn.send(b"#" * (256 << 10))  # the server answers without waiting for the rest
        except OSError:
            pass
    else:
        def body():
            for _ in range(size // (64 << 10)):
                yield b"#" * (64 << 10)

        try:
            conn.request("POST", "/sparql", body=body(), headers={"Content-Type": "application/sparql-query",
                                                                   "Transfer-Encoding": "chunked"},
                         encode_chunked=True)
        except OSError:
            pass
    response = conn.getresponse()
    assert response.status == 413
    conn.close()


def test_foreign_origin_is_refused_unless_named(strict):
    q = urllib.parse.urlencode({"query": "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f }"}).encode()
    base = f"http://127.0.0.1:{strict.server_port}"
    status, _, body = fetch(f"{base}/sparql", data=q, headers={"Origin": "http://evil.example"})
    assert status == 403 and "evil.example" in body and "--cors" in body
    status, _, _ = fetch(f"{base}/sparql", data=q, headers={"Origin": "null"})
    assert status == 403
    status, _, _ = fetch(_url(strict), headers={"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "no-cors"})
    assert status == 403
    status, headers, _ = fetch(_url(strict), headers={"Origin": "http://friend.example"})
    assert status == 200 and headers["Access-Control-Allow-Origin"] == "http://friend.example"
    status, headers, _ = fetch(_url(strict), headers={"Origin": base})
    assert status == 200 and "Access-Control-Allow-Origin" not in headers


@pytest.mark.parametrize("how", ["twice-in-url", "url-and-form", "url-and-body", "graph-uri", "named-param-twice"])
def test_repeated_protocol_parameters_are_refused(strict, how):
    base = f"http://127.0.0.1:{strict.server_port}"
    ask = "ASK { ?s ?p ?o }"
    if how == "twice-in-url":
        status, _, body = fetch(f"{base}/sparql?" + urllib.parse.urlencode([("query", ask), ("query", "ASK {}")]))
    elif how == "url-and-form":
        status, _, body = fetch(f"{base}/sparql?" + urllib.parse.urlencode({"query": ask}),
                                data=urllib.parse.urlencode({"query": "ASK {}"}).encode())
    elif how == "url-and-body":
        status, _, body = fetch(f"{base}/sparql?" + urllib.parse.urlencode({"query": ask}), data=b"ASK {}",
                                headers={"Content-Type": "application/sparql-query"})
    elif how == "graph-uri":
        status, _, body = fetch(f"{base}/sparql?" + urllib.parse.urlencode(
            [("query", ask), ("default-graph-uri", "urn:a"), ("default-graph-uri", "urn:b")]))
    else:
        status, _, body = fetch(f"{base}/query/direct-dependents?target=HCH&target=myopia")
    assert status == 400, (how, body)
    assert "Traceback" not in body


def test_parse_is_inside_the_timeout_and_outside_any_lock(strict):
    """A huge arithmetic expression is stopped at the timeout; a cheap ASK sent meanwhile is answered at once."""
    heavy = "SELECT (" + "+".join(["(1*2-3)"] * 12000) + " AS ?x) WHERE {}"
    result = {}

    def run_heavy():
        result["heavy"] = fetch(f"http://127.0.0.1:{strict.server_port}/sparql",
                                data=urllib.parse.urlencode({"query": heavy}).encode())

    t = threading.Thread(target=run_heavy)
    t.start()
    time.sleep(0.2)
    start = time.monotonic()
    assert fetch(_url(strict))[0] == 200
    assert time.monotonic() - start < 1.5
    t.join(30)
    # answered, stopped at the timeout, or refused (pyoxigraph's parser can overflow its stack on such
    # nesting: the worker dies, is replaced, and the client gets a 400 saying so)
    assert result["heavy"][0] in (200, 400, 503) and "Traceback" not in result["heavy"][2]


def _children(pid):
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = open(f"/proc/{entry}/stat").read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid and fields[0] != "Z":
                out.append(int(entry))
    return out


def _alive(pid):
    try:
        state = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="needs /proc")
@pytest.mark.parametrize("command", ["sparql", "serve"])
@pytest.mark.parametrize("signame", ["SIGTERM", "SIGKILL"])
def test_no_child_outlives_its_parent(tmp_path, command, signame):
    """Kill `alignkg sparql` (mid-query) or `alignkg serve` with SIGTERM or SIGKILL: no worker process is left."""
    import signal
    import subprocess
    import sys

    from conftest import ROOT, free_port

    heavy = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
    if command == "sparql":
        args = ["sparql", heavy, "--timeout", "120"]
    else:
        args = ["serve", "--port", str(free_port()), "--workers", "2"]
    proc = subprocess.Popen([sys.executable, str(ROOT / "cli.py"), *args], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env={**os.environ, "ALIGNKG_CACHE_DIR": str(tmp_path)})
    try:
        deadline = time.monotonic() + 60
        children = []
        while time.monotonic() < deadline and len(children) < (1 if command == "sparql" else 2):
            time.sleep(0.2)
            children = _children(proc.pid)
        assert children, "the worker processes started"
        time.sleep(0.5)  # the query is running
        proc.send_signal(getattr(signal, signame))
        proc.wait(10)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and any(_alive(c) for c in children):
            time.sleep(0.1)
        assert not any(_alive(c) for c in children), f"left behind: {[c for c in children if _alive(c)]}"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.parametrize("args, fragment", [
    (["--timeout", "nan"], "--timeout"), (["--timeout", "inf"], "--timeout"), (["--timeout", "-1"], "--timeout"),
    (["--timeout", "1e20"], "--timeout"), (["--host", "no-such-host.invalid"], "cannot resolve"),
    (["--port", "{busy}"], "in use"),
])
def test_serve_refuses_bad_options_before_serving(run_process, args, fragment):
    import socket

    from conftest import assert_clean_error

    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen(1)
    try:
        args = [a.replace("{busy}", str(busy.getsockname()[1])) for a in args]
        r = run_process("serve", *args)
        assert_clean_error(r, fragment)
        assert "serving" not in r.err
    finally:
        busy.close()


def _ask_kept(port, requests, after=lambda: None):
    """Each (query, Accept) over one kept-alive connection: [(status, headers but Date, body)], and the connection.

    ``after()`` is called after each answer."""
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    out = []
    for query, accept, *more in requests:
        headers = {"Accept": accept, **(more[0] if more else {})}
        conn.request("GET", "/sparql?" + urllib.parse.urlencode({"query": query}), headers=headers)
        response = conn.getresponse()
        out.append((response.status, [(k, v) for k, v in response.getheaders() if k != "Date"], response.read()))
        after()
    return out, conn


def test_a_worker_answering_a_lent_connection_answers_as_the_server_does():
    """The same requests on a kept-alive connection, answered by the query worker it is lent to (lanes) and by
    the server's own threads: the same statuses, headers and bytes, refusals and errors included."""
    json_, csv = "application/sparql-results+json", "text/csv"
    label = "SELECT ?l WHERE { akg:hch rdfs:label ?l }"
    requests = [
        (label, json_), (label, csv), (label, "text/tab-separated-values"), (label, "application/sparql-results+xml"),
        ("ASK { akg:hch a akg:Concept }", json_), ("ASK { akg:hch a akg:Concept }", "text/tab-separated-values"),
        ("CONSTRUCT { akg:hch ?p ?o } WHERE { akg:hch ?p ?o }", "text/turtle"),
        ("DESCRIBE akg:myopia", "application/n-triples"),
        ("CONSTRUCT { akg:hch ?p ?o } WHERE { akg:hch ?p ?o }", "application/ld+json"),
        ("SELECT * WHERE { ?s ?p ?o }", json_),  # cut at the limit
        ("SELECT * WHERE { ?s ?p ?o }", json_),  # again: from the cache
        ("SELECT ?x WHERE { ?x ?y }", json_),  # a syntax error
        ("SELECT * WHERE { SERVICE <http://example.org/> { ?s ?p ?o } }", json_),  # refused
        (label, "image/png"),  # nothing acceptable
        (label + " # é ü", json_),  # non-ASCII text
        ("SELECT ?o WHERE { akg:hch ?p ?o }", csv, {"Origin": "{origin}"}),  # the server's own page asks
    ]
    answers = {}
    for lanes in (True, False):
        with running(make(Store(), port=0, timeout=5.0, limit=50, lanes=lanes)) as server:
            origin = f"http://127.0.0.1:{server.server_port}"
            asked = [r[:2] + ({"Origin": origin},) if len(r) > 2 else r for r in requests]

            def lent():  # a connection a thread answered (a request given back) is lent again once idle
                deadline = time.monotonic() + 5
                while lanes and not server.app.pool._lent and time.monotonic() < deadline:
                    time.sleep(0.02)
                assert bool(server.app.pool._lent) is lanes, "the connection is lent to a worker with lanes only"

            answers[lanes], conn = _ask_kept(server.server_port, asked, lent)
            conn.close()
            # the server's own cache holds what its threads answered: with lanes, only what was given back
            threads = {(text, fmt) for text, _, fmt in server.app.cache.entries}
            assert ((label, "json") in threads) is not lanes
            assert ("SELECT ?o WHERE { akg:hch ?p ?o }", "csv") in threads
    assert [a[0] for a in answers[True]] == [200] * 11 + [400, 400, 406, 200, 200]
    assert ("X-Alignkg-Truncated", "results cut at 50") in answers[True][9][1]
    assert ("X-Alignkg-Cache", "hit") in answers[True][10][1]
    assert b"line 1" in answers[True][11][2] and b"SERVICE" in answers[True][12][2]
    for request, lane, thread in zip(requests, answers[True], answers[False]):
        assert lane == thread, request


def test_a_query_waiting_for_a_worker_takes_one_back_from_a_lent_connection():
    """The only worker holds a client's kept-alive connection: another client's query gets it back at once, and
    the first connection goes on, served by the server's threads."""
    ask = "ASK { akg:hch a akg:Concept }"
    with running(make(Store(), port=0, timeout=10.0, workers=1, header_timeout=30.0)) as server:
        first, conn = _ask_kept(server.server_port, [(ask, "application/sparql-results+json")])
        assert first[0][0] == 200 and server.app.pool._lent
        start = time.monotonic()
        status, _, body = fetch(_url(server, ask))
        assert status == 200 and json.loads(body)["boolean"] is True
        assert time.monotonic() - start < 5, "not kept waiting for the idle connection's 30 s"
        sock = conn.sock
        conn.request("GET", "/sparql?" + urllib.parse.urlencode({"query": ask}))
        response = conn.getresponse()
        assert response.status == 200 and json.loads(response.read())["boolean"] is True and conn.sock is sock
        conn.close()


def test_a_request_split_across_reads_is_answered_by_the_server():
    """A request head that arrives in two pieces is given back unread by the worker and answered all the same."""
    import socket

    with running(make(Store(), port=0, timeout=5.0)) as server:
        with socket.create_connection(("127.0.0.1", server.server_port), timeout=30) as sock:
            query = urllib.parse.quote("ASK { akg:hch a akg:Concept }")
            sock.sendall(f"GET /sparql?query={query} HTTP/1.1\r\nHost: 127.0.0.1\r\n".encode())
            time.sleep(0.3)
            sock.sendall(b"Accept: application/sparql-results+json\r\n\r\n")
            data = b""
            while b"true" not in data and b"false" not in data:
                chunk = sock.recv(65536)
                assert chunk, data
                data += chunk
        assert data.startswith(b"HTTP/1.1 200") and b'"boolean": true' in data.replace(b'"boolean":true', b'"boolean": true')


@pytest.mark.parametrize("head, answered", [
    (b"GET /sparql?query=ASK+%7B%7D HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: */*\r\n\r\n", True),
    (b"GET /sparql?query=ASK+%7B%7D HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n", True),
    (b"GET /sparql?query=ASK+%7B%7D HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n", False),  # HTTP/1.0 closes
    (b"HEAD /sparql?query=ASK+%7B%7D HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", False),
    (b"GET /sparql?query=ASK+%7B%7D&query=ASK+%7B%7D HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", False),  # twice: 400
    (b"GET /sparql?query=ASK+%7B%7D&default-graph-uri=urn:a HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", False),
    (b"GET /sparql?query= HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", False),
    (b"GET /sparql?query=%FF HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", False),  # not UTF-8
    (b"GET /sparql/?query=ASK+%7B%7D HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", False),
    (b"GET /sparql?query=ASK+%7B%7D HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: evil.example\r\n\r\n", False),
    (b"GET /sparql?query=ASK+%7B%7D HTTP/1.1\r\nHost: 127.0.0.1\r\nX-A: 1\r\n folded\r\n\r\n", False),
    (b"GET /sparql?query=ASK+%7B%7D HTTP/1.1\r\nHost : 127.0.0.1\r\n\r\n", False),
    (b"GET /sparql?query=ASK+%7B%7D HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\n\r\n", False),  # a body
    (b"GET /sparql?query=ASK+%7B%7D HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n", False),
    (b"GET /sparql?query=ASK+%7B%7D HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Close\r\n\r\n", False),
    ("GET /sparql?query=ASK+%7B%7D HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Name: é\r\n\r\n".encode(), False),
    # a line ended by LF or CR alone: Python's own parser ends a header there (smuggling, a hidden Origin)
    (b"GET /sparql?query=ASK+%7B%7D HTTP/1.1\r\nHost: 127.0.0.1\r\nX-A: a\nContent-Length: 5\r\n\r\n", False),
    (b"GET /sparql?query=ASK+%7B%7D HTTP/1.1\r\nHost: 127.0.0.1\r\nX-A: a\rOrigin: http://evil.example\r\n\r\n", False),
    (b"GET /sparql?query=ASK+%7B%7D HTTP/1.1\r\nHost: 127.0.0.1\r\nX-A: a\x00b\r\n\r\n", False),
])
def test_a_worker_takes_only_the_plainest_requests(head, answered):
    """What a query worker answers on a lent connection, and what it gives back for the server's threads to
    answer (or refuse) with their full HTTP parser."""
    from alignkg.lane import parse

    assert (parse(head) is not None) is answered


@pytest.mark.parametrize("host", [b"localhost:x", b"127.0.0.1:1@evil.example", b"127.0.0.1 evil", b"evil.example"])
def test_a_worker_never_accepts_a_host_the_server_refuses(host):
    """Host headers werkzeug reads as malformed or foreign get the server's 403 on a lent connection too."""
    import socket

    with running(make(Store(), port=0, timeout=5.0)) as server:
        with socket.create_connection(("127.0.0.1", server.server_port), timeout=30) as sock:
            time.sleep(0.2)  # lent to a worker
            sock.sendall(b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: " + host + b"\r\n\r\n")
            assert sock.recv(100).startswith(b"HTTP/1.1 403")


def _raw_get(query):
    return f"GET /sparql?query={urllib.parse.quote(query)} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()


def test_a_slow_reader_does_not_keep_the_only_worker():
    """A client that takes its answer a few bytes at a time holds its worker at most the timeout: the other
    clients' queries are answered soon after, and the cut client's connection is closed."""
    import socket

    with running(make(Store(), port=0, timeout=2.0, limit=1_000_000, workers=1)) as server:
        slow = socket.socket()
        slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
        slow.connect(("127.0.0.1", server.server_port))
        time.sleep(0.2)
        slow.sendall(_raw_get("SELECT * WHERE { ?s ?p ?o . ?a ?b ?c } LIMIT 7600"))  # about 3 MB, held whole
        assert slow.recv(200).startswith(b"HTTP/1.1 200")
        start = time.monotonic()
        statuses = [fetch(f"http://127.0.0.1:{server.server_port}/sparql", data=b"ASK { ?s ?p ?o }",
                          headers={"Content-Type": "application/sparql-query"})[0] for _ in range(3)]
        assert statuses[-1] == 200 and time.monotonic() - start < 10, statuses
        slow.close()


def test_a_client_that_reads_nothing_does_not_delay_another_clients_timeout():
    """One client pipelines a large answer and a slow query and never reads: another client's slow query on a
    lent connection still gets its 503 at its timeout (the server's watcher never waits on a client)."""
    import socket

    slow = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
    with running(make(Store(), port=0, timeout=1.5, limit=1_000_000, workers=2, cache_bytes=0)) as server:
        deaf = socket.socket()
        deaf.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
        deaf.connect(("127.0.0.1", server.server_port))
        time.sleep(0.2)
        deaf.sendall(_raw_get("SELECT * WHERE { ?s ?p ?o . ?a ?b ?c } LIMIT 3400") + _raw_get(slow))
        time.sleep(2.5)
        with socket.create_connection(("127.0.0.1", server.server_port), timeout=30) as other:
            time.sleep(0.2)
            start = time.monotonic()
            other.sendall(_raw_get(slow))
            assert other.recv(100).startswith(b"HTTP/1.1 503")
            assert time.monotonic() - start < 5
        deaf.close()
