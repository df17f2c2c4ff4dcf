"""The maps in a real browser: headless system Chromium driven by Playwright, no network.

Each map is opened from a file with every non-file request aborted and counted;
the canvas must draw, the page's node count must equal the graph's, and a real
mouse click on a node must open its side panel.
"""

import pytest

from alignkg.render import map_data
from alignkg.resolve import resolve
from alignkg.store import Store


def open_map(browser, path):
    page = browser.new_page(viewport={"width": 1300, "height": 850})
    outside = []

    def block(route):
        if not route.request.url.startswith("file:"):
            outside.append(route.request.url)
            return route.abort()
        return route.continue_()

    page.route("**/*", block)
    page.goto(path.resolve().as_uri())
    page.wait_for_selector('body[data-ready="1"]', timeout=30000)
    return page, outside


MAPS = {
    "full": [],
    "focus": ["--focus", "relaxed adversarial training"],
    "compare": ["--compare", "proposal 2", "proposal 9"],
    "what-if": ["--what-if", "HCH"],
}


@pytest.mark.parametrize("kind", MAPS)
def test_map_draws_offline_with_all_nodes_and_a_click_opens_the_panel(kind, run, browser, tmp_path):
    out = tmp_path / f"{kind}.html"
    assert run("render", *MAPS[kind], "--output", out).code == 0
    page, outside = open_map(browser, out)
    assert outside == [], outside
    assert int(page.get_attribute("body", "data-painted")) > 500
    G = Store().nx
    args = MAPS[kind][1:]
    expected = {"full": lambda: map_data(G),
                "focus": lambda: map_data(G, focus=resolve(G, args[0])),
                "compare": lambda: map_data(G, compare=tuple(resolve(G, a) for a in args)),
                "what-if": lambda: map_data(G, what_if=[resolve(G, args[0])])}[kind]()
    assert int(page.get_attribute("body", "data-node-count")) == len(expected["nodes"])
    assert page.evaluate("alignkgNetwork.body.data.nodes.length") == len(expected["nodes"])
    # click the first proposal on the canvas, as a person would
    # a proposal that is on top at its own centre (labels can overlap in dense maps)
    proposals = [n["id"] for n in expected["nodes"] if n["kind"] == "proposal"]
    clickable = page.evaluate("""ids => ids.filter(id => {
        const p = alignkgNetwork.canvasToDOM(alignkgNetwork.getPositions([id])[id]);
        return alignkgNetwork.getNodeAt(p) === id; })""", proposals)
    assert clickable, "some proposal can be clicked"
    target = next(n for n in expected["nodes"] if n["id"] == clickable[0])
    box = page.locator("#map").bounding_box()
    xy = page.evaluate("id => { const p = alignkgNetwork.getPositions([id])[id]; return alignkgNetwork.canvasToDOM(p); }",
                       target["id"])
    page.mouse.click(box["x"] + xy["x"], box["y"] + xy["y"])
    page.wait_for_function("id => document.body.dataset.panel === id", arg=target["id"], timeout=5000)
    panel = page.inner_text("#panel")
    assert target["label"] in panel and "Source:" in panel
    page.close()


def test_search_box_selects_and_filters_hide_a_kind(run, browser, tmp_path):
    out = tmp_path / "map.html"
    run("render", "--output", out)
    page, _ = open_map(browser, out)
    page.fill("#search", "microscope")
    page.press("#search", "Enter")
    page.wait_for_function("document.body.dataset.panel && document.body.dataset.panel.endsWith('#microscope-ai')")
    hidden_before = page.evaluate("alignkgNetwork.body.data.nodes.get({filter: n => n.hidden}).length")
    page.click(".legend-item >> text=assumption")
    hidden_after = page.evaluate("alignkgNetwork.body.data.nodes.get({filter: n => n.hidden}).length")
    assumptions = sum(1 for n in map_data(Store().nx)["nodes"] if n["kind"] == "assumption")
    assert hidden_after - hidden_before == assumptions
    page.close()
