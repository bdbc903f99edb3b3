"""Allure results from the events (the JSON allure-pytest writes), and rendering them when a renderer is installed.

One `<uuid>-result.json` per check: epic = operation, feature = clause id, story = clause title, severity from
the clause level (MUST critical, SHOULD normal, INFO minor), a link to each clause's doc page, one step per
exchange with the request and response (already redacted in the events) as attachments.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import uuid
from pathlib import Path

from ..contract.catalog import Catalog
from ..results.baseline import Applied
from ..results.check_result import CheckResult
from ..results.events import also_failed_text, transient_line
from ..results.run_results import RunResults
from ..results.summary import operation_of
from .junit import junit_address
from .matrix import report_catalog

RESULTS_DIR = "allure-results"
REPORT_DIR = "allure-report"
SEVERITY = {"MUST": "critical", "SHOULD": "normal", "INFO": "minor"}
STATUS = {
    "PASS": "passed",
    "INFO": "passed",
    "FAIL": "failed",
    "ERROR": "broken",
    "NON-STRICT": "skipped",
    "UNIMPLEMENTED": "skipped",
    "SKIPPED": "skipped",
}
_OURS = ("-result.json", "-container.json", "-attachment.json", "-attachment.txt")
INSTALL_HINT = (
    "to render them, install a renderer: `npm install -g allure` (Allure 3, needs Node.js 20+, no Java) "
    "or Allure 2 (`allure generate`, needs Java); or set METERCONFORM_ALLURE to its path"
)


def _md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()


class _Writer:
    """Writes attachments beside the results and hands back their references."""

    def __init__(self, directory: Path):
        self.directory = directory

    def attach(self, name: str, body: str, mime: str) -> dict:
        ext = "json" if mime == "application/json" else "txt"
        source = f"{uuid.uuid4()}-attachment.{ext}"
        (self.directory / source).write_text(body, encoding="utf-8", errors="backslashreplace")
        return {"name": name, "source": source, "type": mime}


def _exchange_step(writer: _Writer, number: int, ex: dict, start: int, stop: int) -> dict:
    request = ex.get("request")
    request_body = json.dumps(request, indent=2) if isinstance(request, (dict, list)) else str(request or "")
    headers = "\n".join(f"{k}: {v}" for k, v in (ex.get("request_headers") or {}).items())
    what = ex.get("operation") or ex.get("method") or "request"
    answer = f"HTTP {ex['status']}" if ex.get("status") is not None else f"no response ({ex.get('transport_error')})"
    if transient_line(ex):
        answer += f" ({transient_line(ex)})"
    response_headers = "\n".join(f"{k}: {v}" for k, v in (ex.get("headers") or {}).items())
    attachments = [
        writer.attach(
            f"request {number}: {ex.get('method', 'POST')} {ex.get('url', '')} via {ex.get('via', '?')}",
            f"{headers}\n\n{request_body}" if headers else request_body,
            "text/plain",
        ),
        writer.attach(
            f"response {number}: {answer}" + (" (truncated)" if ex.get("body_truncated") else ""),
            f"{answer}\n{response_headers}\n\n{ex.get('body', '')}",
            "text/plain",
        ),
    ]
    return {
        "name": f"{what} → {answer}" + (f" {ex['error_code']}" if ex.get("error_code") else ""),
        "status": "passed",
        "stage": "finished",
        "attachments": attachments,
        "steps": [],
        "parameters": [],
        "start": start,
        "stop": stop,
    }


def result_for(
    event: CheckResult, meta: dict, catalog: Catalog, writer: _Writer, applied: Applied | None = None
) -> dict:
    """The Allure result of one check."""
    classname, name = junit_address(event.nodeid)
    full_name = f"{classname}#{name}"
    stop = int(float(event.time or meta.get("finished") or 0) * 1000)
    start = stop - int(float(event.duration or 0) * 1000)
    labels = [{"name": "epic", "value": operation_of(event.clauses) if event.clauses else "Other"}]
    links, levels = [], []
    for cid in event.clauses:
        clause = catalog.get(cid) if cid in catalog else None
        labels.append({"name": "feature", "value": cid})
        labels.append({"name": "story", "value": clause.title if clause else cid})
        levels.append(clause.level if clause else event.levels.get(cid, "MUST"))
        if clause and clause.doc_url:
            links.append({"type": "link", "name": cid, "url": clause.doc_url})
    level = min(levels, key=["MUST", "SHOULD", "INFO"].index) if levels else "MUST"
    parts = event.nodeid.split("[", 1)[0].split("::")
    package = parts[0].removesuffix(".py").replace("/", ".")
    klass = "::".join(parts[1:-1])
    labels += [
        {"name": "severity", "value": SEVERITY.get(level, "normal")},
        {"name": "tag", "value": event.verdict},
        {"name": "parentSuite", "value": "meterconform"},
        {"name": "suite", "value": classname},
        {"name": "package", "value": package},
        {"name": "testMethod", "value": name},
        {"name": "framework", "value": "meterconform"},
        {"name": "host", "value": str(meta.get("endpoint", ""))},
    ]
    if klass:
        labels.append({"name": "testClass", "value": klass})
    reason = event.reason or ""
    details: dict = {}
    if reason or event.verdict != "PASS":
        message = reason.strip().splitlines()[0] if reason.strip() else event.verdict
        details = {
            "message": f"{event.verdict}: {message}" if not message.startswith(event.verdict) else message,
            "trace": reason
            + (f"\n\n{event.falsifying_example}" if event.falsifying_example else "")
            + also_failed_text(event),
        }
    excuse = applied.excuse(event.nodeid) if applied else None
    if excuse is not None:
        details["known"] = True
        details["message"] = (
            f"expected by the baseline ({excuse.target}: {excuse.reason}) — {details.get('message', '')}"
        )
    exchanges = event.evidence or []
    steps = [_exchange_step(writer, i, ex, start, stop) for i, ex in enumerate(exchanges, 1)]
    attachments = []
    if event.reproduction:
        attachments.append(writer.attach("reproduction", event.reproduction, "text/plain"))
    for obs in event.observations or []:
        attachments.append(
            writer.attach(f"observation {obs.get('clause', '')}", json.dumps(obs, indent=2), "application/json")
        )
    description = "\n".join(
        f"- **{cid}**: {catalog.get(cid).title}" if cid in catalog else f"- **{cid}**" for cid in event.clauses
    )
    params = [{"name": "expected", "value": str(event.expected)}] if event.expected else []
    if event.actual:
        params.append({"name": "actual", "value": str(event.actual)[:500]})
    return {
        "uuid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"meterconform:{meta.get('started')}:{event.nodeid}")),
        "historyId": _md5(event.nodeid),
        "testCaseId": _md5(full_name),
        "fullName": full_name,
        "name": name,
        "status": STATUS.get(event.verdict, "unknown"),
        "statusDetails": details or None,
        "stage": "finished",
        "description": description,
        "steps": steps,
        "attachments": attachments,
        "parameters": params,
        "start": start,
        "stop": stop,
        "labels": labels,
        "links": links,
        "titlePath": classname.split("."),
    }


def _clear(directory: Path) -> None:
    """Remove the files an earlier write left (results accumulate otherwise)."""
    for path in directory.iterdir():
        if path.is_file() and (path.name.endswith(_OURS) or path.name in ("environment.properties", "categories.json")):
            path.unlink()


def write_allure(run: RunResults, directory: Path, catalog: Catalog | None = None) -> int:
    """Write allure-results into `directory` (cleared of earlier results); returns the number of results."""
    events, meta, applied = run.checks, run.meta, run.applied
    catalog = catalog if catalog is not None else report_catalog()
    directory.mkdir(parents=True, exist_ok=True)
    _clear(directory)
    writer = _Writer(directory)
    for event in events:
        result = result_for(event, meta, catalog, writer, applied)
        (directory / f"{result['uuid']}-result.json").write_text(json.dumps(result, indent=1), encoding="utf-8")
    env = {
        "endpoint": meta.get("endpoint"),
        "profile": meta.get("profile"),
        "target": meta.get("target") or meta.get("kind"),
        "region": meta.get("region"),
        "depth": meta.get("depth"),
        "seed": meta.get("hypothesis_seed"),
        "meterconform": meta.get("version"),
        **{k: v for k, v in (meta.get("versions") or {}).items()},
    }
    (directory / "environment.properties").write_text(
        "".join(f"{k}={str(v).replace(chr(10), ' ')}\n" for k, v in env.items() if v not in (None, "")),
        encoding="utf-8",
    )
    categories = [
        {"name": "Clause not met (FAIL)", "matchedStatuses": ["failed"]},
        {"name": "Suite error (ERROR)", "matchedStatuses": ["broken"]},
        {"name": "SHOULD not met (NON-STRICT)", "matchedStatuses": ["skipped"], "messageRegex": "NON-STRICT.*"},
        {"name": "Operation not implemented", "matchedStatuses": ["skipped"], "messageRegex": "UNIMPLEMENTED.*"},
        {"name": "Profile lacks data (SKIPPED)", "matchedStatuses": ["skipped"], "messageRegex": "SKIPPED.*"},
    ]
    (directory / "categories.json").write_text(json.dumps(categories, indent=1), encoding="utf-8")
    return len(events)


def find_renderer() -> tuple[str, str] | None:
    """(path, major version "2" or "3") of an installed `allure` CLI (METERCONFORM_ALLURE, else PATH), or None."""
    path = os.environ.get("METERCONFORM_ALLURE") or shutil.which("allure")
    if not path:
        return None
    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    version = (out.stdout or out.stderr).strip().splitlines()[-1:] or [""]
    return path, ("2" if version[0].startswith("2.") else "3")


_ANALYTICS = re.compile(
    r'<script async src="https://www\.googletagmanager\.com/[^"]*"></script>\s*'
    r"(<script>\s*window\.dataLayer[^<]*</script>)?"
)


def strip_analytics(index: Path) -> bool:
    """Allure 3's page loads Google Analytics when opened; remove that tag so the report stays offline."""
    text = index.read_text(encoding="utf-8")
    clean = _ANALYTICS.sub("", text)
    if clean != text:
        index.write_text(clean, encoding="utf-8")
    return clean != text


def render_allure(results: Path, output: Path) -> str:
    """Render the results to `output` with an installed Allure; returns one line saying what happened."""
    found = find_renderer()
    if found is None:
        return f"allure results in {results}/; {INSTALL_HINT}"
    path, major = found
    if major == "3":
        cmd = [
            path,
            "awesome",
            str(results),
            "--single-file",
            "--output",
            str(output),
            "--report-name",
            "meterconform",
            "--group-by",
            "epic,feature",
        ]  # the tree: operation → clause → checks
    else:
        cmd = [path, "generate", str(results), "-o", str(output), "--clean", "--single-file"]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"allure results in {results}/; rendering with {path} failed ({exc})"
    if proc.returncode != 0 or not (output / "index.html").exists():
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no index.html written"]
        return f"allure results in {results}/; `{' '.join(cmd)}` failed: {tail[0][:300]}"
    strip_analytics(output / "index.html")
    return f"allure report (Allure {major}) in {output}/index.html"
