"""scripts/verdict_snapshot.py: `compare` finds every verdict difference between two snapshots and nothing
else, and the snapshot's readers understand the reports and the `mutants` table as meterconform writes them."""

from __future__ import annotations

import copy
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

from meterconform.campaign.fault_analysis import MutantResult, render_table
from tests.suites.runner import REPO

SCRIPT = REPO / "scripts" / "verdict_snapshot.py"
_spec = importlib.util.spec_from_file_location("verdict_snapshot", SCRIPT)
verdict_snapshot = importlib.util.module_from_spec(_spec)
sys.modules["verdict_snapshot"] = verdict_snapshot  # its dataclass looks its module up there
_spec.loader.exec_module(verdict_snapshot)

ROUND = "suites/test_smoke.py::test_meter_usage_accepts_a_valid_record"
DIMENSION = "suites/test_smoke.py::test_batch_meter_usage_rejects_an_unknown_dimension"

DEFAULT = {
    "scenario": "default",
    "format": 1,
    "exit_code": 1,
    "seconds": 12.0,
    "checks": {
        ROUND: {"verdict": "PASS", "failed_clause": None, "also_failed": []},
        DIMENSION: {"verdict": "FAIL", "failed_clause": "BMU.DIMENSION.UNKNOWN", "also_failed": []},
    },
    "clauses": {"MU.USAGE_QUANTITY.DEFAULT": "PASS", "BMU.DIMENSION.UNKNOWN": "FAIL"},
}
MUTANTS = {
    "scenario": "mutants",
    "format": 1,
    "exit_code": 0,
    "seconds": 200.0,
    "faithful": {"checks": 616, "failing": []},
    "faults": {
        "batch-cap-24": {"status": "yes", "by": ["BMU.RECORDS.MAX"], "expected": ["BMU.RECORDS.MAX"]},
        "race-on-identical-requests": {
            "status": "yes",
            "by": ["MU.HOUR.IDEMPOTENT"],
            "expected": ["MU.CLIENT_TOKEN.REPLAY", "MU.HOUR.DUPLICATE", "MU.HOUR.IDEMPOTENT"],
        },
    },
}


def _write(directory: Path, **scenarios: dict) -> Path:
    directory.mkdir()
    for name, snap in scenarios.items():
        (directory / f"{name}.json").write_text(json.dumps(snap), encoding="utf-8")
    return directory


def _compare(a: Path, b: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(SCRIPT), "compare", str(a), str(b)], capture_output=True, text=True, timeout=60
    )


def test_the_same_snapshots_compare_equal(tmp_path):
    a = _write(tmp_path / "a", default=DEFAULT, mutants=MUTANTS)
    b = _write(tmp_path / "b", default=DEFAULT, mutants=MUTANTS)
    proc = _compare(a, b)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.splitlines() == [f"verdict_snapshot: 0 differences, 0 note(s) between {a} (A) and {b} (B)"]


def test_a_changed_verdict_is_a_difference_naming_the_check_and_its_clause(tmp_path):
    changed = copy.deepcopy(DEFAULT)
    changed["checks"][ROUND] = {"verdict": "FAIL", "failed_clause": "MU.USAGE_QUANTITY.DEFAULT", "also_failed": []}
    changed["clauses"]["MU.USAGE_QUANTITY.DEFAULT"] = "FAIL"
    proc = _compare(_write(tmp_path / "a", default=DEFAULT), _write(tmp_path / "b", default=changed))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert proc.stdout.splitlines()[:2] == [
        f"DIFFERENT  default: check {ROUND}: verdict PASS -> FAIL; failed clause - -> MU.USAGE_QUANTITY.DEFAULT",
        "DIFFERENT  default: clause MU.USAGE_QUANTITY.DEFAULT: PASS -> FAIL",
    ]
    assert proc.stdout.splitlines()[-1].startswith("verdict_snapshot: 2 differences, 0 note(s)")


def test_checks_on_one_side_only_and_another_exit_code_are_differences(tmp_path):
    fewer = copy.deepcopy(DEFAULT)
    del fewer["checks"][ROUND]
    fewer["exit_code"] = 0
    result = verdict_snapshot.compare_dirs(
        _write(tmp_path / "a", default=DEFAULT), _write(tmp_path / "b", default=fewer)
    )
    assert result.differences == ["default: exit code 1 -> 0", f"default: check only in A: {ROUND} (PASS)"]
    assert result.notes == []


