"""Map benchmark: time for headless Chromium to load a map and stabilise it.

Measured in one browser session, against a baseline of a blank page with the
same vis-network script (so script parsing is in the baseline), the ratio
being what to watch:

- the full shipped map (physics runs, then stops; target: at most 2 s),
- a synthetic 5,000-node graph (large-graph mode: precomputed layout, no physics).

"Ready" is when the page sets body[data-ready="1"] after its first full draw.
Needs Playwright and a system Chromium. Prints; asserts nothing.

    python bench/map_render.py [--runs N]
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from alignkg.render import map_data, page  # noqa: E402
from alignkg.store import Store  # noqa: E402


def synthetic(n_nodes=5000, n_edges=7500, seed=1):
    """A random graph shaped like the real one (kinds, typed edges, sections)."""
    import networkx as nx

    rng = random.Random(seed)
    kinds = ["proposal", "technique", "concept", "assumption", "failure-mode"]
    G = nx.MultiDiGraph()
    for i in range(n_nodes):
        G.add_node(f"n{i}", label=f"node {i}", kind=rng.choice(kinds), definition="synthetic", sections=[],
                   short=f"ex:n{i}")
    for _ in range(n_edges):
        u, v = rng.sample(range(n_nodes), 2)
        G.add_edge(f"n{u}", f"n{v}", key="requires", relation="requires", relation_label="requires",
                   dependency=True, sections=[])
    return G


def time_ready(browser, path: Path) -> float:
    pg = browser.new_page(viewport={"width": 1300, "height": 850})
    pg.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort())
    start = time.perf_counter()
    pg.goto(path.as_uri())
    pg.wait_for_selector('body[data-ready="1"]', timeout=120000)
    elapsed = time.perf_counter() - start
    pg.close()
    return elapsed


def main() -> None:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        sys.exit("chromium not found")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        blank = tmp / "blank.html"
        blank.write_text(page({"nodes": [], "edges": [], "focus": None}, "blank"), encoding="utf-8")
        full = tmp / "full.html"
        full.write_text(page(map_data(Store().nx), "full"), encoding="utf-8")
        big_data = map_data(synthetic())
        big = tmp / "big.html"
        big.write_text(page(big_data, "synthetic"), encoding="utf-8")
        results = {"blank": [], "full": [], "big": []}
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium,
                                        args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
            for _ in range(args.runs):  # alternate, so all see the same machine state
                for name, path in (("blank", blank), ("full", full), ("big", big)):
                    results[name].append(time_ready(browser, path))
            browser.close()
    med = {k: statistics.median(v) for k, v in results.items()}
    nodes = len(map_data(Store().nx)["nodes"])
    print(f"blank page (baseline)          median {med['blank'] * 1000:8.0f} ms")
    print(f"full map, {nodes} nodes, physics  median {med['full'] * 1000:8.0f} ms  {med['full'] / med['blank']:5.1f}x baseline  (target <= 2000 ms)")
    print(f"synthetic {len(big_data['nodes'])} nodes, large mode median {med['big'] * 1000:8.0f} ms  {med['big'] / med['blank']:5.1f}x baseline")


if __name__ == "__main__":
    main()
