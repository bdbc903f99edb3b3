"""Comparison of runs: one matrix of clauses × runs (endpoints), the differences, regressions against the first run."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..contract.catalog import Catalog
from ..results.events import GATING
from ..results.run_results import RunResults
from .matrix import AREAS, ClauseRow, check_counts, clause_rows, report_catalog
from .page import badge, esc, page, safe_href, when


@dataclass
class Comparison:
    runs: list[RunResults]
    rows: list[tuple[ClauseRow, list[str]]]  # the first run's row (for id, title, level, area) and each run's verdict
    differences: list[tuple[ClauseRow, list[str]]] = field(default_factory=list)
    regressions: list[tuple[str, str, str]] = field(default_factory=list)  # (clause id, run name, verdict)

    @property
    def regressed(self) -> bool:
        return bool(self.regressions)

    def lines(self) -> list[str]:
        names = [r.name for r in self.runs]
        width = max([len(r.id) for r, _ in self.differences] + [6]) + 2
        col = max([len(n) for n in names] + [13]) + 2
        out = [
            f"compare: {len(self.runs)} runs ({', '.join(names)}) over {len(self.rows)} clauses: "
            f"{len(self.differences)} differ"
        ]
        if self.differences:
            out.append("  " + "clause".ljust(width) + "".join(n.ljust(col) for n in names))
            for row, verdicts in self.differences:
                out.append("  " + row.id.ljust(width) + "".join(v.ljust(col) for v in verdicts))
        if self.regressions:
            out.append(
                f"regressions against {names[0]} (PASS there, FAIL/ERROR here): "
                + ", ".join(f"{cid} in {name} ({verdict})" for cid, name, verdict in self.regressions)
            )
        else:
            out.append(f"no regression against {names[0]}")
        return out


def compare_runs(runs: list[RunResults], catalog: Catalog | None = None) -> Comparison:
    """Clause verdicts side by side; a regression is a clause PASS in the first run and FAIL or ERROR in another."""
    catalog = catalog if catalog is not None else report_catalog()
    per_run = [{row.id: row for row in clause_rows(run, catalog)} for run in runs]
    ids = list(per_run[0])
    for table in per_run[1:]:
        ids += [cid for cid in table if cid not in ids]
    rows = []
    for cid in ids:
        first = next(table[cid] for table in per_run if cid in table)
        verdicts = [table[cid].verdict if cid in table else "NOT CHECKED" for table in per_run]
        rows.append((first, verdicts))
    comparison = Comparison(runs, rows)
    for row, verdicts in rows:
        if len(set(verdicts)) > 1:
            comparison.differences.append((row, verdicts))
        if verdicts[0] == "PASS":
            comparison.regressions += [(row.id, runs[i].name, v) for i, v in enumerate(verdicts) if i and v in GATING]
    return comparison


def _runs_table(comparison: Comparison) -> str:
    head = "<tr><th>run</th><th>endpoint</th><th>target</th><th>profile</th><th>started</th><th>checks</th></tr>"
    body = []
    for i, run in enumerate(comparison.runs):
        meta = run.meta
        counts = " ".join(f"{badge(label)} {n}" for label, n in check_counts(run.checks).items())
        first = ' <span class="tag">reference for regressions</span>' if i == 0 else ""
        body.append(
            f"<tr><td><strong>{esc(run.name)}</strong>{first}"
            f'<br><span class="muted mono">{esc(", ".join(run.sources))}</span></td>'
            f"<td><code>{esc(meta.get('endpoint'))}</code></td>"
            f'<td class="nowrap">{esc(meta.get("target") or meta.get("kind"))}</td>'
            f"<td>{esc(meta.get('profile'))}</td><td>{esc(when(meta.get('started')))}</td><td>{counts}</td></tr>"
        )
    return f'<table class="plain"><thead>{head}</thead><tbody>{"".join(body)}</tbody></table>'


def _matrix(rows: list[tuple[ClauseRow, list[str]]], comparison: Comparison, grouped: bool) -> str:
    names = "".join(f"<th>{esc(r.name)}</th>" for r in comparison.runs)
    regressed = {(cid, name) for cid, name, _ in comparison.regressions}
    out = []
    areas = (
        sorted({row.area for row, _ in rows}, key=lambda a: AREAS.index(a) if a in AREAS else 99) if grouped else [None]
    )
    for area in areas:
        body = []
        for row, verdicts in rows:
            if grouped and row.area != area:
                continue
            cells = "".join(
                f"<td>{badge(v)}{REGRESSION_TAG if (row.id, comparison.runs[i].name) in regressed else ''}</td>"
                for i, v in enumerate(verdicts)
            )
            differ = len(set(verdicts)) > 1
            href = safe_href(row.clause.doc_url) if row.clause else None
            title = esc(row.title) + (
                f' <a class="doc" href="{esc(href)}" rel="noopener noreferrer" target="_blank">↗</a>' if href else ""
            )
            body.append(
                f'<tr class="{"differ" if differ else "same"}"><td><code class="cid">{esc(row.id)}</code></td>'
                f'<td class="level">{esc(row.level)}</td><td>{title}</td>{cells}</tr>'
            )
        current = f"<h3>{esc(area)}</h3>" if grouped else ""
        out.append(
            f'<section class="cmp-area">{current}<table class="plain cmp"><thead><tr><th>clause</th><th>level</th>'
            f"<th>title</th>{names}</tr></thead><tbody>{''.join(body)}</tbody></table></section>"
        )
    return "".join(out)


REGRESSION_TAG = ' <span class="tag stale">regression</span>'
SCRIPT = """
(function(){var b=document.getElementById('only-diff');if(!b)return;document.documentElement.classList.add('js');
b.addEventListener('click',function(){var on=b.getAttribute('aria-pressed')!=='true';
  b.setAttribute('aria-pressed',on?'true':'false');
[].slice.call(document.querySelectorAll('#all tr.same')).forEach(function(tr){tr.hidden=on;});
[].slice.call(document.querySelectorAll('#all section.cmp-area')).forEach(function(s){
  s.hidden=!s.querySelector('tbody tr:not([hidden])');});});})();
