"""The package as a user gets it: build the wheel, install it in a fresh virtualenv outside
the source tree, and run the tool from an empty directory.

The build runs on a copy of the source (the checkout is left as it was) without
build isolation and without an index, with the setuptools of the test extra, so
it needs no network; the build log must carry no deprecation warning. The fresh
virtualenv sees the test environment's site-packages through a ``.pth`` file for
the dependencies (rdflib, networkx, ...), while alignkg itself comes only from the
wheel: the editable install's import hook is not run for a directory added by a
``.pth`` line. Every command's answer is compared with the source checkout's.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
IGNORE = shutil.ignore_patterns(".venv", ".git", "output", "build", "dist", "*.egg-info", "__pycache__",
                                ".pytest_cache", ".hypothesis", "*.pyc")


class Installed:
    """A fresh virtualenv with the wheel installed, and an empty directory to run it from."""

    def __init__(self, base: Path):
        self.base = base
        self.venv = base / "venv"
        self.bin = self.venv / "bin"
        self.python = self.bin / "python"
        self.empty = base / "empty"
        self.empty.mkdir()
        self.env = {**os.environ, "ALIGNKG_CACHE_DIR": str(base / "cache"), "PYTHONDONTWRITEBYTECODE": "1",
                    "PATH": f"{self.bin}{os.pathsep}{os.environ.get('PATH', '')}", "NO_COLOR": "1"}
        self.env.pop("PYTHONPATH", None)

    def run(self, *argv, check=True):
        proc = subprocess.run([str(a) for a in argv], cwd=self.empty, env=self.env, capture_output=True,
                              text=True, timeout=300)
        if check:
            assert proc.returncode == 0, (argv, proc.returncode, proc.stderr[-2000:])
        return proc

    def alignkg(self, *args, check=True):
        return self.run(self.bin / "alignkg", *args, check=check)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The wheel, built from a copy of the source tree, and the build's log."""
    base = tmp_path_factory.mktemp("wheel")
    source = base / "source"
    shutil.copytree(ROOT, source, ignore=IGNORE)
    dist = base / "dist"
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                           "-v", "-w", str(dist), str(source)],
                          capture_output=True, text=True, timeout=600,
                          env={**os.environ, "PIP_FIND_LINKS": "", "PIP_EXTRA_INDEX_URL": ""})
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    wheels = list(dist.glob("alignkg-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0], proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def installed(built, tmp_path_factory):
    wheel, _ = built
    env = Installed(tmp_path_factory.mktemp("installed"))
    subprocess.run([sys.executable, "-m", "venv", str(env.venv)], check=True, timeout=300)
    purelib = Path(subprocess.run([str(env.python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                  capture_output=True, text=True, check=True).stdout.strip())
    # the dependencies come from the test environment; alignkg only from the wheel
    (purelib / "zz-test-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    env.run(env.python, "-m", "pip", "install", "--no-deps", "--no-index", "--quiet", wheel)
    env.purelib = purelib
    return env


def test_the_build_has_no_deprecation_warning(built):
    _, log = built
    assert "Successfully built alignkg" in log or "Created wheel for alignkg" in log
    for word in ("Deprecat", "deprecat"):
        assert word not in log, [line for line in log.splitlines() if word in line]


def test_the_wheel_holds_one_package_with_its_data_and_no_generic_modules(built):
    wheel, _ = built
    names = zipfile.ZipFile(wheel).namelist()
    top = {n.split("/")[0] for n in names}
    assert top == {"alignkg", "alignkg-0.1.0.dist-info"}, top  # no top-level graph or cli module
    shipped = {n for n in names if n.endswith((".ttl", ".rq", ".html"))}
    expected = {f"alignkg/ontology/{p.relative_to(ROOT / 'ontology').as_posix()}" for p in (ROOT / "ontology").rglob("*.ttl")}
    expected |= {f"alignkg/queries/{p.name}" for p in (ROOT / "queries").glob("*.rq")}
    expected |= {f"alignkg/templates/{p.name}" for p in (ROOT / "graph" / "templates").glob("*.html")}
    assert shipped == expected
    assert {f"alignkg/{p.name}" for p in (ROOT / "graph").glob("*.py")} <= set(names)
    assert any(n.endswith("licenses/LICENSE") for n in names) and any(n.endswith("licenses/LICENSE-ontology") for n in names)
    metadata = zipfile.ZipFile(wheel).read("alignkg-0.1.0.dist-info/METADATA").decode()
    assert "License-Expression: MIT AND CC-BY-4.0" in metadata
    assert "pandas" not in [line.split()[1] for line in metadata.splitlines()
                            if line.startswith("Requires-Dist:") and "extra ==" not in line]


def test_installed_alignkg_is_the_wheels_and_finds_its_data_inside_the_package(installed):
    out = installed.run(installed.python, "-c",
                        "import alignkg, json; print(json.dumps([alignkg.__file__, str(alignkg.ONTOLOGY_DIR), "
                        "str(alignkg.QUERIES_DIR), str(alignkg.TEMPLATES_DIR)]))").stdout
    package, ontology, queries, templates = (Path(p) for p in json.loads(out))
    assert package.parent == installed.purelib / "alignkg"
    assert ontology == package.parent / "ontology" and (ontology / "shapes.ttl").is_file()
    assert queries == package.parent / "queries" and templates == package.parent / "templates"
    for generic in ("graph", "cli"):
        assert not (installed.purelib / generic).exists() and not (installed.purelib / f"{generic}.py").exists()
        probe = installed.run(installed.python, "-c", f"import {generic}", check=False)
        assert probe.returncode == 1 and "ModuleNotFoundError" in probe.stderr


def test_depends_on_answers_as_in_the_checkout(installed, run):
    got = installed.alignkg("depends-on", "myopia", "--format", "json")
    assert got.stdout == run("depends-on", "myopia", "--format", "json").out
    assert json.loads(got.stdout)["results"]
    table = installed.alignkg("depends-on", "myopia")
    assert table.stdout.startswith("Proposals that depend on myopia:")


def test_validate_conforms(installed):
    got = installed.alignkg("validate")
    assert "conforms" in got.stderr.splitlines()


def test_query_list_and_a_named_query(installed, run):
    listing = installed.alignkg("query", "--list", "--format", "json")
    names = [r["name"] for r in json.loads(listing.stdout)["results"]]
    assert sorted(names) == sorted(p.stem for p in (ROOT / "queries").glob("*.rq"))
    named = installed.alignkg("query", "direct-dependents", "-p", "target=HCH", "--format", "json")
    assert named.stdout == run("query", "direct-dependents", "-p", "target=HCH", "--format", "json").out


def test_render_writes_the_same_map_under_output_of_the_working_directory(installed, run, tmp_path):
    got = installed.alignkg("render")
    assert got.stdout.strip() == os.path.join("output", "alignkg-map.html")
    page = installed.empty / "output" / "alignkg-map.html"
    assert run("render", "--output", tmp_path / "checkout.html").code == 0
    mine, theirs = _page_parts(page), _page_parts(tmp_path / "checkout.html")
    assert mine == theirs


def _unordered(value):
    """``value`` with list order and the order of "a; b" citations taken out.

    The order of an edge's sections (and so of its tooltip's citations) follows
    the blank-node ids of the qualification nodes, which differ from build to
    build: the same map, built twice, lists them in different orders.
    """
    if isinstance(value, dict):
        return {k: _unordered(v) for k, v in value.items()}
    if isinstance(value, list):
        return sorted((_unordered(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
    if isinstance(value, str):
        return "\n".join("; ".join(sorted(line.split("; "))) for line in value.split("\n"))
    return value


def _page_parts(path):
    """A map page as the text around its data, and the data without its orders."""
    text = path.read_text(encoding="utf-8")
    start = text.index('<script type="application/json" id="data">')
    end = text.index("</script>", start)
    data = json.loads(text[text.index(">", start) + 1:end])
    return text[:start] + text[end:], _unordered(data)


def test_python_m_alignkg_and_version(installed):
    helped = installed.run(installed.python, "-m", "alignkg", "--help")
    assert helped.stdout.startswith("Usage: alignkg") and "depends-on" in helped.stdout
    answered = installed.run(installed.python, "-m", "alignkg", "list", "criteria", "--format", "json")
    assert len(json.loads(answered.stdout)["results"]) >= 8
    version = installed.alignkg("--version").stdout
    assert version.startswith("alignkg 0.1.0 (ontology ") and "unknown" not in version


def test_bad_input_is_still_one_line_and_exit_2(installed):
    got = installed.alignkg("depends-on", "mypoia", check=False)
    assert got.returncode == 2 and got.stdout == ""
    assert len(got.stderr.strip().splitlines()) == 1 and "mypoia" in got.stderr and "Traceback" not in got.stderr


def test_the_python_api_works_installed(installed):
    code = ("import alignkg; kg = alignkg.load(); a = kg.depends_on('myopia'); "
            "print(len(a) > 0, '<table>' in a._repr_html_(), kg.map(focus='HCH').html.startswith('<!DOCTYPE html>'))")
    assert installed.run(installed.python, "-c", code).stdout.split() == ["True", "True", "True"]


def test_bash_completion_script_completes_commands(installed):
    env_run = dict(installed.env, _ALIGNKG_COMPLETE="bash_source")
    source = subprocess.run([str(installed.bin / "alignkg")], env=env_run, capture_output=True, text=True,
                            cwd=installed.empty, timeout=60)
    assert source.returncode == 0 and "complete -o nosort -F _alignkg_completion alignkg" in source.stdout
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("no bash to run the completion in")
    completed = subprocess.run(
        [bash, "-c", 'eval "$(_ALIGNKG_COMPLETE=bash_source alignkg)"; COMP_WORDS=(alignkg dep); COMP_CWORD=1; '
                     '_alignkg_completion alignkg; printf "%s\\n" "${COMPREPLY[@]}"'],
        env=installed.env, capture_output=True, text=True, cwd=installed.empty, timeout=60)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.split() == ["dependencies", "depends-on"]
    for shell in ("zsh", "fish"):
        other = subprocess.run([str(installed.bin / "alignkg")], env=dict(installed.env, _ALIGNKG_COMPLETE=f"{shell}_source"),
                               capture_output=True, text=True, cwd=installed.empty, timeout=60)
        assert other.returncode == 0 and "_alignkg_completion" in other.stdout
