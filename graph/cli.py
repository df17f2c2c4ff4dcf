"""alignkg command line: a thin layer over the graph package.

Each command parses its arguments, calls one function of ``graph``, and prints
the answer in the format chosen with ``--format``. Errors of the package become
one line on stderr and exit code 2 (see :class:`AlignGroup`).
"""

from __future__ import annotations

import os
import sys

import click

from .errors import AlignKGError

from .output import FORMATS  # noqa: E402  (one list of output formats)


class AlignGroup(click.Group):
    """A click group whose every failure is one line on stderr, never a traceback.

    Exit codes: 0 success (also for an empty answer), 1 data that does not
    conform (``validate``), 2 bad input, 70 an internal error (a bug: one line,
    the traceback only with ALIGNKG_DEBUG=1), 130 interrupted.
    """

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        from . import exits

        exits.STDOUT_WRITERS.add(click.utils.echo.__code__)
        try:
            code = super().main(args, prog_name or "alignkg", complete_var, standalone_mode=False, **extra)
        except click.UsageError as exc:
            hint = f" (see '{exc.ctx.command_path} --help')" if exc.ctx else ""
            code = exits.fail(f"{exc.format_message()}{hint}", 2)
        except click.ClickException as exc:
            code = exits.fail(exc.format_message(), exc.exit_code)
        except click.Abort:
            code = exits.fail("interrupted", 130)
        except (Exception, KeyboardInterrupt) as exc:  # bad input, a closed stdout, a bug: see exits.outcome
            code = exits.outcome(exc)
        code = code if isinstance(code, int) else 0
        if standalone_mode:
            sys.exit(code)
        return code

    def invoke(self, ctx):
        """Run the command; a closed stdout or ^C ends it as in the fast lane (:func:`alignkg.exits.outcome`).

        click's own ``main`` would otherwise catch them first: EPIPE became exit 1 (the code of
        data that does not conform) and ^C printed a blank line before the one line.
        """
        from . import exits

        try:
            return super().invoke(ctx)
        except (BrokenPipeError, KeyboardInterrupt) as exc:
            return exits.outcome(exc)


def read_options(func):
    """The options every read command shares: --format and --data."""
    func = click.option("--data", "data", multiple=True, metavar="FILE",
                        help="Add your own RDF file (.ttl .nt .rdf .jsonld) or story card (.toml); repeatable.")(func)
    func = click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True,
                        help="Output format.")(func)
    return func


def endpoint_option(func):
    return click.option("--endpoint", metavar="URL",
                        help="Ask this SPARQL 1.1 endpoint instead of the local graph.")(func)


def remote(url, timeout=30.0):
    from .remote import Remote

    return Remote(url, timeout)


def store(data):
    from .store import Store

    return Store(data)


def _shown(path):
    """A path as the user would type it: relative to the working directory when inside it."""
    try:
        return str(path.resolve().relative_to(os.getcwd()))
    except ValueError:
        return str(path)


def emit(result, fmt, why=None):
    """Print a Result: data on stdout (tables fitted to a terminal); on stderr, why an answer is empty.

    ``why`` is called only for an empty answer, with the graph's view of what
    went wrong (see :mod:`graph.hints`); it may return None.
    """
    from .output import render, terminal_width

    text = render(result, fmt, terminal_width(click.get_text_stream("stdout")) if fmt == "table" else None)
    if text:
        click.echo(text, nl=False)
    if not result.rows:
        reason = why() if why else None
        if reason:
            hint(reason)
        elif fmt == "table" and not result.header:
            click.echo("no results", err=True)


def hint(message):
    """One line on stderr that says why an answer is empty and what would answer (stdout untouched)."""
    from .output import clean

    click.echo(f"alignkg: hint: {clean(' '.join(message.split()))}", err=True)


def resolved(G, *names):
    from .resolve import resolve

    return [resolve(G, n) for n in names]


