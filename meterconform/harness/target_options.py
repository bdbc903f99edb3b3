"""From the options `run` and `fuzz` share to a profile and an endpoint: checked together, before anything starts.

Every problem is a UsageError naming the option and the fix (`cli.main` prints it, exit 2).
"""

from __future__ import annotations

import argparse

from ..errors import UsageError


def target_problem(args: argparse.Namespace, url: str | None) -> str | None:
    """Why --target, --fault, --reading and a named endpoint cannot go together, or None."""
    if args.target and url:
        return f"--target {args.target} starts its own endpoint; drop --endpoint-url / endpoint.url"
    if args.target == "moto" and args.fault:
        return "--fault applies to the reference endpoint, not to moto"
    if url and args.fault:
        return (
            "--fault switches deviations on in the embedded reference endpoint; drop --endpoint-url/"
            "endpoint.url to use it, or start `meterconform serve --fault ...` yourself"
        )
    if (args.target == "moto" or url) and getattr(args, "reading", None):
        return (
            "--reading applies to the embedded reference endpoint only; drop --target / --endpoint-url, or "
            "start `meterconform serve --reading ...` yourself"
        )
    return None


def target_env(args: argparse.Namespace, url: str | None) -> str:
    """$METERCONFORM_TARGET for the pytest runs: which built-in target (fresh each run) they talk to, if any."""
    return args.target or ("reference" if not url else "")


def load_target(args: argparse.Namespace):
    """(profile, named endpoint URL or None for a built-in target) of `run` and `fuzz`, after checking the
    baseline, the profile, the URL, the target options and the credentials; UsageError names the first problem."""
    from ..results.baseline import load_baseline
    from ..transport.clients import credentials_problem
    from .builtin_targets import run_profile
    from .profile import url_problem

    if getattr(args, "baseline", None):
        load_baseline(args.baseline)  # checked before the run rather than after it (BaselineError is a UsageError)
    profile = run_profile(args.profile, target=args.target, database=args.database)
    url = args.endpoint_url or profile.endpoint.url
    for problem in (url_problem(args.endpoint_url), target_problem(args, url), credentials_problem(profile)):
        if problem is not None:
            raise UsageError(problem)
    return profile, url


def start_target(stack, profile, url: str | None, args: argparse.Namespace) -> str:
    """The URL to talk to: the named endpoint (probed and preflighted), or a built-in target started inside
    `stack` (builtin_targets.open_endpoint: TargetError, a UsageError, or EndpointUnreachable)."""
    from .builtin_targets import open_endpoint

    return open_endpoint(stack, profile, url, target=args.target, faults=args.fault, readings=args.reading)
