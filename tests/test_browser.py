"""The maps and the explorer in a real browser: headless system Chromium driven by Playwright.

Each map is opened from a file at 1600x1000 with every non-file request aborted
and counted. On each of the six default maps the test measures what a reader
sees once the page is ready: no two visible nodes' boxes (shape and label,
``network.getBoundingBox``) overlap, and the median label is at least 10 px high
on screen (font size times ``network.getScale()``). Real mouse clicks open the
side panel; the URL fragment reopens a view; Back steps through views.
"""

import json
import re
import statistics

import pytest
from conftest import running

from alignkg.render import map_data
from alignkg.resolve import resolve
from alignkg.store import Store

VIEWPORT = {"width": 1600, "height": 1000}

#: What the tests measure, in the page: visible nodes, overlapping pairs, label heights on screen.
MEASURE = """() => {
  const net = window.alignkgNetwork, data = net.body.data.nodes;
  const ids = data.getIds().filter(id => !data.get(id).hidden);
  const boxes = ids.map(id => net.getBoundingBox(id));
  const overlaps = [];
  for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
    const a = boxes[i], b = boxes[j];
    if (a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom) overlaps.push([ids[i], ids[j]]);
  }
  const scale = net.getScale();
  return {ids: ids, overlaps: overlaps, scale: scale,
          heights: ids.map(id => net.body.nodes[id].options.font.size * scale)};
}"""

MAPS = {
    "overview": [],
    "focus-rat": ["--focus", "relaxed adversarial training"],
    "focus-hch": ["--focus", "HCH"],
    "focus-myopia": ["--focus", "myopia"],
    "compare": ["--compare", "proposal 2", "proposal 9"],
    "what-if": ["--what-if", "HCH"],
}


def open_map(browser, path, fragment=""):
    page = browser.new_page(viewport=VIEWPORT)
    outside = []

    def block(route):
        if not route.request.url.startswith("file:"):
            outside.append(route.request.url)
            return route.abort()
        return route.continue_()

    page.route("**/*", block)
    page.goto(path.resolve().as_uri() + fragment)
    page.wait_for_selector('body[data-ready="1"]', timeout=30000)
    return page, outside


def expected_nodes(G, kind, args):
    if kind == "overview":
        data = map_data(G)
        return set(data["overview"]), data
    if kind.startswith("focus"):
        data = map_data(G, focus=resolve(G, args[1]))
    elif kind == "compare":
        data = map_data(G, compare=tuple(resolve(G, a) for a in args[1:]))
    else:
        data = map_data(G, what_if=[resolve(G, args[1])])
    return {n["id"] for n in data["nodes"]}, data


def click_node(page, node_id):
    box = page.locator("#map").bounding_box()
    xy = page.evaluate("id => alignkgNetwork.canvasToDOM(alignkgNetwork.getPositions([id])[id])", node_id)
    page.mouse.click(box["x"] + xy["x"], box["y"] + xy["y"])


@pytest.mark.parametrize("kind", MAPS)
def test_default_maps_are_readable_offline_and_clickable(kind, run, browser, tmp_path):
    """No overlapping boxes, median label >= 10 px at 1600x1000, no request, positions as computed, a click opens the panel."""
    out = tmp_path / f"{kind}.html"
    assert run("render", *MAPS[kind], "--output", out).code == 0
    page, outside = open_map(browser, out)
    try:
        assert outside == [], outside
        assert int(page.get_attribute("body", "data-painted")) > 500
        G = Store().nx
        shown, data = expected_nodes(G, kind, MAPS[kind])
        m = page.evaluate(MEASURE)
        assert set(m["ids"]) == shown
        assert m["overlaps"] == [], m["overlaps"][:5]
        assert statistics.median(m["heights"]) >= 10, (statistics.median(m["heights"]), m["scale"])
        # every visible node is inside the window, none clipped at an edge
        inside = page.evaluate("""ids => { const net = alignkgNetwork, r = document.getElementById('map').getBoundingClientRect();
            return ids.filter(id => { const b = net.getBoundingBox(id);
              const tl = net.canvasToDOM({x: b.left, y: b.top}), br = net.canvasToDOM({x: b.right, y: b.bottom});
              return tl.x < 0 || tl.y < 0 || br.x > r.width || br.y > r.height; }); }""", m["ids"])
        assert inside == [], inside
        # the page shows the layout computed in Python: nothing moved
        from alignkg.render import views
        layout = views(data)["overview" if kind == "overview" else "map"]
        drawn = page.evaluate("ids => alignkgNetwork.getPositions(ids)", m["ids"])
        assert {i: (round(p["x"]), round(p["y"])) for i, p in drawn.items()} == {i: tuple(layout[i]) for i in m["ids"]}
        # a real mouse click on a proposal opens its side panel with its sources and verdicts
        target = next(n for n in data["nodes"] if n["kind"] == "proposal" and n["id"] in shown)
        click_node(page, target["id"])
        page.wait_for_function("id => document.body.dataset.panel === id", arg=target["id"], timeout=5000)
        panel = page.inner_text("#panel")
        assert target["label"] in panel and "Source:" in panel and "Verdicts" in panel
    finally:
        page.close()


