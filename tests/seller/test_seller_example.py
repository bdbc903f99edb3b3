"""examples/seller: its tests pass on the good usage reporter, and each broken variant fails its named test."""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "seller"
TESTS = [
    "test_records_are_sent_in_batches_of_at_most_25",
    "test_unprocessed_records_are_sent_again_until_recorded",
    "test_throttling_is_retried_with_capped_backoff",
    "test_gives_up_when_throttling_does_not_stop",
    "test_unsubscribed_customers_are_not_retried",
    "test_a_duplicate_record_counts_as_already_billed",
    "test_a_late_increase_is_billed_without_changing_the_recorded_hour",
    "test_records_older_than_the_window_are_not_sent",
]
# reporter -> the tests that must fail on it (and only those)
CAUGHT_BY = {
    "usage_reporter:UsageReporter": set(),
    "broken_reporters:DropsUnprocessed": {"test_unprocessed_records_are_sent_again_until_recorded"},
    "broken_reporters:RetriesForever": {"test_gives_up_when_throttling_does_not_stop"},
    "broken_reporters:ResendsChangedQuantity": {"test_a_late_increase_is_billed_without_changing_the_recorded_hour"},
    "broken_reporters:RetriesUnsubscribed": {"test_unsubscribed_customers_are_not_retried"},
}


def outcomes(reporter: str, tmp_path: Path) -> dict[str, str]:
    """Run the example's tests (plain `pytest` in its directory) on `reporter`: test name -> outcome."""
    junit = tmp_path / "junit.xml"
    env = {**os.environ, "SELLER_REPORTER": reporter}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", f"--junitxml={junit}"],
        cwd=EXAMPLE,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode in (0, 1), result.stdout + result.stderr
    found = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        failed = case.find("failure") is not None or case.find("error") is not None
        found[case.get("name")] = "failed" if failed else "skipped" if case.find("skipped") is not None else "passed"
    return found


@pytest.mark.parametrize("reporter", sorted(CAUGHT_BY))
def test_each_broken_reporter_fails_its_named_test(reporter, tmp_path):
    found = outcomes(reporter, tmp_path)
    assert sorted(found) == sorted(TESTS)
    assert {name for name, outcome in found.items() if outcome == "failed"} == CAUGHT_BY[reporter]
    assert all(outcome in ("passed", "failed") for outcome in found.values())


def test_every_broken_variant_is_checked():
    sys.path.insert(0, str(EXAMPLE))
    try:
        import broken_reporters
    finally:
        sys.path.remove(str(EXAMPLE))
        for name in ("broken_reporters", "usage_reporter"):
            sys.modules.pop(name, None)
    variants = {
        f"broken_reporters:{name}"
        for name, value in vars(broken_reporters).items()
        if isinstance(value, type) and value.__module__ == "broken_reporters"
    }
    assert variants == set(CAUGHT_BY) - {"usage_reporter:UsageReporter"}