def _print_version(ctx, _param, value):
    """``--version``: the package's version and the shipped ontology's ``owl:versionInfo``."""
    if not value or ctx.resilient_parsing:
        return
    import re

    from . import ONTOLOGY_DIR, __version__

    schema = (ONTOLOGY_DIR / "schema.ttl").read_text(encoding="utf-8")
    found = re.search(r'owl:versionInfo\s+"([^"]+)"', schema)
    click.echo(f"alignkg {__version__} (ontology {found.group(1) if found else 'unknown'})")
    ctx.exit()


@click.group(cls=AlignGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_print_version,
              help="Show the versions of alignkg and of its ontology, and exit.")
@click.pass_context
def cli(ctx):
    """A knowledge graph of AI-alignment proposals, the concepts and assumptions
    they rest on, and how they depend on each other.

    NAME is a label or alternative label (any case), a prefixed name such as
    akg:myopia, or a full IRI.
    """
    if ctx.invoked_subcommand in ("query", "sparql"):  # the query's process gets ready meanwhile
        from .sparql import fork_ahead, release

        fork_ahead()
        ctx.call_on_close(release)


@cli.command("list")
@click.argument("kind", required=False)
@read_options
def list_cmd(kind, fmt, data):
    """Entities of a KIND (proposals, concepts, assumptions, techniques,
    failure-modes, criteria, evaluations, sources, ...); all without KIND."""
    from . import answers, hints

    G = store(data).nx
    emit(answers.list_entities(G, kind), fmt, why=lambda: hints.list_entities(G, answers.kind_of(kind)) if kind else None)


@cli.command()
@click.argument("name")
@read_options
def show(name, fmt, data):
    """One entity: kind, definition, evaluations, relations both ways, sources."""
    from . import answers

    emit(answers.show(store(data).nx, name), fmt)


@cli.command("depends-on")
@click.argument("name")
@click.option("--direct", is_flag=True, help="Only one dependency step (then broader concepts).")
@click.option("--explain", is_flag=True, help="Print each path with the source section of every step.")
@endpoint_option
@read_options
def depends_on(name, direct, explain, endpoint, fmt, data):
    """The proposals that depend on NAME, transitively through dependency
    edges and broader concepts."""
    from . import answers

    if endpoint:
        _local_only(explain=explain, data=data)
        emit(answers.remote_depends_on(remote(endpoint), name, direct=direct), fmt)
        return
    from . import hints

    G = store(data).followed
    emit(answers.depends_on(G, name, direct=direct, explain=explain), fmt,
         why=lambda: hints.depends_on(G, *resolved(G, name), direct=direct))


def _local_only(**options):
    used = [name.replace("_", "-") for name, value in options.items() if value]
    if used:
        raise click.UsageError(f"--{used[0]} works on the local graph only, not with --endpoint")


@cli.command()
@click.argument("name")
@click.option("--direct", is_flag=True, help="Only one dependency step (then broader concepts).")
@click.option("--explain", is_flag=True, help="Print each path with the source section of every step.")
@click.option("--kind", "kinds", multiple=True, help="Only dependencies of this kind; repeatable.")
@read_options
def dependencies(name, direct, explain, kinds, fmt, data):
    """What proposal NAME depends on."""
    from . import answers

    from . import hints

    G = store(data).followed
    emit(answers.dependencies(G, name, direct=direct, explain=explain, kinds=kinds), fmt,
         why=lambda: hints.dependencies(G, *resolved(G, name), kinds={answers.kind_of(k) for k in kinds}))


@cli.command()
@click.argument("names", nargs=-1, required=True, metavar="A B [C ...]")
@click.option("--direct", is_flag=True, help="Only direct dependencies.")
@click.option("--explain", is_flag=True, help="Print each proposal's path to every shared item.")
@endpoint_option
@read_options
def shared(names, direct, explain, endpoint, fmt, data):
    """What the proposals A, B, ... depend on in common."""
    from . import answers

    if endpoint:
        _local_only(explain=explain, data=data)
        emit(answers.remote_shared(remote(endpoint), names, direct=direct), fmt)
        return
    from . import hints

    G = store(data).followed
    emit(answers.shared(G, names, direct=direct, explain=explain), fmt, why=lambda: hints.shared(G, resolved(G, *names)))


