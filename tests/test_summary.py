"""The terminal summary says why checks were skipped, grouped, most frequent first."""

from __future__ import annotations

from meterconform.results.summary import render_summary, skip_reasons


def _skipped(reason: str, clause: str = "RC.TOKEN.VALID") -> dict:
    return {
        "nodeid": f"suites/test_x.py::test_{abs(hash(reason)) % 10**6}",
        "clauses": [clause],
        "levels": {clause: "MUST"},
        "verdict": "SKIPPED",
        "reason": reason,
    }


EVENTS = [
    _skipped(
        "TOKEN SPENT: valid registration token #1 of the profile answered ExpiredTokenException; it may have been "
        "resolved"
    ),
    _skipped(
        "TOKEN SPENT: valid registration token #1 of the profile answered ExpiredTokenException; it may have been "
        "resolved"
    ),
    _skipped(
        "SKIPPED: the target profile has no `customers.subscribed_accounts`; add it to the profile",
        "BMU.ACCOUNT.SUBSCRIBED",
    ),
    _skipped(
        "SKIPPED: the target profile has no `customers.subscribed_accounts`; add it to the profile",
        "BMU.ACCOUNT.SUBSCRIBED",
    ),
    _skipped(
        "SKIPPED: the target profile has no `customers.subscribed_accounts`; add it to the profile",
        "BMU.ACCOUNT.SUBSCRIBED",
    ),
    _skipped(
        "BILLING GUARD: this check may record usage on a real endpoint; run with --allow-billing to include it",
        "MU.WINDOW.RECENT",
    ),
    {
        "nodeid": "suites/test_x.py::test_passes",
        "clauses": ["RC.TOKEN.VALID"],
        "levels": {"RC.TOKEN.VALID": "MUST"},
        "verdict": "PASS",
        "reason": "",
    },
]


def test_skip_reasons_are_grouped_by_their_first_clause():
    assert skip_reasons(EVENTS) == [
        ("the target profile has no `customers.subscribed_accounts`", 3),
        ("TOKEN SPENT: valid registration token #1 of the profile answered ExpiredTokenException", 2),
        ("BILLING GUARD: this check may record usage on a real endpoint", 1),
    ]


def test_the_summary_lists_them_before_the_verdict():
    lines = render_summary(EVENTS, {"endpoint": "http://127.0.0.1:1", "billing": "guarded"})
    at = lines.index("skipped (no verdict), why:")
    assert lines[at + 1 : at + 4] == [
        "     3  the target profile has no `customers.subscribed_accounts`",
        "     2  TOKEN SPENT: valid registration token #1 of the profile answered ExpiredTokenException",
        "     1  BILLING GUARD: this check may record usage on a real endpoint",
    ]
    assert lines[-2:] == [
        "checks: 1 passed, 0 failed, 0 errors, 0 non-strict, 0 info, 0 unimplemented, 6 skipped",
        "verdict: CONFORMANT",
    ]
    assert "skipped (no verdict), why:" not in render_summary(EVENTS[-1:], {})


RAW_REQUEST = """POST http://127.0.0.1:4566/ (SigV4-signed by meterconform's raw client)
X-Amz-Target: AWSMPMeteringService.registerusage
Content-Type: application/x-amz-json-1.1
X-Amz-Date: 20261206T123714Z
Authorization: ***redacted***

{"ProductCode": "prod-1",
 "PublicKeyVersion": 1}"""


def test_a_raw_request_reproduces_in_one_line_with_its_target_and_body():
    from meterconform.results.failing import reproduction_line

    assert reproduction_line(RAW_REQUEST) == (
        "POST http://127.0.0.1:4566/ (SigV4-signed by meterconform's raw client); "
        'X-Amz-Target: AWSMPMeteringService.registerusage; body {"ProductCode": "prod-1", "PublicKeyVersion": 1}'
    )
    cli = "aws meteringmarketplace meter-usage --cli-input-json '{}'\naws meteringmarketplace meter-usage --x"
    assert reproduction_line(cli) == "aws meteringmarketplace meter-usage --cli-input-json '{}'"
    with_script = cli + "\n\ndef client(access_key_id):\n    return boto3.client('meteringmarketplace')"
    assert reproduction_line(with_script) == "aws meteringmarketplace meter-usage --cli-input-json '{}'"
