"""conformance.json: per-check and per-clause verdicts as one JSON document (the plugin's format, plus the baseline)."""

from __future__ import annotations

import json
from pathlib import Path

from ..results.run_results import RunResults

CHECK_KEYS = ("nodeid", "check", "clauses", "verdict", "failed_clause", "reason", "expected", "actual", "duration")


def conformance_doc(results: RunResults, with_verdict: bool = True) -> dict:
    """The document: meta, verdict counts, the checks, the clauses; with the gate's verdict (its words, exit code and
    the run's completion) unless `with_verdict` is false; with a baseline applied, which failures it excused and
    what it says about itself."""
    doc = {
        "meta": results.meta,
        "counts": results.counts,
        "checks": [{k: getattr(check, k) for k in CHECK_KEYS} for check in results.sorted_checks],
        "clauses": _clause_entries(results.clause_verdicts),
    }
    if with_verdict:
        verdict = results.gate()
        doc["verdict"] = {
            "words": verdict.words,
            "exit_code": verdict.exit_code,
            "completion": results.completion.to_meta(),
        }
    applied = results.applied
    if applied is not None:
        doc["baseline"] = {
            "path": applied.baseline.path,
            "gates": applied.gates,
            "expected": [
                {"nodeid": check.nodeid, "verdict": check.verdict, "entry": entry.target, "reason": entry.reason}
                for check, entry in applied.expected
            ],
            "unexpected": [check.nodeid for check in applied.unexpected],
            "stale": [entry.target for entry in applied.stale],
            "expired": [
                {"entry": entry.target, "expires": entry.expires.isoformat()}
                for entry in applied.expired
                if entry.expires
            ],
            "not_run": [entry.target for entry in applied.not_run],
        }
    return doc


def write_json(results: RunResults, path: Path, with_verdict: bool = True) -> None:
    """Write conformance.json (conformance_doc), once."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(conformance_doc(results, with_verdict), indent=2, default=str), encoding="utf-8")


def _clause_entries(verdicts: dict[str, dict]) -> dict[str, dict]:
    """Each clause's verdict entry with the catalog's title, level, quotes and operations (without a catalog
    that loads, the entries as they are; an id it does not know gets the title "(unknown clause)")."""
    from ..contract.catalog import CatalogError, load_catalog

    try:
        catalog = load_catalog()
    except CatalogError:
        catalog = None
    out = {}
    for cid, entry in sorted(verdicts.items()):
        data = dict(entry)
        if catalog is not None:
            if cid in catalog:
                clause = catalog.get(cid)
                data.update(
                    title=clause.title,
                    level=clause.level,
                    quotes=list(clause.quotes),
                    operations=list(clause.operations),
                )
            else:
                data.update(title="(unknown clause)")
        out[cid] = data
    return out
