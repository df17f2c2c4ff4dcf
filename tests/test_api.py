"""The Python API (alignkg.load and friends) against the CLI on the real ontology.

Every question asked through the API must give the same JSON document as the
same question on the command line; answers display as escaped HTML tables,
convert to records and DataFrames; maps are the same page as ``render`` and
draw inside their notebook iframe in a real headless Chromium.
"""

from __future__ import annotations

import html
import json
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

import alignkg
from alignkg.errors import AlignKGError, OutputError


@pytest.fixture(scope="module")
def kg():
    return alignkg.load()


def test_import_alignkg_stays_light():
    code = ("import sys, alignkg; heavy = [m for m in ('rdflib', 'networkx', 'pyvis', 'pyshacl', 'pandas', "
            "'click', 'alignkg.api') if m in sys.modules]; print(heavy); print(callable(alignkg.load))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split("\n")[:2] == ["[]", "True"]


def test_load_is_the_api_even_after_the_parsing_modules_are_imported():
    from alignkg.parse import ontology_files  # noqa: F401
    import alignkg.store  # noqa: F401

    assert alignkg.load is alignkg.api.load
    assert isinstance(alignkg.load(), alignkg.KnowledgeGraph)
    assert {"load", "KnowledgeGraph", "Answer", "Map"} <= set(dir(alignkg))


# each API call and the CLI command that asks the same question
SAME = [
    (lambda kg: kg.list("criteria"), ["list", "criteria"]),
    (lambda kg: kg.show("Microscope AI"), ["show", "Microscope AI"]),
    (lambda kg: kg.depends_on("per-episode myopia", explain=True), ["depends-on", "per-episode myopia", "--explain"]),
    (lambda kg: kg.depends_on("HCH", direct=True), ["depends-on", "HCH", "--direct"]),
    (lambda kg: kg.dependencies("STEM AI", kinds=["techniques", "assumptions"]),
     ["dependencies", "STEM AI", "--kind", "techniques", "--kind", "assumptions"]),
    (lambda kg: kg.shared("imitative amplification + intermittent oversight",
                          "AI safety via debate with transparency tools"),
     ["shared", "imitative amplification + intermittent oversight", "AI safety via debate with transparency tools"]),
    (lambda kg: kg.shared(["proposal 2", "proposal 3", "proposal 10"]),
     ["shared", "proposal 2", "proposal 3", "proposal 10"]),
    (lambda kg: kg.what_if("transparency tools can detect deception"),
     ["what-if", "transparency tools can detect deception"]),
    (lambda kg: kg.what_if("HCH", "myopia"), ["what-if", "HCH", "myopia"]),
    (lambda kg: kg.story("Microscope AI"), ["story", "Microscope AI"]),
    (lambda kg: kg.story("proposal 3"), ["story", "proposal 3"]),
    (lambda kg: kg.compare(by="criteria"), ["compare", "--by", "criteria"]),
    (lambda kg: kg.compare("proposal 2", "proposal 9"), ["compare", "proposal 2", "proposal 9"]),
    (lambda kg: kg.critical(top=5), ["critical", "--top", "5"]),
    (lambda kg: kg.path("proposal 10", "myopia"), ["path", "proposal 10", "myopia"]),
    (lambda kg: kg.query(), ["query", "--list"]),
    (lambda kg: kg.query("direct-dependents", target="HCH"), ["query", "direct-dependents", "-p", "target=HCH"]),
    (lambda kg: kg.sparql("SELECT ?p ?n WHERE { ?p a akg:Proposal ; akg:number ?n } ORDER BY ?n"),
     ["sparql", "SELECT ?p ?n WHERE { ?p a akg:Proposal ; akg:number ?n } ORDER BY ?n"]),
]


@pytest.mark.parametrize("ask, argv", SAME, ids=[" ".join(a[:2]) for _, a in SAME])
def test_api_answers_equal_the_cli_json(kg, run, ask, argv):
    cli = run(*argv, "--format", "json")
    assert cli.code == 0, cli
    answer = ask(kg)
    assert answer.to_dict() == cli.json
    assert json.loads(answer.to_json()) == cli.json  # the CLI may stream the engine's own (compact) JSON
    assert str(answer) == run(*argv).out  # printed, an answer is the CLI's table
    doc = cli.json
    if isinstance(doc.get("results"), list):
        assert answer.records() == doc["results"]
        assert len(answer) == len(doc["results"])
    # (CliRunner reads \r\n as \n; SPARQL 1.1 CSV ends its lines in \r\n)
    assert answer.to_csv().replace("\r\n", "\n") == run(*argv, "--format", "csv").out


def test_records_are_plain_copies(kg):
    answer = kg.depends_on("myopia")
    rows = answer.records()
    assert rows and all({"iri", "label", "kind", "path"} <= set(r) for r in rows)
    json.dumps(rows)  # JSON types only
    rows[0]["label"] = "changed"
    rows.clear()
    assert answer.records()[0]["label"] != "changed"
    assert list(answer) == answer.records() and answer[0] == answer.records()[0]
    assert answer.to_records() == answer.records()


def test_to_pandas_gives_one_row_per_record_with_the_ids_first(kg):
    pandas = pytest.importorskip("pandas")
    answer = kg.what_if("HCH")
    frame = answer.to_pandas()
    assert isinstance(frame, pandas.DataFrame)
    assert len(frame) == len(answer) > 0
    assert list(frame.columns[:3]) == ["iri", "label", "kind"]
    assert set(answer.columns) <= set(frame.columns)
    assert frame["label"].tolist() == answer.labels()
    assert answer.to_dataframe().equals(frame)
    empty = kg.sparql("SELECT ?s ?label WHERE { ?s a akg:NoSuchKind ; rdfs:label ?label }").to_pandas()
    assert empty.shape == (0, 2) and list(empty.columns) == ["s", "label"]


def test_to_pandas_without_pandas_says_how_to_get_it(kg, monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)  # as if it were not installed
    with pytest.raises(ImportError, match="pip install pandas"):
        kg.list("criteria").to_pandas()


class _Table(HTMLParser):
    """Collects the tags and the text of each cell of an HTML fragment."""

    def __init__(self):
        super().__init__()
        self.tags, self.cells, self._in = [], [], False

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag in ("td", "th"):
            self._in, self.cells = True, self.cells + [""]

    def handle_endtag(self, tag):
        if tag in ("td", "th"):
            self._in = False

    def handle_data(self, data):
        if self._in:
            self.cells[-1] += data


HOSTILE = """@prefix akg:  <https://w3id.org/alignkg#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .

akg:hostile-proposal a akg:Proposal ;
    rdfs:label "<script>alert('x')</script> & <img src=x onerror=alert(1)>"@en ;
    skos:definition "A proposal whose label is HTML."@en ;
    akg:qualifiedRelation [ akg:relation akg:usesTechnique ; akg:target akg:imitative-amplification ;
                            akg:inSection akg:s001-p2 ; akg:derived true ;
                            akg:rationale "A test of escaping."@en ] .
"""


def test_html_table_escapes_labels_from_user_data(tmp_path):
    mine = tmp_path / "mine.ttl"
    mine.write_text(HOSTILE, encoding="utf-8")
    kg = alignkg.load(data=[mine])
    answer = kg.depends_on("imitative amplification")
    label = "<script>alert('x')</script> & <img src=x onerror=alert(1)>"
    assert label in answer.labels()
    page = answer._repr_html_()
    assert "<script" not in page and "<img" not in page
    assert html.escape(label, quote=True) in page
    table = _Table()
    table.feed(page)
    assert "script" not in table.tags and "img" not in table.tags
    assert table.tags.count("tr") == len(answer) + 1  # a header row, then one per record
    assert label in table.cells
    assert table.cells[:len(answer.columns)] == answer.columns
    assert f"{len(answer)} rows" in page
    assert mine.read_text(encoding="utf-8") == HOSTILE  # the user's file is untouched


def test_explain_paths_show_in_html_under_their_row(kg):
    page = kg.depends_on("per-episode myopia", explain=True)._repr_html_()
    assert page.count("<pre>") == len(kg.depends_on("per-episode myopia"))
    assert "source: Overview of 11 proposals" in page and "\\n" not in page


def test_a_story_displays_as_a_document_with_its_components(kg):
    answer = kg.story("Microscope AI")
    page = answer._repr_html_()
    doc = answer.to_dict()
    for key in ("goal_specification", "goal_desirability", "rationale_constraints", "rationale_nudges"):
        assert html.escape(doc[key], quote=True) in page
    assert answer.records() == doc["results"]


def test_errors_are_the_packages_one_line_errors(kg, run, tmp_path):
    with pytest.raises(AlignKGError) as caught:
        kg.depends_on("mypoia")
    cli = run("depends-on", "mypoia")
    assert cli.code == 2 and str(caught.value) in cli.err
    with pytest.raises(AlignKGError, match="at least two"):
        kg.shared("HCH")
    with pytest.raises(AlignKGError, match="SERVICE"):
        kg.sparql("SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }")
    broken = tmp_path / "broken.ttl"
    broken.write_text("akg:x a .\n", encoding="utf-8")
    with pytest.raises(AlignKGError, match="broken.ttl"):
        alignkg.load(data=[broken]).list()


def test_sparql_ask_construct_and_limit(kg):
    assert kg.sparql("ASK { akg:microscope-ai a akg:Proposal }").records() == [{"boolean": True}]
    built = kg.sparql("CONSTRUCT { ?p a akg:Proposal } WHERE { ?p a akg:Proposal ; akg:number 5 }")
    assert built.records() == [{"subject": "https://w3id.org/alignkg#microscope-ai",
                                "predicate": "http://www.w3.org/1999/02/22-rdf-syntax-ns#type",
                                "object": "https://w3id.org/alignkg#Proposal"}]
    cut = kg.sparql("SELECT ?s WHERE { ?s a akg:Proposal }", limit=2)
    assert len(cut) == 2 and cut.truncated and "cut at the limit" in cut._repr_html_()


def test_map_is_the_render_page_and_saves_atomically(kg, run, tmp_path):
    cli = tmp_path / "cli.html"
    assert run("render", "--focus", "relaxed adversarial training", "--output", cli).code == 0
    m = kg.map(focus="relaxed adversarial training")
    assert m.html == cli.read_text(encoding="utf-8")
    assert m.title == "alignkg — relaxed adversarial training"
    saved = m.save(tmp_path / "saved.html")
    assert saved.read_bytes() == cli.read_bytes()
    with pytest.raises(OutputError, match="already exists"):
        m.save(saved)
    assert m.save(saved, force=True) == saved
    frame = m._repr_html_()
    assert frame.startswith("<iframe srcdoc=\"") and 'sandbox="allow-scripts"' in frame
    srcdoc = frame[len("<iframe srcdoc=\""):frame.index('" title=')]
    assert '"' not in srcdoc and "<" not in srcdoc  # the page is one escaped attribute
    assert html.unescape(srcdoc) == m.html
    what_if = run("render", "--what-if", "HCH", "--output", tmp_path / "w.html")
    assert what_if.code == 0
    assert kg.map(what_if="HCH").html == (tmp_path / "w.html").read_text(encoding="utf-8")
    with pytest.raises(AlignKGError, match="only one"):
        kg.map(focus="HCH", what_if=["myopia"])
    for wrong in ("proposal 2", ["proposal 2", "proposal 9", "proposal 3"]):
        with pytest.raises(AlignKGError, match="compare needs two names"):
            kg.map(compare=wrong)


def test_map_draws_inside_its_notebook_iframe(kg, browser, tmp_path):
    """The inline display, as a notebook shows it: the map's scripts run in the sandboxed iframe."""
    host = tmp_path / "notebook.html"
    m = kg.map(compare=["proposal 2", "proposal 9"], height=600)
    host.write_text(f"<!DOCTYPE html><html><body><h1>cell output</h1>{m._repr_html_()}</body></html>",
                    encoding="utf-8")
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    outside = []

    def block(route):
        if route.request.url.startswith(("file:", "about:")):
            return route.continue_()
        outside.append(route.request.url)
        return route.abort()

    page.route("**/*", block)
    page.goto(host.resolve().as_uri())
    frame = page.frame_locator("iframe")
    frame.locator('body[data-ready="1"]').wait_for(timeout=30000)
    inner = next(f for f in page.frames if f != page.main_frame)
    assert int(inner.get_attribute("body", "data-painted")) > 500
    from alignkg.render import map_data
    from alignkg.resolve import resolve

    G = kg.graph
    expected = map_data(G, compare=tuple(resolve(G, n) for n in ("proposal 2", "proposal 9")))
    assert int(inner.get_attribute("body", "data-node-count")) == len(expected["nodes"])
    box = page.locator("iframe").bounding_box()
    assert 600 <= box["height"] <= 604 and box["width"] > 1000  # 600 px plus its border
    assert outside == []
    page.close()


NOTEBOOK = ROOT / "docs" / "alignkg.ipynb"


@pytest.fixture(scope="module")
def executed_notebook(tmp_path_factory):
    """docs/alignkg.ipynb run headless (nbclient, an ipykernel) in an empty directory."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    workdir = tmp_path_factory.mktemp("notebook")
    client = nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3",
                                     resources={"metadata": {"path": str(workdir)}})
    client.execute()  # raises CellExecutionError if any cell fails
    return notebook, workdir


def test_notebook_runs_clean_and_shows_tables_and_a_map(executed_notebook, kg):
    notebook, workdir = executed_notebook
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert code and all(c.execution_count for c in code)
    outputs = [o for c in code for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error" or o.get("name") == "stderr"]
    html_outputs = [o.data["text/html"] for o in outputs if "text/html" in o.get("data", {})]
    # the README's questions come back as HTML tables with the same rows as the API gives here
    shared = kg.shared("imitative amplification + intermittent oversight", "AI safety via debate with transparency tools")
    assert shared._repr_html_() in html_outputs
    assert kg.depends_on("myopia")._repr_html_() in html_outputs
    assert kg.what_if("transparency tools can detect deception")._repr_html_() in html_outputs
    assert sum("<table" in h for h in html_outputs) >= 5
    # the inline map: an iframe whose srcdoc is the same page render writes
    frames = [h for h in html_outputs if h.startswith("<iframe srcdoc=")]
    assert len(frames) == 1
    assert frames[0] == kg.map(focus="relaxed adversarial training")._repr_html_()
    saved = workdir / "focus-rat.html"
    assert saved.is_file() and saved.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_readme_python_examples_show_their_real_output(tmp_path, monkeypatch):
    """The README's ```pycon blocks run as doctests (from an empty directory: they save a map)."""
    import doctest
    import re

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```pycon\n(.*?)```", text, re.S)
    assert blocks, "the README shows the Python API"
    monkeypatch.chdir(tmp_path)
    parser, runner = doctest.DocTestParser(), doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for i, block in enumerate(blocks):
        body = "\n".join(line if line.strip() else "<BLANKLINE>" for line in block.splitlines())
        test = parser.get_doctest(body, {}, f"README.md pycon block {i + 1}", "README.md", 0)
        assert test.examples
        failures, _ = runner.run(test, out=lambda s: pytest.fail("README example is stale:\n" + s))
        assert failures == 0
    assert (tmp_path / "rat.html").is_file()
