"""Checks listed by name under a clause whose evidence is under another one: folded lists, cases grouped."""

from __future__ import annotations

from collections import Counter

from .evidence import home_clause, whole
from .matrix import CLAUSE_LABELS, CheckRef
from .page import badge, esc, plural


def case_of(nodeid: str) -> tuple[str, str]:
    """A node id as its check function and its parametrized case: ('suites/x.py::test_y', 'a-b') ('' if none)."""
    function, _, case = nodeid.partition("[")
    return function, case[:-1] if case.endswith("]") else case


def elsewhere(ref: CheckRef, clause: str) -> bool:
    """Whether the check is only listed under `clause`: its evidence is under another clause (a check cites
    several; its full entry appears once, under its home clause, where it passed or failed) and it found no other
    failure here."""
    ev = ref.event
    return home_clause(ev) != clause and not any(f["clause"] == clause for f in ev.also_failed or ())


def _stopped(ref: CheckRef) -> bool:
    """A check that failed on another clause before it tried this one."""
    return ref.verdict == "SKIPPED" and whole(ref.event)


def _lead(verdict: str, stopped: bool, n: int, more: bool) -> str:
    """What the checks of one list did for this clause, in one line (`more`: other checks are shown above)."""
    checks = plural(n, "more check" if more else "check")
    if stopped:
        return (
            f"Not judged here: {plural(n, 'check')} stopped at {'its' if n == 1 else 'their'} first failure before "
            "trying this clause"
        )
    if verdict in ("PASS", "INFO"):
        return f"{checks} met this clause"
    if verdict == "SKIPPED":
        return (
            f"Not judged here: {plural(n, 'check')} passed without {'its' if n == 1 else 'their'} case for this clause "
            "ever coming up"
        )
    return f"{checks} {'is' if n == 1 else 'are'} {verdict} here"


def _where(ev: dict) -> tuple[str, str]:
    """Where a check's evidence is, and what it is there when that is a failure (else '')."""
    return home_clause(ev), ev.verdict if whole(ev) else ""


def _link(where: tuple[str, str]) -> str:
    clause, verdict = where
    return (f"{esc(verdict)} on " if verdict else "") + f'<a href="#c-{esc(clause)}">{esc(clause)}</a>'


def _item(function: str, refs: list[CheckRef], cases: Counter) -> str:
    """One line for the cases of one check function: all of them, or each one named, and where their evidence is."""
    places: dict[tuple[str, str], list[str]] = {}
    for ref in refs:
        places.setdefault(_where(ref.event), []).append(case_of(ref.event.nodeid)[1])
    if len(refs) > 1 and len(refs) == cases[function]:
        where = ", ".join(_link(w) + (f" ({len(c)})" if len(places) > 1 else "") for w, c in places.items())
        return f"<li><code>{esc(function)}</code> all {len(refs)} cases → {where}</li>"
    parts = []
    for where, named in places.items():
        shown = " ".join(f"[{esc(case)}]" for case in named if case)
        parts.append((shown + " " if shown else "") + "→ " + _link(where))
    return f"<li><code>{esc(function)}</code> {' · '.join(parts)}</li>"


def elsewhere_lists(refs: list[CheckRef], cases: Counter, more: bool) -> str:
    """One folded list per verdict the checks have here; one line per check function, its cases grouped
    (`cases`: how many cases each function has in the run, so that "all N cases" is true; `more`: the clause
    shows other checks above the lists)."""
    lists: dict[tuple[str, bool], dict[str, list[CheckRef]]] = {}
    for ref in refs:
        lists.setdefault((ref.verdict, _stopped(ref)), {}).setdefault(case_of(ref.event.nodeid)[0], []).append(ref)
    rank = {label: i for i, label in enumerate(CLAUSE_LABELS)}
    out = []
    for verdict, stopped in sorted(lists, key=lambda key: (rank.get(key[0], 99), key[1])):
        functions = lists[(verdict, stopped)]
        n = sum(len(named) for named in functions.values())
        items = "".join(_item(function, named, cases) for function, named in functions.items())
        out.append(
            f'<details class="sub"><summary>{badge(verdict)} {esc(_lead(verdict, stopped, n, more))}; each one\'s '
            f'evidence is under the clause it links to</summary><ul class="elsewhere">{items}</ul></details>'
        )
    return "".join(out)
