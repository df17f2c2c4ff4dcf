"""Every gallery query through alignkg's query layer against the same query in bare pyoxigraph.

Both run on the same on-disk pyoxigraph store holding the shipped graph plus ``--data``
(alignkg's own store: ``Store.ox_path`` once the store has one, else the bridge of
:mod:`alignkg.sparql`). For each gallery query, with its default parameters bound:

- ``pyoxigraph``: ``Store.query`` of the bound text in this process, every solution read and
  written as SPARQL results JSON (``QuerySolutions.serialize``), warm (best of 2);
- ``alignkg``: :func:`alignkg.sparql.open_stream` (check, bind, a worker process of the pool,
  parse, evaluate, JSON streamed back), warm (best of 2);
- the ratio, whose target is at most 1.5.

    python bench/gallery.py [--data FILE ...]

With ``--whole`` it prints :func:`figures` instead: every gallery query as whole processes,
``alignkg query NAME --format json --data ...`` (warm cache) against a fresh Python that opens
the same store read-only with pyoxigraph, runs the same bound text and writes the answer as
SPARQL results JSON (``bench/scale.py``'s ``OX_QUERY``); ``bench/scale.py`` prints these lines.
alignkg's modules are compiled to bytecode first, as installing a package does (pyoxigraph's
are): with ``PYTHONDONTWRITEBYTECODE`` set, a source checkout would otherwise compile every
module it imports on every run, 30 to 40 ms that no installed copy pays.

A benchmark, not a test: it prints, it does not assert.
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLI = [sys.executable, str(ROOT / "cli.py")]
#: a fresh pyoxigraph process: open the store read-only, run the query, write SPARQL results JSON
OX_QUERY = ("import json, sys, pyoxigraph as ox; s = ox.Store.read_only(sys.argv[1]); "
            "r = s.query(open(sys.argv[2], encoding='utf-8').read(), prefixes=json.loads(sys.argv[3])); "
            "sys.stdout.buffer.write(r.serialize(format=ox.QueryResultsFormat.JSON))")


def best(fn, runs=2):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def _process(argv, env=None) -> tuple:
    """Run one child process to its end: (wall seconds, CPU seconds of it and its children, exit code)."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    return time.perf_counter() - start, usage.ru_utime + usage.ru_stime, os.waitstatus_to_exitcode(status)


def _compiled() -> None:
    """Write the bytecode of alignkg's modules, as installing it does (quietly; an error is left to the runs)."""
    import compileall

    import alignkg

    compileall.compile_dir(str(Path(alignkg.__file__).resolve().parent), quiet=2)


