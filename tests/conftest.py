"""Shared fixtures: the CLI through CliRunner and as a subprocess, an isolated cache,
and headless Chromium for the maps."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures"
DATA = Path(__file__).parent / "data"
sys.path.insert(0, str(ROOT))

from alignkg.cli import cli  # noqa: E402


@pytest.fixture(autouse=True, scope="session")
def _isolated_cache():
    """Keep the tests' cache out of the user's ~/.cache."""
    directory = tempfile.mkdtemp(prefix="alignkg-test-cache-")
    old = os.environ.get("ALIGNKG_CACHE_DIR")
    os.environ["ALIGNKG_CACHE_DIR"] = directory
    yield directory
    if old is None:
        os.environ.pop("ALIGNKG_CACHE_DIR", None)
    else:
        os.environ["ALIGNKG_CACHE_DIR"] = old
    shutil.rmtree(directory, ignore_errors=True)


class Run:
    """The outcome of one CLI call: exit code, stdout, stderr, and parsed JSON."""

    def __init__(self, code, out, err):
        self.code, self.out, self.err = code, out, err

    @property
    def json(self):
        return json.loads(self.out)

    def __repr__(self):
        return f"Run(code={self.code}, err={self.err!r}, out={self.out[:300]!r})"


@pytest.fixture
def run():
    """Invoke the CLI in-process (click's CliRunner)."""

    def invoke(*args, input=None):
        result = CliRunner().invoke(cli, [str(a) for a in args], input=input, catch_exceptions=False)
        return Run(result.exit_code, result.stdout, result.stderr)

    return invoke


@pytest.fixture
def run_process():
    """Invoke ``python cli.py`` as a real subprocess."""

    def invoke(*args, cwd=ROOT, input=None):
        proc = subprocess.run([sys.executable, str(ROOT / "cli.py"), *map(str, args)], cwd=cwd,
                              capture_output=True, text=True, input=input, timeout=120)
        return Run(proc.returncode, proc.stdout, proc.stderr)

    return invoke


def assert_clean_error(result, *fragments):
    """Exit 2, exactly one line on stderr, no traceback, nothing on stdout."""
    assert result.code == 2, result
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert lines[0].startswith("alignkg: error: "), result.err
    assert "Traceback" not in result.err
    assert result.out == ""
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url: str, seconds: float = 20.0) -> None:
    """Poll ``url`` until a server answers it, or fail the test."""
    import time
    import urllib.request

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"no server answered {url} within {seconds:g} s")


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


@pytest.fixture(scope="session")
def chromium():
    """Path of a headless Chromium; CI must have one, elsewhere the browser tests skip."""
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is required in CI (apt-get install chromium)")
        pytest.skip("chromium not installed")
    return CHROMIUM


@pytest.fixture(scope="session")
def browser(chromium):
    """The system Chromium driven by Playwright (it downloads no browser of its own)."""
    sync_api = pytest.importorskip("playwright.sync_api") if not os.environ.get("CI") else \
        __import__("playwright.sync_api").sync_api
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium,
                              args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield b
        b.close()


def chromium_dom(browser, page: Path, budget_ms: int = 20000) -> str:
    """Load ``page`` with networking disabled and return the DOM once timers have run."""
    profile = tempfile.mkdtemp(prefix="alignkg-chromium-")
    try:
        proc = subprocess.run(
            [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--no-first-run", "--disable-component-update", "--disable-sync", "--disable-quic",
             f"--user-data-dir={profile}", "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
             "--host-resolver-rules=MAP * ~NOTFOUND", f"--virtual-time-budget={budget_ms}",
             "--window-size=1200,800", "--dump-dom", page.resolve().as_uri()],
            capture_output=True, text=True, timeout=120,
        )
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


@contextlib.contextmanager
def running(server):
    """Serve ``server`` (a werkzeug or http.server server) on a thread; shut it down after."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