"""

EXTRA_CSS = """<style>.cmp td,.cmp th{white-space:normal}.cmp td:nth-child(1){white-space:nowrap}
.cmp .level{font-size:11px;font-weight:700;color:var(--muted);white-space:nowrap}
table.plain td.nowrap{white-space:nowrap;overflow-wrap:normal}
.cmp-area h3{margin:18px 0 6px}tr.differ td{background:#fffbeb}</style>"""


def render_comparison(comparison: Comparison) -> str:
    first = comparison.runs[0].name
    ok = not comparison.regressed
    word = (
        "NO REGRESSION"
        if ok
        else f"{len(comparison.regressions)} REGRESSION{'S' if len(comparison.regressions) != 1 else ''}"
    )
    lead = (
        f"{len(comparison.runs)} runs over {len(comparison.rows)} clauses; {len(comparison.differences)} clauses "
        f"differ. A regression is a clause that is PASS in the first run ({first}) and FAIL or ERROR in another."
    )
    differences = (
        _matrix(comparison.differences, comparison, grouped=False)
        if comparison.differences
        else '<p class="muted">Every clause has the same verdict in every run.</p>'
    )
    body = (
        '<header class="masthead"><div class="wrap"><p class="eyebrow">meterconform · comparison</p>'
        f"<h1>Marketplace Metering conformance: {esc(' vs '.join(r.name for r in comparison.runs))}</h1></div></header>"
        f'<div class="wrap"><section class="banner {"ok" if ok else "bad"}"><div class="verdict-word">{esc(word)}</div>'
        f"<p>{esc(lead)}</p></section>"
        f'<section class="card"><h2>Runs</h2>{_runs_table(comparison)}</section>'
        f'<section class="card"><h2>Differences</h2>{differences}</section>'
        '<section class="card" id="all"><h2>All clauses <button type="button" class="btn js-only" id="only-diff" '
        'aria-pressed="false" style="margin-left:12px">Only differences</button></h2>'
        f"{_matrix(comparison.rows, comparison, grouped=True)}</section></div>"
        '<footer><div class="wrap">Generated by <code>meterconform compare</code> from the runs\' events '
        "files.</div></footer>"
    )
    return page("meterconform comparison — " + " vs ".join(r.name for r in comparison.runs), body, SCRIPT).replace(
        "</head>", EXTRA_CSS + "</head>", 1
    )


def write_comparison(comparison: Comparison, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_comparison(comparison), encoding="utf-8")
