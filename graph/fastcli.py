"""The command line's fast lane: a plain ``query`` or ``sparql`` command line, read without click.

``alignkg`` is a click application (:mod:`alignkg.cli`), and importing click and the commands
costs a command line some 28 ms before it does anything: more than half of what a small query
takes pyoxigraph in all (interpreter, import, opening the store, the query). A command line that
only asks a local query therefore comes here first, like Mercurial's early option parsing:
:func:`read` takes the plain forms of ``query NAME`` and ``sparql [QUERY]`` with ``--format``,
``--timeout``, ``--limit``, ``--data``, ``--param``/``-p`` and ``--file``/``-f`` (``--opt value``
or ``--opt=value``) and gives each parameter the very value click gives it, defaults included
(tests/test_fastcli.py checks the two readings agree on thousands of generated command lines).
Anything else it does not read -- help, ``--list``, ``--endpoint``, a repeated option, a
value that click would convert differently or refuse, ``--``, attached short options, shell
completion -- and click reads the command line as before. Both then run the same code
(:mod:`alignkg.ask`) and end the same way (:mod:`alignkg.exits`).
"""

from __future__ import annotations

import os
import sys

#: The output formats of ``query`` and ``sparql`` (click's ``--format`` choice is this tuple).
QUERY_FORMATS = ("table", "json", "csv", "tsv", "xml", "markdown", "ttl", "nt", "jsonld")
#: The longest time limit a command accepts, in seconds (a week).
MAX_SECONDS = 7 * 24 * 3600.0

#: option -> (parameter, how its value is read); ``many``: repeatable, collected in a tuple
_SHARED = {"--format": ("fmt", "format"), "--timeout": ("timeout", "seconds"), "--limit": ("limit", "count"),
           "--data": ("data", "many")}
_OPTIONS = {
    "query": {**_SHARED, "--param": ("params", "many"), "-p": ("params", "many")},
    "sparql": {**_SHARED, "--file": ("query_file", "text"), "-f": ("query_file", "text")},
}
_POSITIONAL = {"query": "name", "sparql": "query"}
_DEFAULTS = {"fmt": "table", "timeout": 30.0, "limit": None, "data": (), "params": (), "query_file": None}


def seconds(value: str, minimum: float = 0.0) -> float:
    """A time limit in seconds: a finite number from ``minimum`` up to a week.

    Raises ValueError with the message a user is shown.

    >>> seconds("2.5")
    2.5
    >>> seconds("inf")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    ...
    ValueError: 'inf' is not a number of seconds from 0 to 604800
    """
    import math

    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{value!r} is not a number of seconds") from None
    if not math.isfinite(number) or not minimum <= number <= MAX_SECONDS:
        raise ValueError(f"{value!r} is not a number of seconds from {minimum:g} to {MAX_SECONDS:g}")
    return number


def _value(kind: str, text: str):
    """``text`` read as click reads that option's value; None where click would refuse it or read it otherwise."""
    if kind == "format":
        return text if text in QUERY_FORMATS else None
    if kind == "seconds":
        try:
            return seconds(text)
        except ValueError:
            return None
    if kind == "count":  # click.IntRange(min=1) converts with int()
        try:
            number = int(text)
        except ValueError:
            return None
        return number if number >= 1 else None
    return text


def read(argv: list) -> tuple | None:
    """A plain local ``query`` or ``sparql`` command line: ``(command, parameters)``; None for anything else.

    ``parameters`` are the keyword arguments click would pass the command (``endpoint`` and
    ``list_`` left out: a command line with either is not read here).

    Parameters
    ----------
    argv : list of str
        The arguments after the program's name.

    Returns
    -------
    tuple or None
        ``("query" | "sparql", dict)``, or None when click must read the command line.

    Examples
    --------
    >>> read(["query", "direct-dependents", "-p", "target=HCH", "--format=json"])
    ('query', {'fmt': 'json', 'timeout': 30.0, 'limit': None, 'data': (), 'params': ('target=HCH',), 'name': 'direct-dependents'})
    >>> read(["query", "--list"]) is None
    True
    """
    if not argv or argv[0] not in _OPTIONS or "_ALIGNKG_COMPLETE" in os.environ:
        return None
    command, options = argv[0], _OPTIONS[argv[0]]
    values = {parameter: _DEFAULTS[parameter] for parameter, _ in options.values()}
    seen, positional = set(), None
    rest = iter(argv[1:])
    for token in rest:
        if not token.startswith("-"):
            if positional is not None:
                return None  # click: "Got unexpected extra argument"
            positional = token
            continue
        name, eq, text = token.partition("=") if token.startswith("--") else (token, "", "")
        if name not in options:
            return None  # help, --list, --endpoint, --, an attached short option, a typo: click's
        if not eq:
            text = next(rest, None)
            if text is None or (text.startswith("-") and text != "-"):
                return None
        parameter, kind = options[name]
        if kind == "many":
            values[parameter] = values[parameter] + (text,)
            continue
        if parameter in seen:
            return None
        seen.add(parameter)
        value = _value(kind, text)
        if value is None:
            return None
        values[parameter] = value
    if not positional and command == "query":
        return None  # ``query`` alone (or ``query ''``: click's command tests ``not name``) lists the gallery
    values[_POSITIONAL[command]] = positional
    return command, values


def run(argv: list) -> int | None:
    """Run a command line :func:`read` reads; its exit code, or None when click must run it."""
    call = read(argv)
    if call is None:
        return None
    command, values = call
    from . import ask, exits
    from . import sparql as sq

    sq.fork_ahead(values["data"])  # the query's process opens the store these files used last, meanwhile
    try:
        if command == "query":
            ask.named(values["name"], values["params"], values["fmt"], values["timeout"], values["limit"],
                      values["data"])
        else:
            ask.adhoc(sq.query_text(values["query"], values["query_file"]), values["fmt"], values["timeout"],
                      values["limit"], values["data"])
        return 0
    except (Exception, KeyboardInterrupt) as exc:
        return exits.outcome(exc)
    finally:
        sq.release()


def main() -> None:
    """The ``alignkg`` command: the fast lane when it reads the command line, else click's."""
    code = run(sys.argv[1:])
    if code is None:
        from .cli import main as with_click

        with_click()
        return
    from .exits import finish

    finish(code)
