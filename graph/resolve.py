"""Turn a NAME typed by a user into the IRI of one entity.

A NAME may be a label or an alternative label (case-insensitive, spaces and
dashes normalised), a prefixed name (``akg:myopia``), a local name
(``myopia``) or a full IRI. No match is :class:`~graph.errors.NameNotFound`
with the closest labels; several are :class:`~graph.errors.AmbiguousName`.
"""

from __future__ import annotations

import re
import unicodedata

from .errors import AlignKGError, AmbiguousName, NameNotFound

_DASHES = re.compile(r"[\u2010-\u2015\u2212]")
_SPACE = re.compile(r"\s+")
MAX_NAME = 500


def normalise(text: str) -> str:
    """Fold case, unify dashes and quotes, collapse whitespace.

    >>> normalise("  Offense–Defense   Balance ")
    'offense-defense balance'
    """
    if text.isascii():  # nothing to unify: the same result, several times faster (the index has 300k keys)
        return " ".join(text.split()).lower()
    text = unicodedata.normalize("NFKC", text)
    text = _DASHES.sub("-", text).replace("\u2019", "'")
    return _SPACE.sub(" ", text).strip().casefold()


def _index(G):
    """normalised key -> {iri: rank}; rank 0 for IRIs and labels, 1 for the rest."""
    cached = G.graph.get("_name_index")
    if cached is not None:
        return cached
    index = {}
    for iri, data in G.nodes(data=True):
        short = data["short"]
        local = short.split(":", 1)[-1]
        names = [(iri, 0), (short, 0), (data["label"], 0), *((alt, 1) for alt in data.get("alt_labels", ())),
                 (local, 1), (local.replace("-", " "), 1)]
        for name, rank in names:
            key = normalise(name)
            slot = index.get(key)
            if slot is None:
                index[key] = {iri: rank}
            elif rank < slot.get(iri, 2):
                slot[iri] = rank
    G.graph["_name_index"] = index
    return index


def resolve(G, name: str, kinds=None) -> str:
    """The IRI of the entity called ``name``.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        The projected graph.
    name : str
        What the user typed.
    kinds : collection of str, optional
        Only consider entities of these kinds.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.MultiDiGraph()
    >>> G.add_node("https://w3id.org/alignkg#hch", short="akg:hch", label="HCH",
    ...            alt_labels=["Humans Consulting HCH"], kind="concept")
    >>> resolve(G, "humans consulting hch")
    'https://w3id.org/alignkg#hch'
    """
    if not name or not name.strip():
        raise AlignKGError("empty name; give a label, a prefixed name or an IRI")
    if len(name) > MAX_NAME:
        raise AlignKGError(f"name too long ({len(name)} characters; at most {MAX_NAME})")
    if any(unicodedata.category(c) == "Cc" for c in name):
        raise AlignKGError(f"name {name!r} contains control characters")
    if any(unicodedata.category(c) == "Cs" for c in name):  # bytes that were not UTF-8 (surrogateescape)
        raise AlignKGError(f"name {name!r} is not valid UTF-8 text")
    index = _index(G)
    matches = index.get(normalise(name), {})
    if kinds is not None:
        matches = {iri: r for iri, r in matches.items() if G.nodes[iri]["kind"] in kinds}
    if matches:
        best = min(matches.values())
        top = sorted(iri for iri, r in matches.items() if r == best)
        if len(top) == 1:
            return top[0]
        raise AmbiguousName(name, [f"{G.nodes[i]['label']} ({G.nodes[i]['short']}, {G.nodes[i]['kind']})" for i in top])
    raise NameNotFound(name, suggestions(G, name, kinds))


def suggestions(G, name: str, kinds=None, n: int = 5) -> list[str]:
    """The labels closest to ``name``, best first."""
    labels = {}
    for iri, data in G.nodes(data=True):
        if kinds is None or data["kind"] in kinds:
            for text in [data["label"], *data.get("alt_labels", ())]:
                labels.setdefault(normalise(text), data["label"])
    import difflib

    key = normalise(name)
    close = difflib.get_close_matches(key, list(labels), n=n, cutoff=0.5)
    close += [k for k in labels if key and key in k and k not in close]
    out = []
    for k in close:
        if labels[k] not in out:
            out.append(labels[k])
    return out[:n]