@cli.command()
@click.argument("name")
@read_options
def story(name, fmt, data):
    """The training story of proposal NAME: its four components, goal and
    rationale classes, evaluations and sources (marked when derived)."""
    from . import answers

    emit(answers.story(store(data).nx, name), fmt)


@cli.command("what-if")
@click.argument("names", nargs=-1, required=True, metavar="NAME [NAME ...]")
@click.option("--explain", is_flag=True, help="Print each proposal's path to what fails, with sources.")
@endpoint_option
@read_options
def what_if(names, explain, endpoint, fmt, data):
    """If the assumptions, concepts or techniques NAME fail, which proposals
    lose support, and on which criteria (through the assumptions their
    evaluations hinge on). Also marks failures a pre-deployment check (the
    essay's "mulligan") would catch."""
    from . import answers

    if endpoint:
        _local_only(explain=explain, data=data)
        emit(answers.remote_what_if(remote(endpoint), names), fmt)
        return
    from . import hints

    G = store(data).nx
    emit(answers.what_if(G, names, explain=explain), fmt, why=lambda: hints.what_if(G, resolved(G, *names)))


@cli.command()
@click.option("--top", type=click.IntRange(min=1), help="Show only the first N.")
@click.option("--kind", "kinds", multiple=True, default=("assumption", "concept"), show_default=True,
              help="Kinds to rank; repeatable.")
@read_options
def critical(top, kinds, fmt, data):
    """Rank assumptions and concepts by what rests on them.

    The measure: first the number of proposals that depend on the node, then
    the number of evaluations (proposal x criterion) with a hinge assumption
    that is or depends on it; ties broken by the number of entities of any
    kind that depend on it (dependents), then by betweenness centrality (in
    --format json)."""
    from . import answers, hints

    G, kinds = store(data).nx, [answers.kind_of(k) for k in kinds]
    emit(answers.critical(G, top=top, kinds=kinds), fmt, why=lambda: hints.critical(G, kinds))


@cli.command()
@click.argument("source", metavar="A")
@click.argument("target", metavar="B")
@read_options
def path(source, target, fmt, data):
    """The shortest explanation from A to B, each step with its source."""
    from . import answers

    from . import hints

    st = store(data)
    G = st.followed
    result = answers.path(G, source, target, whole=lambda: st.nx)
    emit(result, fmt, why=lambda: hints.path(G, *resolved(G, source, target)) if result.meta["found"] == "none" else None)


@cli.command()
@click.argument("names", nargs=-1, metavar="[PROPOSAL ...]")
@click.option("--by", type=click.Choice(["components", "assumptions", "criteria", "story"]), default="components",
              show_default=True, help="What to compare.")
@read_options
def compare(names, by, fmt, data):
    """A proposal x feature matrix (all analysed proposals by default), each
    cell with its citation, rows in a clustered order; JSON adds the Jaccard
    similarity of every pair."""
    from . import answers, hints

    G = store(data).nx
    result = answers.compare(G, names, by=by)
    emit(result, fmt)
    if not result.meta["columns"]:
        hint(hints.compare(G, [r["iri"] for r in result.rows], by))


@cli.command()
@click.option("--focus", metavar="NAME", help="Map NAME, what it depends on and what depends on it.")
@click.option("--compare", nargs=2, metavar="A B", help="Map two proposals: shared versus distinct dependencies.")
@click.option("--what-if", "what_if", multiple=True, metavar="NAME",
              help="Map what loses support if NAME fails; repeatable.")
