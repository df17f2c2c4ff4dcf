"""Formatting answers (table, json, csv) and writing files atomically."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import tempfile
import unicodedata
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
        return json.dumps(result.json_override, ensure_ascii=False, indent=2) + "\n"
    return json.dumps({**result.meta, "results": result.rows}, ensure_ascii=False, indent=2) + "\n"


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


def to_table(result: Result, width: int = 72) -> str:
    lines = [clean(h) for h in result.header]
    if result.rows and result.columns:
        cells = [[clean(_cell(row.get(c))) for c in result.columns] for row in result.rows]
        last = len(result.columns) - 1  # the last column is never cut
        cells = [[c if len(c) <= width or i == last else c[: width - 1] + "…" for i, c in enumerate(r)] for r in cells]
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


def render(result: Result, fmt: str) -> str:
    """The text of ``result`` in format ``fmt`` (one of :data:`FORMATS`)."""
    return {"json": to_json, "csv": to_csv, "table": to_table, "markdown": to_markdown}[fmt](result)


def write_atomic(path: str | Path, data: str | bytes, *, force: bool = False) -> Path:
    """Write ``data`` to ``path`` through a temporary file and a rename.

    A failure leaves no partial file; an existing file is only replaced with
    ``force`` (or when it is a file alignkg generated under ``output/``, which
    the caller signals with ``force``).
    """
    path = Path(path)
    if path.exists() and path.is_dir():
        raise OutputError(f"{path}: is a directory")
    if path.exists() and not force:
        raise OutputError(f"{path}: already exists; use --force to overwrite")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise OutputError(f"{parent}: no such directory")
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        fd, tmp = tempfile.mkstemp(dir=parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise OutputError(f"{parent}: cannot write ({exc.strerror or exc})") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise OutputError(f"{path}: cannot write ({exc.strerror or exc})") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
