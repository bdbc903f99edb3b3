"""Reports computed from the events file: each output format is a handler in its own module.

`write_reports` is the one pass both `meterconform run` (through `finish_run`) and `meterconform report` make:
conformance.json, junit.xml, conformance.html and, on request, Allure results, then the exit code.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import ExitCode
from ..results.baseline import BaselineError, load_baseline
from ..results.gate import Completion
from ..results.run_results import RunResults

COMPLETE = Completion()  # a run every selected check of which ran


def write_reports(
    run: RunResults,
    out: Path,
    *,
    baseline: str | None = None,
    html: bool = True,
    allure: bool = False,
    shown: Path | None = None,
) -> int:
    """Write every report of `run` into `out`, print what was written (and the baseline's verdict), return the exit code
    of the gate (RunResults.gate) for the run's completion (its meta line says it: Completion.of). Each report is a view
    of `run`, with the baseline applied to it first (RunResults.apply). `shown`: the directory to name in what is
    printed, when `out` is a staging directory that will be moved there."""
    from ..results.redact import redact_text
    from .html import render_html
    from .json_report import write_json
    from .junit import write_junit
    from .matrix import report_catalog

    baseline_error = None
    if baseline:
        try:
            run.apply(load_baseline(baseline))
        except BaselineError as exc:
            baseline_error = exc  # still write the reports, without the baseline
    out.mkdir(parents=True, exist_ok=True)
    catalog = report_catalog()
    written = []
    verdict = run.gate()
    write_json(run, out / "conformance.json")
    written.append("conformance.json")
    write_junit(run, out / "junit.xml")
    written.append("junit.xml")
    if html:
        # The events are redacted when written; masking known secrets again costs little and guards the page.
        (out / "conformance.html").write_text(redact_text(render_html(run, catalog)), encoding="utf-8")
        written.insert(0, "conformance.html")
    notes = []
    if allure:
        from .allure import REPORT_DIR, RESULTS_DIR, render_allure, write_allure

        write_allure(run, out / RESULTS_DIR, catalog)
        written.append(f"{RESULTS_DIR}/")
        notes.append(render_allure(out / RESULTS_DIR, out / REPORT_DIR))
    if (out / "events.jsonl").exists():
        written.append("events.jsonl")
    print(f"meterconform: reports in {shown or out}/ ({', '.join(written)})")
    for note in notes:
        print(f"meterconform: {note}")
    if baseline_error is not None:
        print(f"meterconform: {baseline_error}", file=sys.stderr)
        return ExitCode.USAGE
    if run.applied is not None:
        for line in run.applied.lines()[:-1]:
            print(line)
        print(verdict.line)
    return verdict.exit_code


def finish_run(
    args: argparse.Namespace,
    report_dir: Path,
    events_path: Path,
    completion: Completion = COMPLETE,
    shown: Path | None = None,
    *,
    run: RunResults,
) -> int:
    """After `meterconform run` or `fuzz`: write the run's results to `events_path`, its meta line saying how the run
    ended, then every report from the same results, and compute the exit code. `run` and `meterconform report`
    write the same files (and the baseline shows in both)."""
    run.meta["completion"] = completion.to_meta()
    if shown is not None:  # the staging directory is renamed to `shown`
        run.sources = [str(shown / events_path.name)]
    run.write(events_path)
    return write_reports(
        run,
        report_dir,
        baseline=getattr(args, "baseline", None),
        html=not getattr(args, "no_html", False),
        allure=bool(getattr(args, "allure", False)),
        shown=shown,
    )
