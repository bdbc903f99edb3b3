"""Self-test: the clause collector reads markers (plain, class, module, pytest.param) and reports bad citations."""

from __future__ import annotations

import argparse
import json
import textwrap

import pytest

from meterconform.commands import clauses as clauses_command
from meterconform.contract.catalog import load_catalog
from meterconform.contract.traceability import CollectionError, collect, collect_coverage, literal_clause_ids

SUITE = """
import pytest

pytestmark = pytest.mark.clause("PROTO.TIMEOUT")


@pytest.mark.clause("MU.WINDOW.STALE", "OUT.MU.SCHEMA")
def test_stale():
    pass


@pytest.mark.parametrize("n", [pytest.param(26, marks=pytest.mark.clause("BMU.RECORDS.MAX"), id="26"),
                               pytest.param(6, marks=pytest.mark.clause("TAG.COUNT.MAXX"), id="6")])
def test_limits(n):
    pass


@pytest.mark.clause("RC.TOKEN.INVALID")
class TestTokens:
    def test_invalid(self):
        pass
"""


@pytest.fixture()
def suites(tmp_path):
    root = tmp_path / "suites"
    root.mkdir()
    (root / "test_sample.py").write_text(textwrap.dedent(SUITE))
    return root


def test_collect_reads_every_kind_of_clause_marker(suites):
    collection = collect(suites)
    assert collection.errors == {}
    checks = collection.checks
    assert set(checks["suites/test_sample.py::test_stale"]) == {"MU.WINDOW.STALE", "OUT.MU.SCHEMA", "PROTO.TIMEOUT"}
    assert set(checks["suites/test_sample.py::test_limits[26]"]) == {"BMU.RECORDS.MAX", "PROTO.TIMEOUT"}
    assert set(checks["suites/test_sample.py::TestTokens::test_invalid"]) == {"RC.TOKEN.INVALID", "PROTO.TIMEOUT"}
    coverage = collection.coverage()
    assert coverage["BMU.RECORDS.MAX"] == ["suites/test_sample.py::test_limits[26]"]
    assert len(coverage["PROTO.TIMEOUT"]) == 4


def test_unknown_citation_names_the_check_and_the_closest_id(suites):
    unknown = collect(suites).unknown_citations(load_catalog())
    assert len(unknown) == 1
    assert "test_limits[6]" in unknown[0] and "TAG.COUNT.MAXX" in unknown[0] and "TAG.COUNT.MAX" in unknown[0]


def test_collection_errors_are_reported_not_swallowed(suites):
    (suites / "test_broken.py").write_text("import no_such_module_for_meterconform\n")
    collection = collect(suites)
    assert any("test_broken.py" in nodeid for nodeid in collection.errors)
    assert "suites/test_sample.py::test_stale" in collection.checks
    with pytest.raises(CollectionError, match="test_broken.py"):
        collect_coverage(suites)


def test_missing_suites_directory_is_a_clear_error(tmp_path):
    with pytest.raises(CollectionError, match="does not exist"):
        collect(tmp_path / "nowhere")


def _args(suites, **kw):
    base = {"operation": None, "level": None, "uncovered": False, "json": False, "suites": suites}
    return argparse.Namespace(**{**base, **kw})


def test_clauses_command_prints_coverage_and_the_share_covered(suites, capsys):
    code = clauses_command.run(_args(suites, operation="BatchMeterUsage", level="MUST"))
    out, err = capsys.readouterr()
    assert code == 1 and "TAG.COUNT.MAXX" in err  # the bad citation is reported and fails the command
    row = next(line for line in out.splitlines() if line.startswith("BMU.RECORDS.MAX "))
    assert "1 check" in row
    assert "untestable: needs the endpoint's clock" in next(
        line for line in out.splitlines() if line.startswith("BMU.WINDOW.MONTH_END")
    )
    assert out.strip().splitlines()[-1].startswith("MUST/SHOULD clauses covered: ")
    assert "ERR.INVALID_REGION" not in out  # filtered to BatchMeterUsage


def test_clauses_command_json_and_uncovered(suites, capsys):
    clauses_command.run(_args(suites, json=True, uncovered=True, level="MUST"))
    doc = json.loads(capsys.readouterr().out)
    ids = {c["id"] for c in doc["clauses"]}
    assert "MU.WINDOW.STALE" not in ids and "ERR.THROTTLING" not in ids and "MU.HOUR.DUPLICATE" in ids
    assert all(not c["covered"] for c in doc["clauses"])
    summary = doc["summary"]
    assert summary["with_checks"] >= 4 and summary["uncovered"] == len(ids)
    assert doc["unknown_citations"] and not doc["collection_errors"]


def test_register_adds_the_subcommand():
    parser = argparse.ArgumentParser()
    clauses_command.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["clauses", "--operation", "MeterUsage", "--uncovered"])
    assert args.operation == "MeterUsage" and args.uncovered and not args.json


def test_literal_clause_ids_skip_startswith_prefixes(suites):
    (suites / "helpers.py").write_text(
        "def verdict(clause, ok):\n"
        '    why = clause if clause.startswith("BMU.DEDUP") else "BMU.DEDUP.DUPLICATE_RECORD"\n'
        '    return "MU.WINDOW.STAEL", why, "not an id", "ERR.THROTTLING"\n'
    )
    found = {(p.name, cid) for p, _, cid in literal_clause_ids(suites)}
    assert ("helpers.py", "BMU.DEDUP.DUPLICATE_RECORD") in found and ("helpers.py", "MU.WINDOW.STAEL") in found
    assert ("helpers.py", "ERR.THROTTLING") in found and ("helpers.py", "BMU.DEDUP") not in found
    assert ("test_sample.py", "TAG.COUNT.MAXX") in found  # marker arguments are literals too
