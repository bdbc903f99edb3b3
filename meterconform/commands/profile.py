"""`meterconform profile --schema`: print the target profile's JSON schema, the one shipped in the package."""

from __future__ import annotations

import argparse
import sys

from ..errors import UsageError

EPILOG = """\
A target profile (TOML) describes the endpoint under test; every key is documented in docs/profile.md.
Editors that read JSON schemas (for TOML: Even Better TOML, taplo) can check a profile against this one:

  meterconform profile --schema > target-profile.schema.json

exit codes:
  0  the schema was printed
  2  usage error (no option given)
"""


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "profile",
        help="the target profile's JSON schema (--schema)",
        description="Print what a target profile may contain: --schema prints the JSON schema "
        "every profile is validated against.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--schema", action="store_true", help="print the target profile JSON schema shipped in the package")


def run(args: argparse.Namespace) -> int:
    if not args.schema:
        raise UsageError("say what to print: `meterconform profile --schema` prints the target profile's JSON schema")
    from ..harness.profile import schema_text

    sys.stdout.write(schema_text())
    return 0
