#!/usr/bin/env python3
"""Verdict snapshots: record the verdicts of fixed runs of one install, and compare two snapshots.

A refactoring must not change a verdict. `snapshot` runs three scenarios with an install of meterconform and
writes their verdicts, normalised, one JSON file per scenario:

  default  `meterconform run` on the embedded reference endpoint, fixed --seed, -n 2:
           per check (nodeid) its verdict and failed clause, per clause its verdict, the exit code
  moto     the same with --target moto
  mutants  `meterconform mutants` over every fault: per fault whether it was caught as expected, by which
           clause(s) first, and which clauses it expects; the faithful run's check count and failing clauses

`compare` prints every difference between two snapshot directories and exits 1 if there is one. A fault's
first catching clause may vary from run to run (the first failure of a timing-dependent check); so long as
the fault is still caught by an expected clause, a change there is printed as a note and does not fail.

The script talks to the install only through its command line and its documented reports (conformance.json,
the `mutants` table), never by importing it, so two differently structured trees can be compared. Only the
standard library is needed to run it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

SCENARIOS = ("default", "moto", "mutants")
DEFAULT_SEED = 20261206
FORMAT = 1  # the snapshot files' format; bumped if their shape changes

EPILOG = """\
examples:
  # before the change: snapshot the current tree (its .venv), all three scenarios (a few minutes)
  .venv/bin/python scripts/verdict_snapshot.py snapshot /tmp/snap/before
  # after: snapshot the changed tree with its own interpreter, then compare
  python3 scripts/verdict_snapshot.py snapshot /tmp/snap/after --python /path/to/other/.venv/bin/python
  python3 scripts/verdict_snapshot.py compare /tmp/snap/before /tmp/snap/after
  # only the quick scenarios
  python3 scripts/verdict_snapshot.py snapshot /tmp/snap/x --scenario default --scenario moto

