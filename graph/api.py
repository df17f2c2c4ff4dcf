"""The Python API, for notebooks and scripts: ``kg = alignkg.load()``.

One entry point, :func:`load`, returns a :class:`KnowledgeGraph` whose methods
ask the questions the command line asks (``kg.depends_on("myopia")`` is
``alignkg depends-on myopia``). Each method is a thin call into
:mod:`alignkg.answers` (or :mod:`alignkg.sparql`, :mod:`alignkg.queries`,
:mod:`alignkg.render`), so the API and the CLI always give the same answers.

Answers come back as :class:`Answer`: printed they are the CLI's table; in
Jupyter they display as an HTML table (every value escaped); ``.records()``
gives plain dicts (the rows of ``--format json``) and ``.to_pandas()`` a
DataFrame when pandas is installed (it is not a dependency). Maps come back
as :class:`Map`, shown inline in a notebook cell (the same self-contained,
offline page as ``alignkg render``) and written with ``.save(path)``.

Errors are the package's exceptions (:class:`alignkg.errors.AlignKGError`
and its subclasses), with the same one-line messages as the CLI.

Examples
--------
>>> import alignkg
>>> kg = alignkg.load()
>>> answer = kg.depends_on("per-episode myopia")
>>> "Narrow reward modeling + transparency tools" in answer.labels()
True
>>> answer.records()[0]["kind"]
'proposal'
"""

from __future__ import annotations

import html
import json
import re
import tempfile
from pathlib import Path

from .output import Result, _cell, clean
from .output import render as _render

__all__ = ["load", "KnowledgeGraph", "Answer", "Map"]

#: the keys every answer row has, first in records and DataFrames
_IDS = ("iri", "label", "kind")


def load(data=(), *, include_shipped=True) -> KnowledgeGraph:
    """Load the knowledge graph: the shipped ontology plus your own RDF files.

    Parameters
    ----------
    data : sequence of str or pathlib.Path, optional
        Extra RDF files (``.ttl``, ``.nt``, ``.rdf``/``.owl``/``.xml``,
        ``.jsonld``/``.json``), as ``--data`` on the command line. They are
        read and checked at once; a bad file raises
        :class:`~alignkg.errors.AlignKGError` naming the file (and line).
    include_shipped : bool, optional
        Load the shipped ontology too (the default).

    Returns
    -------
    KnowledgeGraph
        The graph, ready to be asked. Parsing happens on the first question
        and is cached on disk (keyed by the files' contents), like the CLI's.

    Examples
    --------
    >>> import alignkg
    >>> kg = alignkg.load()
    >>> kg
    <alignkg.KnowledgeGraph: shipped ontology>
    >>> len(kg.list("proposals")) >= 11
    True
    """
    return KnowledgeGraph(data, include_shipped=include_shipped)


