"""Scale benchmark: alignkg on generated user graphs against pyoxigraph, measured in the same run.

For each size (10k, 100k and 1M triples by default) a seeded graph that follows
the project's schema (bench/synth.py) is written as N-Triples and passed with
``--data``. Every figure is a whole child process (wall time, CPU time, peak
RSS from ``wait4``) and is printed with its ratio to the pyoxigraph baseline:

- first load, cold cache (``alignkg list criteria --data g.nt``) vs
  ``pyoxigraph.Store(dir).bulk_load(path=g.nt)``, and the peak memory of both;
- warm ``depends-on myopia --format json --data g.nt`` (median of 3) vs a
  transitive dependents query in pyoxigraph over the same data (store opened
  read-only, the query run, the answer serialised as JSON);
- warm ``sparql`` of a gallery query vs the same query text in pyoxigraph over
  alignkg's own store (``Store.ox_path``, so both see the same triples);
- growth: cold-load microseconds per triple at each size;
- at the largest size, ``serve`` against ``oxigraph serve-read-only``
  (bench/serve.py) and every gallery query against the same query in
  pyoxigraph, inside its timeout (bench/gallery.py);
- last, the issue's targets and whether this run met them.

Not a test: it prints, it does not assert.

    python bench/scale.py [--sizes 10000,100000,1000000] [--quick] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import synth  # noqa: E402

CLI = [sys.executable, str(ROOT / "cli.py")]
GALLERY_QUERY = "shared-assumptions"
DEPENDENTS = """PREFIX akg: <https://w3id.org/alignkg#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT DISTINCT ?p WHERE {
  ?p a akg:Proposal ; ((akg:qualifiedRelation/akg:target)|skos:broader)+ akg:myopia .
}"""


class Run:
    """One child process: wall seconds, CPU seconds (user + system), peak RSS in MB, exit code."""

    def __init__(self, argv, env=None, cwd=ROOT):
        start = time.perf_counter()
        proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        out = proc.stdout.read()
        err = proc.stderr.read()
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        self.wall = time.perf_counter() - start
        self.cpu = usage.ru_utime + usage.ru_stime
        self.rss = usage.ru_maxrss / 1024
        self.code, self.out, self.err = proc.returncode, out, err

    def __str__(self):
        return f"{self.wall:7.2f} s wall {self.cpu:7.2f} s cpu {self.rss:7.0f} MB"


def py(code: str, *args) -> list:
    return [sys.executable, "-c", code, *map(str, args)]


OX_LOAD = ("import sys, pyoxigraph as ox; s = ox.Store(sys.argv[1]); "
           "s.bulk_load(path=sys.argv[2], format=ox.RdfFormat.N_TRIPLES)")
OX_QUERY = ("import sys, pyoxigraph as ox; s = ox.Store.read_only(sys.argv[1]); "
            "r = s.query(open(sys.argv[2]).read(), prefixes={'akg': 'https://w3id.org/alignkg#', "
            "'rdfs': 'http://www.w3.org/2000/01/rdf-schema#', 'skos': 'http://www.w3.org/2004/02/skos/core#'}); "
            "sys.stdout.buffer.write(r.serialize(format=ox.QueryResultsFormat.JSON))")


def ratio(a: float, b: float) -> str:
    return f"{a / b:6.2f}x" if b else "   n/a"


def store_path(env, graph) -> str:
    """The directory of alignkg's store for ``graph`` (the cache is warm: nothing is built)."""
    code = ("import sys; from alignkg.store import Store; "
            "print(Store(data=[sys.argv[1]]).ox_path)")
    return subprocess.run(py(code, graph), env=env, cwd=ROOT, capture_output=True, text=True,
                          check=True).stdout.strip()


def gallery_query_text(name: str) -> str:
    from alignkg import QUERIES_DIR

    text = (QUERIES_DIR / f"{name}.rq").read_text()
    return text.replace("?min)", "2)").replace("GROUP BY ?assumption ?label ?min", "GROUP BY ?assumption ?label")


