"""Traceability: which checks of the suites cite which clauses, read from pytest's own collection."""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from meterconform.contract._collect_clauses import OUT_ENV
from meterconform.contract.catalog import Catalog, unknown_id_message
from meterconform.resources import suites_dir as default_suites_dir

from ..harness.pytest_command import subprocess_command

CLAUSE_ID = re.compile(r"(PROTO|MU|BMU|RU|RC|ALLOC|TAG|ERR|OUT)(\.[A-Z][A-Z0-9_]*){1,2}")
HARNESS_PLUGIN = "meterconform.plugin"
COLLECT_PLUGIN = "meterconform.contract._collect_clauses"


class CollectionError(Exception):
    """pytest could not collect the suites; the message carries pytest's own report."""


@dataclass(frozen=True)
class Collection:
    """The collected checks (node id → cited clause ids) and any collection errors (node id → pytest's report)."""

    checks: dict[str, tuple[str, ...]]
    errors: dict[str, str]

    def coverage(self) -> dict[str, list[str]]:
        """clause id → the node ids of the checks citing it (in collection order)."""
        by_clause: dict[str, list[str]] = {}
        for nodeid, ids in self.checks.items():
            for clause_id in dict.fromkeys(ids):
                by_clause.setdefault(clause_id, []).append(nodeid)
        return by_clause

    def unknown_citations(self, catalog: Catalog) -> list[str]:
        """One message per (check, id) pair citing an id the catalog does not have."""
        return [
            f"{nodeid}: {unknown_id_message(cid, catalog.ids)}"
            for nodeid, ids in self.checks.items()
            for cid in ids
            if cid not in catalog
        ]

    def uncited(self) -> list[str]:
        """Checks that cite no clause at all."""
        return [nodeid for nodeid, ids in self.checks.items() if not ids]


def _harness_available() -> bool:
    try:
        return importlib.util.find_spec(HARNESS_PLUGIN) is not None
    except ModuleNotFoundError:
        return False


def collect(suites_dir: str | Path | None = None, *, timeout: float = 300) -> Collection:
    """Run `pytest --collect-only` over `suites_dir` (default: the packaged suites) in a subprocess and read the
    markers."""
    suites = Path(suites_dir) if suites_dir is not None else default_suites_dir()
    if not suites.is_dir():
        raise CollectionError(
            f"suites directory {suites} does not exist; pass the directory holding the test_*.py checks"
        )
    with tempfile.TemporaryDirectory(prefix="meterconform-clauses-") as tmp:
        out = Path(tmp) / "clauses.json"
        plugins = [COLLECT_PLUGIN] + ([HARNESS_PLUGIN] if _harness_available() else [])
        cmd = subprocess_command(suites=suites, plugins=plugins, extra=["--collect-only", "-q"])
        package_root = str(Path(__file__).resolve().parents[2])  # what holds meterconform/ (contract/ is one below it)
        env = {
            **os.environ,
            OUT_ENV: str(out),
            "PYTHONPATH": os.pathsep.join(p for p in (package_root, os.environ.get("PYTHONPATH")) if p),
        }
        try:
            run = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=suites.parent, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise CollectionError(
                f"collecting {suites} took more than {timeout:.0f} s; run `{' '.join(cmd)}` to see where it hangs"
            ) from None
        if not out.exists():
            tail = "\n".join((run.stdout + run.stderr).strip().splitlines()[-30:])
            raise CollectionError(f"pytest could not collect {suites} (exit {run.returncode}):\n{tail}")
        data = json.loads(out.read_text(encoding="utf-8"))
    return Collection({k: tuple(v) for k, v in data["checks"].items()}, dict(data["errors"]))


def collect_coverage(suites_dir: str | Path | None = None) -> dict[str, list[str]]:
    """clause id → node ids of the checks citing it; CollectionError if any suite module fails to collect."""
    collection = collect(suites_dir)
    if collection.errors:
        details = "\n".join(f"--- {nodeid}\n{text.strip()[-1500:]}" for nodeid, text in collection.errors.items())
        raise CollectionError(f"{len(collection.errors)} suite module(s) failed to collect:\n{details}")
    return collection.coverage()


def literal_clause_ids(suites_dir: str | Path | None = None) -> list[tuple[Path, int, str]]:
    """(file, line, id) for every string literal in the suites' code that looks like a clause id.

    Checks cite clauses at run time too (`metering.expect_error(ex, "MU.WINDOW.STALE")`); those never reach a marker,
    so they are found statically. An argument of `.startswith(...)` is a prefix, not a citation, and is skipped.
    """
    suites = Path(suites_dir) if suites_dir is not None else default_suites_dir()
    found = []
    for path in sorted(suites.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        prefixes = {
            id(arg)
            for call in ast.walk(tree)
            if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr == "startswith"
            for arg in call.args
        }
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and id(node) not in prefixes
                and CLAUSE_ID.fullmatch(node.value)
            ):
                found.append((path, node.lineno, node.value))
    return found