class KnowledgeGraph:
    """The graph of alignment proposals, asked through methods named after the CLI's commands.

    Create it with :func:`alignkg.load`. Names are resolved as on the command
    line: a label or alternative label in any case (``"hch"``, ``"RAT"``,
    ``"proposal 3"``), a prefixed name (``"akg:myopia"``) or a full IRI; an
    unknown or ambiguous name raises :class:`~alignkg.errors.AlignKGError`
    listing the closest matches.

    Parameters
    ----------
    data : sequence of str or pathlib.Path, optional
        Extra RDF files, as for :func:`load`.
    include_shipped : bool, optional
        Load the shipped ontology too (the default).

    Examples
    --------
    >>> import alignkg
    >>> kg = alignkg.load()
    >>> kg.show("HCH").to_dict()["kind"]
    'concept'
    >>> "Imitative amplification + intermittent oversight" in kg.depends_on("HCH").labels()
    True
    """

    def __init__(self, data=(), *, include_shipped=True):
        from .store import Store

        self.data = [str(p) for p in data]
        self.include_shipped = include_shipped
        self.store = Store(self.data, include_shipped=include_shipped)

    def __repr__(self):
        parts = (["shipped ontology"] if self.include_shipped else []) + self.data
        return f"<alignkg.KnowledgeGraph: {' + '.join(parts) or 'empty'}>"

    # -- the underlying graphs -------------------------------------------------

    @property
    def graph(self):
        """The networkx ``MultiDiGraph`` the answers are computed on (nodes are IRIs)."""
        return self.store.nx

    @property
    def _followed(self):
        """The followed projection the reachability answers are computed on (the whole graph once loaded)."""
        return self.store.followed

    @property
    def rdf(self):
        """The rdflib graph of all inputs, with the entailed shortcut triples."""
        return self.store.rdf

    # -- questions ---------------------------------------------------------------

    def list(self, kind=None) -> Answer:
        """Entities of a kind, or all of them (``alignkg list [KIND]``).

        Parameters
        ----------
        kind : str, optional
            ``"proposals"``, ``"techniques"``, ``"concepts"``, ``"assumptions"``,
            ``"failure-modes"``, ``"criteria"``, ``"evaluations"``, ``"sources"``,
            ... (plural or singular, any case).

        Returns
        -------
        Answer
            Rows with ``iri``, ``label``, ``kind``, ``definition``, ``sources``.

        Examples
        --------
        >>> import alignkg
        >>> kg = alignkg.load()
        >>> {"outer alignment", "inner alignment"} <= set(kg.list("criteria").labels())
        True
        """
        from . import answers

        return Answer(answers.list_entities(self.graph, kind))

    def show(self, name) -> Answer:
        """One entity: its definition, evaluations and relations both ways (``alignkg show``).

        Parameters
        ----------
        name : str
            What to show.

        Returns
        -------
        Answer
            One row per relation (``direction``, ``relation``, the other end);
            :meth:`Answer.to_dict` adds the entity's own fields and evaluations.

        Examples
        --------
        >>> import alignkg
        >>> kg = alignkg.load()
        >>> doc = kg.show("Microscope AI").to_dict()
        >>> doc["kind"], len(doc["evaluations"])
        ('proposal', 4)
        """
        from . import answers

        return Answer(answers.show(self.graph, name))

    def depends_on(self, name, *, direct=False, explain=False) -> Answer:
        """The proposals that depend on ``name`` (``alignkg depends-on``).

        Dependency edges are followed transitively, and depending on a narrower
        concept is depending on its broader ones.

        Parameters
        ----------
        name : str
            An assumption, concept, technique, ...
        direct : bool, optional
            Only one dependency step (then broader concepts).
        explain : bool, optional
            Show each path, every step with its source section (in the table
            and HTML display; the ``path`` of each record has it always).

        Returns
        -------
        Answer
            Rows with ``label``, ``via`` (the relations followed), ``distance``
            and ``path``; :attr:`Answer.meta` has the resolved ``target``.

        Examples
        --------
        >>> import alignkg
        >>> kg = alignkg.load()
        >>> answer = kg.depends_on("transparency tools", direct=True)
        >>> "Microscope AI" in answer.labels()
        True
        >>> answer.meta["target"]["label"]
        'transparency tools'
        """
        from . import answers

        return Answer(answers.depends_on(self._followed, name, direct=direct, explain=explain))

    def dependencies(self, name, *, direct=False, explain=False, kinds=None) -> Answer:
        """What proposal ``name`` depends on (``alignkg dependencies``).

        Parameters
        ----------
        name : str
            A proposal (or any node with dependency edges).
        direct : bool, optional
            Only one dependency step (then broader concepts).
        explain : bool, optional
            Show each path with its sources.
        kinds : sequence of str, optional
            Only dependencies of these kinds (``["techniques", "assumptions"]``).

        Returns
        -------
        Answer

        Examples
        --------
        >>> import alignkg
        >>> kg = alignkg.load()
        >>> "sandboxing" in kg.dependencies("STEM AI", kinds=["techniques"]).labels()
        True
        """
        from . import answers

        return Answer(answers.dependencies(self._followed, name, direct=direct, explain=explain, kinds=kinds))

    def shared(self, *names, direct=False, explain=False) -> Answer:
        """What two or more proposals depend on in common (``alignkg shared``).

        Parameters
        ----------
        *names : str
            Two or more proposals (a single list of names works too).
        direct : bool, optional
            Only direct dependencies.
        explain : bool, optional
            Show each proposal's path to every shared item.

        Returns
        -------
        Answer

        Examples
        --------
        >>> import alignkg
        >>> kg = alignkg.load()
        >>> answer = kg.shared("imitative amplification + intermittent oversight",
        ...                    "AI safety via debate with transparency tools")
        >>> "transparency tools" in answer.labels()
        True
        """
        from . import answers

        return Answer(answers.shared(self._followed, _names(names), direct=direct, explain=explain))

    def what_if(self, *names, **options) -> Answer:
        """Which proposals lose support, on which criteria, if ``names`` fail (``alignkg what-if``).

        Parameters
        ----------
        *names : str
            Assumptions, concepts or techniques assumed to fail (a single list works too).
        **options
            Passed on to :func:`alignkg.answers.what_if` (``explain=True`` shows
            the paths with their sources).

        Returns
        -------
        Answer
            Rows with ``criteria`` lost, ``caught_before_deployment`` (the
            essay's "mulligan") and ``sources``.

        Examples
        --------
        >>> import alignkg
        >>> kg = alignkg.load()
        >>> answer = kg.what_if("HCH")
        >>> "Imitative amplification + intermittent oversight" in answer.labels()
        True
        """
        from . import answers

        return Answer(answers.what_if(self.graph, _names(names), **options))

    def story(self, name) -> Answer:
        """The training story of a proposal (``alignkg story``).

        Parameters
        ----------
        name : str
            A proposal, or a training story by name.

        Returns
        -------
        Answer
            A document rather than a table: :meth:`Answer.to_dict` has the four
            components (``goal_specification``, ``goal_desirability``,
            ``rationale_constraints``, ``rationale_nudges``), ``derived``,
            classes, evaluations and sources; the records are what it relies on.

        Examples
        --------
        >>> import alignkg
        >>> kg = alignkg.load()
        >>> doc = kg.story("Microscope AI").to_dict()
        >>> doc["derived"], bool(doc["goal_specification"])
        (False, True)
        """
        from . import answers

        return Answer(answers.story(self.graph, name))

    def compare(self, *names, by="components") -> Answer:
        """A proposal x feature matrix, a citation in every cell (``alignkg compare``).

        Parameters
        ----------
        *names : str
            Two or more proposals; none for all analysed proposals.
        by : {"components", "assumptions", "criteria", "story"}, optional
            What to compare.

        Returns
        -------
        Answer
            One row per proposal, one column per feature; :attr:`Answer.meta`
            has the Jaccard ``similarity`` of every pair.

        Examples
        --------
        >>> import alignkg
        >>> kg = alignkg.load()
        >>> matrix = kg.compare(by="criteria")
        >>> matrix.columns[:3]
        ['proposal', 'outer alignment', 'inner alignment']
        """
        from . import answers

        return Answer(answers.compare(self.graph, _names(names), by=by))

    def critical(self, *, top=None, kinds=("assumption", "concept")) -> Answer:
        """Assumptions and concepts ranked by what rests on them (``alignkg critical``).

        Parameters
        ----------
        top : int, optional
            Only the first ``top``.
        kinds : sequence of str, optional
            The kinds to rank.

        Returns
        -------
        Answer

        Examples
        --------
        >>> import alignkg
        >>> kg = alignkg.load()
        >>> len(kg.critical(top=3))
        3
        """
        from . import answers

        return Answer(answers.critical(self.graph, top=top, kinds=[answers.kind_of(k) for k in kinds]))

    def path(self, source, target) -> Answer:
        """The shortest explanation from ``source`` to ``target`` (``alignkg path``).

        Parameters
        ----------
        source, target : str
            Any two nodes.

        Returns
        -------
        Answer
            One row per step (``from``, ``relation``, ``to``, ``source``); :attr:`Answer.meta`
            says how they are connected (``found``: dependency, directed, undirected or none).

        Examples
        --------
        >>> import alignkg
        >>> kg = alignkg.load()
        >>> steps = kg.path("proposal 10", "myopia").records()
        >>> steps[-1]["to"]
        'myopia'
        """
        from . import answers

        return Answer(answers.path(self._followed, source, target, whole=lambda: self.graph))

    def sparql(self, query, *, timeout=30.0, limit=None) -> Answer:
        """Run a SPARQL query (SELECT, ASK, CONSTRUCT, DESCRIBE) on the graph (``alignkg sparql``).

        The usual prefixes (rdf, rdfs, owl, skos, dcterms, prov, ``akg:``, ...)
        are bound. ``SERVICE``, ``FROM`` and updates are refused, as on the
        command line; to bind values safely use :meth:`query` with a named query.

        Parameters
        ----------
        query : str
            The query text.
        timeout : float or None, optional
            Stop the query after this many seconds (None: no limit, and the query
            runs in this process instead of a child process).
        limit : int, optional
            Return at most ``limit`` rows; :attr:`Answer.truncated` says when it cut.

        Returns
        -------
        Answer
            SELECT: one record per solution, values as strings (``None`` when
            unbound); ASK: one record ``{"boolean": ...}``; CONSTRUCT/DESCRIBE:
            ``subject``, ``predicate``, ``object`` records. :meth:`Answer.to_dict`
            is the SPARQL 1.1 Query Results JSON.

        Examples
        --------
        >>> import alignkg
        >>> kg = alignkg.load()
        >>> answer = kg.sparql("SELECT ?p WHERE { ?p a akg:Proposal ; akg:number 5 }", timeout=None)
        >>> answer.records()
        [{'p': 'https://w3id.org/alignkg#microscope-ai'}]
        """
        from . import sparql as sq

        return _query_answer(sq.execute(self.rdf, sq.prepare(query), timeout=timeout, limit=limit))

    def query(self, name=None, *, timeout=30.0, limit=None, **params) -> Answer:
        """Run a named query of the gallery, its parameters bound as RDF terms (``alignkg query``).

        Parameters
        ----------
        name : str, optional
            The query's name; without it, the list of named queries.
        timeout : float or None, optional
            As for :meth:`sparql`.
        limit : int, optional
            As for :meth:`sparql`.
        **params
            The query's parameters (``kg.query("direct-dependents", target="HCH")``);
            values are bound as RDF terms, never pasted into the query.

        Returns
        -------
        Answer

        Examples
        --------
        >>> import alignkg
        >>> kg = alignkg.load()
        >>> gallery = kg.query()
        >>> "direct-dependents" in [r["name"] for r in gallery.records()]
        True
        >>> answer = kg.query("direct-dependents", target="HCH", timeout=None)
        >>> answer.columns == [str(v) for v in answer.to_dict()["head"]["vars"]]
        True
        """
        from . import queries

        if name is None:
            return Answer(queries.listing())
        pairs = [f"{key}={value}" for key, value in params.items()]
        return _query_answer(queries.run_named(self.store, name, pairs, timeout=timeout, limit=limit))

    # -- maps --------------------------------------------------------------------

    def map(self, focus=None, *, compare=None, what_if=None, height=650) -> Map:
        """An interactive map, shown inline in a notebook (``alignkg render``).

        Parameters
        ----------
        focus : str, optional
            Map this node, what it depends on and what depends on it.
        compare : sequence of two str, optional
            Map two proposals: shared versus distinct dependencies.
        what_if : str or sequence of str, optional
            Map what loses support if these fail.
        height : int, optional
            Height in pixels of the inline display.

        Returns
        -------
        Map
            With the whole graph when no option is given; at most one option.

        Examples
        --------
        >>> import alignkg
        >>> kg = alignkg.load()
        >>> m = kg.map(focus="relaxed adversarial training")
        >>> m.html.startswith("<!DOCTYPE html>"), "<iframe" in m._repr_html_()
        (True, True)
        """
        if compare is not None and (isinstance(compare, str) or len(compare) != 2):
            from .errors import AlignKGError

            raise AlignKGError("compare needs two names, e.g. compare=[\"proposal 2\", \"proposal 9\"]")
        if isinstance(what_if, str):
            what_if = [what_if]
        return Map(self.graph, focus=focus, compare=tuple(compare) if compare else None,
                   what_if=list(what_if) if what_if else None, height=height)


