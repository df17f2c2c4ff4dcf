"""Where the cache lives, how its files are opened, and which entry a set of ``--data`` files used last.

Light on purpose (``os``, ``stat``, ``json``): a query's process reads :func:`recent_store`
first thing, before the command has found its store. Finding the store means hashing the code
that builds it and checking the cache entry (:class:`alignkg.store.Store`, some 10 ms with its
imports); the query's process instead opens, at once, the store that the same ``--data`` files
(by absolute path) led to last time, and keeps it only if the command then names that very
directory (:class:`alignkg.sparql._Child`). The record, ``recent.json`` in the private cache
directory, holds entry keys (32 hex digits), never paths or anything that runs.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

#: The record of the entries recent command lines used (:func:`recent_store`, :func:`remember`).
RECENT = "recent.json"
_RECENT_MAX = 64
_RECENT_BYTES = 1 << 16


class CacheEntryError(Exception):
    """A cache entry that may not be used (damaged, foreign, or unsafe)."""


def cache_dir() -> Path | None:
    """The cache directory, or None when caching is off."""
    configured = os.environ.get("ALIGNKG_CACHE_DIR")
    if configured == "off":
        return None
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "alignkg"


def private(st, kind=stat.S_ISDIR) -> bool:
    """Whether ``st`` (an ``os.lstat`` result) is a ``kind`` (a directory) of this user that no one else can write.

    >>> import tempfile
    >>> d = tempfile.mkdtemp()  # 0700
    >>> private(os.lstat(d)), private(os.lstat(d), stat.S_ISREG)
    (True, False)
    >>> os.chmod(d, 0o777); private(os.lstat(d))
    False
    >>> os.rmdir(d)
    """
    return kind(st.st_mode) and st.st_uid == os.geteuid() and not st.st_mode & 0o022


def open_regular(path: Path, max_size: int):
    """Open ``path`` for reading only if it is a regular file of ours, without following links
    or blocking on a FIFO; return (file object, size)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as exc:
        raise CacheEntryError(f"{path.name}: {exc.strerror or exc}") from None
    st = os.fstat(fd)
    if not private(st, stat.S_ISREG) or st.st_size > max_size:
        os.close(fd)
        raise CacheEntryError(f"{path.name}: not a regular private file")
    return open(fd, "rb"), st.st_size  # builtin open on the fd (not os.fdopen, which tests replace)


def _inputs(data) -> str | None:
    """The record's name for a list of ``--data`` files: their absolute paths; None for stdin."""
    if any(str(path) == "-" for path in data):
        return None  # what a pipe holds differs from run to run
    name = "\0".join(os.path.abspath(path) for path in data)
    return name if len(name) <= 4096 else None


def _recent(directory: Path) -> dict:
    try:
        fh, _ = open_regular(directory / RECENT, _RECENT_BYTES)
        with fh:
            record = json.loads(fh.read(_RECENT_BYTES))
    except (CacheEntryError, OSError, ValueError, UnicodeDecodeError, RecursionError):  # nested too deep: damaged
        return {}
    return record if isinstance(record, dict) else {}


def _is_key(key) -> bool:
    return isinstance(key, str) and len(key) == 32 and all(c in "0123456789abcdef" for c in key)


def recent_store(data) -> str | None:
    """The store directory the ``--data`` files ``data`` used last (a guess, to be confirmed), or None.

    >>> recent_store(["-"]) is None  # a pipe's contents change from run to run
    True
    """
    directory = cache_dir()
    name = _inputs(data)
    if directory is None or name is None:
        return None
    try:  # as the store itself (alignkg.store._private_dir): nothing from a directory others can write
        st = os.lstat(directory)
    except OSError:
        return None
    if not private(st):
        return None
    key = _recent(directory).get(name)
    return str(directory / key / "ox") if _is_key(key) else None


def remember(directory: Path, data, key: str) -> None:
    """Record that the ``--data`` files ``data`` use the cache entry ``key`` of ``directory`` (if it changed)."""
    name = _inputs(data)
    if name is None or not _is_key(key):
        return
    record = _recent(directory)
    if record.get(name) == key:
        return
    record.pop(name, None)
    record[name] = key  # most recent last
    items = list(record.items())[-_RECENT_MAX:]
    text = json.dumps(dict(items))
    while len(text) > _RECENT_BYTES:  # long names: the oldest go, or the whole record would be unreadable
        items = items[1:]
        text = json.dumps(dict(items))
    tmp = directory / f".{RECENT}.{os.getpid()}.tmp"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
        with open(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, directory / RECENT)
    except OSError:
        try:
            os.unlink(tmp)
        except OSError:
            pass
