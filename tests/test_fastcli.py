"""The command line's fast lane (graph/fastcli.py): a plain query command line read without click.

It must read every command line it takes exactly as click does (same parameters, defaults
included), leave every other one to click, and end each command the same way: the same stdout,
stderr and exit code as the click application, which is what the rest of the suite tests.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys

import click
import pytest

from alignkg import fastcli
from alignkg.cli import cli

from conftest import ROOT

_VALUES = {
    "--format": [*fastcli.QUERY_FORMATS, "JSON", "yaml", "", "-"],
    "--timeout": ["0", "1.5", " 2 ", "1e3", "inf", "nan", "-1", "604800", "604801", "x", "0x10", "1_0", "+3"],
    "--limit": ["1", "10", "0", "-3", " 7", "+4", "1_000", "x", "\u0663", "2.0"],
    "--data": ["a.ttl", "-", "", "--data", "b c.nt"],
    "--param": ["target=HCH", "k=", "=v", "x", "a=b=c", "-q"],
    "--file": ["q.rq", "-", "--x", ""],
}
_ALIASES = {"-p": "--param", "-f": "--file"}
_POSITIONALS = ["direct-dependents", "stories-by-goal-class", "SELECT * {}", "x=y", "-", "", "\u00e9t\u00e9", "a b",
                "--", "-h"]
_STRAYS = ["--", "-h", "--help", "--list", "--endpoint", "http://127.0.0.1:1/sparql", "-x", "--nope", "-pk=v",
           "-ftarget", "--format", "--version", "--limit=", "--timeout=5", "--data=", "--param=k=v"]


def _command_line(rng: random.Random) -> list:
    argv = [rng.choice(["query", "sparql", "sparql", "query", "list"])]
    for _ in range(rng.randint(0, 6)):
        roll = rng.random()
        if roll < 0.2:
            argv.append(rng.choice(_POSITIONALS))
        elif roll < 0.85:
            option = rng.choice([*_VALUES, *_ALIASES])
            value = rng.choice(_VALUES[_ALIASES.get(option, option)])
            if option.startswith("--") and rng.random() < 0.3:
                argv.append(f"{option}={value}")
            else:
                argv.extend([option, value])
        else:
            argv.append(rng.choice(_STRAYS))
    return argv


def _click_reading(argv: list):
    """The parameters click gives the command, or the click error it raises."""
    command = cli.commands[argv[0]]
    ctx = command.make_context(argv[0], list(argv[1:]))
    return ctx.params


def test_the_fast_lane_reads_a_command_line_as_click_does():
    """Eight thousand generated command lines: every one the fast lane takes, click reads to the very
    same parameters (defaults included, no --endpoint, no --list); every other one is left to click."""
    rng = random.Random(20261130)
    taken = 0
    for _ in range(8000):
        argv = _command_line(rng)
        fast = fastcli.read(argv)
        if fast is None:
            continue
        taken += 1
        command, values = fast
        assert command == argv[0]
        try:
            params = _click_reading(argv)
        except click.ClickException as exc:
            pytest.fail(f"the fast lane took {argv!r}, which click refuses: {exc.format_message()}")
        assert params.pop("endpoint") is None, argv
        if command == "query":
            assert params.pop("list_") is False, argv
        assert values == params, argv
    assert taken > 800, taken  # the generator reaches the lane often, or this test proves nothing


@pytest.mark.parametrize("argv", [
    ["query"], ["query", "--list"], ["query", "x", "--endpoint", "http://127.0.0.1:1/sparql"],
    ["query", "x", "--format", "json", "--format", "csv"], ["query", "x", "-pk=v"], ["query", "x", "--", "y"],
    ["query", "x", "--limit", "0"], ["query", "x", "--timeout", "inf"], ["query", "x", "--format", "JSON"],
    ["query", "x", "--help"], ["sparql", "-h"], ["sparql", "a", "b"], ["list"], [], ["--version"],
    ["sparql", "--file"], ["query", "x", "--param", "-k=v"], ["query", ""], ["query", "--format", "json", ""],
])
def test_command_lines_left_to_click(argv):
    assert fastcli.read(argv) is None


def test_shell_completion_is_left_to_click(monkeypatch):
    monkeypatch.setenv("_ALIGNKG_COMPLETE", "bash_complete")
    assert fastcli.read(["query", "direct-dependents"]) is None


_CLICK = "import sys; sys.path.insert(0, sys.argv.pop(1)); from alignkg.cli import main; main()"


def _both(args, tmp_path, stdin=None):
    """(fast lane, click) outcomes of one command line, each as (exit code, stdout, stderr)."""
    env = {**os.environ, "ALIGNKG_CACHE_DIR": str(tmp_path / "cache")}
    out = []
    for argv in ([sys.executable, str(ROOT / "cli.py"), *args], [sys.executable, "-c", _CLICK, str(ROOT), *args]):
        proc = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=tmp_path, input=stdin, timeout=300)
        out.append((proc.returncode, proc.stdout, proc.stderr))
    return out


_SELECT = "SELECT ?p ?l WHERE { ?p a akg:Proposal ; rdfs:label ?l } ORDER BY ?l"


@pytest.mark.parametrize("args", [
    ["query", "direct-dependents", "--param", "target=HCH", "--format", "json"],
    ["query", "direct-dependents", "-p", "target=HCH"],
    ["query", "direct-dependents", "-p", "target=HCH", "--format=csv", "--limit", "2"],
    ["query", "proposals-with-verdict", "--format", "markdown"],
    ["query", "direct-dependents", "-p", "target=HCH", "--format", "xml"],
    ["query", "direct-dependents", "-p", "target=no-such-thing-at-all"],
    ["query", "direct-dependents", "-p", "nope=1"],
    ["query", "no-such-query"],
    ["query", ""],  # an empty NAME: click's command lists the gallery, as for no NAME
    ["query", "direct-dependents", "--data", "missing.ttl"],
    ["sparql", _SELECT, "--format", "tsv"],
    ["sparql", _SELECT, "--format", "json", "--timeout", "5"],
    ["sparql", "ASK { ?s ?p ?o }", "--format", "json"],
    ["sparql", "CONSTRUCT { ?p a akg:Proposal } WHERE { ?p a akg:Proposal }", "--format", "nt"],
    ["sparql", "SELECT ?x WHERE { ?x akg:noSuchProperty ?y }"],
    ["sparql", "SELECT * WHERE { SERVICE <http://127.0.0.1:1/> { ?s ?p ?o } }"],
    ["sparql", "SELEC oops"],
    ["sparql", "--file", "no-such-file.rq"],
    ["sparql", "a", "--file", "b.rq"],
    ["sparql", "--file", "-", "--format", "csv"],
])
def test_the_fast_lane_ends_a_command_as_click_does(args, tmp_path):
    """Answers, notes, refusals and errors: byte for byte the click application's, with its exit code."""
    fast, slow = _both(args, tmp_path, stdin=_SELECT if "-" in args else None)
    assert fast == slow, args
    assert fast[0] in (0, 2), fast


