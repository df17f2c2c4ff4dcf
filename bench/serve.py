"""Requests per second of `alignkg serve` against `oxigraph serve-read-only` on the same data.

Both servers run on 127.0.0.1 in the same run; each is asked the same small SELECT and ASK
queries (SPARQL results JSON), first by one client, then by four concurrent clients (separate
processes, each with one keep-alive connection), for a fixed time: "distinct" makes every
request's text new (no answer can come from alignkg's answer cache), "repeated" cycles through
three texts. Printed: requests per second of each server and the ratio oxigraph / alignkg
(the target is at most 3), and each server's CPU time per request (all its processes: alignkg's
query workers included), which a busy machine disturbs less than the rates.

    python bench/serve.py [--seconds 5] [--data FILE ...]     # e.g. --data /work/bench/g1000000.nt

``figures(data, seconds)`` returns the printed lines (bench/scale.py calls it). With
ALIGNKG_CACHE_DIR set, alignkg's store comes from (or goes to) that cache, so a 1M-triple graph
loaded once is not loaded again; otherwise a temporary cache is used and removed.

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
    "SELECT ?p ?o WHERE { <https://w3id.org/alignkg#hch> ?p ?o }",
]  # small at any size of graph: each touches a few triples of the shipped ontology


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
    """Requests answered per second by ``clients`` concurrent clients over ``seconds``."""
    return _count(port, path, clients, seconds, distinct) / seconds


def _count(port: int, path: str, clients: int, seconds: float, distinct: bool) -> int:
    out = multiprocessing.Queue()
    procs = [multiprocessing.Process(target=client, args=(port, path, seconds, distinct, out))
             for _ in range(clients)]
    for p in procs:
        p.start()
    total = sum(out.get() for _ in procs)
    for p in procs:
        p.join()
    return total


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of process ``pid`` and of its live children (Linux /proc; 0.0 elsewhere).

    >>> cpu_seconds(os.getpid()) >= 0.0
    True
    """
    def own(p):
        try:
            fields = open(f"/proc/{p}/stat").read().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    total = own(pid)
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return total
    for task in tasks:
        try:
            children = open(f"/proc/{pid}/task/{task}/children").read().split()
        except OSError:
            continue
        total += sum(own(int(c)) for c in children)
    return total


def measure(port: int, path: str, pid: int, clients: int, seconds: float, distinct: bool) -> tuple[float, float]:
    """Requests per second, and the server's CPU microseconds per request (its children included)."""
    before = cpu_seconds(pid)
    n = _count(port, path, clients, seconds, distinct)
    return n / seconds, (cpu_seconds(pid) - before) / max(n, 1) * 1e6


def figures(data: list[str], seconds: float = 5.0, workers: int = 4, ratios: dict | None = None) -> list[str]:
    """Measure both servers on the shipped graph plus ``data`` (files); the lines to print.

    ``ratios``, when given, receives ``(queries, clients) -> oxigraph req/s / alignkg req/s``.

    Each figure: requests per second of ``oxigraph serve-read-only`` and of ``alignkg serve``, their
    ratio (target: at most 3), and CPU microseconds per request of each, for distinct and repeated
    query texts, with 1 and 4 concurrent clients.
    """
    oxigraph = shutil.which("oxigraph") or str(Path(sys.executable).parent / "oxigraph")
    work = Path(tempfile.mkdtemp(prefix="alignkg-bench-serve-"))
    args = [x for d in data for x in ("--data", str(d))]
    env = {**os.environ, "ALIGNKG_CACHE_DIR": os.environ.get("ALIGNKG_CACHE_DIR") or str(work / "cache")}
    cli = [sys.executable, str(ROOT / "cli.py")]
    servers = []
    try:
        nt = work / "graph.nt"
        with open(nt, "w", encoding="utf-8") as fh:  # the very triples alignkg serves (entailments included)
            subprocess.run([*cli, "export", "--format", "nt", *args], stdout=fh, check=True, env=env)
        subprocess.run([oxigraph, "load", "--location", str(work / "ox"), "--file", str(nt)], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with open(nt, "rb") as fh:
            triples = sum(1 for _ in fh)
        nt.unlink()
        ox_port, ak_port = free_port(), free_port()
        servers = [
            subprocess.Popen([oxigraph, "serve-read-only", "--location", str(work / "ox"), "--bind",
                              f"127.0.0.1:{ox_port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
            subprocess.Popen([*cli, "serve", "--port", str(ak_port), "--workers", str(workers), *args],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env),
        ]
        wait_up(ox_port, "/query")
        wait_up(ak_port, "/sparql", seconds=600)
        lines = [f"serve benchmark: {triples} triples, {seconds:g} s per measure, alignkg --workers {workers}, "
                 f"{os.cpu_count()} CPUs",
                 f"{'queries':>9} {'clients':>8} {'oxigraph req/s':>15} {'alignkg req/s':>14} {'ratio':>7} "
                 f"{'oxigraph cpu us/req':>20} {'alignkg cpu us/req':>19} {'cpu ratio':>10}"]
        for distinct in (True, False):
            for clients in (1, 4):
                rate(ak_port, "/sparql", clients, 1.0, distinct)  # warm up both
                rate(ox_port, "/query", clients, 1.0, distinct)
                ox, ox_cpu = measure(ox_port, "/query", servers[0].pid, clients, seconds, distinct)
                ak, ak_cpu = measure(ak_port, "/sparql", servers[1].pid, clients, seconds, distinct)
                label = "distinct" if distinct else "repeated"
                if ratios is not None:
                    ratios[label, clients] = ox / ak
                cpu_ratio = f"{ak_cpu / ox_cpu:>9.2f}x" if ox_cpu else f"{'-':>10}"
                lines.append(f"{label:>9} {clients:>8} {ox:>15.0f} {ak:>14.0f} {ox / ak:>6.2f}x "
                             f"{ox_cpu:>20.0f} {ak_cpu:>19.0f} {cpu_ratio}")
        return lines
    finally:
        for s in servers:
            s.terminate()
            s.wait(10)
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--data", action="append", default=[])
    parser.add_argument("--workers", type=int, default=4, help="alignkg serve --workers")
    args = parser.parse_args()
    for line in figures(args.data, args.seconds, args.workers):
        print(line, flush=True)


if __name__ == "__main__":
    main()
