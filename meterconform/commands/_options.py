"""The options `run` and `fuzz` share, defined once: which endpoint, which built-in target, where reports go."""

from __future__ import annotations

import argparse


def endpoint(p: argparse.ArgumentParser) -> None:
    """--profile, --endpoint-url, --target, --fault, --reading."""
    p.add_argument("--profile", metavar="PATH", help="target profile TOML (default: the embedded default profile)")
    p.add_argument("--endpoint-url", metavar="URL", help="endpoint URL; overrides the profile's endpoint.url")
    p.add_argument(
        "--target",
        choices=["reference", "moto"],
        default=None,
        help="start a built-in target: the reference endpoint (the default without a URL) or moto's server, "
        "seeded in-process (needs pip install 'meterconform[moto]')",
    )
    p.add_argument(
        "--fault",
        metavar="NAME",
        action="append",
        default=[],
        help="embedded endpoint only: switch on a named deviation (repeatable; `meterconform serve --list-faults`)",
    )
    p.add_argument(
        "--reading",
        metavar="NAME",
        action="append",
        default=[],
        help=(
            "embedded endpoint only: switch on a permitted behaviour (repeatable; `meterconform serve --list-readings`)"
        ),
    )


def reports(p: argparse.ArgumentParser) -> None:
    """--report-dir, --baseline, --allure, --no-html."""
    p.add_argument(
        "--report-dir",
        metavar="DIR",
        default="reports",
        help="where reports go (default: ./reports); replaced whole by each run, so it must hold only "
        "files meterconform writes",
    )
    p.add_argument(
        "--baseline",
        metavar="TOML",
        help="expectations baseline: known deviations that do not gate (see `meterconform baseline --help`)",
    )
    p.add_argument(
        "--allure",
        action="store_true",
        help="also write Allure results and render them when an Allure renderer is installed",
    )
    p.add_argument("--no-html", action="store_true", help="skip conformance.html")
