"""Formatting answers (table, json, csv) and writing files atomically."""

from __future__ import annotations

import io
import json
import os
import re
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .errors import OutputError

FORMATS = ("table", "json", "csv", "markdown")


@dataclass
class Result:
    """An answer: rows plus what each format needs to print them.

    ``rows`` are plain dicts (they become the JSON ``results`` array);
    ``columns`` pick and order the keys shown in table and CSV; ``meta`` holds
    extra top-level JSON keys (``target``, ``proposals``, ...); ``header`` and
    ``detail`` add human-readable lines to the table format only.
    """

    rows: list
    columns: list
    meta: dict = field(default_factory=dict)
    header: list = field(default_factory=list)
    detail: Callable[[dict], list] | None = None
    json_override: object = None
    #: False when the header lines already say everything a table would (``story``):
    #: the rows then serve CSV and Markdown only.
    table_rows: bool = True
    #: What a table shows in an empty cell of a column (JSON and CSV keep it empty).
    blank: dict = field(default_factory=dict)


def clean(text) -> str:
    """Make a value safe to print on a terminal: control characters become visible escapes.

    C0 and C1 controls (ANSI escape sequences start with one), format
    characters such as bidirectional overrides, and line or paragraph
    separators are shown as Python escapes; the zero-width joiner of emoji is kept.

    >>> clean("a\\x1b[31mred")
    'a\\\\x1b[31mred'
    """
    if text is None:
        return ""
    if isinstance(text, (list, tuple)):
        text = "; ".join(clean(t) for t in text)
    text = str(text)
    return "".join(
        c if unicodedata.category(c) not in ("Cc", "Cf", "Zl", "Zp") or c == "\u200d" else c.encode("unicode_escape").decode()
        for c in text
    )


