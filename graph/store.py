"""The loaded knowledge graph: an embedded on-disk store keyed by the inputs' contents.

The shipped ontology and the user's ``--data`` files are parsed once into a
pyoxigraph store on disk (:attr:`Store.ox`, with the entailed triples of
:mod:`graph.entail`), projected onto networkx (:attr:`Store.nx`, with its name
index), and kept in a cache entry named by a digest of every input file's
bytes and of the code that builds it. A warm start opens that entry and
rebuilds nothing: it reads the projection from JSON and the names from
SQLite, and opens the store only when a command asks for it. Nothing in the
cache can run code (no pickle).

Cache entries (``<cache>/<key>/``: ``meta.json``, ``graph.json``,
``followed.json``, ``names.sqlite``, ``ox/``) are built in a private temporary directory and
renamed into place whole; before use the entry must be a directory owned by
the user that others cannot write, and every file must match the size and
SHA-256 its ``meta.json`` records (the store's files: their sizes). An entry
that fails any check is discarded and rebuilt, with one note on stderr. The
cache directory is created private (0700); if it is owned by someone else or
writable by others it is not used at all. Least recently used entries are
evicted once the cache exceeds ``$ALIGNKG_CACHE_MAX_MB`` (default 1024) MiB.

The cache lives in ``$ALIGNKG_CACHE_DIR`` or ``$XDG_CACHE_HOME/alignkg``
(``~/.cache/alignkg``); ``ALIGNKG_CACHE_DIR=off`` builds into a temporary
directory removed at exit. A cache that cannot be written is skipped the same way.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import os
import stat
import sys
import time
from functools import cached_property
from pathlib import Path

from . import __version__
from .cachedir import CacheEntryError, cache_dir, private, remember
from .cachedir import open_regular as _open_regular
from .parse import file_digest, format_of, max_input_bytes, ontology_files, read_bytes

_BUILD_CODE = ("parse.py", "card.py", "asserted.py", "entail.py", "project.py", "namespace.py", "store.py",
               "graphio.py", "resolve.py")
#: Bumped whenever the layout of a cache entry changes.
CACHE_FORMAT = 3
#: Default cap on the cache's size, in MiB (``ALIGNKG_CACHE_MAX_MB``).
DEFAULT_CACHE_MAX_MB = 1024
_META_MAX = 1 << 20


def cache_max_bytes() -> int:
    """The cache's size cap in bytes (``$ALIGNKG_CACHE_MAX_MB`` MiB, default 1024)."""
    value = os.environ.get("ALIGNKG_CACHE_MAX_MB", "")
    try:
        mb = float(value) if value else DEFAULT_CACHE_MAX_MB
    except ValueError:
        mb = DEFAULT_CACHE_MAX_MB
    return int(max(mb, 0) * 1024 * 1024)


def note(text: str) -> None:
    """One line on stderr (never data)."""
    print(f"alignkg: note: {text}", file=sys.stderr)


def _private_dir(directory: Path, quiet: bool = False) -> bool:
    """Create ``directory`` private (0700) if missing; True when it is safe to use.

    Safe: a real directory (not a link) owned by this user that no one else
    can write. Anything else is not used, with a note.
    """
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        st = os.lstat(directory)
    except OSError:
        return False
    if not private(st):
        if not quiet:
            note(f"cache directory {directory} is not a private directory of this user; not using it")
        return False
    return True


def _file_record(path: Path) -> list:
    data = path.read_bytes()
    return [len(data), hashlib.sha256(data).hexdigest()]


def _tree_sizes(root: Path) -> dict:
    """Relative path -> size of every file under ``root``."""
    sizes = {}
    for folder, _, files in os.walk(root):
        for name in files:
            full = Path(folder) / name
            sizes[str(full.relative_to(root))] = full.stat().st_size
    return sizes