def serve_figures(graph: Path, env: dict) -> list[str]:
    """Requests per second of ``alignkg serve`` vs ``oxigraph serve-read-only`` on ``graph`` (bench/serve.py)."""
    import serve

    ratios = {}
    saved = os.environ.get("ALIGNKG_CACHE_DIR")
    os.environ["ALIGNKG_CACHE_DIR"] = env["ALIGNKG_CACHE_DIR"]  # the store built above: opened, not rebuilt
    try:
        lines = serve.figures([str(graph)], seconds=5.0, ratios=ratios)
    finally:
        if saved is None:
            os.environ.pop("ALIGNKG_CACHE_DIR", None)
        else:
            os.environ["ALIGNKG_CACHE_DIR"] = saved
    for (queries, clients), value in sorted(ratios.items()):
        TARGETS.add(f"serve, {queries} texts, {clients} client{'s' if clients > 1 else ''}", f"{value:.2f}x",
                    "<= 3x", value <= 3)
    return lines


def gallery_figures(graph: Path, env: dict) -> list[str]:
    """Every gallery query, warm, against the same query in pyoxigraph (bench/gallery.py)."""
    import gallery

    ratios = {}
    lines = gallery.figures([str(graph)], env=env, ratios=ratios)
    if ratios:
        late = [name for name, (_, inside, _, _) in ratios.items() if not inside]
        TARGETS.add("gallery queries inside the 30 s timeout", f"{len(ratios) - len(late)} of {len(ratios)}",
                    "all", not late)
        name, (worst, _, t_ak, t_ox) = max(ratios.items(), key=lambda item: item[1][0])
        TARGETS.add(f"warm gallery queries: worst ({name})", f"{worst:.2f}x", "<= 1.5x", worst <= 1.5)
        heavy = {n: r for n, r in ratios.items() if r[3] >= 1.0}  # the engine's own time is a second or more
        if heavy:
            name, (worst, _, _, _) = max(heavy.items(), key=lambda item: item[1][0])
            TARGETS.add(f"  of those taking pyoxigraph >= 1 s ({name})", f"{worst:.2f}x", "<= 1.5x", worst <= 1.5)
    return lines


class Targets:
    """The issue's targets and whether this run met them, printed at the end."""

    def __init__(self):
        self.rows = []

    def add(self, what: str, figure: str, target: str, met: bool) -> None:
        self.rows.append((what, figure, target, "met" if met else "NOT MET"))

    def print(self) -> None:
        if not self.rows:
            return
        width = max(len(r[0]) for r in self.rows)
        print("\ntargets (issue #11, item 2):")
        for what, figure, target, verdict in self.rows:
            print(f"  {what:{width}s}  {figure:>22s}  target {target:14s} {verdict}")


TARGETS = Targets()