@click.option("--output", "-o", metavar="PATH", help="Where to write the HTML (default: under output/; '-': stdout).")
@click.option("--force", is_flag=True, help="Overwrite PATH if it exists.")
@click.option("--data", "data", multiple=True, metavar="FILE", help="Add your own RDF file; repeatable.")
@click.option("--all", "full", is_flag=True, help="Open on the whole graph instead of the overview.")
def render(focus, compare, what_if, output, force, data, full):
    """Write an interactive, self-contained HTML map and print its path."""
    from .render import write_map

    G = store(data).nx
    if focus and data:  # perhaps a user's story: mark its inherited risks and nearest proposals
        from .review import mark_focus

        mark_focus(G, focus)
    path = write_map(G, focus=focus, output=output, force=force,
                     compare=compare or None, what_if=list(what_if) or None, full=full)
    if output != "-":  # with -o - the page itself went to stdout
        click.echo(_shown(path))


from .fastcli import QUERY_FORMATS, seconds  # noqa: E402  (one reading of these values for click and the fast lane)


class Seconds(click.ParamType):
    """A time limit in seconds: a finite number from 0 (or ``minimum``) up to a week; inf, nan and
    negative values are refused with exit 2."""

    name = "SECONDS"

    def __init__(self, minimum=0.0):
        self.minimum = minimum

    def convert(self, value, param, ctx):
        try:
            return seconds(value, self.minimum)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


def query_options(func):
    """Options shared by sparql and query: result formats, timeout, row cap, --data."""
    func = click.option("--data", "data", multiple=True, metavar="FILE",
                        help="Add your own RDF file; repeatable.")(func)
    func = click.option("--limit", type=click.IntRange(min=1), metavar="N",
                        help="Return at most N rows (or triples); a note on stderr says when it cut.")(func)
    func = click.option("--timeout", type=Seconds(), default=30.0, show_default=True,
                        metavar="SECONDS", help="Stop the query after this long (0: no limit).")(func)
    func = click.option("--format", "fmt", type=click.Choice(QUERY_FORMATS), default="table", show_default=True,
                        help="table, json, csv, tsv, xml (SPARQL 1.1 results), markdown; ttl, nt, jsonld "
                             "for CONSTRUCT and DESCRIBE.")(func)
    return func


@cli.command()
@click.argument("query", required=False)
@click.option("--file", "-f", "query_file", metavar="FILE", help="Read the query from FILE ('-' for stdin).")
@endpoint_option
@query_options
def sparql(query, query_file, endpoint, fmt, timeout, limit, data):
    """Run an ad-hoc SPARQL query (SELECT, ASK, CONSTRUCT, DESCRIBE); with
    no QUERY and no --file it is read from stdin. SERVICE, FROM and updates
    are refused; the query runs in a child process stopped at --timeout."""
    from . import ask
    from . import sparql as sq

    text = sq.query_text(query, query_file)
    sq.check(text)  # refusals before loading anything; syntax is checked by the engine, inside the timeout
    if endpoint:
        _local_only(data=data)
        ask.emit(remote(endpoint, timeout or 30.0).execute(text, limit=limit), fmt)
        return
    ask.adhoc(text, fmt, timeout, limit, data)


@cli.command()
@click.argument("name", required=False)
@click.option("--param", "-p", "params", multiple=True, metavar="KEY=VALUE", help="Bind a parameter; repeatable.")
@click.option("--list", "list_", is_flag=True, help="List the named queries.")
@endpoint_option
@query_options
def query(name, params, list_, endpoint, fmt, timeout, limit, data):
    """Run a named query from queries/ with its parameters bound (never
    pasted into the query text); --list shows the gallery."""
    from . import ask, queries

    if list_ or not name:
        emit(queries.listing(), fmt if fmt in FORMATS else "table")
        return
    if endpoint:
        _local_only(data=data)
        ask.emit(queries.run_remote(remote(endpoint, timeout or 30.0), name, params, limit=limit), fmt)
        return
    ask.named(name, params, fmt, timeout, limit, data)


