"""Maps: written atomically under output/ or --output, self-contained, escaped, drawn by Chromium."""

import re

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
    assert int(attrs["node-count"]) == len(map_data(Store().nx)["nodes"])


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
