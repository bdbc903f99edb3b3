"""junit.xml from the events: one testcase per check, its clauses and verdict as properties.

FAIL is a <failure>, ERROR an <error>; NON-STRICT, UNIMPLEMENTED and SKIPPED are <skipped> with the label as
type. With a baseline, an excused failure is <skipped type="expected-failure">, and each stale or expired entry
is a failing testcase of its own (classname meterconform.results.baseline), so the failures counted are what gates.
A run that did not complete (interrupted, incomplete) has an error testcase `meterconform.run.completion`.
"""

from __future__ import annotations

import re
import socket
import time
import xml.etree.ElementTree as ET
from pathlib import Path

from ..results.baseline import Applied
from ..results.check_result import CheckResult
from ..results.events import also_failed_text, transient_lines
from ..results.gate import Completion, Gate
from ..results.run_results import RunResults
from ..results.summary import operation_of

_ILLEGAL = re.compile("[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_SKIPPED = ("NON-STRICT", "UNIMPLEMENTED", "SKIPPED")


def _xml(text) -> str:
    """Text XML 1.0 can carry: other characters become #xNN (as pytest writes them)."""
    return _ILLEGAL.sub(lambda m: f"#x{ord(m.group()):02X}", str(text or ""))


def junit_address(nodeid: str) -> tuple[str, str]:
    """(classname, name) as pytest's junitxml derives them:
    suites/test_x.py::Cls::test_y[p] → suites.test_x.Cls, test_y[p]."""
    base, bracket, params = nodeid.partition("[")  # parameters may hold "::" or "/"
    path, _, rest = base.partition("::")
    parts = [path.removesuffix(".py").replace("/", ".").replace("\\", ".")] + (rest.split("::") if rest else [])
    return ".".join(parts[:-1]), parts[-1] + bracket + params


def _first_line(text: str, limit: int = 300) -> str:
    line = (text or "").strip().splitlines()[0] if (text or "").strip() else ""
    return line[:limit]


def _testcase(suite: ET.Element, check: CheckResult, applied: Applied | None) -> str:
    """Append one check; return the junit outcome: passed, failure, error or skipped."""
    classname, name = junit_address(check.nodeid)
    case = ET.SubElement(
        suite, "testcase", classname=_xml(classname), name=_xml(name), time=f"{float(check.duration or 0):.3f}"
    )
    props = ET.SubElement(case, "properties")
    for cid in check.clauses:
        ET.SubElement(props, "property", name="clause", value=_xml(cid))
    ET.SubElement(props, "property", name="verdict", value=check.verdict)
    ET.SubElement(
        props, "property", name="operation", value=_xml(operation_of(check.clauses)) if check.clauses else "Other"
    )
    for failed in check.broken_clauses:
        ET.SubElement(props, "property", name="failed_clause", value=_xml(failed))
    verdict, reason = check.verdict, check.reason or ""
    excuse = applied.excuse(check.nodeid) if applied else None
    if excuse is not None:
        ET.SubElement(props, "property", name="baseline", value=_xml(f"{excuse.target}: {excuse.reason}"))
        el = ET.SubElement(
            case,
            "skipped",
            type="expected-failure",
            message=_xml(f"expected {verdict} ({excuse.target}: {excuse.reason})"),
        )
        el.text = _xml(reason)
        return "skipped"
    if verdict in ("FAIL", "ERROR"):
        tag = "failure" if verdict == "FAIL" else "error"
        el = ET.SubElement(case, tag, message=_xml(_first_line(reason) or verdict))
        el.text = _xml(
            reason
            + (f"\n\n{check.falsifying_example}" if check.falsifying_example else "")
            + also_failed_text(check)
            + "".join(f"\n{line}" for line in transient_lines(check))
        )
        return tag
    if verdict in _SKIPPED:
        el = ET.SubElement(
            case, "skipped", type=verdict, message=_xml(f"{verdict}: {_first_line(reason)}".rstrip(": "))
        )
        el.text = _xml(reason + "".join(f"\n{line}" for line in transient_lines(check)))
        return "skipped"
    lines = [f"{o.get('clause')}: {o.get('text')}" for o in check.observations or []] + transient_lines(check)
    if lines:
        out = ET.SubElement(case, "system-out")
        out.text = _xml("\n".join(lines))
    return "passed"


def _baseline_case(suite: ET.Element, kind: str, entry, message: str) -> None:
    case = ET.SubElement(
        suite, "testcase", classname="meterconform.results.baseline", name=_xml(f"{kind}: {entry.target}"), time="0.000"
    )
    el = ET.SubElement(case, "failure", message=_xml(message))
    el.text = _xml(f"{message}\nreason: {entry.reason}")


def _completion_case(suite: ET.Element, completion: Completion, verdict: Gate | None) -> None:
    """A run that did not complete is an error of its own in JUnit, so no CI dashboard shows it green."""
    case = ET.SubElement(suite, "testcase", classname="meterconform.run", name="completion", time="0")
    words = verdict.words if verdict is not None else completion.state.upper()
    ET.SubElement(case, "error", message=_xml(_first_line(words)), type=completion.state).text = _xml(
        completion.headline
    )


def build_junit(results: RunResults) -> ET.ElementTree:
    """The junit.xml tree (xunit2 layout: testsuites > testsuite > testcase); the gate's verdict and the run's
    completion go into the suite's properties, and a run that did not complete gets an error testcase."""
    meta, applied, verdict = results.meta, results.applied, results.gate()
    root = ET.Element("testsuites", name="meterconform")
    started = meta.get("started") or time.time()
    duration = max(0.0, float(meta.get("finished") or started) - float(started))
    suite = ET.SubElement(
        root,
        "testsuite",
        name="meterconform",
        timestamp=time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(float(started))),
        hostname=socket.gethostname(),
        time=f"{duration:.3f}",
    )
    props = ET.SubElement(suite, "properties")
    for key in ("endpoint", "profile", "target", "kind", "region", "depth", "hypothesis_seed", "version"):
        if meta.get(key) not in (None, ""):
            ET.SubElement(props, "property", name=key, value=_xml(meta[key]))
    completion = results.completion
    ET.SubElement(props, "property", name="completion", value=completion.state)
    if verdict is not None:
        ET.SubElement(props, "property", name="verdict", value=_xml(verdict.words))
    counts = {"tests": 0, "failure": 0, "error": 0, "skipped": 0}
    if not completion.complete:
        _completion_case(suite, completion, verdict)
        counts["tests"] += 1
        counts["error"] += 1
    for check in results.sorted_checks:
        outcome = _testcase(suite, check, applied)
        counts["tests"] += 1
        if outcome in counts:
            counts[outcome] += 1
    if applied is not None:
        for entry in applied.stale:
            _baseline_case(
                suite,
                "stale",
                entry,
                f"unexpected pass: {entry.target} passes now; remove the entry from {applied.baseline.path}",
            )
        for entry in applied.expired:
            _baseline_case(
                suite,
                "expired",
                entry,
                f"{entry.target} expired on {entry.expires.isoformat()}; fix it or move `expires`",
            )
        extra = len(applied.stale) + len(applied.expired)
        counts["tests"] += extra
        counts["failure"] += extra
    suite.set("tests", str(counts["tests"]))
    suite.set("failures", str(counts["failure"]))
    suite.set("errors", str(counts["error"]))
    suite.set("skipped", str(counts["skipped"]))
    return ET.ElementTree(root)


def write_junit(results: RunResults, path: Path) -> None:
    tree = build_junit(results)
    ET.indent(tree, space=" ")
    path.parent.mkdir(parents=True, exist_ok=True)
    tree.write(path, encoding="utf-8", xml_declaration=True)
