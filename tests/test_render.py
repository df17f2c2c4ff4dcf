"""Maps: written atomically under output/ or --output, self-contained, escaped, drawn by Chromium."""

import json
import os
import re
import subprocess
import sys

from conftest import ROOT, assert_clean_error, chromium_dom

from alignkg.render import map_data
from alignkg.store import Store

REMOTE = re.compile(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//|@import|url\(\s*["']?(?:https?:)?//""", re.I)
HOSTILE = ('@prefix akg: <https://w3id.org/alignkg#> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n'
           '@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n'
           'akg:evil a akg:Concept ; rdfs:label "</script><img src=x onerror=alert(1)>"@en ;\n'
           '  skos:definition "<a href=\\"http://evil.example\\">click</a> & </style>"@en ;\n'
           '  akg:qualifiedRelation [ akg:relation akg:requires ; akg:target akg:hch ; akg:inSection akg:s001-p2 ;\n'
           '    akg:derived true ; akg:rationale "test"@en ] .\n')


def test_render_prints_path_and_writes_offline_html(run, tmp_path):
    out = tmp_path / "map.html"
    r = run("render", "--output", out)
    assert r.code == 0, r
    assert r.out.strip() == str(out)  # outside the working directory: absolute
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert not REMOTE.search(page), REMOTE.search(page)
    assert "default-src 'none'" in page
    assert "proposal" in page and "HCH" in page


def test_default_output_goes_under_output_dir(run):
    r = run("render", "--focus", "HCH")
    path = r.out.strip()
    assert r.code == 0 and path == "output/focus-hch.html", path  # CliRunner runs in the repository root
    assert (ROOT / "output" / "focus-hch.html").exists()


def test_existing_output_is_not_overwritten_without_force(run, tmp_path):
    out = tmp_path / "mine.html"
    out.write_text("precious")
    assert_clean_error(run("render", "--output", out), "already exists", "--force")
    assert out.read_text() == "precious"
    assert run("render", "--output", out, "--force").code == 0
    assert out.read_text() != "precious"


def test_output_in_missing_folder_fails_cleanly(run, tmp_path):
    assert_clean_error(run("render", "--output", tmp_path / "nope" / "map.html"), "no such directory")
    assert list(tmp_path.iterdir()) == []


def test_labels_are_escaped(run, tmp_path):
    data = tmp_path / "evil.ttl"
    data.write_text(HOSTILE)
    out = tmp_path / "evil.html"
    assert run("render", "--data", data, "--output", out).code == 0
    page = out.read_text(encoding="utf-8")
    assert "<img src=x" not in page
    assert page.count("</script>") == 3  # only our own three script elements close
    assert "\\u003cimg src=x onerror=alert(1)\\u003e" in page


def test_focus_map_contains_the_neighbourhood():
    G = Store().nx
    data = map_data(G, "https://w3id.org/alignkg#hch")
    ids = {n["id"] for n in data["nodes"]}
    assert "https://w3id.org/alignkg#imitative-amplification-intermittent-oversight" in ids
    assert "https://w3id.org/alignkg#stem-ai" not in ids


def test_map_draws_in_headless_chromium_without_network(run, tmp_path, chromium):
    out = tmp_path / "map.html"
    run("render", "--output", out)
    dom = chromium_dom(chromium, out)
    body = re.search(r"<body([^>]*)>", dom).group(1)
    attrs = dict(re.findall(r'data-([a-z-]+)="([^"]*)"', body))
    assert attrs.get("ready") == "1", body
    assert int(attrs["painted"]) > 500, "the canvas has drawn nodes"
    assert int(attrs["node-count"]) == len(map_data(Store().nx)["overview"])  # the overview is the default view


def test_focus_map_selects_its_node_in_chromium(run, tmp_path, chromium):
    out = tmp_path / "focus.html"
    run("render", "--focus", "myopia", "--output", out)
    dom = chromium_dom(chromium, out)
    assert 'data-panel="https://w3id.org/alignkg#myopia"' in dom
    assert "Relied on by" in dom


def test_an_empty_map_still_becomes_ready(tmp_path, chromium):
    from alignkg.render import page

    out = tmp_path / "empty.html"
    out.write_text(page({"nodes": [], "edges": [], "focus": None}, "empty"), encoding="utf-8")
    assert 'data-ready="1"' in chromium_dom(chromium, out)


def test_two_renders_are_byte_identical_whatever_the_hash_seed(tmp_path):
    """Same graph, same bytes: two processes with different hash seeds write the same HTML, so the same positions."""
    pages = []
    for seed in ("1", "2"):
        out = tmp_path / f"map{seed}.html"
        env = dict(os.environ, PYTHONHASHSEED=seed)
        proc = subprocess.run([sys.executable, str(ROOT / "cli.py"), "render", "--output", str(out)], env=env,
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr
        pages.append(out.read_bytes())
    assert pages[0] == pages[1]
    data = json.loads(re.search(rb'<script type="application/json" id="data">(.*?)</script>', pages[0], re.S).group(1))
    assert data["options"]["physics"] == {"enabled": False}  # the page moves nothing
    assert set(data["views"]) >= {"overview", "all"} and len(data["views"]["overview"]) > 20


def test_layout_reads_downwards_and_leaves_no_overlap_in_python():
    """Every dependency edge points down the page (or along a row), and the estimated boxes do not overlap."""
    from alignkg.render import extent, layered_layout

    data = map_data(Store().nx)
    pos = layered_layout(data["nodes"], data["edges"])
    up = [(e["from"], e["to"]) for e in data["edges"] if e["dependency"] and pos[e["from"]][1] > pos[e["to"]][1]]
    assert len(up) <= 0.02 * len(data["edges"]), up  # only edges of broken dependency cycles may point up
    boxes = []
    for n in data["nodes"]:
        w, above, below = extent(n)
        x, y = pos[n["id"]]
        boxes.append((x - w / 2, y - above, x + w / 2, y + below))
    boxes.sort()
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            if b[0] >= a[2]:
                break
            assert not (a[1] < b[3] and b[1] < a[3]), (a, b)


def test_overview_holds_the_proposals_and_what_they_share():
    from alignkg import algorithms
    from alignkg.resolve import resolve

    G = Store().nx
    data = map_data(G)
    overview = set(data["overview"])
    proposals = {n for n, d in G.nodes(data=True) if d["kind"] == "proposal"}
    assert proposals <= overview
    for name in ("transparency tools", "relaxed adversarial training", "HCH", "HCH is aligned"):
        assert resolve(G, name) in overview, name
    # something only one proposal uses is left for later (a click, the search box, the whole graph)
    cross = resolve(G, "cross-examination")
    assert sum(cross in {r["node"] for r in algorithms.dependencies(G, p)} for p in proposals) == 1
    assert cross not in overview and cross in {n["id"] for n in data["nodes"]}


def test_all_option_opens_on_every_node(run, tmp_path):
    out = tmp_path / "all.html"
    assert run("render", "--all", "--output", out).code == 0
    data = json.loads(re.search(r'<script type="application/json" id="data">(.*?)</script>',
                                out.read_text(encoding="utf-8"), re.S).group(1))
    assert data["view"] == "all" and len(data["views"]["all"]) == len(data["nodes"])
    assert_clean_error(run("render", "--all", "--focus", "HCH", "--output", tmp_path / "x.html"), "--all")


TEMPLATE_TRAP = ('@prefix akg: <https://w3id.org/alignkg#> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n'
                 '@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n'
                 'akg:trap a akg:Concept ; rdfs:label "{{VIS_JS}}"@en ;\n'
                 '  skos:definition "{{DATA}} {{VIS_CSS}} {{TITLE}}"@en ;\n'
                 '  akg:qualifiedRelation [ akg:relation akg:requires ; akg:target akg:hch ; akg:inSection akg:s001-p2 ;\n'
                 '    akg:derived true ; akg:rationale "{{VIS_JS}}"@en ] .\n')


def test_user_text_is_never_read_as_a_template(run, tmp_path):
    """A label `{{VIS_JS}}` stays that text: in the title and the data, never replaced by the script (#13.8)."""
    data = tmp_path / "trap.ttl"
    data.write_text(TEMPLATE_TRAP)
    out = tmp_path / "trap.html"
    assert run("render", "--data", data, "--focus", "akg:trap", "--output", out).code == 0
    page = out.read_text(encoding="utf-8")
    assert "<title>alignkg — {{VIS_JS}}</title>" in page
    from alignkg.render import _vis_assets

    js, css = _vis_assets()
    assert page.count(js[:200]) == 1 and page.count(css[:200]) == 1
    payload = re.search(r'<script type="application/json" id="data">(.*?)</script>', page, re.S).group(1)
    assert "{{VIS_JS}}" in payload and "{{DATA}} {{VIS_CSS}} {{TITLE}}" in payload
    assert len(page) < len(js) + len(css) + 400_000


def test_unknown_verdicts_are_coloured_and_shown_in_the_legend(run, tmp_path):
    """A verdict the renderer does not know is kept with a neutral colour; known ones in any spelling are matched."""
    from alignkg.render import UNKNOWN_VERDICT, verdict_style

    assert verdict_style("akg:LeansPositive") == verdict_style("leans-positive") == verdict_style("leans positive")
    data = tmp_path / "verdict.ttl"
    data.write_text('@prefix akg: <https://w3id.org/alignkg#> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n'
                    'akg:my-evaluation a akg:Evaluation ; rdfs:label "my evaluation"@en ;\n'
                    '  akg:evaluates akg:rl-transparency-tools ; akg:onCriterion akg:outer-alignment ;\n'
                    '  akg:verdict akg:SomewhatHopeful .\n'
                    'akg:SomewhatHopeful a akg:Verdict ; rdfs:label "somewhat hopeful"@en .\n')
    out = tmp_path / "v.html"
    assert run("render", "--data", data, "--focus", "proposal 1", "--output", out).code == 0
    payload = json.loads(re.search(r'<script type="application/json" id="data">(.*?)</script>',
                                   out.read_text(encoding="utf-8"), re.S).group(1))
    assert {"text": "somewhat hopeful", "colour": UNKNOWN_VERDICT} in payload["legend"]["verdicts"]
    evaluations = payload["details"]["https://w3id.org/alignkg#rl-transparency-tools"]["evaluations"]
    assert {ev["colour"] for ev in evaluations} >= {UNKNOWN_VERDICT}
