"""Subcommands of the `meterconform` command line, one module each."""
