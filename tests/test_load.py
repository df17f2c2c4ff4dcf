"""Reading RDF: formats by extension, --data, located errors, the cache."""

import subprocess
import sys

import pytest
from conftest import FIXTURES, ROOT, assert_clean_error

TTL_HEAD = ("@prefix akg: <https://w3id.org/alignkg#> .\n"
            "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
            "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n")
USER_NODE = (TTL_HEAD + 'akg:user-technique a akg:Technique ; rdfs:label "user technique"@en ;\n'
             '  akg:qualifiedRelation [ akg:relation akg:requires ; akg:target akg:hch ;\n'
             '    akg:inSection akg:s001-p2 ; akg:derived true ; akg:rationale "test"@en ] .\n'
             'akg:user-proposal a akg:Proposal ; rdfs:label "user proposal"@en ;\n'
             '  akg:qualifiedRelation [ akg:relation akg:usesTechnique ; akg:target akg:user-technique ;\n'
             '    akg:inSection akg:s001-p2 ; akg:derived true ; akg:rationale "test"@en ] .\n')


def test_data_file_joins_the_graph(run, tmp_path):
    f = tmp_path / "mine.ttl"
    f.write_text(USER_NODE)
    r = run("depends-on", "HCH", "--data", f, "--format", "json")
    assert r.code == 0, r
    assert "user proposal" in {x["label"] for x in r.json["results"]}
    assert f.read_text() == USER_NODE, "input files are never changed"


@pytest.mark.parametrize("ext, text", [
    (".nt", '<https://w3id.org/alignkg#u> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://w3id.org/alignkg#Proposal> .\n'
            '<https://w3id.org/alignkg#u> <https://w3id.org/alignkg#limitsTo> <https://w3id.org/alignkg#hch> .\n'
            '<https://w3id.org/alignkg#u> <http://www.w3.org/2000/01/rdf-schema#label> "nt proposal"@en .\n'),
    (".jsonld", '{"@context": {"akg": "https://w3id.org/alignkg#", "rdfs": "http://www.w3.org/2000/01/rdf-schema#"},'
                ' "@id": "akg:u", "@type": "akg:Proposal", "rdfs:label": "jsonld proposal",'
                ' "akg:limitsTo": {"@id": "akg:hch"}}'),
    (".rdf", '<?xml version="1.0"?>\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
             ' xmlns:rdfs="http://www.w3.org/2000/01/rdf-schema#" xmlns:akg="https://w3id.org/alignkg#">\n'
             ' <akg:Proposal rdf:about="https://w3id.org/alignkg#u"><rdfs:label>rdfxml proposal</rdfs:label>\n'
             '  <akg:limitsTo rdf:resource="https://w3id.org/alignkg#hch"/></akg:Proposal>\n</rdf:RDF>\n'),
])
def test_formats_by_extension(run, tmp_path, ext, text):
    f = tmp_path / f"user{ext}"
    f.write_text(text)
    r = run("depends-on", "HCH", "--direct", "--data", f, "--format", "json")
    assert r.code == 0, r
    assert "https://w3id.org/alignkg#u" in {x["iri"] for x in r.json["results"]}


def test_malformed_turtle_reports_file_and_line(run, tmp_path):
    f = tmp_path / "broken.ttl"
    f.write_text(TTL_HEAD + "\nakg:a a akg:Concept ;\n  rdfs:label \"oops\"@en\n  akg:broken .\n")
    assert_clean_error(run("list", "--data", f), f"{f}:7:", "Turtle syntax error")


def test_malformed_turtle_as_subprocess_names_relative_path(run_process, tmp_path):
    (tmp_path / "bad.ttl").write_text("this is not turtle\n")
    r = run_process("list", "--data", "bad.ttl", cwd=tmp_path)
    assert_clean_error(r, "bad.ttl:1:")


def test_bad_ntriples_line_is_located(run, tmp_path):
    f = tmp_path / "bad.nt"
    f.write_text('<http://a> <http://b> <http://c> .\n<http://a> <http://b> .\n')
    assert_clean_error(run("list", "--data", f), f"{f}:2:", "N-Triples")


@pytest.mark.parametrize("name, content, fragment", [
    ("missing.ttl", None, "no such file"),
    ("notes.txt", "hello", "unknown extension '.txt'"),
    ("latin1.ttl", "# caf\xe9\n".encode("latin-1"), ":1: not UTF-8"),
    ("empty.ttl", "", "file is empty"),
    ("bomb.rdf", '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">]><rdf:RDF/>', "DOCTYPE"),
    ("remote.jsonld", '{"@context": "https://example.org/ctx.jsonld", "@id": "x"}', "only inline contexts"),
])
def test_bad_input_files(run, tmp_path, name, content, fragment):
    f = tmp_path / name
    if isinstance(content, bytes):
        f.write_bytes(content)
    elif content is not None:
        f.write_text(content)
    assert_clean_error(run("list", "--data", f), fragment)


def test_directory_and_url_are_refused(run, tmp_path):
    assert_clean_error(run("list", "--data", tmp_path), "is a directory")
    assert_clean_error(run("list", "--data", "https://example.org/x.ttl"), "not a local file")


def test_warm_start_uses_the_cache_and_skips_rdflib(tmp_path):
    env = {"ALIGNKG_CACHE_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    probe = ("import sys; sys.path.insert(0, '.'); from alignkg.cli import cli\n"  # the command, without the exit
             "cli.main(['depends-on', 'HCH', '--format', 'json'], prog_name='alignkg', standalone_mode=False)\n"
             "print('RDFLIB' if 'rdflib' in sys.modules else 'NO-RDFLIB', file=sys.stderr)")
    first = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True)
    second = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True)
    assert first.stdout == second.stdout and '"results"' in first.stdout
    assert "RDFLIB" in first.stderr.split()[-1]
    assert second.stderr.split()[-1] == "NO-RDFLIB"
    assert any(tmp_path.glob("*/graph.json")) and not any(tmp_path.rglob("*.pickle"))


def test_cache_notices_changed_data(run, tmp_path):
    f = tmp_path / "mine.ttl"
    f.write_text(USER_NODE)
    assert "user proposal" in run("list", "proposals", "--data", f).out
    f.write_text(USER_NODE.replace("user proposal", "renamed proposal"))
    out = run("list", "proposals", "--data", f).out
    assert "renamed proposal" in out and "user proposal" not in out


def test_valid_fixture_loads(run):
    r = run("depends-on", "myopia", "--data", FIXTURES / "valid.ttl", "--format", "json")
    assert r.code == 0