def _names(names) -> list:
    """``f("a", "b")`` and ``f(["a", "b"])`` both mean the names a and b."""
    if len(names) == 1 and not isinstance(names[0], str):
        return [str(n) for n in names[0]]
    return [str(n) for n in names]


def _query_answer(answer) -> Answer:
    from .sparql import shape

    return Answer(shape(answer), truncated=answer.truncated, query_answer=answer)


class Answer:
    """An answer: rows of plain data that print as a table and display as HTML.

    It wraps the :class:`alignkg.output.Result` the CLI formats, so every
    output of the CLI is available: ``str(answer)`` is the table,
    :meth:`to_json`, :meth:`to_csv`, :meth:`to_markdown` the other formats.

    Attributes
    ----------
    result : alignkg.output.Result
        The wrapped result.
    truncated : bool
        A query's ``limit`` cut the rows.

    Examples
    --------
    >>> import alignkg
    >>> answer = alignkg.load().depends_on("per-episode myopia")
    >>> len(answer) == len(answer.records()) > 0
    True
    >>> answer.columns
    ['label', 'via']
    >>> "<table" in answer._repr_html_()
    True
    """

    def __init__(self, result: Result, *, truncated: bool = False, query_answer=None):
        self.result = result
        self.truncated = truncated
        self._query_answer = query_answer  # a SPARQL answer prints in the SPARQL 1.1 result formats

    # -- plain data --------------------------------------------------------------

    @property
    def columns(self) -> list:
        """The columns the table shows, in order."""
        return list(self.result.columns)

    @property
    def meta(self) -> dict:
        """The JSON document's keys beside ``results`` (``target``, ``proposals``, ...)."""
        return dict(self.result.meta)

    @property
    def header(self) -> list:
        """The lines the table prints above the rows."""
        return list(self.result.header)

    def records(self) -> list:
        """The rows as plain dicts (JSON types only): the ``results`` of ``--format json``.

        Returns
        -------
        list of dict
            A fresh copy; changing it does not change the answer.

        Examples
        --------
        >>> import alignkg
        >>> rows = alignkg.load().list("criteria").records()
        >>> sorted(rows[0])[:3]
        ['definition', 'iri', 'kind']
        """
        return json.loads(json.dumps(self._rows(), ensure_ascii=False))

    to_records = records

    def _rows(self) -> list:
        """The rows of ``--format json``: its ``results`` list where the JSON is a document of
        its own (a story, a what-if with its routes), else the result's rows."""
        doc = self.result.json_override
        if isinstance(doc, dict) and isinstance(doc.get("results"), list):
            return doc["results"]
        return self.result.rows

    def labels(self) -> list:
        """The ``label`` of every row, in order."""
        return [row.get("label") for row in self._rows()]

    def to_dict(self) -> dict:
        """The whole JSON document, as ``--format json`` prints it."""
        return json.loads(self.to_json())

    def to_pandas(self):
        """The records as a pandas DataFrame (needs pandas, which alignkg does not require).

        Columns are ``iri``, ``label``, ``kind``, then the table's columns, then
        the other keys of the records (nested values such as paths stay lists).

        Raises
        ------
        ImportError
            When pandas is not installed (``pip install pandas``).
        """
        try:
            import pandas
        except ImportError:
            raise ImportError("Answer.to_pandas() needs pandas, which alignkg does not install: "
                              "pip install pandas (or use .records())") from None
        return pandas.DataFrame.from_records(self.records(), columns=self._record_columns())

    to_dataframe = to_pandas

    def _record_columns(self) -> list:
        rows = self._rows()
        columns = [c for c in _IDS if any(c in row for row in rows)] if rows else []
        columns += [c for c in self.result.columns if c not in columns]
        for row in rows:
            columns += [c for c in row if c not in columns]
        return columns

    # -- text formats ------------------------------------------------------------

    def format(self, fmt="table") -> str:
        """The answer as ``--format fmt`` prints it.

        Parameters
        ----------
        fmt : str, optional
            ``table``, ``json``, ``csv`` or ``markdown``; answers to :meth:`KnowledgeGraph.sparql`
            and :meth:`KnowledgeGraph.query` also take ``tsv`` and ``xml`` (and ``ttl``, ``nt``,
            ``jsonld`` for CONSTRUCT and DESCRIBE), in the SPARQL 1.1 result formats.

        Examples
        --------
        >>> import alignkg
        >>> print(alignkg.load().sparql("ASK { akg:hch a akg:Concept }").format("json"))
        {"head": {}, "boolean": true}
        """
        if self._query_answer is not None:
            from .sparql import serialize

            return serialize(self._query_answer, fmt)
        return _render(self.result, fmt)

    def to_json(self) -> str:
        """The answer as ``--format json`` prints it."""
        return self.format("json")

    def to_csv(self) -> str:
        """The answer as ``--format csv`` prints it."""
        return self.format("csv")

    def to_markdown(self) -> str:
        """The answer as ``--format markdown`` prints it."""
        return self.format("markdown")

    def __str__(self):
        return self.format("table")

    def __repr__(self):
        return str(self).rstrip("\n") or "<alignkg.Answer: no results>"

    def __len__(self):
        return len(self._rows())

    def __iter__(self):
        return iter(self.records())

    def __getitem__(self, index):
        return self.records()[index]

    # -- notebook display ----------------------------------------------------------

    def _repr_html_(self) -> str:
        """An HTML table for Jupyter; every value is escaped (labels come from anyone's data)."""
        return to_html(self.result, truncated=self.truncated)