def test_a_moved_module_is_a_note_and_its_checks_are_still_compared(tmp_path):
    moved = copy.deepcopy(DEFAULT)
    moved["checks"] = {n.replace("suites/", "meterconform/suites/meter/"): c for n, c in moved["checks"].items()}
    moved["checks"][DIMENSION.replace("suites/", "meterconform/suites/meter/")]["verdict"] = "ERROR"
    result = verdict_snapshot.compare_dirs(
        _write(tmp_path / "a", default=DEFAULT), _write(tmp_path / "b", default=moved)
    )
    assert result.notes == [
        f"default: check {DIMENSION} is now meterconform/{DIMENSION.replace('suites/', 'suites/meter/')}",
        f"default: check {ROUND} is now meterconform/{ROUND.replace('suites/', 'suites/meter/')}",
    ]
    assert result.differences == [
        f"default: check meterconform/{DIMENSION.replace('suites/', 'suites/meter/')}: verdict FAIL -> ERROR"
    ]


def test_another_first_clause_of_a_fault_still_caught_as_expected_is_a_note(tmp_path):
    other = copy.deepcopy(MUTANTS)
    other["faults"]["race-on-identical-requests"]["by"] = ["MU.CLIENT_TOKEN.REPLAY"]
    proc = _compare(_write(tmp_path / "a", mutants=MUTANTS), _write(tmp_path / "b", mutants=other))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.splitlines()[0] == (
        "note       mutants: fault race-on-identical-requests: first caught by "
        "MU.HOUR.IDEMPOTENT -> MU.CLIENT_TOKEN.REPLAY (an expected clause both times)"
    )


def test_a_fault_no_longer_caught_as_expected_is_a_difference(tmp_path):
    other = copy.deepcopy(MUTANTS)
    other["faults"]["batch-cap-24"] = {"status": "NO (survived)", "by": [], "expected": ["BMU.RECORDS.MAX"]}
    other["exit_code"] = 1
    result = verdict_snapshot.compare_dirs(
        _write(tmp_path / "a", mutants=MUTANTS), _write(tmp_path / "b", mutants=other)
    )
    assert result.differences == [
        "mutants: exit code 0 -> 1",
        "mutants: fault batch-cap-24: caught? yes -> NO (survived) (by BMU.RECORDS.MAX -> -)",
    ]


def test_a_scenario_missing_on_one_side_is_a_difference(tmp_path):
    result = verdict_snapshot.compare_dirs(
        _write(tmp_path / "a", default=DEFAULT, mutants=MUTANTS), _write(tmp_path / "b", default=DEFAULT)
    )
    assert result.differences == [f"mutants: no snapshot in {tmp_path / 'b' / 'mutants.json'}"]


def test_the_mutants_table_is_read_as_meterconform_renders_it():
    caught = MutantResult(
        "batch-cap-24", {"BMU.RECORDS.MAX"}, caught_by=["BMU.RECORDS.MAX"], seconds_to_first_failure=3.1
    )
    other = MutantResult(
        "errors-with-200", {"PROTO.STATUS.CLIENT_ERROR"}, caught_by=["ALLOC.UNIQUE_TAGS", "TAG.COUNT.MAX"]
    )
    survived = MutantResult("six-tags-accepted", {"TAG.COUNT.MAX"})
    faithful = MutantResult("(faithful)", set(), checks=616)
    faults, seen = verdict_snapshot.parse_mutants_table("\n".join(render_table(faithful, [caught, other, survived])))
    assert faults == {
        "batch-cap-24": {"status": "yes", "by": ["BMU.RECORDS.MAX"], "expected": ["BMU.RECORDS.MAX"]},
        "errors-with-200": {
            "status": "OTHER CLAUSE",
            "by": ["ALLOC.UNIQUE_TAGS", "TAG.COUNT.MAX"],
            "expected": ["PROTO.STATUS.CLIENT_ERROR", "any error clause"],
        },
        "six-tags-accepted": {"status": "NO (survived)", "by": [], "expected": ["TAG.COUNT.MAX"]},
    }
    assert (seen["checks"], seen["failing"]) == (616, [])


def test_a_run_is_read_from_the_reports_meterconform_writes(tmp_path):
    events = REPO / "tests" / "reports" / "data" / "all-verdicts.jsonl"
    proc = subprocess.run(
        [sys.executable, "-m", "meterconform", "report", str(events), "-o", str(tmp_path), "--no-html"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr  # the events hold a FAIL and an ERROR: the gate's exit 1
    checks, clauses = verdict_snapshot.read_run_reports(tmp_path)
    assert checks[DIMENSION] == {"verdict": "FAIL", "failed_clause": "BMU.DIMENSION.UNKNOWN", "also_failed": []}
    assert checks["suites/test_smoke.py::test_register_usage_returns_a_signature"]["verdict"] == "UNIMPLEMENTED"
    assert len(checks) == 13
    assert clauses["BMU.DIMENSION.UNKNOWN"] == "FAIL"
    assert clauses["PROTO.ERROR.HEADER"] == "NON-STRICT"
