"""Self-test: every check cites known clauses, and every MUST/SHOULD clause has a check or an untestable reason.

A failure lists exactly the clauses without a check (or the unknown ids a check cites).
"""

from __future__ import annotations

from collections import defaultdict

import pytest

from meterconform.contract.catalog import load_catalog, unknown_id_message
from meterconform.contract.traceability import collect, literal_clause_ids
from meterconform.resources import suites_dir


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


@pytest.fixture(scope="module")
def collection():
    return collect(suites_dir())


def test_suites_collect_without_errors(collection):
    assert not collection.errors, "suite modules that fail to collect:\n" + "\n".join(
        f"--- {nodeid}\n{text.strip()[-800:]}" for nodeid, text in collection.errors.items()
    )


def test_every_check_cites_a_clause(collection):
    assert not collection.uncited(), "checks without @pytest.mark.clause(...):\n  " + "\n  ".join(collection.uncited())


def test_every_cited_clause_exists(collection, catalog):
    unknown = collection.unknown_citations(catalog)
    assert not unknown, "checks cite clause ids the catalog does not have:\n  " + "\n  ".join(unknown)


def test_clause_ids_written_in_suite_code_exist(catalog):
    """Ids cited at run time (e.g. `metering.expect_error(ex, "MU.WINDOW.STALE")`) are checked statically here."""
    problems = [
        f"{path.name}:{line}: {unknown_id_message(cid, catalog.ids)}"
        for path, line, cid in literal_clause_ids(suites_dir())
        if cid not in catalog
    ]
    assert not problems, "suite code names clause ids the catalog does not have:\n  " + "\n  ".join(problems)


def test_every_must_and_should_clause_has_a_check_or_an_untestable_reason(collection, catalog):
    coverage = collection.coverage()
    missing = defaultdict(list)
    for clause in catalog:
        if clause.level in ("MUST", "SHOULD") and not coverage.get(clause.id) and not clause.untestable:
            missing[clause.area].append(f"{clause.id} ({clause.level}, {', '.join(clause.operations)}): {clause.title}")
    total = sum(len(v) for v in missing.values())
    lines = [f"{area} ({len(ids)}):\n    " + "\n    ".join(ids) for area, ids in missing.items()]
    assert not total, (
        f"{total} MUST/SHOULD clause(s) have neither a check citing them nor an `untestable` reason "
        f"(add @pytest.mark.clause(...) checks in suites/, or an untestable reason in schemas/clauses.toml):\n  "
        + "\n  ".join(lines)
    )