def _esc(value) -> str:
    return html.escape(clean(_cell(value)), quote=True)


def to_html(result: Result, *, truncated: bool = False) -> str:
    """A Result as an HTML fragment: its header lines, then a table; everything escaped.

    Parameters
    ----------
    result : alignkg.output.Result
        The answer.
    truncated : bool, optional
        Add a note that a row limit cut the answer.

    Returns
    -------
    str
        ``<div class="alignkg-answer">…</div>``. A row's label cell carries its
        IRI as a tooltip; ``explain`` paths follow their row.

    Examples
    --------
    >>> print(to_html(Result([{"iri": "x:1", "label": "<b>A</b> & B"}], ["label"])))
    <div class="alignkg-answer">
    <table>
    <thead><tr><th>label</th></tr></thead>
    <tbody>
    <tr><td title="x:1">&lt;b&gt;A&lt;/b&gt; &amp; B</td></tr>
    </tbody>
    </table>
    <p><small>1 row</small></p>
    </div>
    """
    out = ['<div class="alignkg-answer">']
    header = list(result.header)
    if header and not result.columns:  # a document (a story): keep its layout
        out.append('<pre style="white-space: pre-wrap">' + "\n".join(_esc(line) for line in header) + "</pre>")
    else:
        for i, line in enumerate(header):
            if line:
                out.append(f"<p><strong>{_esc(line)}</strong></p>" if i == 0 else f"<p>{_esc(line)}</p>")
    if result.columns:
        out.append("<table>")
        out.append("<thead><tr>" + "".join(f"<th>{_esc(c)}</th>" for c in result.columns) + "</tr></thead>")
        out.append("<tbody>")
        for row in result.rows:
            cells = []
            for c in result.columns:
                tip = f' title="{_esc(row["iri"])}"' if c in ("label", "proposal") and row.get("iri") else ""
                cells.append(f"<td{tip}>{_esc(row.get(c))}</td>")
            out.append("<tr>" + "".join(cells) + "</tr>")
            if result.detail:
                lines = "\n".join(_esc(line) for line in result.detail(row))
                if lines:
                    out.append(f'<tr><td colspan="{len(result.columns)}"><pre>{lines}</pre></td></tr>')
        out.append("</tbody>")
        out.append("</table>")
        count = len(result.rows)
        note = "no results" if not count else f"{count} row{'s' if count != 1 else ''}"
        if truncated:
            note += " (cut at the limit)"
        out.append(f"<p><small>{note}</small></p>")
    out.append("</div>")
    return "\n".join(out)


