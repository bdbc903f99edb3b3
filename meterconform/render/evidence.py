"""A check's evidence on the page: every recorded exchange of a failing check, a sample of any other check's."""

from __future__ import annotations

import json
import re

from ..results.events import GATING, transient_line
from .page import esc, esc_text

BODY_LIMIT = 3000  # characters of a failing check's body shown; the events file keeps up to 4000
SAMPLE_BODY_LIMIT = 500  # characters of a body in a sampled exchange (of a check that did not fail)
SAMPLES_SHOWN = 2  # checks that did not fail shown with an exchange under a clause; the rest one line each
REPRODUCTION_LIMIT = (
    20_000  # characters of a reproduction shown (a 1 MB request makes a 3 MB one); events.jsonl has it all
)
WHOLE = GATING | {"NON-STRICT"}  # verdicts whose evidence is shown whole: the reader has to act on them
# Left out of a sampled exchange: the signer's, the SDK's and the framing's, the same on every
# request of a run (a failing check's exchanges keep them all).
ROUTINE_HEADERS = {
    "authorization",
    "x-amz-date",
    "x-amz-security-token",
    "user-agent",
    "amz-sdk-invocation-id",
    "amz-sdk-request",
    "content-length",
    "x-amzn-requestid",
    "date",
}
_DEEP = re.compile(r"(?:[\[{]\s*){16}")  # sixteen openers in a row: a fuzzed body, not a readable one


def whole(event: dict) -> bool:
    """Whether the page shows every recorded exchange of the check (a failure), not a sample."""
    return event.verdict in WHOLE


def home_clause(event: dict) -> str:
    """The one clause under which a check's evidence is shown: the clause it failed on, else the first it cites
    (for a passing check that never judged that one, the first it did judge, the generic timeout clause last)."""
    if event.failed_clause:
        return event.failed_clause
    clauses = event.clauses
    if not clauses:
        return ""
    judged = event.judged_clauses
    if event.verdict == "PASS" and clauses[0] not in judged and judged:
        return next((c for c in judged if c != "PROTO.TIMEOUT"), judged[0])
    return clauses[0]


def _pretty(text, limit: int = BODY_LIMIT) -> str:
    """A body for reading: JSON re-indented, anything else as it is; cut at `limit` characters."""
    try:
        if isinstance(text, (dict, list)):
            out = json.dumps(text, indent=2, ensure_ascii=False)
        else:
            out = str(text or "")
            deep = _DEEP.search(out)  # a fuzzed body nested thousands deep: not worth a RecursionError
            parsed = json.loads(out) if out[:1] in ("{", "[") and not deep and len(out) < 100_000 else None
            if isinstance(parsed, (dict, list)):
                out = json.dumps(parsed, indent=2, ensure_ascii=False)
    except (ValueError, RecursionError):  # not JSON, or nested too deep to re-indent (fuzzed bodies are)
        out = text if isinstance(text, str) else "(too deeply nested to show here; see events.jsonl)"
    return out if len(out) <= limit else out[:limit] + f"\n… ({len(out) - limit} more characters in events.jsonl)"


def _headers(headers: dict | None, sampled: bool) -> str:
    return "\n".join(f"{k}: {v}" for k, v in (headers or {}).items() if not (sampled and k.lower() in ROUTINE_HEADERS))


def _exchange(number: int, ex: dict, limit: int = BODY_LIMIT, sampled: bool = False) -> str:
    """One request and its response; `sampled`, without the headers every request carries."""
    req_headers, resp_headers = _headers(ex.get("request_headers"), sampled), _headers(ex.get("headers"), sampled)
    status = (
        f"HTTP {ex['status']}"
        if ex.get("status") is not None
        else f"no response ({ex.get('transport_error') or 'transport error'})"
    )
    body = _pretty(ex.get("body"), limit)
    return (
        f'<div class="exchange"><h4><span>Request {number}</span> {esc(ex.get("method", "POST"))} '
        f"{esc(ex.get('url', ''))} "
        f"· {esc(ex.get('operation') or '')} via {esc(ex.get('via', '?'))}</h4>"
        f"<pre>{esc_text(req_headers)}\n\n{esc_text(_pretty(ex.get('request'), limit))}</pre>"
        f"<h4><span>Response</span> {esc(status)}{' · ' + esc(ex['error_code']) if ex.get('error_code') else ''}"
        f"{' · ' + esc(ex.get('elapsed_ms')) + ' ms' if ex.get('elapsed_ms') is not None else ''}"
        f"{' · truncated' if ex.get('body_truncated') else ''}</h4>"
        + (
            f'<p class="transient">{esc(transient_line(ex))} (the same request was sent again after each)</p>'
            if transient_line(ex)
            else ""
        )
        + (f'<p class="transient">{esc(ex["timeout_shortened"])}</p>' if ex.get("timeout_shortened") else "")
        + f"<pre>{esc_text(resp_headers)}\n\n{esc_text(body)}</pre></div>"
    )