def test_search_reaches_hidden_nodes_and_the_kind_filter_hides(run, browser, tmp_path):
    out = tmp_path / "map.html"
    run("render", "--output", out)
    page, _ = open_map(browser, out)
    try:
        page.fill("#search", "microscope")
        page.press("#search", "Enter")
        page.wait_for_function("document.body.dataset.panel && document.body.dataset.panel.endsWith('#microscope-ai')")
        assert page.get_attribute("body", "data-view") == "overview"
        visible = "alignkgNetwork.body.data.nodes.get({filter: n => !n.hidden}).map(n => n.kind)"
        before = page.evaluate(visible)
        page.click(".legend-item >> text=assumption")
        after = page.evaluate(visible)
        assert "assumption" in before and "assumption" not in after
        assert len(before) - len(after) == before.count("assumption")
        assert "hide=assumption" in page.url
        # a node the overview does not show: the search opens its neighbourhood
        page.fill("#search", "gradient hacking")
        page.press("#search", "Enter")
        page.wait_for_function("document.body.dataset.view === 'focus:https://w3id.org/alignkg#gradient-hacking'")
        assert "focus=akg%3Agradient-hacking" in page.url
        assert page.evaluate("alignkgNetwork.body.data.nodes.get('https://w3id.org/alignkg#gradient-hacking').hidden") is False
        assert page.evaluate(MEASURE)["overlaps"] == []
    finally:
        page.close()


def test_the_fragment_reopens_a_view_and_back_steps_through_views(run, browser, tmp_path):
    out = tmp_path / "map.html"
    run("render", "--output", out)
    page, _ = open_map(browser, out, "#focus=akg:hch&hide=assumption&node=akg:imitative-amplification")
    try:
        hch, ia = "https://w3id.org/alignkg#hch", "https://w3id.org/alignkg#imitative-amplification"
        assert page.get_attribute("body", "data-view") == f"focus:{hch}"
        assert page.get_attribute("body", "data-panel") == ia
        kinds = page.evaluate("alignkgNetwork.body.data.nodes.get({filter: n => !n.hidden}).map(n => n.kind)")
        assert "assumption" not in kinds and "proposal" in kinds
        assert page.evaluate("alignkgNetwork.getSelectedNodes()") == [ia]
        page.reload()
        page.wait_for_selector('body[data-ready="1"]')
        assert page.get_attribute("body", "data-view") == f"focus:{hch}"
        assert page.get_attribute("body", "data-panel") == ia
        # from the overview, a double click expands a node; the buttons change views; Back undoes each
        page.goto(out.resolve().as_uri())
        page.wait_for_selector('body[data-ready="1"]')
        assert page.get_attribute("body", "data-view") == "overview"
        box = page.locator("#map").bounding_box()
        xy = page.evaluate("id => alignkgNetwork.canvasToDOM(alignkgNetwork.getPositions([id])[id])", hch)
        page.mouse.dblclick(box["x"] + xy["x"], box["y"] + xy["y"])
        page.wait_for_function(f"document.body.dataset.view === 'focus:{hch}'")
        assert page.evaluate(MEASURE)["overlaps"] == []
        page.click("#nav button >> text=Whole graph")
        page.wait_for_function("document.body.dataset.view === 'all'")
        assert int(page.get_attribute("body", "data-node-count")) == len(map_data(Store().nx)["nodes"])
        page.go_back()
        page.wait_for_function(f"document.body.dataset.view === 'focus:{hch}'")
        page.go_back()
        page.wait_for_function("document.body.dataset.view === 'overview'")
    finally:
        page.close()


