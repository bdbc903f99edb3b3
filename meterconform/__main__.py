"""`python -m meterconform` is the `meterconform` command."""

from .cli import console_main

console_main()
