"""Map benchmark: readability and time to ready, in headless Chromium at 1600x1000.

For each map it prints what a reader sees once the page sets body[data-ready="1"]:
the visible nodes, the pairs of visible nodes whose boxes (shape and label,
``network.getBoundingBox``) overlap, the median label height on screen (font size
times ``network.getScale()``), and the time to ready against a baseline in the
same run (a blank page with the same vis-network script), the ratio being what to
watch. Maps:

- the six default maps of the README (overview, three focus maps, a comparison,
  a what-if),
- the whole shipped graph (``render --all``),
- a synthetic 2,000-node graph added with ``--data`` (a Turtle file written
  here, shaped like the real one: proposals use techniques and assume
  assumptions, which concern techniques and concepts, which nest), as the
  default overview and with ``--all``. Past 1,500 nodes a page carries no
  per-node neighbourhood layouts: a focus there shows a node's neighbours at
  their places in the whole layout.

A map too big to read when fitted to the window opens at a readable zoom on its
top rows (the proposals); "fitted" is the scale at which everything would show.
Needs Playwright and a system Chromium. Prints; asserts nothing.

    python bench/map_render.py [--runs N]
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from alignkg.render import page  # noqa: E402

MAPS = {
    "overview (render)": [],
    "--focus relaxed adversarial training": ["--focus", "relaxed adversarial training"],
    "--focus HCH": ["--focus", "HCH"],
    "--focus myopia": ["--focus", "myopia"],
    '--compare "proposal 2" "proposal 9"': ["--compare", "proposal 2", "proposal 9"],
    "--what-if HCH": ["--what-if", "HCH"],
    "whole graph (--all)": ["--all"],
}

MEASURE = """() => {
  const net = window.alignkgNetwork, data = net.body.data.nodes;
  const ids = data.getIds().filter(id => !data.get(id).hidden);
  const boxes = ids.map(id => net.getBoundingBox(id));
  let overlaps = 0;
  for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
    const a = boxes[i], b = boxes[j];
    if (a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom) overlaps++;
  }
  const scale = net.getScale(), h = ids.map(id => net.body.nodes[id].options.font.size * scale).sort((a, b) => a - b);
  const median = h.length ? (h[(h.length - 1) >> 1] + h[h.length >> 1]) / 2 : 0;
  net.fit({nodes: ids, animation: false, maxZoomLevel: 1});
  const fitted = net.getScale();
  return {visible: ids.length, overlaps: overlaps, median: median, fitted: fitted * (h.length ? h[0] / scale : 0)};
}"""

WORDS = ("model", "training", "oversight", "transparency", "deception", "objective", "amplification", "myopia",
         "reward", "debate", "competitiveness", "robustness", "interpretability", "imitation", "feedback", "agent")


def synthetic_ttl(path: Path, n_nodes=2000, seed=1) -> None:
    """Write a random graph shaped like the real one, as Turtle for --data."""
    rng = random.Random(seed)
    shares = (("Proposal", 0.03), ("Technique", 0.15), ("Assumption", 0.35), ("FailureMode", 0.10))
    kinds = [k for k, share in shares for _ in range(round(share * n_nodes))]
    kinds += ["Concept"] * (n_nodes - len(kinds))
    by_kind = {}
    lines = ["@prefix akg: <https://w3id.org/alignkg#> .", "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .",
             "@prefix ex: <https://example.org/synthetic#> .", ""]
    for i, kind in enumerate(kinds):
        by_kind.setdefault(kind, []).append(i)
        words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 7)))
        lines.append(f'ex:n{i} a akg:{kind} ; rdfs:label "{kind.lower()} {i}: {words}"@en .')
    pick = lambda kind, k: rng.sample(by_kind[kind], k)  # noqa: E731
    for p in by_kind["Proposal"]:
        for t in pick("Technique", 3):
            lines.append(f"ex:n{p} akg:usesTechnique ex:n{t} .")
        for a in pick("Assumption", 4):
            lines.append(f"ex:n{p} akg:assumes ex:n{a} .")
        lines.append(f"ex:n{p} akg:vulnerableTo ex:n{pick('FailureMode', 1)[0]} .")
    for a in by_kind["Assumption"]:
        lines.append(f"ex:n{a} akg:concerns ex:n{pick(rng.choice(('Technique', 'Concept')), 1)[0]} .")
    for t in by_kind["Technique"]:
        if rng.random() < 0.5:
            lines.append(f"ex:n{t} akg:requires ex:n{pick('Concept', 1)[0]} .")
    concepts = by_kind["Concept"]
    for i, c in enumerate(concepts[1:], 1):
        if rng.random() < 0.7:
            lines.append(f"ex:n{c} <http://www.w3.org/2004/02/skos/core#broader> ex:n{concepts[rng.randrange(i)]} .")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def render(args, out: Path) -> float:
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, str(ROOT / "cli.py"), "render", *args, "--output", str(out), "--force"],
                          capture_output=True, text=True, cwd=ROOT)
    if proc.returncode:
        sys.exit(proc.stderr)
    return time.perf_counter() - start


def open_page(browser, path: Path):
    pg = browser.new_page(viewport={"width": 1600, "height": 1000})
    pg.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort())
    start = time.perf_counter()
    pg.goto(path.as_uri())
    pg.wait_for_selector('body[data-ready="1"]', timeout=180000)
    return pg, time.perf_counter() - start


def main() -> None:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="page loads per map for the timing (median)")
    args = parser.parse_args()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        sys.exit("chromium not found")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        blank = tmp / "blank.html"
        blank.write_text(page({"nodes": [], "edges": [], "focus": None}, "blank"), encoding="utf-8")
        syn = tmp / "synthetic.ttl"
        synthetic_ttl(syn)
        maps = dict(MAPS)
        maps["synthetic 2,000 nodes, overview"] = ["--data", str(syn)]
        maps["synthetic 2,000 nodes, --all"] = ["--data", str(syn), "--all"]
        files, render_s = {}, {}
        for i, (name, cli_args) in enumerate(maps.items()):
            files[name] = tmp / f"map{i}.html"
            render_s[name] = render(cli_args, files[name])
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium,
                                        args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
            times = {name: [] for name in ["blank", *maps]}
            figures = {}
            for _ in range(args.runs):  # alternate, so all see the same machine state
                for name, path in [("blank", blank), *files.items()]:
                    pg, elapsed = open_page(browser, path)
                    times[name].append(elapsed)
                    if name != "blank" and name not in figures:
                        figures[name] = pg.evaluate(MEASURE)
                    pg.close()
            browser.close()
    base = statistics.median(times["blank"])
    print(f"{'map':40s} {'nodes':>6s} {'overlaps':>8s} {'median label':>12s} {'fitted':>7s} "
          f"{'render':>8s} {'ready':>8s} {'vs blank':>8s}")
    print(f"{'blank page (baseline)':40s} {'':>6s} {'':>8s} {'':>12s} {'':>7s} {'':>8s} {base * 1000:6.0f}ms {1:7.1f}x")
    for name in maps:
        f, ready = figures[name], statistics.median(times[name])
        print(f"{name:40s} {f['visible']:6d} {f['overlaps']:8d} {f['median']:10.1f}px {f['fitted']:5.1f}px "
              f"{render_s[name]:7.2f}s {ready * 1000:6.0f}ms {ready / base:7.1f}x")


if __name__ == "__main__":
    main()