def _summary(exchange: dict) -> str:
    """'MeterUsage → HTTP 400 InvalidProductCodeException': an exchange in one line."""
    status = f"HTTP {exchange['status']}" if exchange.get("status") is not None else "no response"
    return f"{exchange.get('operation') or exchange.get('method', '')} → {status}" + (
        f" {exchange['error_code']}" if exchange.get("error_code") else ""
    )


def _answers(event: dict) -> str:
    """The check's recorded exchanges in one line: 'MeterUsage → HTTP 400 X, RegisterUsage → HTTP 200 (2 requests)'."""
    exchanges = event.evidence
    sent = max(int(event.exchanges or 0), len(exchanges))
    shown = ", ".join(_summary(ex) for ex in exchanges)
    return shown + (
        f" (the last {len(exchanges)} of {sent} requests)"
        if sent > len(exchanges)
        else f" ({len(exchanges)} requests)"
        if len(exchanges) > 1
        else ""
    )


def evidence(event: dict) -> str:
    """The check's evidence: a failure's every recorded exchange; another check's first recorded exchange (routine
    headers left out, bodies cut), a line for each other one and a line on where the whole ones are."""
    exchanges = event.evidence or []
    if not exchanges:
        return ""
    if whole(event):
        noun = "exchange" if len(exchanges) == 1 else f"last {len(exchanges)} exchanges"
        return (
            f'<details class="sub evidence"><summary>Evidence: {esc(noun)} — {esc(_summary(exchanges[-1]))}</summary>'
            + "".join(_exchange(i, ex, BODY_LIMIT) for i, ex in enumerate(exchanges, 1))
            + "</details>"
        )
    first = max(int(event.exchanges or 0), len(exchanges)) - len(exchanges) + 1  # numbered as the check sent them
    rest = "".join(
        f'<p class="sampled">Request {n}: {esc(_summary(ex))}'
        f"{' · ' + esc(ex['elapsed_ms']) + ' ms' if ex.get('elapsed_ms') is not None else ''}</p>"
        for n, ex in enumerate(exchanges[1:], first + 1)
    )
    note = (
        f"Sampled ({event.verdict}): request {first} with routine headers left out and bodies cut at "
        f"{SAMPLE_BODY_LIMIT} characters"
        + (", the others one line each" if len(exchanges) > 1 else "")
        + (f"; requests 1 to {first - 1} are not recorded" if first > 1 else "")
        + f"; events.jsonl keeps {'it' if len(exchanges) == 1 else f'these {len(exchanges)}'} in full."
    )
    return (
        f'<details class="sub evidence"><summary>Evidence: {esc(_answers(event))}</summary>'
        f"{_exchange(first, exchanges[0], SAMPLE_BODY_LIMIT, sampled=True)}{rest}"
        f'<p class="sampled">{esc(note)}</p></details>'
    )


def summarised(events: list[dict]) -> str:
    """Checks that did not fail, past a clause's first few: a line per check function and outcome, naming each
    case that had it (the cases of a property or parametrized check mostly get the same answers)."""
    lines: dict[tuple[str, str, str], list[str]] = {}
    for ev in events:
        function, _, case = ev.nodeid.partition("[")
        lines.setdefault((function, ev.verdict, _answers(ev)), []).append(case[:-1] if case.endswith("]") else case)
    items = "".join(
        f"<li>{esc(verdict)} <code>{esc(function)}</code>{' ' if any(cases) else ''}"
        + " ".join(f"[{esc(case)}]" for case in cases if case)
        + f" — {esc(answers)}</li>"
        for (function, verdict, answers), cases in lines.items()
    )
    return (
        f'<details class="sub"><summary>{len(events)} more check{"" if len(events) == 1 else "s"}, a line per check '
        f"and outcome: the requests and answers recorded (events.jsonl keeps the exchanges)</summary>"
        f'<ul class="summarised">{items}</ul></details>'
    )


def _cut(reproduction: str) -> str:
    """A reproduction cut at REPRODUCTION_LIMIT characters, saying where the whole one is."""
    if len(reproduction) <= REPRODUCTION_LIMIT:
        return reproduction
    return (
        reproduction[:REPRODUCTION_LIMIT]
        + f"\n… ({len(reproduction) - REPRODUCTION_LIMIT:,} more characters: the whole, "
        "runnable reproduction is in events.jsonl and conformance.json)"
    )


def reproduce(reproduction: str | None, falsifying: str | None, opened: bool) -> str:
    """A failure's Reproduce block (cut at REPRODUCTION_LIMIT) and its Falsifying example, where there are."""
    out = ""
    if reproduction:
        out += (
            f'<details class="sub"{" open" if opened else ""}><summary>Reproduce</summary>'
            f"<pre>{esc(_cut(reproduction))}</pre></details>"
        )
    if falsifying:
        out += f'<details class="sub"><summary>Falsifying example</summary><pre>{esc(falsifying)}</pre></details>'
    return out
