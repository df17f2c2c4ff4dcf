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

A benchmark, not a test. Whole-process figures (CLI start-up, store opening) are in
``bench/scale.py``.
"""

from __future__ import annotations

import argparse
import io
import time


def best(fn, runs=2):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", action="append", default=[])
    parser.add_argument("--bulk", action="store_true",
                        help="build the store with pyoxigraph's bulk loader from the shipped graph's N-Triples "
                             "and the --data files (no rdflib load; the data files' own triples only, no "
                             "entailment of them): for graphs too big for the rdflib bridge")
    args = parser.parse_args()

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
