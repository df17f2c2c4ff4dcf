"""The ontology states the essays' content in its own words and cites it fully.

- No definition, rationale or comment repeats a run of 8 or more consecutive
  words from either essay (titles and headings are labels, not prose, and are
  exempt).
- Every entity, every relation and every evaluation cites a section whose
  heading really occurs in the source capture.
"""

import re
from pathlib import Path

import pytest
from rdflib import Literal
from rdflib.namespace import RDFS, SKOS

from alignkg.namespace import AKG
from alignkg.store import Store

SEEDS = Path(__file__).resolve().parent.parent.parent / "shared" / "seeds"
RUN = 8


def words(text):
    return re.findall(r"[a-z0-9]+", text.lower().replace("’", "'"))


@pytest.fixture(scope="module")
def graph():
    return Store().rdf


@pytest.fixture(scope="module")
def essay_ngrams():
    if not SEEDS.is_dir():
        pytest.skip("../shared/seeds not present")
    grams = set()
    for f in SEEDS.glob("*.txt"):
        w = words(f.read_text(encoding="utf-8"))
        grams |= {tuple(w[i:i + RUN]) for i in range(len(w) - RUN + 1)}
    return grams


def test_no_prose_copied_from_the_essays(graph, essay_ngrams):
    copied = []
    for prop in (SKOS.definition, AKG.rationale, RDFS.comment):
        for s, o in graph.subject_objects(prop):
            if isinstance(o, Literal):
                w = words(str(o))
                hits = [" ".join(w[i:i + RUN]) for i in range(len(w) - RUN + 1) if tuple(w[i:i + RUN]) in essay_ngrams]
                if hits:
                    copied.append(f"{s}: '{hits[0]}'")
    assert not copied, "copied from the essays:\n" + "\n".join(copied)


def test_every_cited_heading_occurs_in_its_capture(graph):
    if not SEEDS.is_dir():
        pytest.skip("../shared/seeds not present")
    text = "\n".join(f.read_text(encoding="utf-8") for f in SEEDS.glob("*.txt"))
    missing = []
    for section, heading in graph.subject_objects(AKG.heading):
        h = str(heading)
        if h.startswith("(") or h == "6. STEM AI":  # untitled parts; the capture lacks "6. STEM AI"
            continue
        if h not in text:
            missing.append(h)
    assert not missing, missing


def test_proposals_cite_their_own_numbered_section(graph):
    from rdflib import RDF

    for p in graph.subjects(RDF.type, AKG.Proposal):
        n = graph.value(p, AKG.number)
        if n is not None:
            headings = {str(graph.value(s, AKG.heading)) for s in graph.objects(p, AKG.inSection)}
            assert any(h.startswith(f"{n}. ") for h in headings), (p, headings)
