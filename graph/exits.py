"""How a command ends: one line on stderr and an exit code for each kind of failure, and a fast exit.

Shared by the click command line (:class:`alignkg.cli.AlignGroup`) and its fast lane
(:mod:`alignkg.fastcli`), so that both end a command the same way. Exit codes: 0 success (also
for an empty answer), 1 data that does not conform (``validate``), 2 bad input, 70 an internal
error (a bug: one line, the traceback only with ``ALIGNKG_DEBUG=1``), 130 interrupted. Nothing
here imports click.
"""

from __future__ import annotations

import os
import sys

#: Code objects of the functions that write answers to stdout (click's ``echo`` adds itself when
#: the click command line is loaded): an OSError raised inside one is the user's stdout failing
#: (``> /dev/full``: exit 2), not a bug.
STDOUT_WRITERS: set = set()


def fail(message: str, code: int) -> int:
    """Print ``alignkg: error: MESSAGE`` (one line, control characters made visible) on stderr; return ``code``."""
    from .output import clean

    line = f"alignkg: error: {clean(' '.join(message.split()))}\n"
    try:
        sys.stderr.write(line)
        sys.stderr.flush()
    except (OSError, ValueError, AttributeError):  # AttributeError: stderr is None, started closed (``2>&-``)
        pass
    return code


def internal_error(exc: BaseException) -> int:
    """A bug, not bad input: one line and exit 70, or the traceback with ALIGNKG_DEBUG=1."""
    if os.environ.get("ALIGNKG_DEBUG"):
        raise exc
    return fail(f"internal error ({type(exc).__name__}: {exc}); please report it, "
                "and set ALIGNKG_DEBUG=1 to see the traceback", 70)


def raised_writing(exc: BaseException) -> bool:
    """True when ``exc`` was raised while one of :data:`STDOUT_WRITERS` wrote to stdout."""
    import traceback

    return any(frame.f_code in STDOUT_WRITERS for frame, _ in traceback.walk_tb(exc.__traceback__))


def outcome(exc: BaseException) -> int:
    """The exit code of a command that raised ``exc``, after its one line on stderr.

    Anything but an ordinary exception (``SystemExit``, say) is raised again.

    >>> from alignkg.errors import AlignKGError
    >>> outcome(AlignKGError("no such thing"))  # doctest: +SKIP
    2
    """
    from .errors import AlignKGError

    if isinstance(exc, AlignKGError):
        return fail(str(exc), exc.exit_code)
    if isinstance(exc, KeyboardInterrupt):
        return fail("interrupted", 130)
    if isinstance(exc, BrokenPipeError):  # the reader went away: nothing more to say
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    if isinstance(exc, OSError):  # stdout that cannot take the answer (> /dev/full) is bad input: exit 2
        if not raised_writing(exc) or os.environ.get("ALIGNKG_DEBUG"):
            return internal_error(exc)
        from .output import discard_stdout

        discard_stdout()
        return fail(f"stdout: cannot write ({exc.strerror or exc})", 2)
    if isinstance(exc, Exception):  # a bug, not bad input: still one line, unless debugging
        return internal_error(exc)
    raise exc


def finish(code: int) -> None:
    """End the process once the answer is out, without freeing the heap object by object.

    Python's own exit frees every object a command built; after a first load of
    a million triples that took 2.8 s (a seventh of the load). Here the exit
    handlers still run (temporary stores are removed, query workers stopped)
    and the standard streams are flushed, then the process ends at once.
    """
    import atexit

    atexit._run_exitfuncs()
    try:
        if sys.stdout is not None:  # None: started with the descriptor closed
            sys.stdout.flush()
    except BrokenPipeError:  # the reader went away: nothing more to say
        pass
    except OSError as exc:
        code = fail(f"stdout: cannot write ({exc.strerror or exc})", 2)
    try:
        if sys.stderr is not None:
            sys.stderr.flush()
    except OSError:
        pass
    os._exit(code)
