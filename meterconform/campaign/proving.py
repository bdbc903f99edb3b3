"""Proving the suite from the command line: run the fault (or reading) analysis, print its progress and table, and
write the table as Markdown (`meterconform mutants`; the analysis itself is fault_analysis)."""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import time

from ..errors import UsageError


def prove_faults(args: argparse.Namespace) -> int:
    """`meterconform mutants`: the faithful run, then one run per fault; 0 only when each is caught as expected."""
    from ..reference.faults import FAULTS, validated
    from ..resources import suites_dir
    from .fault_analysis import analyse, render_table

    try:
        faults = sorted(validated(args.fault)) if args.fault else sorted(FAULTS)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    selection = [a for a in (args.pytest_args or []) if a != "--"]
    if args.readings or args.reading:
        return prove_readings(args, selection)
    start = time.time()
    print(f"meterconform mutants: the faithful endpoint, then {len(faults)} faults, {args.jobs} at a time", flush=True)

    def progress(result) -> None:
        state = "caught by " + ", ".join(result.caught_by[:2]) if result.caught else "NOT caught"
        if result.fault == "(faithful)":
            state = f"{result.checks} checks, " + (
                f"FAILING: {', '.join(result.caught_by)}" if result.caught else "clean"
            )
        print(
            f"  [{time.time() - start:6.1f} s] {result.fault}: {state}"
            + (f" ({result.problem})" if result.problem else ""),
            flush=True,
        )

    faithful, results = analyse(
        faults,
        suites=suites_dir(),
        depth=args.depth,
        jobs=args.jobs,
        stop_first=not args.full,
        selection=selection,
        progress=progress,
    )
    table = render_table(faithful, results)
    print()
    print("\n".join(table))
    ran = (
        f"run time {time.time() - start:.0f} s on {os.cpu_count()} cores ({platform.system()} {platform.machine()}, "
        f"Python {platform.python_version()}), {args.jobs} runs at a time, depth {args.depth}"
        + (", every check per fault (--full)" if args.full else ", each fault's run stopping at its first failure")
    )
    print(f"\n({ran})")
    if args.markdown:
        _write_markdown(args, selection, table, ran)
    ok = not faithful.caught and not faithful.problem and all(r.caught_as_expected for r in results)
    return 0 if ok else 1


def prove_readings(args: argparse.Namespace, selection: list[str]) -> int:
    """`mutants --readings`: the faithful run, then one full run per reading; 0 only when every one passes."""
    from ..reference.readings import READINGS, validated
    from ..resources import suites_dir
    from .fault_analysis import (
        analyse_readings,
        reading_passed,
        render_reading_failures,
        render_readings_table,
    )

    if args.fault:
        raise UsageError("--fault and --readings prove the suite in opposite directions; give one of them")
    try:
        readings = sorted(validated(args.reading)) if args.reading else sorted(READINGS)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    start = time.time()
    print(
        f"meterconform mutants --readings: the faithful endpoint, then {len(readings)} readings, {args.jobs} at a time",
        flush=True,
    )

    def progress(result) -> None:
        failing = len(result.failed_checks)
        state = f"{result.checks} checks, " + (f"{failing} FAILING" if failing else "clean")
        problem = (result.problem or "").splitlines()[0] if result.problem else ""
        print(
            f"  [{time.time() - start:6.1f} s] {result.fault}: {state}" + (f" ({problem})" if problem else ""),
            flush=True,
        )

    faithful, results = analyse_readings(
        readings, suites=suites_dir(), depth=args.depth, jobs=args.jobs, selection=selection, progress=progress
    )
    table = render_readings_table(faithful, results)
    print()
    print("\n".join(table))
    details = render_reading_failures(results)
    if details:
        print()
        print("\n".join(details))
    ran = (
        f"run time {time.time() - start:.0f} s on {os.cpu_count()} cores ({platform.system()} {platform.machine()}, "
        f"Python {platform.python_version()}), {args.jobs} runs at a time, depth {args.depth}, every check per reading"
    )
    print(f"\n({ran})")
    if args.markdown:
        _write_markdown(args, selection, table, ran)
    ok = not faithful.failed_checks and not faithful.problem and all(reading_passed(r) for r in results)
    return 0 if ok else 1


def _write_markdown(args: argparse.Namespace, selection: list[str], table: list[str], ran: str) -> None:
    """Write the table to --markdown, its first line naming the command that generated it (run it to refresh)."""
    command = ["meterconform", "mutants"] + (["--readings"] if args.readings or args.reading else [])
    command += [a for name in args.fault for a in ("--fault", name)]
    command += [a for name in args.reading for a in ("--reading", name)]
    command += (["--jobs", str(args.jobs)] if args.jobs != 2 else []) + (
        ["--depth", args.depth] if args.depth != "quick" else []
    )
    command += (
        (["--full"] if args.full else []) + ["--markdown", args.markdown] + (["--", *selection] if selection else [])
    )
    header = f"Generated by `{shlex.join(command)}`: do not edit by hand, run the command again to refresh it."
    with open(args.markdown, "w", encoding="utf-8") as fh:
        fh.write(header + "\n\n" + "\n".join(table) + f"\n\n{ran}\n")
