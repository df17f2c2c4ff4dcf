"""The query commands' work on the local graph: run a named or an ad-hoc query, print its answer.

``alignkg query`` and ``alignkg sparql`` (:mod:`alignkg.cli`) call these once click has read
their options, and so does the command line's fast lane (:mod:`alignkg.fastcli`), which reads a
plain query command line without importing click: one implementation for both. Answers go to
stdout through :func:`write`; notes go to stderr. Nothing here imports click.
"""

from __future__ import annotations

import sys

from . import exits


def write(text: str, err: bool = False) -> None:
    """Write ``text`` to stdout (or stderr) and flush, as ``click.echo(text, nl=False)`` does.

    As click does, a stream that says it is ASCII (``PYTHONIOENCODING=ascii``) is given UTF-8, with
    what UTF-8 cannot hold replaced, rather than failing on the first non-ASCII character.
    """
    import codecs

    stream = sys.stderr if err else sys.stdout
    if stream is None:  # started with the descriptor closed (``>&-``): notes are dropped, as click.echo drops
        if err:         # them; an answer cannot be given (stdout: exit 2)
            return
        import errno
        import os

        raise OSError(errno.EBADF, os.strerror(errno.EBADF))
    binary = getattr(stream, "buffer", None)
    try:
        ascii_only = codecs.lookup(getattr(stream, "encoding", None) or "ascii").name == "ascii"
    except LookupError:
        ascii_only = False
    if ascii_only and binary is not None:
        stream.flush()
        binary.write(text.encode("utf-8", "replace"))
        binary.flush()
        return
    stream.write(text)
    stream.flush()


exits.STDOUT_WRITERS.add(write.__code__)  # an OSError inside it is the user's stdout failing (exit 2)


def _on_terminal() -> bool:
    """True when stderr is a terminal (a person reads): False also when it was closed at start (``2>&-``)."""
    return sys.stderr is not None and sys.stderr.isatty()


def note(line: str) -> None:
    """One line on stderr (never data)."""
    write(line + "\n", err=True)


def named(name: str, params, fmt: str, timeout, limit, data) -> None:
    """Run the named query ``name`` with its ``--param`` pairs bound, on the shipped graph plus ``data``."""
    from . import queries
    from . import sparql as sq
    from .store import Store

    st = Store(data)
    q = queries.named(name)
    with sq.engine(st) as engine:  # started now: it opens the store while the parameters are resolved
        answer(st, q.text, queries.bindings(st, q, params), fmt, timeout or None, limit, engine)


def adhoc(text: str, fmt: str, timeout, limit, data) -> None:
    """Run the SPARQL query ``text`` (checked first: see :func:`alignkg.sparql.check`) on the shipped graph plus ``data``."""
    from . import sparql as sq
    from .store import Store

    sq.check(text)  # refusals before loading anything; syntax is checked by the engine, inside the timeout
    st = Store(data)
    with sq.engine(st) as engine:
        answer(st, text, None, fmt, timeout or None, limit, engine)


def answer(source, text, bindings, fmt, timeout, limit, pool=None) -> None:
    """Run a local query (on ``pool``, see :func:`alignkg.sparql.engine`) and print its answer; standard
    formats stream from the engine as they come."""
    import codecs

    from . import sparql as sq

    form = sq.check(text)
    # on a terminal the answer is small and read by a person, who is told when it is empty
    if not sq.native(form, fmt) or _on_terminal():
        emit(sq.execute(source, text, bindings, timeout=timeout, limit=limit, pool=pool), fmt)
        return
    stream = sq.open_stream(source, text, bindings, fmt=fmt, timeout=timeout, limit=limit, pool=pool)
    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    last = ""
    for chunk in stream.chunks():
        piece = decoder.decode(chunk)
        if piece:
            write(piece)
            last = piece
    if not last.endswith("\n"):
        write("\n")
    if stream.truncated:
        note("alignkg: note: results cut at the --limit")


def emit(result, fmt: str) -> None:
    """Print a whole :class:`~alignkg.sparql.Answer` in ``fmt``; on stderr, a note when it was cut or is empty."""
    from .sparql import serialize

    text = serialize(result, fmt)
    if text:
        write(text if text.endswith("\n") else text + "\n")
    if result.truncated:
        note("alignkg: note: results cut at the --limit")
    empty = (result.type == "SELECT" and not result.rows) or (result.type in ("CONSTRUCT", "DESCRIBE")
                                                               and not result.triples)
    if empty and (fmt == "table" or _on_terminal()):
        note("no results")  # stdout keeps the format's own empty answer
