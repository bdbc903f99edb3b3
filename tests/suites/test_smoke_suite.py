"""The smoke suite passes on the faithful reference endpoint and fails, on the right clause, on a faulty one."""

from tests.suites.runner import errors, failed_clauses, run_suites


def test_smoke_is_green_on_the_faithful_endpoint():
    events = run_suites("suites/test_smoke.py")
    assert len(events) == 8
    assert errors(events) == []
    assert {e["verdict"] for e in events} == {"PASS"}


def test_smoke_catches_a_wrong_error_name_for_an_unknown_dimension():
    events = run_suites("suites/test_smoke.py", faults=["unknown-dimension-wrong-error"])
    assert failed_clauses(events) == {"BMU.DIMENSION.UNKNOWN"}
