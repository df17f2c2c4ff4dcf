"""Reading the seed-derived question tables (tests/data/questions_*.tsv).

Each row: id, kind, args, must_include, must_exclude, section, note. Lists are
separated by ';', argument tuples by '|'. Proposal numbers refer to the first
essay's list. The tables were written from the essays before looking at what the
graph answers; the tests below only interpret them.
"""

import csv
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"


def split(cell, sep=";"):
    return [x.strip() for x in (cell or "").split(sep) if x.strip()]


def rows(name):
    with open(DATA / name, encoding="utf-8", newline="") as fh:
        return [r for r in csv.DictReader(fh, delimiter="\t") if r["id"].strip()]


@pytest.fixture(scope="module")
def G():
    """The shipped graph's projection, as the CLI sees it."""
    from alignkg.store import Store

    return Store().nx


@pytest.fixture(scope="module")
def by_number(G):
    """Proposal number (the first essay's list) -> node key."""
    return {d["number"]: n for n, d in G.nodes(data=True) if d["kind"] == "proposal" and "number" in d}
