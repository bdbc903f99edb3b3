"""The reports directory holds one run: a run writes into a staging directory beside it, swapped into place whole.

A CI job that publishes `reports/` must never publish files of two runs side by side (an interrupted run's
events next to the previous run's HTML, an old campaign's `rounds/` next to a new run). So `run` and `fuzz`
write everything into `.<name>.staging-<pid>` next to `--report-dir`, and at the end, whatever the verdict,
rename the old directory away and the staging one into its place. A directory that holds anything else than
the files meterconform writes is refused up front rather than replaced, so nothing of the user's is lost; the
marker file says which run wrote a directory.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

from ..errors import UsageError

MARKER = ".meterconform-reports"
# What reports directories written before the marker existed hold: such a directory is still ours.
KNOWN_NAMES = frozenset(
    {
        MARKER,
        "events.jsonl",
        "conformance.json",
        "conformance.html",
        "junit.xml",
        "coverage.json",
        "rounds",
        "allure-results",
        "allure-report",
        ".rate-limit",
        ".moto-profile.toml",
    }
)


class ReportDirError(UsageError):
    """The reports directory cannot be used; the message names the path and the fix."""


def _foreign(path: Path) -> list[str]:
    """The names in an existing directory that meterconform does not write: a run would delete them."""
    return sorted(p.name for p in path.iterdir() if p.name not in KNOWN_NAMES)


class StagedReports:
    """A run's reports directory, written aside and swapped into place by `commit()`.

    `path` is where the run writes (the staging directory); `final` is the directory users named."""

    def __init__(self, final: str | Path, option: str = "--report-dir"):
        self.final = Path(os.path.abspath(final))
        self.option = option
        self.path = self.final.parent / f".{self.final.name}.staging-{os.getpid()}"
        self.committed = False
        self.kept = False  # the staging directory stays where it is (a campaign abandoned: its rounds' files)

    def check(self) -> None:
        """Raise ReportDirError when `final` cannot take this run's reports; create nothing."""
        final, option = self.final, self.option
        if final.exists() and not final.is_dir():
            raise ReportDirError(f"{option} {final}: a file is there, not a directory; give {option} a directory")
        if final.is_dir() and (foreign := _foreign(final)):
            shown = ", ".join(foreign[:3]) + (f" and {len(foreign) - 3} more" if len(foreign) > 3 else "")
            raise ReportDirError(
                f"{option} {final} holds files meterconform did not write ({shown}); a run replaces the whole "
                f"directory, so give {option} an empty or new directory, or one an earlier run wrote"
            )
        parent = final.parent
        probe = parent
        while not probe.exists():
            probe = probe.parent
        if not probe.is_dir():
            raise ReportDirError(
                f"{option} {final}: a part of that path is a file, not a directory; give {option} a directory"
            )
        if not os.access(probe, os.W_OK):
            raise ReportDirError(f"{option} {final}: {probe} is not writable; give {option} a writable directory")

    def _sweep(self) -> None:
        """Remove what runs killed outright (SIGKILL, a power cut) left beside `final`: their staging directories."""
        for leftover in self.final.parent.glob(f".{self.final.name}.*-*"):
            kind, _, pid = leftover.name.rpartition("-")
            if not kind.endswith((".staging", ".old")) or not pid.isdigit() or int(pid) == os.getpid():
                continue
            try:
                os.kill(int(pid), 0)
            except ProcessLookupError:
                shutil.rmtree(leftover, ignore_errors=True)
            except PermissionError:  # another user's live process
                continue

    def open(self) -> Path:
        """Check `final`, then create the staging directory (with the marker) and return it."""
        self.check()
        if self.final.parent.is_dir():
            self._sweep()
        try:
            if self.path.exists():
                shutil.rmtree(self.path)
            self.path.mkdir(parents=True)
        except OSError as exc:
            raise ReportDirError(
                f"{self.option} {self.final}: cannot create {self.path} ({exc.strerror or exc}); "
                f"give {self.option} a writable directory"
            ) from None
        (self.path / MARKER).write_text(
            json.dumps({"written_by": "meterconform", "pid": os.getpid(), "started": time.time()}) + "\n",
            encoding="utf-8",
        )
        return self.path

    def commit(self) -> Path:
        """Put the staging directory in place of `final` (the old one is removed); return `final`."""
        old = self.final.parent / f".{self.final.name}.old-{os.getpid()}"
        shutil.rmtree(old, ignore_errors=True)
        if self.final.exists():
            self.final.rename(old)
        self.path.rename(self.final)
        shutil.rmtree(old, ignore_errors=True)
        self.committed = True
        return self.final

    def discard(self) -> None:
        """Drop the staging directory: `final` stays as the previous run left it."""
        shutil.rmtree(self.path, ignore_errors=True)