def test_the_fast_lane_imports_no_click(tmp_path):
    """The point of the lane: a query command line answers without importing click; others still get click."""
    script = ("import sys; sys.path.insert(0, sys.argv[1]); from alignkg import fastcli; "
              "code = fastcli.run(sys.argv[2:]); print(code, 'click' in sys.modules, file=sys.stderr)")
    env = {**os.environ, "ALIGNKG_CACHE_DIR": str(tmp_path / "cache")}
    for args, expected in ((["query", "direct-dependents", "-p", "target=HCH", "--format", "json"], "0 False"),
                           (["sparql", "ASK {}", "--format", "json"], "0 False"),
                           (["query", "--list"], "None False")):
        proc = subprocess.run([sys.executable, "-c", script, str(ROOT), *args], capture_output=True, text=True,
                              env=env, timeout=300)
        assert proc.stderr.splitlines()[-1] == expected, (args, proc.stderr)


def _lanes(tmp_path):
    """The command prefixes of the fast lane and of the click application, and the environment they run in."""
    env = {**os.environ, "ALIGNKG_CACHE_DIR": str(tmp_path / "cache")}
    return ([sys.executable, str(ROOT / "cli.py")], [sys.executable, "-c", _CLICK, str(ROOT)]), env


@pytest.mark.parametrize("args", [
    ["sparql", "SELECT * WHERE { ?s ?p ?o }", "--format", "json"],  # some 1.5 MB: more than a pipe holds
    ["sparql", "SELECT * WHERE { ?s ?p ?o }", "--format", "tsv", "--format", "csv"],  # repeated: click's
])
def test_a_reader_that_goes_away_ends_both_lanes_quietly(args, tmp_path):
    """``| head -c 1``: exit 0 and nothing on stderr in both lanes (click's main made EPIPE exit 1)."""
    lanes, env = _lanes(tmp_path)
    for lane in lanes:
        proc = subprocess.Popen([*lane, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                                cwd=tmp_path)
        assert proc.stdout.read(1)
        proc.stdout.close()  # the reader goes away mid-answer
        err = proc.stderr.read()
        assert (proc.wait(timeout=300), err) == (0, b""), lane


def test_an_interrupted_query_ends_both_lanes_with_one_line(tmp_path):
    """^C while the query runs: 'interrupted', exit 130, one line (click's main added a blank line before it)."""
    import signal
    import time

    query = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
    lanes, env = _lanes(tmp_path)
    for lane in lanes:
        proc = subprocess.Popen([*lane, "sparql", query, "--timeout", "60"], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=env, cwd=tmp_path,
                                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        children = f"/proc/{proc.pid}/task/{proc.pid}/children"
        deadline = time.monotonic() + 120
        while not open(children).read().strip():  # the query's process is forked: the command runs
            assert time.monotonic() < deadline and proc.poll() is None, proc.stderr.read()
            time.sleep(0.05)
        time.sleep(0.5)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
        assert (proc.returncode, out, err) == (130, b"", b"alignkg: error: interrupted\n"), lane


@pytest.mark.parametrize("fmt", ["table", "json", "csv"])
def test_a_non_ascii_answer_on_an_ascii_stdout(fmt, tmp_path):
    """PYTHONIOENCODING=ascii: the answer comes in UTF-8, exit 0, in both lanes, as click.echo gave it
    before the lanes shared ask.write (which failed with UnicodeEncodeError: exit 70)."""
    lanes, env = _lanes(tmp_path)
    env["PYTHONIOENCODING"] = "ascii"
    query = 'SELECT ?x WHERE { VALUES ?x { "\u00e9t\u00e9 \u2013 \u6f22" } }'
    for lane in lanes:
        proc = subprocess.run([*lane, "sparql", query, "--format", fmt], capture_output=True, env=env, cwd=tmp_path,
                              timeout=300)
        assert proc.returncode == 0 and proc.stderr == b"", (lane, proc.stderr)
        assert "\u00e9t\u00e9 \u2013 \u6f22" in proc.stdout.decode("utf-8"), lane


@pytest.mark.parametrize("closed, args, expected", [
    (1, ["sparql", _SELECT, "--format", "json"], (2, "alignkg: error: stdout: cannot write (Bad file descriptor)\n")),
    (1, ["query", "direct-dependents", "-p", "target=HCH"],
     (2, "alignkg: error: stdout: cannot write (Bad file descriptor)\n")),
    (2, ["sparql", _SELECT, "--format", "csv", "--limit", "1"], (0, None)),  # its note has nowhere to go
    (2, ["sparql", "SELECT ?x WHERE { ?x akg:noSuchProperty ?y }"], (0, None)),  # 'no results' neither
    (2, ["sparql", "SELEC oops"], (2, None)),
])
def test_a_closed_stdout_or_stderr_is_not_an_internal_error(closed, args, expected, tmp_path):
    """Started with stdout closed (``>&-``): exit 2 with one line, as for /dev/full; with stderr closed
    (``2>&-``): the answer and the exit code of an open stderr. Both lanes; it was exit 70 with a traceback."""
    lanes, env = _lanes(tmp_path)
    for lane in lanes:
        proc = subprocess.run([*lane, *args], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300,
                              preexec_fn=lambda: os.close(closed))
        code, message = expected
        assert proc.returncode == code, (lane, proc.stderr)
        if message is not None:
            assert proc.stderr == message, lane
        if closed == 2:  # the same answer as with stderr open
            open_ = subprocess.run([*lane, *args], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)
            assert (proc.returncode, proc.stdout) == (open_.returncode, open_.stdout), lane