def test_map_draws_offline_with_all_nodes_and_a_click_opens_the_panel(run, browser, tmp_path):
    """`render --all`: every node, no request leaves the page, no overlapping boxes; too many to read
    at once, it opens readable at the top, where a click on a proposal opens its panel."""
    out = tmp_path / "all.html"
    assert run("render", "--all", "--output", out).code == 0
    page, outside = open_map(browser, out)
    try:
        m = page.evaluate(MEASURE)
        assert page.get_attribute("body", "data-view") == "all"
        data = map_data(Store().nx)
        assert len(m["ids"]) == len(data["nodes"]) == int(page.get_attribute("body", "data-node-count"))
        assert m["overlaps"] == []
        assert statistics.median(m["heights"]) >= 10
        on_screen = page.evaluate("""ids => { const r = document.getElementById('map').getBoundingClientRect();
            return ids.filter(id => { const p = alignkgNetwork.canvasToDOM(alignkgNetwork.getPositions([id])[id]);
              return p.x > 0 && p.y > 0 && p.x < r.width && p.y < r.height; }); }""",
                                  [n["id"] for n in data["nodes"] if n["kind"] == "proposal"])
        assert on_screen, "the proposals are where the whole graph opens"
        click_node(page, on_screen[0])
        page.wait_for_function("id => document.body.dataset.panel === id", arg=on_screen[0], timeout=5000)
        assert outside == [], outside
    finally:
        page.close()


# ------------------------------------------------------------------ the explorer of `serve`

@pytest.fixture(scope="module")
def explorer():
    from alignkg.server import make

    with running(make(Store(), port=0, timeout=5.0, limit=50)) as server:
        yield f"http://127.0.0.1:{server.server_port}"


def test_explorer_parameters_labels_errors_downloads_and_url(explorer, browser, tmp_path):
    page = browser.new_page(viewport=VIEWPORT)
    try:
        page.goto(f"{explorer}/")
        page.wait_for_selector('body[data-ready="1"]')
        page.click("button.example[data-name='direct-dependents']")
        page.wait_for_selector("body[data-rows]")
        field = page.locator("#params input[name='target']")
        assert field.input_value() == "HCH"  # the default, shown and editable
        shown = page.input_value("#query")
        assert "?target" in shown and "name=direct-dependents" in page.url and "p.target=HCH" in page.url
        field.fill("myopia")
        page.click("#run")
        assert "p.target=myopia" in page.url
        page.locator("#status", has_text=re.compile(r"^\d+ result")).wait_for()  # the page's CSP forbids eval
        assert page.input_value("#query") == shown  # the query shown is the query run, with the field bound
        cells = page.locator("#results td.iri")
        assert cells.count() > 0
        first_iri = cells.first.get_attribute("title")
        assert first_iri.startswith("https://w3id.org/alignkg#") and cells.first.inner_text() != first_iri
        G = Store().nx
        myopia = resolve(G, "myopia")
        expected = {G.nodes[u]["label"] for u, _, d in G.in_edges(myopia, data=True) if d.get("dependency")}
        assert expected and expected <= set(page.locator("#results td.iri").all_inner_texts())
        # downloads
        with page.expect_download() as d:
            page.click("#csv")
        csv_text = open(d.value.path(), encoding="utf-8").read()
        assert csv_text.splitlines()[0].split(",")[0] in page.inner_text("#results th") and first_iri in csv_text
        with page.expect_download() as d:
            page.click("#json")
        assert first_iri in {b[v]["value"] for b in json.load(open(d.value.path()))["results"]["bindings"] for v in b}
        # a failing query clears the previous result
        page.fill("#query", "SELECT WHERE {")
        page.click("#run")
        page.wait_for_selector("#status.error")
        assert page.locator("#results tr").count() == 0 and page.is_disabled("#csv")
        # the URL holds the query: opening it again shows and runs the same
        url = page.url
        assert "query=SELECT" in url
        page.goto(f"{explorer}/#name=direct-dependents&p.target=HCH")
        page.wait_for_selector("body[data-rows]")
        assert page.locator("#params input[name='target']").input_value() == "HCH"
        assert "Imitative amplification + intermittent oversight" in page.inner_text("#results")
    finally:
        page.close()