def figures(data: list[str], runs: int = 3, timeout: float = 30.0, env: dict | None = None,
            ratios: dict | None = None) -> list[str]:
    """Every gallery query, warm, as whole processes: alignkg against bare pyoxigraph; printable lines.

    For each query (default parameters): the median wall time of ``alignkg query NAME --format
    json --data ...`` (after one run that fills the cache and the page cache; at least 9 runs
    for a query that takes pyoxigraph under half a second), the median wall
    time of a fresh Python that opens alignkg's store read-only with pyoxigraph, runs the same
    bound query text and writes SPARQL results JSON (the two interleaved), their ratio (target:
    at most 1.5), whether every alignkg run finished inside ``timeout`` seconds (``--timeout``,
    the default 30 s), and the CPU times (user + system, children included) with their ratio,
    steadier than wall time on a shared machine.

    Parameters
    ----------
    data : list of str
        The ``--data`` files (none: the shipped graph alone).
    runs : int
        Runs of each side (at least 9 for a query under half a second); the median is printed.
    timeout : float
        The query timeout passed to alignkg, in seconds.
    env : dict, optional
        The environment to measure in (``ALIGNKG_CACHE_DIR`` above all, as ``bench/scale.py``
        keeps one cache per size); this process's own by default.
    ratios : dict, optional
        Receives ``name -> (wall ratio, inside the timeout, alignkg seconds, pyoxigraph seconds)``.

    Returns
    -------
    list of str
        A header, one line per query, and the worst ratio.

    Examples
    --------
    >>> lines = figures([], runs=1)  # doctest: +SKIP
    >>> lines[0].split()[:2]  # doctest: +SKIP
    ['gallery', 'query']
    """
    if env is not None:  # this process opens the store too (the bound texts, the store's path)
        saved = dict(os.environ)
        os.environ.clear()
        os.environ.update(env)
        try:
            return figures(data, runs, timeout, ratios=ratios)
        finally:
            os.environ.clear()
            os.environ.update(saved)
    import json
    import statistics

    from alignkg import sparql as sq
    from alignkg.namespace import PREFIXES
    from alignkg.queries import bindings, catalogue
    from alignkg.store import Store

    data_args = [a for path in data for a in ("--data", str(path))]
    _compiled()
    store = Store([str(path) for path in data])
    path = str(store.ox_path)
    prefixes = json.dumps({p: str(ns) for p, ns in PREFIXES.items()})
    lines = [f"{'gallery query':34} {'alignkg s':>10} {'pyoxigraph s':>13} {'ratio':>7}  inside {timeout:g} s"
             f"  (warm, whole process, median of {runs}, of 9 under 0.5 s; target 1.5x)"]
    worst = worst_cpu = 0.0
    with tempfile.TemporaryDirectory(prefix="alignkg-gallery-") as work:
        for name, q in catalogue().items():
            qfile = Path(work) / f"{name}.rq"
            qfile.write_text(sq.bind(q.text, bindings(store, q, [])), encoding="utf-8")
            ours = [*CLI, "query", name, "--format", "json", "--timeout", f"{timeout:g}", *data_args]
            theirs = [sys.executable, "-c", OX_QUERY, path, str(qfile), prefixes]
            _process(ours)  # warm: the cache entry and the page cache
            first = _process(theirs)[0]
            a, b = [], []
            # interleaved, so that the machine's other load falls on both sides; a query of well under a
            # second, whose ratio a scheduling hiccup of a few ms moves, gets more runs
            for _ in range(runs if first >= 0.5 else max(runs, 9)):
                a.append(_process(ours))
                b.append(_process(theirs))
            t_ak, t_ox = statistics.median(r[0] for r in a), statistics.median(r[0] for r in b)
            c_ak, c_ox = statistics.median(r[1] for r in a), statistics.median(r[1] for r in b)
            inside = all(r[2] == 0 for r in a) and max(r[0] for r in a) <= timeout
            ratio = t_ak / t_ox if t_ox else float("inf")
            worst = max(worst, ratio)
            if ratios is not None:
                ratios[name] = (ratio, inside, t_ak, t_ox)
            worst_cpu = max(worst_cpu, c_ak / c_ox if c_ox else float("inf"))
            lines.append(f"{name:34} {t_ak:10.2f} {t_ox:13.2f} {ratio:6.2f}x  {'yes' if inside else 'NO':4}"
                         f"  cpu {c_ak:6.2f} s vs {c_ox:6.2f} s {c_ak / c_ox if c_ox else float('inf'):6.2f}x"
                         + ("" if all(r[2] == 0 for r in a) else f"  (exits {[r[2] for r in a]})"))
    lines.append(f"worst gallery ratio: {worst:.2f}x wall, {worst_cpu:.2f}x cpu (target: 1.5x)")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", action="append", default=[])
    parser.add_argument("--bulk", action="store_true",
                        help="build the store with pyoxigraph's bulk loader from the shipped graph's N-Triples "
                             "and the --data files (no rdflib load; the data files' own triples only, no "
                             "entailment of them): for graphs too big for the rdflib bridge")
    parser.add_argument("--whole", action="store_true", help="whole processes, warm (see figures)")
    args = parser.parse_args()
    if args.whole:
        for line in figures(args.data):
            print(line, flush=True)
        return

    import pyoxigraph as ox

    from alignkg import sparql as sq
    from alignkg.namespace import PREFIXES
    from alignkg.queries import bindings, catalogue
    from alignkg.store import Store

    start = time.perf_counter()
    store = Store(() if args.bulk else args.data)
    if args.bulk:
        import tempfile

        from alignkg.export import to_ntriples

        directory = tempfile.mkdtemp(prefix="alignkg-bench-gallery-")
        built = ox.Store(directory)
        built.bulk_load(to_ntriples(store.rdf).encode("utf-8"), ox.RdfFormat.N_TRIPLES)
        for path in args.data:
            built.bulk_load(path=path, format=ox.RdfFormat.N_TRIPLES)
        built.flush()
        del built

        class Bulk:  # names resolve on the shipped graph; queries run on the bulk-loaded store
            ox_path, nx, key = directory, store.nx, None

        store = Bulk()
    directory = sq._store_dir(store)
    print(f"store ready in {time.perf_counter() - start:.1f} s: {directory}")
    pool = sq.new_pool(store, 1)
    bare = ox.Store.read_only(directory)
    prefixes = {p: str(ns) for p, ns in PREFIXES.items()}
    print(f"{'query':32} {'rows':>6} {'pyoxigraph s':>13} {'alignkg s':>10} {'ratio':>7}")
    worst = 0.0
    for name, q in catalogue().items():
        bound = bindings(store, q, [])
        text = sq.bind(q.text, bound)

        def baseline():
            out = io.BytesIO()
            bare.query(text, prefixes=prefixes).serialize(out, ox.QueryResultsFormat.JSON)
            return out.getvalue()

        def ours():
            return sq.open_stream(store, q.text, bound, fmt="json", timeout=None, pool=pool).read()

        rows = len(__import__("json").loads(ours())["results"]["bindings"])
        t_ox, t_ak = best(baseline), best(ours)
        worst = max(worst, t_ak / t_ox)
        print(f"{name:32} {rows:>6} {t_ox:>13.4f} {t_ak:>10.4f} {t_ak / t_ox:>6.2f}x")
    print(f"worst ratio: {worst:.2f}x")
    pool.close()


if __name__ == "__main__":
    main()
