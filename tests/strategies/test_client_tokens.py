"""ClientTokens of checks that are not about token reuse never repeat: the scope of a token is undocumented
(per caller or per endpoint; on AWS every check signs as one identity), so a token sent twice with other
parameters is an IdempotencyConflict some conformant endpoint may rightly answer.

"Covering the boundaries" here means: the valid check's drawn tokens still reach both ends of the lengths a
unique token can have (UNIQUE_TOKEN_MIN = 8 and CLIENT_TOKEN_MAX = 64) and, outside the 8-character marker,
characters of every kind client_tokens() draws (ASCII, C0 controls, non-ASCII BMP, astral). Lengths 1–7 go
only to the checks that own their tokens (test_client_token_length_boundaries_are_accepted sends 1 and 64);
that no suite sends a fixed or repeating token is the static check below."""

from __future__ import annotations

import ast
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from meterconform.strategies import meter_usage_requests, unique_client_tokens
from meterconform.strategies._model import CLIENT_TOKEN_MAX
from meterconform.strategies.requests import UNIQUE_MARKER_LENGTH, UNIQUE_TOKEN_MIN
from meterconform.suites.test_meter_usage import VALID_TOKEN_KINDS
from tests.strategies.helpers import PROFILE

SUITES = Path(__file__).resolve().parents[2] / "suites"


def _is_marker(ch: str) -> bool:
    return 0x4E00 <= ord(ch) < 0x4E00 + 0x5200


def test_the_valid_checks_tokens_never_repeat_and_still_reach_the_boundaries():
    tokens: list[str] = []

    # Drawn exactly as suites/test_meter_usage.py::test_valid_requests_are_accepted draws them: 300 examples,
    # then a run that fails and shrinks (a shrink replays small values: "0", "\x00"), all in one process.
    def run(fail: bool) -> None:
        @settings(
            max_examples=300,
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.generate, Phase.shrink],
            suppress_health_check=list(HealthCheck),
        )
        @given(data=st.data())
        def draw(data):
            request = data.draw(
                meter_usage_requests(PROFILE, client_token=data.draw(st.sampled_from(VALID_TOKEN_KINDS)))
            )
            if "ClientToken" in request:
                tokens.append(request["ClientToken"])
                assert not (fail and len(request["ClientToken"]) > 40)

        try:
            draw()
        except AssertionError:
            assert fail

    run(fail=False)
    run(fail=True)
    repeated = sorted({t for t in tokens if tokens.count(t) > 1})
    assert not repeated, f"{len(repeated)} ClientTokens drawn twice, e.g. {repeated[:5]!r}"
    drawn = [t for t in tokens if len(t) != 36 or t.count("-") != 4]  # not botocore-style UUIDs
    assert len(drawn) > 100
    lengths = {len(t) for t in drawn}
    assert {UNIQUE_TOKEN_MIN, CLIENT_TOKEN_MAX} <= lengths and len(lengths) > 20, sorted(lengths)
    assert all(UNIQUE_TOKEN_MIN <= len(t) <= CLIENT_TOKEN_MAX for t in tokens)
    others = "".join(ch for t in drawn for ch in t if not _is_marker(ch))
    kinds = {
        "ascii": lambda c: 0x20 <= ord(c) < 0x7F,
        "control": lambda c: ord(c) < 0x20,
        "bmp": lambda c: 0x7F < ord(c) <= 0xFFFF,
        "astral": lambda c: ord(c) > 0xFFFF,
    }
    missing = [k for k, test in kinds.items() if not any(test(c) for c in others)]
    assert not missing, f"no drawn token carries {missing} characters"


@settings(max_examples=50, database=None, deadline=None)
@given(data=st.data())
def test_a_unique_token_is_drawn_text_with_one_marker(data):
    token = data.draw(unique_client_tokens())
    assert UNIQUE_TOKEN_MIN <= len(token) <= CLIENT_TOKEN_MAX
    assert (
        sum(
            1
            for i in range(len(token) - UNIQUE_MARKER_LENGTH + 1)
            if all(_is_marker(c) for c in token[i : i + UNIQUE_MARKER_LENGTH])
        )
        >= 1
    )


def _constant(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _fixed_tokens(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, what) for every place a suite sends a fixed valid-length ClientToken or a repeating drawn one."""
    found = []
    for node in ast.walk(tree):
        values = []
        if isinstance(node, ast.Dict):
            values = [
                v
                for k, v in zip(node.keys, node.values, strict=True)
                if k is not None and _constant(k) == "ClientToken"
            ]
        elif isinstance(node, ast.keyword) and node.arg == "ClientToken":
            values = [node.value]
        elif isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Subscript) and _constant(t.slice) == "ClientToken" for t in node.targets
        ):
            values = [node.value]
        for value in values:
            text = _constant(value)
            if text is not None and 1 <= len(text) <= CLIENT_TOKEN_MAX:
                found.append((node.lineno if hasattr(node, "lineno") else value.lineno, f"ClientToken {text!r}"))
        if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) == "client_tokens":
            found.append((node.lineno, "client_tokens(), which repeats across examples"))
        if (
            isinstance(node, ast.keyword)
            and node.arg == "client_token"
            and _constant(node.value) not in (None, "fresh", "unique", "absent")
        ):
            found.append((node.value.lineno, f"client_token={_constant(node.value)!r}"))
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)) and any(_constant(e) == "drawn" for e in node.elts):
            found.append((node.lineno, 'a choice of the "drawn" token kind'))
    return found


def test_no_suite_sends_a_fixed_or_repeating_client_token():
    """A literal token of 1–64 characters (an invalid "" or 65-char one is never stored), client_tokens() or the
    "drawn" kind in a suite would be sent again by the next run, with other parameters."""
    bad = [
        f"{path.name}:{line}: {what}"
        for path in sorted(SUITES.glob("*.py"))
        for line, what in _fixed_tokens(ast.parse(path.read_text(), str(path)))
    ]
    assert not bad, "\n".join(bad)


def test_the_static_check_sees_what_it_looks_for():
    source = """
a = {"ClientToken": "0"}
f(ClientToken="abc")
r["ClientToken"] = "x"
meter_usage_requests(p, client_token="drawn")
kinds = ["fresh", "drawn"]
client_tokens()
ok = {"ClientToken": ""}
ok2 = {"ClientToken": "c" * 65}
ok3 = {"ClientToken": "c" * 65 + "d"}
"""
    assert sorted(line for line, _ in _fixed_tokens(ast.parse(source))) == [2, 3, 4, 5, 6, 7]