def _dir_size(root: Path) -> int:
    total = 0
    for folder, _, files in os.walk(root):
        for name in files:
            try:
                total += os.lstat(os.path.join(folder, name)).st_size
            except OSError:
                pass
    return total


def _remove(path: Path) -> None:
    import shutil

    try:
        if path.is_symlink() or not path.is_dir():
            path.unlink()
        else:
            shutil.rmtree(path)
    except OSError:
        pass


def temporary_dir(prefix: str, parent: Path | None = None) -> Path:
    """A new private directory for this process's temporary store, removed when the process ends.

    Its name carries the process id (``PREFIX<pid>-...``), so that directories left by
    processes that were killed (SIGKILL runs no exit handler) are recognised and removed
    here: those of ``prefix`` in the same parent, owned by this user, whose process is gone.
    """
    import shutil
    import tempfile

    _sweep(prefix, parent)
    root = Path(tempfile.mkdtemp(prefix=f"{prefix}{os.getpid()}-", dir=parent))
    atexit.register(shutil.rmtree, root, True)
    return root


def _sweep(prefix: str, parent: Path | None) -> None:
    import shutil
    import tempfile

    base = parent if parent is not None else Path(tempfile.gettempdir())
    try:
        entries = list(os.scandir(base))
    except OSError:
        return
    for entry in entries:
        pid = entry.name[len(prefix):].split("-", 1)[0] if entry.name.startswith(prefix) else ""
        if not pid.isdigit() or _alive(int(pid)):
            continue
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if stat.S_ISDIR(st.st_mode) and st.st_uid == os.geteuid():
            shutil.rmtree(entry.path, ignore_errors=True)


def _alive(pid: int) -> bool:
    """Whether a process ``pid`` exists (one of another user counts).

    >>> _alive(os.getpid())
    True
    """
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def _signature(path):
    """What changes whenever a regular file's contents may have: size, times to the nanosecond
    (``ctime`` cannot be set back by anyone), inode and device; None for anything else."""
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    if not stat.S_ISREG(st.st_mode):
        return None
    return _stat_signature(st)


def _stat_signature(st) -> list:
    """The :func:`_signature` of a regular file from its ``os.stat_result``."""
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev]


class _Digests:
    """The SHA-256 of input files already read, by path and signature, in the cache directory.

    A warm start would otherwise read and hash every input in full just to
    find its cache entry (0.15 s for a 130 MB file): like git's index, a file
    whose signature (:func:`_signature`) is the one recorded when it was hashed
    is not read again. A file changed in the same instant as it was hashed
    could keep its signature, so files modified less than two seconds before
    hashing are not recorded. The record is JSON in the private cache
    directory, checked like the cache entries, and holds the most recent
    :data:`MAX` files.
    """

    MAX = 256
    NAME = "digests.json"

    def __init__(self, directory):
        self.path, self.known, self.changed = None, {}, False
        if directory is None or not _private_dir(directory, quiet=True):  # the entry's lookup says why
            return
        self.path = directory / self.NAME
        try:
            fh, _ = _open_regular(self.path, _META_MAX)
            with fh:
                known = json.loads(fh.read(_META_MAX))
            if isinstance(known, dict):
                self.known = known
        except (CacheEntryError, ValueError, UnicodeDecodeError, OSError, RecursionError):  # damaged: hashed afresh
            pass

    def get(self, path):
        """(the recorded SHA-256 or None, the file's signature now)."""
        seen = _signature(path)
        if seen is None or seen[0] > max_input_bytes():
            return None, seen
        return self.recorded(path, seen), seen

    def recorded(self, path, seen) -> bytes | None:
        """The SHA-256 recorded for ``path`` when its signature was ``seen``; None when there is none."""
        if self.path is None or seen is None:
            return None
        record = self.known.get(os.path.abspath(path))
        if not isinstance(record, list) or len(record) != 2 or record[0] != seen:
            return None
        try:
            return bytes.fromhex(record[1]) if len(record[1]) == 64 else None
        except (TypeError, ValueError):
            return None

    def put(self, path, seen, sha: bytes) -> None:
        if self.path is None or seen is None or seen != _signature(path):
            return  # not a regular file, or it changed while it was read
        if time.time_ns() - seen[1] < 2_000_000_000:
            return
        key = os.path.abspath(path)
        self.known.pop(key, None)
        self.known[key] = [seen, sha.hex()]  # most recent last
        self.changed = True

    def forget(self, path) -> None:
        if self.known.pop(os.path.abspath(path), None) is not None:
            self.changed = True
            self.save()

    def save(self) -> None:
        if not self.changed:
            return
        self.changed = False
        known = dict(list(self.known.items())[-self.MAX:])
        tmp = self.path.with_name(f".{self.NAME}.{os.getpid()}.tmp")
        try:
            with open(tmp, "w", encoding="utf-8") as fh:
                json.dump(known, fh)
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.path)
        except OSError:
            try:
                os.unlink(tmp)
            except OSError:
                pass


