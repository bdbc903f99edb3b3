"""The pieces every HTML report shares: the stylesheet, verdict badges, the inline SVG bar chart, the page shell.

Self-contained by construction: no external font, script, style or image; every dynamic string goes through
`esc` (html.escape with quotes), because response bodies in the evidence are hostile input.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections import Counter

from .matrix import CLAUSE_LABELS

MEANING = {
    "PASS": "the clause is met",
    "FAIL": "a MUST is not met (gates the run)",
    "ERROR": "the check itself broke (gates the run)",
    "NON-STRICT": "a SHOULD is not met (reported, does not gate)",
    "INFO": "an observation on behaviour the contract leaves open (never gates)",
    "UNIMPLEMENTED": "the endpoint does not implement the operation",
    "SKIPPED": "the target profile lacks data the check needs, or the endpoint throttled",
    "NOT CHECKED": "no check of this run cites the clause",
    "UNTESTABLE": "no check can provoke it from outside a cooperating endpoint",
}
# Solid fills for the chart; badges use the lighter tints in the stylesheet. Text on each stays readable.
FILL = {
    "PASS": ("#2da44e", "#fff"),
    "FAIL": ("#cf222e", "#fff"),
    "ERROR": ("#8250df", "#fff"),
    "NON-STRICT": ("#d4a72c", "#1f2328"),
    "INFO": ("#218bff", "#fff"),
    "UNIMPLEMENTED": ("#fb8f44", "#1f2328"),
    "SKIPPED": ("#afb8c1", "#1f2328"),
    "NOT CHECKED": ("#eaeef2", "#57606a"),
    "UNTESTABLE": ("url(#hatch)", "#57606a"),
}


_SURROGATE = re.compile("[\ud800-\udfff]")


def esc(value) -> str:
    """Text or attribute value, escaped (None is empty; a lone surrogate, which UTF-8 cannot carry, becomes U+FFFD)."""
    return html.escape(_SURROGATE.sub("\ufffd", "" if value is None else str(value)), quote=True)


def esc_text(value) -> str:
    """Element content (a <pre>'s body), escaped like `esc` but for its quotes, which only an attribute needs
    escaped: JSON bodies are mostly quotes, and `&quot;` is six bytes for one."""
    return html.escape(_SURROGATE.sub("\ufffd", "" if value is None else str(value)), quote=False)


def slug(label: str) -> str:
    return label.lower().replace(" ", "-").replace("&", "and")


def badge(label: str, extra: str = "") -> str:
    """A verdict badge: colour and the label's text (never colour alone), its meaning as a tooltip."""
    return (
        f'<span class="badge b-{slug(label)}{(" " + extra) if extra else ""}" title="{esc(MEANING.get(label, label))}">'
        f"{esc(label)}</span>"
    )


def safe_href(url: str | None) -> str | None:
    """An http(s) URL for an href, or None (no javascript:, data: or relative links from data files)."""
    if url and url.lower().startswith(("https://", "http://")):
        return url
    return None


def when(epoch) -> str:
    """An epoch time as 'YYYY-MM-DD HH:MM:SS UTC'."""
    try:
        return dt.datetime.fromtimestamp(float(epoch), dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    except (TypeError, ValueError, OverflowError, OSError):
        return "—"


def bar_chart(rows: dict[str, Counter], unit: str, title: str, uid: str = "chart") -> str:
    """Horizontal stacked bars, one per row name, segments in CLAUSE_LABELS order, scaled to the longest bar."""
    label_w, bar_w, row_h, gap, top = 128, 350, 20, 8, 4
    longest = max([sum(c.values()) for c in rows.values()] + [1])
    height = top + len(rows) * (row_h + gap)
    parts = [
        f'<svg class="chart" viewBox="0 0 560 {height}" role="img" aria-label="{esc(title)}">'
        f"<title>{esc(title)}</title>",
        '<defs><pattern id="'
        + esc(uid)
        + '-hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
        '<rect width="6" height="6" fill="#f6f8fa"/><line x1="0" y1="0" x2="0" y2="6" stroke="#c9d1d9" '
        'stroke-width="3"/>'
        "</pattern></defs>",
    ]
    for i, (name, counts) in enumerate(rows.items()):
        y = top + i * (row_h + gap)
        total = sum(counts.values())
        parts.append(
            f'<text class="chart-label" x="{label_w - 10}" y="{y + row_h / 2 + 4:.1f}" '
            f'text-anchor="end">{esc(name)}</text>'
        )
        x = float(label_w)
        for label in CLAUSE_LABELS:
            n = counts.get(label, 0)
            if not n:
                continue
            w = bar_w * n / longest
            fill, ink = FILL[label]
            fill = fill.replace("#hatch", f"#{esc(uid)}-hatch")
            stroke = ' stroke="#c9d1d9"' if label == "NOT CHECKED" else ""
            parts.append(
                f"<g><title>{esc(name)}: {n} {esc(label)}</title>"
                f'<rect class="seg-{slug(label)}" x="{x:.1f}" y="{y}" width="{max(w, 1.5):.1f}" height="{row_h}" '
                f'fill="{fill}"{stroke}/>'
            )
            if w >= 16 + 6 * len(str(n)):
                parts.append(
                    f'<text x="{x + w / 2:.1f}" y="{y + row_h / 2 + 4:.1f}" text-anchor="middle" fill="{ink}" '
                    f'class="chart-n">{n}</text>'
                )
            parts.append("</g>")
            x += w
        parts.append(f'<text class="chart-total" x="{x + 6:.1f}" y="{y + row_h / 2 + 4:.1f}">{total}</text>')
    parts.append("</svg>")
    return "".join(parts)


def plural(n: int, noun: str) -> str:
    """'1 clause', '2 clauses' (nouns of this project only take an s)."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def legend(counts: Counter, unit: str) -> str:
    items = "".join(f"<li>{badge(label)} <span>{esc(plural(n, unit))}</span></li>" for label, n in counts.items() if n)
    return f'<ul class="legend">{items}</ul>'


def page(title: str, body: str, script: str = "") -> str:
    """The whole document: inline stylesheet, body, optional inline script."""
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="color-scheme" content="light dark">\n'
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
        "script-src 'unsafe-inline'; img-src data:\">\n"
        f"<title>{esc(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n{body}\n"
        + (f"<script>{script}</script>\n" if script else "")
        + "</body>\n</html>\n"
    )


CSS = """
:root{--ink:#1f2328;--muted:#59636e;--line:#d1d9e0;--soft:#f6f8fa;--card:#fff;--bg:#fbfcfd;--accent:#0969da;
--mono:ui-monospace,SFMono-Regular,"SF Mono",Menlo,Consolas,"Liberation Mono",monospace;
--sans:-apple-system,BlinkMacSystemFont,"Segoe UI","Noto Sans",Helvetica,Arial,sans-serif;}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;font:15px/1.55 var(--sans);color:var(--ink);background:var(--bg)}
[hidden]{display:none!important}
a{color:var(--accent);text-decoration:none}a:hover{text-decoration:underline}
code,pre,.mono{font-family:var(--mono);font-size:12.5px}
code{background:var(--soft);border:1px solid #eaeef2;border-radius:4px;padding:0 4px}
pre{background:var(--soft);border:1px solid var(--line);border-radius:6px;padding:10px 12px;margin:6px 0;overflow:auto;
max-height:420px;white-space:pre-wrap;word-break:break-word}
h1,h2,h3,h4{line-height:1.25;margin:0}
h2{font-size:20px;font-weight:600;margin:0 0 12px}
h3{font-size:15px;font-weight:600}
h4{font-size:12px;font-weight:600;color:var(--muted);text-transform:uppercase;letter-spacing:.04em;margin:10px 0 2px}
.wrap{max-width:1180px;margin:0 auto;padding:0 24px}
.masthead{background:#fff;border-bottom:1px solid var(--line);padding:22px 0 18px}
.eyebrow{margin:0 0 4px;color:var(--muted);font-size:13px;letter-spacing:.02em}
.masthead h1{font-size:26px;font-weight:650}
.masthead .sub{margin:6px 0 0;color:var(--muted)}
.banner{margin:20px 0;border-radius:10px;padding:18px 22px;display:grid;grid-template-columns:auto 1fr;gap:6px 24px;
align-items:center;border:1px solid}
.banner.ok{background:#dafbe1;border-color:#8ddb9c}.banner.bad{background:#ffebe9;border-color:#ffb3ad}
.verdict-word{font-size:26px;font-weight:750;letter-spacing:.02em}
.banner.ok .verdict-word{color:#116329}.banner.bad .verdict-word{color:#a40e26}
.banner p{margin:0}.banner .gate{grid-column:1/-1;font-size:14px}
.banner .incomplete{grid-column:1/-1;background:#fff8c5;border:1px solid #d4a72c;border-radius:6px;padding:8px 12px;
overflow-wrap:anywhere}
.tally{grid-column:1/-1;list-style:none;margin:8px 0 0;padding:0;display:flex;flex-wrap:wrap;gap:6px 14px}
.tally li{display:flex;align-items:center;gap:6px;font-size:14px}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:18px 20px;margin:0 0 20px}
.meta{display:grid;grid-template-columns:repeat(auto-fill,minmax(250px,1fr));gap:10px 24px;margin:0}
.meta div{min-width:0}.meta dt{font-size:12px;color:var(--muted);text-transform:uppercase;letter-spacing:.04em}
.meta dd{margin:0;overflow-wrap:anywhere}
.grid2{display:grid;grid-template-columns:1fr 1fr;gap:20px}
@media (max-width:980px){.grid2{grid-template-columns:1fr}}
.chart{width:100%;height:auto;display:block}
.chart text{font-family:var(--sans);font-size:12px}.chart .chart-label{fill:var(--ink)}
.chart .chart-n{font-size:11px;font-weight:600}.chart .chart-total{fill:var(--muted);font-size:11px}
.legend{list-style:none;margin:10px 0 0;padding:0;display:flex;flex-wrap:wrap;gap:6px 14px;font-size:13px}
.legend li{display:flex;gap:6px;align-items:center}
.badge{display:inline-block;min-width:58px;text-align:center;font:600 11px/1 var(--sans);letter-spacing:.04em;
padding:4px 7px;border-radius:999px;border:1px solid;white-space:nowrap}
.b-pass{background:#dafbe1;color:#116329;border-color:#8ddb9c}
.b-fail{background:#ffebe9;color:#a40e26;border-color:#ff8182}
.b-error{background:#fbefff;color:#6639ba;border-color:#d8b9ff}
.b-non-strict{background:#fff8c5;color:#7d4e00;border-color:#e6c15a}
.b-info{background:#ddf4ff;color:#0550ae;border-color:#80ccff}
.b-unimplemented{background:#fff1e5;color:#953800;border-color:#ffb77c}
.b-skipped{background:#f6f8fa;color:#59636e;border-color:#d1d9e0}
.b-not-checked{background:#fff;color:#6e7781;border-color:#d1d9e0;border-style:dashed}
.b-untestable{background:repeating-linear-gradient(45deg,#f6f8fa 0 4px,#eaeef2 4px 8px);color:#59636e;
border-color:#d1d9e0}
.tag{display:inline-block;font-size:11px;font-weight:600;padding:2px 7px;border-radius:4px;background:#eaeef2;
color:#424a53}
.tag.expected{background:#ddf4ff;color:#0550ae}.tag.stale,.tag.expired{background:#ffebe9;color:#a40e26}
.filters{position:sticky;top:0;z-index:5;background:rgba(255,255,255,.96);backdrop-filter:blur(6px);
border-bottom:1px solid var(--line);box-shadow:0 1px 0 rgba(31,35,40,.04);margin:0 0 18px}
.filters .wrap{display:flex;flex-wrap:wrap;gap:8px 14px;align-items:center;padding-top:10px;padding-bottom:10px}
.js-only{display:none}.js .js-only{display:flex}.js button.js-only{display:inline-flex}
.chips{display:flex;flex-wrap:wrap;gap:6px}
.chip{font:inherit;font-size:13px;display:inline-flex;align-items:center;gap:6px;background:#fff;
border:1px solid var(--line);border-radius:999px;padding:2px 9px 2px 3px;cursor:pointer;color:var(--ink)}
.chip[aria-pressed=false]{opacity:.45}.chip[aria-pressed=false] .badge{filter:grayscale(1)}
.chip:focus-visible,.btn:focus-visible,select:focus-visible,input:focus-visible{outline:2px solid var(--accent);
outline-offset:1px}
.filters label{font-size:13px;color:var(--muted);display:flex;gap:6px;align-items:center}
select,input[type=search]{font:inherit;font-size:13px;padding:4px 8px;border:1px solid var(--line);border-radius:6px;
background:#fff;color:var(--ink)}
input[type=search]{width:220px}
.btn{font:inherit;font-size:13px;padding:4px 10px;border:1px solid var(--line);border-radius:6px;background:var(--soft);
cursor:pointer;color:var(--ink)}
.count{margin-left:auto;font-size:13px;color:var(--muted)}
.area{margin:0 0 26px}
.area>h2{display:flex;align-items:baseline;gap:10px;padding-bottom:6px;border-bottom:2px solid var(--line)}
.area>h2 small{font-size:13px;font-weight:400;color:var(--muted)}
.clause{background:var(--card);border:1px solid var(--line);border-left:4px solid #d1d9e0;border-radius:8px;
margin:8px 0}
.clause.v-pass{border-left-color:#2da44e}.clause.v-fail{border-left-color:#cf222e}.clause.v-error{border-left-color:#8250df}
.clause.v-non-strict{border-left-color:#d4a72c}.clause.v-info{border-left-color:#218bff}
.clause.v-unimplemented{border-left-color:#fb8f44}
.clause.v-skipped{border-left-color:#afb8c1}
.clause>summary{list-style:none;cursor:pointer;display:grid;grid-template-columns:112px 290px 58px 1fr 64px;
gap:12px;align-items:center;padding:8px 14px}
.clause>summary .cid{overflow-wrap:anywhere}.nchecks{text-align:right}
.clause.v-not-checked,.clause.v-untestable{background:#fcfcfd}
.clause.v-not-checked>summary .ctitle,.clause.v-untestable>summary .ctitle{color:var(--muted)}
.clause>summary::-webkit-details-marker{display:none}
.clause>summary:hover{background:#f6f8fa}
.clause[open]>summary{border-bottom:1px solid #eaeef2}
.cid{font-family:var(--mono);font-size:13px;font-weight:600;background:none;border:0;padding:0}
.level{font-size:11px;font-weight:700;letter-spacing:.05em;color:var(--muted)}
.level.must{color:#1f2328}
.ctitle{color:#31373d}.nchecks{font-size:12px;color:var(--muted);white-space:nowrap}
.cbody{padding:12px 16px 14px 16px}
blockquote{margin:0 0 10px;padding:6px 12px;border-left:3px solid #d1d9e0;background:#fafbfc;border-radius:0 6px 6px 0}
blockquote p{margin:0;font-style:italic}
blockquote cite{display:block;font-style:normal;font-size:12px;color:var(--muted);margin-top:2px}
.facts{margin:8px 0;font-size:14px}.facts strong{font-weight:600}
.readings{margin:4px 0 8px 18px;padding:0;font-size:14px}
.muted{color:var(--muted)}
.check{border:1px solid #eaeef2;border-radius:8px;padding:10px 12px;margin:10px 0 0;background:#fff}
.check-head{display:flex;flex-wrap:wrap;gap:8px;align-items:center}
.check-head code{font-size:12.5px;background:none;border:0;padding:0;overflow-wrap:anywhere}
.dur{font-size:12px;color:var(--muted);margin-left:auto}
.ea{display:grid;grid-template-columns:80px 1fr;gap:2px 10px;margin:8px 0;font-size:14px}
.ea dt{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.04em;padding-top:2px}
.ea dd{margin:0;font-family:var(--mono);font-size:12.5px;overflow-wrap:anywhere;white-space:pre-wrap}
details.sub{margin:6px 0 0}
details.sub>summary{cursor:pointer;font-size:13px;color:var(--accent);padding:2px 0}
.exchange{border-top:1px dashed #eaeef2;padding-top:6px;margin-top:6px}
.sampled{margin:6px 0 0;font-size:12.5px;color:var(--muted)}
ul.elsewhere,ul.summarised{margin:4px 0 0 18px;padding:0;font-size:13px}
ul.elsewhere li,ul.summarised li{margin:2px 0;overflow-wrap:anywhere}
ul.elsewhere code,ul.summarised code{font-size:12px}
.exchange h4{text-transform:none;letter-spacing:0;font-size:12.5px;font-weight:400;font-family:var(--mono)}
.exchange h4 span{font-family:var(--sans);font-weight:600;text-transform:uppercase;letter-spacing:.04em;font-size:12px;
margin-right:4px}
table.plain{width:100%;border-collapse:collapse;font-size:14px}
table.plain th{text-align:left;font-size:12px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);
font-weight:600;border-bottom:1px solid var(--line);padding:6px 8px}
table.plain td{border-bottom:1px solid #eaeef2;padding:6px 8px;vertical-align:top;overflow-wrap:anywhere}
table.plain td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.warn{color:#c9372c}
#coverage summary{cursor:pointer}
table.coverage td:first-child{white-space:nowrap;overflow-wrap:normal}
.problems{list-style:none;margin:0;padding:0}
.problems li{display:grid;grid-template-columns:112px 290px 1fr 70px;gap:12px;align-items:baseline;padding:5px 0;
border-bottom:1px solid #eaeef2}
.problems li:last-child{border-bottom:0}
footer{color:var(--muted);font-size:13px;padding:24px 0 40px;border-top:1px solid var(--line);margin-top:20px}
@media (max-width:760px){.clause>summary{grid-template-columns:100px 1fr;}.clause>summary .ctitle{grid-column:1/-1}
.problems li{grid-template-columns:100px 1fr}.banner{grid-template-columns:1fr}}
@media (prefers-color-scheme:dark){
:root{--ink:#e6edf3;--muted:#9198a1;--line:#3d444d;--soft:#151b23;--card:#0d1117;--bg:#010409;--accent:#4493f8}
.masthead,.filters,.chip,select,input[type=search],.check,.clause{background:#0d1117}
.filters{background:rgba(13,17,23,.96)}code{border-color:#3d444d}blockquote{background:#151b23;border-color:#3d444d}
.clause>summary:hover{background:#151b23}.ctitle{color:#d1d7e0}.level.must{color:#e6edf3}
.check,.clause[open]>summary,.problems li,table.plain td{border-color:#262c36}
.banner.ok{background:#0f2a1a;border-color:#2ea043}.banner.bad{background:#2d1215;border-color:#da3633}
.banner.ok .verdict-word{color:#56d364}.banner.bad .verdict-word{color:#ff7b72}
.chart .seg-not-checked{fill:#262c36;stroke:#3d444d}.chart .seg-not-checked+text{fill:#9198a1}.btn{background:#151b23}}
@media print{
body{background:#fff;color:#000;font-size:10pt}.filters,.no-print{display:none!important}
.wrap{max-width:none;padding:0}.masthead{border:0;padding:0 0 8px}
.card{padding:10px 12px;margin-bottom:12px}.banner,.check,.clause>summary,.chart{break-inside:avoid}
.area>h2{break-after:avoid}
.grid2{grid-template-columns:1fr 1fr}
.clause{margin:3px 0}.clause>summary{grid-template-columns:96px 215px 50px 1fr;gap:8px;padding:4px 8px}
.clause>summary .nchecks,.problems li .nchecks{display:none}.problems li{grid-template-columns:96px 215px 1fr}
pre{max-height:none;white-space:pre-wrap}a{color:#000}a.doc::after{content:" (" attr(href) ")";font-size:8pt;color:#555}
}
"""