@cli.command()
@click.option("--endpoint", required=True, metavar="URL",
              help="The store's Graph Store Protocol URL (Oxigraph: http://HOST:PORT/store; Fuseki: .../DATASET/data).")
@click.option("--data", "data", multiple=True, metavar="FILE", help="Add your own RDF file; repeatable.")
def push(endpoint, data):
    """Upload the graph (shipped data, your --data, entailed triples) to a
    SPARQL store, replacing its default graph; then query it with --endpoint."""
    from .remote import push as run_push

    count = run_push(store(data), endpoint)
    click.echo(f"pushed {count} triples to {endpoint}")


@cli.command()
@click.option("--host", default=None, metavar="HOST",
              help="Listen on HOST instead of 127.0.0.1: exposes the endpoint deliberately.")
@click.option("--port", default=8780, show_default=True, type=click.IntRange(0, 65535))
@click.option("--timeout", type=Seconds(minimum=0.1), default=10.0, show_default=True, metavar="SECONDS",
              help="Stop each query after this long (answers 503).")
@click.option("--limit", type=click.IntRange(min=1), default=10_000, show_default=True, metavar="N",
              help="Return at most N rows per query.")
@click.option("--cors", "cors", multiple=True, metavar="ORIGIN",
              help="Accept requests from web pages of ORIGIN (e.g. https://example.org, or '*' for any) and "
                   "send CORS headers to them; repeatable. Other origins are refused.")
@click.option("--workers", type=click.IntRange(1, 64), default=2, show_default=True,
              help="Query processes running at once.")
@click.option("--data", "data", multiple=True, metavar="FILE", help="Add your own RDF file; repeatable.")
def serve(host, port, timeout, limit, cors, workers, data):
    """A read-only SPARQL 1.1 Protocol endpoint with an explorer page, on
    127.0.0.1 unless --host says otherwise. No UPDATE, SERVICE or LOAD."""
    from .server import make

    st = store(data)
    server = make(st, host=host or "127.0.0.1", port=port, timeout=timeout, limit=limit, cors=cors,
                  exposed=host is not None, workers=workers)  # a busy port or unknown host fails here, exit 2
    import signal

    def stop(signum, frame):  # SIGTERM ends the server like Ctrl+C: workers stopped, temporary files removed
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop)
    try:
        click.echo(f"alignkg: serving http://{host or '127.0.0.1'}:{server.server_port}/ (SPARQL at /sparql); "
                   "Ctrl+C stops", err=True)
        server.serve_forever()
    finally:
        server.server_close()


@cli.command()
@click.option("--format", "fmt", required=True, metavar="FORMAT",
              type=click.Choice(["ttl", "jsonld", "nt", "graphml", "gexf", "mermaid", "dot", "csv"]),
              help="ttl, jsonld, nt (RDF); graphml, gexf (Gephi, Cytoscape); mermaid; dot; csv (edge list).")
@click.option("--output", "-o", metavar="PATH", help="Write to PATH (atomically) instead of stdout ('-': stdout).")
@click.option("--force", is_flag=True, help="Overwrite PATH if it exists.")
@click.option("--data", "data", multiple=True, metavar="FILE", help="Add your own RDF file; repeatable.")
def export(fmt, output, force, data):
    """Export the graph for other tools: RDF parsers, Gephi, Cytoscape,
    GitHub Markdown (Mermaid), Graphviz, spreadsheets."""
    from .export import export as run_export
    from .output import write_atomic

    text = run_export(store(data), fmt)
    if output and output != "-":
        click.echo(_shown(write_atomic(output, text, force=force)))
    else:
        write_atomic("-", text if text.endswith("\n") else text + "\n")