class Map:
    """An interactive map: the same self-contained, offline page as ``alignkg render``.

    In Jupyter it displays inline, in an ``<iframe srcdoc>`` sandboxed to run
    its own scripts only (it cannot reach the notebook); :meth:`save` writes it
    as an HTML file. Create it with :meth:`KnowledgeGraph.map`.

    Attributes
    ----------
    html : str
        The complete HTML page.
    title : str
        The page's title.
    """

    def __init__(self, G, *, focus=None, compare=None, what_if=None, height=650):
        from .render import write_map

        self._graph, self._options = G, {"focus": focus, "compare": compare, "what_if": what_if}
        self.height = int(height)
        # render() itself builds the page, so the notebook shows exactly what the CLI writes
        with tempfile.TemporaryDirectory(prefix="alignkg-map-") as tmp:
            written = write_map(G, output=Path(tmp) / "map.html", force=True, **self._options)
            self.html = written.read_text(encoding="utf-8")
        found = re.search(r"<title>(.*?)</title>", self.html, re.S)
        self.title = html.unescape(found.group(1)) if found else "alignkg map"

    def __repr__(self):
        return f"<alignkg.Map: {self.title} ({len(self.html):,} characters of HTML)>"

    def save(self, path=None, *, force=False) -> Path:
        """Write the page to ``path`` atomically, as ``alignkg render --output PATH`` does.

        Parameters
        ----------
        path : str or pathlib.Path, optional
            Where to write. Without it, under ``output/`` with the name
            ``alignkg render`` would choose (replacing a map there).
        force : bool, optional
            Replace ``path`` if it exists (otherwise that is an error).

        Returns
        -------
        pathlib.Path
            The file written.
        """
        from .output import write_atomic
        from .render import write_map

        if path is None:
            return write_map(self._graph, **self._options)
        return write_atomic(path, self.html, force=force)

    def _repr_html_(self) -> str:
        """The page in an iframe: ``srcdoc`` keeps it offline and self-contained, the sandbox lets
        its scripts run but keeps them away from the notebook."""
        return (f'<iframe srcdoc="{html.escape(self.html, quote=True)}" title="{html.escape(self.title)}" '
                f'sandbox="allow-scripts" style="width: 100%; height: {self.height}px; '
                f'border: 1px solid #ccc"></iframe>')
