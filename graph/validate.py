"""SHACL validation of the loaded graph against ontology/shapes.ttl (pyshacl)."""

from __future__ import annotations

from . import SHAPES_FILE
import re

from .output import Result

_IRI = re.compile(r"https?://[^\\s<>\"{}|^`]+")


def validate(data_graph, shapes_file=SHAPES_FILE):
    """Validate ``data_graph``; return (Result of violations, conforms).

    Each row names the focus node (``iri``, ``label``), the property ``path``,
    the ``severity`` and the shape's ``message``.
    """
    import pyshacl
    from rdflib import RDFS, Graph
    from rdflib.namespace import SH

    from .project import short

    shapes = Graph().parse(shapes_file, format="turtle")
    conforms, report, _ = pyshacl.validate(
        data_graph, shacl_graph=shapes, inference="none", advanced=True, allow_warnings=True
    )
    from rdflib import BNode

    from .namespace import AKG

    def name(node):
        label = data_graph.value(node, RDFS.label)
        return str(label) if label is not None else short(node)

    rows = []
    for result in report.subjects(SH.resultSeverity, None):
        focus = report.value(result, SH.focusNode)
        path = report.value(result, SH.resultPath)
        label = name(focus) if focus is not None else ""
        if isinstance(focus, BNode):  # a qualification node: name its owner and what it states
            owner = data_graph.value(None, AKG.qualifiedRelation, focus)
            relation, target = data_graph.value(focus, AKG.relation), data_graph.value(focus, AKG.target)
            label = f"{name(owner) if owner is not None else '?'} --{short(relation) if relation else '?'}--> {name(target) if target is not None else '?'}"
        message = _IRI.sub(lambda m: short(m.group(0)), str(report.value(result, SH.resultMessage) or ""))
        rows.append({
            "iri": str(focus) if focus is not None and not isinstance(focus, BNode) else None,
            "label": label,
            "kind": "violation",
            "path": short(path) if path is not None else "",
            "severity": str(report.value(result, SH.resultSeverity)).rsplit("#", 1)[-1],
            "message": message,
        })
    rows.sort(key=lambda r: (r["label"], r["path"], r["message"]))
    return Result(rows, ["severity", "label", "path", "message"]), bool(conforms)
