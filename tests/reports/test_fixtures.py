"""The fixed events files cover what the report tests rely on: every verdict label, hostile text, observations."""

from __future__ import annotations

from meterconform.results.events import VERDICTS

from .conftest import HOSTILE


def test_the_fixture_holds_every_verdict_label(all_verdicts):
    assert {e.verdict for e in all_verdicts.events} == set(VERDICTS)


def test_the_fixture_holds_a_hostile_response_an_observation_and_a_profile_key(all_verdicts):
    bodies = [ex["body"] for e in all_verdicts.events for ex in e.evidence]
    assert any(HOSTILE in body for body in bodies)
    assert any(e.observations for e in all_verdicts.events if e.verdict == "INFO")
    skipped = [e for e in all_verdicts.events if e.verdict == "SKIPPED"]
    assert skipped and "registration_tokens.invalid" in skipped[0].reason


def test_the_faithful_run_passes_and_moto_is_partly_unimplemented(faithful, moto_run):
    assert {e.verdict for e in faithful.events} == {"PASS"}
    assert {e.verdict for e in moto_run.events} == {"UNIMPLEMENTED", "FAIL"}
    assert {e.nodeid for e in faithful.events} == {e.nodeid for e in moto_run.events}
