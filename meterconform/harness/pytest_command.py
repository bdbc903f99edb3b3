"""The one builder of the suites' pytest command line: the packaged suites, meterconform's plugin, no stray config.

`run` passes the arguments to pytest.main in its own process; campaigns, the fault analysis and the clause
collection start `python -m pytest` in a subprocess with the same arguments (`subprocess_command`).

The suites state every verdict through the clause helpers, never a bare `assert`
(tests/suites/test_assertion_rewriting.py holds them to it), so pytest's assertion rewriting is off
(`--assert=plain`): it would otherwise parse, rewrite and compile the suites and every module of Hypothesis,
pytest-xdist and allure-pytest again on each run where Python keeps no bytecode cache, for asserts that never
decide a verdict.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from pathlib import Path

from ..resources import suites_dir

PLUGIN = "meterconform.plugin"


def suites_args(
    *,
    suites: Path | None = None,
    selection: Iterable[str] = (),
    plugins: Iterable[str] = (PLUGIN,),
    url: str | None = None,
    profile: str | None = None,
    depth: str | None = None,
    events: Path | str | None = None,
    extra: Iterable[str] = (),
) -> list[str]:
    """pytest's arguments for a run of the suites (default: the packaged ones): no ini file of the caller's
    directory (`-c os.devnull`, the suites' parent as rootdir), no cache, no assertion rewriting, the given
    plugins, the run's options.
    `selection`: what to run instead of the whole suites directory (paths or node ids under it)."""
    suites = suites or suites_dir()
    args = [*(selection or [str(suites)]), "-c", os.devnull, "--rootdir", str(suites.parent)]
    args += ["-p", "no:cacheprovider", "--assert=plain"]
    for plugin in plugins:
        args += ["-p", plugin]
    if url:
        args += ["--endpoint-url", url]
    if profile:
        args += ["--profile", str(profile)]
    if depth:
        args += ["--depth", depth]
    if events:
        args += ["--events", str(events)]
    return args + list(extra)


def subprocess_command(**kwargs) -> list[str]:
    """`python -m pytest` with suites_args(**kwargs), for a run in a process of its own."""
    return [sys.executable, "-m", "pytest", *suites_args(**kwargs)]
