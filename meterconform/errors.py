"""How a command ends: the exit codes (one enum, documented in the README and each command's --help) and the
errors that map to them, raised anywhere and turned into one line and a code once, in `cli.main`."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0  # every gating check passed
    FAILED = 1  # a check failed, or the suite itself broke
    USAGE = 2  # bad input: an option, a profile, credentials or a URL the endpoint refuses
    UNREACHABLE = 3  # the endpoint cannot be reached, or stopped answering mid-run
    INCOMPLETE = 4  # a campaign's budget ended before every property check had run once, and none failed
    INTERRUPTED = 130  # Ctrl-C or SIGTERM: the shell's code for SIGINT


class UsageError(Exception):
    """Bad input. The message is one sentence naming the problem and the fix; `cli.main` prints it as
    `meterconform: <message>` and exits 2, with no traceback."""


class EndpointUnreachable(Exception):
    """The endpoint cannot be reached (no connection, no answer, TLS that cannot be set up); exit 3."""
