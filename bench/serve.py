"""Requests per second of `alignkg serve` against `oxigraph serve-read-only` on the same data.

Both servers run on 127.0.0.1 in the same run; each is asked the same small SELECT and ASK
queries (SPARQL results JSON), first by one client, then by four concurrent clients (separate
processes, each with one keep-alive connection), for a fixed time: "distinct" makes every
request's text new (no answer can come from alignkg's answer cache), "repeated" cycles through
three texts. Printed: requests per second of each server and the ratio oxigraph / alignkg
(the target is at most 3).

    python bench/serve.py [--seconds 5] [--data FILE ...]

It is a benchmark, not a test: the figures depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUERIES = [
    "ASK { <https://w3id.org/alignkg#hch> a <https://w3id.org/alignkg#Concept> }",
    "SELECT ?l WHERE { <https://w3id.org/alignkg#microscope-ai> <http://www.w3.org/2000/01/rdf-schema#label> ?l }",
    "SELECT (COUNT(?e) AS ?n) WHERE { ?e a <https://w3id.org/alignkg#Evaluation> ; "
    "<https://w3id.org/alignkg#evaluates> ?p }",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_up(port: int, path: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", path + "?" + urllib.parse.urlencode({"query": "ASK {}"}))
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"no server on port {port} after {seconds} s")


def client(port: int, path: str, seconds: float, distinct: bool, out) -> None:
    """Ask the queries in turn over one keep-alive connection; put the number answered on ``out``.

    ``distinct``: every request's text is new (a numbered comment), so no answer can come from a cache.
    """
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    urls = [path + "?" + urllib.parse.urlencode({"query": q}) for q in QUERIES]
    headers = {"Accept": "application/sparql-results+json"}
    n, stop = 0, time.monotonic() + seconds
    tag = f"{os.getpid()}-{time.monotonic_ns()}"
    while time.monotonic() < stop:
        if distinct:
            url = path + "?" + urllib.parse.urlencode({"query": f"# {tag}-{n}\n{QUERIES[n % len(QUERIES)]}"})
        else:
            url = urls[n % len(urls)]
        conn.request("GET", url, headers=headers)
        response = conn.getresponse()
        body = response.read()
        if response.status != 200 or not body:
            raise SystemExit(f"bad answer {response.status}: {body[:200]!r}")
        n += 1
    out.put(n)


def rate(port: int, path: str, clients: int, seconds: float, distinct: bool = False) -> float:
    out = multiprocessing.Queue()
    procs = [multiprocessing.Process(target=client, args=(port, path, seconds, distinct, out))
             for _ in range(clients)]
    for p in procs:
        p.start()
    total = sum(out.get() for _ in procs)
    for p in procs:
        p.join()
    return total / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--data", action="append", default=[])
    parser.add_argument("--workers", type=int, default=4, help="alignkg serve --workers")
    args = parser.parse_args()

    oxigraph = shutil.which("oxigraph") or str(Path(sys.executable).parent / "oxigraph")
    work = Path(tempfile.mkdtemp(prefix="alignkg-bench-serve-"))
    data = [x for d in args.data for x in ("--data", d)]
    env = {**os.environ, "ALIGNKG_CACHE_DIR": str(work / "cache")}
    cli = [sys.executable, str(ROOT / "cli.py")]
    nt = work / "graph.nt"
    with open(nt, "w", encoding="utf-8") as fh:  # the very triples alignkg serves (entailments included)
        subprocess.run([*cli, "export", "--format", "nt", *data], stdout=fh, check=True, env=env)
    subprocess.run([oxigraph, "load", "--location", str(work / "ox"), "--file", str(nt)], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    triples = sum(1 for _ in open(nt, encoding="utf-8"))

    ox_port, ak_port = free_port(), free_port()
    servers = [
        subprocess.Popen([oxigraph, "serve-read-only", "--location", str(work / "ox"), "--bind",
                          f"127.0.0.1:{ox_port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
        subprocess.Popen([*cli, "serve", "--port", str(ak_port), "--workers", str(args.workers), *data],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env),
    ]
    try:
        wait_up(ox_port, "/query")
        wait_up(ak_port, "/sparql")
        print(f"serve benchmark: {triples} triples, {args.seconds:g} s per measure, "
              f"alignkg --workers {args.workers}, {os.cpu_count()} CPUs")
        print(f"{'queries':>9} {'clients':>8} {'oxigraph req/s':>15} {'alignkg req/s':>14} {'ratio':>7}")
        for distinct in (True, False):
            for clients in (1, 4):
                rate(ak_port, "/sparql", clients, 1.0, distinct)  # warm up both
                rate(ox_port, "/query", clients, 1.0, distinct)
                ox = rate(ox_port, "/query", clients, args.seconds, distinct)
                ak = rate(ak_port, "/sparql", clients, args.seconds, distinct)
                label = "distinct" if distinct else "repeated"
                print(f"{label:>9} {clients:>8} {ox:>15.0f} {ak:>14.0f} {ox / ak:>6.2f}x")
    finally:
        for s in servers:
            s.terminate()
            s.wait(10)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