exit codes (compare): 0 the same verdicts; 1 at least one difference (each printed); 2 usage error
(a directory or scenario file missing).
exit codes (snapshot): 0 written (whatever the runs' own verdicts were: those are part of the snapshot);
2 a run broke before writing its reports (its output is printed and kept under OUT_DIR/raw/).
"""


# --------------------------------------------------------------------------------------------------- snapshot


class SnapshotError(Exception):
    """A scenario could not be recorded (its run wrote no report)."""


def _clean_env() -> dict[str, str]:
    """The environment for the runs: without the variables meterconform, pytest or Hypothesis read."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("METERCONFORM_", "PYTEST_", "HYPOTHESIS_"))}


def _run(cmd: list[str], cwd: Path, log: Path) -> tuple[int, float]:
    """Run `cmd` in `cwd` (a scratch directory, so `-m meterconform` imports the install, not a checkout that
    happens to be the working directory), its output to `log`; (exit code, seconds)."""
    cwd.mkdir(parents=True, exist_ok=True)
    start = time.monotonic()
    with log.open("w", encoding="utf-8") as out:
        proc = subprocess.run(cmd, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, env=_clean_env(), text=True)
    return proc.returncode, round(time.monotonic() - start, 1)


def _first(row: dict, *names: str, default=None):
    """The value of the first of `names` that `row` has (reports may rename a field; keep the old name first)."""
    for name in names:
        if name in row:
            return row[name]
    return default


def read_run_reports(report_dir: Path) -> tuple[dict[str, dict], dict[str, str]]:
    """(checks, clauses) from a run's report directory: per nodeid {verdict, failed_clause, also_failed}, per
    clause id its verdict. conformance.json is the source (its documented `checks` and `clauses`); the events
    file fills in what it lacks (another clause a check found broken, at the deep depth)."""
    conformance = report_dir / "conformance.json"
    events_path = report_dir / "events.jsonl"
    doc = json.loads(conformance.read_text(encoding="utf-8")) if conformance.exists() else {}
    events = []
    if events_path.exists():
        for line in events_path.read_text(encoding="utf-8").splitlines():
            obj = json.loads(line) if line.strip() else {}
            if "nodeid" in obj:  # the first line is {"meta": ...}
                events.append(obj)
    rows = doc.get("checks") or events
    if not rows:
        raise SnapshotError(f"{report_dir}: no checks in conformance.json or events.jsonl")
    also = {
        ev["nodeid"]: sorted(_first(f, "clause", "clause_id") for f in ev.get("also_failed") or ()) for ev in events
    }
    checks = {}
    for row in rows:
        nodeid = _first(row, "nodeid", "id")
        checks[nodeid] = {
            "verdict": _first(row, "verdict", "label"),
            "failed_clause": _first(row, "failed_clause", "clause"),
            "also_failed": also.get(nodeid, []),
        }
    clauses = {
        cid: (entry.get("verdict") if isinstance(entry, dict) else entry)
        for cid, entry in (doc.get("clauses") or {}).items()
    }
    if not clauses:
        raise SnapshotError(f"{report_dir}: no clause verdicts in conformance.json")
    return checks, clauses


def snapshot_run(python: str, name: str, seed: int, raw: Path, moto: bool) -> dict:
    """One `meterconform run` scenario, normalised."""
    report_dir = raw / "reports"
    cmd = [
        python,
        "-m",
        "meterconform",
        "run",
        "--seed",
        str(seed),
        "-n",
        "2",
        "--no-html",
        "--report-dir",
        str(report_dir),
    ] + (["--target", "moto"] if moto else [])
    code, seconds = _run(cmd, raw / "cwd", raw / "output.txt")
    if not (report_dir / "conformance.json").exists() and not (report_dir / "events.jsonl").exists():
        raise SnapshotError(
            f"{name}: `{' '.join(cmd)}` exited {code} without reports; its output is in {raw / 'output.txt'}"
        )
    checks, clauses = read_run_reports(report_dir)
    return {
        "scenario": name,
        "format": FORMAT,
        "command": cmd[1:],
        "exit_code": code,
        "seconds": seconds,
        "checks": dict(sorted(checks.items())),
        "clauses": dict(sorted(clauses.items())),
    }


def _split_clauses(cell: str) -> list[str]:
    return [] if cell.strip() in ("", "-") else [c.strip() for c in cell.split(",") if c.strip()]


def parse_mutants_table(text: str) -> tuple[dict[str, dict], dict]:
    """(faults, faithful) from `meterconform mutants` output or its --markdown file: per fault {status (the
    "caught?" cell: yes, OTHER CLAUSE, NO (survived), BROKEN RUN), by (the first clauses that failed), expected};
    the faithful run's {checks, failing} from the line under the table."""
    faults: dict[str, dict] = {}
    header: list[str] | None = None
    faithful: dict = {}
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("faithful endpoint:"):
            rest = stripped.split(":", 1)[1]
            count, _, failing = rest.partition(" failing clause(s)")
            faithful = {
                "line": stripped,
                "checks": int(count.split("checks")[0].strip().split()[-1]) if "checks" in count else None,
                "failing": _split_clauses(failing.lstrip(":").split(";")[0]),
            }
            continue
        if not (stripped.startswith("|") and stripped.endswith("|")):
            continue
        cells = [c.strip() for c in stripped.strip("|").split("|")]
        if set("".join(cells)) <= {"-", ":", " "}:
            continue  # the separator row
        if header is None:
            header = [c.lower() for c in cells]
            continue
        row = dict(zip(header, cells, strict=False))  # a row may have more or fewer cells than the header
        fault = _first(row, "fault", "reading")
        by = _first(row, "by clause(s)", "by clause", "caught by", default="")
        faults[fault] = {
            "status": _first(row, "caught?", "caught", default=""),
            "by": _split_clauses(by),
            "expected": _split_clauses(_first(row, "expected", default="")),
        }
    if not faults:
        raise SnapshotError("no fault table in the `mutants` output")
    return dict(sorted(faults.items())), faithful


def snapshot_mutants(python: str, raw: Path) -> dict:
    """`meterconform mutants` over every fault, normalised."""
    table = raw / "mutants.md"
    cmd = [python, "-m", "meterconform", "mutants", "--markdown", str(table)]
    code, seconds = _run(cmd, raw / "cwd", raw / "output.txt")
    text = table.read_text(encoding="utf-8") if table.exists() else (raw / "output.txt").read_text(encoding="utf-8")
    try:
        faults, faithful = parse_mutants_table(text)
    except SnapshotError as exc:
        raise SnapshotError(
            f"mutants: `{' '.join(cmd)}` exited {code}: {exc}; its output is in {raw / 'output.txt'}"
        ) from None
    return {
        "scenario": "mutants",
        "format": FORMAT,
        "command": cmd[1:],
        "exit_code": code,
        "seconds": seconds,
        "faithful": faithful,
        "faults": faults,
    }


def describe_install(python: str) -> dict:
    """Which install the snapshot ran: interpreter, package location, version, and the git commit there."""
    probe = "import meterconform, sys; print(meterconform.__file__); print(getattr(meterconform, '__version__', '?'))"
    out = subprocess.run([python, "-c", probe], capture_output=True, text=True, env=_clean_env(), cwd="/")
    if out.returncode != 0:
        raise SnapshotError(f"{python} cannot import meterconform: {out.stderr.strip()[-300:]}")
    location, version = out.stdout.split("\n")[:2]
    git = subprocess.run(["git", "-C", str(Path(location).parent), "rev-parse", "HEAD"], capture_output=True, text=True)
    dirty = subprocess.run(
        ["git", "-C", str(Path(location).parent), "status", "--porcelain", "--untracked-files=no"],
        capture_output=True,
        text=True,
    )
    return {
        "python": python,
        "package": location,
        "version": version,
        "commit": git.stdout.strip() or None,
        "uncommitted_changes": bool(dirty.stdout.strip()) if git.returncode == 0 else None,
    }


def cmd_snapshot(args: argparse.Namespace) -> int:
    out = Path(args.out_dir)
    python = args.python or sys.executable
    scenarios = args.scenario or list(SCENARIOS)
    try:
        install = describe_install(python)
    except SnapshotError as exc:
        print(f"verdict_snapshot: {exc}", file=sys.stderr)
        return 2
    out.mkdir(parents=True, exist_ok=True)
    print(
        f"verdict_snapshot: {install['package']} ({install['version']}, commit {install['commit'] or '?'}"
        f"{', with uncommitted changes' if install['uncommitted_changes'] else ''}) -> {out}",
        flush=True,
    )
    timings = {}
    for name in scenarios:
        raw = out / "raw" / name
        if raw.exists():  # a previous snapshot's reports must not stand in for a run that writes none
            shutil.rmtree(raw)
        print(f"  {name} ...", end=" ", flush=True)
        try:
            if name == "mutants":
                snap = snapshot_mutants(python, raw)
            else:
                snap = snapshot_run(python, name, args.seed, raw, moto=name == "moto")
        except SnapshotError as exc:
            print(f"\nverdict_snapshot: {exc}", file=sys.stderr)
            return 2
        snap["install"] = install
        (out / f"{name}.json").write_text(json.dumps(snap, indent=1) + "\n", encoding="utf-8")
        timings[name] = snap["seconds"]
        print(f"{snap['seconds']:.0f} s, exit {snap['exit_code']}, {_size(snap)}", flush=True)
    print("verdict_snapshot: " + ", ".join(f"{n} {s:.0f} s" for n, s in timings.items()))
    return 0


def _size(snap: dict) -> str:
    if "faults" in snap:
        caught = sum(1 for f in snap["faults"].values() if f["status"] == "yes")
        return f"{caught}/{len(snap['faults'])} faults caught as expected"
    verdicts: dict[str, int] = {}
    for check in snap["checks"].values():
        verdicts[check["verdict"]] = verdicts.get(check["verdict"], 0) + 1
    return f"{len(snap['checks'])} checks (" + ", ".join(f"{n} {v}" for v, n in sorted(verdicts.items())) + ")"


# ---------------------------------------------------------------------------------------------------- compare


@dataclass
class Comparison:
    differences: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _show(value) -> str:
    if value is None or value == []:
        return "-"
    return ", ".join(value) if isinstance(value, list) else str(value)


def _pair_moved(only_a: list[str], only_b: list[str]) -> list[tuple[str, str]]:
    """Checks whose nodeid changed because their module moved: paired when the module's file name and the test
    (or, failing that, the test alone) identify one check on each side."""
    pairs: list[tuple[str, str]] = []
    for key in (lambda n: n.rsplit("/", 1)[-1], lambda n: n.split("::", 1)[-1]):
        left: dict[str, list[str]] = {}
        right: dict[str, list[str]] = {}
        for n in only_a:
            left.setdefault(key(n), []).append(n)
        for n in only_b:
            right.setdefault(key(n), []).append(n)
        for k in sorted(set(left) & set(right)):
            if len(left[k]) == 1 and len(right[k]) == 1:
                pairs.append((left[k][0], right[k][0]))
        paired_a = {a for a, _ in pairs}
        paired_b = {b for _, b in pairs}
        only_a = [n for n in only_a if n not in paired_a]
        only_b = [n for n in only_b if n not in paired_b]
    return pairs


def compare_runs(name: str, a: dict, b: dict, result: Comparison) -> None:
    """Differences between two `run` scenarios: the exit code, checks on one side only, verdicts and failed
    clauses, clause verdicts."""
    diff = result.differences.append
    if a.get("exit_code") != b.get("exit_code"):
        diff(f"{name}: exit code {a.get('exit_code')} -> {b.get('exit_code')}")
    checks_a, checks_b = a["checks"], b["checks"]
    only_a = sorted(set(checks_a) - set(checks_b))
    only_b = sorted(set(checks_b) - set(checks_a))
    pairs = [(n, n) for n in sorted(set(checks_a) & set(checks_b))]
    moved = _pair_moved(only_a, only_b)
    for old, new in moved:
        result.notes.append(f"{name}: check {old} is now {new}")
        only_a.remove(old)
        only_b.remove(new)
    for n in only_a:
        diff(f"{name}: check only in A: {n} ({checks_a[n]['verdict']})")
    for n in only_b:
        diff(f"{name}: check only in B: {n} ({checks_b[n]['verdict']})")
    for na, nb in pairs + moved:
        ca, cb = checks_a[na], checks_b[nb]
        changed = [
            f"{k.replace('_', ' ')} {_show(ca.get(k))} -> {_show(cb.get(k))}"
            for k in ("verdict", "failed_clause", "also_failed")
            if ca.get(k) != cb.get(k)
        ]
        if changed:
            diff(f"{name}: check {nb}: " + "; ".join(changed))
    clauses_a, clauses_b = a["clauses"], b["clauses"]
    for cid in sorted(set(clauses_a) | set(clauses_b)):
        va, vb = clauses_a.get(cid), clauses_b.get(cid)
        if va != vb:
            diff(f"{name}: clause {cid}: {va or '(absent)'} -> {vb or '(absent)'}")


def compare_mutants(a: dict, b: dict, result: Comparison) -> None:
    """Differences between two `mutants` scenarios: the exit code, the faithful run, per fault whether it was
    caught by an expected clause and which clauses it expects. A different first catching clause for a fault
    caught as expected on both sides is a note."""
    diff = result.differences.append
    if a.get("exit_code") != b.get("exit_code"):
        diff(f"mutants: exit code {a.get('exit_code')} -> {b.get('exit_code')}")
    fa, fb = a.get("faithful") or {}, b.get("faithful") or {}
    for key in ("checks", "failing"):
        if fa.get(key) != fb.get(key):
            diff(f"mutants: faithful run's {key}: {_show(fa.get(key))} -> {_show(fb.get(key))}")
    faults_a, faults_b = a["faults"], b["faults"]
    for fault in sorted(set(faults_a) | set(faults_b)):
        if fault not in faults_b:
            diff(f"mutants: fault only in A: {fault}")
            continue
        if fault not in faults_a:
            diff(f"mutants: fault only in B: {fault}")
            continue
        ra, rb = faults_a[fault], faults_b[fault]
        if ra["status"] != rb["status"]:
            diff(
                f"mutants: fault {fault}: caught? {ra['status']} -> {rb['status']} (by {_show(ra['by'])} -> "
                f"{_show(rb['by'])})"
            )
        elif ra["by"] != rb["by"]:
            line = f"mutants: fault {fault}: first caught by {_show(ra['by'])} -> {_show(rb['by'])}"
            (result.notes if ra["status"] == "yes" else result.differences).append(
                line + (" (an expected clause both times)" if ra["status"] == "yes" else "")
            )
        if sorted(ra["expected"]) != sorted(rb["expected"]):
            diff(f"mutants: fault {fault}: expected clauses {_show(ra['expected'])} -> {_show(rb['expected'])}")


def compare_dirs(dir_a: Path, dir_b: Path, scenarios: list[str] | None = None) -> Comparison:
    """Every difference between two snapshot directories (scenarios: those present in either, or the given ones)."""
    names = scenarios or sorted(
        {p.stem for d in (dir_a, dir_b) for p in d.glob("*.json")} & set(SCENARIOS), key=SCENARIOS.index
    )
    result = Comparison()
    for name in names:
        pa, pb = dir_a / f"{name}.json", dir_b / f"{name}.json"
        if not pa.exists() or not pb.exists():
            result.differences.append(f"{name}: no snapshot in {pb if pa.exists() else pa}")
            continue
        a = json.loads(pa.read_text(encoding="utf-8"))
        b = json.loads(pb.read_text(encoding="utf-8"))
        if name == "mutants":
            compare_mutants(a, b, result)
        else:
            compare_runs(name, a, b, result)
    return result


def cmd_compare(args: argparse.Namespace) -> int:
    dir_a, dir_b = Path(args.a_dir), Path(args.b_dir)
    for d in (dir_a, dir_b):
        if not d.is_dir() or not any(d.glob("*.json")):
            print(f"verdict_snapshot: {d} holds no snapshot (write one with `snapshot {d}`)", file=sys.stderr)
            return 2
    result = compare_dirs(dir_a, dir_b, args.scenario)
    for line in result.differences:
        print(f"DIFFERENT  {line}")
    for line in result.notes:
        print(f"note       {line}")
    n = len(result.differences)
    print(
        f"verdict_snapshot: {n} difference{'s' if n != 1 else ''}, {len(result.notes)} note(s) between {dir_a} (A) and "
        f"{dir_b} (B)"
    )
    return 1 if n else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="verdict_snapshot.py",
        description=__doc__.split("\n\n", 1)[1].split("\n\nThe script")[0],
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)
    snap = sub.add_parser(
        "snapshot",
        help="run the scenarios with one install and write their verdicts to OUT_DIR",
        description="Run the scenarios with one install of meterconform and write OUT_DIR/<scenario>.json "
        "(the normalised verdicts) and OUT_DIR/raw/<scenario>/ (the reports and output).",
    )
    snap.add_argument("out_dir", metavar="OUT_DIR")
    snap.add_argument(
        "--python",
        metavar="PATH",
        help="the interpreter of the install to run, e.g. other-tree/.venv/bin/python (default: this one)",
    )
    snap.add_argument(
        "--seed",
        type=int,
        default=DEFAULT_SEED,
        help=f"Hypothesis seed of the two runs (default {DEFAULT_SEED}); `mutants` uses its own fixed seed",
    )
    snap.add_argument(
        "--scenario", action="append", choices=SCENARIOS, help="only this scenario (repeatable; default all three)"
    )
    snap.set_defaults(func=cmd_snapshot)
    comp = sub.add_parser(
        "compare",
        help="print every verdict difference between two snapshots; exit 1 if any",
        description="Print every difference between snapshot directories A and B: checks on one side "
        "only, verdict and failed-clause changes, clause verdict changes, faults caught "
        "differently, exit codes. Exit 0 if none, 1 otherwise.",
    )
    comp.add_argument("a_dir", metavar="A_DIR")
    comp.add_argument("b_dir", metavar="B_DIR")
    comp.add_argument(
        "--scenario",
        action="append",
        choices=SCENARIOS,
        help="only this scenario (repeatable; default every scenario either directory holds)",
    )
    comp.set_defaults(func=cmd_compare)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
