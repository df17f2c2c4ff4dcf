"""Seeded synthetic user graphs that follow the project's schema, for bench/scale.py.

Each generated graph adds, in its own namespace, sources with sections,
techniques (some requiring shipped concepts such as myopia, some built on
others), narrower concepts (``skos:broader`` chains under shipped concepts),
assumptions, and proposals with qualified relations and four evaluations each
(verdict, hinges, failure modes, sections), in the proportions of the shipped
data. Written as N-Triples (or Turtle), one file, about N triples.

    python bench/synth.py 100000 g100k.nt [--seed 7]
"""

from __future__ import annotations

import argparse
import random

AKG = "https://w3id.org/alignkg#"
EX = "https://example.org/synthetic/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
DEFINITION = "http://www.w3.org/2004/02/skos/core#definition"
BROADER = "http://www.w3.org/2004/02/skos/core#broader"
PART_OF = "http://purl.org/dc/terms/isPartOf"
BOOLEAN = "http://www.w3.org/2001/XMLSchema#boolean"
INTEGER = "http://www.w3.org/2001/XMLSchema#integer"

SHIPPED_CONCEPTS = ["myopia", "hch", "mesa-optimization", "corrigibility", "transparency-tools"]
CRITERIA = ["outer-alignment", "inner-alignment", "training-competitiveness", "performance-competitiveness"]
VERDICTS = ["Likely", "Unlikely", "Open", "NotAimedAt"]
FAILURES = ["deceptive-alignment", "gradient-hacking", "pseudo-alignment"]
WORDS = ("model training oversight human feedback transparency agent predictor amplification debate "
         "reward objective loss myopic deceptive inner outer competitive safe aligned tool").split()


def _lit(text: str, lang: str = "en") -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + f'"@{lang}'


def _typed(value, datatype: str) -> str:
    return f'"{value}"^^<{datatype}>'


def triples(n: int, seed: int = 7):
    """Yield about ``n`` triples as N-Triples lines (str), deterministically for a seed."""
    rnd = random.Random(seed)
    count = 0

    def t(s, p, o):
        nonlocal count
        count += 1
        return f"{s} <{p}> {o} .\n"

    def a(name):
        return f"<{AKG}{name}>"

    def x(name):
        return f"<{EX}{name}>"

    def words(k):
        return " ".join(rnd.choice(WORDS) for _ in range(k))

    # scale the supporting nodes with the size of the graph (~80 triples per proposal)
    proposals = max(4, n // 80)
    sections = max(4, proposals // 10)
    techniques = max(4, proposals // 8)
    concepts = max(4, proposals // 10)
    assumptions = max(4, proposals // 2)

    yield t(x("source"), RDF_TYPE, a("Source"))
    yield t(x("source"), LABEL, _lit("A synthetic essay"))
    for i in range(sections):
        s = x(f"section-{i}")
        yield t(s, RDF_TYPE, a("Section"))
        yield t(s, LABEL, _lit(f"section {i}"))
        yield t(s, f"{AKG}heading", _lit(f"{i}. {words(3)}"))
        yield t(s, PART_OF, x("source"))

    def section():
        return x(f"section-{rnd.randrange(sections)}")

    def entity(node, cls, label):
        yield t(node, RDF_TYPE, a(cls))
        yield t(node, LABEL, _lit(label))
        yield t(node, DEFINITION, _lit(words(12)))
        yield t(node, f"{AKG}inSection", section())

    qn = 0

    def qualified(subject, relation, target):
        nonlocal qn
        q = f"_:q{qn}"
        qn += 1
        yield t(subject, f"{AKG}qualifiedRelation", q)
        yield t(q, f"{AKG}relation", a(relation))
        yield t(q, f"{AKG}target", target)
        yield t(q, f"{AKG}inSection", section())
        yield t(q, f"{AKG}derived", _typed("false", BOOLEAN))
        yield t(q, f"{AKG}rationale", _lit(words(10)))

    for i in range(concepts):  # chains of narrower concepts under shipped ones
        c = x(f"concept-{i}")
        yield from entity(c, "Concept", f"synthetic concept {i}")
        parent = a(rnd.choice(SHIPPED_CONCEPTS)) if i < 5 or rnd.random() < 0.3 else x(f"concept-{rnd.randrange(i)}")
        yield t(c, BROADER, parent)
    for i in range(techniques):
        tech = x(f"technique-{i}")
        yield from entity(tech, "Technique", f"synthetic technique {i}")
        target = x(f"concept-{rnd.randrange(concepts)}") if rnd.random() < 0.7 else a(rnd.choice(SHIPPED_CONCEPTS))
        yield from qualified(tech, "requires", target)
        if i and rnd.random() < 0.3:
            yield from qualified(tech, "usesTechnique", x(f"technique-{rnd.randrange(i)}"))
    for i in range(assumptions):
        yield from entity(x(f"assumption-{i}"), "Assumption", f"synthetic assumption {i}")
    i = 0
    while count < n:
        p = x(f"proposal-{i}")
        yield from entity(p, "Proposal", f"synthetic proposal {i}")
        yield t(p, f"{AKG}number", _typed(100 + i, INTEGER))
        yield t(p, f"{AKG}analysedInSource", _typed("true", BOOLEAN))
        for k in rnd.sample(range(techniques), 3):
            yield from qualified(p, "usesTechnique", x(f"technique-{k}"))
        for j, criterion in enumerate(CRITERIA):
            e = x(f"proposal-{i}-e{j}")
            yield t(e, RDF_TYPE, a("Evaluation"))
            yield t(e, LABEL, _lit(f"Proposal {i} on {criterion}"))
            yield t(e, f"{AKG}evaluates", p)
            yield t(e, f"{AKG}onCriterion", a(criterion))
            yield t(e, f"{AKG}verdict", a(rnd.choice(VERDICTS)))
            yield t(e, DEFINITION, _lit(words(15)))
            for k in rnd.sample(range(assumptions), 2):
                yield t(e, f"{AKG}hingesOn", x(f"assumption-{k}"))
            if rnd.random() < 0.5:
                yield t(e, f"{AKG}namesFailureMode", a(rnd.choice(FAILURES)))
            yield t(e, f"{AKG}inSection", section())
            yield t(e, f"{AKG}derived", _typed("false", BOOLEAN))
        i += 1


def write(n: int, path: str, seed: int = 7) -> int:
    """Write about ``n`` triples to ``path`` (N-Triples); return the number written."""
    written = 0
    with open(path, "w", encoding="utf-8") as fh:
        buf = []
        for line in triples(n, seed):
            buf.append(line)
            written += 1
            if len(buf) >= 10000:
                fh.writelines(buf)
                buf.clear()
        fh.writelines(buf)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("triples", type=int)
    parser.add_argument("output")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    print(write(args.triples, args.output, args.seed))


if __name__ == "__main__":
    main()