@cli.command()
@click.argument("files", nargs=-1, metavar="[FILE ...]")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@click.pass_context
def validate(ctx, files, fmt):
    """Check the shipped data (plus FILEs) against ontology/shapes.ttl.
    Exit 0 if it conforms, 1 if not."""
    from .validate import validate as run_validation

    result, conforms = run_validation(store(files).rdf)
    emit(result, fmt)
    if fmt == "table":
        click.echo("conforms" if conforms else f"does not conform: {len(result.rows)} problem(s)", err=True)
    if not conforms:
        ctx.exit(1)


# -- new story / check: write your own training story and have it reviewed (graph/card.py, graph/review.py)


@cli.group("new")
def new_group():
    """Templates for your own entries."""


@new_group.command("story")
@click.argument("name")
@click.option("--output", "-o", metavar="FILE", help="Write the card to FILE (.toml, or .ttl for Turtle) instead of stdout.")
@click.option("--force", is_flag=True, help="Overwrite FILE if it exists.")
def new_story(name, output, force):
    """A commented training-story card (TOML) for a proposal called NAME:
    fill it in, then run `alignkg check FILE`. With --output FILE.ttl, the
    same template in Turtle."""
    from .card import template, template_turtle
    from .output import write_atomic

    if not name.strip():
        raise AlignKGError("empty name; give the proposal a name, e.g. alignkg new story \"My proposal\"")
    turtle = bool(output) and output.lower().endswith(".ttl")
    if output and not (turtle or output.lower().endswith(".toml")):
        raise AlignKGError(f"{output}: name the file .toml (a card) or .ttl (Turtle)")
    st = store(())
    text = (template_turtle if turtle else template)(name, st.nx, st.rdf)
    if output:
        click.echo(_shown(write_atomic(output, text, force=force)))
    else:
        click.echo(text, nl=False)


@cli.command()
@click.argument("file")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@click.pass_context
def check(ctx, file, fmt):
    """Validate a training story (a .toml card or RDF in alignkg's model) and
    review it against the framework and the graph: components, criteria,
    inherited risks, nearest proposals, sensitivity. Exit 0 when complete,
    1 when the review finds gaps, 2 for bad input."""
    from . import review
    from .card import shacl_problems
    from .errors import DataError
    from .parse import load
    from .output import Result

    own_graph = load([file])  # the file alone: syntax and unknown names fail here, with file and line
    st = store([file])
    G = st.nx
    own = {str(s) for s in own_graph.subjects() if str(s) in G}
    proposals = sorted(n for n in own if G.nodes[n]["kind"] == "proposal")
    if not proposals:
        raise DataError(f"{file}: defines no proposal (a [proposal] table, or a node of type akg:Proposal)")
    problems = shacl_problems(st.rdf, own_graph, card=file.lower().endswith(".toml"))
    reviews = [review.review(G, p, own, problems) for p in proposals]
    gaps = [{"iri": r["proposal"]["iri"], "label": g["item"], "kind": "gap", **g} for r in reviews for g in r["gaps"]]
    complete = not gaps
    if fmt == "markdown":
        click.echo("\n".join(review.markdown(r) for r in reviews), nl=False)
    else:
        lines = [line for r in reviews for line in review.text_lines(r)]
        emit(Result(gaps, [] if fmt == "table" else ["part", "item", "message"], header=lines if fmt == "table" else [],
                    json_override={"file": file, "complete": complete, "reviews": reviews, "results": gaps}
                    if fmt == "json" else None), fmt)
    if not complete:
        ctx.exit(1)


def main():
    """The ``alignkg`` command, read by click (the fast lane, :mod:`alignkg.fastcli`, hands over here).

    A command builds its answer from objects that all stay alive until it
    is written (rows, steps, a loaded projection), so the cyclic collector's
    default thresholds kept walking them: a tenth of a warm ``depends-on`` at a
    million triples. Collections are made rarer, not turned off (reference
    counting frees everything else as usual).
    """
    import gc

    from .exits import finish

    gc.set_threshold(100_000, 50, 1000)
    finish(cli.main(prog_name="alignkg", standalone_mode=False))


if __name__ == "__main__":
    main()