def _cell(value) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return "; ".join(_cell(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else str(value)


def to_json(result: Result) -> str:
    if result.json_override is not None:
        return dumps_indented(result.json_override) + "\n"
    return dumps_indented({**result.meta, "results": result.rows}) + "\n"


_SCALARS = frozenset((str, int, float, bool, type(None)))
_encode_str = json.encoder.encode_basestring  # what ensure_ascii=False uses (C when available)
_FLAT_ENCODERS: dict = {}
#: Containers that the C encoder writes as indentation would when they are empty: "[]" and "{}".
_EMPTY_AS_IS = frozenset((list, tuple, dict))


def _flat_encoder(inner: str):
    """A C-accelerated encoder whose item separator carries the indentation.

    The C encoder is made once per indentation and called directly:
    ``JSONEncoder.encode`` builds a new one on every call, which cost more than
    the encoding of the small containers an answer is made of.

    >>> _flat_encoder("\\n  ")({"a": 1, "b": [None, "é"]})
    '{"a": 1,\\n  "b": [null,\\n  "é"]}'
    """
    enc = _FLAT_ENCODERS.get(inner)
    if enc is None:
        python = json.JSONEncoder(ensure_ascii=False, separators=("," + inner, ": "))
        make = json.encoder.c_make_encoder
        if make is None:
            enc = python.encode
        else:
            chunks = make(None, python.default, _encode_str, None, ": ", "," + inner, False, False, True)

            def enc(obj):
                return "".join(chunks(obj, 0))
        _FLAT_ENCODERS[inner] = enc
    return enc


def _write_json(obj, nl: str, out, memo: dict) -> None:
    """Append the indented JSON of a container ``obj`` whose line prefix is ``nl``.

    ``memo`` maps ``(id(container), nl)`` to its text: an object that an answer
    shares among many rows (a path's steps, section records) is encoded once.
    The ids are safe keys because ``obj`` keeps every container alive while it is written.
    """
    if not obj:  # "[]" or "{}": nothing to share
        _write_container(obj, nl, out, memo)
        return
    ident = (id(obj), nl)
    text = memo.get(ident)
    if text is not None:
        out(text)
        return
    parts: list = []
    _write_container(obj, nl, parts.append, memo)
    text = "".join(parts)
    memo[ident] = text
    out(text)


def _write_container(obj, nl: str, out, memo: dict) -> None:
    inner = nl + "  "
    if isinstance(obj, dict):
        if not obj:
            out("{}")
            return
        if _SCALARS.issuperset(map(type, obj.values())):
            text = _flat_encoder(inner)(obj)
            out("{" + inner + text[1:-1] + nl + "}")
            return
        out("{")
        sep, run, flat = inner, None, _flat_encoder(inner)
        for key, value in obj.items():
            kind = type(value)  # runs of scalar items (and "[]", "{}") go to the C encoder together
            if kind in _SCALARS or (kind in _EMPTY_AS_IS and not value):
                if run is None:
                    run = {}
                run[key] = value
                continue
            if run:
                out(sep + flat(run)[1:-1])
                sep, run = "," + inner, None
            out(sep + _scalar_json(key if isinstance(key, str) else _key(key)) + ": ")
            sep = "," + inner
            _write_json(value, inner, out, memo)
        if run:
            out(sep + flat(run)[1:-1])
        out(nl + "}")
        return
    if isinstance(obj, (list, tuple)):
        if not obj:
            out("[]")
            return
        if _SCALARS.issuperset(map(type, obj)):
            text = _flat_encoder(inner)(obj)
            out("[" + inner + text[1:-1] + nl + "]")
            return
        out("[")
        first = True
        for value in obj:
            out(("" if first else ",") + inner)
            first = False
            if type(value) in _SCALARS:
                out(_scalar_json(value))
            else:
                _write_json(value, inner, out, memo)
        out(nl + "]")
        return
    out(_scalar_json(obj))


def _scalar_json(value) -> str:
    """One scalar as ``json.dumps(value, ensure_ascii=False)`` writes it."""
    kind = type(value)
    if kind is str:
        return _encode_str(value)
    if value is None:
        return "null"
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return int.__repr__(value)
    return json.dumps(value, ensure_ascii=False)


def _key(key) -> str:
    """A non-string dict key turned into a string as the json module does it."""
    if key is None or isinstance(key, (bool, int, float)):
        return _scalar_json(key)
    raise TypeError(f"keys must be str, int, float, bool or None, not {type(key).__name__}")


def dumps_indented(obj) -> str:
    """``json.dumps(obj, ensure_ascii=False, indent=2)``, byte for byte, faster.

    With ``indent`` CPython uses its pure-Python encoder, the largest single
    cost of a big ``--format json`` answer. Here every container that holds
    only scalars (most of an answer: steps' lists, flat rows) is encoded by
    the C encoder with the indentation carried in its item separator; only
    nested containers are walked in Python.

    >>> dumps_indented({"a": [1, "x"], "b": {}}) == json.dumps({"a": [1, "x"], "b": {}}, ensure_ascii=False, indent=2)
    True
    """
    if type(obj) in _SCALARS:
        return _scalar_json(obj)
    parts: list = []
    _write_container(obj, "\n", parts.append, {})
    return "".join(parts)


#: A cell a spreadsheet would run as a formula; numbers such as ``-1`` are left alone.
_FORMULA = re.compile(r"^[=+\-@\t\r]")
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def spreadsheet_safe(text: str) -> str:
    """Quote a CSV cell that a spreadsheet would run as a formula.

    Data comes from anyone's ``--data`` file, and a label such as
    ``=HYPERLINK(...)`` or ``@SUM(...)`` is executed when the CSV is opened in
    Excel or LibreOffice. Such cells get a leading ``'`` (OWASP's advice), which
    spreadsheets hide; plain numbers are kept as they are.

    >>> spreadsheet_safe("=1+2"), spreadsheet_safe("-1.5"), spreadsheet_safe("HCH")
    ("'=1+2", '-1.5', 'HCH')
    """
    return "'" + text if _FORMULA.match(text) and not _NUMBER.match(text) else text


def _machine_cell(value) -> str:
    """A cell for machines: booleans as true/false (tables say yes/no for people)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return _cell(value)


def to_csv(result: Result) -> str:
    """CSV with a header row; ``iri``, ``label``, ``kind`` first; formula-like cells quoted.

    Rows end in ``\\n``; a row with a carriage return in a cell has every cell
    quoted (the csv module only quotes characters of the line terminator), so
    the CSV stays one record per row.

    >>> to_csv(Result([{"label": "a\\rb"}], ["label"])).splitlines(keepends=True)[1:]
    ['"a\\r', 'b"\\n']
    """
    import csv

    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    quote_all = csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_ALL)
    ids = [c for c in ("iri", "label", "kind") if result.rows and c in result.rows[0]]
    columns = ids + [c for c in result.columns if c not in ids]
    writer.writerow(columns)
    for row in result.rows:
        cells = [spreadsheet_safe(_machine_cell(row.get(c))) for c in columns]
        (quote_all if any("\r" in c for c in cells) else writer).writerow(cells)
    return buf.getvalue()


#: Piped tables cut a cell (but never the last column) at this many characters.
CUT = 72
#: On a terminal, columns narrower than this are not made narrower by wrapping.
MIN_COLUMN = 8


def terminal_width(stream=None) -> int | None:
    """The width to fit tables to: the terminal's when ``stream`` is one, else None.

    ``COLUMNS`` wins over the terminal's own size (as :func:`shutil.get_terminal_size`
    does); piped or redirected output has no width (one line per row).
    """
    import sys

    stream = stream if stream is not None else sys.stdout
    try:
        if not stream.isatty():
            return None
    except (AttributeError, ValueError):
        return None
    import shutil

    return max(20, shutil.get_terminal_size().columns)


def _wrap(text: str, width: int) -> list:
    """``text`` wrapped to ``width``, keeping its leading indentation on every line.

    >>> _wrap("    one two three", 12)
    ['    one two', '    three']
    """
    import textwrap

    if len(text) <= width:
        return [text]
    body = text.lstrip(" ")
    indent = " " * min(len(text) - len(body), width // 2)
    return textwrap.wrap(body, width, initial_indent=indent, subsequent_indent=indent,
                         break_on_hyphens=False) or [""]


def column_widths(natural: list, width: int, floors: list | None = None, gap: int = 2) -> list | None:
    """Widths for columns of ``natural`` widths so that a row fits ``width`` (``gap`` spaces between).

    Wide columns are narrowed first, none below its floor (by default
    :data:`MIN_COLUMN`, or its own natural width if smaller); None when the
    columns cannot fit even so.

    >>> column_widths([10, 40, 5], 40)
    [10, 21, 5]
    >>> column_widths([30] * 10, 40) is None
    True
    """
    room = width - gap * (len(natural) - 1)
    if sum(natural) <= room:
        return list(natural)
    floors = [max(1, min(n, MIN_COLUMN if f is None else f)) for n, f in zip(natural, floors or [None] * len(natural))]
    if sum(floors) > room:
        return None
    low, high = 0, max(natural)  # the largest cap c with sum(min(n, max(c, floor))) <= room
    while low < high:
        cap = (low + high + 1) // 2
        if sum(min(n, max(cap, f)) for n, f in zip(natural, floors)) <= room:
            low = cap
        else:
            high = cap - 1
    widths = [min(n, max(low, f)) for n, f in zip(natural, floors)]
    spare = room - sum(widths)
    for i in sorted(range(len(widths)), key=lambda i: -natural[i]):  # leftovers to the widest
        extra = min(spare, natural[i] - widths[i])
        widths[i] += extra
        spare -= extra
    return widths


#: Words longer than this may be broken to fit a column; shorter ones are kept whole if at all possible.
LONG_WORD = 20


def fit_columns(natural: list, longest_words: list, width: int):
    """``(widths, gap)`` for a table ``width`` wide, or None when it cannot fit.

    Tried in turn: no word broken with 2-space gaps, then with 1-space gaps,
    then words broken (columns down to :data:`MIN_COLUMN`) with 2-space gaps.

    >>> fit_columns([20, 15, 15, 15, 15], [13, 15, 15, 15, 15], 80)
    ([16, 15, 15, 15, 15], 1)
    """
    word_floors = [min(w, LONG_WORD) for w in longest_words]
    for floors, gap in ((word_floors, 2), (word_floors, 1), (None, 2)):
        widths = column_widths(natural, width, floors, gap)
        if widths is not None:
            return widths, gap
    return None


def _piped_table(lines, result, cells) -> list:
    last = len(result.columns) - 1  # the last column is never cut
    cells = [[c if len(c) <= CUT or i == last else c[: CUT - 1] + "…" for i, c in enumerate(r)] for r in cells]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(result.columns)]
    fmt = lambda r: "  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip()  # noqa: E731
    if lines:
        lines.append("")
    lines.append(fmt(result.columns))
    lines.append(fmt(["-" * w for w in widths]))
    for row, r in zip(result.rows, cells):
        lines.append(fmt(r))
        if result.detail:
            lines.extend(clean(d) for d in result.detail(row))
    return lines


def _fitted_table(lines, result, cells, width) -> list:
    """Rows whose cells wrap inside their column; records (one field a line) when columns cannot fit."""
    heads = [h.replace("_", " ") for h in result.columns]  # so that long column names wrap between words
    natural = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(heads)]
    words = [max(len(w) for v in [h, *(r[i] for r in cells)] for w in v.split() or [""]) for i, h in enumerate(heads)]
    if sum(natural) + 2 * (len(natural) - 1) > width:  # headers wrap too: a short column keeps its width
        natural = [max(max(map(len, h.split()), default=0), *(len(r[i]) for r in cells)) for i, h in enumerate(heads)]
    fitted = fit_columns([max(1, n) for n in natural], words, width)
    if lines:
        lines.append("")
    if fitted is None:  # too many columns for the terminal: each row as a record
        for row, r in zip(result.rows, cells):
            lines.extend(_wrap(r[0], width))
            for column, value in zip(heads[1:], r[1:]):
                if value:
                    lines.extend(_wrap(f"    {column}: {value}", width))
            if result.detail:
                lines.extend(w for d in result.detail(row) for w in _wrap(clean(d), width))
            lines.append("")
        return lines[:-1]

    widths, gap = fitted
    sep = " " * gap

    def block(values):
        wrapped = [_wrap(v, w) if v else [""] for v, w in zip(values, widths)]
        return [sep.join(part[k].ljust(w) if k < len(part) else " " * w for part, w in zip(wrapped, widths)).rstrip()
                for k in range(max(len(p) for p in wrapped))]

    lines.extend(block(heads))
    lines.append(sep.join("-" * w for w in widths))
    for row, r in zip(result.rows, cells):
        lines.extend(block(r))
        if result.detail:
            lines.extend(w for d in result.detail(row) for w in _wrap(clean(d), width))
    return lines


def to_table(result: Result, width: int | None = None) -> str:
    """A plain-text table: one line per row, or fitted to ``width`` columns.

    With no ``width`` (output piped or redirected) every row is one line and
    long cells, except in the last column, are cut at :data:`CUT` characters.
    With a ``width`` (a terminal) nothing is cut: cells and the header lines
    wrap so that no line is longer than ``width``; a matrix with too many
    columns to fit prints each row as a record instead.

    >>> r = Result([{"a": "x", "b": "one two three four"}], ["a", "b"])
    >>> print(to_table(r, width=12), end="")
    a  b
    -  ---------
    x  one two
       three
       four
    """
    lines = [clean(h) for h in result.header]
    if width:
        lines = [w for h in lines for w in _wrap(h, width)]
    if result.rows and result.columns and result.table_rows:
        cells = [[clean(_cell(row.get(c))) or result.blank.get(c, "") for c in result.columns] for row in result.rows]
        if width:
            lines = _fitted_table(lines, result, cells, width)
        else:
            lines = _piped_table(lines, result, cells)
    return "\n".join(lines) + ("\n" if lines else "")


def to_markdown(result: Result) -> str:
    """A GitHub-flavoured Markdown table (pipes and newlines in cells escaped)."""
    def esc(value):
        return clean(_cell(value)).replace("|", "\\|").replace("\n", " ")

    lines = [esc(h) for h in result.header if h] and [f"**{esc(result.header[0])}**", ""] or []
    if result.columns:
        lines.append("| " + " | ".join(esc(c) for c in result.columns) + " |")
        lines.append("|" + "|".join("---" for _ in result.columns) + "|")
        for row in result.rows:
            lines.append("| " + " | ".join(esc(row.get(c)) for c in result.columns) + " |")
    return "\n".join(lines) + "\n"


def render(result: Result, fmt: str, width: int | None = None) -> str:
    """The text of ``result`` in format ``fmt`` (one of :data:`FORMATS`); tables fit ``width`` if given."""
    if fmt == "table":
        return to_table(result, width)
    return {"json": to_json, "csv": to_csv, "markdown": to_markdown}[fmt](result)


#: The ``--output`` value that means standard output.
STDOUT = "-"


def write_stdout(data: str | bytes) -> None:
    """Write ``data`` to standard output and flush it; a failure is an :class:`OutputError` naming stdout.

    When stdout cannot take the data (``> /dev/full``, a closed pipe), what
    is still buffered is sent to ``/dev/null`` so that Python's own flush at
    exit prints nothing more.

    Examples
    --------
    >>> write_stdout("hello\\n")
    hello
    """
    import sys

    stream = sys.stdout
    try:
        if isinstance(data, bytes):
            stream.flush()
            stream.buffer.write(data)
            stream.buffer.flush()
        else:
            stream.write(data)
            stream.flush()
    except BrokenPipeError:  # the reader has gone (| head): the CLI ends quietly, as for any command
        raise
    except OSError as exc:
        discard_stdout()
        raise OutputError(f"stdout: cannot write ({exc.strerror or exc})") from None


def discard_stdout() -> None:
    """Point the process's standard output at ``/dev/null`` (after stdout failed), if it is a real file."""
    import sys

    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
    finally:
        os.close(devnull)


def _name_max(directory: Path) -> int:
    try:
        return os.pathconf(directory, "PC_NAME_MAX")
    except (OSError, ValueError, AttributeError):
        return 255


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_atomic(path: str | Path, data: str | bytes, *, force: bool = False) -> Path:
    """Write ``data`` to ``path`` through a temporary file and a rename; ``-`` means stdout.

    A failure leaves no partial file and no temporary file. Only a regular
    file is ever replaced, and only with ``force`` (the caller passes
    ``force`` for files alignkg generates under ``output/``): a device node,
    FIFO or socket is refused even with ``force`` (as root, replacing
    ``/dev/null`` would break the system). A symbolic link to a regular file
    is followed: the file it points to is replaced, the link stays. The
    replaced file keeps its permission bits (and, where allowed, its owner);
    a new file gets ``0666`` less the umask, as ``open`` would give it. The
    temporary name is short (``.alignkg-XXXXXXXX.tmp``), so a name near the
    file-name limit still works. Every problem is an :class:`OutputError`
    (exit 2) that names the path.

    Parameters
    ----------
    path : str or Path
        Where to write; ``"-"`` writes to standard output (:func:`write_stdout`).
    data : str or bytes
        Text is written as UTF-8.
    force : bool
        Replace an existing regular file.

    Returns
    -------
    Path
        The path written (``Path("-")`` for stdout).

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> write_atomic(folder / "a.txt", "one").read_text()
    'one'
    >>> write_atomic(folder / "a.txt", "two")
    Traceback (most recent call last):
    ...
    graph.errors.OutputError: ...a.txt: already exists; use --force to overwrite
    """
    import stat

    if str(path) == STDOUT:
        write_stdout(data)
        return Path(STDOUT)
    path = Path(path)
    target, mode, owner = path, None, None
    try:
        info = os.stat(path)
    except FileNotFoundError:
        info = None
    except NotADirectoryError:
        raise OutputError(f"{path}: a part of the path is a file, not a directory") from None
    except OSError as exc:
        raise OutputError(f"{path}: cannot write ({exc.strerror or exc})") from None
    except ValueError as exc:  # an embedded NUL byte
        raise OutputError(f"{str(path)!r}: not a usable file name ({exc})") from None
    if info is not None:
        if stat.S_ISDIR(info.st_mode):
            raise OutputError(f"{path}: is a directory")
        if not stat.S_ISREG(info.st_mode):
            raise OutputError(f"{path}: is not a regular file (a device, FIFO or socket); alignkg only replaces "
                              "regular files (use '-o -' for stdout)")
        if not force:
            raise OutputError(f"{path}: already exists; use --force to overwrite")
        target = Path(os.path.realpath(path)) if path.is_symlink() else path
        mode, owner = stat.S_IMODE(info.st_mode), (info.st_uid, info.st_gid)
    parent = target.parent if str(target.parent) else Path(".")
    with _directory_errors(parent, "write"):
        if not stat.S_ISDIR(os.stat(parent).st_mode):
            raise OutputError(f"{parent}: is a file, not a directory")
    limit = _name_max(parent)
    if len(os.fsencode(target.name)) > limit:
        raise OutputError(f"{path}: file name too long ({len(os.fsencode(target.name))} bytes; at most {limit})")
    payload = data.encode("utf-8") if isinstance(data, str) else data
    import tempfile

    try:
        fd, tmp = tempfile.mkstemp(dir=parent, prefix=".alignkg-", suffix=".tmp")
    except OSError as exc:
        raise OutputError(f"{parent}: cannot write ({exc.strerror or exc})") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
        os.chmod(tmp, mode if mode is not None else 0o666 & ~_umask())
        if owner is not None and hasattr(os, "chown"):
            try:
                os.chown(tmp, *owner)
            except OSError:  # only root may give a file away; the mode is kept all the same
                pass
        os.replace(tmp, target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise OutputError(f"{path}: cannot write ({exc.strerror or exc})") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def ensure_directory(directory: str | Path) -> Path:
    """Create ``directory`` (and its parents) unless it exists; a file in the way is an :class:`OutputError`.

    Examples
    --------
    >>> import tempfile
    >>> ensure_directory(Path(tempfile.mkdtemp()) / "output").is_dir()
    True
    """
    directory = Path(directory)
    with _directory_errors(directory, "create"):
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except FileExistsError:
            raise OutputError(f"{directory}: is a file, not a directory (maps and exports go there)") from None
    return directory


@contextmanager
def _directory_errors(directory, verb: str):
    """Turn an OS error about ``directory`` into one :class:`OutputError` line (``cannot VERB ...``)."""
    try:
        yield
    except FileNotFoundError:
        raise OutputError(f"{directory}: no such directory") from None
    except NotADirectoryError:
        raise OutputError(f"{directory}: a part of the path is a file, not a directory") from None
    except OSError as exc:
        raise OutputError(f"{directory}: cannot {verb} ({exc.strerror or exc})") from None
