"""conformance.html: one self-contained page with the whole catalog, each clause's verdict and its evidence."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from ..contract.catalog import Catalog, Outcome
from ..contract.sources import source_label, source_url
from ..results.baseline import Applied
from ..results.events import GATING
from ..results.run_results import RunResults
from ..results.summary import operation_of
from .elsewhere import case_of, elsewhere, elsewhere_lists
from .evidence import SAMPLES_SHOWN, evidence, home_clause, reproduce, summarised, whole
from .matrix import (
    AREAS,
    CLAUSE_LABELS,
    NOT_CHECKED,
    PROBLEMS,
    UNTESTABLE,
    CheckRef,
    ClauseRow,
    clause_rows,
    label_counts,
    report_catalog,
    rows_by_area,
)
from .page import badge, bar_chart, esc, legend, page, plural, safe_href, slug, when

CHECKS_SHOWN = 8  # under a clause; the rest fold under "N more checks"
_PROFILE_KEY = re.compile(r"`([a-z_]+(?:\.[A-Za-z0-9_.-]+)+)`")


def _outcome_text(outcome: Outcome) -> str:
    """What a conformant endpoint answers, in one line."""
    status = outcome.status
    status_text = (
        (" or ".join(str(s) for s in status) if isinstance(status, tuple) else str(status))
        if status is not None
        else ""
    )
    if outcome.kind == "error":
        return f"error {' or '.join(outcome.errors)}" + (f" (HTTP {status_text})" if status_text else " (HTTP 400)")
    if outcome.kind == "client_error":
        return "any 4xx client error" + (
            f" (the sources suggest {', '.join(outcome.errors)})" if outcome.errors else ""
        )
    if outcome.kind == "record_status":
        return f"HTTP 200 with the record's Status = {status_text}"
    if outcome.kind == "success":
        return "a 2xx with the operation's response shape" + (f": {outcome.description}" if outcome.description else "")
    if outcome.kind == "one_of":
        return "one of: " + " | ".join(_outcome_text(a) for a in outcome.alternatives)
    if outcome.kind == "info":
        return "nothing is asserted" + (f"; reported: {outcome.description}" if outcome.description else "")
    return outcome.description or outcome.kind


def _check(ref: CheckRef, row: ClauseRow, applied: Applied | None) -> str:
    """One check under its home clause, or under another clause it found broken too: its verdict, expected and
    actual, evidence and reproduction."""
    ev = ref.event
    tags = ""
    excuse = applied.excuse(ev.nodeid) if applied else None
    if excuse is not None and ref.verdict in GATING:
        tags = (
            f' <span class="tag expected" title="{esc(excuse.reason)}">'
            f"expected by baseline: {esc(excuse.target)}</span>"
        )
    head = (
        f'<div class="check-head">{badge(ref.verdict)} <code>{esc(ev.nodeid)}</code>{tags}'
        f'<span class="dur">{float(ev.duration or 0):.2f} s</span></div>'
    )
    home = home_clause(ev)
    other = next((f for f in ev.also_failed or () if f["clause"] == row.id), None)
    if other is not None:  # another clause the same check found broken: its own failure, example and reproduction
        parts = [
            head,
            '<p class="muted">Another bug the same check found; its first is on <a '
            f'href="#c-{esc(home)}">{esc(home)}</a>.</p>',
            f'<dl class="ea"><dt>Expected</dt><dd>{esc(other.get("expected"))}</dd>'
            f"<dt>Actual</dt><dd>{esc(other.get('actual'))}</dd></dl>",
            reproduce(other.get("reproduction"), other.get("falsifying_example"), opened=True),
        ]
        return f'<div class="check v-{slug(ref.verdict)}">' + "".join(parts) + "</div>"
    parts = [head]
    if ev.expected or ev.actual:
        parts.append(
            f'<dl class="ea"><dt>Expected</dt><dd>{esc(ev.expected)}</dd><dt>Actual</dt><dd>{esc(ev.actual)}</dd></dl>'
        )
        note = next(
            (
                line.strip()[len("note:") :].strip()
                for line in (ev.reason or "").splitlines()
                if line.strip().startswith("note:")
            ),
            "",
        )
        if note:
            parts.append(f'<p class="facts"><strong>Note:</strong> {esc(note)}</p>')
    elif ev.reason:
        if ev.verdict == "SKIPPED":
            key = _PROFILE_KEY.search(ev.reason)
            if key:
                parts.append(f'<p class="facts"><strong>Profile key:</strong> <code>{esc(key.group(1))}</code></p>')
        parts.append(f'<pre class="reason">{esc(ev.reason)}</pre>')
    for obs in ev.observations or []:
        parts.append(
            f'<p class="facts"><strong>Observed ({esc(obs.get("clause"))}):</strong> {esc(obs.get("text"))}</p>'
        )
    parts.append(evidence(ev))
    parts.append(reproduce(ev.reproduction, ev.falsifying_example, opened=ev.verdict in GATING | {"NON-STRICT"}))
    return f'<div class="check v-{slug(ref.verdict)}">' + "".join(parts) + "</div>"


def _clause(row: ClauseRow, applied: Applied | None, cases: Counter) -> str:
    clause = row.clause
    search = " ".join([row.id, row.title]).lower()  # the checks' names are searched in the clause's text
    body = []
    if clause is not None:
        for quote in clause.quotes:
            href = safe_href(source_url(quote.source))
            label = esc(source_label(quote.source))
            cite = f'<a href="{esc(href)}" rel="noopener noreferrer" target="_blank">{label}</a>' if href else label
            body.append(f"<blockquote><p>“{esc(quote.text)}”</p><cite>{cite}</cite></blockquote>")
        body.append(f'<p class="facts"><strong>Conformant answer:</strong> {esc(_outcome_text(clause.outcome))}</p>')
        if clause.readings:
            items = "".join(
                f"<li><strong>{esc(r.name)}</strong>: {esc(r.text)}"
                + (f' <span class="muted">(profile: <code>{esc(r.profile)}</code>)</span>' if r.profile else "")
                + "</li>"
                for r in clause.readings
            )
            body.append(
                '<p class="facts"><strong>Readings</strong> (the sources disagree):</p><ul '
                f'class="readings">{items}</ul>'
            )
        href = safe_href(clause.doc_url)
        if href:
            body.append(
                f'<p class="facts"><a class="doc" href="{esc(href)}" rel="noopener noreferrer" target="_blank">'
                f"Documentation: {esc(href.split('/')[-1] or href)} ↗</a></p>"
            )
        if clause.untestable:
            body.append(f'<p class="facts"><strong>Untestable:</strong> {esc(clause.untestable)}</p>')
    if not row.checks:
        body.append(
            '<p class="muted">No check of this run cites this clause.</p>'
            if row.verdict == NOT_CHECKED
            else '<p class="muted">Accounted for without a check (see the reason above).</p>'
        )
    rank = {label: i for i, label in enumerate(CLAUSE_LABELS)}
    listed = [ref for ref in row.checks if elsewhere(ref, row.id)]
    ordered = sorted(
        (ref for ref in row.checks if not elsewhere(ref, row.id)), key=lambda ref: rank.get(ref.verdict, 99)
    )
    sampled = [ref for ref in ordered if not whole(ref.event) and ref.event.evidence]  # at home: did not fail
    lines = sampled[SAMPLES_SHOWN:]  # past the first few: a line each, so that the page's size stays bounded
    ordered = [ref for ref in ordered if all(ref is not line for line in lines)]
    body += [_check(ref, row, applied) for ref in ordered[:CHECKS_SHOWN]]
    if len(ordered) > CHECKS_SHOWN:
        rest = ordered[CHECKS_SHOWN:]
        body.append(
            f'<details class="sub"><summary>{esc(plural(len(rest), "more check"))}</summary>'
            + "".join(_check(ref, row, applied) for ref in rest)
            + "</details>"
        )
    if lines:
        body.append(summarised([ref.event for ref in lines]))
    if listed:
        body.append(elsewhere_lists(listed, cases, more=bool(ordered or lines)))
    opened = " open" if row.verdict in GATING else ""
    nchecks = plural(len(row.checks), "check") if row.checks else ""
    return (
        f'<details class="clause v-{slug(row.verdict)}" id="c-{esc(row.id)}" data-verdict="{esc(row.verdict)}" '
        f'data-area="{esc(row.area)}" data-level="{esc(row.level)}" data-search="{esc(search)}"{opened}>'
        f'<summary>{badge(row.verdict)}<code class="cid">{esc(row.id)}</code>'
        f'<span class="level {slug(row.level)}">{esc(row.level)}</span><span class="ctitle">{esc(row.title)}</span>'
        f'<span class="nchecks">{esc(nchecks)}</span></summary><div class="cbody">{"".join(body)}</div></details>'
    )


def _banner(run: RunResults, rows: list[ClauseRow], applied: Applied | None) -> str:
    counts = run.verdict_counts
    not_met = [r for r in rows if r.verdict in GATING]
    completion = run.completion
    verdict = run.gate()
    ok = verdict.exit_code == 0
    word = verdict.words
    clause_counts = label_counts(r.verdict for r in rows)
    met = sum(clause_counts.get(v, 0) for v in ("PASS", "INFO"))
    lead = (
        f"{len(run.checks)} checks on "
        f"{len(rows) - clause_counts.get(NOT_CHECKED, 0) - clause_counts.get(UNTESTABLE, 0)} "
        f"of {len(rows)} clauses: {met} met, {len(not_met)} not met (FAIL or ERROR), "
        f"{clause_counts.get('NON-STRICT', 0)} SHOULD not met, {clause_counts.get(NOT_CHECKED, 0)} not checked, "
        f"{clause_counts.get(UNTESTABLE, 0)} untestable."
    )
    gate = "FAIL and ERROR gate the run; NON-STRICT, INFO, UNIMPLEMENTED and SKIPPED do not."
    if applied is not None:
        state = "fails" if applied.gates else "passes"
        stale = f"{len(applied.stale)} stale entr{'y' if len(applied.stale) == 1 else 'ies'}"
        gate = (
            f"CI gate with baseline <code>{esc(applied.baseline.path)}</code>: <strong>{state}</strong> — "
            f"{plural(len(applied.expected), 'expected failure')}, {len(applied.unexpected)} unexpected, "
            f"{stale}, {len(applied.expired)} expired."
        )
    tally = "".join(f"<li>{badge(label)} {plural(n, 'check')}</li>" for label, n in counts.items())
    stopped = run.stopped
    if completion.state == "incomplete" and stopped:
        incomplete = (
            f'<p class="incomplete"><strong>Incomplete run.</strong> {esc(stopped[0])} '
            f"{esc(plural(stopped[1], 'check'))} did not run (SKIPPED, “NOT RUN”); the verdicts above cover only the "
            "checks that ran.</p>"
        )
    elif not completion.complete:
        title, _, rest = completion.headline.partition(": ")
        incomplete = f'<p class="incomplete"><strong>{esc(title)}.</strong> {esc(rest)}</p>'
    else:
        incomplete = ""
    return (
        f'<section class="banner {"ok" if ok else "bad"}" aria-label="verdict"><div class="verdict-word">{word}</div>'
        f'<p>{esc(lead)}</p>{incomplete}<p class="gate">{gate}</p><ul class="tally">{tally}</ul></section>'
    )


def _meta(run: RunResults) -> str:
    meta = run.meta
    started, finished = meta.get("started"), meta.get("finished")
    duration = f"{float(finished) - float(started):.1f} s" if started and finished else "—"
    versions = ", ".join(f"{k} {v}" for k, v in (meta.get("versions") or {}).items())
    items = [
        ("Endpoint", meta.get("endpoint")),
        ("Target", meta.get("target") or meta.get("kind")),
        ("Profile", meta.get("profile")),
        ("Region", meta.get("region")),
        ("Depth", meta.get("depth")),
        ("Hypothesis seed", meta.get("hypothesis_seed")),
        ("Started", when(started)),
        ("Duration", duration),
        ("Faults switched on", ", ".join(meta.get("faults") or []) or None),
        ("Readings switched on", ", ".join(meta.get("readings") or []) or None),
        ("Billing", meta.get("billing")),
        ("meterconform", meta.get("version")),
        ("Versions", versions or None),
    ]
    campaign = meta.get("campaign")
    if campaign:
        items.append(
            (
                "Campaign",
                f"{campaign.get('workers')} worker(s), {campaign.get('rounds')} round(s), budget "
                f"{float(campaign.get('duration') or 0):g} s, {float(campaign.get('elapsed') or 0):.1f} s elapsed"
                + (", interrupted" if campaign.get("interrupted") else ""),
            )
        )
    if meta.get("merged_from"):
        items.append(
            ("Merged from", "; ".join(f"{m.get('source')} ({m.get('events')} events)" for m in meta["merged_from"]))
        )
    cells = "".join(f"<div><dt>{esc(k)}</dt><dd>{esc(v)}</dd></div>" for k, v in items if v not in (None, ""))
    return f'<section class="card" aria-label="run"><h2>Run</h2><dl class="meta">{cells}</dl></section>'


def _charts(run: RunResults, rows: list[ClauseRow]) -> str:
    grouped = rows_by_area(rows)
    clause_chart = {area: label_counts(r.verdict for r in group) for area, group in grouped.items()}
    per_op: dict[str, Counter] = {}
    for ev in run.checks:
        per_op.setdefault(operation_of(ev.clauses) if ev.clauses else "Other", Counter())[ev.verdict] += 1
    order = {a: i for i, a in enumerate(AREAS)}
    check_chart = {
        op: label_counts(per_op[op].elements()) for op in sorted(per_op, key=lambda a: (order.get(a, 99), a))
    }
    return (
        '<section class="card" aria-label="charts"><div class="grid2">'
        "<div><h2>Clauses by "
        f"operation</h2>{bar_chart(clause_chart, 'clauses', 'Clause verdicts per operation', 'clauses')}"
        f"{legend(label_counts(r.verdict for r in rows), 'clause')}</div>"
        f"<div><h2>Checks by operation</h2>{bar_chart(check_chart, 'checks', 'Check verdicts per operation', 'checks')}"
        f"{legend(run.verdict_counts, 'check')}</div>"
        "</div></section>"
    )


PROBLEMS_SHOWN = 12  # the rest of the list folds under "and N more"


def _problems(rows: list[ClauseRow], applied: Applied | None) -> str:
    bad = [r for r in rows if r.verdict in PROBLEMS]
    if not bad:
        return ""
    bad.sort(key=lambda r: (CLAUSE_LABELS.index(r.verdict), r.id))
    items = []
    for r in bad:
        expected = ""
        failing = [c.event.nodeid for c in r.checks if c.verdict == r.verdict]
        if applied is not None and r.verdict in GATING and failing and all(applied.excuse(n) for n in failing):
            expected = ' <span class="tag expected">expected by baseline</span>'
        items.append(
            f'<li>{badge(r.verdict)}<a href="#c-{esc(r.id)}"><code class="cid">{esc(r.id)}</code></a>'
            f"<span>{esc(r.title)}{expected}</span><span "
            f'class="nchecks">{esc(plural(len(failing), "check"))}</span></li>'
        )
    shown, folded = items[:PROBLEMS_SHOWN], items[PROBLEMS_SHOWN:]
    more = (
        f'<details class="sub"><summary>and {len(folded)} more</summary><ul '
        f'class="problems">{"".join(folded)}</ul></details>'
        if folded
        else ""
    )
    return (
        '<section class="card" aria-label="clauses not met"><h2>Clauses not met <small '
        f'class="muted">{len(bad)}</small></h2>'
        f'<ul class="problems">{"".join(shown)}</ul>{more}</section>'
    )


def _baseline(applied: Applied | None) -> str:
    if applied is None:
        return ""
    rows = []
    for ev, entry in applied.expected:
        link = safe_href(entry.link)
        rows.append(
            f'<tr><td><span class="tag expected">expected</span></td><td><code>{esc(ev.nodeid)}</code></td>'
            f"<td>{esc(entry.target)}: {esc(entry.reason)}"
            + (
                f' <a class="doc" href="{esc(link)}" rel="noopener noreferrer" target="_blank">link ↗</a>'
                if link
                else ""
            )
            + "</td></tr>"
        )
    for ev in applied.unexpected:
        rows.append(
            f'<tr><td><span class="tag stale">unexpected</span></td><td><code>{esc(ev.nodeid)}</code></td>'
            f"<td>{esc(ev.verdict)} not covered by a live entry: fix it, or add it with a reason</td></tr>"
        )
    for entry in applied.stale:
        rows.append(
            f'<tr><td><span class="tag stale">stale</span></td><td>{esc(entry.target)}</td>'
            "<td>passes now: remove the entry (it gates until then)</td></tr>"
        )
    for entry in applied.expired:
        rows.append(
            f'<tr><td><span class="tag expired">expired</span></td><td>{esc(entry.target)}</td>'
            f"<td>expired on {esc(entry.expires)}: fix the deviation or move <code>expires</code> "
            f"({esc(entry.reason)})</td></tr>"
        )
    for entry in applied.not_run:
        rows.append(
            f'<tr><td><span class="tag">not run</span></td><td>{esc(entry.target)}</td><td>no verdict in this run; '
            "kept</td></tr>"
        )
    table = (
        '<table class="plain"><thead><tr><th>state</th><th>check or entry</th><th>why</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
        if rows
        else '<p class="muted">The baseline has no entries and nothing failed.</p>'
    )
    return (
        f'<section class="card" aria-label="baseline"><h2>Baseline <code>{esc(applied.baseline.path)}</code></h2>'
        f"{table}</section>"
    )


def _observations(run: RunResults) -> str:
    rows = []
    for ev in run.checks:
        for obs in ev.observations or []:
            cid = obs.get("clause") or (ev.clauses[0] if ev.clauses else "")
            rows.append(
                f'<tr><td><a href="#c-{esc(cid)}"><code>{esc(cid)}</code></a></td><td>{esc(obs.get("text"))}</td>'
                f"<td><code>{esc(ev.nodeid.split('::')[-1])}</code></td><td>{esc(obs.get('response'))}</td></tr>"
            )
    body = (
        '<table class="plain"><thead><tr><th>clause</th><th>observation</th><th>check</th><th>response</th>'
        "</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
        if rows
        else '<p class="muted">No check recorded an observation in this run.</p>'
    )
    return (
        f'<section class="card" id="observations" aria-label="observations"><h2>INFO observations</h2>'
        f'<p class="muted">Behaviour the contract leaves open: reported, never judged.</p>{body}</section>'
    )


COVERAGE_OUTCOMES_SHOWN = 8  # outcome labels per clause in the coverage table; the rest are counted
NO_OUTCOME = '<span class="muted">none</span>'


def _coverage(run: RunResults) -> str:
    """Clause x outcome coverage: per clause, the checks, examples and requests that exercised it, the outcomes
    seen, and whether its documented outcome ever happened. Open in a campaign's report, folded in a run's."""
    from ..results.outcome_coverage import limit_reach, missed_reason, reach_text

    table = run.coverage
    if not any(row["examples"] or row["requests"] for row in table.values()):
        return ""
    rows = sorted(table.items(), key=lambda kv: (-kv[1]["examples"], -kv[1]["requests"], kv[0]))
    body = []
    for cid, row in rows:
        seen = row["outcomes"].most_common()
        shown = ", ".join(f"{esc(label.strip())} ×{n}" for label, n in seen[:COVERAGE_OUTCOMES_SHOWN])
        if len(seen) > COVERAGE_OUTCOMES_SHOWN:
            shown += f' <span class="muted">(+{len(seen) - COVERAGE_OUTCOMES_SHOWN} more)</span>'
        hit = {True: "yes", False: '<strong class="warn">never</strong>', None: '<span class="muted">—</span>'}[
            row["hit"]
        ]
        body.append(
            f'<tr data-hit="{str(row["hit"]).lower()}"><td><a href="#c-{esc(cid)}"><code>{esc(cid)}</code></a></td>'
            f'<td class="num">{row["checks"]}</td><td class="num">{row["examples"]:,}</td><td '
            f'class="num">{row["requests"]:,}</td>'
            f"<td>{shown or NO_OUTCOME}</td><td>{hit}</td></tr>"
        )
    missed = [(cid, row) for cid, row in rows if row["hit"] is False]
    warning = ""
    if missed:
        items = "".join(
            f'<li><a href="#c-{esc(cid)}"><code>{esc(cid)}</code></a>: {esc(missed_reason(row))}</li>'
            for cid, row in missed
        )
        warning = (
            f'<p><strong class="warn">{plural(len(missed), "clause")} never produced '
            f"{'its' if len(missed) == 1 else 'their'} "
            f"documented outcome</strong>:</p><ul>{items}</ul>"
        )
    examples = sum(int(e.examples or 0) for e in run.checks)
    requests = sum(int(e.exchanges or 0) for e in run.checks)
    lead = (
        f'<p class="muted">{plural(len(rows), "clause")} exercised by {examples:,} examples and {requests:,} requests. '
        "Documented outcome: whether an answer the clause names (its error, or its record status) was ever seen.</p>"
    )
    table_html = (
        '<table class="plain coverage"><thead><tr><th>clause</th><th>checks</th><th>examples</th><th>requests</th>'
        f"<th>outcomes seen</th><th>documented outcome</th></tr></thead><tbody>{''.join(body)}</tbody></table>"
    )
    reach = limit_reach(run.checks)
    if reach:
        cells = "".join(
            f"<tr><td>{esc(label)}</td><td>{esc(reach_text(row['best']))}</td>"
            f"<td><code>{esc(row['check'].split('::')[-1])}</code></td></tr>"
            for label, row in reach.items()
        )
        table_html += (
            '<h3>Closest approach to each limit</h3><p class="muted">What the target phase (deep depth) aims at: '
            "0 is the limit itself (25 records, 5 tags, the window edge less the clock tolerance, HH:59:59...).</p>"
            '<table class="plain"><thead><tr><th>limit</th><th>closest example</th><th>check</th></tr></thead>'
            f"<tbody>{cells}</tbody></table>"
        )
    opened = " open" if run.meta.get("campaign") else ""
    return (
        f'<section class="card" id="coverage" aria-label="clause x outcome coverage"><details{opened}>'
        f'<summary><h2 style="display:inline">Clause × outcome coverage</h2></summary>{lead}{warning}{table_html}'
        "</details></section>"
    )


def _filters(rows: list[ClauseRow]) -> str:
    counts = label_counts(r.verdict for r in rows)
    chips = "".join(
        f'<button type="button" class="chip" data-filter-verdict="{esc(label)}" aria-pressed="true">'
        f"{badge(label)}{n}</button>"
        for label, n in counts.items()
    )
    areas = "".join(f'<option value="{esc(a)}">{esc(a)}</option>' for a in rows_by_area(rows))
    return (
        '<nav class="filters no-print" aria-label="Filter clauses"><div class="wrap js-only">'
        f'<div class="chips" role="group" aria-label="Verdict">{chips}</div>'
        f'<label>Operation <select id="f-area"><option value="">all</option>{areas}</select></label>'
        '<label>Level <select id="f-level"><option value="">all</option><option>MUST</option><option>SHOULD</option>'
        "<option>INFO</option></select></label>"
        '<input type="search" id="f-q" placeholder="Search clause, title, check" aria-label="Search">'
        '<button type="button" class="btn" id="f-problems">Problems only</button>'
        '<button type="button" class="btn" id="f-reset">Show all</button>'
        '<button type="button" class="btn" id="f-expand">Expand shown</button>'
        f'<span class="count" id="f-count" aria-live="polite">{len(rows)} clauses</span></div></nav>'
    )


SCRIPT = """
(function(){
document.documentElement.classList.add('js');
var clauses=[].slice.call(document.querySelectorAll('details.clause'));
var areas=[].slice.call(document.querySelectorAll('section.area'));
var chips=[].slice.call(document.querySelectorAll('[data-filter-verdict]'));
var area=document.getElementById('f-area'),level=document.getElementById('f-level'),q=document.getElementById('f-q');
var count=document.getElementById('f-count');
if(!count)return;
function apply(){
  var on={};chips.forEach(function(c){
    if(c.getAttribute('aria-pressed')==='true')on[c.getAttribute('data-filter-verdict')]=1;});
  var a=area.value,l=level.value,s=q.value.trim().toLowerCase(),shown=0;
  clauses.forEach(function(el){
    var ok=on[el.getAttribute('data-verdict')]&&(!a||el.getAttribute('data-area')===a)
      &&(!l||el.getAttribute('data-level')===l)
      &&(!s||el.getAttribute('data-search').indexOf(s)>=0||el.textContent.toLowerCase().indexOf(s)>=0);
    el.hidden=!ok;if(ok)shown++;});
  areas.forEach(function(sec){sec.hidden=!sec.querySelector('details.clause:not([hidden])');});
  count.textContent=shown+' of '+clauses.length+' clauses';
}
function press(pred){chips.forEach(function(c){
  c.setAttribute('aria-pressed',pred(c.getAttribute('data-filter-verdict'))?'true':'false');});}
chips.forEach(function(c){c.addEventListener('click',function(){
  c.setAttribute('aria-pressed',c.getAttribute('aria-pressed')==='true'?'false':'true');apply();});});
[area,level].forEach(function(el){el.addEventListener('change',apply);});
q.addEventListener('input',apply);
document.getElementById('f-problems').addEventListener('click',function(){
  press(function(v){return v==='FAIL'||v==='ERROR'||v==='NON-STRICT';});apply();});
document.getElementById('f-reset').addEventListener('click',function(){
  press(function(){return true;});area.value='';level.value='';q.value='';apply();});
document.getElementById('f-expand').addEventListener('click',function(){
  var shown=clauses.filter(function(el){return !el.hidden;});
  var open=!shown.every(function(el){return el.open;});
  shown.forEach(function(el){el.open=open;});
  this.textContent=open?'Collapse shown':'Expand shown';});
function reveal(){
  var id=decodeURIComponent(location.hash.slice(1));var el=id&&document.getElementById(id);
  if(el&&el.classList.contains('clause')){
    if(el.hidden){press(function(){return true;});area.value='';level.value='';q.value='';apply();}
    el.open=true;el.scrollIntoView();}
}
window.addEventListener('hashchange',reveal);
var printed=[];
window.addEventListener('beforeprint',function(){  // print the problems in full, every other clause as its one line
  printed=[];
  clauses.forEach(function(el){var v=el.getAttribute('data-verdict');
    if(el.hidden||!(v==='FAIL'||v==='ERROR'||v==='NON-STRICT'))return;
    [el].concat([].slice.call(el.querySelectorAll('details'))).forEach(function(d){if(!d.open){d.open=true;printed.push(d);}});});
  [].slice.call(document.querySelectorAll('.card details:not([open])'))
    .forEach(function(d){d.open=true;printed.push(d);});});
window.addEventListener('afterprint',function(){printed.forEach(function(d){d.open=false;});printed=[];});
(function fromQuery(){  // conformance.html?verdict=FAIL,ERROR&area=MeterUsage&level=MUST&q=window: a shareable view
  var params={};location.search.slice(1).split('&').forEach(function(kv){var p=kv.split('=');
    if(p[0])params[decodeURIComponent(p[0])]=decodeURIComponent((p[1]||'').replace(/[+]/g,' '));});
  if(params.verdict){var want=params.verdict.toUpperCase().split(',');press(function(v){return want.indexOf(v)>=0;});}
  if(params.area)area.value=params.area;if(params.level)level.value=params.level.toUpperCase();if(params.q)q.value=params.q;
})();
apply();reveal();
})();
"""


def render_html(run: RunResults, catalog: Catalog | None = None) -> str:
    """The conformance.html document for a run (or a merge of runs), with the baseline it has applied, if any."""
    catalog = catalog if catalog is not None else report_catalog()
    applied = run.applied
    rows = clause_rows(run, catalog)
    meta = run.meta
    cases = Counter(case_of(e.nodeid)[0] for e in run.checks)
    areas = []
    for area, group in rows_by_area(rows).items():
        counts = label_counts(r.verdict for r in group)
        summary = ", ".join(f"{n} {label.lower()}" for label, n in counts.items())
        areas.append(
            f'<section class="area" data-area="{esc(area)}"><h2>{esc(area)} <small>{plural(len(group), "clause")} · '
            f"{esc(summary)}</small></h2>" + "".join(_clause(r, applied, cases) for r in group) + "</section>"
        )
    where = meta.get("endpoint") or "unknown endpoint"
    body = (
        f'<header class="masthead"><div class="wrap"><p class="eyebrow">meterconform {esc(meta.get("version", ""))} · '
        f"conformance report · {esc(when(meta.get('started')))}</p><h1>AWS Marketplace Metering Service "
        "conformance</h1>"
        f'<p class="sub">endpoint <code>{esc(where)}</code>'
        + (f" · target {esc(meta.get('target') or meta.get('kind'))}" if meta.get("target") or meta.get("kind") else "")
        + (f" · profile <code>{esc(meta.get('profile'))}</code>" if meta.get("profile") else "")
        + "</p></div></header>"
        f'<div class="wrap">{_banner(run, rows, applied)}{_charts(run, rows)}{_problems(rows, applied)}'
        f"{_baseline(applied)}"
        f"{_meta(run)}{_coverage(run)}</div>{_filters(rows)}"
        f'<main class="wrap"><h2 class="no-print" style="margin-top:6px">Clause matrix</h2>'
        f'<p class="muted no-print">The whole catalog, grouped by operation; open a clause for its quoted source, '
        "the checks citing it, their evidence and how to reproduce them. A failing check shows every exchange it "
        "recorded; "
        f"of the other checks under a clause, the first {SAMPLES_SHOWN} show one recorded exchange and the rest a line "
        f"each (events.jsonl keeps every recorded exchange).</p>{''.join(areas)}{_observations(run)}</main>"
        f'<footer><div class="wrap">Generated by meterconform {esc(meta.get("version", ""))} from '
        f"{esc(', '.join(run.sources) or 'events')}. Regenerate with <code>meterconform report EVENTS -o DIR</code>. "
        f"Request and response evidence is redacted when the events are written.</div></footer>"
    )
    return page(f"{run.gate().words} — meterconform · {where}", body, SCRIPT)


def write_html(run: RunResults, path: Path, catalog: Catalog | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(run, catalog), encoding="utf-8")