class _Entry:
    """One cache entry's files (or a temporary build directory when caching is off)."""

    def __init__(self, root: Path):
        self.root = root
        self.meta_file = root / "meta.json"
        self.graph_file = root / "graph.json"
        self.names_file = root / "names.sqlite"
        self.followed_file = root / "followed.json"
        self.ox_dir = root / "ox"


class _Loader:
    """One bulk load of a file into a pyoxigraph store, on a thread of its own.

    pyoxigraph's bulk loader releases the interpreter lock, so the store is
    filled while Python builds the projection.
    """

    def __init__(self, store):
        self.store, self.error, self.thread = store, None, None

    def load(self, path: Path, fmt, base_iri) -> None:
        import threading

        self.thread = threading.Thread(target=self._run, args=(path, fmt, base_iri), name="alignkg-bulk-load",
                                       daemon=True)
        self.thread.start()

    def _run(self, path, fmt, base_iri) -> None:
        try:
            self.store.bulk_load(path=str(path), format=fmt, base_iri=base_iri)
        except BaseException as exc:  # noqa: BLE001 - handed to the building thread
            self.error = exc

    def join(self, quiet: bool = False) -> None:
        """Wait for the load; raise what it raised (unless ``quiet``)."""
        if self.thread is not None:
            self.thread.join()
        self.store = None  # the builder closes the store next: no reference may keep it open
        if self.error is not None and not quiet:
            raise self.error


