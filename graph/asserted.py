"""The asserted triples, by predicate, kept from the one pass that parses them.

Reading triples back out of the on-disk store costs a lookup per term (about
7 µs a triple in pyoxigraph, the largest cost of a build at a million
triples), so the build keeps what the parser hands over on its way into the
store. The projection (:mod:`graph.project`) and the entailment rules
(:mod:`graph.entail`) read this instead of the store.

Terms are kept compact, as the projection names them: an IRI is its string,
a blank node ``_:`` and its id (no IRI starts so: IRIs are absolute), each
string kept once however often it occurs; a literal stays a pyoxigraph
``Literal``. A pyoxigraph quad takes about 400 bytes; this, about 60.
"""

from __future__ import annotations


def is_literal(term) -> bool:
    """True for a literal (everything else is a key string).

    >>> is_literal("https://w3id.org/alignkg#myopia"), is_literal("_:b0")
    (False, False)
    """
    return type(term) is not str


def nt(term) -> str:
    """N-Triples text of a kept term.

    >>> nt("urn:x"), nt("_:b1")
    ('<urn:x>', '_:b1')
    """
    if type(term) is str:
        return term if term.startswith("_:") else f"<{term}>"
    return str(term)  # pyoxigraph writes a literal in N-Triples syntax


def term(kept):
    """The pyoxigraph term of a kept term (a blank node keeps its id).

    >>> term("_:b1")
    <BlankNode value=b1>
    """
    from pyoxigraph import BlankNode, NamedNode

    if type(kept) is str:
        return BlankNode(kept[2:]) if kept.startswith("_:") else NamedNode(kept)
    return kept


class Asserted:
    """The triples of the default graph: for each predicate IRI, parallel lists of subjects and objects.

    Examples
    --------
    >>> from pyoxigraph import RdfFormat, parse
    >>> data = parse(b'<urn:a> <urn:p> <urn:b> . <urn:a> <urn:q> "x" .', RdfFormat.TURTLE)
    >>> asserted = Asserted()
    >>> n = sum(1 for _ in asserted.tee(data))
    >>> n, sorted(asserted.predicates()), list(asserted.pairs("urn:p"))
    (2, ['urn:p', 'urn:q'], [('urn:a', 'urn:b')])
    """

    def __init__(self):
        self._subjects: dict[str, list] = {}
        self._objects: dict[str, list] = {}

    def tee(self, quads):
        """Yield ``quads`` (pyoxigraph Quads) unchanged, keeping each one."""
        from pyoxigraph import BlankNode, NamedNode

        subjects, objects, strings = self._subjects, self._objects, {}
        for quad in quads:
            s, p, o, _ = quad
            p = p.value
            ss = subjects.get(p)
            if ss is None:
                ss, os_ = subjects[p], objects[p] = [], []
            else:
                os_ = objects[p]
            k = s.value if type(s) is NamedNode else "_:" + s.value
            ss.append(strings.setdefault(k, k))
            t = type(o)
            if t is NamedNode:
                k = o.value
                os_.append(strings.setdefault(k, k))
            elif t is BlankNode:
                k = "_:" + o.value
                os_.append(strings.setdefault(k, k))
            else:
                os_.append(o)
            yield quad

    @classmethod
    def from_store(cls, store) -> "Asserted":
        """Every quad of a pyoxigraph ``store`` (one not built through :meth:`tee`)."""
        asserted = cls()
        for _ in asserted.tee(store):
            pass
        return asserted

    def pairs(self, predicate: str):
        """(subject, object) of every triple whose predicate is the IRI ``predicate``."""
        return zip(self._subjects.get(predicate, ()), self._objects.get(predicate, ()))

    def predicates(self):
        """The predicate IRIs present."""
        return self._subjects.keys()