def measure(size: int, work: Path, full: bool) -> dict:
    graph = work / f"g{size}.nt"
    if not graph.exists():
        synth.write(size, str(graph))
    triples = sum(1 for _ in open(graph, "rb"))
    cache = work / f"cache-{size}"
    env = {**os.environ, "ALIGNKG_CACHE_DIR": str(cache)}
    subprocess.run(["rm", "-rf", str(cache)], check=True)
    ox_dir = work / f"ox-{size}"
    subprocess.run(["rm", "-rf", str(ox_dir)], check=True)

    base = Run(py(OX_LOAD, ox_dir, graph))
    cold = Run([*CLI, "list", "criteria", "--format", "json", "--data", str(graph)], env=env)
    assert cold.code == 0, cold.err.decode()
    os.sync()  # the first load's writes reach the disk now, not during the warm runs measured next
    warm = [Run([*CLI, "depends-on", "myopia", "--format", "json", "--data", str(graph)], env=env) for _ in range(3)]
    warm_med = statistics.median(w.wall for w in warm)
    answers = len(json.loads(warm[0].out)["results"]) if warm[0].code == 0 else None
    qfile = work / "dependents.rq"
    qfile.write_text(DEPENDENTS)
    ox_dep = Run(py(OX_QUERY, ox_dir, qfile))

    path = store_path(env, graph)
    gq = work / f"{GALLERY_QUERY}.rq"
    gq.write_text(gallery_query_text(GALLERY_QUERY))
    sparql = [Run([*CLI, "sparql", "--file", str(gq), "--format", "json", "--data", str(graph)], env=env)
              for _ in range(2)]
    sparql_med = statistics.median(s.wall for s in sparql)
    ox_sparql = [Run(py(OX_QUERY, path, gq)) for _ in range(2)]
    ox_sparql_med = statistics.median(s.wall for s in ox_sparql)

    print(f"\n== {triples:,} triples ({graph.stat().st_size / 1e6:.0f} MB N-Triples)")
    print(f"pyoxigraph bulk load             {base}")
    print(f"alignkg first load (cold cache)  {cold}   wall {ratio(cold.wall, base.wall)}  "
          f"cpu {ratio(cold.cpu, base.cpu)}  memory {ratio(cold.rss, base.rss)}  (targets: 3x, 2x memory)")
    print(f"warm depends-on myopia --json    {warm_med:7.2f} s wall (median of 3, {answers} proposals, "
          f"{warm[0].rss:.0f} MB)   vs pyoxigraph transitive query {ox_dep.wall:.2f} s: "
          f"{ratio(warm_med, ox_dep.wall)}  (targets: <= 1 s and <= 1x)")
    print(f"warm sparql {GALLERY_QUERY:20s} {sparql_med:7.2f} s wall (exit {sparql[0].code})   "
          f"vs pyoxigraph same query {ox_sparql_med:.2f} s: {ratio(sparql_med, ox_sparql_med)}  (target: 1.5x)")
    result = {"triples": triples, "cold": cold.wall, "cold_cpu": cold.cpu, "base": base.wall}
    if full:  # the largest size: every figure of the issue
        TARGETS.add(f"first load at {triples:,}", f"{cold.wall / base.wall:.2f}x", "<= 3x", cold.wall <= 3 * base.wall)
        TARGETS.add("peak memory of the first load", f"{cold.rss / base.rss:.2f}x", "<= 2x", cold.rss <= 2 * base.rss)
        TARGETS.add("warm depends-on, whole process", f"{warm_med:.2f} s", "<= 1 s", warm_med <= 1.0)
        TARGETS.add("warm depends-on vs pyoxigraph", f"{warm_med / ox_dep.wall:.2f}x", "<= 1x",
                    warm_med <= ox_dep.wall)
        TARGETS.add(f"warm sparql {GALLERY_QUERY}", f"{sparql_med / ox_sparql_med:.2f}x", "<= 1.5x",
                    sparql_med <= 1.5 * ox_sparql_med)
        print("serve (bench/serve.py):")
        for line in serve_figures(graph, env):
            print("  " + line)
        print("gallery (bench/gallery.py):")
        for line in gallery_figures(graph, env):
            print("  " + line)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--quick", action="store_true",
                        help="skip the serve and gallery figures and the target table at the largest size")
    parser.add_argument("--keep", metavar="DIR", help="keep the generated graphs and caches in DIR")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="alignkg-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        results = [measure(size, work, size == max(sizes) and not args.quick) for size in sizes]
    finally:
        if not args.keep:
            subprocess.run(["rm", "-rf", str(work)])
    print("\ngrowth (first load per triple; linear means flat or falling, as pyoxigraph's own):")
    for r in results:
        print(f"  {r['triples']:>10,} triples  alignkg {r['cold'] / r['triples'] * 1e6:6.1f} us wall "
              f"{r['cold_cpu'] / r['triples'] * 1e6:6.1f} us cpu   pyoxigraph {r['base'] / r['triples'] * 1e6:6.1f} us")
    if len(results) > 1:  # pyoxigraph's own cost per triple grows with the store: judge against it
        per = [r["cold"] / r["base"] for r in results]
        worst = max(b / a for a, b in zip(per, per[1:]))
        TARGETS.add("growth of the first load's ratio, size to size", f"{worst:.2f}x", "<= 1.25x", worst <= 1.25)
    TARGETS.print()


if __name__ == "__main__":
    main()