class Store:
    """The shipped ontology plus the user's ``--data`` files.

    Parameters
    ----------
    data : sequence of str
        Extra RDF files named by the user (checked and fingerprinted at once,
        so a bad path fails before any work is done).
    include_shipped : bool
        Load ``ontology/`` too (the default).

    Attributes
    ----------
    nx : networkx.MultiDiGraph
        The projection the algorithms follow (see :mod:`graph.project`).
    ox : pyoxigraph.Store
        Everything (shipped, data, entailments) in the default graph, read-only.
    ox_path : pathlib.Path
        The store's directory, for ``pyoxigraph.Store.read_only`` in another process.
    rdf : rdflib.Graph
        The same triples as ``ox`` as an rdflib graph (built on demand).
    """

    def __init__(self, data=(), include_shipped=True):
        shipped = list(ontology_files()) if include_shipped else []
        self.paths = shipped + list(data)
        self._shipped = len(shipped)
        self._contents = {}  # index -> bytes, for pipes (which cannot be read twice)
        self._digests = []  # sha256 of each input, to notice a file that changes before it is parsed
        digest = hashlib.sha256(f"{__version__}/{CACHE_FORMAT}".encode())
        here = Path(__file__).parent
        for name in _BUILD_CODE:
            digest.update((here / name).read_bytes())
        self._known = known = _Digests(cache_dir())  # the entry's own files are checked against it too
        for i, path in enumerate(self.paths):
            sha, seen = known.get(path)
            if sha is None:
                one = hashlib.sha256()
                raw = file_digest(path, one)
                if raw is not None:
                    self._contents[i] = raw
                sha = one.digest()
                known.put(path, seen, sha)
            format_of(path)  # fail early on an unknown extension
            self._digests.append(sha)
            digest.update(Path(path).suffix.encode() + b"\0" + sha)
        known.save()
        self.key = digest.hexdigest()[:32]
        self._entry = None
        self._meta = None
        self._built_graph = None

    # -- the cache entry -------------------------------------------------------

    def _raw(self, i: int) -> bytes:
        if i in self._contents:
            return self._contents[i]
        raw = read_bytes(self.paths[i])
        if hashlib.sha256(raw).digest() != self._digests[i]:
            from .errors import DataError

            _Digests(cache_dir()).forget(self.paths[i])  # hashed afresh next time

            raise DataError(f"{self.paths[i]}: the file changed while it was being read; run again")
        return raw

    def _ensure(self) -> _Entry:
        """The entry for this key: opened and verified, or built."""
        if self._entry is not None:
            return self._entry
        directory = cache_dir()
        if directory is not None and _private_dir(directory):
            entry = _Entry(directory / self.key)
            try:
                self._meta = self._verify(entry)
                self._entry = entry
                try:
                    os.utime(entry.meta_file)  # least recently used: the oldest meta.json goes first
                except OSError:
                    pass
                self._remember(directory)
                return entry
            except FileNotFoundError:
                pass
            except CacheEntryError as exc:
                note(f"discarded a damaged cache entry ({exc}); rebuilding")
                self._discard(entry.root)
            self._entry = self._build_cached(directory)
            if self._entry.root.parent == directory:
                self._remember(directory)
            return self._entry
        self._entry = self._build_temporary()
        return self._entry

    def _remember(self, directory: Path) -> None:
        """Note this entry as the one these ``--data`` files use: the next query's process opens it early."""
        if self._shipped:  # a graph without the shipped ontology is another entry for the same files
            remember(directory, self.paths[self._shipped:], self.key)

    def _verify(self, entry: _Entry) -> dict:
        try:
            st = os.lstat(entry.root)
        except FileNotFoundError:
            raise
        except OSError as exc:
            raise CacheEntryError(str(exc)) from None
        if not stat.S_ISDIR(st.st_mode):
            raise CacheEntryError("not a directory")
        if st.st_uid != os.geteuid() or st.st_mode & 0o022:
            raise CacheEntryError("not owned by this user, or writable by others")
        fh, _ = _open_regular(entry.meta_file, _META_MAX)
        with fh:
            raw = fh.read(_META_MAX)
        try:
            meta = json.loads(raw)
        except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: nested deeper than json reads
            raise CacheEntryError("meta.json is not JSON") from None
        if not (isinstance(meta, dict) and meta.get("format") == "alignkg-cache"
                and meta.get("version") == CACHE_FORMAT and meta.get("key") == self.key
                and isinstance(meta.get("files"), dict) and isinstance(meta.get("ox"), dict)):
            raise CacheEntryError("meta.json is foreign or from another version")
        for name in ("graph.json", "names.sqlite", "followed.json"):
            record = meta["files"].get(name)
            if not (isinstance(record, list) and len(record) == 2 and isinstance(record[0], int)
                    and isinstance(record[1], str)):
                raise CacheEntryError(f"meta.json has no record of {name}")
        return meta

    def _discard(self, root: Path) -> None:
        try:
            st = os.lstat(root)
        except OSError:
            return
        if st.st_uid == os.geteuid():
            _remove(root)

    def _build_cached(self, directory: Path) -> _Entry:
        import shutil
        import tempfile

        try:
            build_root = Path(tempfile.mkdtemp(prefix=f".build-{self.key}-", dir=directory))
        except OSError:
            return self._build_temporary()
        try:
            entry = _Entry(build_root)
            self._build(entry, persist=True)
        except BaseException:
            shutil.rmtree(build_root, ignore_errors=True)
            raise
        final = directory / self.key
        try:
            os.chmod(build_root, 0o700)
            os.rename(build_root, final)  # whole, at once; if another process won the race, theirs is used
        except OSError:
            shutil.rmtree(build_root, ignore_errors=True)
            try:
                self._meta = self._verify(_Entry(final))
            except (OSError, CacheEntryError):
                return self._build_temporary()
        self._evict(directory, keep=final)
        if self._meta is not None:  # a warm start then trusts the files it finds unchanged (see _entry_file)
            for name, (_, sha) in self._meta["files"].items():
                path = final / name
                self._known.put(path, _signature(path), bytes.fromhex(sha))
            self._known.save()
        return _Entry(final)

    def _build_temporary(self) -> _Entry:
        import shutil

        root = temporary_dir("alignkg-store-")
        entry = _Entry(root)
        try:
            self._build(entry, persist=False)
        except BaseException:
            shutil.rmtree(root, ignore_errors=True)
            raise
        return entry

    def _parse(self, loader: "_Loader", asserted, budget, scratch: Path):
        """Parse every input into ``asserted``, have ``loader`` fill the store; return the projection.

        The store's bulk loader renames blank nodes apart in every load, so
        everything goes into one load, written to ``scratch``: the first file
        the loader can read as it is (its bytes as they are; its blank-node
        labels are the ones parsed here), then the other files' triples and
        the entailed ones as N-Triples. The projection is built while it loads.
        """
        import pyoxigraph

        from .entail import entailed_ntriples
        from .parse import base_of, bulk_format, quads_from, without_bom
        from .project import project

        first, pending = None, []
        # the user's files first, so a bad one is reported before any other work
        for i in [*range(self._shipped, len(self.paths)), *range(self._shipped)]:
            path, raw = self.paths[i], self._raw(i)
            limit = budget if i >= self._shipped else None
            fmt = bulk_format(path, raw) if first is None else None
            if fmt is not None:
                first = (raw, fmt, base_of(path))
                for _ in asserted.tee(quads_from(path, raw, budget=limit, rename=False)):
                    pass
            else:
                pending.extend(asserted.tee(quads_from(path, raw, budget=limit)))
        self._contents.clear()
        fmt, base = (first[1], first[2]) if first else (pyoxigraph.RdfFormat.N_TRIPLES, None)
        with open(scratch, "wb") as fh:
            if first is not None:
                fh.write(without_bom(first[0]))
                fh.write(b"\n")
            first = None
            if pending:
                pyoxigraph.serialize(pending, fh, format=pyoxigraph.RdfFormat.N_QUADS)
            del pending
            fh.write(entailed_ntriples(asserted))
        loader.load(scratch, fmt, base)
        return project(asserted)  # the asserted data (it adds the shortcut edges itself)

    def _build(self, entry: _Entry, persist: bool) -> None:
        """Parse every input into a new store under ``entry``, entail, project; write the entry's files."""
        import pyoxigraph

        from .asserted import Asserted
        from .graphio import no_gc
        from .parse import TripleBudget

        ox = pyoxigraph.Store(str(entry.ox_dir))
        # what the parser hands over is kept in an Asserted: reading the store back costs far more
        loader = _Loader(ox)
        try:
            with no_gc():  # a million kept quads would make every collection walk them all
                G = self._parse(loader, Asserted(), TripleBudget(), entry.root / "load.tmp")
                if persist:  # written while the loader's thread fills the store
                    from .graphio import write_followed, write_graph, write_names

                    records = {"graph.json": write_graph(G, entry.graph_file),
                               "followed.json": write_followed(G, entry.followed_file)}
                    write_names(G, entry.names_file)
        except BaseException:
            loader.join(quiet=True)  # the store is thrown away; the parser's message is the one to give
            raise
        loader.join()
        (entry.root / "load.tmp").unlink()
        ox.flush()
        del ox
        import gc

        gc.collect()  # closes the store so that it can be opened read-only (here or by another process)
        self._built_graph = G
        if not persist:
            return
        meta = {
            "format": "alignkg-cache", "version": CACHE_FORMAT, "key": self.key,
            "created": time.time(),
            "files": {**records, "names.sqlite": _file_record(entry.names_file)},
            "ox": _tree_sizes(entry.ox_dir),
        }
        tmp = entry.meta_file.with_suffix(".tmp")
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(meta, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, entry.meta_file)
        self._meta = meta

    def _evict(self, directory: Path, keep: Path) -> None:
        """Remove least recently used entries until the cache fits its cap (never ``keep``)."""
        cap = cache_max_bytes()
        entries, total = [], 0
        now = time.time()
        try:
            children = list(os.scandir(directory))
        except OSError:
            return
        for child in children:
            path = Path(child.path)
            try:
                st = child.stat(follow_symlinks=False)
            except OSError:
                continue
            if st.st_uid != os.geteuid():
                continue
            if child.name.startswith(".build-"):
                if now - st.st_mtime > 3600:  # a build that died long ago
                    _remove(path)
                continue
            if not (len(child.name) == 32 and all(c in "0123456789abcdef" for c in child.name)):
                continue
            size = _dir_size(path) if stat.S_ISDIR(st.st_mode) else st.st_size
            try:
                used = os.lstat(path / "meta.json").st_mtime
            except OSError:
                used = 0.0
            entries.append((used, path, size))
            total += size
        for used, path, size in sorted(entries, key=lambda e: e[0]):
            if total <= cap:
                break
            if path == keep:
                continue
            _remove(path)
            total -= size

    # -- views ---------------------------------------------------------------

    @cached_property
    def ox_path(self) -> Path:
        """The directory of the pyoxigraph store (open it with ``pyoxigraph.Store.read_only``)."""
        entry = self._ensure()
        if self._meta is not None:
            self._check_ox(entry)  # may rebuild the entry
        return self._entry.ox_dir

    def _check_ox(self, entry: _Entry) -> None:
        recorded = self._meta.get("ox", {})
        try:
            st = os.lstat(entry.ox_dir)
            ok = private(st)
            actual = _tree_sizes(entry.ox_dir) if ok else None
        except OSError:
            actual = None
        if actual is None or any(actual.get(name) != size for name, size in recorded.items()):
            note("discarded a damaged cache entry (ox: files missing or of the wrong size); rebuilding")
            self._rebuild()

    def _rebuild(self) -> None:
        entry = self._entry
        self._entry, self._meta, self._built_graph = None, None, None
        if entry is not None:
            self._discard(entry.root)
        self.__dict__.pop("nx", None)
        self.__dict__.pop("followed", None)
        self._ensure()

    @cached_property
    def ox(self):
        """The pyoxigraph store of everything (shipped, data, entailments), opened read-only."""
        import pyoxigraph

        path = self.ox_path
        try:
            return pyoxigraph.Store.read_only(str(path))
        except OSError as exc:
            if self._meta is None:
                raise
            note(f"discarded a damaged cache entry (ox: {exc}); rebuilding")
            self._rebuild()
            self.__dict__.pop("ox_path", None)
            return pyoxigraph.Store.read_only(str(self.ox_path))

    @cached_property
    def names(self):
        """The name index alone (a :class:`graph.graphio.NameIndex`), for name lookups that need
        nothing else; None when the projection is in memory anyway (use :attr:`nx`) or the index
        fails its check (:attr:`nx` then rebuilds the entry)."""
        entry = self._ensure()
        if self._built_graph is not None or "nx" in self.__dict__ or self._meta is None:
            return None
        try:
            return self._name_index()
        except CacheEntryError:
            return None

    def _name_index(self):
        """The entry's name index (:class:`graph.graphio.NameIndex`): opened in place when names.sqlite is
        known unchanged, else from its bytes once they match their record (CacheEntryError if not)."""
        from .graphio import NameIndex

        return NameIndex(self._entry.names_file, self._entry_file("names.sqlite", in_place=True))

    def _entry_file(self, name: str, in_place: bool = False) -> bytes | None:
        """The bytes of the entry's file ``name``, which must match the size and SHA-256 meta.json
        records (else :class:`CacheEntryError`); None when ``in_place`` and the file is known unchanged.

        Hashing every file of an entry on every start costs more than the answer of a small
        query (names.sqlite alone: 70 ms at a million triples). So the entry's files are checked
        like the inputs (:class:`_Digests`): a file whose signature (size, times to the nanosecond,
        inode, device) is the one recorded when its bytes last matched their SHA-256 is read
        without hashing, or, with ``in_place``, not read at all (the caller opens it where it is).
        Any write to the file changes its signature, so damage is still caught: the file is then
        hashed, and discarded if it no longer matches.
        """
        size, sha = self._meta["files"][name]
        try:
            digest = bytes.fromhex(sha)
        except ValueError:
            raise CacheEntryError(f"meta.json has no digest of {name}") from None
        path = self._entry.root / name
        fh, actual = _open_regular(path, size)
        with fh:
            seen = _stat_signature(os.fstat(fh.fileno()))
            known = self._known.recorded(path, seen) == digest
            if known and in_place:
                return None
            data = fh.read(size + 1)
        if actual != size or len(data) != size:
            raise CacheEntryError(f"{name}: does not match its recorded size and digest")
        if not known:
            if hashlib.sha256(data).hexdigest() != sha:
                raise CacheEntryError(f"{name}: does not match its recorded size and digest")
            self._known.put(path, seen, digest)
            self._known.save()
        return data

    @cached_property
    def nx(self):
        """The networkx projection (see :mod:`graph.project`), with its name index."""
        self._ensure()
        if self._built_graph is not None:
            return self._built_graph
        from .graphio import read_graph

        G = self._projection("graph.json", read_graph)
        return G if G is not None else self._built_graph

    def _projection(self, name: str, load):
        """The entry's projection file ``name`` read by ``load``, with the name index; None when the
        entry proves damaged (then it is rebuilt, with one note)."""
        try:
            G = load(self._entry_file(name))
            G.graph["_name_index"] = self._name_index()
            return G
        except CacheEntryError as exc:
            reason = str(exc)
        except (ValueError, KeyError, TypeError, IndexError, AttributeError) as exc:
            reason = f"{name}: {type(exc).__name__}"
        note(f"discarded a damaged cache entry ({reason}); rebuilding")
        self._rebuild()
        return None

    @cached_property
    def followed(self):
        """The followed projection (see :func:`graph.graphio.dump_followed`), with the name index.

        Every node with light attributes and only the edges the reachability and
        shared-assumption algorithms read, with their route conditions: it answers
        them as :attr:`nx` does, reading a fraction of the bytes. Read-only; an
        edge holds its relation's attributes, ``G.graph["edge_attrs"]`` all of them;
        searches along every relation need :attr:`nx` (see :func:`graph.answers.path`).
        When :attr:`nx` is in memory already (built in this process, or loaded), it is :attr:`nx`.
        """
        self._ensure()
        if self._built_graph is not None or "nx" in self.__dict__:
            return self.nx
        from .graphio import load_followed

        G = self._projection("followed.json", load_followed)
        if G is not None:
            return G
        return self.nx

    @cached_property
    def rdf(self):
        """An rdflib graph of everything in :attr:`ox` (for validation, export and rdflib's SPARQL)."""
        from rdflib import Graph

        from .namespace import PREFIXES
        from .graphio import to_rdflib

        g = Graph()
        for prefix, ns in PREFIXES.items():
            g.bind(prefix, ns, override=True)
        to_rdflib(self.ox, g)
        return g
